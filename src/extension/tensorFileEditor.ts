/**
 * The read-only custom editor for tensor files (`lossInspector.tensorFile`): every tensor's dtype, shape, stats
 * and value histogram, a 2-D heat map for rank ≥ 2, and *Compare losses with…*. The file is read and summarised
 * in the worker; the webview gets `init` with a {@link TensorFileState} after its `ready`, and asks for heat-map
 * slices by request. When the file changes on disk, the editor re-reads it.
 *
 * Priority (package.json) is `default` for all seven patterns: they are binary files VS Code cannot show
 * otherwise, and one view type has one priority. The risk of `default` is a click on a multi-gigabyte model
 * checkpoint (.pth, .safetensors) reading it whole; so a file above {@link CONFIRM_BYTES} is read only after
 * the user confirms.
 */
import * as vscode from 'vscode';
import type { HostToWebview, TensorFileState, WebviewToHost } from '../protocol/messages';
import { isWebviewToHost } from '../protocol/messages';
import { Disposable } from './dispose';
import { isCancellation, oneLine, type Logger } from './logging';
import { runJob } from './progress';
import { RequestDispatcher } from './requestDispatcher';
import type { Settings } from './settings';
import { saveText } from './comparisonPanel';
import { baseName, dirName, formatTensorSpec } from './tensorSpec';
import type { FileUsage } from './usage';
import { initWebview } from './webviewResources';
import type { WorkerClient } from './workerClient';

export const TENSOR_FILE_VIEW_TYPE = 'lossInspector.tensorFile';

/** Files larger than this (1 GiB) are read only after a confirmation. */
export const CONFIRM_BYTES = 1024 ** 3;

export interface TensorEditorDeps {
  extensionUri: vscode.Uri;
  worker: WorkerClient;
  settings: Settings;
  logger: Logger;
  usage: FileUsage;
}

class TensorDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/** One open editor of a tensor file. */
class TensorFileView extends Disposable {
  private state: TensorFileState | undefined;
  private failure: string | undefined;
  private ready = false;
  private loading = false;
  /** The file changed while it was being read: read it again afterwards. */
  private reloadPending = false;
  private readonly uri: string;
  private readonly dispatcher: RequestDispatcher;

  constructor(
    private readonly document: TensorDocument,
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: TensorEditorDeps,
  ) {
    super();
    this.uri = document.uri.toString();
    this._register(deps.usage.acquire([this.uri]));
    this.dispatcher = new RequestDispatcher(
      {
        heatmap: (request, { signal }) =>
          runJob({ title: `Loss Inspector: heat map of ${this.name}`, delayMs: 800, signal }, (call) => deps.worker.heatmap(this.uri, request, deps.settings.limits, call)),
        compareWith: async ({ key, role }) => {
          if (role !== 'logits' && role !== 'target') throw new Error(`compareWith: role must be logits or target, got ${JSON.stringify(role)}`);
          const spec = formatTensorSpec({ uri: this.uri, key: typeof key === 'string' && key !== '' ? key : null });
          void vscode.commands.executeCommand('lossInspector.compareLosses', { [role]: spec });
          return {};
        },
        copy: async ({ text }) => {
          await vscode.env.clipboard.writeText(String(text));
          return {};
        },
        save: (p) => saveText(p, this.uri),
      },
      (m) => this.post(m),
      (method, e) => {
        if (!isCancellation(e)) deps.logger.warn(`tensor editor request ${method} failed: ${oneLine(e)}`);
      },
    );
    this._register({ dispose: () => this.dispatcher.dispose() });
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this._register(panel.onDidDispose(() => this.dispose()));
    // Re-read when the file changes on disk (a training run overwriting its predictions).
    if (document.uri.scheme === 'file' || vscode.workspace.getWorkspaceFolder(document.uri)) {
      const folder = document.uri.with({ path: dirName(document.uri.path) });
      const watcher = this._register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, baseName(document.uri.path))));
      this._register(watcher.onDidChange(() => void this.load()));
      this._register(watcher.onDidCreate(() => void this.load()));
    }
  }

  private get name(): string {
    return baseName(this.document.uri.path);
  }

  async start(token: vscode.CancellationToken): Promise<void> {
    await initWebview(this.panel.webview, this.deps.extensionUri, 'tensorFile', this.name);
    // Not awaited: the editor opens at once and shows its busy state while the worker reads.
    void this.load(token);
  }

  private async load(token?: vscode.CancellationToken): Promise<void> {
    if (this.isDisposed) return;
    if (this.loading) {
      this.reloadPending = true;
      return;
    }
    this.loading = true;
    try {
      if (!(await this.confirmSize())) {
        this.failure = `${this.name} was not read (large file); reopen it to try again.`;
        this.post({ type: 'notice', level: 'info', message: this.failure });
        return;
      }
      this.post({ type: 'busy', busy: true, message: `Reading ${this.name}…` });
      const state = await runJob({ title: `Loss Inspector: reading ${this.name}`, delayMs: 300, ...(token ? { token } : {}) }, (call) =>
        this.deps.worker.describe(this.uri, this.deps.settings.limits, {
          ...call,
          onProgress: (m) => {
            call.onProgress?.(m);
            this.post({ type: 'busy', busy: true, message: m });
          },
        }),
      );
      this.state = state;
      this.failure = undefined;
      this.sendInit();
    } catch (e) {
      this.deps.logger.showError(e, `Opening ${this.name}`);
      if (!this.state) {
        this.failure = isCancellation(e) ? `Reading ${this.name} was cancelled; reopen the file to try again.` : oneLine(e);
        this.post({ type: 'notice', level: 'error', message: this.failure });
      }
    } finally {
      this.loading = false;
      this.post({ type: 'busy', busy: false });
    }
    if (this.reloadPending) {
      this.reloadPending = false;
      await this.load();
    }
  }

  private confirmed = false;

  /** Asks before reading a file above CONFIRM_BYTES (once per editor). */
  private async confirmSize(): Promise<boolean> {
    if (this.confirmed) return true;
    const { size } = await vscode.workspace.fs.stat(this.document.uri);
    if (size <= CONFIRM_BYTES) return (this.confirmed = true);
    const gb = (size / 1024 ** 3).toFixed(1);
    const choice = await vscode.window.showWarningMessage(`${this.name} is ${gb} GB. Read it whole to show its tensors?`, { modal: false }, 'Read');
    return (this.confirmed = choice === 'Read');
  }

  private sendInit(): void {
    if (this.state && this.ready) this.post({ type: 'init', view: 'tensorFile', state: this.state });
  }

  private post(m: HostToWebview): Thenable<boolean> | undefined {
    if (this.isDisposed || !this.ready) return undefined;
    return this.panel.webview.postMessage(m);
  }

  private onMessage(m: unknown): void {
    if (!isWebviewToHost(m)) {
      this.deps.logger.warn(`tensor editor: ignored a malformed message ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    const msg = m as WebviewToHost;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.state) this.sendInit();
        else if (this.loading) this.post({ type: 'busy', busy: true, message: `Reading ${this.name}…` });
        else if (this.failure) this.post({ type: 'notice', level: 'error', message: this.failure });
        break;
      case 'log':
        if (msg.level === 'error') this.deps.logger.warn(`tensor editor: ${msg.message}`);
        else this.deps.logger.info(`tensor editor: ${msg.message}`);
        break;
      case 'request':
      case 'cancel':
        void this.dispatcher.dispatch(msg);
        break;
    }
  }
}

export class TensorFileEditorProvider implements vscode.CustomReadonlyEditorProvider<TensorDocument> {
  static register(deps: TensorEditorDeps): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(TENSOR_FILE_VIEW_TYPE, new TensorFileEditorProvider(deps), {
      webviewOptions: { retainContextWhenHidden: false, enableFindWidget: true },
      supportsMultipleEditorsPerDocument: true,
    });
  }

  constructor(private readonly deps: TensorEditorDeps) {}

  openCustomDocument(uri: vscode.Uri): TensorDocument {
    return new TensorDocument(uri);
  }

  async resolveCustomEditor(document: TensorDocument, panel: vscode.WebviewPanel, token: vscode.CancellationToken): Promise<void> {
    const view = new TensorFileView(document, panel, this.deps);
    await view.start(token);
  }
}
