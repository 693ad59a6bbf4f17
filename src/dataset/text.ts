/** Lines the CLI and the folder view share. Pure. */

export interface ProgressCounts {
  done: number;
  failed: number;
  total: number;
  elapsedMs: number;
}

/** `12/16 cases · 2.10 cases/s · ~2 s left`. */
export function progressLine(p: ProgressCounts): string {
  const rate = p.done / Math.max(p.elapsedMs / 1000, 1e-3);
  const left = rate > 0 ? (p.total - p.done) / rate : NaN;
  return `${p.done}/${p.total} cases${p.failed ? ` (${p.failed} failed)` : ''} · ${rate.toFixed(2)} cases/s · ~${Number.isFinite(left) ? Math.ceil(left) : '?'} s left`;
}

/** Why the pooled Dice and the mean Dice differ, in one line. */
export const POOLED_NOTE =
  'mean = Dice per case, then averaged (every case weighs the same; NaN cases skipped); pooled = TP, FP, FN summed over all voxels first (large structures weigh more).';
