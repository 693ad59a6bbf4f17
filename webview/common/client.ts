/**
 * The typed messaging client of a webview: the `ready` handshake, one promise per request id (resolved by
 * the host's single `response`, rejected with its `error` or when the per-method timeout passes), and the
 * host's pushed messages (`init`, `update`, `busy`, `notice`) handed to listeners.
 */
import type { HostToWebview, RequestMap, RequestMethod, Response, WebviewToHost } from '../../src/protocol/messages';

export type PushMessage = Exclude<HostToWebview, Response>;

/** A request the host answered with `ok: false`, or that got no answer in time. */
export class RequestError extends Error {
  constructor(
    readonly method: RequestMethod,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/**
 * Milliseconds to wait for each method's response; 0 waits forever. `save` and `compareWith` open dialogs
 * and quick picks on the host, which a person may leave open as long as they like.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<RequestMethod, number>> = {
  recompute: 120_000,
  slice: 30_000,
  heatmap: 30_000,
  copy: 15_000,
  save: 0,
  compareWith: 0,
};

interface Pending {
  method: RequestMethod;
  resolve: (result: never) => void;
  reject: (err: RequestError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class HostClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(m: PushMessage) => void>();

  constructor(
    private readonly post: (m: WebviewToHost) => void,
    private readonly timeouts: Readonly<Record<RequestMethod, number>> = DEFAULT_TIMEOUTS,
  ) {}

  /** Tells the host the page is listening; it answers with `init`. */
  ready(): void {
    this.post({ type: 'ready' });
  }

  log(level: 'info' | 'error', message: string): void {
    this.post({ type: 'log', level, message });
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  request<M extends RequestMethod>(
    method: M,
    params: RequestMap[M]['params'],
    timeoutMs: number = this.timeouts[method],
  ): Promise<RequestMap[M]['result']> {
    const id = this.nextId++;
    return new Promise<RequestMap[M]['result']>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new RequestError(method, `${method}: no answer from the extension after ${timeoutMs / 1000} s`, true));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { method, resolve: resolve as (r: never) => void, reject, timer });
      this.post({ type: 'request', id, method, params } as WebviewToHost);
    });
  }

  /** Registers a listener for pushed messages; returns its removal. */
  onPush(fn: (m: PushMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Feeds one `message` event's data; anything that is not a host message is ignored. */
  receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    const msg = data as HostToWebview;
    if (msg.type === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return; // timed out already, or not ours
      this.pending.delete(msg.id);
      if (p.timer !== undefined) clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result as never);
      else p.reject(new RequestError(p.method, msg.error || `${p.method} failed`));
      return;
    }
    for (const fn of this.listeners) fn(msg);
  }
}

/** A client posting through `post` and listening to the window's `message` events. */
export function connectHost(post: (m: WebviewToHost) => void): HostClient {
  const client = new HostClient(post);
  window.addEventListener('message', (e: MessageEvent) => client.receive(e.data));
  return client;
}
