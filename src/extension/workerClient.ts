/**
 * The extension host's side of the tensor worker (dist/worker.js, src/worker/worker.ts): typed requests over
 * `worker_threads`, so reading and computing never run on the host's main thread. Free of `vscode` (file
 * access comes in through {@link FileAccess}) so the round trip and the event-loop stall harness run in plain
 * Node.
 *
 * - Files go to the worker as a {@link FileSource}: for local files the worker reads the path itself (the host
 *   touches no bytes); otherwise, when the worker answers `need-bytes`, the host reads them through
 *   `FileAccess.readFile` (vscode.workspace.fs in the extension) and transfers the buffer (no copy).
 * - The worker caches loaded files by (URI, mtime, size): recomputing with other options re-reads nothing.
 * - Cancelling (an AbortSignal) terminates the worker, since the engine's passes are synchronous; the job
 *   rejects with {@link CancelledError}; other jobs in flight are re-sent to a fresh worker transparently.
 * - A crashed worker (e.g. out of memory) rejects its jobs with a {@link WorkerFailure} and is restarted on
 *   the next request.
 */
import { Worker } from 'node:worker_threads';
import type { LossOptions } from '../engine/types';
import type { HeatmapData, HeatmapRequest, SliceData, SliceRequest, TensorFileState } from '../protocol/messages';
import type { ReadLimits } from '../readers/types';
import type {
  CacheInfo, FileSource, HostToWorker, ReportResult, TensorListing, WorkerError, WorkerInit, WorkerMethod,
  WorkerRequestMap, WorkerToHost,
} from '../worker/protocol';
import type { TensorSpec } from './tensorSpec';

/** How the host reaches files: vscode.workspace.fs in the extension, node:fs in tests. */
export interface FileAccess {
  /** Modification time (ms since the epoch) and size (bytes). */
  stat(uri: string): Promise<{ mtime: number; size: number }>;
  readFile(uri: string): Promise<Uint8Array>;
  /** A path the worker can read directly (local `file:` URIs), else undefined. */
  localPath(uri: string): string | undefined;
  /** The base name for messages (`labels.nii.gz`). */
  fileName(uri: string): string;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface WorkerClientOptions {
  /** Absolute path of dist/worker.js. */
  workerPath: string;
  files: FileAccess;
  cacheBytes?: number;
  /** Let the worker read local files itself (default true); false always sends bytes read by the host. */
  readLocalFilesInWorker?: boolean;
  log?: (line: string) => void;
}

/** The job was cancelled by the user (its AbortSignal fired). */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

/** An error the worker reported (a reader's TensorFileError, the engine's LossInputError, …) or a crash. */
export class WorkerFailure extends Error {
  readonly info: WorkerError;
  constructor(info: WorkerError) {
    super(info.message);
    this.info = info;
    this.name = info.name;
  }
}

/** Internal: the worker went away under a job that did not ask for it (retried by the client). */
class WorkerRestarted extends Error {
  override name = 'WorkerRestarted';
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (message: string) => void;
}

export interface ReportParams {
  logits: TensorSpec;
  target: TensorSpec;
  options: LossOptions;
  sweepEps: number[] | null;
  limits?: Partial<ReadLimits>;
}

const MAX_ATTEMPTS = 4;

export class WorkerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  /** Workers started so far (1 + restarts after cancellations and crashes). */
  startCount = 0;

  constructor(private readonly opts: WorkerClientOptions) {}

  /** Keys, dtypes and shapes of a file's tensors. */
  list(uri: string, limits?: Partial<ReadLimits>, o: CallOptions = {}): Promise<TensorListing> {
    return this.withFiles([uri], ([file]) => ({ method: 'list', params: { file: file!, limits } }), o);
  }

  /** The tensor editor's state for a file: every tensor with stats and a histogram. */
  describe(uri: string, limits?: Partial<ReadLimits>, o: CallOptions = {}): Promise<TensorFileState> {
    return this.withFiles([uri], ([file]) => ({ method: 'describe', params: { file: file!, limits, bins: 64 } }), o);
  }

  /** Report and ε sweep for a pair; the files stay loaded in the worker for the next call. */
  report(p: ReportParams, o: CallOptions = {}): Promise<ReportResult> {
    return this.withFiles(
      [p.logits.uri, p.target.uri],
      ([lf, tf]) => ({
        method: 'report',
        params: { logits: { file: lf!, key: p.logits.key }, target: { file: tf!, key: p.target.key }, options: p.options, sweepEps: p.sweepEps, limits: p.limits },
      }),
      o,
    );
  }

  slice(p: { logits: TensorSpec; target: TensorSpec; options: LossOptions; request: SliceRequest; limits?: Partial<ReadLimits> }, o: CallOptions = {}): Promise<SliceData> {
    return this.withFiles(
      [p.logits.uri, p.target.uri],
      ([lf, tf]) => ({
        method: 'slice',
        params: { logits: { file: lf!, key: p.logits.key }, target: { file: tf!, key: p.target.key }, options: p.options, request: p.request, limits: p.limits },
      }),
      o,
    );
  }

  heatmap(uri: string, request: HeatmapRequest, limits?: Partial<ReadLimits>, o: CallOptions = {}): Promise<HeatmapData> {
    return this.withFiles([uri], ([file]) => ({ method: 'heatmap', params: { file: file!, request, limits } }), o);
  }

  /**
   * Starts the worker ahead of the first request (its start-up, ≈ 0.1–0.3 s, then overlaps with the user
   * picking files). An idle worker does not keep the process alive.
   */
  warm(): void {
    if (this.disposed || this.worker) return;
    this.ensureWorker();
    this.updateRef();
  }

  /** Drops files from the worker's cache (no-op when no worker runs). */
  async evict(uris: string[]): Promise<number> {
    if (!this.worker || uris.length === 0) return 0;
    const r = await this.call('evict', { uris }, [], {});
    return r.evicted;
  }

  cacheInfo(): Promise<CacheInfo> {
    return this.call('cacheInfo', {}, [], {});
  }

  dispose(): void {
    this.disposed = true;
    this.stop(new CancelledError('the worker client was disposed'), undefined);
  }

  /** Builds file sources, sends the request, and answers `need-bytes` / restarts by sending again. */
  private async withFiles<M extends WorkerMethod>(
    uris: string[],
    build: (files: FileSource[]) => { method: M; params: WorkerRequestMap[M]['params'] },
    o: CallOptions,
  ): Promise<WorkerRequestMap[M]['result']> {
    const distinct = [...new Set(uris)];
    const stats = await Promise.all(distinct.map((u) => this.opts.files.stat(u)));
    throwIfAborted(o.signal);
    const sources = new Map<string, FileSource>();
    distinct.forEach((uri, i) => {
      const st = stats[i]!;
      const src: FileSource = { uri, fileName: this.opts.files.fileName(uri), mtime: st.mtime, size: st.size };
      const local = this.opts.readLocalFilesInWorker === false ? undefined : this.opts.files.localPath(uri);
      if (local !== undefined) src.fsPath = local;
      sources.set(uri, src);
    });
    for (let attempt = 1; ; attempt++) {
      const files = uris.map((u) => sources.get(u)!);
      const { method, params } = build(files);
      const transfer = [...sources.values()].flatMap((s) => (s.bytes ? [s.bytes.buffer as ArrayBuffer] : []));
      try {
        return await this.call(method, params, transfer, o);
      } catch (e) {
        // Transferred bytes are gone (detached) whatever happened.
        for (const s of sources.values()) delete s.bytes;
        if (attempt >= MAX_ATTEMPTS) throw e;
        if (e instanceof WorkerRestarted) {
          this.opts.log?.(`re-sending ${method} to a fresh worker (${e.message})`);
          continue;
        }
        if (e instanceof WorkerFailure && e.info.code === 'need-bytes' && e.info.uri && sources.has(e.info.uri)) {
          o.onProgress?.(`Reading ${this.opts.files.fileName(e.info.uri)}…`);
          const bytes = ownBuffer(await this.opts.files.readFile(e.info.uri));
          throwIfAborted(o.signal);
          const src = sources.get(e.info.uri)!;
          src.bytes = bytes;
          delete src.fsPath;
          continue;
        }
        throw e;
      }
    }
  }

  private ensureWorker(): Worker {
    if (this.disposed) throw new CancelledError('the worker client was disposed');
    if (this.worker) return this.worker;
    const init: WorkerInit = this.opts.cacheBytes !== undefined ? { cacheBytes: this.opts.cacheBytes } : {};
    const w = new Worker(this.opts.workerPath, { workerData: init, name: 'loss-inspector-worker' });
    this.startCount++;
    w.on('message', (m: WorkerToHost) => this.onMessage(m));
    w.on('error', (err) => {
      this.opts.log?.(`worker error: ${err.stack ?? err.message}`);
      if (this.worker === w) this.stop(new WorkerFailure({ name: 'WorkerCrash', message: `the Loss Inspector worker stopped: ${err.message}` }), undefined);
    });
    w.on('exit', (code) => {
      if (this.worker === w) {
        this.opts.log?.(`worker exited with code ${code}`);
        this.stop(new WorkerFailure({ name: 'WorkerCrash', message: `the Loss Inspector worker exited (code ${code})` }), undefined);
      }
    });
    this.worker = w;
    return w;
  }

  private onMessage(m: WorkerToHost): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.(m.message);
      return;
    }
    this.pending.delete(m.id);
    this.updateRef();
    if (m.ok) p.resolve(m.result);
    else p.reject(new WorkerFailure(m.error));
  }

  private call<M extends WorkerMethod>(method: M, params: WorkerRequestMap[M]['params'], transfer: ArrayBuffer[], o: CallOptions): Promise<WorkerRequestMap[M]['result']> {
    return new Promise((resolve, reject) => {
      if (o.signal?.aborted) {
        reject(new CancelledError());
        return;
      }
      let worker: Worker;
      try {
        worker = this.ensureWorker();
      } catch (e) {
        reject(e);
        return;
      }
      const id = this.nextId++;
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.opts.log?.(`cancelling ${method}: restarting the worker`);
        this.stop(new WorkerRestarted('another job was cancelled'), id);
      };
      const done = <T>(f: (v: T) => void) => (v: T) => {
        o.signal?.removeEventListener('abort', onAbort);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve as (v: unknown) => void), reject: done(reject), onProgress: o.onProgress });
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.updateRef();
      const msg = { type: 'request', id, method, params } as HostToWorker;
      try {
        worker.postMessage(msg, transfer);
      } catch (e) {
        this.pending.delete(id);
        this.updateRef();
        done(reject)(e);
      }
    });
  }

  /**
   * Terminates the worker: job `cancelled` (if any) rejects with CancelledError, every other pending job with
   * `reason` (WorkerRestarted makes withFiles re-send it to a fresh worker).
   */
  private stop(reason: Error, cancelled: number | undefined): void {
    const w = this.worker;
    this.worker = undefined;
    const jobs = [...this.pending.entries()];
    this.pending.clear();
    if (w) void w.terminate();
    for (const [id, p] of jobs) p.reject(id === cancelled ? new CancelledError() : reason);
  }

  /** An idle worker must not keep a Node process (tests, the CLI) alive. */
  private updateRef(): void {
    if (!this.worker) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A Uint8Array that owns its whole ArrayBuffer, so transferring it moves exactly these bytes. */
function ownBuffer(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) {
    return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer);
  }
  return new Uint8Array(b); // a copy (Buffer#slice would be a view)
}
