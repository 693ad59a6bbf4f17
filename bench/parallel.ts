/**
 * The engine's parallel runner (src/parallel: the fused pass split over worker threads, tensors in shared
 * memory), wrapped for the benchmark. The worker script is the one run.ts bundles from
 * src/parallel/accumulateWorker.ts next to the child bundle, so the benchmark never times a stale dist/.
 * Without a worker script the pool would fall back to one thread: then there is no parallel runner.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EpsSweep, LossOptions, Report, Tensor } from '../src/engine/index';
import { AccumulatePool, computeReportAndSweepParallel, computeReportParallel, defaultThreads } from '../src/parallel/index';

export interface ParallelRunner {
  /** What ran, for the results. */
  name: string;
  threads: number;
  report(logits: Tensor, target: Tensor, opts: LossOptions): Promise<Report>;
  /** The report and the ε sweep from one pass, as the comparison view asks for them. */
  reportAndSweep(logits: Tensor, target: Tensor, opts: LossOptions, eps: number[]): Promise<{ report: Report; sweep: EpsSweep }>;
  close(): Promise<void>;
}

export function findParallelRunner(workerScript: string | undefined, threads = defaultThreads()): ParallelRunner | null {
  if (!workerScript || !existsSync(workerScript) || threads < 2) return null;
  const pool = new AccumulatePool(threads, resolve(workerScript));
  if (pool.threads < 2) return null;
  return {
    name: 'computeReportParallel (src/parallel)',
    threads: pool.threads,
    report: (l, t, o) => computeReportParallel(l, t, o, pool),
    reportAndSweep: (l, t, o, eps) => computeReportAndSweepParallel(l, t, o, eps, pool),
    close: () => pool.dispose(),
  };
}
