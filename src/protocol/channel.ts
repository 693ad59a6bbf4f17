/**
 * One id-matched request channel for every asynchronous boundary of the project (webview ↔ extension host,
 * extension host ↔ tensor worker, worker/CLI ↔ accumulate threads). Pure: no `vscode`, no `node:`, no DOM;
 * the transport is a `send` function and a `receive` call, so the same code runs over `postMessage` of a
 * webview, a `worker_threads` port or a test's array.
 *
 * Wire messages (see the types below):
 * - `request {id, method, params}` → exactly one `response {id, ok, result | error}`, optionally preceded by
 *   `progress {id, message}`;
 * - `cancel {id}` asks the serving side to stop that request; the caller does not wait for it.
 *
 * Guarantees, each tested in test/unit/channel.test.ts:
 * - a reply only ever settles the request with its id (out-of-order and late replies are harmless: an unknown
 *   or settled id is ignored), so two callers never see each other's results;
 * - the serving side always answers: an unknown method, a handler that throws or rejects, a malformed id all
 *   produce an `ok: false` reply;
 * - an aborted signal or a timeout rejects the caller at once and sends `cancel`; the handler sees its
 *   `signal` abort and may stop early;
 * - {@link RequestChannel.close} rejects every pending request, and every later one.
 */

/** A method map: request name → its parameters and result. */
export type MethodMap = { [method: string]: { params: unknown; result: unknown } };

export interface RequestMessage<Map extends MethodMap = MethodMap, M extends keyof Map & string = keyof Map & string> {
  type: 'request';
  id: number;
  method: M;
  params: Map[M]['params'];
}

/** Every request message of a map, as a union keyed by `method`. */
export type RequestUnion<Map extends MethodMap> = { [M in keyof Map & string]: RequestMessage<Map, M> }[keyof Map & string];

export type ResponseMessage<R = unknown, E = string> =
  | { type: 'response'; id: number; ok: true; result: R }
  | { type: 'response'; id: number; ok: false; error: E };

export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export interface ProgressMessage {
  type: 'progress';
  id: number;
  message: string;
}

/** What a caller posts. */
export type CallerMessage<Map extends MethodMap> = RequestUnion<Map> | CancelMessage;
/** What a server posts. */
export type ServerMessage<Map extends MethodMap, E = string> = ResponseMessage<Map[keyof Map]['result'], E> | ProgressMessage;

/** Buffers to move (not copy) with a message; ignored by transports that cannot transfer. */
export type Transfer = readonly ArrayBuffer[];

/** The request was cancelled by its caller (its signal aborted). */
export class ChannelCancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

/** The request got no reply within its timeout. */
export class ChannelTimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The channel was closed (the other side went away, or its owner was disposed) before the reply came. */
export class ChannelClosedError extends Error {
  override name = 'ChannelClosedError';
}

export interface RequestOptions {
  /** Aborting rejects the request at once (see `cancelled` in {@link CallerOptions}) and sends `cancel`. */
  signal?: AbortSignal | undefined;
  /** Called for each `progress` message of this request. */
  onProgress?: ((message: string) => void) | undefined;
  /** Milliseconds until the request rejects with a timeout (and is cancelled); 0 or absent: no timeout. */
  timeoutMs?: number | undefined;
  transfer?: Transfer | undefined;
}

export interface CallerOptions<Map extends MethodMap, E> {
  send(message: CallerMessage<Map>, transfer?: Transfer): void;
  /** The rejection for an `ok: false` reply. */
  toError(error: E, method: keyof Map & string): Error;
  /** The rejection for a cancelled request (default {@link ChannelCancelledError}). */
  cancelled?(method: keyof Map & string): Error;
  /** The rejection for a timed-out request (default {@link ChannelTimeoutError}). */
  timedOut?(method: keyof Map & string, ms: number): Error;
  /** Called whenever the number of pending requests changes (e.g. to ref/unref a worker). */
  onPendingChange?(pending: number): void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress: ((message: string) => void) | undefined;
  cleanup(): void;
}

/** The calling side: numbers requests, matches replies by id, cancels, times out, closes. */
export class RequestChannel<Map extends MethodMap, E = string> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | undefined;

  constructor(private readonly opts: CallerOptions<Map, E>) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  request<M extends keyof Map & string>(method: M, params: Map[M]['params'], o: RequestOptions = {}): Promise<Map[M]['result']> {
    return new Promise<Map[M]['result']>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      if (o.signal?.aborted) return reject(this.cancelledError(method));
      const id = this.nextId++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => this.abandon(id, this.cancelledError(method));
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, onProgress: o.onProgress, cleanup });
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const ms = o.timeoutMs ?? 0;
      if (ms > 0) {
        timer = setTimeout(() => {
          const err = this.opts.timedOut?.(method, ms) ?? new ChannelTimeoutError(`${method}: no answer after ${ms / 1000} s`);
          this.abandon(id, err);
        }, ms);
      }
      this.opts.onPendingChange?.(this.pending.size);
      try {
        this.opts.send({ type: 'request', id, method, params } as RequestUnion<Map>, o.transfer);
      } catch (e) {
        this.settle(id)?.reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /**
   * Feeds one message from the serving side. Returns true when it was a reply or progress of a pending
   * request of this channel; anything else (another protocol's message, a late reply) returns false.
   */
  receive(data: unknown): boolean {
    if (!isIdMessage(data)) return false;
    const m = data as ServerMessage<Map, E>;
    if (m.type === 'progress') {
      const p = this.pending.get(m.id);
      p?.onProgress?.(m.message);
      return p !== undefined;
    }
    if (m.type !== 'response') return false;
    const p = this.settle(m.id);
    if (!p) return false;
    if (m.ok) p.resolve(m.result);
    else p.reject(this.opts.toError(m.error, p.method as keyof Map & string));
    return true;
  }

  /** Rejects every pending request with `reason`, and every later request too. Idempotent. */
  close(reason: Error = new ChannelClosedError('the channel was closed')): void {
    this.closedWith ??= reason;
    this.rejectAll(reason);
  }

  /**
   * Rejects every pending request with `reason` but keeps the channel usable (the transport was replaced, e.g.
   * a crashed worker that the next request restarts).
   */
  rejectAll(reason: Error): void {
    const ids = [...this.pending.keys()];
    for (const id of ids) this.settle(id)?.reject(reason);
  }

  private cancelledError(method: keyof Map & string): Error {
    return this.opts.cancelled?.(method) ?? new ChannelCancelledError(`${method} was cancelled`);
  }

  /** Rejects a pending request on this side and tells the other side to stop it. */
  private abandon(id: number, err: Error): void {
    const p = this.settle(id);
    if (!p) return;
    p.reject(err);
    if (this.closedWith) return;
    try {
      this.opts.send({ type: 'cancel', id });
    } catch {
      // The transport is gone: nothing left to stop.
    }
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.cleanup();
    this.opts.onPendingChange?.(this.pending.size);
    return p;
  }
}

/** What a handler gets besides its parameters. */
export interface HandlerContext {
  id: number;
  /** Aborts when the caller cancels or the server is disposed: stop early where it is cheap to check. */
  signal: AbortSignal;
  progress(message: string): void;
}

export type Handler<Map extends MethodMap, M extends keyof Map> = (
  params: Map[M]['params'],
  ctx: HandlerContext,
) => Map[M]['result'] | Promise<Map[M]['result']>;

/** Handlers for the methods a side serves; a missing one answers "not supported". */
export type Handlers<Map extends MethodMap> = { [M in keyof Map]?: Handler<Map, M> };

export interface ServerOptions<Map extends MethodMap, E> {
  /** Posts a reply or progress; may return a promise (a webview's postMessage). A throw is reported, not raised. */
  send(message: ServerMessage<Map, E>, transfer?: Transfer): unknown;
  /** An error (anything thrown) as it crosses to the caller. */
  toError(e: unknown): E;
  /** Buffers of a result to move instead of copy. */
  transferOf?(result: unknown): Transfer;
  /** Every handler failure and failed post (for a log); never called for a success. */
  onError?(method: string, e: unknown): void;
  /** The error for a method this side does not serve. */
  unsupported?(method: string): unknown;
}

/** The serving side: runs handlers, always answers, aborts a handler's signal on `cancel`. */
export class RequestServer<Map extends MethodMap, E = string> {
  private readonly running = new Map<number, AbortController>();
  private disposed = false;

  constructor(
    private readonly handlers: Handlers<Map>,
    private readonly opts: ServerOptions<Map, E>,
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Feeds one message from the caller. A request resolves after its reply was posted (never rejects); a cancel
   * aborts the handler's signal. Returns undefined for messages that are neither.
   */
  receive(data: unknown): Promise<void> | undefined {
    if (typeof data !== 'object' || data === null) return undefined;
    const m = data as { type?: unknown; id?: unknown; method?: unknown; params?: unknown };
    if (m.type === 'cancel') {
      if (typeof m.id === 'number') this.running.get(m.id)?.abort();
      return Promise.resolve();
    }
    if (m.type !== 'request') return undefined;
    return this.serve(m.id as number, typeof m.method === 'string' ? m.method : String(m.method), m.params);
  }

  /** Aborts every running handler; their replies are still posted if the transport takes them. */
  dispose(): void {
    this.disposed = true;
    for (const c of this.running.values()) c.abort();
  }

  private async serve(id: number, method: string, params: unknown): Promise<void> {
    let reply: ResponseMessage<unknown, E>;
    let transfer: Transfer | undefined;
    const ctrl = new AbortController();
    try {
      if (!Number.isSafeInteger(id)) throw new Error(`malformed request id ${JSON.stringify(id)}`);
      if (this.running.has(id)) throw new Error(`request id ${id} is already running`);
      const handler = Object.prototype.hasOwnProperty.call(this.handlers, method)
        ? (this.handlers as Record<string, Handler<Map, string> | undefined>)[method]
        : undefined;
      if (!handler) throw this.opts.unsupported?.(method) ?? new Error(`request ${JSON.stringify(method)} is not supported here`);
      this.running.set(id, ctrl);
      if (this.disposed) ctrl.abort();
      const progress = (message: string) => {
        if (ctrl.signal.aborted) return;
        this.post({ type: 'progress', id, message }, undefined, method);
      };
      const result = await handler(params as never, { id, signal: ctrl.signal, progress });
      reply = { type: 'response', id, ok: true, result: result ?? {} };
      transfer = this.opts.transferOf?.(result);
    } catch (e) {
      if (!ctrl.signal.aborted) this.opts.onError?.(method, e);
      reply = { type: 'response', id, ok: false, error: this.opts.toError(e) };
    } finally {
      if (this.running.get(id) === ctrl) this.running.delete(id);
    }
    await this.post(reply as ServerMessage<Map, E>, transfer, method);
  }

  private async post(m: ServerMessage<Map, E>, transfer: Transfer | undefined, method: string): Promise<void> {
    try {
      await this.opts.send(m, transfer);
    } catch (e) {
      this.opts.onError?.(method, e);
    }
  }
}

function isIdMessage(data: unknown): data is { type: string; id: number } {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string' && typeof (data as { id?: unknown }).id === 'number';
}

/** Throws the signal's reason (a {@link ChannelCancelledError} unless given) when it has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ChannelCancelledError();
}

/**
 * Resolves once the messages already queued behind the current one have been handled, so a `cancel` queued
 * behind a request is seen first. Node hands a port's queued messages over in one go, before its check phase:
 * `setImmediate` is enough there, where `setTimeout(0)` waits a whole millisecond.
 */
export function yieldToMessages(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((r) => (immediate ? immediate(r) : setTimeout(r, 0)));
}
