/**
 * Splits the engine's fused pass over worker threads. The pair's arrays go to the workers as shared memory
 * (views, no copy, when the readers already read the file into a SharedArrayBuffer); each worker returns the
 * sums of its element range, and the sums add up ({@link mergeAccumulators}) to exactly what one pass gives.
 * The calling thread takes the first range itself, so N threads use N − 1 workers.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { accumulate, mergeAccumulators, newAccumulators, type AccumulateConfig, type Accumulators } from '../engine/accumulate';
import type { PreparedPair } from '../engine/report';
import { toShared, type AccumulateJob, type AccumulateReply } from './shared';

/** Below this many logit values a single thread is faster than waking workers. */
export const PARALLEL_MIN_VALUES = 1 << 20;

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** dist/accumulate-worker.js beside the running bundle (dist/cli.js, dist/worker.js) or under the repo. */
export function findWorkerScript(): string | null {
  const candidates = [join(__dirname, 'accumulate-worker.js'), join(__dirname, '..', '..', 'dist', 'accumulate-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? null;
}

export class AccumulatePool {
  private readonly workers: Worker[] = [];
  private readonly script: string | null;
  readonly threads: number;

  constructor(threads = defaultThreads(), script = findWorkerScript()) {
    this.script = script;
    this.threads = script ? Math.max(1, threads) : 1;
  }

  private worker(i: number): Worker {
    let w = this.workers[i];
    if (!w) {
      w = new Worker(this.script!);
      w.unref();
      this.workers[i] = w;
    }
    return w;
  }

  private run(i: number, job: AccumulateJob): Promise<Accumulators> {
    const w = this.worker(i);
    w.ref();
    return new Promise((resolve, reject) => {
      const done = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.unref();
      };
      const onMessage = (r: AccumulateReply) => {
        done();
        if (r.ok) resolve(r.acc);
        else reject(new Error(r.error));
      };
      const onError = (e: Error) => {
        done();
        this.workers[i] = undefined as unknown as Worker;
        reject(e);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage(job);
    });
  }

  /** The fused pass over all elements of the pair, split over the pool's threads. */
  async accumulate(pair: PreparedPair, cfg: AccumulateConfig): Promise<Accumulators> {
    const { logits: lg, target: tg } = pair;
    const n = lg.B * lg.S;
    const threads = lg.data.length < PARALLEL_MIN_VALUES ? 1 : Math.min(this.threads, Math.max(1, Math.floor(n / 4096)));
    const acc = newAccumulators(lg.B, lg.C, cfg);
    if (threads === 1) {
      accumulate(lg, tg, cfg, 0, n, acc);
      return acc;
    }
    const logits = { ...lg, data: toShared(lg.data) };
    const target = { ...tg, labels: tg.labels ? toShared(tg.labels) : null, data: tg.data ? toShared(tg.data) : null };
    const cut = (k: number) => Math.round((n * k) / threads);
    const pending: Promise<Accumulators>[] = [];
    for (let k = 1; k < threads; k++) pending.push(this.run(k - 1, { logits, target, cfg, e0: cut(k), e1: cut(k + 1) }));
    accumulate(lg, tg, cfg, 0, cut(1), acc);
    for (const part of await Promise.all(pending)) mergeAccumulators(acc, part);
    return acc;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.filter(Boolean).map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
