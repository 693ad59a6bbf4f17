/**
 * Worker-thread entry (bundled to dist/accumulate-worker.js): runs the engine's fused pass over one range of
 * elements of a pair held in shared memory, and posts the sums back (transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { accumulate, newAccumulators, type Accumulators } from '../engine/accumulate';
import type { PreparedLogits, PreparedTarget } from '../engine/layout';
import { fromShared, type AccumulateJob, type AccumulateReply } from './shared';

function transferables(acc: Accumulators): ArrayBuffer[] {
  return Object.values(acc).filter((v): v is Float64Array => v instanceof Float64Array).map((v) => v.buffer as ArrayBuffer);
}

parentPort?.on('message', (job: AccumulateJob) => {
  let reply: AccumulateReply;
  try {
    const logits = { ...job.logits, data: fromShared(job.logits.data) } as PreparedLogits;
    const target = {
      ...job.target,
      labels: job.target.labels ? (fromShared(job.target.labels) as Int32Array) : null,
      data: job.target.data ? (fromShared(job.target.data) as Float32Array | Float64Array) : null,
    } as PreparedTarget;
    const acc = newAccumulators(logits.B, logits.C, job.cfg);
    accumulate(logits, target, job.cfg, job.e0, job.e1, acc);
    reply = { ok: true, acc };
    parentPort!.postMessage(reply, transferables(acc));
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    parentPort!.postMessage(reply);
  }
});
