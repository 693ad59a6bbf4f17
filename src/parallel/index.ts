/**
 * The engine's report, sweep and both together, with the fused pass split over worker threads (Node only).
 * Same numbers as `computeReport` / `computeSweep` in src/engine (the tests hold them together).
 */
import { finalizeReport, finalizeSweep, preparePair, accumulateConfig, sweepGrid } from '../engine/report';
import type { Tensor } from '../engine/tensor';
import type { EpsSweep, LossOptions, Report } from '../engine/types';
import { AccumulatePool } from './pool';

export { AccumulatePool, defaultThreads, PARALLEL_MIN_VALUES } from './pool';

let shared: AccumulatePool | null = null;
/** One pool per process, created on first use (its idle workers do not keep the process alive). */
export function sharedPool(): AccumulatePool {
  return (shared ??= new AccumulatePool());
}

/**
 * Any number of these may run at once on one pool; each gets its own sums (the pool matches every thread's
 * reply to its job by id). An aborted `signal` rejects with a cancellation error.
 */
export async function computeReportParallel(logits: Tensor, target: Tensor, options: LossOptions, pool = sharedPool(), signal?: AbortSignal): Promise<Report> {
  const pair = preparePair(logits, target, options);
  return finalizeReport(pair, await pool.accumulate(pair, accumulateConfig(pair), signal));
}

export async function computeSweepParallel(
  logits: Tensor,
  target: Tensor,
  options: LossOptions,
  eps?: readonly number[],
  pool = sharedPool(),
  signal?: AbortSignal,
): Promise<EpsSweep> {
  const pair = preparePair(logits, target, options);
  const grid = sweepGrid(eps);
  return finalizeSweep(pair, await pool.accumulate(pair, accumulateConfig(pair, grid), signal), grid);
}

export async function computeReportAndSweepParallel(
  logits: Tensor,
  target: Tensor,
  options: LossOptions,
  eps?: readonly number[],
  pool = sharedPool(),
  signal?: AbortSignal,
): Promise<{ report: Report; sweep: EpsSweep }> {
  const pair = preparePair(logits, target, options);
  const grid = sweepGrid(eps);
  const acc = await pool.accumulate(pair, accumulateConfig(pair, grid), signal);
  return { report: finalizeReport(pair, acc), sweep: finalizeSweep(pair, acc, grid) };
}
