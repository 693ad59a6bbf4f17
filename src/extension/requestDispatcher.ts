/**
 * Answers a webview's requests (src/protocol/messages.ts) through the id-matched channel's serving side
 * (src/protocol/channel.ts): every `{type: 'request', id, method, params}` gets exactly one
 * `{type: 'response', id, ok, …}` — `ok: false` with a one-line error when the method is unknown, the
 * handler throws or rejects, or the request is malformed with a usable id; `{type: 'cancel', id}` aborts that
 * request's signal. Pure (no `vscode`): the view passes its handlers and `webview.postMessage`, the tests
 * pass plain functions.
 */
import { RequestServer, type HandlerContext } from '../protocol/channel';
import type { RequestMap, RequestMethod, Response } from '../protocol/messages';

export type RequestHandler<M extends RequestMethod> = (
  params: RequestMap[M]['params'],
  ctx: HandlerContext,
) => Promise<RequestMap[M]['result']> | RequestMap[M]['result'];

/** Handlers for the methods a view serves; a missing one answers "not supported by this view". */
export type RequestHandlers = { [M in RequestMethod]?: RequestHandler<M> };

/** Posts a response; may return a promise (webview.postMessage returns Thenable<boolean>). */
export type PostResponse = (m: Response) => unknown;

/** One line for the webview: the error's message without a stack, newlines folded. */
export function errorToLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : (() => {
    try {
      return JSON.stringify(e) ?? String(e);
    } catch {
      return String(e);
    }
  })();
  const line = msg.replace(/\s*\n\s*/g, ' ').trim();
  return line === '' ? (e instanceof Error ? e.name : 'unknown error') : line;
}

export class RequestDispatcher {
  private readonly server: RequestServer<RequestMap, string>;

  constructor(
    handlers: RequestHandlers,
    post: PostResponse,
    /** Called with every handler failure and failed post (for the output channel); never with a success. */
    onError?: (method: string, e: unknown) => void,
  ) {
    this.server = new RequestServer<RequestMap, string>(handlers, {
      // Responses only: the webview protocol has no progress messages (busy notices say what runs).
      send: (m) => (m.type === 'response' ? post(m) : undefined),
      toError: errorToLine,
      unsupported: (method) => new Error(`request ${JSON.stringify(method)} is not supported by this view`),
      ...(onError ? { onError } : {}),
    });
  }

  /**
   * Handles one request and resolves after its response was posted. Never rejects: a failing post (the
   * webview is gone) is reported to `onError` and swallowed, since nobody is left to answer.
   */
  async dispatch(msg: { type: 'request' | 'cancel'; id: number; method?: string; params?: unknown }): Promise<void> {
    await this.server.receive(msg);
  }

  /** Aborts the signals of every request still running (the view closed). */
  dispose(): void {
    this.server.dispose();
  }
}
