/**
 * One case of a validation set: a prediction (a label map, or logits/probabilities) against a reference label
 * map. Label maps give nnU-Net's counts only; scores `(1, C, *spatial)` or `(C, *spatial)` give the counts of
 * their argmax and, with loss options, the engine's report of that pair exactly as `loss-inspect report`
 * computes it (same engine call, the reference read as a `(1, 1, *spatial)` label map). Pure.
 */
import { computeReport } from '../engine/report';
import { Tensor, isFloatDType } from '../engine/tensor';
import { floatData } from '../engine/layout';
import type { ClassReport, LossOptions, LossTriple } from '../engine/types';
import { countLabelMaps, countScores, labelValues, type CaseCounts } from './segMetrics';

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

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

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
    `prediction shape ${fmt(pred)} fits neither a label map shaped like the reference ${fmt(ref)} nor scores ` +
      `(1, C, ${spatial.join(', ')}) / (C, ${spatial.join(', ')})`,
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
  const S = refValues.length;
  const counts = countScores(floatData(pred), k.C, S, refValues, o.ignoreLabel);
  let loss: CaseLoss | null = null;
  if (o.loss) {
    const logits = pred.reshape([1, k.C, ...spatial]);
    const r = computeReport(logits, ref.reshape([1, 1, ...spatial]), o.loss);
    loss = { loss: r.loss, hard: r.hard, smoothed: r.smoothed, perClass: r.perClass, warnings: r.warnings.map((w) => w.message) };
  }
  return { kind: 'scores', numClasses: k.C, counts, loss, spatial };
}
