/**
 * From the fused pass's sums to the numbers torch and MONAI report. Pure arithmetic on small arrays.
 * See test/fixtures/golden/README.md for the definitions; each function names the behaviour it matches.
 */
import type { Accumulators } from './accumulate';
import { LossInputError } from './errors';
import type { LossOptions } from './types';

/**
 * torch's `(1−ε)·nll + (ε/C)·smooth` for class-index targets, combined as LossNLL.cpp combines the two reduced
 * terms: at ε = 0 torch never computes the smoothing term, so a +inf there (a −inf logit: a masked class) does
 * not become `0·inf = NaN`; at ε > 0 the arithmetic is torch's, infinities and NaN included.
 */
export function smoothMix(nll: number, smooth: number, eps: number, C: number): number {
  return eps > 0 ? (1 - eps) * nll + (eps / C) * smooth : nll;
}

/**
 * torch's per-channel term `Σ_elements y'_k·(−log q_k)` of the probability path, `y' = (1−ε)·y + ε/C`, from
 * Σ y·(−log q) over entries with y ≠ 0 or finite −log q (`tNll`), Σ −log q (`nll`) and the number of
 * entries where y = 0 meets −log q = +inf (`zeroInf`). torch forms y' first, so at ε = 0 such an entry is
 * `0·inf = NaN`, at ε > 0 it is +inf, and at ε = 1 the target's own values drop out (y' = 1/C).
 */
export function probabilityTerm(tNll: number, nll: number, zeroInf: number, eps: number, C: number): number {
  if (eps === 0) return zeroInf > 0 ? NaN : tNll;
  if (eps === 1) return nll / C;
  return (1 - eps) * tNll + (eps / C) * nll;
}

/**
 * torch `F.cross_entropy` at ε from the index-target sums:
 * per kept element `l = (1−ε)·w_y·(−log q_y) + (ε/C)·Σ_k w_k·(−log q_k)`; `sum` = Σ l; `mean` = Σ l / Σ_kept w_y
 * (torch's LossNLL.cpp divides the smoothing term by the target weights too, not by the count).
 * Probability targets: `y' = (1−ε)·y + ε/C`, `l = −Σ_k w_k·y'_k·log q_k`; `mean` divides by the element count.
 */
export function crossEntropyFromSums(acc: Accumulators, opts: LossOptions, eps: number, kind: 'index' | 'dense'): number {
  const C = acc.C;
  const w = opts.weight;
  if (kind === 'index') {
    const num = smoothMix(acc.nllW, acc.smoothW, eps, C);
    return opts.reduction === 'sum' ? num : num / acc.weightSum;
  }
  let num = 0;
  for (let k = 0; k < C; k++) {
    const wk = w ? w[k]! : 1;
    num += wk * probabilityTerm(acc.chanTNll[k]!, acc.chanNll[k]!, acc.chanZeroInf[k]!, eps, C);
  }
  return opts.reduction === 'sum' ? num : num / acc.elements;
}

/** The CE share of class c (its elements for index targets, its channel for float targets) in the reduction. */
export function crossEntropyClassShare(acc: Accumulators, opts: LossOptions, eps: number, kind: 'index' | 'dense', c: number): number {
  const C = acc.C;
  const wc = opts.weight ? opts.weight[c]! : 1;
  if (kind === 'index') {
    const num = smoothMix(wc * acc.classNll[c]!, acc.classSmoothW[c]!, eps, C);
    return opts.reduction === 'sum' ? num : num / acc.weightSum;
  }
  const num = wc * probabilityTerm(acc.chanTNll[c]!, acc.chanNll[c]!, acc.chanZeroInf[c]!, eps, C);
  return opts.reduction === 'sum' ? num : num / acc.elements;
}

/** torch `BCEWithLogitsLoss(pos_weight=w, reduction)`: mean over all entries or sum. */
export function bceFromSums(acc: Accumulators, opts: LossOptions): number {
  return opts.reduction === 'sum' ? acc.bceSum : acc.bceSum / acc.elements;
}

/** tp/fp/fn sums per (b, c) or per c (batch): either MONAI's plain products or its norm formulation. */
export interface DiceSums {
  /** Per row (b, c′) or per c′ (batch): tp, fp, fn before Dice halves fp and fn. */
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  rows: number;
  /** Values per row: the classes kept (C′), or 1 when pooled. */
  channels: number;
  /** Classes kept (C′ = C, or C − 1 without background). */
  classes: number;
  /** First class kept (0, or 1 without background). */
  c0: number;
  /**
   * `(N, C)` logits without `batch`: MONAI reduces over `dim=[]`, which torch reads as every axis, so the whole
   * batch and every class pool into ONE tp/fp/fn (see test/fixtures/golden/README.md).
   */
  pooled: boolean;
}

/**
 * MONAI `compute_tp_fp_fn`: if neither soft_label nor squared_pred, `tp = Σp·y, fp = Σp − tp, fn = Σy − tp`;
 * otherwise `P = Σ|p|^ord, Y = Σ|y|^ord, D = Σ|p−y|^ord, tp = (P+Y−D)/2, fp = P − tp, fn = Y − tp`.
 * Sums run over the spatial axes, and over the batch too when `batch`.
 */
export function diceSums(
  B: number,
  C: number,
  opts: LossOptions,
  mode: { kind: 'plain'; dicePred: Float64Array; diceOverlap: Float64Array; diceTarget: Float64Array } | { kind: 'norm'; P: Float64Array; Y: Float64Array; D: Float64Array },
  pooled = false,
): DiceSums {
  const c0 = opts.includeBackground || C === 1 ? 0 : 1;
  const classes = C - c0;
  const channels = pooled ? 1 : classes;
  const rows = opts.batch || pooled ? 1 : B;
  const n = rows * channels;
  const tp = new Float64Array(n);
  const fp = new Float64Array(n);
  const fn = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < channels; j++) {
      let a = 0;
      let bb = 0;
      let cc = 0;
      const b0 = opts.batch || pooled ? 0 : r;
      const b1 = opts.batch || pooled ? B : r + 1;
      const cFirst = pooled ? c0 : c0 + j;
      const cLast = pooled ? C - 1 : c0 + j;
      for (let b = b0; b < b1; b++) {
        for (let c = cFirst; c <= cLast; c++) {
          const i = b * C + c;
          if (mode.kind === 'plain') {
            a += mode.diceOverlap[i]!;
            bb += mode.dicePred[i]!;
            cc += mode.diceTarget[i]!;
          } else {
            a += mode.P[i]!;
            bb += mode.Y[i]!;
            cc += mode.D[i]!;
          }
        }
      }
      const o = r * channels + j;
      if (mode.kind === 'plain') {
        tp[o] = a;
        fp[o] = bb - a;
        fn[o] = cc - a;
      } else {
        const t = (a + bb - cc) / 2;
        tp[o] = t;
        fp[o] = a - t;
        fn[o] = bb - t;
      }
    }
  }
  return { tp, fp, fn, rows, channels, classes, c0, pooled };
}

/** MONAI DiceLoss's per-(row, channel) loss `f = 1 − (2·tp + smooth_nr) / (2·(tp + fp + fn) + smooth_dr)`, fp/fn halved unless jaccard. */
export function diceValues(d: DiceSums, opts: LossOptions): Float64Array {
  const f = new Float64Array(d.tp.length);
  for (let i = 0; i < f.length; i++) {
    let fp = d.fp[i]!;
    let fn = d.fn[i]!;
    if (!opts.jaccard) {
      fp *= 0.5;
      fn *= 0.5;
    }
    const tp = d.tp[i]!;
    f[i] = 1 - (2 * tp + opts.smoothNr) / (2 * (tp + fp + fn) + opts.smoothDr);
  }
  return f;
}

/**
 * MONAI's class weight for the Dice term: applied only when more than one channel remains; its length must
 * equal the channels kept (DiceLoss raises otherwise). Returns null when no weight applies.
 */
export function diceWeight(weight: number[] | null, channels: number, shapes: string): Float64Array | null {
  if (!weight || channels === 1) return null;
  if (weight.length !== channels) {
    throw new LossInputError(
      `the number of classes (${channels}) does not match the length of the Dice weight (${weight.length}) (${shapes})`,
      'weight',
    );
  }
  return Float64Array.from(weight);
}

/** Mean or sum of the (weighted) per-row values, as DiceLoss reduces them. */
export function reduceDice(f: Float64Array, d: DiceSums, w: Float64Array | null, reduction: LossOptions['reduction']): number {
  if (d.pooled) {
    // one value f, broadcast against the weight vector when there is one: mean(f·w) or Σ f·w
    if (!w) return f[0]!;
    let sw = 0;
    for (let j = 0; j < w.length; j++) sw += w[j]!;
    return reduction === 'sum' ? f[0]! * sw : (f[0]! * sw) / w.length;
  }
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i]! * (w ? w[i % d.channels]! : 1);
  return reduction === 'sum' ? s : s / f.length;
}

/** Class c's share of the reduced Dice (summing over classes gives the reduced Dice). */
export function diceClassShare(f: Float64Array, d: DiceSums, w: Float64Array | null, reduction: LossOptions['reduction'], c: number): number | null {
  const j = c - d.c0;
  if (j < 0) return null;
  if (d.pooled) {
    if (!w) return f[0]! / d.classes;
    return (f[0]! * w[j]!) / (reduction === 'sum' ? 1 : d.classes);
  }
  let s = 0;
  for (let r = 0; r < d.rows; r++) s += f[r * d.channels + j]! * (w ? w[j]! : 1);
  return reduction === 'sum' ? s : s / f.length;
}

/** Class c's unweighted Dice loss averaged over the batch axis (the golden `diceHard` / `diceSmoothed`). */
export function diceClassMean(f: Float64Array, d: DiceSums, c: number): number | null {
  const j = c - d.c0;
  if (j < 0 || d.pooled) return null;
  let s = 0;
  for (let r = 0; r < d.rows; r++) s += f[r * d.channels + j]!;
  return s / d.rows;
}

/**
 * The label-smoothing floor: the entropy of the smoothed one-hot target
 * `−(1−ε+ε/C)·log(1−ε+ε/C) − (C−1)·(ε/C)·log(ε/C)`, the least CE a perfect model reaches at this ε.
 */
export function labelSmoothingFloor(eps: number, C: number): number {
  if (C <= 1) return 0;
  const on = 1 - eps + eps / C;
  const off = eps / C;
  const xlogx = (p: number) => (p > 0 ? p * Math.log(p) : 0);
  // `+ 0` turns the −0 of ε = 0 into 0.
  return -xlogx(on) - (C - 1) * xlogx(off) + 0;
}

/** The smoothed target's two values for a class count: on the true class and on every other class. */
export function smoothedTargetValues(eps: number, C: number): { onTarget: number; offTarget: number } {
  return { onTarget: 1 - eps + eps / C, offTarget: eps / C };
}
