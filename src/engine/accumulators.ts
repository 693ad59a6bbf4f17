/**
 * What the fused pass gathers: {@link Accumulators}, every one a plain float64 sum over elements, so that the
 * sums of disjoint element ranges add up ({@link mergeAccumulators}: what lets worker threads split the data),
 * and {@link AccumulateConfig}, what a pass is asked to gather. `finalize.ts` and `report.ts` turn the sums
 * into torch's and MONAI's numbers.
 *
 * Notation of the field docs: an element is a position apart from the channel; q_k = softmax(x)_k, −log q_k its
 * cross-entropy term; y the element's hard class (a class index, the one-hot channel holding 1, or the binary
 * mask's value), w_k the class weights; for the Dice sums p the prediction (softmax, sigmoid or raw), t the hard
 * target (0/1) per channel, y_s = (1 − ε)·t + ε/C the smoothed one, o = 2 with `squaredPred` else 1; for the ε
 * sweep u = p − t (the error against the hard target) and v = 1/C − t (how far smoothing moves the target per
 * unit of ε), so that p − y_s(ε) = u − ε·v.
 */
import type { LossOptions } from './types';
import type { FocalPlan } from './focalSums';
import type { TargetKind } from './layout';
import { CALIBRATION_BINS } from './wasm/softmaxBlockLayout';

/** Bins of the calibration table (declared with the kernel's layout, which fills them too). */
export { CALIBRATION_BINS };

/**
 * Most classes with a dense C×C confusion matrix (1024: 8 MiB of float64 per accumulator, the kernel's limit
 * too). Above it only the (target, predicted) pairs that occur are counted, in a map: a vocabulary of 152k
 * classes would need 185 GB as a matrix, and a report never shows more than its most frequent confusions.
 */
export const CONFUSION_MAX_CLASSES = 1024;

export interface AccumulateConfig {
  opts: LossOptions;
  /** ε for the smoothed Dice target. */
  eps: number;
  /** Gather Dice sums (not needed for `ce`). */
  dice: boolean;
  /** Sorted ε grid for the sweep's smoothed Dice, or null. */
  sweepEps: number[] | null;
  /**
   * Rows of an `(N, C)` class-index pair to keep per-row values for (per-position and per-sequence loss,
   * top-k accuracy of a language-model report: `Accumulators.rowNll` …); 0 or absent: none.
   */
  rows?: number;
  /** The focal term (focalSums.ts), or null when the loss has none. */
  focal: FocalPlan | null;
  /**
   * The target's kind, when known: the per-class sums by hard class (`classElems` …) are gathered for every kind
   * but a probability target, the per-channel ones (`chanT` …) for every kind but class indices, and the other
   * group is left empty (at 15.7 M classes each array is 126 MB). Absent: both groups.
   */
  targetKind?: TargetKind;
  /**
   * Count the confusion in `confusionPairs` at any class count (else only above {@link CONFUSION_MAX_CLASSES}):
   * for passes whose per-position sums are gathered by the JS loop, which counts in either form
   * (`rowsConfusionInPairs` in report.ts says which).
   */
  confusionPairs?: boolean;
}

/** Sums over a range of elements. Arrays indexed `[b * C + c]` are per (batch item, class). */
export interface Accumulators {
  C: number;
  B: number;
  /** Elements visited. */
  elements: number;
  /** NaN logits. */
  nanLogits: number;
  /** ±Inf logits. */
  infLogits: number;
  // Index targets: torch CE pieces (weighted).
  /** Elements with a class that is not ignored. */
  kept: number;
  /** Σ_kept w_y · (−log q_y). */
  nllW: number;
  /** Σ_kept Σ_k w_k · (−log q_k). */
  smoothW: number;
  /** Σ_kept w_y. */
  weightSum: number;
  // Per hard class c (every target kind with a hard class), unweighted except classSmoothW.
  /** Elements of class c. */
  classElems: Float64Array;
  /** Σ −log q_c over the elements of class c. */
  classNll: Float64Array;
  /** Σ Σ_k −log q_k over the elements of class c. */
  classSmooth: Float64Array;
  /** Σ Σ_k w_k·(−log q_k) over the elements of class c. */
  classSmoothW: Float64Array;
  // Float targets t_k, per channel k.
  /** Σ t_k (the channel's count). */
  chanT: Float64Array;
  /**
   * Σ t_k·(−log q_k), leaving out the entries where t_k = 0 meets −log q_k = +inf (a −inf logit): torch's
   * probability path makes them NaN at ε = 0 and +inf at ε > 0 (`probabilityTerm` in finalize.ts).
   */
  chanTNll: Float64Array;
  /** Σ −log q_k. */
  chanNll: Float64Array;
  /** The entries left out of chanTNll. */
  chanZeroInf: Float64Array;
  /** BCE-with-logits, C == 1: Σ l (with pos_weight; ε does not apply). */
  bceSum: number;
  // MONAI Dice sums per (b, c), against the hard target t and the smoothed target y_s at `eps`.
  /** Σ p. */
  dicePred: Float64Array;
  /** Σ p·t (the soft intersection). */
  diceOverlap: Float64Array;
  /** Σ t. */
  diceTarget: Float64Array;
  /** Σ p² (squaredPred). */
  dicePredSq: Float64Array;
  /** Σ t² (squaredPred). */
  diceTargetSq: Float64Array;
  /** Σ (p − t)² (squaredPred). */
  diceErrorSq: Float64Array;
  /** Σ |p|^o. */
  dicePredPow: Float64Array;
  /** Σ |y_s|^o. */
  diceSmoothTargetPow: Float64Array;
  /** Σ |p − y_s|^o. */
  diceSmoothDiffPow: Float64Array;
  // The ε sweep's smoothed Dice per (b, c) (null without a sweep). o = 1: Σ|u − ε·v| is gathered in buckets
  // j (the number of grid values ≤ u/v, where its sign is fixed); o = 2: the moments of u, v and t.
  /** o = 1, per (b, c) and bucket (index (b·C + c)·(K + 1) + j): Σ sign(v)·u. */
  sweepBucketError: Float64Array | null;
  /** o = 1, per (b, c) and bucket: Σ |v|. */
  sweepBucketShift: Float64Array | null;
  /** o = 1: Σ |u| where v = 0 (a term that does not move with ε). */
  sweepErrorNoShift: Float64Array | null;
  /** o = 2: Σ u². */
  sweepErrorSq: Float64Array | null;
  /** o = 2: Σ u·v. */
  sweepErrorShift: Float64Array | null;
  /** o = 2: Σ v². */
  sweepShiftSq: Float64Array | null;
  /** Σ t. */
  sweepTarget: Float64Array | null;
  /** Σ v. */
  sweepShift: Float64Array | null;
  /** o = 2: Σ t². */
  sweepTargetSq: Float64Array | null;
  /** o = 2: Σ t·v. */
  sweepTargetShift: Float64Array | null;
  // Focal term (focalSums.ts), per class, over items and positions; empty without a focal term.
  /** Σ unweighted focal loss against the hard target. */
  focalH: Float64Array;
  /** Σ unweighted focal loss against the smoothed target. */
  focalS: Float64Array;
  /** The γ sweep's hard sums per (class, γ). */
  focalSwH: Float64Array;
  /** The γ sweep's smoothed sums per (class, γ). */
  focalSwS: Float64Array;
  /** confusion[t * C + p] (C == 1: a 2×2 matrix for the binary mask); empty when the pairs are counted instead. */
  confusion: Float64Array;
  /**
   * Above {@link CONFUSION_MAX_CLASSES} (or with `cfg.confusionPairs`, or after {@link sparseConfusion}):
   * t·C + p → count, for the pairs that occur; null otherwise.
   */
  confusionPairs: Map<number, number> | null;
  /** Per calibration bin of the top probability: elements with a hard class. */
  calCount: Float64Array;
  /** Per bin: Σ top probability. */
  calConf: Float64Array;
  /** Per bin: elements whose argmax is the hard class. */
  calCorrect: Float64Array;
  /**
   * With `cfg.rows`, per kept row r (0 elsewhere, so ranges add up): −log q_y, Σ_k −log q_k, and how many
   * classes have a larger logit than the target's (0: top-1); NaN rank where the row holds NaN.
   */
  rowNll: Float64Array | null;
  rowSmooth: Float64Array | null;
  rowRank: Float64Array | null;
}

/**
 * Zeroed sums for B items and C classes. `confusion`: a zeroed C×C array to use for the dense confusion matrix
 * (what {@link sparseConfusion} hands back), instead of a new one.
 */
export function newAccumulators(B: number, C: number, cfg: AccumulateConfig, confusion?: Float64Array): Accumulators {
  // Per-(b, c) Dice sums only when there is a Dice term: a (4096, 1000) classification batch has B·C = 4 M slots.
  const bc = cfg.dice ? B * C : 0;
  const K = cfg.sweepEps ? cfg.sweepEps.length : 0;
  const sw = cfg.sweepEps !== null && cfg.dice;
  const dense = C <= CONFUSION_MAX_CLASSES && !(cfg.confusionPairs && C > 1);
  const cc = C === 1 ? 4 : dense ? C * C : 0;
  const f = (n: number) => new Float64Array(n);
  const hardC = cfg.targetKind === 'probability' ? 0 : C;
  const chanC = cfg.targetKind === 'index' ? 0 : C;
  return {
    C,
    B,
    elements: 0,
    nanLogits: 0,
    infLogits: 0,
    kept: 0,
    nllW: 0,
    smoothW: 0,
    weightSum: 0,
    classElems: f(hardC),
    classNll: f(hardC),
    classSmooth: f(hardC),
    classSmoothW: f(hardC),
    chanT: f(chanC),
    chanTNll: f(chanC),
    chanNll: f(chanC),
    chanZeroInf: f(chanC),
    bceSum: 0,
    dicePred: f(bc),
    diceOverlap: f(bc),
    diceTarget: f(bc),
    dicePredSq: f(bc),
    diceTargetSq: f(bc),
    diceErrorSq: f(bc),
    dicePredPow: f(bc),
    diceSmoothTargetPow: f(bc),
    diceSmoothDiffPow: f(bc),
    sweepBucketError: sw ? f(bc * (K + 1)) : null,
    sweepBucketShift: sw ? f(bc * (K + 1)) : null,
    sweepErrorNoShift: sw ? f(bc) : null,
    sweepErrorSq: sw ? f(bc) : null,
    sweepErrorShift: sw ? f(bc) : null,
    sweepShiftSq: sw ? f(bc) : null,
    sweepTarget: sw ? f(bc) : null,
    sweepShift: sw ? f(bc) : null,
    sweepTargetSq: sw ? f(bc) : null,
    sweepTargetShift: sw ? f(bc) : null,
    focalH: f(cfg.focal ? C : 0),
    focalS: f(cfg.focal ? C : 0),
    focalSwH: f(cfg.focal ? C * cfg.focal.sweep : 0),
    focalSwS: f(cfg.focal ? C * cfg.focal.sweep : 0),
    confusion: confusion && confusion.length === cc ? confusion : f(cc),
    confusionPairs: dense ? null : new Map(),
    calCount: f(CALIBRATION_BINS),
    calConf: f(CALIBRATION_BINS),
    calCorrect: f(CALIBRATION_BINS),
    rowNll: cfg.rows ? f(cfg.rows) : null,
    rowSmooth: cfg.rows ? f(cfg.rows) : null,
    rowRank: cfg.rows ? f(cfg.rows) : null,
  };
}

/** Adds `b`'s sums into `a` (same B, C and config; the confusion may be dense in one and in pairs in the other). */
export function mergeAccumulators(a: Accumulators, b: Accumulators): Accumulators {
  for (const k of Object.keys(a) as (keyof Accumulators)[]) {
    if (k === 'confusion' || k === 'confusionPairs') continue;
    const x = a[k];
    const y = b[k];
    if (x instanceof Float64Array && y instanceof Float64Array) {
      for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
    } else if (typeof x === 'number' && typeof y === 'number' && k !== 'B' && k !== 'C') {
      (a as unknown as Record<string, number>)[k] = x + y;
    }
  }
  mergeConfusion(a, b);
  return a;
}

function mergeConfusion(a: Accumulators, b: Accumulators): void {
  const x = a.confusion;
  const y = b.confusion;
  if (a.confusionPairs) {
    const m = a.confusionPairs;
    if (b.confusionPairs) for (const [key, n] of b.confusionPairs) m.set(key, (m.get(key) ?? 0) + n);
    for (let i = 0; i < y.length; i++) if (y[i] !== 0) m.set(i, (m.get(i) ?? 0) + y[i]!);
    return;
  }
  if (y.length === x.length) for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
  if (b.confusionPairs) for (const [key, n] of b.confusionPairs) x[key]! += n;
}

/** Classes above which a worker sends its confusion as non-zero cells rather than the C×C matrix. */
const SPARSE_CONFUSION_ABOVE = 64;

/**
 * Moves a dense confusion matrix of more than SPARSE_CONFUSION_ABOVE classes into `confusionPairs` (its non-zero cells: at most one per
 * element), leaving `confusion` empty, and returns the dense array zeroed for {@link newAccumulators} to reuse;
 * null when there is nothing to move. A worker's sums cross to the pool this way: the cells its range filled
 * instead of a C×C matrix (500 classes: 2 MB) to transfer and add, and its next job reuses the matrix.
 */
export function sparseConfusion(acc: Accumulators): Float64Array | null {
  const m = acc.confusion;
  if (acc.confusionPairs || acc.C <= SPARSE_CONFUSION_ABOVE || m.length !== acc.C * acc.C) return null;
  const pairs = new Map<number, number>();
  for (let i = 0; i < m.length; i++) {
    if (m[i] === 0) continue;
    pairs.set(i, m[i]!);
    m[i] = 0;
  }
  acc.confusionPairs = pairs;
  acc.confusion = new Float64Array(0);
  return m;
}

/** Class weights as a float64 array (1 where no weight is given). */
export function classWeights(w: number[] | null, C: number): Float64Array {
  const a = new Float64Array(C).fill(1);
  if (w) for (let c = 0; c < C; c++) a[c] = w[c] ?? 1;
  return a;
}

/**
 * The scalar sums of one pass over [e0, e1), kept as running sums while the pass goes (in the order the
 * elements come, which the results' bits depend on) and added into the accumulators once at its end.
 */
export interface PassScalars {
  nanL: number;
  infL: number;
  kept: number;
  nllW: number;
  smoothW: number;
  weightSum: number;
  bceSum: number;
}

export function newPassScalars(): PassScalars {
  return { nanL: 0, infL: 0, kept: 0, nllW: 0, smoothW: 0, weightSum: 0, bceSum: 0 };
}

export function addScalars(acc: Accumulators, elements: number, p: PassScalars): void {
  acc.elements += elements;
  acc.nanLogits += p.nanL;
  acc.infLogits += p.infL;
  acc.kept += p.kept;
  acc.nllW += p.nllW;
  acc.smoothW += p.smoothW;
  acc.weightSum += p.weightSum;
  acc.bceSum += p.bceSum;
}

/** The calibration bin of a top probability `conf` in [0, 1] (1 goes to the last bin). */
export function calibrationBin(conf: number): number {
  return Math.min(CALIBRATION_BINS - 1, Math.floor(conf * CALIBRATION_BINS));
}
