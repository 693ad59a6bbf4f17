/**
 * Answers a webview's requests (src/protocol/messages.ts) through the id-matched channel's serving side
 * (src/protocol/channel.ts): every `{type: 'request', id, method, params}` gets exactly one
 * `{type: 'response', id, ok, …}` — `ok: false` with a one-line error when the method is unknown, the
 * handler throws or rejects, or the request is malformed with a usable id; `{type: 'cancel', id}` aborts that
 * request's signal. Pure (no `vscode`): the view passes its handlers and `webview.postMessage`, the tests
 * pass plain functions.
 */
import { RequestServer, type HandlerContext, type MethodMap, type ResponseMessage } from '../protocol/channel';
import type { RequestMap } from '../protocol/messages';
import { oneLine } from '../protocol/errorLine';

export type RequestHandler<Req extends MethodMap, M extends keyof Req> = (
  params: Req[M]['params'],
  ctx: HandlerContext,
) => Promise<Req[M]['result']> | Req[M]['result'];

/** Every request of a view's protocol, each with its handler (a view's host serves all it declares). */
export type RequestHandlers<Req extends MethodMap> = { [M in keyof Req]: RequestHandler<Req, M> };

/** Posts a response; may return a promise (webview.postMessage returns Thenable<boolean>). */
export type PostResponse<Req extends MethodMap = RequestMap> = (m: ResponseMessage<Req[keyof Req]['result'], string>) => unknown;

export class RequestDispatcher<Req extends MethodMap = RequestMap> {
  private readonly server: RequestServer<Req, string>;

  constructor(
    /** A missing handler (only possible outside a typed view host) answers "not supported by this view". */
    handlers: Partial<RequestHandlers<Req>>,
    post: PostResponse<Req>,
    /** Called with every handler failure and failed post (for the output channel); never with a success. */
    onError?: (method: string, e: unknown) => void,
  ) {
    this.server = new RequestServer<Req, string>(handlers, {
      // Responses only: the webview protocol has no progress messages (busy notices say what runs).
      send: (m) => (m.type === 'response' ? post(m) : undefined),
      toError: oneLine,
      unsupported: (method) => new Error(`request ${JSON.stringify(method)} is not supported by this view`),
      ...(onError ? { onError } : {}),
    });
  }

  /**
   * Handles one request or cancel and resolves after a request's response was posted. Never rejects: a
   * failing post (the webview is gone) is reported to `onError` and swallowed, since nobody is left to answer.
   */
  async dispatch(msg: { type: 'request' | 'cancel'; id: number; method?: string; params?: unknown }): Promise<void> {
    await this.server.receive(msg);
  }

  /** Aborts the signals of every request still running (the view closed). */
  dispose(): void {
    this.server.dispose();
  }
}
