/**
 * The folder view (`lossInspector.dataset`): evaluates a validation set (src/parallel/evaluateFolder.ts: cases
 * streamed through worker threads, so the extension host's main thread only gathers small per-case records)
 * under a cancellable progress notification, then shows the case × class table (webview/dataset). One panel per
 * folder pair; asking again for a shown pair reveals it and evaluates again.
 *
 * Messages (`DatasetProtocol`, through the hosts' base `WebviewHost`): the page posts `ready` (answered with `init`
 * once the state exists, or the evaluation's error), and requests through the id-matched channel, each answered
 * exactly once: `openCase` runs *Compare Losses* on that case's files with the evaluation's loss options;
 * `saveSummary` writes the JSON or CSV summary.
 */
import * as vscode from 'vscode';
import { summaryToCsv } from '../dataset/csv';
import { POOLED_NOTE, progressLine } from '../dataset/text';
import { lossLabel } from '../engine/optionSchema';
import type { LossOptions } from '../engine/types';
import { CancelledError, evaluateFolder } from '../parallel/evaluateFolder';
import type { DatasetRequestMap, DatasetViewState } from '../protocol/dataset';
import type { DatasetProtocol } from '../protocol/messages';
import { Disposable } from './dispose';
import type { Logger } from './logging';
import { oneLine } from './logging';
import type { RequestHandlers } from './requestDispatcher';
import { WebviewHost } from './webviewHost';
import type { Settings } from './settings';
import { initWebview, webviewOptions } from './webviewResources';
import { CLASS_NAMES_FILE } from '../readers/classNames';
import { classNamesAt } from './classNames';

export const DATASET_VIEW_TYPE = 'lossInspector.dataset';

export interface DatasetDeps {
  extensionUri: vscode.Uri;
  settings: Settings;
  logger: Logger;
}

export interface FolderRequest {
  predictions: vscode.Uri;
  references: vscode.Uri;
  /** Null: metrics only. */
  options: LossOptions | null;
  labels: number[] | null;
  ignoreLabel: number | null;
}

const keyOf = (r: FolderRequest) => `${r.predictions.toString()}\u0000${r.references.toString()}`;

/** The loss as the view's heading names it (every family by its MONAI name, from the option schema). */
function lossHeading(o: LossOptions | null): string | null {
  if (!o) return null;
  return `${o.loss === 'ce' ? 'cross-entropy' : lossLabel(o.loss)}, ε = ${o.labelSmoothing}`;
}

/** Class names from the setting, else a classes.json in one of `folders` (the two folders, then their parent). */
async function classNamesFor(setting: string[] | null, folders: vscode.Uri[]): Promise<string[] | null> {
  if (setting && setting.length) return setting;
  return classNamesAt(folders.map((f) => vscode.Uri.joinPath(f, CLASS_NAMES_FILE)));
}

export class DatasetPanel extends WebviewHost<DatasetProtocol> {
  private state: DatasetViewState | null = null;
  /** The last evaluation's error, re-sent when the page (re)loads, so the view never waits forever. */
  private error: string | null = null;
  private readonly disposed = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposed.event;
  private run: AbortController | null = null;

  constructor(
    override readonly panel: vscode.WebviewPanel,
    private request: FolderRequest,
    private readonly deps: DatasetDeps,
  ) {
    super(panel, 'folder view', { info: (l) => deps.logger.info(l), warn: (l) => deps.logger.warn(l) });
    this._register({ dispose: () => this.run?.abort() });
  }

  protected handlers(): RequestHandlers<DatasetRequestMap> {
    return {
      openCase: (p) => this.openCase(p.id),
      saveSummary: (p) => this.save(p.format),
    };
  }

  protected onReady(): void {
    if (this.state) void this.post({ type: 'init', view: 'dataset', state: this.state });
    else if (this.error) void this.post({ type: 'notice', view: 'dataset', level: 'error', message: this.error });
  }

  get key(): string {
    return keyOf(this.request);
  }

  /** Whether an evaluation has finished (the view has something to show). */
  get hasState(): boolean {
    return this.state !== null;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.disposed.fire();
    super.dispose();
    this.panel.dispose();
  }

  /** Shows an evaluation's error in the view (now, and again whenever the page reloads). */
  fail(message: string): void {
    this.error = message;
    void this.post({ type: 'notice', view: 'dataset', level: 'error', message });
  }

  /** Evaluates the folders (again) and shows the result. Rejects with CancelledError when cancelled. */
  async evaluate(request: FolderRequest = this.request): Promise<void> {
    this.request = request;
    this.run?.abort();
    const abort = new AbortController();
    this.run = abort;
    const asPath = (u: vscode.Uri, role: string) => {
      if (u.scheme !== 'file') throw new Error(`${role} folder ${u.toString()}: Evaluate Folder reads folders on this machine's file system (file: URIs), not ${u.scheme}:`);
      return u.fsPath;
    };
    const predictions = asPath(request.predictions, 'predictions');
    const references = asPath(request.references, 'references');
    const title = `Loss Inspector: evaluating ${vscode.workspace.asRelativePath(request.predictions)}`;
    const progressRun = vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      let last = 0;
      return evaluateFolder({
        predictions,
        references,
        predictionKey: null,
        loss: request.options,
        labels: request.labels,
        ignoreLabel: request.ignoreLabel,
        limits: this.deps.settings.limits,
        signal: abort.signal,
        onProgress: (p) => {
          const line = progressLine(p);
          progress.report({ message: line, increment: ((p.done - last) / Math.max(1, p.total)) * 100 });
          last = p.done;
          void this.post({ type: 'evaluating', view: 'dataset', done: p.done, failed: p.failed, total: p.total, message: line });
        },
      });
    });
    let run: Awaited<typeof progressRun>;
    try {
      run = await progressRun;
    } catch (e) {
      if (this.run !== abort) return; // superseded by a newer evaluation of this panel: that one reports
      throw e;
    }
    if (this.run !== abort) return; // superseded by a newer evaluation of this panel
    if (abort.signal.aborted) throw new CancelledError();
    const s = run.summary;
    this.error = null;
    this.deps.logger.info(
      `folder ${predictions} vs ${references}: ${s.metric_per_case.length} case(s), ${s.failed.length} failed, ` +
        `${s.unmatched.predictions.length + s.unmatched.references.length} unmatched, in ${(run.elapsedMs / 1000).toFixed(2)} s on ${run.lanes} thread(s)`,
    );
    for (const f of s.failed) this.deps.logger.warn(`folder case ${f.id}: ${f.error}`);
    this.state = {
      predictions: vscode.workspace.asRelativePath(request.predictions),
      references: vscode.workspace.asRelativePath(request.references),
      summary: s,
      classNames: await classNamesFor(this.deps.settings.value.classNames, [request.predictions, request.references, vscode.Uri.joinPath(request.predictions, '..')]),
      elapsedMs: run.elapsedMs,
      threads: run.lanes,
      lossLabel: lossHeading(s.loss_options),
    };
    void this.post({ type: 'init', view: 'dataset', state: this.state });
  }

  private fileOf(id: string): { prediction: string; reference: string } {
    const s = this.state?.summary;
    const i = s ? s.case_ids.indexOf(id) : -1;
    if (!s || i < 0) {
      const failed = s?.failed.find((f) => f.id === id);
      if (failed) return { prediction: failed.prediction_file, reference: failed.reference_file };
      throw new Error(`no case '${id}' in this folder view`);
    }
    return { prediction: s.metric_per_case[i]!.prediction_file, reference: s.metric_per_case[i]!.reference_file };
  }

  private async openCase(id: string): Promise<Record<string, never>> {
    const f = this.fileOf(id);
    const options = this.request.options ?? this.deps.settings.value.options;
    await vscode.commands.executeCommand('lossInspector.compareLosses', {
      logits: vscode.Uri.file(f.prediction).toString(),
      target: vscode.Uri.file(f.reference).toString(),
      options,
    });
    return {};
  }

  private async save(format: 'json' | 'csv'): Promise<{ saved: boolean }> {
    const s = this.state?.summary;
    if (!s) throw new Error('nothing to save yet: the folder is still being evaluated');
    const content = format === 'csv' ? summaryToCsv(s) : JSON.stringify(s, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v), 2) + '\n';
    const name = format === 'csv' ? 'summary.csv' : 'summary.json';
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(this.request.predictions, '..', name),
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
      title: 'Save the folder summary',
    });
    if (!uri) return { saved: false };
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
    this.deps.logger.info(`folder summary saved to ${uri.toString()}`);
    return { saved: true };
  }
}

/** One folder view per (predictions, references) pair. */
export class DatasetPanels extends Disposable {
  private readonly panels = new Map<string, DatasetPanel>();

  constructor(private readonly deps: DatasetDeps) {
    super();
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.dispose()) });
  }

  /** Opens (or reveals) the view for `request` and evaluates the folders. Errors are shown, not thrown. */
  async show(request: FolderRequest): Promise<DatasetPanel | undefined> {
    const key = keyOf(request);
    let p = this.panels.get(key);
    if (p) p.panel.reveal();
    else {
      const name = vscode.workspace.asRelativePath(request.predictions);
      const panel = vscode.window.createWebviewPanel(DATASET_VIEW_TYPE, `Folder: ${name}`, vscode.ViewColumn.Active, webviewOptions(this.deps.extensionUri));
      p = new DatasetPanel(panel, request, this.deps);
      const created = p;
      this.panels.set(key, created);
      created.onDidDispose(() => {
        if (this.panels.get(key) === created) this.panels.delete(key);
      });
      await initWebview(panel.webview, this.deps.extensionUri, 'dataset', `Folder: ${name}`);
    }
    try {
      await p.evaluate(request);
      return p;
    } catch (e) {
      if (e instanceof CancelledError) {
        this.deps.logger.info('Evaluate Folder: cancelled');
        // A view that never had a result goes away with its cancelled run; one with a result keeps it.
        if (!p.hasState) p.dispose();
        return undefined;
      }
      this.deps.logger.showError(e, 'Evaluate Folder');
      if (!p.isDisposed) p.fail(oneLine(e));
      return p;
    }
  }
}

export { POOLED_NOTE };
