/**
 * Comparisons fed from a paused Python debugger:
 * - `lossInspector.compareFromDebugger` (*Compare Losses from Debugger…*, palette while a session is stopped):
 *   lists the selected frame's tensors and arrays (locals, then globals), proposes logits/target pairs ranked like
 *   file pairs (candidates.ts), reads the chosen two (transfer.ts) and opens the comparison view;
 * - `lossInspector.compareLossWith` (*Compare Loss With…* on a variable in the Variables view): pairs that
 *   variable with another tensor of the frame;
 * - `lossInspector.refreshFromDebugger` (*Refresh from Debugger*, the view's title bar): reads the same two
 *   expressions again at the current stop and recomputes the view, so one view follows training step by step.
 *
 * The bytes are held by a {@link DebugTensorStore} under `loss-inspector-debug:` URIs, which the comparison
 * panel reads like any file; this class remembers, per view, the two expressions (the view's "source").
 */
import * as vscode from 'vscode';
import { isComparisonFailure } from '../../protocol/messages';
import type { ComparisonPanel, ComparisonPanels, PairRequest } from '../comparisonPanel';
import { Disposable } from '../dispose';
import type { Logger } from '../logging';
import { runJob } from '../progress';
import type { Settings } from '../settings';
import { partnersFor, proposeFramePairs, rankFrameLogits } from './candidates';
import type { DescribedTensor, TensorInfo } from './pythonHelper';
import { DEBUG_TENSOR_SCHEME, DebugTensorStore } from './tensorStore';
import {
  DebugReadError, describeValue, fetchTensors, listFrameTensors, PYTHON_DEBUG_TYPES, pythonSessionProblem, type FetchOptions,
} from './transfer';
import { formatShape } from '../../engine/tensor';

export const DEBUGGER_COMMANDS = {
  compareFromDebugger: 'lossInspector.compareFromDebugger',
  compareLossWith: 'lossInspector.compareLossWith',
  refreshFromDebugger: 'lossInspector.refreshFromDebugger',
} as const;

/** Context keys: the focused comparison view reads from the debugger (its title shows *Refresh from Debugger*); some view does. */
const CONTEXT_FOCUSED = 'lossInspector.debuggerComparisonFocused';
const CONTEXT_ANY = 'lossInspector.hasDebuggerComparison';
/** Context key: the debug types read as Python (`debugType in …` keeps the Variables view menu to them). */
const CONTEXT_TYPES = 'lossInspector.pythonDebugTypes';
const LIMIT_SETTING = 'lossInspector.debugger.maxTensorMB';
const TYPES_SETTING = 'lossInspector.debugger.debugTypes';

interface StoppedFrame {
  session: vscode.DebugSession;
  frameId: number;
}

/** What a debugger-fed view reads: two expressions, evaluated in the selected frame at each refresh. */
interface DebugSource {
  logits: string;
  target: string;
  request: PairRequest;
  panel: ComparisonPanel;
  subscriptions: vscode.Disposable[];
}

/** The argument VS Code passes to a `debug/variables/context` command. */
interface VariableContext {
  sessionId?: string;
  variable?: { name?: string; evaluateName?: string };
}

/** Test and scripting argument of the commands: skips the quick picks. */
export interface DebugCompareArgs {
  logits?: string;
  target?: string;
}

export interface DebugComparisonDeps {
  panels: ComparisonPanels;
  /** Where the read tensors are kept (the worker client reads them from it). */
  store: DebugTensorStore;
  settings: Settings;
  logger: Logger;
}

type PickItem<T> = vscode.QuickPickItem & { value?: T };

export class DebugComparisons extends Disposable {
  private readonly store: DebugTensorStore;
  private readonly sources = new Map<string, DebugSource>();
  /** Stable URI folder per expression pair, so reopening the same pair reuses its view. */
  private readonly ids = new Map<string, number>();
  private focused: DebugSource | undefined;
  /** The view last opened, refreshed or focused: what Refresh from the palette refreshes. */
  private lastUsed: DebugSource | undefined;
  private readonly ended = new Set<string>();

  constructor(private readonly deps: DebugComparisonDeps) {
    super();
    this.store = deps.store;
    this._register(DebugTensorStore.register(this.store));
    this._register(vscode.debug.onDidTerminateDebugSession((s) => this.ended.add(s.id)));
    const setTypes = () => void vscode.commands.executeCommand('setContext', CONTEXT_TYPES, [...PYTHON_DEBUG_TYPES, ...deps.settings.value.debuggerDebugTypes]);
    setTypes();
    this._register(deps.settings.onDidChange(setTypes));
    this._register(
      vscode.commands.registerCommand(DEBUGGER_COMMANDS.compareFromDebugger, (args?: DebugCompareArgs) =>
        this.guard('Compare Losses from Debugger', () => this.compareFromDebugger(args)),
      ),
    );
    this._register(
      vscode.commands.registerCommand(DEBUGGER_COMMANDS.compareLossWith, (ctx?: VariableContext, args?: DebugCompareArgs) =>
        this.guard('Compare Loss With', () => this.compareLossWith(ctx, args)),
      ),
    );
    this._register(
      vscode.commands.registerCommand(DEBUGGER_COMMANDS.refreshFromDebugger, (args?: DebugCompareArgs) =>
        this.guard('Refresh from Debugger', () => this.refresh(args)),
      ),
    );
  }

  /**
   * Runs a command; its errors become one notification (not a rejection: VS Code would add a modal "command
   * resulted in an error" for the same problem).
   */
  private async guard(doing: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      void this.deps.logger.showError(e, doing);
    }
  }

  private async compareFromDebugger(args: DebugCompareArgs = {}): Promise<void> {
    const frame = await this.stoppedFrame();
    let logits = args.logits;
    let target = args.target;
    if (!logits || !target) {
      const tensors = await listFrameTensors(frame.session, frame.frameId);
      const picked = await this.pickPair(tensors, logits, target);
      if (!picked) return;
      ({ logits, target } = picked);
    }
    await this.open(frame, logits, target);
  }

  private async compareLossWith(ctx: VariableContext | undefined, args: DebugCompareArgs = {}): Promise<void> {
    const expression = ctx?.variable?.evaluateName ?? ctx?.variable?.name;
    if (!expression) throw new DebugReadError('run Compare Loss With… on a variable of the Variables view');
    const frame = await this.stoppedFrame();
    const info = await describeValue(frame.session, expression, this.fetchOptions(frame));
    if (args.logits || args.target) {
      await this.open(frame, args.logits ?? expression, args.target ?? expression);
      return;
    }
    const tensors = await listFrameTensors(frame.session, frame.frameId);
    const { chosenRole, partners } = partnersFor({ name: expression, dtype: info.dtype, shape: info.shape }, tensors);
    const partnerRole = chosenRole === 'logits' ? 'target' : 'logits';
    const other = await this.pickOne(
      partners,
      partnerRole,
      `Compare Loss With…: the ${partnerRole} for ${expression} (${describeInfo(info)})`,
      `A tensor of this frame, or an expression, used as the ${partnerRole}`,
    );
    if (other === undefined) return;
    if (chosenRole === 'logits') await this.open(frame, expression, other);
    else await this.open(frame, other, expression);
  }

  private async refresh(args: DebugCompareArgs = {}): Promise<void> {
    const source =
      (args.logits && args.target ? this.sources.get(this.pairKeyOf(args.logits, args.target)) : undefined) ??
      this.focused ??
      this.lastUsed;
    if (!source) throw new DebugReadError('no comparison view reads from the debugger: run Compare Losses from Debugger… first');
    const frame = await this.stoppedFrame();
    await this.open(frame, source.logits, source.target);
  }

  /**
   * Reads both expressions at the current stop and shows them: a new view, or the pair's existing view
   * recomputed with its current options.
   */
  private async open(frame: StoppedFrame, logits: string, target: string): Promise<void> {
    const t0 = performance.now();
    const fetched = await runJob({ title: `Loss Inspector: reading ${logits} and ${target} from the debugger` }, (call) =>
      fetchTensors(frame.session, [logits, target], { ...this.fetchOptions(frame), onProgress: call.onProgress, signal: call.signal }),
    );
    const readMs = performance.now() - t0;
    const key = this.pairKeyOf(logits, target);
    const id = this.ids.get(key) ?? this.ids.size + 1;
    this.ids.set(key, id);
    const logitsUri = tensorUri(id, 'logits', logits);
    const targetUri = tensorUri(id, 'target', target);
    this.store.put(logitsUri, fetched[0]!.bytes);
    this.store.put(targetUri, fetched[1]!.bytes);
    const existing = this.sources.get(key);
    if (existing && !existing.panel.isDisposed) {
      this.lastUsed = existing;
      existing.panel.panel.reveal();
      // A failed recompute is shown in the panel, in place (with the previous stop's numbers marked stale).
      const ok = await existing.panel.compute(existing.panel.persisted?.options ?? existing.request.options, 'recompute').then(
        (r) => !isComparisonFailure(r),
        () => false,
      );
      if (!ok) return;
    } else {
      const request: PairRequest = {
        logits: { uri: logitsUri.toString(), key: null },
        target: { uri: targetUri.toString(), key: null },
        options: this.deps.settings.value.options,
      };
      await this.deps.panels.show(request);
      const panel = this.deps.panels.find(request);
      if (!panel) {
        // The view did not open (the read was cancelled): nothing to keep.
        this.store.remove(logitsUri);
        this.store.remove(targetUri);
        return;
      }
      this.adopt({ logits, target, request, panel, subscriptions: [] }, key, [logitsUri, targetUri]);
    }
    this.deps.logger.info(
      `debugger: ${logits} ↔ ${target} read in ${readMs.toFixed(0)} ms (${fetched[0]!.mode}), ` +
        `view ready ${(performance.now() - t0).toFixed(0)} ms after the command`,
    );
  }

  private adopt(source: DebugSource, key: string, uris: vscode.Uri[]): void {
    this.sources.set(key, source);
    const p = source.panel;
    this.lastUsed = source;
    const onFocus = () => {
      if (p.panel.active) this.focused = this.lastUsed = source;
      else if (this.focused === source) this.focused = undefined;
      this.updateContext();
    };
    source.subscriptions.push(p.panel.onDidChangeViewState(onFocus));
    source.subscriptions.push(
      p.onDidDispose(() => {
        if (this.sources.get(key) === source) this.sources.delete(key);
        if (this.focused === source) this.focused = undefined;
        if (this.lastUsed === source) this.lastUsed = [...this.sources.values()].pop();
        this.updateContext();
        for (const u of uris) this.store.remove(u);
        for (const s of source.subscriptions) s.dispose();
      }),
    );
    onFocus();
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', CONTEXT_FOCUSED, this.focused !== undefined);
    void vscode.commands.executeCommand('setContext', CONTEXT_ANY, this.sources.size > 0);
  }

  private pairKeyOf(logits: string, target: string): string {
    return `${logits}\u0000${target}`;
  }

  private fetchOptions(frame: StoppedFrame): FetchOptions {
    const mb = this.deps.settings.value.debuggerMaxTensorMB;
    return {
      frameId: frame.frameId,
      maxBytes: Math.round(mb * 1024 * 1024),
      limitName: LIMIT_SETTING,
      isEnded: () => this.ended.has(frame.session.id),
    };
  }

  /** The selected frame of the active, stopped debug session, once it is known to evaluate Python. */
  private async stoppedFrame(): Promise<StoppedFrame> {
    const item = vscode.debug.activeStackItem;
    const session = item?.session ?? vscode.debug.activeDebugSession;
    if (!session) throw new DebugReadError('no debug session is running: start one and stop at a breakpoint first');
    let frameId: number | undefined;
    if (item instanceof vscode.DebugStackFrame) frameId = item.frameId;
    else if (item instanceof vscode.DebugThread) {
      const st = (await session.customRequest('stackTrace', { threadId: item.threadId, levels: 1 })) as { stackFrames?: { id: number }[] };
      frameId = st?.stackFrames?.[0]?.id;
    }
    if (frameId === undefined) throw new DebugReadError(`the debug session “${session.name}” is not stopped: stop at a breakpoint (or pause) first`);
    const problem = await pythonSessionProblem(session, frameId, this.deps.settings.value.debuggerDebugTypes, TYPES_SETTING);
    if (problem) throw new DebugReadError(problem);
    return { session, frameId };
  }

  /** Quick pick: proposed pairs first, then the logits alone (the target is picked next), or typed expressions. */
  private async pickPair(tensors: DescribedTensor[], logits?: string, target?: string): Promise<{ logits: string; target: string } | undefined> {
    if (!logits && !target) {
      if (tensors.length === 0) {
        logits = await this.inputExpression('logits', 'No torch tensor or numpy array in this frame: type an expression for the logits');
        if (!logits) return undefined;
      } else {
        type V = { logits: string; target?: string } | 'type';
        const items: PickItem<V>[] = [];
        const pairs = proposeFramePairs(tensors, 3);
        const byName = new Map(tensors.map((t) => [t.name, t]));
        if (pairs.length) {
          items.push({ label: 'Proposed pairs (logits ↔ target)', kind: vscode.QuickPickItemKind.Separator });
          for (const p of pairs) {
            const l = byName.get(p.logits.id)!;
            const t = byName.get(p.target.id)!;
            items.push({
              label: `$(arrow-swap) ${l.name} ↔ ${t.name}`,
              description: `${describeInfo(l)} ↔ ${describeInfo(t)}`,
              detail: p.reasons.join(' · '),
              value: { logits: l.name, target: t.name },
            });
          }
        }
        items.push({ label: 'The logits (the target is chosen next)', kind: vscode.QuickPickItemKind.Separator });
        for (const t of rankFrameLogits(tensors)) items.push({ label: t.name, description: `${describeInfo(t)} · ${t.scope}`, value: { logits: t.name } });
        items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(edit) Type expressions…', value: 'type' });
        const choice = await vscode.window.showQuickPick(items, {
          title: 'Compare Losses from Debugger',
          placeHolder: `${tensors.length} tensors and arrays in the selected frame`,
          matchOnDescription: true,
          ignoreFocusOut: true,
        });
        if (!choice?.value) return undefined;
        if (choice.value === 'type') {
          logits = await this.inputExpression('logits');
          if (!logits) return undefined;
        } else {
          logits = choice.value.logits;
          target = choice.value.target;
        }
      }
    }
    if (logits && !target) {
      const chosen = tensors.find((t) => t.name === logits);
      const ranked = chosen ? partnersFor(chosen, tensors.filter((t) => t.name !== logits)).partners : tensors.filter((t) => t.name !== logits);
      target = await this.pickOne(ranked, 'target', `Compare Losses from Debugger: the target for ${logits}`, 'The tensor holding the target (labels, segmentation, mask…)');
      if (target === undefined) return undefined;
    } else if (target && !logits) {
      logits = await this.pickOne(rankFrameLogits(tensors.filter((t) => t.name !== target)), 'logits', `Compare Losses from Debugger: the logits for ${target}`, 'The tensor holding the logits');
      if (logits === undefined) return undefined;
    }
    return logits && target ? { logits, target } : undefined;
  }

  /** One tensor of the frame, or a typed expression; undefined when dismissed. */
  private async pickOne(ranked: DescribedTensor[], role: 'logits' | 'target', title: string, placeHolder: string): Promise<string | undefined> {
    const items: PickItem<string | null>[] = ranked.map((t) => ({ label: t.name, description: `${describeInfo(t)} · ${t.scope}`, value: t.name }));
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(edit) Type an expression…', value: null });
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, ignoreFocusOut: true });
    if (!choice || choice.value === undefined) return undefined;
    return choice.value ?? this.inputExpression(role);
  }

  private async inputExpression(role: 'logits' | 'target', prompt?: string): Promise<string | undefined> {
    const v = await vscode.window.showInputBox({
      title: `Loss Inspector: the ${role}`,
      prompt: prompt ?? `A Python expression evaluated in the selected frame (e.g. ${role === 'logits' ? "outputs['seg']" : "batch['label']"})`,
      ignoreFocusOut: true,
      validateInput: (s) => (s.trim() === '' ? 'an expression is needed' : undefined),
    });
    return v?.trim() || undefined;
  }

  override dispose(): void {
    for (const s of this.sources.values()) for (const d of s.subscriptions) d.dispose();
    this.sources.clear();
    super.dispose();
  }
}

function describeInfo(t: Pick<TensorInfo, 'dtype' | 'shape'>): string {
  return `${t.dtype} · ${formatShape(t.shape)}`;
}

/**
 * `loss-inspector-debug:/<id>/<role>/<expression>`: the file name is the expression (slashes shown as the
 * division slash), so the view's title reads "Loss: logits ↔ target" (the readers recognise `.npy` by content).
 */
function tensorUri(id: number, role: 'logits' | 'target', expression: string): vscode.Uri {
  const name = expression.replace(/\//g, '\u2215').replace(/[\u0000-\u001f]/g, ' ');
  return vscode.Uri.from({ scheme: DEBUG_TENSOR_SCHEME, path: `/${id}/${role}/${name}` });
}
