/**
 * Worker-thread entry (bundled to dist/accumulate-worker.js): runs the engine's fused pass over one range of
 * elements of a pair held in shared memory, and posts the sums back (transferred, not copied). Requests and
 * replies go through the id-matched channel (src/protocol/channel.ts): each reply carries its request's id,
 * so the pool hands every job its own sums even with several jobs queued on this thread.
 */
import { parentPort } from 'node:worker_threads';
import { accumulate, newAccumulators, type Accumulators } from '../engine/accumulate';
import type { PreparedLogits, PreparedTarget } from '../engine/layout';
import { RequestServer, throwIfCancelled, yieldToMessages } from '../protocol/channel';
import { fromShared, type AccumulateMethods } from './shared';
import { oneLine } from '../protocol/errorLine';

function transferables(acc: unknown): ArrayBuffer[] {
  return Object.values(acc as Accumulators).filter((v): v is Float64Array => v instanceof Float64Array).map((v) => v.buffer as ArrayBuffer);
}

const port = parentPort;
if (port) {
  const server = new RequestServer<AccumulateMethods, string>(
    {
      async accumulate(job, { signal }) {
        // A cancel for this range may already be queued behind it (the job was aborted while waiting for
        // this thread): let it arrive before spending the pass on it.
        await yieldToMessages();
        throwIfCancelled(signal);
        const logits = { ...job.logits, values: { dtype: job.logits.values.dtype, data: fromShared(job.logits.values.data) } } as PreparedLogits;
        const target = {
          ...job.target,
          labels: job.target.labels ? (fromShared(job.target.labels) as Int32Array) : null,
          data: job.target.data ? (fromShared(job.target.data) as Float32Array | Float64Array) : null,
        } as PreparedTarget;
        const acc = newAccumulators(logits.B, logits.C, job.cfg);
        accumulate(logits, target, job.cfg, job.e0, job.e1, acc);
        return acc;
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
