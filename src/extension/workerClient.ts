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
 * - Requests and replies go over the id-matched channel (src/protocol/channel.ts): any number of views may
 *   have jobs in flight at once and each gets its own reply.
 * - Cancelling (an AbortSignal) rejects that job at once with {@link CancelledError} and sends `cancel`: the
 *   worker stops it before computing, and the engine's pool drops the ranges it has not started. The worker
 *   keeps running, so the other views' jobs go on and its cache (every view's tensors) stays.
 * - A crashed worker (e.g. out of memory) rejects its jobs with a {@link WorkerFailure} and is restarted on
 *   the next request.
 */
import { Worker } from 'node:worker_threads';
import type { LossOptions } from '../engine/types';
import type { HeatmapData, HeatmapRequest, SliceData, SliceRequest, TensorFileState } from '../protocol/messages';
import type { ReadLimits } from '../readers/types';
import { RequestChannel } from '../protocol/channel';
import { unpackPerClass } from '../protocol/packedClasses';
import type {
  CacheInfo, FileSource, ReportResult, TensorListing, WorkerError, WorkerInit, WorkerMethod, WorkerRequestMap,
} from '../worker/protocol';
import type { TensorRef } from '../readers/tensorRef';

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

export interface ReportParams {
  logits: TensorRef;
  target: TensorRef;
  options: LossOptions;
  sweepEps: number[] | null;
  limits?: Partial<ReadLimits>;
}

const MAX_ATTEMPTS = 4;

interface LiveWorker {
  worker: Worker;
  channel: RequestChannel<WorkerRequestMap, WorkerError>;
}

export class WorkerClient {
  private live: LiveWorker | undefined;
  private disposed = false;
  /** Workers started so far (1 + restarts after crashes). */
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

  /**
   * Report and ε sweep for a pair; the files stay loaded in the worker for the next call. A vocabulary's per-class
   * numbers cross packed (packedClasses.ts) and are whole again here.
   */
  async report(p: ReportParams, o: CallOptions = {}): Promise<ReportResult> {
    const r: ReportResult = await this.withFiles(
      [p.logits.uri, p.target.uri],
      ([lf, tf]) => ({
        method: 'report',
        params: { logits: { file: lf!, key: p.logits.key }, target: { file: tf!, key: p.target.key }, options: p.options, sweepEps: p.sweepEps, limits: p.limits },
      }),
      o,
    );
    if (!r.perClassPacked) return r;
    const { perClassPacked, ...rest } = r;
    return { ...rest, report: { ...r.report, perClass: unpackPerClass(perClassPacked) } };
  }

  slice(p: { logits: TensorRef; target: TensorRef; options: LossOptions; request: SliceRequest; limits?: Partial<ReadLimits> }, o: CallOptions = {}): Promise<SliceData> {
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
    if (this.disposed || this.live) return;
    this.ensureWorker().worker.unref();
  }

  /** Drops files from the worker's cache (no-op when no worker runs). */
  async evict(uris: string[]): Promise<number> {
    if (!this.live || uris.length === 0) return 0;
    const r = await this.call('evict', { uris }, [], {});
    return r.evicted;
  }

  cacheInfo(): Promise<CacheInfo> {
    return this.call('cacheInfo', {}, [], {});
  }

  dispose(): void {
    this.disposed = true;
    const live = this.live;
    this.live = undefined;
    live?.channel.close(new CancelledError('the worker client was disposed'));
    if (live) void live.worker.terminate();
  }

  /** Builds file sources, sends the request, and answers `need-bytes` by sending again with the bytes. */
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

  private ensureWorker(): LiveWorker {
    if (this.disposed) throw new CancelledError('the worker client was disposed');
    if (this.live) return this.live;
    const init: WorkerInit = this.opts.cacheBytes !== undefined ? { cacheBytes: this.opts.cacheBytes } : {};
    const w = new Worker(this.opts.workerPath, { workerData: init, name: 'loss-inspector-worker' });
    this.startCount++;
    const channel = new RequestChannel<WorkerRequestMap, WorkerError>({
      send: (m, transfer) => w.postMessage(m, transfer as ArrayBuffer[] | undefined),
      toError: (error) => new WorkerFailure(error),
      cancelled: () => new CancelledError(),
      // An idle worker must not keep a Node process (tests, the CLI) alive.
      onPendingChange: (n) => (n > 0 ? w.ref() : w.unref()),
    });
    const live: LiveWorker = { worker: w, channel };
    const crashed = (message: string) => {
      if (this.live !== live) return;
      this.live = undefined;
      void w.terminate();
      channel.close(new WorkerFailure({ name: 'WorkerCrash', message }));
    };
    w.on('message', (m: unknown) => channel.receive(m));
    w.on('error', (err) => {
      this.opts.log?.(`worker error: ${err.stack ?? err.message}`);
      crashed(`the Loss Inspector worker stopped: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (this.live === live) this.opts.log?.(`worker exited with code ${code}`);
      crashed(`the Loss Inspector worker exited (code ${code})`);
    });
    this.live = live;
    return live;
  }

  private call<M extends WorkerMethod>(method: M, params: WorkerRequestMap[M]['params'], transfer: ArrayBuffer[], o: CallOptions): Promise<WorkerRequestMap[M]['result']> {
    let live: LiveWorker;
    try {
      live = this.ensureWorker();
    } catch (e) {
      return Promise.reject(e);
    }
    return live.channel.request(method, params, { signal: o.signal, onProgress: o.onProgress, transfer });
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
