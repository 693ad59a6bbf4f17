/**
 * The loss comparison webview panel (`lossInspector.comparison`): one panel per (logits, target) pair, so two
 * checkpoints can be compared side by side; asking again for a shown pair reveals its panel (createOrShow).
 *
 * Data flow: the webview posts `ready`, the host answers `init` with the {@link ComparisonState} (again after
 * every reload of the hidden webview: `retainContextWhenHidden` is off, the state lives here); the handshake,
 * requests (each gets exactly one `ok`/`error` reply) and gated posting are {@link WebviewHost}'s. Reports are computed in
 * the worker, which keeps the pair's tensors loaded, so a recompute with other options reads nothing.
 * After a window reload, {@link ComparisonPanels}' serializer restores each panel from the
 * {@link PersistedComparison} the webview saved with `setState`.
 */
import * as vscode from 'vscode';
import type { LossOptions } from '../engine/types';
import type { ComparisonFailure, ComparisonProtocol, ComparisonRequests, ComparisonState, InspectCaveats, LabeledTensorRef, PersistedComparison } from '../protocol/messages';
import { viewSweepGrid } from '../engine/sweepGrid';
import { pythonName } from '../engine/optionSchema';
import { reportForView, viewNames, type ClassPager } from '../protocol/classPage';
import { findClassNames } from './classNames';
import type { FailedFiles } from './failedFiles';
import { Disposable } from './dispose';
import { comparisonProblem } from './comparisonProblem';
import { isCancellation, oneLine, type Logger } from './logging';
import { optionsOnReveal } from './panelOptions';
import { runJob } from './progress';
import type { RequestHandlers } from './requestDispatcher';
import type { Settings } from './settings';
import { caveatsAfterEdit, invalidMessage } from './inspectCaveats';
import { mergeOptions, suggestOptionFix } from './settingsModel';
import { tensorRefLabel, type TensorRef } from '../readers/tensorRef';
import type { FileUsage } from './usage';
import { saveText } from './saveText';
import { WebviewHost } from './webviewHost';
import { initWebview } from './webviewResources';
import { WorkerFailure, type CallOptions, type WorkerClient } from './workerClient';
import { errorDetails } from './errorText';

export const COMPARISON_VIEW_TYPE = 'lossInspector.comparison';

export interface ComparisonDeps {
  extensionUri: vscode.Uri;
  worker: WorkerClient;
  settings: Settings;
  logger: Logger;
  usage: FileUsage;
  /**
   * Called with C after every successful report of a comparison opened from a Python file (`sourceUri`):
   * that file's lenses use it when the code does not state C.
   */
  onNumClasses(c: number, sourceUri: string): void;
  /** Files whose read failed in this session (the picker never proposes them as partners). */
  failedFiles?: FailedFiles;
}

/** What a panel shows: the pair and the options (keys may be null = "the only tensor"). */
export interface PairRequest {
  logits: TensorRef;
  target: TensorRef;
  options: LossOptions;
  /** Option keys the caller set explicitly (command argument, CodeLens): never changed automatically. */
  explicit?: string[];
  /** From *Inspect with these settings…*: the call, and what it could not apply (a panel of its own). */
  inspect?: InspectCaveats;
}

/**
 * A panel's identity: the pair, and for an Inspect the call it came from — so Inspect opens a panel of its
 * own and never changes the options of one the user set up for the same pair.
 */
export function pairKey(p: { logits: TensorRef; target: TensorRef; inspect?: { sourceUri: string; line: number } | undefined }): string {
  const pair = `${p.logits.uri}#${p.logits.key ?? ''}\u0000${p.target.uri}#${p.target.key ?? ''}`;
  return p.inspect ? `${pair}\u0000inspect:${p.inspect.sourceUri}:${p.inspect.line}` : pair;
}

function pairLabel(p: PairRequest): string {
  return `${tensorRefLabel(p.logits)} ↔ ${tensorRefLabel(p.target)}`;
}

function ref(uri: string, key: string): LabeledTensorRef {
  return { uri, key, label: tensorRefLabel({ uri, key }) };
}

/**
 * Computes a comparison state in the worker (report + ε sweep, class names, volume info, timings). With a vocabulary
 * the state holds the table's selection of classes and `pager` every class (classPage.ts).
 */
export async function computeComparison(deps: ComparisonDeps, req: PairRequest, call: CallOptions): Promise<{ state: ComparisonState; pager: ClassPager | null }> {
  const r = await deps.worker.report(
    {
      logits: req.logits,
      target: req.target,
      options: req.options,
      sweepEps: viewSweepGrid(req.options.labelSmoothing),
      limits: deps.settings.limits,
    },
    call,
  );
  if (r.sweepError) deps.logger.warn(`ε sweep unavailable: ${r.sweepError}`);
  const allNames = await findClassNames(deps.settings.value.classNames, req.logits.uri, req.target.uri);
  const shape = r.logitsShape;
  const view = reportForView(r.report, allNames);
  const state: ComparisonState = {
    logits: ref(req.logits.uri, r.logitsKey),
    target: ref(req.target.uri, r.targetKey),
    options: req.options,
    report: view.report,
    ...(view.table ? { classTable: view.table } : {}),
    sweep: r.sweep,
    classNames: view.names,
    volume: shape.length >= 4 ? { batch: shape[0]!, spatial: shape.slice(2) } : null,
    timings: { readMs: r.readMs, computeMs: r.computeMs },
    ...(req.inspect ? { inspect: req.inspect } : {}),
  };
  return { state, pager: view.pager };
}

export class ComparisonPanel extends WebviewHost<ComparisonProtocol> {
  private state: ComparisonState | undefined;
  /** Every class of the shown state's report when the state holds only the selection (a vocabulary). */
  private pager: ClassPager | null = null;
  private request: PairRequest;
  private initSent = false;
  /** The error the view shows instead of numbers (see `block`). */
  private blocked: string | undefined;
  /** The last computation failed: the view shows this problem in place (cleared by the next result). */
  private failure: ComparisonFailure | undefined;
  private busy = 0;
  private generation = 0;
  /** Notices for the view, held until it has its state (it shows notices only then). */
  private readonly pendingNotices: string[] = [];
  private readonly disposed = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposed.event;

  constructor(
    override readonly panel: vscode.WebviewPanel,
    request: PairRequest,
    private readonly deps: ComparisonDeps,
  ) {
    super(panel, 'comparison view', { info: (l) => deps.logger.info(l), warn: (l) => deps.logger.warn(l), isQuiet: isCancellation });
    this.request = request;
    this._register(deps.usage.acquire([request.logits.uri, request.target.uri]));
  }

  get key(): string {
    return pairKey(this.request);
  }

  /** `Loss: a.npy ↔ b.npy`, and for an Inspect panel the call it came from (` · train.py:17`). */
  get title(): string {
    return `Loss: ${pairLabel(this.request)}${this.request.inspect ? ` · ${this.request.inspect.label}` : ''}`;
  }

  async setHtml(): Promise<void> {
    this.panel.title = this.title;
    await initWebview(this.panel.webview, this.deps.extensionUri, 'comparison', this.title);
  }

  /**
   * Computes (or recomputes) the comparison with `options` and shows it. A comparison that cannot be computed
   * (a file that cannot be read, options or data the engine refuses) resolves with the failure, which the view
   * shows in place with the options still editable — no notification: the view is where the user fixes it.
   * Rejects only when cancelled. With `replyOnly` (the webview's own recompute request) the outcome goes back
   * only in the response, not also as a push.
   */
  async compute(options: LossOptions, why: 'open' | 'recompute' | 'restore', replyOnly = false, signal?: AbortSignal): Promise<ComparisonState | ComparisonFailure> {
    const gen = ++this.generation;
    this.setBusy(+1, why === 'recompute' ? 'Recomputing…' : 'Reading and computing…');
    try {
      const outcome = await this.computeWithFixes(options, why, signal);
      const current = gen === this.generation && !this.isDisposed;
      if ('error' in outcome) {
        if (isCancellation(outcome.error)) throw outcome.error;
        const failure = this.failureOf(outcome.error, outcome.options);
        const err = outcome.error;
        if (err instanceof WorkerFailure && err.info.name === 'TensorFileError' && err.info.fileUri) this.deps.failedFiles?.record(err.info.fileUri, failure.problem.message);
        this.deps.logger.warn(`${this.title.slice(6)}: ${failure.problem.message}`);
        const details = errorDetails(outcome.error);
        if (details) this.deps.logger.warn(details);
        if (current) {
          this.failure = failure;
          this.pendingNotices.push(...outcome.fixes);
          if (!replyOnly || !this.initSent) this.sendFailure();
        }
        return failure;
      }
      const { state, pager, fixes } = outcome;
      if (state.inspect) this.deps.onNumClasses(state.report.numClasses, state.inspect.sourceUri);
      this.deps.logger.info(
        `${state.logits.label} ↔ ${state.target.label}: ${state.options.loss}, ε = ${state.options.labelSmoothing}; ` +
          `read ${state.timings.readMs.toFixed(0)} ms, compute ${state.timings.computeMs.toFixed(0)} ms`,
      );
      this.deps.failedFiles?.clear(state.logits.uri, state.target.uri);
      if (current) {
        this.state = state;
        this.failure = undefined;
        this.pager = pager;
        this.request = {
          logits: { uri: state.logits.uri, key: state.logits.key },
          target: { uri: state.target.uri, key: state.target.key },
          options: state.options,
          explicit: this.request.explicit,
          ...(state.inspect ? { inspect: state.inspect } : {}),
        };
        this.pendingNotices.push(...fixes);
        if (!replyOnly || !this.initSent) this.sendState();
      }
      return state;
    } finally {
      this.setBusy(-1);
    }
  }

  /** The failure the view shows: this panel's pair, the options that failed, the problem in the user's words. */
  private failureOf(e: unknown, options: LossOptions): ComparisonFailure {
    const r = this.request;
    return {
      logits: ref(r.logits.uri, r.logits.key ?? ''),
      target: ref(r.target.uri, r.target.key ?? ''),
      options,
      ...(r.inspect ? { inspect: r.inspect } : {}),
      problem: comparisonProblem(e, options),
    };
  }

  /**
   * Opening or restoring: when the engine refuses the options for a reason one boolean flip fixes (MONAI's
   * "set to_onehot_y"), and the caller did not ask for that option explicitly, the flip is applied and said
   * in a notice — the comparison opens with the options shown and editable, rather than not at all.
   */
  private async computeWithFixes(
    options: LossOptions,
    why: 'open' | 'recompute' | 'restore',
    signal?: AbortSignal,
  ): Promise<{ state: ComparisonState; pager: ClassPager | null; fixes: string[] } | { error: unknown; options: LossOptions; fixes: string[] }> {
    const fixes: string[] = [];
    const tried = new Set<string>();
    let opts = options;
    for (;;) {
      try {
        const { state, pager } = await runJob(
          { title: `Loss Inspector: ${why === 'recompute' ? 'recomputing' : 'comparing'} ${this.title.slice(6)}`, ...(signal ? { signal } : {}) },
          (call) =>
            computeComparison(this.deps, { ...this.request, options: opts }, {
              ...call,
              onProgress: (m) => {
                call.onProgress?.(m);
                if (this.busy > 0) this.post({ type: 'busy', busy: true, message: m });
              },
            }),
        );
        return { state, pager, fixes };
      } catch (e) {
        const option = e instanceof WorkerFailure ? e.info.option : undefined;
        const fix = why === 'recompute' ? null : suggestOptionFix(option, opts);
        if (!fix || tried.has(fix.option) || this.request.explicit?.includes(fix.option)) return { error: e, options: opts, fixes };
        tried.add(fix.option);
        const name = pythonName(fix.option);
        fixes.push(`${name} was turned ${fix.value ? 'on' : 'off'} for this comparison: with it ${fix.value ? 'off' : 'on'}, ${oneLine(e)}`);
        this.deps.logger.info(`${this.title.slice(6)}: retrying with ${name} = ${fix.value} (${oneLine(e)})`);
        opts = fix.options;
      }
    }
  }

  /** Pushes new settings-derived data (class names) into a shown comparison. */
  async refreshClassNames(): Promise<void> {
    if (!this.state) return;
    const names = await findClassNames(this.deps.settings.value.classNames, this.state.logits.uri, this.state.target.uri);
    if (!this.state) return;
    // A vocabulary's state carries the names of the classes it shows; its pages those of their rows.
    if (this.pager) this.pager.names = names;
    this.state = { ...this.state, classNames: this.pager ? viewNames(this.state.report, this.state.report.perClass ?? [], names) : names };
    this.sendState();
  }

  private sendState(): void {
    if (!this.state || !this.isWebviewReady) return;
    if (this.initSent) this.post({ type: 'update', state: this.state });
    else {
      this.post({ type: 'init', view: 'comparison', state: this.state });
      this.initSent = true;
    }
    // After the state: the view shows notices only once it has laid itself out.
    for (const message of this.pendingNotices.splice(0)) this.post({ type: 'notice', level: 'info', message });
  }

  private sendFailure(): void {
    if (!this.failure || !this.isWebviewReady) return;
    this.post({ type: 'failed', failure: this.failure });
    this.initSent = true;
    for (const message of this.pendingNotices.splice(0)) this.post({ type: 'notice', level: 'info', message });
  }

  private setBusy(delta: number, message?: string): void {
    this.busy = Math.max(0, this.busy + delta);
    if (delta > 0) this.post({ type: 'busy', busy: true, ...(message ? { message } : {}) });
    else if (this.busy === 0) this.post({ type: 'busy', busy: false });
  }

  /** A (re)loaded webview: it has no state until it gets init. */
  protected onReady(): void {
    this.initSent = false;
    if (this.state) {
      this.sendState();
      if (this.failure) this.sendFailure();
    } else if (this.failure) this.sendFailure();
    else if (this.blocked) this.post({ type: 'notice', level: 'error', message: this.blocked });
    else if (this.busy > 0) this.post({ type: 'busy', busy: true, message: 'Reading and computing…' });
  }

  protected handlers(): RequestHandlers<ComparisonRequests> {
    return {
      recompute: async ({ options }, { signal }) => {
        const base = this.state?.options ?? this.request.options;
        const merged = mergeOptions(base, options);
        // An option the user sets here answers the Inspect note about it.
        if (this.request.inspect) this.request = { ...this.request, inspect: caveatsAfterEdit(this.request.inspect, base, merged) };
        // a newer recompute from the view aborts this one: the worker stops its job
        return this.compute(merged, 'recompute', true, signal);
      },
      slice: async (request, { signal }) => {
        const s = this.state;
        if (!s) throw new Error('no comparison loaded yet');
        return runJob({ title: 'Loss Inspector: slicing', delayMs: 800, signal }, (call) =>
          this.deps.worker.slice(
            { logits: { uri: s.logits.uri, key: s.logits.key }, target: { uri: s.target.uri, key: s.target.key }, options: s.options, request, limits: this.deps.settings.limits },
            call,
          ),
        );
      },
      openAsText: async ({ uri }) => {
        // Only the pair's own files: the view names one that is not a tensor file.
        if (uri !== this.request.logits.uri && uri !== this.request.target.uri) throw new Error('openAsText: not a file of this comparison');
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.parse(uri, true), 'default');
        return {};
      },
      classPage: async (req) => {
        if (!this.pager) throw new Error(this.state ? 'this comparison lists every class in its state: there are no pages to ask for' : 'no comparison loaded yet');
        return this.pager.page(req);
      },
      save: (p) => saveText(p, this.request.logits.uri),
      copy: async ({ text }) => {
        await vscode.env.clipboard.writeText(String(text));
        return {};
      },
    };
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.disposed.fire();
    super.dispose();
  }

  /** What the serializer needs if the webview never saved its state. */
  get persisted(): PersistedComparison | undefined {
    const s = this.state ?? this.failure;
    return s ? { view: 'comparison', logits: s.logits, target: s.target, options: s.options, ...(s.inspect ? { inspect: s.inspect } : {}) } : undefined;
  }

  /** The call this Inspect panel comes from was inspected again: its notes replace the old ones. */
  setInspect(inspect: InspectCaveats): void {
    this.request = { ...this.request, inspect };
    if (this.state && JSON.stringify(this.state.inspect) !== JSON.stringify(inspect)) {
      this.state = { ...this.state, inspect };
      this.sendState();
    }
  }

  /** Shows `message` as the view's error instead of computing (a value torch rejects: no numbers). */
  block(message: string): void {
    this.blocked = message;
    this.post({ type: 'notice', level: 'error', message });
  }
}

function isInspectCaveats(c: unknown): c is InspectCaveats {
  if (typeof c !== 'object' || c === null) return false;
  const x = c as Partial<InspectCaveats>;
  const notes = (l: unknown) => Array.isArray(l) && l.every((n) => typeof n === 'object' && n !== null && typeof n.param === 'string' && typeof n.text === 'string' && typeof n.reason === 'string');
  return typeof x.sourceUri === 'string' && typeof x.line === 'number' && typeof x.label === 'string' && notes(x.notApplied) && notes(x.invalid);
}

function isPersistedComparison(s: unknown): s is PersistedComparison {
  if (typeof s !== 'object' || s === null) return false;
  const p = s as Partial<PersistedComparison>;
  const okRef = (r: unknown) => typeof r === 'object' && r !== null && typeof (r as LabeledTensorRef).uri === 'string' && typeof (r as LabeledTensorRef).key === 'string';
  return p.view === 'comparison' && okRef(p.logits) && okRef(p.target) && typeof p.options === 'object' && p.options !== null;
}

/** All comparison panels: createOrShow per pair, restore after reload, settings changes. */
export class ComparisonPanels extends Disposable implements vscode.WebviewPanelSerializer<unknown> {
  private readonly panels = new Map<string, ComparisonPanel>();

  constructor(private readonly deps: ComparisonDeps) {
    super();
    this._register(vscode.window.registerWebviewPanelSerializer(COMPARISON_VIEW_TYPE, this));
    this._register(deps.settings.onDidChange(() => this.panels.forEach((p) => void p.refreshClassNames())));
  }

  /**
   * Shows the comparison of a pair: reveals its panel or opens one. A shown panel keeps its own options (its
   * edits); only what the request states explicitly (command argument, CodeLens) is applied to it. A pair that
   * cannot be computed still opens, with the problem in the view.
   */
  async show(req: PairRequest): Promise<void> {
    const existing = this.panels.get(pairKey(req));
    if (existing && req.inspect?.invalid.length) existing.panel.dispose(); // no numbers for a rejected value: a fresh view with the error
    else if (existing) {
      if (req.inspect) existing.setInspect(req.inspect);
      existing.panel.reveal();
      const cur = existing.persisted?.options;
      // An Inspect panel stands for its call: the call's options (over the defaults) are what it shows.
      const next = !cur ? req.options : req.inspect ? (JSON.stringify(cur) !== JSON.stringify(req.options) ? req.options : null) : optionsOnReveal(cur, req.options, req.explicit);
      if (next) await existing.compute(next, 'recompute').catch(() => undefined);
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARISON_VIEW_TYPE, 'Loss Inspector', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
    });
    const p = this.adopt(panel, req);
    const html = p.setHtml();
    if (req.inspect && req.inspect.invalid.length > 0) {
      await html;
      p.block(invalidMessage(req.inspect));
      return;
    }
    // The computation starts while the webview loads: a state (or a failure) ready before the webview is sent on
    // its `ready`. Only a cancellation (the user stopped the read) rejects: the panel then closes quietly.
    await Promise.all([html, p.compute(req.options, 'open')]).catch((e: unknown) => {
      panel.dispose();
      if (!isCancellation(e)) this.deps.logger.showError(e, `Comparing ${pairLabel(req)}`);
    });
  }

  /** The open panel showing a pair, if any (a source that feeds a panel, e.g. the debugger, drives it). */
  find(pair: Pick<PairRequest, 'logits' | 'target'>): ComparisonPanel | undefined {
    return this.panels.get(pairKey(pair));
  }

  /** Restores a panel after a window reload from the state its webview saved. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isPersistedComparison(state)) {
      this.deps.logger.warn('a comparison panel could not be restored (no saved state); closing it');
      panel.dispose();
      return;
    }
    let options: LossOptions;
    try {
      options = mergeOptions(this.deps.settings.value.options, state.options);
    } catch (e) {
      this.deps.logger.warn(`restoring a comparison: saved options are invalid (${oneLine(e)}); using the settings`);
      options = this.deps.settings.value.options;
    }
    const req: PairRequest = {
      logits: { uri: state.logits.uri, key: state.logits.key },
      target: { uri: state.target.uri, key: state.target.key },
      options,
      ...(isInspectCaveats(state.inspect) ? { inspect: state.inspect } : {}),
    };
    const dup = this.panels.get(pairKey(req));
    if (dup) {
      panel.dispose();
      dup.panel.reveal();
      return;
    }
    const p = this.adopt(panel, req);
    await p.setHtml();
    // A comparison that cannot be computed any more (file gone, changed shape) shows why, in place.
    await p.compute(options, 'restore').catch((e: unknown) => {
      panel.dispose();
      if (!isCancellation(e)) this.deps.logger.showError(e, `Restoring ${pairLabel(req)}`);
    });
  }

  private adopt(panel: vscode.WebviewPanel, req: PairRequest): ComparisonPanel {
    const p = new ComparisonPanel(panel, req, this.deps);
    const key = p.key;
    this.panels.set(key, p);
    p.onDidDispose(() => {
      if (this.panels.get(key) === p) this.panels.delete(key);
    });
    return p;
  }

  override dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    this.panels.clear();
    super.dispose();
  }
}
