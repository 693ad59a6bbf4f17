/**
 * Worker-thread entry (bundled to dist/accumulate-worker.js): runs the engine's fused pass over the chunks of a
 * pair held in shared memory that this thread takes first (chunks.ts), and posts their sums back (transferred,
 * not copied). Requests and replies go through the id-matched channel (src/protocol/channel.ts): each reply
 * carries its request's id, so the pool hands every job its own sums even with several jobs queued on this thread.
 */
import { parentPort } from 'node:worker_threads';
import type { Accumulators } from '../engine/accumulate';
import { sparseConfusion } from '../engine/accumulators';
import type { PreparedLogits, PreparedTarget } from '../engine/layout';
import { RequestServer, throwIfCancelled, yieldToMessages } from '../protocol/channel';
import { accumulateClaimed, type ChunkSums } from './chunks';
import { fromShared, type AccumulateMethods } from './shared';
import { oneLine } from '../protocol/errorLine';

/** The sums' arrays that hold anything (the empty ones are cheaper copied than transferred). */
function transferables(parts: unknown): ArrayBuffer[] {
  const arrays = (acc: Accumulators) => Object.values(acc).filter((v): v is Float64Array => v instanceof Float64Array && v.byteLength > 0);
  return (parts as ChunkSums[]).flatMap((p) => arrays(p.acc).map((v) => v.buffer as ArrayBuffer));
}

/** The last job's dense confusion matrix, zeroed, for the next job of as many classes. */
let spareConfusion: Float64Array | undefined;

const port = parentPort;
if (port) {
  const server = new RequestServer<AccumulateMethods, string>(
    {
      async accumulate(job, { signal }) {
        // A cancel for this job may already be queued behind it (the job was aborted while waiting for
        // this thread): let it arrive before spending the pass on it.
        await yieldToMessages();
        throwIfCancelled(signal);
        const logits = { ...job.logits, values: { dtype: job.logits.values.dtype, data: fromShared(job.logits.values.data) } } as PreparedLogits;
        const target = {
          ...job.target,
          labels: job.target.labels ? (fromShared(job.target.labels) as Int32Array) : null,
          data: job.target.data ? (fromShared(job.target.data) as Float32Array | Float64Array) : null,
        } as PreparedTarget;
        // taken, not lent: a job that fails midway must not leave its counts in the next job's matrix
        const spare = spareConfusion;
        spareConfusion = undefined;
        const parts = accumulateClaimed(logits, target, job.cfg, job.cuts, new Int32Array(job.claim), { spare });
        // the first chunk holds this thread's confusion: a dense matrix crosses as its non-zero cells, and stays
        // here, zeroed, for the next job
        spareConfusion = parts.length > 0 ? (sparseConfusion(parts[0]!.acc) ?? undefined) : spare;
        return parts;
      },
    },
    {
      send: (m, transfer) => port.postMessage(m, transfer as ArrayBuffer[] | undefined),
      toError: oneLine,
      transferOf: transferables,
    },
  );
  port.on('message', (m: unknown) => void server.receive(m));
}
