/**
 * The fused pass: one walk over the logits and the target that gathers every sum the report needs —
 * cross-entropy (hard and smoothed, total and per class), BCE, MONAI Dice sums per (batch item, class) for
 * the hard and the label-smoothed target, the confusion matrix, calibration bins and NaN/Inf counts — in
 * float64. Everything it returns is a plain sum over elements, so the sums of disjoint element ranges add
 * up ({@link mergeAccumulators}): this is what lets worker threads split the data.
 *
 * Per element (a position apart from the channel): the row `x_k` (k < C) is read once; log-softmax is
 * computed stably as `x_k − m − log Σ exp(x_j − m)` with `m = max x` (no overflow at |x| = 1e4).
 */
import type { PreparedLogits, PreparedTarget } from './layout';
import type { LossOptions } from './types';
import { uniformStep } from './sweepGrid';
import { softmaxBlockKernel, VOCAB_STRIDE, WASM_MIN_POSITIONS, WASM_POS_MAX_CLASSES, type DiceSweep, type SoftmaxBlockKernel } from './wasm/softmaxBlock';
import { CALIBRATION_BINS, DICE_SLOT } from './wasm/softmaxBlockLayout';
import { focalBlock, type FocalPlan } from './focalSums';

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
}

/** Sums over a range of elements. Arrays indexed `[b * C + c]` are per (batch item, class). */
export interface Accumulators {
  C: number;
  B: number;
  elements: number;
  // NaN/Inf in the inputs
  nanLogits: number;
  infLogits: number;
  // Index targets: torch CE pieces (weighted), and per class (unweighted)
  kept: number;
  /** Σ_kept w_y · (−log q_y). */
  nllW: number;
  /** Σ_kept Σ_k w_k · (−log q_k). */
  smoothW: number;
  /** Σ_kept w_y. */
  weightSum: number;
  /** Per class of the hard target: elements, Σ −log q_c, Σ Σ_k −log q_k, Σ Σ_k w_k (−log q_k). */
  classElems: Float64Array;
  classNll: Float64Array;
  classSmooth: Float64Array;
  classSmoothW: Float64Array;
  /**
   * Float targets, per channel k: Σ t_k (the count), Σ t_k·(−log q_k), Σ (−log q_k), and the entries where
   * t_k = 0 meets −log q_k = +inf (a −inf logit), left out of Σ t_k·(−log q_k): torch's probability path
   * makes them NaN at ε = 0 and +inf at ε > 0 (`probabilityTerm` in finalize.ts).
   */
  chanT: Float64Array;
  chanTNll: Float64Array;
  chanNll: Float64Array;
  chanZeroInf: Float64Array;
  /** BCE-with-logits, C == 1: Σ l (with pos_weight) and the same without smoothing (identical; ε unused). */
  bceSum: number;
  // Dice sums per (b, c): hard target y, smoothed target y_s at `eps`.
  dicePred: Float64Array;
  diceOverlap: Float64Array;
  diceTarget: Float64Array;
  dicePredSq: Float64Array;
  diceTargetSq: Float64Array;
  diceErrorSq: Float64Array;
  /** Σ|p|^ord, Σ|y_s|^ord, Σ|p − y_s|^ord (ord 2 with squaredPred, else 1). */
  dicePredPow: Float64Array;
  diceSmoothTargetPow: Float64Array;
  diceSmoothDiffPow: Float64Array;
  /**
   * Sweep (ord 1): with u = p − t, v = 1/C − t, |p − y_s(ε)| = |u − ε·v|. Per (b, c) and bucket j (the number
   * of grid values ≤ u/v): Σ sign(v)·u and Σ |v|; plus Σ|u| where v = 0. Ord 2: Σu², Σuv, Σv². Both: Σt, Σv, Σt², Σtv.
   */
  sweepBucketError: Float64Array | null;
  sweepBucketShift: Float64Array | null;
  sweepErrorNoShift: Float64Array | null;
  sweepErrorSq: Float64Array | null;
  sweepErrorShift: Float64Array | null;
  sweepShiftSq: Float64Array | null;
  sweepTarget: Float64Array | null;
  sweepShift: Float64Array | null;
  sweepTargetSq: Float64Array | null;
  sweepTargetShift: Float64Array | null;
  /**
   * Focal term (focalSums.ts), per class: Σ over items and positions of the unweighted focal loss against the hard
   * target (focalH) and the smoothed target (focalS); the γ sweep's sums per (class, γ) (focalSwH, focalSwS).
   * Empty without a focal term.
   */
  focalH: Float64Array;
  focalS: Float64Array;
  focalSwH: Float64Array;
  focalSwS: Float64Array;
  /** confusion[t * C + p] (C == 1: a 2×2 matrix for the binary mask); empty above {@link CONFUSION_MAX_CLASSES}. */
  confusion: Float64Array;
  /** Above {@link CONFUSION_MAX_CLASSES}: t·C + p → count, for the pairs that occur; null otherwise. */
  confusionPairs: Map<number, number> | null;
  calCount: Float64Array;
  calConf: Float64Array;
  calCorrect: Float64Array;
  /**
   * With `cfg.rows`, per kept row r (0 elsewhere, so ranges add up): −log q_y, Σ_k −log q_k, and how many
   * classes have a larger logit than the target's (0: top-1); NaN rank where the row holds NaN.
   */
  rowNll: Float64Array | null;
  rowSmooth: Float64Array | null;
  rowRank: Float64Array | null;
}

export function newAccumulators(B: number, C: number, cfg: AccumulateConfig): Accumulators {
  // Per-(b, c) Dice sums only when there is a Dice term: a (4096, 1000) classification batch has B·C = 4 M slots.
  const bc = cfg.dice ? B * C : 0;
  const K = cfg.sweepEps ? cfg.sweepEps.length : 0;
  const sw = cfg.sweepEps !== null && cfg.dice;
  const dense = C <= CONFUSION_MAX_CLASSES;
  const cc = C === 1 ? 4 : dense ? C * C : 0;
  const f = (n: number) => new Float64Array(n);
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
    classElems: f(C),
    classNll: f(C),
    classSmooth: f(C),
    classSmoothW: f(C),
    chanT: f(C),
    chanTNll: f(C),
    chanNll: f(C),
    chanZeroInf: f(C),
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
    confusion: f(cc),
    confusionPairs: dense ? null : new Map(),
    calCount: f(CALIBRATION_BINS),
    calConf: f(CALIBRATION_BINS),
    calCorrect: f(CALIBRATION_BINS),
    rowNll: cfg.rows ? f(cfg.rows) : null,
    rowSmooth: cfg.rows ? f(cfg.rows) : null,
    rowRank: cfg.rows ? f(cfg.rows) : null,
  };
}

/** Adds `b`'s sums into `a` (same B, C and config). */
export function mergeAccumulators(a: Accumulators, b: Accumulators): Accumulators {
  for (const k of Object.keys(a) as (keyof Accumulators)[]) {
    const x = a[k];
    const y = b[k];
    if (x instanceof Float64Array && y instanceof Float64Array) {
      for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
    } else if (x instanceof Map && y instanceof Map) {
      for (const [key, n] of y) x.set(key, (x.get(key) ?? 0) + n);
    } else if (typeof x === 'number' && typeof y === 'number' && k !== 'B' && k !== 'C') {
      (a as unknown as Record<string, number>)[k] = x + y;
    }
  }
  return a;
}

/** Binary search: the number of grid values ≤ x (grid sorted ascending). NaN goes to the top bucket. */
function bucketOf(grid: Float64Array, x: number): number {
  let lo = 0;
  let hi = grid.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (grid[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Class weights as a float64 array (1 where no weight is given). */
function classWeights(w: number[] | null, C: number): Float64Array {
  const a = new Float64Array(C).fill(1);
  if (w) for (let c = 0; c < C; c++) a[c] = w[c] ?? 1;
  return a;
}

/** The scalar sums of one pass over [e0, e1), added into `acc`. */
interface PassScalars {
  nanL: number;
  infL: number;
  kept: number;
  nllW: number;
  smoothW: number;
  weightSum: number;
  bceSum: number;
}

function addScalars(acc: Accumulators, elements: number, p: PassScalars): void {
  acc.elements += elements;
  acc.nanLogits += p.nanL;
  acc.infLogits += p.infL;
  acc.kept += p.kept;
  acc.nllW += p.nllW;
  acc.smoothW += p.smoothW;
  acc.weightSum += p.weightSum;
  acc.bceSum += p.bceSum;
}

/**
 * Gathers the sums over elements [e0, e1) (element e = b·S + s) into `acc`.
 * Shapes: logits (B, C, S); target labels (B·S) or data (B, C, S) / (B, 1, S).
 * C > 1 takes the blocked pass ({@link accumulateBlocked}); one channel (BCE) the element-by-element one.
 */
export function accumulate(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  if (lg.C > 1) accumulateBlocked(lg, tg, cfg, e0, e1, acc);
  else accumulateRows(lg, tg, cfg, e0, e1, acc);
}

/**
 * The element-by-element pass: one row of C logits at a time. Simple and used for one channel; the tests
 * hold {@link accumulateBlocked} to it.
 */
export function accumulateRows(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  const { C, S } = lg;
  const x = lg.data;
  const opts = cfg.opts;
  const eps = cfg.eps;
  const w = opts.weight;
  const wArr = classWeights(C > 1 ? w : null, C);
  const ignore = opts.loss === 'ce' ? opts.ignoreIndex : null;
  const labels = tg.labels;
  const tdata = tg.data;
  const kindIndex = tg.kind === 'index';
  const kindBinary = tg.kind === 'binary';
  const soft = tg.kind === 'probability';
  const doDice = cfg.dice;
  const sigmoid = opts.sigmoid;
  const softmax = opts.softmax && C > 1;
  const squared = opts.squaredPred;
  const invC = 1 / C;
  const onTarget = 1 - eps + eps * invC;
  const offTarget = eps * invC;
  const grid = cfg.sweepEps && doDice ? Float64Array.from(cfg.sweepEps) : null;
  const K1 = grid ? grid.length + 1 : 0;
  const posWeight = w && C === 1 ? (w[0] ?? 1) : 1;
  // One channel: MONAI's DiceCELoss computes BCE-with-logits; torch's cross-entropy over one class stays CE (0).
  const bce = C === 1 && opts.loss !== 'ce';

  const xk = new Float64Array(C);
  const ex = new Float64Array(C);
  const lq = new Float64Array(C);
  const focal = cfg.focal;
  const yOne = new Int32Array(1);
  const { dicePred, diceOverlap, diceTarget, dicePredSq, diceTargetSq, diceErrorSq, dicePredPow, diceSmoothTargetPow, diceSmoothDiffPow, confusion, calCount, calConf, calCorrect } = acc;
  const pairs = acc.confusionPairs;
  const { classElems, classNll, classSmooth, classSmoothW, chanT, chanTNll, chanNll, chanZeroInf } = acc;
  const { sweepBucketError, sweepBucketShift, sweepErrorNoShift, sweepErrorSq, sweepErrorShift, sweepShiftSq, sweepTarget, sweepShift, sweepTargetSq, sweepTargetShift } = acc;

  let nanL = 0;
  let infL = 0;
  let kept = 0;
  let nllW = 0;
  let smoothW = 0;
  let weightSum = 0;
  let bceSum = 0;

  for (let e = e0; e < e1; e++) {
    const b = (e / S) | 0;
    const s = e - b * S;
    const base = b * C * S + s;
    // Read the row and its maximum; count non-finite logits.
    let m = -Infinity;
    let argmax = 0;
    for (let k = 0; k < C; k++) {
      const v = x[base + k * S]!;
      xk[k] = v;
      if (v !== v) nanL++;
      else if (v === Infinity || v === -Infinity) infL++;
      if (v > m) {
        m = v;
        argmax = k;
      }
    }
    // Stable log-softmax. An all -Inf or NaN row gives NaN, as torch does.
    let se = 0;
    for (let k = 0; k < C; k++) {
      const t = Math.exp(xk[k]! - m);
      ex[k] = t;
      se += t;
    }
    const lse = m + Math.log(se);
    let sumNll = 0;
    let sumNllW = 0;
    for (let k = 0; k < C; k++) {
      const l = xk[k]! - lse;
      lq[k] = l;
      sumNll -= l;
      sumNllW -= wArr[k]! * l;
    }

    // The hard class of this element (−1: none / ignored).
    let y = -1;
    if (kindIndex) {
      const lab = labels![e]!;
      if (lab !== ignore) y = lab;
    } else if (kindBinary) {
      const tv = tdata![b * S + s]!;
      y = tv > 0.5 ? 1 : 0;
    } else if (!soft) {
      // hard one-hot: the channel holding the 1
      for (let k = 0; k < C; k++) {
        if (tdata![base + k * S] === 1) {
          y = k;
          break;
        }
      }
    }

    if (focal) {
      yOne[0] = y;
      focalBlock(focal, x, base, S, C, 1, yOne, kindIndex ? null : tdata, acc);
    }

    if (bce) {
      // BCEWithLogits: l = (1 − t)·x + (1 + (pw − 1)·t)·(log1p(exp(−|x|)) + max(−x, 0)), as torch computes it.
      const xv = xk[0]!;
      const tv = kindBinary ? tdata![b * S + s]! : kindIndex ? labels![e]! : tdata![base]!;
      const lw = 1 + (posWeight - 1) * tv;
      bceSum += (1 - tv) * xv + lw * (Math.log1p(Math.exp(-Math.abs(xv))) + Math.max(-xv, 0));
      const sig = 1 / (1 + Math.exp(-xv));
      const pred = sig > 0.5 ? 1 : 0;
      if (y >= 0) confusion[y * 2 + pred]!++;
      const conf = pred === 1 ? sig : 1 - sig;
      if (y >= 0 && conf === conf) {
        const bin = Math.min(CALIBRATION_BINS - 1, Math.floor(conf * CALIBRATION_BINS));
        calCount[bin]!++;
        calConf[bin]! += conf;
        if (pred === y) calCorrect[bin]!++;
      }
    } else if (kindIndex) {
      if (y >= 0) {
        kept++;
        const wy = wArr[y]!;
        nllW -= wy * lq[y]!;
        smoothW += sumNllW;
        weightSum += wy;
        classElems[y]!++;
        classNll[y]! -= lq[y]!;
        classSmooth[y]! += sumNll;
        classSmoothW[y]! += sumNllW;
      }
    } else {
      for (let k = 0; k < C; k++) {
        const tv = tdata![base + k * S]!;
        chanT[k]! += tv;
        if (tv === 0 && lq[k] === -Infinity) chanZeroInf[k]!++;
        else chanTNll[k]! -= tv * lq[k]!;
        chanNll[k]! -= lq[k]!;
      }
      if (y >= 0) {
        classElems[y]!++;
        classNll[y]! -= lq[y]!;
        classSmooth[y]! += sumNll;
        classSmoothW[y]! += sumNllW;
      }
    }

    if (C > 1 && y >= 0) {
      if (pairs) pairs.set(y * C + argmax, (pairs.get(y * C + argmax) ?? 0) + 1);
      else confusion[y * C + argmax]!++;
      const conf = 1 / se; // max softmax probability = exp(m − lse)
      if (conf === conf) {
        const bin = Math.min(CALIBRATION_BINS - 1, Math.floor(conf * CALIBRATION_BINS));
        calCount[bin]!++;
        calConf[bin]! += conf;
        if (argmax === y) calCorrect[bin]!++;
      }
    }

    if (doDice) {
      const rowBC = b * C;
      for (let k = 0; k < C; k++) {
        const xv = xk[k]!;
        const p = softmax ? ex[k]! / se : sigmoid ? 1 / (1 + Math.exp(-xv)) : xv;
        // hard target value for channel k
        let t: number;
        if (kindIndex) t = y === k ? 1 : 0;
        else if (kindBinary) t = tdata![b * S + s]!;
        else t = tdata![base + k * S]!;
        const i = rowBC + k;
        dicePred[i]! += p;
        diceOverlap[i]! += p * t;
        diceTarget[i]! += t;
        if (squared) {
          const d = p - t;
          dicePredSq[i]! += p * p;
          diceTargetSq[i]! += t * t;
          diceErrorSq[i]! += d * d;
        }
        if (C > 1) {
          const ys = kindIndex ? (y === k ? onTarget : offTarget) : (1 - eps) * t + offTarget;
          const ap = Math.abs(p);
          const ay = Math.abs(ys);
          const ad = Math.abs(p - ys);
          if (squared) {
            dicePredPow[i]! += ap * ap;
            diceSmoothTargetPow[i]! += ay * ay;
            diceSmoothDiffPow[i]! += ad * ad;
          } else {
            dicePredPow[i]! += ap;
            diceSmoothTargetPow[i]! += ay;
            diceSmoothDiffPow[i]! += ad;
          }
          if (grid) {
            const u = p - t;
            const v = invC - t;
            sweepTarget![i]! += t;
            sweepShift![i]! += v;
            if (squared) {
              sweepErrorSq![i]! += u * u;
              sweepErrorShift![i]! += u * v;
              sweepShiftSq![i]! += v * v;
              sweepTargetSq![i]! += t * t;
              sweepTargetShift![i]! += t * v;
            } else if (v === 0) {
              sweepErrorNoShift![i]! += Math.abs(u);
            } else {
              const j = i * K1 + bucketOf(grid, u / v);
              if (v > 0) {
                sweepBucketError![j]! += u;
                sweepBucketShift![j]! += v;
              } else {
                sweepBucketError![j]! -= u;
                sweepBucketShift![j]! -= v;
              }
            }
          }
        }
      }
    }
  }
  addScalars(acc, e1 - e0, { nanL, infL, kept, nllW, smoothW, weightSum, bceSum });
}

/**
 * Per-row values of rows [e, e + n) of `(N, C)` logits (S = 1) for a language-model report: −log q_y,
 * Σ_k −log q_k = C·lse − Σx, and the target's rank (classes with a strictly larger logit; stops counting at 5,
 * all that top-1 and top-5 accuracy need).
 */
function keepRows(acc: Accumulators, x: ArrayLike<number>, C: number, e: number, n: number, yy: Int32Array, lse: Float64Array, sx: Float64Array): void {
  const nll = acc.rowNll!;
  const smooth = acc.rowSmooth!;
  const rank = acc.rowRank!;
  for (let i = 0; i < n; i++) {
    const y = yy[i]!;
    if (y < 0) continue;
    const r = e + i;
    const o = r * C;
    const xy = x[o + y]!;
    nll[r] = lse[i]! - xy;
    smooth[r] = C * lse[i]! - sx[i]!;
    let above = 0;
    if (xy !== xy) above = NaN;
    else for (let k = 0; k < C && above < 5; k++) if (x[o + k]! > xy) above++;
    rank[r] = above;
  }
}

/** Elements per block of the blocked pass: small enough for the block's scratch to stay in L1/L2. */
const BLOCK = 512;
/** Rows per block for (N, C) classification batches (transposed into the kernel: small enough to stay in cache). */
const ROW_BLOCK = 128;

/**
 * The same sums as {@link accumulateRows} for C > 1, computed a block of positions at a time with the
 * class loop outside the position loop: each channel of the block is read as one contiguous run (the
 * `(B, C, S)` layout puts a channel's positions side by side), and every per-(b, c) sum lives in a local
 * variable for the whole run instead of a typed-array slot per element.
 * Two identities save a pass per class: `Σ_k −log q_k = C·lse − Σ_k x_k` and
 * `Σ_k w_k·(−log q_k) = (Σ_k w_k)·lse − Σ_k w_k·x_k`, with Σ x gathered while looking for the maximum;
 * and `−log q_y = lse − x_y` reads the one logit of the target class.
 */
export function accumulateBlocked(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  const { C, S } = lg;
  const x = lg.data;
  const opts = cfg.opts;
  const eps = cfg.eps;
  const w = opts.weight;
  const wArr = classWeights(w, C);
  let wTotal = 0;
  for (let c = 0; c < C; c++) wTotal += wArr[c]!;
  const weighted = !!w;
  const ignore = opts.loss === 'ce' ? opts.ignoreIndex : null;
  const labels = tg.labels;
  const tdata = tg.data;
  const kindIndex = tg.kind === 'index';
  const soft = tg.kind === 'probability';
  const doDice = cfg.dice;
  const sigmoid = opts.sigmoid;
  const softmax = opts.softmax;
  const keepExp = doDice && softmax;
  const squared = opts.squaredPred;
  const invC = 1 / C;
  const offTarget = eps * invC;
  const grid = cfg.sweepEps && doDice ? Float64Array.from(cfg.sweepEps) : null;
  const K1 = grid ? grid.length + 1 : 0;
  // A grid 0, Δ, 2Δ, … (the view's, src/engine/sweepGrid.ts) finds its bucket by one division instead of a binary search; a ratio
  // within rounding of a grid value may land one bucket off, where its term |u − εv| is ~0 either way.
  const step = grid ? uniformStep(grid) : 0;
  const invStep = step > 0 ? 1 / step : 0;
  const K = K1 - 1;
  const fastIndexSweep = kindIndex && invStep > 0 && C > 1;
  const vOnAbs = 1 - invC;
  const scaleOff = C * invStep;
  const scaleOn = invStep / (invC - 1);
  // Class-index targets with softmax: the kernel also gathers the per-class Dice sums of a block (and the
  // uniform grid's sweep buckets) from the exp rows it already holds; other grids stay on the JS loop.
  const diceSweep: DiceSweep = !grid ? 'none' : squared ? 'moments' : 'buckets';
  let wasmDice = kindIndex && doDice && softmax && (!grid || squared || fastIndexSweep);
  let bucketKernel: SoftmaxBlockKernel | null = null;
  // The kernel that holds this pass's per-position sums (CE by class, confusion, calibration), if any block used it.
  let posKernel: SoftmaxBlockKernel | null = null;
  let bucketB = -1;
  if (wasmDice && diceSweep === 'buckets') {
    bucketKernel = softmaxBlockKernel(BLOCK, C);
    if (bucketKernel && !bucketKernel.reserveBuckets(C, K1)) wasmDice = false;
  }

  const jsYy = new Int32Array(BLOCK);
  // Scratch of the JS block preparation.
  const jsMx = new Float64Array(BLOCK);
  const jsAm = new Int32Array(BLOCK);
  const jsSx = new Float64Array(BLOCK);
  const jsSxw = new Float64Array(BLOCK);
  const jsSe = new Float64Array(BLOCK);
  const jsInv = new Float64Array(BLOCK);
  const jsLse = new Float64Array(BLOCK);
  const jsEx = keepExp ? new Float64Array(C * BLOCK) : null;
  const { dicePred, diceOverlap, diceTarget, dicePredSq, diceTargetSq, diceErrorSq, dicePredPow, diceSmoothTargetPow, diceSmoothDiffPow, confusion, calCount, calConf, calCorrect } = acc;
  const pairs = acc.confusionPairs;
  const { classElems, classNll, classSmooth, classSmoothW, chanT, chanTNll, chanNll, chanZeroInf } = acc;
  const { sweepBucketError, sweepBucketShift, sweepErrorNoShift, sweepErrorSq, sweepErrorShift, sweepShiftSq, sweepTarget, sweepShift, sweepTargetSq, sweepTargetShift } = acc;

  let nanL = 0;
  let infL = 0;
  let kept = 0;
  let nllW = 0;
  let smoothW = 0;
  let weightSum = 0;

  // (N, C) classification with class indices and no Dice term: a block is ROW_BLOCK consecutive rows, which the
  // kernel transposes while copying them in (with S = 1 a block of positions would hold a single row).
  const focal = cfg.focal;
  let rowKernel = S === 1 && kindIndex && !doDice && !focal && e1 - e0 >= WASM_MIN_POSITIONS ? softmaxBlockKernel(BLOCK, C) : null;
  let rowsPerBlock = ROW_BLOCK;
  if (S === 1 && kindIndex && !doDice && !focal && C > WASM_POS_MAX_CLASSES && e1 - e0 >= VOCAB_STRIDE) {
    // A vocabulary (more classes than the kernel's per-position sums take): the kernel still computes the rows'
    // maximum, exp and log-sum-exp, 16 rows at a time; the per-position sums stay on the JS loop below.
    rowKernel = softmaxBlockKernel(VOCAB_STRIDE, C);
    rowsPerBlock = rowKernel ? VOCAB_STRIDE : ROW_BLOCK;
  }
  const rowMode = rowKernel !== null && (rowKernel.positionsFit(C) || rowsPerBlock < ROW_BLOCK);

  let e = e0;
  while (e < e1) {
    const b = (e / S) | 0;
    const s0 = e - b * S;
    const n = rowMode ? Math.min(rowsPerBlock, e1 - e) : Math.min(BLOCK, S - s0, e1 - e);
    const xb = b * C * S + s0; // offset of (b, 0, s0)
    const lb = b * S + s0; // offset of (b, s0) in the labels (rows: of the block's first row)

    // The kernel for this block, if it takes it (the block's hard classes are then written into its memory).
    const kernel = rowMode ? rowKernel : n >= WASM_MIN_POSITIONS ? softmaxBlockKernel(BLOCK, C) : null;
    // Hard class per position (−1: ignored or soft).
    const yy = kernel ? kernel.yy : jsYy;
    if (kindIndex) {
      for (let i = 0; i < n; i++) {
        const lab = labels![lb + i]!;
        yy[i] = lab === ignore ? -1 : lab;
      }
    } else {
      yy.fill(-1, 0, n);
      if (!soft) {
        for (let k = C - 1; k >= 0; k--) {
          const o = xb + k * S;
          for (let i = 0; i < n; i++) if (tdata![o + i] === 1) yy[i] = k;
        }
      }
    }
    // Per position: the row maximum and its first class (the first maximum wins; NaN never does), Σ x, Σ w·x,
    // NaN/Inf counts, lse = m + log Σ exp(x − m) and 1 / Σ exp(x − m); exp(x − m) per class when the Dice
    // term needs softmax. The WebAssembly SIMD kernel computes all of it on one copy of the block when this
    // thread has it and the block is long enough to pay for the call (read through views on its memory),
    // else the JS loops below (the same sums to a few 1e-16). Kept inline: as a function of its own the JS
    // preparation made W3 (4096 one-position blocks of 1000 classes) ~8 % slower.
    let am: Int32Array = jsAm;
    let sx: Float64Array = jsSx;
    let sxw: Float64Array = jsSxw;
    let lse: Float64Array = jsLse;
    let inv: Float64Array = jsInv;
    let ex: Float64Array | null = jsEx;
    if (kernel) {
      if (rowMode) kernel.prepareRows(x, e, C, n, weighted ? wArr : null, false);
      else kernel.prepare(x, xb, S, C, n, weighted ? wArr : null, keepExp);
      nanL += kernel.nan;
      infL += kernel.inf;
      am = kernel.am;
      sx = kernel.sx;
      sxw = kernel.sxw;
      lse = kernel.lse;
      inv = kernel.inv;
      if (keepExp) ex = kernel.ex;
    } else {
      const mx = jsMx;
      const se = jsSe;
      mx.fill(-Infinity, 0, n);
      am.fill(0, 0, n);
      sx.fill(0, 0, n);
      if (weighted) sxw.fill(0, 0, n);
      for (let k = 0; k < C; k++) {
        const o = xb + k * S;
        const wk = wArr[k]!;
        for (let i = 0; i < n; i++) {
          const v = x[o + i]!;
          sx[i]! += v;
          if (weighted) sxw[i]! += wk * v;
          if (v - v !== 0) {
            if (v !== v) nanL++;
            else infL++;
          }
          if (v > mx[i]!) {
            mx[i] = v;
            am[i] = k;
          }
        }
      }
      se.fill(0, 0, n);
      for (let k = 0; k < C; k++) {
        const o = xb + k * S;
        if (ex) {
          const eo = k * BLOCK;
          for (let i = 0; i < n; i++) {
            const t = Math.exp(x[o + i]! - mx[i]!);
            ex[eo + i] = t;
            se[i]! += t;
          }
        } else {
          for (let i = 0; i < n; i++) se[i]! += Math.exp(x[o + i]! - mx[i]!);
        }
      }
      for (let i = 0; i < n; i++) {
        lse[i] = mx[i]! + Math.log(se[i]!);
        inv[i] = 1 / se[i]!;
      }
    }

    // The focal term reads the same block while it is in cache.
    if (focal) focalBlock(focal, x, xb, S, C, n, yy, kindIndex ? null : tdata, acc, kernel && !rowMode ? kernel : null);

    // Per class: float-target CE sums and Dice sums.
    if (kernel && wasmDice) {
      if (bucketKernel && b !== bucketB) {
        if (bucketB >= 0) bucketKernel.flushBuckets(C, K1, sweepBucketError!, sweepBucketShift!, bucketB * C * K1);
        bucketB = b;
      }
      kernel.diceIndex(C, n, squared, diceSweep, eps, scaleOn, scaleOff, K1);
      const D = DICE_SLOT;
      for (let k = 0; k < C; k++) {
        const bc = b * C + k;
        const sT = kernel.diceSum(k, D.targetSum);
        const sPo1 = kernel.diceSum(k, D.predPow);
        dicePred[bc]! += kernel.diceSum(k, D.predSum);
        diceOverlap[bc]! += kernel.diceSum(k, D.overlapSum);
        diceTarget[bc]! += sT;
        dicePredPow[bc]! += sPo1;
        diceSmoothTargetPow[bc]! += kernel.diceSum(k, D.smoothTargetPow);
        diceSmoothDiffPow[bc]! += kernel.diceSum(k, D.smoothDiffPow);
        const sD2 = squared ? kernel.diceSum(k, D.errorSq) : 0;
        if (squared) {
          dicePredSq[bc]! += sPo1; // p·p, as Σ|p|²
          diceTargetSq[bc]! += sT; // t·t = t
          diceErrorSq[bc]! += sD2;
        }
        if (grid) {
          sweepTarget![bc]! += sT;
          sweepShift![bc]! += kernel.diceSum(k, D.shiftSum);
          if (squared) {
            sweepErrorSq![bc]! += sD2;
            sweepErrorShift![bc]! += kernel.diceSum(k, D.errorShift);
            sweepShiftSq![bc]! += kernel.diceSum(k, D.shiftSq);
            sweepTargetSq![bc]! += sT;
            sweepTargetShift![bc]! += kernel.diceSum(k, D.targetShift);
          }
        }
      }
    } else if (doDice || !kindIndex) {
      for (let k = 0; k < C; k++) {
        const o = xb + k * S;
        const eo = k * BLOCK;
        const bc = b * C + k;
        let aP = 0, aPY = 0, aY = 0, aP2 = 0, aY2 = 0, aD2 = 0, aPo = 0, aYo = 0, aDo = 0;
        let aT = 0, aTN = 0, aN = 0, aZI = 0;
        let wT = 0, wV = 0, wUU = 0, wUV = 0, wVV = 0, wTT = 0, wTV = 0, wC = 0;
        for (let i = 0; i < n; i++) {
          const xv = x[o + i]!;
          let t: number;
          if (kindIndex) t = yy[i] === k ? 1 : 0;
          else {
            t = tdata![o + i]!;
            const nl = lse[i]! - xv;
            aT += t;
            if (t === 0 && nl === Infinity) aZI++;
            else aTN += t * nl;
            aN += nl;
          }
          if (!doDice) continue;
          const p = softmax ? ex![eo + i]! * inv[i]! : sigmoid ? 1 / (1 + Math.exp(-xv)) : xv;
          aP += p;
          aPY += p * t;
          aY += t;
          const ys = (1 - eps) * t + offTarget;
          const ap = Math.abs(p);
          const ad = Math.abs(p - ys);
          if (squared) {
            const d = p - t;
            aP2 += p * p;
            aY2 += t * t;
            aD2 += d * d;
            aPo += ap * ap;
            aYo += ys * ys;
            aDo += ad * ad;
          } else {
            aPo += ap;
            aYo += Math.abs(ys);
            aDo += ad;
          }
          if (grid) {
            const u = p - t;
            const v = invC - t;
            wT += t;
            wV += v;
            if (squared) {
              wUU += u * u;
              wUV += u * v;
              wVV += v * v;
              wTT += t * t;
              wTV += t * v;
            } else if (fastIndexSweep) {
              // index targets: v is 1/C (t = 0) or 1/C − 1 (t = 1), so u / v / Δ is u times a constant
              const f = Math.floor(u * (t === 1 ? scaleOn : scaleOff)) + 1;
              const j = bc * K1 + (f <= 0 ? 0 : f < K ? f : K);
              if (t === 1) {
                sweepBucketError![j]! -= u;
                sweepBucketShift![j]! += vOnAbs;
              } else {
                sweepBucketError![j]! += u;
                sweepBucketShift![j]! += invC;
              }
            } else if (v === 0) {
              wC += Math.abs(u);
            } else {
              // bucket = number of grid values ≤ u / v
              const r = u / v;
              let lo: number;
              if (invStep > 0) {
                const f = Math.floor(r * invStep) + 1;
                lo = r >= 0 ? (f < K ? f : K) : 0;
              } else {
                lo = 0;
                let hi = K;
                while (lo < hi) {
                  const mid = (lo + hi) >> 1;
                  if (grid[mid]! <= r) lo = mid + 1;
                  else hi = mid;
                }
              }
              const j = bc * K1 + lo;
              if (v > 0) {
                sweepBucketError![j]! += u;
                sweepBucketShift![j]! += v;
              } else {
                sweepBucketError![j]! -= u;
                sweepBucketShift![j]! -= v;
              }
            }
          }
        }
        if (!kindIndex) {
          chanT[k]! += aT;
          chanTNll[k]! += aTN;
          chanNll[k]! += aN;
          chanZeroInf[k]! += aZI;
        }
        if (doDice) {
          dicePred[bc]! += aP;
          diceOverlap[bc]! += aPY;
          diceTarget[bc]! += aY;
          dicePredPow[bc]! += aPo;
          diceSmoothTargetPow[bc]! += aYo;
          diceSmoothDiffPow[bc]! += aDo;
          if (squared) {
            dicePredSq[bc]! += aP2;
            diceTargetSq[bc]! += aY2;
            diceErrorSq[bc]! += aD2;
          }
          if (grid) {
            sweepTarget![bc]! += wT;
            sweepShift![bc]! += wV;
            if (squared) {
              sweepErrorSq![bc]! += wUU;
              sweepErrorShift![bc]! += wUV;
              sweepShiftSq![bc]! += wVV;
              sweepTargetSq![bc]! += wTT;
              sweepTargetShift![bc]! += wTV;
            } else sweepErrorNoShift![bc]! += wC;
          }
        }
      }
    }

    // Per position: CE sums by class, confusion, calibration (in the kernel when it prepared the block).
    if (kernel && kernel.positionsFit(C)) {
      if (posKernel !== kernel) {
        kernel.resetPositions();
        posKernel = kernel;
      }
      kernel.positions(C, n, weighted, wTotal, kindIndex);
    } else for (let i = 0; i < n; i++) {
      const y = yy[i]!;
      if (y < 0) continue;
      const l = lse[i]!;
      // rows mode: row e + i of the (N, C) logits; else position s0 + i of (b, ·, s)
      const nl = l - x[rowMode ? (e + i) * C + y : xb + y * S + i]!;
      const sNll = C * l - sx[i]!;
      const sNllW = weighted ? wTotal * l - sxw[i]! : sNll;
      if (kindIndex) {
        kept++;
        const wy = wArr[y]!;
        nllW += wy * nl;
        smoothW += sNllW;
        weightSum += wy;
      }
      classElems[y]!++;
      classNll[y]! += nl;
      classSmooth[y]! += sNll;
      classSmoothW[y]! += sNllW;
      if (pairs) pairs.set(y * C + am[i]!, (pairs.get(y * C + am[i]!) ?? 0) + 1);
      else confusion[y * C + am[i]!]!++;
      const conf = inv[i]!;
      if (conf === conf) {
        const bin = Math.min(CALIBRATION_BINS - 1, Math.floor(conf * CALIBRATION_BINS));
        calCount[bin]!++;
        calConf[bin]! += conf;
        if (am[i] === y) calCorrect[bin]!++;
      }
    }
    if (acc.rowNll && S === 1) keepRows(acc, x, C, e, n, yy, lse, sx);
    e += n;
  }
  if (bucketKernel && bucketB >= 0) bucketKernel.flushBuckets(C, K1, sweepBucketError!, sweepBucketShift!, bucketB * C * K1);
  if (posKernel) {
    const k = posKernel.flushPositions(C, acc);
    kept += k.kept;
    nllW += k.nllW;
    smoothW += k.smoothW;
    weightSum += k.weightSum;
  }
  addScalars(acc, e1 - e0, { nanL, infL, kept, nllW, smoothW, weightSum, bceSum: 0 });
}
