/**
 * The typed protocol between the extension host (src/extension/workerClient.ts) and its worker thread
 * (src/worker/worker.ts). Pure types and a few helpers: no `vscode`, no `worker_threads`.
 *
 * Files are named by a {@link FileSource}: the URI (the cache key, with `mtime` and `size` telling whether a
 * cached copy is still current) plus either a local `fsPath` that the worker reads itself (zero work and zero
 * copies on the host) or `bytes` the host read through `workspace.fs` and transferred (zero copy). A request
 * that names a file the worker neither has cached nor can read answers `{code: 'need-bytes', uri}`; the client
 * then reads the bytes and asks again. Every request gets exactly one reply, matched by id; `progress` messages
 * may precede it; `cancel {id}` stops a request (the worker checks between reading and computing, and the
 * engine's pool drops the ranges it has not started) without touching the cache.
 */
import type { VoidLabel } from '../engine/voidLabels';
import type { PackedClasses } from '../protocol/packedClasses';
import type { LossOptions, Report, EpsSweep } from '../engine/types';
import type { DType } from '../engine/tensor';
import type { HeatmapData, HeatmapRequest, SliceData, SliceRequest, TensorFileState } from '../protocol/messages';
import type { ReadLimits } from '../readers/types';
import type { TensorRef } from '../readers/tensorRef';
import type { CallerMessage, ServerMessage } from '../protocol/channel';

export interface FileSource {
  /** URI string: the cache key. */
  uri: string;
  /** Base name shown in messages (`labels.nii.gz`); readers name the file by it. */
  fileName: string;
  /** Modification time (ms) and size (bytes) from the host's stat: a cached copy is reused only when both match. */
  mtime: number;
  size: number;
  /** Local path the worker may read directly (file: URIs). */
  fsPath?: string;
  /** The file's bytes, transferred (the host keeps no copy). */
  bytes?: Uint8Array;
}

/**
 * A {@link TensorRef} whose file the host has resolved to a {@link FileSource}: `key` null means "the only
 * tensor" (an error lists the keys when there are several).
 */
export interface TensorSource {
  file: FileSource;
  key: TensorRef['key'];
}

export interface TensorListing {
  format: string;
  tensors: { key: string; dtype: DType; shape: number[] }[];
  nonTensorCount: number;
  readMs: number;
}

export interface ReportResult {
  /** Above `PACK_CLASSES_ABOVE` classes, `report.perClass` crosses as `perClassPacked` (null here until unpacked). */
  report: Report;
  perClassPacked?: PackedClasses;
  sweep: EpsSweep | null;
  /** Why the sweep is missing, when it failed while the report succeeded. */
  sweepError?: string;
  /** The keys actually used (resolved when the request said null). */
  logitsKey: string;
  targetKey: string;
  logitsShape: number[];
  /** Time spent reading and parsing files for this request (0 when both were cached), and computing. */
  readMs: number;
  computeMs: number;
}

export interface CacheInfo {
  files: { uri: string; mtime: number; size: number; bytes: number }[];
  /** Files read (from a path or transferred bytes) since the worker started. */
  reads: number;
  budgetBytes: number;
}

/** Requests the worker serves, with their parameters and results. */
export type WorkerRequestMap = {
  /** Keys, dtypes and shapes of a file's tensors (for the quick picks). */
  list: { params: { file: FileSource; limits?: Partial<ReadLimits> }; result: TensorListing };
  /** The tensor editor's state: every tensor with stats and a histogram. */
  describe: { params: { file: FileSource; limits?: Partial<ReadLimits>; bins?: number }; result: TensorFileState };
  /** The full report and the ε sweep for a pair; tensors stay cached for the next call. */
  report: {
    params: { logits: TensorSource; target: TensorSource; options: LossOptions; sweepEps: number[] | null; limits?: Partial<ReadLimits> };
    result: ReportResult;
  };
  slice: {
    params: { logits: TensorSource; target: TensorSource; options: LossOptions; request: SliceRequest; limits?: Partial<ReadLimits> };
    result: SliceData;
  };
  heatmap: { params: { file: FileSource; request: HeatmapRequest; maxSide?: number; limits?: Partial<ReadLimits> }; result: HeatmapData };
  /** Drops cached files (e.g. when no open view uses them any more). */
  evict: { params: { uris: string[] }; result: { evicted: number } };
  cacheInfo: { params: Record<string, never>; result: CacheInfo };
};

export type WorkerMethod = keyof WorkerRequestMap;

/** Requests and cancels, over the id-matched channel (src/protocol/channel.ts). */
export type HostToWorker = CallerMessage<WorkerRequestMap>;

/** An error crossing the thread boundary: the class name decides how the host presents it. */
export interface WorkerError {
  /** `TensorFileError`, `LossInputError`, `RangeError`, `Error`, … */
  name: string;
  /** One line naming the file or option and the problem. */
  message: string;
  /** `need-bytes`: read `uri` and send its bytes. */
  code?: 'need-bytes';
  uri?: string;
  /** TensorFileError's kind or LossInputError's option. */
  kind?: string;
  option?: string;
  /** The file (URI string) whose reading failed, when the error is about one file of a pair. */
  fileUri?: string;
  /** For a class-index target with values outside [0, C): its void label, if it has one (voidLabels.ts). */
  voidLabel?: VoidLabel;
  /** The chain of causes (`Error.cause`), each one line, outermost first after `message`. */
  causes?: string[];
  stack?: string;
}

/** Replies (exactly one per request, matched by id) and progress, over the same channel. */
export type WorkerToHost = ServerMessage<WorkerRequestMap, WorkerError>;

/** Initial data of the worker (`workerData`). */
export interface WorkerInit {
  /** Cache budget in bytes: least recently used files beyond it are dropped. */
  cacheBytes?: number;
}

/**
 * The ArrayBuffers to transfer with a message: typed arrays that own their whole buffer are moved, never
 * copied (a view into a larger or shared buffer would drag the rest along, so it is copied by the caller).
 */
export function transferablesOf(values: readonly unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of values) {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) {
      out.add(v.buffer);
    }
  }
  return [...out];
}
