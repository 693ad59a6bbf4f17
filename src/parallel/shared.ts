/**
 * How a prepared pair crosses to accumulate workers without copying: every typed array is described by
 * its SharedArrayBuffer, byte offset and length, and rebuilt on the other side as a view.
 */
import type { LogitValues, PreparedLogits, PreparedTarget } from '../engine/layout';
import type { AccumulateConfig } from '../engine/accumulate';
import type { ChunkSums } from './chunks';

type Shareable = Float32Array | Float64Array | Int32Array | Uint16Array;

export interface SharedArray {
  type: 'float32' | 'float64' | 'int32' | 'uint16';
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

export interface AccumulateJob {
  logits: Omit<PreparedLogits, 'values'> & { values: { dtype: LogitValues['dtype']; data: SharedArray } };
  target: Omit<PreparedTarget, 'labels' | 'data'> & { labels: SharedArray | null; data: SharedArray | null };
  cfg: AccumulateConfig;
  /** The job's chunk boundaries (chunks.ts). */
  cuts: number[];
  /** The job's shared counter: slot 0 is the next chunk to take. */
  claim: SharedArrayBuffer;
}

/**
 * The one request an accumulate thread serves, over the id-matched channel (src/protocol/channel.ts): the sums
 * of every chunk of the job the thread took (none when the other threads took them all first).
 */
export type AccumulateMethods = { accumulate: { params: AccumulateJob; result: ChunkSums[] } };

/** The array itself when it already lives in shared memory, else one copy into a SharedArrayBuffer. */
export function toShared(a: Shareable): SharedArray {
  const type = a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Uint16Array ? 'uint16' : 'int32';
  if (a.buffer instanceof SharedArrayBuffer) return { type, buffer: a.buffer, byteOffset: a.byteOffset, length: a.length };
  const buffer = new SharedArrayBuffer(a.byteLength);
  const copy = new (a.constructor as { new (b: ArrayBufferLike): Shareable })(buffer);
  copy.set(a as never);
  return { type, buffer, byteOffset: 0, length: a.length };
}

export function fromShared(s: SharedArray): Shareable {
  if (s.type === 'float32') return new Float32Array(s.buffer, s.byteOffset, s.length);
  if (s.type === 'float64') return new Float64Array(s.buffer, s.byteOffset, s.length);
  if (s.type === 'uint16') return new Uint16Array(s.buffer, s.byteOffset, s.length);
  return new Int32Array(s.buffer, s.byteOffset, s.length);
}
