/**
 * Finds the engine's parallel (worker-thread) report runner if the checkout has one, so the benchmark can
 * time it next to the single-thread `computeReport` without depending on its exact module. Returns null
 * when there is none: the benchmark then reports single-thread numbers only.
 */
import type { EpsSweep, LossOptions, Report, Tensor } from '../src/engine/index';

export interface ParallelRunner {
  /** `module#export`, for the results. */
  name: string;
  threads: number;
  report(logits: Tensor, target: Tensor, opts: LossOptions): Promise<Report>;
  sweep?(logits: Tensor, target: Tensor, opts: LossOptions, eps?: number[]): Promise<EpsSweep>;
  close?(): Promise<void> | void;
}

export async function findParallelRunner(): Promise<ParallelRunner | null> {
  return null;
}
