/**
 * How a job's elements are shared between threads: cut into more chunks than threads, each chunk taken by
 * whichever thread asks first (one shared counter), so a thread that starts late or runs slow (a worker woken
 * after the caller began, a core shared with the collector) takes fewer chunks instead of holding everyone up.
 * Each chunk has sums of its own and the pool adds them in chunk order, so the numbers depend only on the cuts,
 * never on which thread took which chunk: a job gives the same bits run alone or beside others.
 */
import { accumulate, mergeAccumulators, newAccumulators, type AccumulateConfig, type Accumulators } from '../engine/accumulate';
import type { PreparedLogits, PreparedTarget } from '../engine/layout';

/**
 * Chunks per thread at most: enough that a thread starting late or answering late costs a fraction of the job,
 * few enough that each chunk's own sums (allocated, sent and merged) stay cheap.
 */
export const CHUNKS_PER_THREAD = 4;

/**
 * Every chunk's own sums cost their size in memory and one addition per slot when merged: the chunks' sums
 * together stay under this fraction of the logits' bytes (a 152k vocabulary's per-class sums are 4.9 MB per chunk).
 */
const SUMS_SHARE_OF_LOGITS = 1 / 16;

/**
 * Boundaries of the chunks of n elements for `threads` threads (ascending, from 0 to n): up to
 * {@link CHUNKS_PER_THREAD} per thread while the chunks' sums (`sumsBytes` each) stay small beside the logits
 * (`logitBytes`), and one per thread when that allows fewer than two each (three chunks on two threads would
 * leave one thread twice the other's share).
 */
export function chunkCuts(n: number, threads: number, logitBytes: number, sumsBytes: number): number[] {
  const bySize = Math.floor((logitBytes * SUMS_SHARE_OF_LOGITS) / Math.max(1, sumsBytes));
  const k = Math.max(1, Math.min(n, bySize < 2 * threads ? threads : Math.min(bySize, threads * CHUNKS_PER_THREAD)));
  return Array.from({ length: k + 1 }, (_, i) => Math.round((n * i) / k));
}

/**
 * Bytes of the float64 arrays of a set of sums that each further chunk allocates and adds when merged: all but
 * the confusion matrix, which a thread's chunks share ({@link ChunkSinks}).
 */
export function sumsBytes(acc: Accumulators): number {
  let bytes = 0;
  for (const [k, v] of Object.entries(acc)) if (v instanceof Float64Array && k !== 'confusion') bytes += v.byteLength;
  return bytes;
}

/** One chunk's sums, with the chunk's index among the cuts. */
export interface ChunkSums {
  chunk: number;
  acc: Accumulators;
}

/**
 * What a thread gathers into besides each chunk's own sums. `job`: the job's sums, zeroed (on the calling
 * thread): chunk 0, if this thread takes it, is gathered straight into them (0 + x is x, so adding the other
 * chunks after it is the chunk-order sum), which saves a second set of sums as large as the job's. The
 * confusion counts are whole numbers, exact in any order, so they need not wait for the chunk-order merge:
 * every chunk a thread takes counts them into one place, `job`'s or else the thread's first chunk's, and the
 * other chunks' sums carry none. `spare`: a zeroed dense matrix for that first chunk (a worker's, kept from
 * its last job).
 */
export interface ChunkSinks {
  job?: Accumulators;
  spare?: Float64Array;
}

/**
 * Takes chunks from the shared counter `claim` (slot 0: the next chunk to take) until none is left, and gathers
 * each one's sums as `sinks` says. A pool stops the job's other threads early by moving the counter past the
 * last chunk.
 */
export function accumulateClaimed(
  lg: PreparedLogits,
  tg: PreparedTarget,
  cfg: AccumulateConfig,
  cuts: readonly number[],
  claim: Int32Array,
  sinks: ChunkSinks = {},
): ChunkSums[] {
  const parts: ChunkSums[] = [];
  const chunks = cuts.length - 1;
  let countsInto = sinks.job;
  for (let chunk = Atomics.add(claim, 0, 1); chunk < chunks; chunk = Atomics.add(claim, 0, 1)) {
    if (chunk === 0 && sinks.job) {
      accumulate(lg, tg, cfg, cuts[0]!, cuts[1]!, sinks.job);
      parts.push({ chunk, acc: sinks.job });
      continue;
    }
    const acc = newAccumulators(lg.B, lg.C, cfg, countsInto ? countsInto.confusion : sinks.spare);
    if (countsInto?.confusionPairs && acc.confusionPairs) acc.confusionPairs = countsInto.confusionPairs;
    accumulate(lg, tg, cfg, cuts[chunk]!, cuts[chunk + 1]!, acc);
    if (countsInto) {
      // an array of its own, never a shared empty one: a worker transfers the sums' buffers
      acc.confusion = new Float64Array(0);
      if (acc.confusionPairs) acc.confusionPairs = new Map();
    } else countsInto = acc;
    parts.push({ chunk, acc });
  }
  return parts;
}

/**
 * Adds every chunk's sums into `acc` in chunk order, whatever order they came back in; `chunks` is how many the
 * job had, and all of them must be there. A chunk gathered straight into `acc` (chunk 0, {@link ChunkSinks})
 * is already in.
 */
export function mergeInChunkOrder(acc: Accumulators, parts: ChunkSums[], chunks: number): Accumulators {
  const ordered = [...parts].sort((a, b) => a.chunk - b.chunk);
  if (ordered.length !== chunks || ordered.some((p, i) => p.chunk !== i)) {
    throw new Error(`accumulate pool: chunks ${ordered.map((p) => p.chunk).join(', ')} came back of 0–${chunks - 1}`);
  }
  for (const p of ordered) if (p.acc !== acc) mergeAccumulators(acc, p.acc);
  return acc;
}
