/**
 * What the worker thread does, independent of `worker_threads` (src/worker/worker.ts only wires messages), so
 * it can also be driven in-process by tests: reads tensor files (from a local path or transferred bytes),
 * keeps them in an LRU cache keyed by (URI, mtime, size) so that an option change recomputes without
 * re-reading, and answers the requests of src/worker/protocol.ts with the readers and the engine.
 */
import { toSharedBytes } from '../node/fileBytes';
import { readTensorFileAtAsync } from '../node/tensorFileAt';
import { performance } from 'node:perf_hooks';
import * as engine from '../engine/index';
import { computeReportAndSweepParallel, computeReportParallel, PARALLEL_MIN_VALUES, sharedPool } from '../parallel/index';
import type { Tensor } from '../engine/tensor';
import type { TensorFileState, TensorSummary } from '../protocol/messages';
import { readTensorFile } from '../readers/index';
import { histogram, tensorStats } from '../readers/stats';
import { pickTensor } from '../readers/tensorRef';
import type { ReadLimits, TensorFile } from '../readers/types';
import { findVoidLabel, type VoidLabel } from '../engine/voidLabels';
import { headerFacts } from './headerFacts';
import { heatmapOf, initialSlice } from './heatmap';
import type { CacheInfo, FileSource, TensorSource, WorkerError, WorkerMethod, WorkerRequestMap } from './protocol';
import { throwIfCancelled, type Handler, type Handlers } from '../protocol/channel';
import { packPerClass, PACK_CLASSES_ABOVE } from '../protocol/packedClasses';
import { causeChain, oneLine } from '../protocol/errorLine';

/** Default cache budget: two W2-sized pairs (≈ 1 GB each) stay loaded. */
export const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

interface CachedFile {
  uri: string;
  mtime: number;
  size: number;
  file: TensorFile;
  /** Bytes held: the distinct buffers behind the tensors. */
  bytes: number;
  lastUsed: number;
}

/** Thrown when a file is neither cached nor readable by the worker: the host must send its bytes. */
export class NeedBytesError extends Error {
  override name = 'NeedBytesError';
  constructor(readonly uri: string) {
    super(`need the bytes of ${uri}`);
  }
}

export type ProgressFn = (message: string) => void;

export class TensorWorkerService {
  private readonly cache = new Map<string, CachedFile>();
  private readonly loading = new Map<string, Promise<CachedFile>>();
  private reads = 0;
  private clock = 0;

  constructor(private readonly budgetBytes = DEFAULT_CACHE_BYTES) {}

  /**
   * The requests this service answers, for the worker's channel server. `signal` aborts when the host cancels
   * the request: the service stops before computing and the engine's pool drops the ranges it has not
   * started; files read meanwhile stay cached (another view may be waiting on them).
   */
  handlers(): Handlers<WorkerRequestMap> {
    return {
      list: (p, c) => this.list(p, c.progress, c.signal),
      describe: (p, c) => this.describe(p, c.progress, c.signal),
      report: (p, c) => this.report(p, c.progress, c.signal),
      slice: (p, c) => this.slice(p, c.progress, c.signal),
      heatmap: (p, c) => this.heatmap(p, c.progress, c.signal),
      evict: (p) => this.evict(p),
      cacheInfo: () => this.cacheInfo(),
    };
  }

  /** One request by name (tests drive the service in-process through this). */
  async handle<M extends WorkerMethod>(
    method: M,
    params: WorkerRequestMap[M]['params'],
    progress: ProgressFn = () => {},
    signal: AbortSignal = new AbortController().signal,
  ): Promise<WorkerRequestMap[M]['result']> {
    const h = (this.handlers() as Record<string, Handler<WorkerRequestMap, M> | undefined>)[method];
    if (!h) throw new Error(`unknown worker request ${JSON.stringify(method)}`);
    return h(params, { id: 0, signal, progress });
  }

  async list(p: WorkerRequestMap['list']['params'], progress: ProgressFn, signal?: AbortSignal): Promise<WorkerRequestMap['list']['result']> {
    const { entry, readMs } = await this.load(p.file, p.limits, progress, new Set([p.file.uri])).catch((e: unknown) => rethrowFor(p.file.uri, e));
    throwIfCancelled(signal);
    return {
      format: entry.file.format,
      tensors: entry.file.tensors.map((t) => ({ key: t.key, dtype: t.tensor.dtype, shape: [...t.tensor.shape] })),
      nonTensorCount: entry.file.nonTensors.length,
      readMs,
    };
  }

  async describe(p: WorkerRequestMap['describe']['params'], progress: ProgressFn, signal?: AbortSignal): Promise<TensorFileState> {
    const { entry } = await this.load(p.file, p.limits, progress, new Set([p.file.uri]));
    const bins = p.bins ?? 64;
    const tensors: TensorSummary[] = [];
    for (const e of entry.file.tensors) {
      throwIfCancelled(signal);
      progress(`Statistics of ${e.key || p.file.fileName}…`);
      tensors.push(summarize(e.key, e.tensor, bins));
    }
    return {
      uri: p.file.uri,
      fileName: p.file.fileName,
      format: entry.file.format,
      bytes: p.file.size,
      tensors,
      nonTensors: entry.file.nonTensors.map((n) => ({ key: n.key, type: n.type, value: displayValue(n.value) })),
      header: headerFacts(entry.file),
    };
  }

  async report(p: WorkerRequestMap['report']['params'], progress: ProgressFn, signal?: AbortSignal): Promise<WorkerRequestMap['report']['result']> {
    const pair = await this.loadPair(p.logits, p.target, p.limits, progress);
    try {
      return await this.reportOf(pair, p, progress, signal);
    } catch (e) {
      // A target with values outside [0, C): say whether they are a void label (the view then offers ignore_index).
      if (e instanceof engine.LossInputError && e.code === 'label-out-of-range') {
        const C = classCount(pair.logits.tensor.shape, pair.target.tensor.shape, p.options.classAxis);
        const v = C > 0 ? findVoidLabel(pair.target.tensor, C) : null;
        if (v) (e as { voidLabel?: VoidLabel }).voidLabel = v;
      }
      throw e;
    }
  }

  private async reportOf(
    { logits, target, readMs }: { logits: { key: string; tensor: Tensor }; target: { key: string; tensor: Tensor }; readMs: number },
    p: WorkerRequestMap['report']['params'],
    progress: ProgressFn,
    signal?: AbortSignal,
  ): Promise<WorkerRequestMap['report']['result']> {
    throwIfCancelled(signal);
    const t0 = performance.now();
    progress('Computing the report…');
    let report: engine.Report;
    let sweep: engine.EpsSweep | null = null;
    let sweepError: string | undefined;
    // The fused pass is split over the engine's thread pool (src/parallel) for large inputs; the tensors are
    // views on shared memory (see readAndCache), so the pool reads them in place.
    const pool = sharedPool();
    if (p.sweepEps && p.sweepEps.length > 0) {
      // One fused pass gathers the report's sums and the sweep's; should the sweep alone fail, the report
      // is still worth showing.
      try {
        ({ report, sweep } = await computeReportAndSweepParallel(logits.tensor, target.tensor, p.options, p.sweepEps, pool, signal));
      } catch (e) {
        throwIfCancelled(signal);
        report = await computeReportParallel(logits.tensor, target.tensor, p.options, pool, signal);
        sweepError = e instanceof Error ? e.message : String(e);
      }
    } else {
      report = await computeReportParallel(logits.tensor, target.tensor, p.options, pool, signal);
    }
    const computeMs = performance.now() - t0;
    const pack = report.perClass !== null && report.perClass.length > PACK_CLASSES_ABOVE;
    return {
      ...(pack ? { report: { ...report, perClass: null }, perClassPacked: packPerClass(report.perClass!) } : { report }),
      sweep,
      ...(sweepError !== undefined ? { sweepError } : {}),
      logitsKey: logits.key,
      targetKey: target.key,
      logitsShape: [...logits.tensor.shape],
      readMs,
      computeMs,
    };
  }

  async slice(p: WorkerRequestMap['slice']['params'], progress: ProgressFn, signal?: AbortSignal): Promise<WorkerRequestMap['slice']['result']> {
    const { logits, target } = await this.loadPair(p.logits, p.target, p.limits, progress);
    throwIfCancelled(signal);
    return engine.computeSlice(logits.tensor, target.tensor, p.options, p.request);
  }

  async heatmap(p: WorkerRequestMap['heatmap']['params'], progress: ProgressFn, signal?: AbortSignal): Promise<WorkerRequestMap['heatmap']['result']> {
    const { entry } = await this.load(p.file, p.limits, progress, new Set([p.file.uri]));
    throwIfCancelled(signal);
    const t = pickTensor(entry.file, p.file.fileName, p.request.key);
    return heatmapOf(t.tensor, p.file.fileName, p.request, p.maxSide);
  }

  evict(p: WorkerRequestMap['evict']['params']): { evicted: number } {
    let evicted = 0;
    for (const uri of p.uris) if (this.cache.delete(uri)) evicted++;
    return { evicted };
  }

  cacheInfo(): CacheInfo {
    return {
      files: [...this.cache.values()].map((c) => ({ uri: c.uri, mtime: c.mtime, size: c.size, bytes: c.bytes })),
      reads: this.reads,
      budgetBytes: this.budgetBytes,
    };
  }

  private async loadPair(
    l: TensorSource,
    t: TensorSource,
    limits: Partial<ReadLimits> | undefined,
    progress: ProgressFn,
  ): Promise<{ logits: { key: string; tensor: Tensor }; target: { key: string; tensor: Tensor }; readMs: number }> {
    const pinned = new Set([l.file.uri, t.file.uri]);
    const a = await this.load(l.file, limits, progress, pinned).catch((e: unknown) => rethrowFor(l.file.uri, e));
    const b = await this.load(t.file, limits, progress, pinned).catch((e: unknown) => rethrowFor(t.file.uri, e));
    return {
      logits: pickTensor(a.entry.file, l.file.fileName, l.key),
      target: pickTensor(b.entry.file, t.file.fileName, t.key),
      readMs: a.readMs + b.readMs,
    };
  }

  /** The file from the cache when (mtime, size) still match, else read (path or bytes) and cached. */
  private async load(
    src: FileSource,
    limits: Partial<ReadLimits> | undefined,
    progress: ProgressFn,
    pinned: Set<string>,
  ): Promise<{ entry: CachedFile; readMs: number }> {
    const hit = this.cache.get(src.uri);
    if (hit && hit.mtime === src.mtime && hit.size === src.size) {
      hit.lastUsed = ++this.clock;
      return { entry: hit, readMs: 0 };
    }
    const key = `${src.uri}\u0000${src.mtime}\u0000${src.size}`;
    // Before the read starts: with transferred bytes, parsing runs synchronously inside readAndCache().
    const t0 = performance.now();
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.readAndCache(src, limits, progress, pinned).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const entry = await pending;
    return { entry, readMs: performance.now() - t0 };
  }

  private async readAndCache(src: FileSource, limits: Partial<ReadLimits> | undefined, progress: ProgressFn, pinned: Set<string>): Promise<CachedFile> {
    let file: TensorFile;
    let inParts = false;
    if (src.bytes) {
      // Large transferred files move into shared memory once, so every later report's thread pool reads them
      // in place instead of copying the tensors per report.
      const bytes = src.bytes.byteLength >= SHARE_MIN_BYTES && !(src.bytes.buffer instanceof SharedArrayBuffer) ? toSharedBytes(src.bytes) : src.bytes;
      progress(`Parsing ${src.fileName}…`);
      file = readTensorFile(bytes, src.fileName, limits);
    } else if (src.fsPath) {
      progress(`Reading ${src.fileName}…`);
      const at = await readTensorFileAtAsync(src.fsPath, src.fileName, limits);
      file = at.file;
      inParts = at.inParts;
    } else {
      throw new NeedBytesError(src.uri);
    }
    this.reads++;
    const buffers = new Set<ArrayBufferLike>();
    // a file read in parts is counted at its size: its tensors are read when asked for
    let held = inParts ? src.size : 0;
    for (const t of inParts ? [] : file.tensors) {
      const b = t.tensor.data.buffer;
      if (!buffers.has(b)) {
        buffers.add(b);
        held += b.byteLength;
      }
    }
    const entry: CachedFile = { uri: src.uri, mtime: src.mtime, size: src.size, file, bytes: held, lastUsed: ++this.clock };
    this.cache.set(src.uri, entry);
    this.trim(pinned);
    return entry;
  }

  /** Drops least recently used files until the cache fits its budget; the current request's files stay. */
  private trim(pinned: Set<string>): void {
    let total = 0;
    for (const c of this.cache.values()) total += c.bytes;
    const lru = [...this.cache.values()].filter((c) => !pinned.has(c.uri)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const c of lru) {
      if (total <= this.budgetBytes) break;
      this.cache.delete(c.uri);
      total -= c.bytes;
    }
  }
}

/** Files from this size on are held in shared memory (the engine's pool splits inputs from 1 Mi values). */
const SHARE_MIN_BYTES = PARALLEL_MIN_VALUES * 4;

function summarize(key: string, t: Tensor, bins: number): TensorSummary {
  const s = tensorStats(t);
  const lo = s.min === null ? null : Number(s.min);
  const hi = s.max === null ? null : Number(s.max);
  // The stats' range spares the histogram its own range pass when it holds finite values only.
  const range = lo !== null && hi !== null && Number.isFinite(lo) && Number.isFinite(hi) ? { min: lo, max: hi } : undefined;
  const h = histogram(t, bins, range);
  const finite = s.count - s.nanCount - s.infCount;
  return {
    key,
    dtype: t.dtype,
    shape: [...t.shape],
    min: lo,
    max: hi,
    // Mean of the finite values (NaN and ±Inf are counted separately).
    mean: finite > 0 ? s.finiteSum / finite : null,
    nanCount: s.nanCount,
    infCount: s.infCount,
    histogram: h.min !== null && h.max !== null ? { lo: h.min, hi: h.max, counts: h.counts } : null,
    initialLeading: initialSlice(t),
  };
}

/** A non-tensor value as one display line (bigints exact, non-finite floats as the reader spelled them). */
function displayValue(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    const s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** Tags a reading error with the file it is about (the host offers that file's *Open as Text*). */
function rethrowFor(uri: string, e: unknown): never {
  if (e instanceof Error && !(e instanceof NeedBytesError)) (e as { fileUri?: string }).fileUri ??= uri;
  throw e;
}

/**
 * C of the logits as the engine reads them: axis 1, the last axis with classAxis −1 or when the target's shape
 * says so (engine/sequence.ts), the only axis unbatched.
 */
function classCount(shape: readonly number[], targetShape: readonly number[], classAxis: number): number {
  if (shape.length === 0) return 0;
  if (classAxis === -1 || shape.length === 1 || engine.classAxisLastByShape(shape, targetShape)) return shape[shape.length - 1]!;
  return shape[1]!;
}

/** An error as it crosses to the host: one line, the class name, and the reader's kind or the engine's option. */
export function toWorkerError(e: unknown): WorkerError {
  if (e instanceof NeedBytesError) return { name: e.name, message: e.message, code: 'need-bytes', uri: e.uri };
  if (e instanceof Error) {
    const err: WorkerError = { name: e.name, message: oneLine(e) };
    const k = (e as { kind?: unknown }).kind;
    const o = (e as { option?: unknown }).option;
    if (typeof k === 'string') err.kind = k;
    if (typeof o === 'string') err.option = o;
    const x = e as { fileUri?: unknown; voidLabel?: VoidLabel };
    if (typeof x.fileUri === 'string') err.fileUri = x.fileUri;
    if (x.voidLabel) err.voidLabel = x.voidLabel;
    const causes = causeChain(e);
    if (causes.length) err.causes = causes;
    if (e.stack) err.stack = e.stack;
    return err;
  }
  return { name: 'Error', message: String(e) };
}
