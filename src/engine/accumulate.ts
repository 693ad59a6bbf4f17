/**
 * The fused pass: one walk over the logits and the target that gathers every sum the report needs —
 * cross-entropy (hard and smoothed, total and per class), BCE, MONAI Dice sums per (batch item, class) for
 * the hard and the label-smoothed target, the ε sweep's, the focal term's, the confusion matrix, calibration
 * bins and NaN/Inf counts — in float64 (accumulators.ts says what each sum is). Everything it returns is a plain
 * sum over elements, so the sums of disjoint element ranges add up ({@link mergeAccumulators}): this is what
 * lets worker threads split the data.
 *
 * Two passes compute the same sums: the blocked one (blockPass.ts: a block of positions at a time, on the
 * WebAssembly kernel where it can) for C > 1, and the element-by-element one (accumulateRows.ts), which runs
 * for one channel and which the tests hold the blocked one to.
 */
import type { PreparedLogits, PreparedTarget } from './layout';
import type { AccumulateConfig, Accumulators } from './accumulators';
import { accumulateBlocked } from './blockPass';
import { accumulateRows } from './accumulateRows';

export { CALIBRATION_BINS, CONFUSION_MAX_CLASSES, mergeAccumulators, newAccumulators, type AccumulateConfig, type Accumulators } from './accumulators';
export { accumulateBlocked, accumulateRows };

/**
 * Gathers the sums over elements [e0, e1) (element e = b·S + s) into `acc`.
 * Shapes: logits (B, C, S); target labels (B·S) or data (B, C, S) / (B, 1, S).
 * C > 1 takes the blocked pass ({@link accumulateBlocked}); one channel (BCE) the element-by-element one.
 */
export function accumulate(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  if (lg.C > 1) accumulateBlocked(lg, tg, cfg, e0, e1, acc);
  else accumulateRows(lg, tg, cfg, e0, e1, acc);
}
