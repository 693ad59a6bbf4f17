/**
 * The typed messaging client of a webview: the `ready` handshake, requests over the id-matched channel
 * (src/protocol/channel.ts: one promise per request id, settled only by the host's `response` with that id,
 * rejected with its `error`, when the per-method timeout passes, or when its signal aborts — the last two
 * also tell the host to stop), and the host's pushed messages (`init`, `update`, `busy`, `notice`) handed to
 * listeners.
 */
import { RequestChannel } from '../../src/protocol/channel';
import type { ComparisonProtocol, FromWebview, RequestMethod, TensorFileProtocol, ViewProtocol } from '../../src/protocol/messages';

/** What the host pushes to the view of protocol P. */
export type PushMessage<P extends ViewProtocol> = P['push'];

/** A request the host answered with `ok: false`, or that got no answer in time. */
export class RequestError extends Error {
  constructor(
    readonly method: string,
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
  classPage: 30_000,
  heatmap: 30_000,
  copy: 15_000,
  save: 0,
  compareWith: 0,
  openAsText: 15_000,
};

/**
 * The client of one view: typed by its protocol P, so a view can only request what its host serves and
 * only receives what its host pushes.
 */
export class HostClient<P extends ViewProtocol> {
  private readonly channel: RequestChannel<P['requests'], string>;
  private readonly listeners = new Set<(m: PushMessage<P>) => void>();

  constructor(
    private readonly post: (m: FromWebview<P>) => void,
    private readonly timeouts: Readonly<Record<keyof P['requests'] & string, number>> = DEFAULT_TIMEOUTS as Record<keyof P['requests'] & string, number>,
  ) {
    this.channel = new RequestChannel<P['requests'], string>({
      send: (m) => this.post(m as FromWebview<P>),
      toError: (error, method) => new RequestError(method, error || `${method} failed`),
      timedOut: (method, ms) => new RequestError(method, `${method}: no answer from the extension after ${ms / 1000} s`, true),
      cancelled: (method) => new RequestError(method, `${method} was cancelled`),
    });
  }

  /** Tells the host the page is listening; it answers with `init`. */
  ready(): void {
    this.post({ type: 'ready' });
  }

  log(level: 'info' | 'error', message: string): void {
    this.post({ type: 'log', level, message });
  }

  get pendingCount(): number {
    return this.channel.pendingCount;
  }

  /** One request; aborting `signal` rejects it at once and tells the host to stop it. */
  request<M extends keyof P['requests'] & string>(
    method: M,
    params: P['requests'][M]['params'],
    timeoutMs: number = this.timeouts[method],
    signal?: AbortSignal,
  ): Promise<P['requests'][M]['result']> {
    return this.channel.request(method, params, { timeoutMs, signal });
  }

  /** Registers a listener for pushed messages; returns its removal. */
  onPush(fn: (m: PushMessage<P>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Feeds one `message` event's data; anything that is not a host message is ignored. */
  receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    // A reply settles only the request with its id (a late or foreign one is dropped).
    if ((data as { type: string }).type === 'response') {
      this.channel.receive(data);
      return;
    }
    for (const fn of this.listeners) fn(data as PushMessage<P>);
  }

  /** Rejects every pending request (the page is going away). */
  dispose(): void {
    this.channel.close(new Error('the view was closed'));
  }
}

export type ComparisonClient = HostClient<ComparisonProtocol>;
export type TensorFileClient = HostClient<TensorFileProtocol>;

/** A client posting through `post` and listening to the window's `message` events. */
export function connectHost<P extends ViewProtocol>(post: (m: FromWebview<P>) => void): HostClient<P> {
  const client = new HostClient<P>(post);
  window.addEventListener('message', (e: MessageEvent) => client.receive(e.data));
  return client;
}
