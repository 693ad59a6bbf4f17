/**
 * Splits the engine's fused pass over worker threads. The pair's arrays go to the workers as shared memory
 * (views, no copy, when the readers already read the file into a SharedArrayBuffer); the elements are cut into
 * chunks that the threads take as they come free (chunks.ts), each thread returns the sums of its chunks, and
 * the sums add up in chunk order ({@link mergeInChunkOrder}) to what one pass gives. The calling thread takes
 * chunks too, so N threads use N − 1 workers.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { accumulate, newAccumulators, type AccumulateConfig, type Accumulators } from '../engine/accumulate';
import { accumulateClaimed, chunkCuts, mergeInChunkOrder, sumsBytes, type ChunkSums } from './chunks';
import { passReadsStoredValues } from '../engine/blockVariants';
import { floatValues } from '../engine/layout';
import type { PreparedPair } from '../engine/report';
import { ChannelClosedError, RequestChannel, throwIfCancelled } from '../protocol/channel';
import { toShared, type AccumulateJob, type AccumulateMethods } from './shared';

/**
 * Below this many logit values a single thread is faster than waking workers; above it each thread takes at
 * least half as many (whole positions: a (4096, 1000) batch of rows splits as a volume of 4 M voxels does).
 */
export const PARALLEL_MIN_VALUES = 1 << 20;

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** dist/accumulate-worker.js beside the running bundle (dist/cli.js, dist/worker.js) or under the repo. */
export function findWorkerScript(): string | null {
  const candidates = [join(__dirname, 'accumulate-worker.js'), join(__dirname, '..', '..', 'dist', 'accumulate-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? null;
}

interface PoolWorker {
  worker: Worker;
  channel: RequestChannel<AccumulateMethods, string>;
}

/**
 * Threads for the fused pass. Any number of jobs may be in flight on one pool at once (two panels, a report
 * and a recompute): a job asks each thread once, a request with its own id on that thread's
 * {@link RequestChannel}, and has its own counter of chunks, so each job gets exactly its own sums back,
 * whatever order the threads answer in.
 */
export class AccumulatePool {
  private readonly workers: (PoolWorker | undefined)[] = [];
  private readonly script: string | null;
  private disposed = false;
  readonly threads: number;

  constructor(threads = defaultThreads(), script = findWorkerScript()) {
    this.script = script;
    this.threads = script ? Math.max(1, threads) : 1;
  }

  private worker(i: number): PoolWorker {
    const have = this.workers[i];
    if (have) return have;
    const worker = new Worker(this.script!, { name: `loss-inspector-accumulate-${i}` });
    worker.unref();
    const channel = new RequestChannel<AccumulateMethods, string>({
      send: (m, transfer) => worker.postMessage(m, transfer as ArrayBuffer[] | undefined),
      toError: (error) => new Error(error),
      // A thread that has work keeps the process alive until it answers; an idle one does not.
      onPendingChange: (n) => (n > 0 ? worker.ref() : worker.unref()),
    });
    const pw: PoolWorker = { worker, channel };
    const gone = (reason: Error) => {
      if (this.workers[i] === pw) this.workers[i] = undefined;
      channel.close(reason);
    };
    worker.on('message', (m: unknown) => channel.receive(m));
    worker.on('error', (e: Error) => gone(e));
    worker.on('exit', (code) => gone(new Error(`accumulate thread ${i} exited (code ${code})`)));
    this.workers[i] = pw;
    return pw;
  }

  /**
   * The fused pass over all elements of the pair, split over the pool's threads. An aborted `signal` rejects
   * with a cancellation error and drops the chunks the threads have not started.
   */
  async accumulate(pair: PreparedPair, cfg: AccumulateConfig, signal?: AbortSignal): Promise<Accumulators> {
    throwIfCancelled(signal);
    const { logits: lg, target: tg } = pair;
    const n = lg.B * lg.S;
    const count = lg.values.data.length;
    const threads = count < PARALLEL_MIN_VALUES ? 1 : Math.min(this.threads, n, Math.max(1, Math.floor((2 * count) / PARALLEL_MIN_VALUES)));
    const acc = newAccumulators(lg.B, lg.C, cfg);
    if (threads === 1) {
      accumulate(lg, tg, cfg, 0, n, acc);
      return acc;
    }
    if (this.disposed) throw new ChannelClosedError('the accumulate pool was disposed');
    // half-precision logits cross as their bits when the pass reads them so, else decoded once, here
    const values = passReadsStoredValues(lg, tg, cfg) ? lg.values : floatValues(lg);
    const logits = { ...lg, values: { dtype: values.dtype, data: toShared(values.data) } };
    const target = { ...tg, labels: tg.labels ? toShared(tg.labels) : null, data: tg.data ? toShared(tg.data) : null };
    const cuts = chunkCuts(n, threads, values.data.byteLength, sumsBytes(acc));
    const claim = new Int32Array(new SharedArrayBuffer(4));
    // One controller for the job's threads: the caller's abort, or a failed thread, stops the others (and
    // moving the counter past the last chunk stops them between chunks, without waiting for the message).
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    ctrl.signal.addEventListener('abort', () => Atomics.store(claim, 0, cuts.length), { once: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const job: AccumulateJob = { logits, target, cfg, cuts, claim: claim.buffer as SharedArrayBuffer };
      const pending: Promise<ChunkSums[]>[] = [];
      for (let k = 1; k < threads; k++) pending.push(this.worker(k - 1).channel.request('accumulate', job, { signal: ctrl.signal }));
      const theirs = Promise.all(pending);
      theirs.catch(() => ctrl.abort());
      let mine: ChunkSums[];
      try {
        mine = accumulateClaimed(lg, tg, cfg, cuts, claim, { job: acc });
      } catch (e) {
        ctrl.abort(); // the workers stop after their current chunk
        throw e;
      }
      throwIfCancelled(signal);
      return mergeInChunkOrder(acc, mine.concat(...(await theirs)), cuts.length - 1);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const live = this.workers.filter((w): w is PoolWorker => w !== undefined);
    this.workers.length = 0;
    for (const w of live) w.channel.close(new ChannelClosedError('the accumulate pool was disposed'));
    await Promise.all(live.map((w) => w.worker.terminate()));
  }
}
