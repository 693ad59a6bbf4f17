/**
 * *Compare Losses…*: choose the logits and the target among the workspace's tensor files, then among the tensors
 * inside container files (key, dtype and shape, listed by the worker), with the likeliest pairing proposed first
 * (pairing.ts). Either side may come prefilled from the command argument (`{logits?, target?, options?}`, URI
 * strings or paths, `uri#key` for a container entry). Options are the settings' with the argument's on top.
 */
import * as vscode from 'vscode';
import { DEFAULT_OPTIONS, type LossOptions } from '../engine/types';
import type { TensorListing } from '../worker/protocol';
import type { ComparisonPanels } from './comparisonPanel';
import { oneLine, type Logger } from './logging';
import {
  pairScore, proposePairs, rankLogits, rankLogitsFor, rankTargets, roleEvidence, type Candidate, type ScoredPair,
} from './pairing';
import { runJob } from './progress';
import type { Settings } from './settings';
import { mergeOptions } from './settingsModel';
import { statSync } from 'node:fs';
import { formatTensorRef, isUriString, parseTensorRef, tensorRefLabel } from '../readers/tensorRef';
import {
  baseName, dirName, tensorExtension, TENSOR_FILE_GLOBS, TENSOR_FILES_EXCLUDE, TENSOR_FILES_INCLUDE,
} from './tensorSpec';
import type { InspectCaveats } from '../protocol/messages';
import type { PeekResult } from '../readers/peek';
import type { FailedFiles } from './failedFiles';
import { FilePeeks } from './filePeeks';
import { fileCandidateOf, partitionFiles, peekText, relativeDir, rowDescription } from './pickRows';
import { WorkerFailure, type WorkerClient } from './workerClient';
import { NOT_A_TENSOR_FILE } from './comparisonProblem';
import { formatShape } from '../engine/tensor';

export interface CompareArgs {
  logits?: string;
  target?: string;
  options?: Partial<LossOptions>;
  /**
   * What `options` complete: the settings (default), or the engine's defaults — torch's and MONAI's
   * constructor defaults, which is what a loss call in code gets for the arguments it leaves out (CodeLens).
   */
  optionsBase?: 'settings' | 'defaults';
  /** From a loss call's *Inspect with these settings…*: the comparison opens in a panel of its own with these notes. */
  inspect?: InspectCaveats;
}

export interface CompareDeps {
  worker: WorkerClient;
  settings: Settings;
  logger: Logger;
  panels: ComparisonPanels;
  /** Files whose read failed in this session: never proposed as partners. */
  failedFiles?: FailedFiles;
}

/** A chosen side: a file and, once known, the key inside it. */
interface Side {
  uri: vscode.Uri;
  key: string | null;
  /** The file's listing when it was read (containers). */
  listing?: TensorListing;
}

const FILE_LIMIT = 5000;

/** A URI string or a path (absolute, or relative to the first workspace folder) → a URI. */
export function toUri(s: string): vscode.Uri {
  if (isUriString(s)) return vscode.Uri.parse(s, true);
  if (s.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(s) || s.startsWith('\\\\')) return vscode.Uri.file(s);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root) throw new Error(`${s}: a relative path needs an open workspace folder`);
  return vscode.Uri.joinPath(root, s);
}

/**
 * Whether a path argument's prefix names a file, for the spec rule (a `#` in a folder or file name stays in the
 * path). Only local files can be asked synchronously; elsewhere the first `#` splits, as in a URI string.
 */
function namesLocalFile(prefix: string): boolean {
  const firstHashRule = !prefix.includes('#');
  let u: vscode.Uri;
  try {
    u = toUri(prefix);
  } catch {
    return firstHashRule;
  }
  if (u.scheme !== 'file') return firstHashRule;
  try {
    return !statSync(u.fsPath).isDirectory();
  } catch {
    return false;
  }
}

export async function findTensorFiles(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles(TENSOR_FILES_INCLUDE, TENSOR_FILES_EXCLUDE, FILE_LIMIT, token);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function fileCandidate(u: vscode.Uri, peek?: PeekResult): Candidate {
  return fileCandidateOf(u.toString(), u.path, peek);
}

function entryCandidates(u: vscode.Uri, listing: TensorListing): Candidate[] {
  return listing.tensors.map((t) => ({ id: formatTensorRef({ uri: u.toString(), key: t.key }), path: u.path, key: t.key, shape: t.shape, dtype: t.dtype }));
}

/** The file's path relative to its workspace folder (with the folder's name in a multi-root workspace). */
function relPath(u: vscode.Uri): string {
  return vscode.workspace.asRelativePath(u, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/** `float32 · 2 × 14 × 96 × 96 × 96` for one entry of a listing. */
function describeEntry(listing: TensorListing, key: string): string {
  const t = listing.tensors.find((x) => x.key === key);
  return t ? `${t.dtype} · ${formatShape(t.shape)}` : '';
}

/** Whether a file may hold several tensors (then the user may pick a key): everything but npy/NIfTI. */
function mayHoldSeveral(u: vscode.Uri): boolean {
  const ext = tensorExtension(u.path);
  return !(ext === 'npy' || ext === 'nii' || ext === 'nii.gz');
}

type PickItem<T> = vscode.QuickPickItem & { value?: T };

function separator<T>(label: string): PickItem<T> {
  return { label, kind: vscode.QuickPickItemKind.Separator };
}

export class CompareFlow {
  private readonly peeks = new FilePeeks();
  /** What the headers of the current run's files say (URI string → peek). */
  private peeked = new Map<string, PeekResult>();

  constructor(private readonly deps: CompareDeps) {}

  /** The whole command. Errors are reported here; a dismissed pick ends the flow quietly. */
  async run(args: CompareArgs = {}): Promise<void> {
    // The worker starts while the user picks files.
    this.deps.worker.warm();
    try {
      await this.runOrThrow(args ?? {});
    } catch (e) {
      // A file that is no tensor file (a Git LFS pointer, a text file): one notification, offering to open it as text.
      const asText = e instanceof WorkerFailure && e.info.kind && NOT_A_TENSOR_FILE.has(e.info.kind) ? e.info.fileUri : undefined;
      void this.deps.logger.showError(e, 'Compare Losses', asText ? ['Open as Text'] : []).then((choice) => {
        if (asText && choice === 'Open as Text') void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.parse(asText, true), 'default');
      });
    }
  }

  private async runOrThrow(args: CompareArgs): Promise<void> {
    if (typeof args !== 'object' || args === null) throw new Error('Compare Losses: the argument must be {logits?, target?, options?}');
    const base = args.optionsBase === 'defaults' ? { ...DEFAULT_OPTIONS } : this.deps.settings.value.options;
    const options = mergeOptions(base, args.options);
    let logits = typeof args.logits === 'string' && args.logits !== '' ? this.side(args.logits) : undefined;
    let target = typeof args.target === 'string' && args.target !== '' ? this.side(args.target) : undefined;

    let files: vscode.Uri[] | undefined;
    const workspaceFiles = async () => (files ??= await this.usableFiles(await findTensorFiles()));

    if (!logits && !target) {
      const picked = await this.pickFirst(await workspaceFiles());
      if (!picked) return;
      ({ logits, target } = picked);
    } else if (!logits) {
      logits = await this.pickFile('logits', await workspaceFiles(), target!);
      if (!logits) return;
    }
    if (!logits) return;

    if (!target) {
      // Resolve the logits' key first: a container may hold the target too, and a known shape ranks targets.
      const pair = await this.resolveKey(logits, 'logits', undefined, true);
      if (pair === undefined) return;
      if (pair) target = pair;
      else {
        target = await this.pickFile('target', await workspaceFiles(), logits);
        if (!target) return;
      }
    }
    if ((await this.resolveKey(logits, 'logits', target, false)) === undefined) return;
    if ((await this.resolveKey(target, 'target', logits, false)) === undefined) return;

    await this.deps.panels.show({
      logits: { uri: logits.uri.toString(), key: logits.key },
      target: { uri: target.uri.toString(), key: target.key },
      options,
      explicit: Object.entries(args.options ?? {}).filter(([, v]) => v !== undefined).map(([k]) => k),
      ...(args.inspect ? { inspect: args.inspect } : {}),
    });
  }

  /**
   * The workspace's tensor files the picker may offer: their headers peeked (dtype, shape for the rows and the
   * ranking), without the files that are no tensor files or failed to read in this session (logged, never proposed).
   */
  private async usableFiles(files: vscode.Uri[]): Promise<vscode.Uri[]> {
    this.peeked = await this.peeks.peekAll(files);
    const { usable, skipped } = partitionFiles(files, (u) => u.toString(), (u) => this.peeked.get(u.toString()), (id) => this.deps.failedFiles?.get(id));
    for (const s of skipped) this.deps.logger.info(`Compare Losses: not offering ${relPath(s.file)}: ${s.why}`);
    return usable;
  }

  private side(spec: string): Side {
    const s = parseTensorRef(spec, isUriString(spec) ? undefined : namesLocalFile);
    return { uri: toUri(s.uri), key: s.key };
  }

  /** Step 1 with nothing prefilled: proposed pairs first, then every file as the logits. */
  private async pickFirst(files: vscode.Uri[]): Promise<{ logits: Side; target?: Side } | undefined> {
    if (files.length === 0) {
      const u = await this.browse('logits');
      return u ? { logits: { uri: u, key: null } } : undefined;
    }
    const byId = new Map(files.map((u) => [u.toString(), u]));
    const cands = files.map((u) => fileCandidate(u, this.peeked.get(u.toString())));
    const pairs = proposePairs(cands);
    type V = { logits: vscode.Uri; target?: vscode.Uri } | 'browse';
    const items: PickItem<V>[] = [];
    if (pairs.length) {
      items.push(separator('Proposed pairs (logits ↔ target)'));
      for (const p of pairs) items.push(this.pairItem(p, byId));
    }
    items.push(separator('Logits file'));
    for (const c of rankLogits(cands)) {
      const u = byId.get(c.id)!;
      items.push({ label: `$(file-binary) ${baseName(u.path)}`, description: rowDescription(relPath(u), this.peeked.get(c.id)), value: { logits: u } });
    }
    items.push(separator(''), { label: '$(folder-opened) Browse…', description: 'a tensor file outside the workspace', value: 'browse' });
    const choice = await vscode.window.showQuickPick(items, {
      title: 'Compare Losses (1/2): the logits — or a proposed pair',
      placeHolder: 'Pick a proposed pair, or the file holding the logits',
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!choice?.value) return undefined;
    if (choice.value === 'browse') {
      const u = await this.browse('logits');
      return u ? { logits: { uri: u, key: null } } : undefined;
    }
    return { logits: { uri: choice.value.logits, key: null }, ...(choice.value.target ? { target: { uri: choice.value.target, key: null } } : {}) };
  }

  private pairItem(p: ScoredPair, byId: Map<string, vscode.Uri>): PickItem<{ logits: vscode.Uri; target: vscode.Uri }> {
    const l = byId.get(p.logits.id)!;
    const t = byId.get(p.target.id)!;
    const sameDir = dirName(l.path) === dirName(t.path);
    const [dl, dt] = [relativeDir(relPath(l)), relativeDir(relPath(t))];
    const at = sameDir ? dl : `${dl || '.'} ↔ ${dt || '.'}`;
    const shapes = [peekText(this.peeked.get(p.logits.id)), peekText(this.peeked.get(p.target.id))];
    return {
      label: `$(arrow-swap) ${baseName(l.path)} ↔ ${baseName(t.path)}`,
      description: shapes.every((x) => x === '') ? at : `${shapes.map((x) => x || '?').join(' ↔ ')}${at ? `  ·  ${at}` : ''}`,
      detail: p.reasons.join(' · '),
      value: { logits: l, target: t },
    };
  }

  /** Picks the file for `role`, ranked against the other side. */
  private async pickFile(role: 'logits' | 'target', files: vscode.Uri[], other: Side): Promise<Side | undefined> {
    const otherPeek = this.peeked.get(other.uri.toString());
    const otherCand: Candidate = other.listing && other.key !== null
      ? entryCandidates(other.uri, other.listing).find((c) => c.key === other.key) ?? fileCandidate(other.uri, otherPeek)
      : fileCandidate(other.uri, otherPeek);
    const byId = new Map(files.map((u) => [u.toString(), u]));
    const cands = files.map((u) => fileCandidate(u, this.peeked.get(u.toString()))).filter((c) => c.id !== other.uri.toString());
    const ranked = role === 'target' ? rankTargets(otherCand, cands).map((p) => p.target) : rankLogitsFor(otherCand, cands).map((p) => p.logits);
    const items: PickItem<vscode.Uri | 'browse'>[] = [];
    for (const c of ranked) {
      const u = byId.get(c.id)!;
      items.push({ label: `$(file-binary) ${baseName(u.path)}`, description: rowDescription(relPath(u), this.peeked.get(c.id)), value: u });
    }
    items.push(separator(''), { label: '$(folder-opened) Browse…', description: 'a tensor file outside the workspace', value: 'browse' });
    const otherText = other.listing && other.key !== null ? describeEntry(other.listing, other.key) : peekText(otherPeek);
    const otherName = `${tensorRefLabel({ uri: other.uri.toString(), key: other.key })}${otherText ? ` (${otherText})` : ''}`;
    const choice = await vscode.window.showQuickPick(items, {
      title: `Compare Losses (2/2): the ${role} for ${otherName}`,
      placeHolder: role === 'target' ? 'Pick the file holding the target (labels, segmentation, mask…)' : 'Pick the file holding the logits',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!choice?.value) return undefined;
    if (choice.value === 'browse') {
      const u = await this.browse(role);
      return u ? { uri: u, key: null } : undefined;
    }
    return { uri: choice.value, key: null };
  }

  private async browse(role: 'logits' | 'target'): Promise<vscode.Uri | undefined> {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: `Use as ${role}`,
      title: `Loss Inspector: the ${role} file`,
      filters: { 'Tensor files': TENSOR_FILE_GLOBS.map((g) => g.slice(2)) },
    });
    return picked?.[0];
  }

  private async list(side: Side): Promise<TensorListing> {
    if (side.listing) return side.listing;
    const name = baseName(side.uri.path);
    try {
      side.listing = await runJob({ title: `Loss Inspector: reading ${name}` }, (call) =>
        this.deps.worker.list(side.uri.toString(), this.deps.settings.limits, call),
      );
    } catch (e) {
      if (e instanceof Error && e.name === 'TensorFileError') this.deps.failedFiles?.record(side.uri.toString(), oneLine(e));
      throw e;
    }
    this.deps.failedFiles?.clear(side.uri.toString());
    return side.listing;
  }

  /**
   * Settles `side.key` for a container file (quick pick over its tensors, ranked for `role`). With
   * `offerPairs` (the logits when no target is chosen yet) pairs of tensors inside the same file are proposed
   * too, and choosing one returns the target side. Returns undefined when the user dismissed the pick,
   * null when only the key was settled.
   */
  private async resolveKey(side: Side, role: 'logits' | 'target', other: Side | undefined, offerPairs: boolean): Promise<Side | null | undefined> {
    if (side.key !== null || !mayHoldSeveral(side.uri)) return null;
    const listing = await this.list(side);
    const entries = entryCandidates(side.uri, listing);
    if (entries.length === 0) throw new Error(`${baseName(side.uri.path)}: holds no tensors`);
    if (entries.length === 1) {
      side.key = entries[0]!.key;
      return null;
    }
    const name = baseName(side.uri.path);
    type V = { key: string; pairWith?: string };
    const items: PickItem<V>[] = [];
    const describe = (c: Candidate) => `${c.dtype} · ${formatShape(c.shape ?? [])}`;
    if (offerPairs) {
      const pairs = proposePairs(entries, 3);
      if (pairs.length) {
        items.push(separator(`Proposed pairs in ${name} (logits ↔ target)`));
        for (const p of pairs) {
          items.push({
            label: `$(arrow-swap) ${p.logits.key} ↔ ${p.target.key}`,
            description: `${describe(p.logits)} ↔ ${describe(p.target)}`,
            detail: p.reasons.join(' · '),
            value: { key: p.logits.key!, pairWith: p.target.key! },
          });
        }
        items.push(separator(`The ${role} in ${name}`));
      }
    }
    let ordered: Candidate[];
    if (other) {
      const otherEntry = other.listing && other.key !== null ? entryCandidates(other.uri, other.listing).find((c) => c.key === other.key) : undefined;
      const o = otherEntry ?? fileCandidate(other.uri);
      ordered = (role === 'target' ? rankTargets(o, entries).map((p) => p.target) : rankLogitsFor(o, entries).map((p) => p.logits));
    } else {
      ordered = role === 'logits' ? rankLogits(entries) : [...entries].sort((a, b) => roleEvidence(b, 'target') - roleEvidence(a, 'target'));
    }
    for (const c of ordered) items.push({ label: c.key === '' ? '(unnamed)' : c.key!, description: describe(c), value: { key: c.key! } });
    const choice = await vscode.window.showQuickPick(items, {
      title: `Compare Losses: the ${role} tensor in ${name}`,
      placeHolder: `${name} holds ${entries.length} tensors${listing.nonTensorCount ? ` (and ${listing.nonTensorCount} other values)` : ''}`,
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!choice?.value) return undefined;
    side.key = choice.value.key;
    if (choice.value.pairWith !== undefined) return { uri: side.uri, key: choice.value.pairWith, listing };
    return null;
  }
}

/**
 * The explorer's *Compare Losses With…* on one or two selected files: two files are ordered by the pairing
 * heuristics, one file goes to the side its name suggests (target-looking names as the target).
 */
export function argsForSelection(selected: vscode.Uri[]): CompareArgs {
  if (selected.length >= 2) {
    const [a, b] = [fileCandidate(selected[0]!), fileCandidate(selected[1]!)];
    const ab = pairScore(a, b).score;
    const ba = pairScore(b, a).score;
    const [l, t] = ab >= ba ? [selected[0]!, selected[1]!] : [selected[1]!, selected[0]!];
    return { logits: l.toString(), target: t.toString() };
  }
  const only = selected[0];
  if (!only) return {};
  const c = fileCandidate(only);
  return roleEvidence(c, 'target') > 0 ? { target: only.toString() } : { logits: only.toString() };
}
