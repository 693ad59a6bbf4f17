/**
 * The ε grid of the label-smoothing sweep, defined once: the comparison view asks for {@link viewSweepGrid},
 * the benchmark times that same grid, and the fused pass's fast paths (the JS block loop and the
 * WebAssembly kernel's sweep buckets) recognise it with {@link uniformStep}.
 *
 * Why uniform: soft-label Dice's `Σ|p − y_s(ε)|` is gathered in buckets between grid values; on a grid
 * 0, Δ, 2Δ, … an element's bucket is one multiplication (`floor(u/v/Δ) + 1`), which the kernel does in its
 * SIMD lanes; any other grid needs a binary search per value on the JS loop (~4–5× slower per report). So
 * the configured ε is NOT added to the grid: the sweep takes its exact numbers at that ε from the report's
 * own sums instead (see `finalizeSweep`), and the chart's line still passes through them.
 */
import { LossInputError } from './errors';

/** Spacing of the view's grid. */
export const SWEEP_STEP = 0.02;
/** The view's grid reaches at least this ε (further when the configured ε is larger). */
export const SWEEP_MIN_SPAN = 0.4;

/** `j·Δ` rounded to the decimal it stands for (0.06, not 0.06000000000000001). */
const gridValue = (j: number): number => Math.round(j * SWEEP_STEP * 1e6) / 1e6;

/**
 * The grid the comparison view asks for at the configured ε: 0, 0.02, …, up to 0.4, or up to the first grid
 * value ≥ ε when ε is larger (still uniform, so every ε is as fast as 0.1).
 */
export function viewSweepGrid(eps: number): number[] {
  const top = Number.isFinite(eps) && eps > SWEEP_MIN_SPAN ? Math.min(1, eps) : SWEEP_MIN_SPAN;
  const n = Math.ceil(top / SWEEP_STEP - 1e-9);
  const grid: number[] = [];
  for (let j = 0; j <= n; j++) grid.push(Math.min(1, gridValue(j)));
  return grid;
}

/** The grid of a sweep when the caller gives none: the view's grid at ε = 0. */
export const DEFAULT_SWEEP_EPS: readonly number[] = Object.freeze(viewSweepGrid(0));

/** Sorted, validated ε grid (every value in [0, 1]). */
export function sweepGrid(eps?: readonly number[]): number[] {
  const g = [...(eps ?? DEFAULT_SWEEP_EPS)];
  for (const e of g) {
    if (!(e >= 0 && e <= 1)) throw new LossInputError(`sweep ε ${e} is outside [0, 1]`, 'labelSmoothing');
  }
  return g.sort((a, b) => a - b);
}

/**
 * Δ when the sorted grid is 0, Δ, 2Δ, … (each value within 1e-12 of j·Δ), else 0: the fast paths' test for
 * "one multiplication finds the bucket".
 */
export function uniformStep(grid: ArrayLike<number>): number {
  if (grid.length < 2 || grid[0] !== 0) return 0;
  const d = grid[1]!;
  if (!(d > 0)) return 0;
  for (let j = 0; j < grid.length; j++) if (Math.abs(grid[j]! - j * d) > 1e-12) return 0;
  return d;
}
