/**
 * One case of a validation set: a prediction (a label map, or logits/probabilities) against a reference label
 * map. Label maps give nnU-Net's counts only; scores `(1, C, *spatial)` or `(C, *spatial)` give the counts of
 * their argmax and, with loss options, the engine's report of that pair exactly as `loss-inspect report`
 * computes it (same engine call, the reference read as a `(1, 1, *spatial)` label map). Pure.
 */
import { computeReport } from '../engine/report';
import { Tensor, isFloatDType } from '../engine/tensor';
import { floatData } from '../engine/layout';
import type { ClassReport, LossOptions, LossTriple, Report } from '../engine/types';
import { countLabelMaps, countScores, countsFromConfusion, labelValues, type CaseCounts } from './segMetrics';
import { fmtShape } from '../engine/errors';

/** The per-case loss, the fields of the golden report that the dataset summary keeps. */
export interface CaseLoss {
  loss: LossTriple;
  hard: LossTriple;
  smoothed: LossTriple | null;
  perClass: ClassReport[] | null;
  warnings: string[];
}

export interface CaseEvaluation {
  /** `labels`: the prediction is a label map; `scores`: logits or probabilities (argmax taken). */
  kind: 'labels' | 'scores';
  /** Channels of a `scores` prediction (0 for label maps). */
  numClasses: number;
  counts: CaseCounts;
  /** Null for label maps, or when no loss was asked for. */
  loss: CaseLoss | null;
  /** Reference spatial shape. */
  spatial: number[];
}


/** The shape without its leading size-1 axes (`(1, 1, X, Y, Z)` → `(X, Y, Z)`), keeping at least one axis. */
export function squeezeLeading(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length - 1 && shape[i] === 1) i++;
  return shape.slice(i);
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * How a prediction relates to the reference's spatial shape: a label map of the same shape (leading size-1
 * axes aside), or C ≥ 2 channels in front of it. Throws naming both shapes otherwise.
 */
export function predictionKind(pred: readonly number[], ref: readonly number[]): { kind: 'labels' } | { kind: 'scores'; C: number } {
  const spatial = squeezeLeading(ref);
  const p = squeezeLeading(pred);
  if (same(p, spatial)) return { kind: 'labels' };
  if (p.length === spatial.length + 1 && same(p.slice(1), spatial) && p[0]! >= 2) return { kind: 'scores', C: p[0]! };
  throw new Error(
    `prediction shape ${fmtShape(pred)} fits neither a label map shaped like the reference ${fmtShape(ref)} nor scores ` +
      `(1, C, ${spatial.join(', ')}) / (C, ${spatial.join(', ')})`,
  );
}

/** Whether a report's confusion matrix counts every voxel's argmax the way nnU-Net's metrics need it. */
export function usableConfusion(r: Report, C: number): boolean {
  return (
    r.confusion !== null &&
    r.targetKind === 'index' &&
    r.confusion.matrix.length === C &&
    r.confusion.total === r.elements &&
    r.kept === r.elements &&
    !r.warnings.some((w) => w.code === 'nan-in-logits')
  );
}

export interface EvaluateOptions {
  /** The loss to compute for score predictions, or null for metrics only. */
  loss: LossOptions | null;
  /** Reference value whose voxels are left out of every count (not of the loss: that follows the loss options). */
  ignoreLabel: number | null;
}

export function evaluateCase(pred: Tensor, ref: Tensor, o: EvaluateOptions): CaseEvaluation {
  const spatial = squeezeLeading(ref.shape);
  const refValues = labelValues(ref);
  const k = predictionKind(pred.shape, ref.shape);
  if (k.kind === 'labels') {
    return { kind: 'labels', numClasses: 0, counts: countLabelMaps(labelValues(pred), refValues, o.ignoreLabel), loss: null, spatial };
  }
  if (!isFloatDType(pred.dtype)) throw new Error(`prediction has ${k.C} channels but dtype ${pred.dtype}: scores must be floating point`);
  let loss: CaseLoss | null = null;
  let report: Report | null = null;
  if (o.loss) {
    const logits = pred.reshape([1, k.C, ...spatial]);
    report = computeReport(logits, ref.reshape([1, 1, ...spatial]), o.loss);
    loss = { loss: report.loss, hard: report.hard, smoothed: report.smoothed, perClass: report.perClass, warnings: report.warnings.map((w) => w.message) };
  }
  // One pass per case: the loss pass's confusion matrix is the argmax count when it covers every voxel by its
  // class index and no logit is NaN (the engine's argmax skips NaN; torch.argmax, which nnU-Net's numbers follow,
  // picks it). Otherwise the argmax is counted here.
  const counts =
    report && usableConfusion(report, k.C)
      ? countsFromConfusion(report.confusion!.matrix, o.ignoreLabel)
      : countScores(floatData(pred), k.C, refValues.length, refValues, o.ignoreLabel);
  return { kind: 'scores', numClasses: k.C, counts, loss, spatial };
}
