/**
 * The element-by-element fused pass: one row of C logits at a time. Simple, and what runs for one channel (BCE);
 * the tests hold the blocked pass (blockPass.ts) to it. Its per-row routine, {@link logSoftmaxRow}, is also
 * what the slice viewer computes each voxel's loss from.
 *
 * Per element (a position apart from the channel): the row `x_k` (k < C) is read once; log-softmax is computed
 * stably as `x_k − m − log Σ exp(x_j − m)` with `m = max x` (no overflow at |x| = 1e4; an all −Inf or NaN row
 * gives NaN, as torch does).
 */
import { floatLogits, type FloatData, type PreparedLogits, type PreparedTarget } from './layout';
import { addScalars, calibrationBin, classWeights, newPassScalars, type AccumulateConfig, type Accumulators, type PassScalars } from './accumulators';
import { focalBlock, type FocalPlan } from './focalSums';

/** One row's log-softmax and what the pass sums from it ({@link logSoftmaxRow} fills it). */
export interface RowSoftmax {
  /** The row's logits x_k, exp(x_k − m) and log q_k = x_k − lse, per class. */
  xk: Float64Array;
  ex: Float64Array;
  lq: Float64Array;
  /** The first class with the largest logit (0 when none is larger than −Inf: all −Inf or NaN). */
  argmax: number;
  /** Σ_k exp(x_k − m); its inverse is the top softmax probability. */
  se: number;
  /** Σ_k −log q_k and Σ_k w_k·(−log q_k). */
  sumNll: number;
  sumNllW: number;
  /** NaN and ±Inf logits in the row. */
  nan: number;
  inf: number;
}

export function newRowSoftmax(C: number): RowSoftmax {
  return { xk: new Float64Array(C), ex: new Float64Array(C), lq: new Float64Array(C), argmax: 0, se: 0, sumNll: 0, sumNllW: 0, nan: 0, inf: 0 };
}

/**
 * The per-row routine: the row of C logits at `base` (class k at base + k·S) read once, its maximum and first
 * argmax, exp(x_k − m) and their sum, log q_k, Σ −log q_k and Σ w_k·(−log q_k) (`w` the class weights; null:
 * unweighted, sumNllW = sumNll). Into `r`.
 */
export function logSoftmaxRow(x: FloatData, base: number, S: number, C: number, w: Float64Array | null, r: RowSoftmax): void {
  const { xk, ex, lq } = r;
  let m = -Infinity;
  let argmax = 0;
  let nan = 0;
  let inf = 0;
  for (let k = 0; k < C; k++) {
    const v = x[base + k * S]!;
    xk[k] = v;
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
    if (v > m) {
      m = v;
      argmax = k;
    }
  }
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
    if (w) sumNllW -= w[k]! * l;
  }
  r.argmax = argmax;
  r.se = se;
  r.sumNll = sumNll;
  r.sumNllW = w ? sumNllW : sumNll;
  r.nan = nan;
  r.inf = inf;
}

/** torch's BCEWithLogits of one element: (1 − t)·x + (1 + (pw − 1)·t)·(log1p(exp(−|x|)) + max(−x, 0)). */
export function bceWithLogitsTerm(x: number, t: number, posWeight: number): number {
  const lw = 1 + (posWeight - 1) * t;
  return (1 - t) * x + lw * (Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0));
}

/** What the element-by-element pass needs to know of the pair and the options. */
interface RowPlan {
  C: number;
  S: number;
  x: FloatData;
  wArr: Float64Array;
  ignore: number | null;
  labels: Int32Array | null;
  tdata: FloatData | null;
  kindIndex: boolean;
  kindBinary: boolean;
  soft: boolean;
  doDice: boolean;
  sigmoid: boolean;
  softmax: boolean;
  squared: boolean;
  eps: number;
  invC: number;
  onTarget: number;
  offTarget: number;
  grid: Float64Array | null;
  K1: number;
  posWeight: number;
  /** One channel: MONAI's DiceCELoss computes BCE-with-logits; torch's cross-entropy over one class stays CE (0). */
  bce: boolean;
  focal: FocalPlan | null;
}

function rowPlan(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig): RowPlan {
  const { C, S } = lg;
  const opts = cfg.opts;
  const eps = cfg.eps;
  const w = opts.weight;
  const invC = 1 / C;
  const grid = cfg.sweepEps && cfg.dice ? Float64Array.from(cfg.sweepEps) : null;
  return {
    C,
    S,
    x: floatLogits(lg),
    wArr: classWeights(C > 1 ? w : null, C),
    ignore: opts.loss === 'ce' ? opts.ignoreIndex : null,
    labels: tg.labels,
    tdata: tg.data,
    kindIndex: tg.kind === 'index',
    kindBinary: tg.kind === 'binary',
    soft: tg.kind === 'probability',
    doDice: cfg.dice,
    sigmoid: opts.sigmoid,
    softmax: opts.softmax && C > 1,
    squared: opts.squaredPred,
    eps,
    invC,
    onTarget: 1 - eps + eps * invC,
    offTarget: eps * invC,
    grid,
    K1: grid ? grid.length + 1 : 0,
    posWeight: w && C === 1 ? (w[0] ?? 1) : 1,
    bce: C === 1 && opts.loss !== 'ce',
    focal: cfg.focal,
  };
}

/**
 * Gathers the sums over elements [e0, e1) (element e = b·S + s) into `acc`, one element at a time.
 * Shapes: logits (B, C, S); target labels (B·S) or data (B, C, S) / (B, 1, S).
 */
export function accumulateRows(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  const p = rowPlan(lg, tg, cfg);
  const { C, S, x } = p;
  const row = newRowSoftmax(C);
  const yOne = new Int32Array(1);
  const sc = newPassScalars();
  for (let e = e0; e < e1; e++) {
    const b = (e / S) | 0;
    const s = e - b * S;
    const base = b * C * S + s;
    logSoftmaxRow(x, base, S, C, p.wArr, row);
    sc.nanL += row.nan;
    sc.infL += row.inf;
    const y = hardClassOf(p, e, b * S + s, base);
    if (p.focal) {
      yOne[0] = y;
      focalBlock(p.focal, x, base, S, C, 1, yOne, p.kindIndex ? null : p.tdata, acc);
    }
    if (p.bce) addBce(p, acc, sc, p.kindBinary ? p.tdata![b * S + s]! : p.kindIndex ? p.labels![e]! : p.tdata![base]!, y, row.xk[0]!);
    else if (p.kindIndex) {
      if (y >= 0) addIndexCe(p, acc, sc, y, row);
    } else addFloatTargetCe(p, acc, base, y, row);
    if (C > 1 && y >= 0) addConfusionCalibration(acc, C, y, row);
    if (p.doDice) addRowDice(p, acc, b, base, b * S + s, y, row);
  }
  addScalars(acc, e1 - e0, sc);
}

/** The element's hard class: its label, the binary mask's value, the one-hot channel holding 1; −1 none / ignored / soft. */
function hardClassOf(p: RowPlan, e: number, bs: number, base: number): number {
  if (p.kindIndex) {
    const lab = p.labels![e]!;
    return lab !== p.ignore ? lab : -1;
  }
  if (p.kindBinary) return p.tdata![bs]! > 0.5 ? 1 : 0;
  if (p.soft) return -1;
  for (let k = 0; k < p.C; k++) if (p.tdata![base + k * p.S] === 1) return k;
  return -1;
}

/** One channel: BCE-with-logits, and the 2×2 confusion and calibration of the sigmoid. */
function addBce(p: RowPlan, acc: Accumulators, sc: PassScalars, tv: number, y: number, xv: number): void {
  sc.bceSum += bceWithLogitsTerm(xv, tv, p.posWeight);
  const sig = 1 / (1 + Math.exp(-xv));
  const pred = sig > 0.5 ? 1 : 0;
  if (y >= 0) acc.confusion[y * 2 + pred]!++;
  const conf = pred === 1 ? sig : 1 - sig;
  if (y >= 0 && conf === conf) {
    const bin = calibrationBin(conf);
    acc.calCount[bin]!++;
    acc.calConf[bin]! += conf;
    if (pred === y) acc.calCorrect[bin]!++;
  }
}

/** Class-index target y: torch's weighted CE pieces and the class's sums. */
function addIndexCe(p: RowPlan, acc: Accumulators, sc: PassScalars, y: number, r: RowSoftmax): void {
  sc.kept++;
  const wy = p.wArr[y]!;
  sc.nllW -= wy * r.lq[y]!;
  sc.smoothW += r.sumNllW;
  sc.weightSum += wy;
  addClassCe(acc, y, r);
}

function addClassCe(acc: Accumulators, y: number, r: RowSoftmax): void {
  acc.classElems[y]!++;
  acc.classNll[y]! -= r.lq[y]!;
  acc.classSmooth[y]! += r.sumNll;
  acc.classSmoothW[y]! += r.sumNllW;
}

/** Float targets: per channel Σt, Σt·(−log q) and Σ −log q, and the hard class's sums where there is one. */
function addFloatTargetCe(p: RowPlan, acc: Accumulators, base: number, y: number, r: RowSoftmax): void {
  const { chanT, chanTNll, chanNll, chanZeroInf } = acc;
  const lq = r.lq;
  for (let k = 0; k < p.C; k++) {
    const tv = p.tdata![base + k * p.S]!;
    chanT[k]! += tv;
    if (tv === 0 && lq[k] === -Infinity) chanZeroInf[k]!++;
    else chanTNll[k]! -= tv * lq[k]!;
    chanNll[k]! -= lq[k]!;
  }
  if (y >= 0) addClassCe(acc, y, r);
}

/** C > 1 with a hard class: the confusion cell (y, argmax) and the calibration bin of the top probability 1/Σ. */
function addConfusionCalibration(acc: Accumulators, C: number, y: number, r: RowSoftmax): void {
  const argmax = r.argmax;
  const pairs = acc.confusionPairs;
  if (pairs) pairs.set(y * C + argmax, (pairs.get(y * C + argmax) ?? 0) + 1);
  else acc.confusion[y * C + argmax]!++;
  const conf = 1 / r.se; // max softmax probability = exp(m − lse)
  if (conf === conf) {
    const bin = calibrationBin(conf);
    acc.calCount[bin]!++;
    acc.calConf[bin]! += conf;
    if (argmax === y) acc.calCorrect[bin]!++;
  }
}

/** The element's Dice sums per channel k (index (b, k)), against the hard and the smoothed target, and the ε sweep's. */
function addRowDice(p: RowPlan, acc: Accumulators, b: number, base: number, bs: number, y: number, r: RowSoftmax): void {
  const { C, S, squared, eps, offTarget } = p;
  const rowBC = b * C;
  for (let k = 0; k < C; k++) {
    const xv = r.xk[k]!;
    const pk = p.softmax ? r.ex[k]! / r.se : p.sigmoid ? 1 / (1 + Math.exp(-xv)) : xv;
    // hard target value for channel k
    const t = p.kindIndex ? (y === k ? 1 : 0) : p.kindBinary ? p.tdata![bs]! : p.tdata![base + k * S]!;
    const i = rowBC + k;
    acc.dicePred[i]! += pk;
    acc.diceOverlap[i]! += pk * t;
    acc.diceTarget[i]! += t;
    if (squared) {
      const d = pk - t;
      acc.dicePredSq[i]! += pk * pk;
      acc.diceTargetSq[i]! += t * t;
      acc.diceErrorSq[i]! += d * d;
    }
    if (C === 1) continue;
    const ys = p.kindIndex ? (y === k ? p.onTarget : offTarget) : (1 - eps) * t + offTarget;
    const ap = Math.abs(pk);
    const ay = Math.abs(ys);
    const ad = Math.abs(pk - ys);
    if (squared) {
      acc.dicePredPow[i]! += ap * ap;
      acc.diceSmoothTargetPow[i]! += ay * ay;
      acc.diceSmoothDiffPow[i]! += ad * ad;
    } else {
      acc.dicePredPow[i]! += ap;
      acc.diceSmoothTargetPow[i]! += ay;
      acc.diceSmoothDiffPow[i]! += ad;
    }
    if (p.grid) addRowSweep(p, acc, i, pk - t, p.invC - t, t);
  }
}

/** The ε sweep's terms of one (element, channel) at index i = b·C + k: u = p − t, v = 1/C − t. */
function addRowSweep(p: RowPlan, acc: Accumulators, i: number, u: number, v: number, t: number): void {
  acc.sweepTarget![i]! += t;
  acc.sweepShift![i]! += v;
  if (p.squared) {
    acc.sweepErrorSq![i]! += u * u;
    acc.sweepErrorShift![i]! += u * v;
    acc.sweepShiftSq![i]! += v * v;
    acc.sweepTargetSq![i]! += t * t;
    acc.sweepTargetShift![i]! += t * v;
  } else if (v === 0) {
    acc.sweepErrorNoShift![i]! += Math.abs(u);
  } else {
    const j = i * p.K1 + bucketOf(p.grid!, u / v);
    if (v > 0) {
      acc.sweepBucketError![j]! += u;
      acc.sweepBucketShift![j]! += v;
    } else {
      acc.sweepBucketError![j]! -= u;
      acc.sweepBucketShift![j]! -= v;
    }
  }
}

/** Binary search: the number of grid values ≤ x (grid sorted ascending). NaN goes to the top bucket. */
export function bucketOf(grid: Float64Array, x: number): number {
  let lo = 0;
  let hi = grid.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (grid[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
