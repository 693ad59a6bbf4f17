/**
 * The read-only custom editor for tensor files (`lossInspector.tensorFile`): every tensor's dtype, shape, stats
 * and value histogram, a 2-D heat map for rank ≥ 2, and *Compare losses with…*.
 *
 * The {@link TensorDocument} owns the file: it reads and summarises it in the worker, watches it on disk and
 * asks once before reading a large file. VS Code makes one document per file and disposes it when the last
 * editor on it closes (documents are reference-counted by the editors using them), so two editors on one file
 * read, watch and confirm once. Each {@link TensorFileView} (a {@link WebviewHost}) shows the document's state:
 * `init` with a {@link TensorFileState} after the webview's `ready`, and heat-map slices by request.
 *
 * Priority (package.json) is `default` for all seven patterns: they are binary files VS Code cannot show
 * otherwise, and one view type has one priority. The risk of `default` is a click on a multi-gigabyte model
 * checkpoint (.pth, .safetensors) reading it whole; so a file above {@link CONFIRM_BYTES} is read only after
 * the user confirms.
 */
import * as vscode from 'vscode';
import type { TensorFilePush, TensorFileProtocol, TensorFileRequests, TensorFileState } from '../protocol/messages';
import { Disposable } from './dispose';
import { isCancellation, oneLine, type Logger } from './logging';
import { runJob } from './progress';
import type { RequestHandlers } from './requestDispatcher';
import { saveText } from './saveText';
import type { Settings } from './settings';
import { formatTensorRef } from '../readers/tensorRef';
import { baseName, dirName } from './tensorSpec';
import type { FileUsage } from './usage';
import { WebviewHost } from './webviewHost';
import { initWebview } from './webviewResources';
import { WorkerFailure, type WorkerClient } from './workerClient';
import { errorDetails } from './errorText';
import { NOT_A_TENSOR_FILE } from './comparisonProblem';

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

/**
 * One tensor file, shared by every editor open on it: its state (or why it could not be read), the read in
 * progress, the watcher that re-reads it when it changes on disk, and the large-file confirmation.
 */
class TensorDocument extends Disposable implements vscode.CustomDocument {
  private state: TensorFileState | undefined;
  private failure: string | undefined;
  private loading = false;
  private loaded = false;
  /** The file changed while it was being read: read it again afterwards. */
  private reloadPending = false;
  private confirmed = false;
  /** The failure is about a file that is no tensor file: the view offers *Open as Text*. */
  private failureAsText = false;
  private readonly changed = this._register(new vscode.EventEmitter<TensorFilePush>());
  /** What every view of this document shows: busy lines, the state once read, a notice when it failed. */
  readonly onDidChange = this.changed.event;
  readonly key: string;

  constructor(
    readonly uri: vscode.Uri,
    private readonly deps: TensorEditorDeps,
  ) {
    super();
    this.key = uri.toString();
    this._register(deps.usage.acquire([this.key]));
    // Re-read when the file changes on disk (a training run overwriting its predictions).
    if (uri.scheme === 'file' || vscode.workspace.getWorkspaceFolder(uri)) {
      const folder = uri.with({ path: dirName(uri.path) });
      const watcher = this._register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, baseName(uri.path))));
      this._register(watcher.onDidChange(() => void this.load()));
      this._register(watcher.onDidCreate(() => void this.load()));
    }
  }

  get name(): string {
    return baseName(this.uri.path);
  }

  /** What a (re)loaded view needs to catch up: the state, else the read in progress, else the failure. */
  snapshot(): TensorFilePush[] {
    if (this.state) return [{ type: 'init', view: 'tensorFile', state: this.state }];
    if (this.loading) return [{ type: 'busy', busy: true, message: `Reading ${this.name}…` }];
    if (this.failure) return [{ type: 'notice', level: 'error', message: this.failure, ...(this.failureAsText ? { openAsText: this.key } : {}) }];
    return [];
  }

  /** Reads the file the first time a view asks (later views share that read). */
  ensureLoaded(token?: vscode.CancellationToken): void {
    if (this.loaded || this.loading) return;
    void this.load(token);
  }

  private async load(token?: vscode.CancellationToken): Promise<void> {
    if (this.isDisposed) return;
    if (this.loading) {
      this.reloadPending = true;
      return;
    }
    this.loading = true;
    this.loaded = true;
    try {
      if (!(await this.confirmSize())) {
        this.failure = `${this.name} was not read (large file); reopen it to try again.`;
        this.changed.fire({ type: 'notice', level: 'info', message: this.failure });
        return;
      }
      this.changed.fire({ type: 'busy', busy: true, message: `Reading ${this.name}…` });
      const state = await runJob({ title: `Loss Inspector: reading ${this.name}`, ...(token ? { token } : {}) }, (call) =>
        this.deps.worker.describe(this.key, this.deps.settings.limits, {
          ...call,
          onProgress: (m) => {
            call.onProgress?.(m);
            this.changed.fire({ type: 'busy', busy: true, message: m });
          },
        }),
      );
      this.state = state;
      this.failure = undefined;
      this.changed.fire({ type: 'init', view: 'tensorFile', state });
    } catch (e) {
      // Shown once, in the view (where the user is looking), not also as a notification; the log keeps the details.
      this.deps.logger.warn(`Opening ${this.name}: ${oneLine(e)}`);
      const details = errorDetails(e);
      if (details) this.deps.logger.warn(details);
      const message = isCancellation(e) ? `Reading ${this.name} was cancelled; reopen the file to try again.` : oneLine(e);
      const asText = e instanceof WorkerFailure && e.info.kind !== undefined && NOT_A_TENSOR_FILE.has(e.info.kind) ? { openAsText: this.key } : {};
      if (!this.state) {
        this.failure = message;
        this.failureAsText = 'openAsText' in asText;
      }
      this.changed.fire({ type: 'notice', level: 'error', message, ...asText });
    } finally {
      this.loading = false;
      if (!this.isDisposed) this.changed.fire({ type: 'busy', busy: false });
    }
    if (this.reloadPending) {
      this.reloadPending = false;
      await this.load();
    }
  }

  /** Asks before reading a file above CONFIRM_BYTES (once per document, whatever number of editors show it). */
  private async confirmSize(): Promise<boolean> {
    if (this.confirmed) return true;
    const { size } = await vscode.workspace.fs.stat(this.uri);
    if (size <= CONFIRM_BYTES) return (this.confirmed = true);
    const gb = (size / 1024 ** 3).toFixed(1);
    const choice = await vscode.window.showWarningMessage(`${this.name} is ${gb} GB. Read it whole to show its tensors?`, { modal: false }, 'Read');
    return (this.confirmed = choice === 'Read');
  }
}

/** One open editor of a tensor file: shows its document and answers the webview's requests. */
class TensorFileView extends WebviewHost<TensorFileProtocol> {
  constructor(
    private readonly document: TensorDocument,
    override readonly panel: vscode.WebviewPanel,
    private readonly deps: TensorEditorDeps,
  ) {
    super(panel, 'tensor editor', { info: (l) => deps.logger.info(l), warn: (l) => deps.logger.warn(l), isQuiet: isCancellation });
    this._register(document.onDidChange((m) => this.post(m)));
  }

  async start(token: vscode.CancellationToken): Promise<void> {
    await initWebview(this.panel.webview, this.deps.extensionUri, 'tensorFile', this.document.name);
    // Not awaited inside: the editor opens at once and shows its busy state while the worker reads.
    this.document.ensureLoaded(token);
  }

  protected onReady(): void {
    for (const m of this.document.snapshot()) this.post(m);
  }

  protected handlers(): RequestHandlers<TensorFileRequests> {
    const uri = this.document.key;
    return {
      heatmap: (request, { signal }) =>
        runJob({ title: `Loss Inspector: heat map of ${this.document.name}`, delayMs: 800, signal }, (call) =>
          this.deps.worker.heatmap(uri, request, this.deps.settings.limits, call),
        ),
      compareWith: async ({ key, role }) => {
        if (role !== 'logits' && role !== 'target') throw new Error(`compareWith: role must be logits or target, got ${JSON.stringify(role)}`);
        const spec = formatTensorRef({ uri, key: typeof key === 'string' ? key : null });
        void vscode.commands.executeCommand('lossInspector.compareLosses', { [role]: spec });
        return {};
      },
      copy: async ({ text }) => {
        await vscode.env.clipboard.writeText(String(text));
        return {};
      },
      openAsText: async ({ uri: asked }) => {
        if (asked !== uri) throw new Error('openAsText: not this editor\'s file');
        await vscode.commands.executeCommand('vscode.openWith', this.document.uri, 'default');
        return {};
      },
      save: (p) => saveText(p, uri),
    };
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
    return new TensorDocument(uri, this.deps);
  }

  async resolveCustomEditor(document: TensorDocument, panel: vscode.WebviewPanel, token: vscode.CancellationToken): Promise<void> {
    const view = new TensorFileView(document, panel, this.deps);
    await view.start(token);
  }
}
