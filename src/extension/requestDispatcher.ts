/**
 * Answers the webview's requests (src/protocol/messages.ts): every `{type: 'request', id, method, params}` gets
 * exactly one `{type: 'response', id, ok, …}` — `ok: false` with a one-line error when the method is unknown,
 * the handler throws or rejects, or the request is malformed with a usable id. Pure (no `vscode`): the panel
 * passes its handlers and `webview.postMessage`, and the tests pass plain functions.
 */
import type { RequestMap, RequestMethod, Response } from '../protocol/messages';

export type RequestHandler<M extends RequestMethod> = (params: RequestMap[M]['params']) => Promise<RequestMap[M]['result']> | RequestMap[M]['result'];

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
  constructor(
    private readonly handlers: RequestHandlers,
    private readonly post: PostResponse,
    /** Called with every handler failure (for the output channel); never with a successful call. */
    private readonly onError?: (method: string, e: unknown) => void,
  ) {}

  /**
   * Handles one request and resolves after its response was posted. Never rejects: a failing post (the
   * webview is gone) is swallowed, since nobody is left to answer.
   */
  async dispatch(msg: { type: 'request'; id: number; method: string; params?: unknown }): Promise<void> {
    const id = msg.id;
    let response: Response;
    try {
      if (!Number.isSafeInteger(id)) throw new Error(`malformed request id ${JSON.stringify(id)}`);
      const handler = Object.prototype.hasOwnProperty.call(this.handlers, msg.method)
        ? (this.handlers as Record<string, ((p: unknown) => unknown) | undefined>)[msg.method]
        : undefined;
      if (!handler) throw new Error(`request ${JSON.stringify(msg.method)} is not supported by this view`);
      const result = await handler(msg.params);
      response = { type: 'response', id, ok: true, result: result ?? {} } as Response;
    } catch (e) {
      this.onError?.(msg.method, e);
      response = { type: 'response', id, ok: false, error: errorToLine(e) };
    }
    try {
      await this.post(response);
    } catch (e) {
      this.onError?.(msg.method, e);
    }
  }
}
