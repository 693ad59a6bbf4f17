/**
 * The host side of one webview, shared by the comparison panel, the tensor-file editor and the folder view:
 * the `ready` handshake, the page's `log` lines, requests and cancels answered through the id-matched channel
 * ({@link RequestDispatcher}), and posting gated on `ready` — all once, typed by the view's protocol
 * (src/protocol/messages.ts), so a host can neither serve nor push another view's messages.
 *
 * Pure (no `vscode`): the panel is taken structurally, so the base is tested in plain Node.
 */
import { oneLine } from '../protocol/errorLine';
import { Disposable, toDisposable, type IDisposable } from './dispose';
import { RequestDispatcher, type RequestHandlers } from './requestDispatcher';
import { isWebviewToHost, type FromWebview, type ToWebview, type ViewProtocol } from '../protocol/messages';

/** The parts of a `vscode.WebviewPanel` a host uses. */
export interface WebviewPanelLike {
  readonly webview: {
    postMessage(message: unknown): PromiseLike<boolean>;
    onDidReceiveMessage(listener: (message: unknown) => unknown): IDisposable;
  };
  onDidDispose(listener: () => unknown): IDisposable;
}

export interface WebviewHostLog {
  info(line: string): void;
  warn(line: string): void;
  /** True for errors that are no failure (a cancelled job): not logged. */
  isQuiet?(e: unknown): boolean;
}

export abstract class WebviewHost<P extends ViewProtocol> extends Disposable {
  private webviewReady = false;
  private dispatcher: RequestDispatcher<P['requests']> | undefined;

  constructor(
    readonly panel: WebviewPanelLike,
    /** The view's name in log lines (`comparison view`, `tensor editor`). */
    private readonly viewName: string,
    private readonly hostLog: WebviewHostLog,
  ) {
    super();
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(toDisposable(() => this.dispatcher?.dispose()));
  }

  /** The handler of every request the view's protocol declares. */
  protected abstract handlers(): RequestHandlers<P['requests']>;

  /** The webview (new, or reloaded while hidden) listens: send it what it needs to show. Called on every `ready`. */
  protected abstract onReady(): void;

  /** Whether the webview has said `ready` (posts before that are dropped: it asks again with `ready`). */
  protected get isWebviewReady(): boolean {
    return this.webviewReady;
  }

  /** Posts to the webview once it listens; dropped before its `ready` and after dispose. */
  protected post(m: ToWebview<P>): PromiseLike<boolean> | undefined {
    if (this.isDisposed || !this.webviewReady) return undefined;
    return this.panel.webview.postMessage(m);
  }

  private receive(m: unknown): void {
    if (!isWebviewToHost(m)) {
      this.hostLog.warn(`${this.viewName}: ignored a malformed message ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    const msg = m as FromWebview<P>;
    switch (msg.type) {
      case 'ready':
        this.webviewReady = true;
        this.onReady();
        break;
      case 'log':
        if (msg.level === 'error') this.hostLog.warn(`${this.viewName}: ${msg.message}`);
        else this.hostLog.info(`${this.viewName}: ${msg.message}`);
        break;
      case 'request':
      case 'cancel':
        void this.requests().dispatch(msg);
        break;
    }
  }

  /** Made on first use: a subclass's handlers may close over fields set after this base's constructor. */
  private requests(): RequestDispatcher<P['requests']> {
    this.dispatcher ??= new RequestDispatcher<P['requests']>(
      this.handlers(),
      (r) => this.post(r as ToWebview<P>),
      (method, e) => {
        if (!this.hostLog.isQuiet?.(e)) this.hostLog.warn(`${this.viewName} request ${method} failed: ${oneLine(e)}`);
      },
    );
    return this.dispatcher;
  }
}
