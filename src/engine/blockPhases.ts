/**
 * The phases of the blocked fused pass in JavaScript, each over one block of positions with the class loop outside
 * the position loop (each channel of the block is one contiguous run of the `(B, C, S)` layout, and every
 * per-(b, c) sum lives in a local variable for the whole run):
 *   1. {@link hardClasses}: the hard class per position;
 *   2. {@link prepareBlockJs}: per position the row maximum and first argmax, Σx, Σw·x, NaN/Inf counts, lse and
 *      1/Σ (and exp(x − m) per class when the Dice term needs softmax) — the {@link PreparedBlock};
 *   3. {@link classSumsJs}: per class, float-target CE sums and the Dice sums (and the ε sweep's);
 *   4. {@link positionSumsJs}: per position, CE by class, confusion, calibration;
 *   5. {@link keepRows}: per-row values of a language-model report.
 * The WebAssembly kernel does 2–4 for the blocks it takes (blockVariants.ts); these loops are the fallback and
 * the definition it is tested against. Two identities save a pass per class: `Σ_k −log q_k = C·lse − Σ_k x_k` and
 * `Σ_k w_k·(−log q_k) = (Σ_k w_k)·lse − Σ_k w_k·x_k`; and `−log q_y = lse − x_y` reads one logit.
 */
import type { Accumulators, PassScalars } from './accumulators';
import { CALIBRATION_BINS } from './accumulators';
import { BLOCK, type BlockAt, type BlockPlan, type PreparedBlock } from './blockPlan';

/** Hard class per position into yy[0, n) (−1: ignored, or a probability target). */
export function hardClasses(p: BlockPlan, yy: Int32Array, at: BlockAt): void {
  const { n } = at;
  if (p.kindIndex) {
    const labels = p.labels!;
    const ignore = p.ignore;
    const lb = at.e; // (b, s0) in the labels is element e; in rows mode, the block's first row
    for (let i = 0; i < n; i++) {
      const lab = labels[lb + i]!;
      yy[i] = lab === ignore ? -1 : lab;
    }
    return;
  }
  yy.fill(-1, 0, n);
  if (p.soft) return;
  const tdata = p.tdata!;
  for (let k = p.C - 1; k >= 0; k--) {
    const o = at.xb + k * p.S;
    for (let i = 0; i < n; i++) if (tdata[o + i] === 1) yy[i] = k;
  }
}

/** The JS preparation's scratch: a {@link PreparedBlock} plus the row maxima and Σ exp(x − m). */
export class JsBlockScratch implements PreparedBlock {
  readonly yy = new Int32Array(BLOCK);
  readonly mx = new Float64Array(BLOCK);
  readonly am = new Int32Array(BLOCK);
  readonly sx = new Float64Array(BLOCK);
  readonly sxw = new Float64Array(BLOCK);
  readonly se = new Float64Array(BLOCK);
  readonly inv = new Float64Array(BLOCK);
  readonly lse = new Float64Array(BLOCK);
  readonly ex: Float64Array | null;
  constructor(C: number, keepExp: boolean) {
    this.ex = keepExp ? new Float64Array(C * BLOCK) : null;
  }
}

/**
 * Phase 2 in JS: the block's row maxima (the first maximum wins; NaN never does), argmax, Σx, Σw·x, NaN/Inf
 * counts (added into `sc`), exp(x − m) and its sum, lse and 1/Σ (NaN for a row holding NaN or +Inf, or all −Inf).
 */
export function prepareBlockJs(p: BlockPlan, blk: JsBlockScratch, at: BlockAt, sc: PassScalars): void {
  const { C, S, x, wArr, weighted } = p;
  const { xb, n } = at;
  const { mx, am, sx, sxw, se, lse, inv, ex } = blk;
  const stride = BLOCK;
  let nanL = 0;
  let infL = 0;
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
      const eo = k * stride;
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
  sc.nanL += nanL;
  sc.infL += infL;
}

/** Phase 3 in JS: per class, the float-target CE sums and the Dice sums of the block. */
export function classSumsJs(p: BlockPlan, blk: PreparedBlock, yy: Int32Array, at: BlockAt, acc: Accumulators, pk: Float64Array): void {
  if (!p.kindIndex) channelCeSums(p, blk, at, acc);
  if (!p.doDice) return;
  for (let k = 0; k < p.C; k++) {
    const bc = at.b * p.C + k;
    diceClassSums(p, blk, yy, at, k, bc, acc, pk);
    if (!p.grid) continue;
    if (p.squared) sweepMoments(p, yy, at, k, bc, pk, acc);
    else if (p.fastIndexSweep) sweepBucketsIndex(p, yy, at.n, k, bc, pk, acc);
    else sweepBuckets(p, yy, at, k, bc, pk, acc);
  }
}

/** Float targets, per channel k: Σt, Σt·(−log q) (apart from t = 0 at −log q = +inf, counted), Σ −log q. */
function channelCeSums(p: BlockPlan, blk: PreparedBlock, at: BlockAt, acc: Accumulators): void {
  const { C, S, x } = p;
  const tdata = p.tdata!;
  const lse = blk.lse;
  const n = at.n;
  for (let k = 0; k < C; k++) {
    const o = at.xb + k * S;
    let aT = 0, aTN = 0, aN = 0, aZI = 0;
    for (let i = 0; i < n; i++) {
      const t = tdata[o + i]!;
      const nl = lse[i]! - x[o + i]!;
      aT += t;
      if (t === 0 && nl === Infinity) aZI++;
      else aTN += t * nl;
      aN += nl;
    }
    acc.chanT[k]! += aT;
    acc.chanTNll[k]! += aTN;
    acc.chanNll[k]! += aN;
    acc.chanZeroInf[k]! += aZI;
  }
}

/** Class k's Dice sums over the block (hard target t, smoothed y_s = (1 − ε)·t + ε/C); p per position into pk. */
function diceClassSums(p: BlockPlan, blk: PreparedBlock, yy: Int32Array, at: BlockAt, k: number, bc: number, acc: Accumulators, pk: Float64Array): void {
  const { x, softmax, sigmoid, squared, eps, offTarget, kindIndex } = p;
  const tdata = p.tdata;
  const keepP = p.grid !== null;
  const { ex, inv } = blk;
  const o = at.xb + k * p.S;
  const eo = k * BLOCK;
  const n = at.n;
  let aP = 0, aPY = 0, aY = 0, aP2 = 0, aY2 = 0, aD2 = 0, aPo = 0, aYo = 0, aDo = 0;
  for (let i = 0; i < n; i++) {
    const xv = x[o + i]!;
    const t = kindIndex ? (yy[i] === k ? 1 : 0) : tdata![o + i]!;
    const pr = softmax ? ex![eo + i]! * inv[i]! : sigmoid ? 1 / (1 + Math.exp(-xv)) : xv;
    if (keepP) pk[i] = pr;
    aP += pr;
    aPY += pr * t;
    aY += t;
    const ys = (1 - eps) * t + offTarget;
    const ap = Math.abs(pr);
    const ad = Math.abs(pr - ys);
    if (squared) {
      const d = pr - t;
      aP2 += pr * pr;
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
  }
  acc.dicePred[bc]! += aP;
  acc.diceOverlap[bc]! += aPY;
  acc.diceTarget[bc]! += aY;
  acc.dicePredPow[bc]! += aPo;
  acc.diceSmoothTargetPow[bc]! += aYo;
  acc.diceSmoothDiffPow[bc]! += aDo;
  if (squared) {
    acc.dicePredSq[bc]! += aP2;
    acc.diceTargetSq[bc]! += aY2;
    acc.diceErrorSq[bc]! += aD2;
  }
}

/** The ε sweep with squaredPred: the moments Σt, Σv, Σu², Σu·v, Σv², Σt², Σt·v of class k over the block. */
function sweepMoments(p: BlockPlan, yy: Int32Array, at: BlockAt, k: number, bc: number, pk: Float64Array, acc: Accumulators): void {
  const o = at.xb + k * p.S;
  const { n } = at;
  const { invC, kindIndex } = p;
  const tdata = p.tdata;
  let wT = 0, wV = 0, wUU = 0, wUV = 0, wVV = 0, wTT = 0, wTV = 0;
  for (let i = 0; i < n; i++) {
    const t = kindIndex ? (yy[i] === k ? 1 : 0) : tdata![o + i]!;
    const u = pk[i]! - t;
    const v = invC - t;
    wT += t;
    wV += v;
    wUU += u * u;
    wUV += u * v;
    wVV += v * v;
    wTT += t * t;
    wTV += t * v;
  }
  acc.sweepTarget![bc]! += wT;
  acc.sweepShift![bc]! += wV;
  acc.sweepErrorSq![bc]! += wUU;
  acc.sweepErrorShift![bc]! += wUV;
  acc.sweepShiftSq![bc]! += wVV;
  acc.sweepTargetSq![bc]! += wTT;
  acc.sweepTargetShift![bc]! += wTV;
}

/**
 * The ε sweep's buckets for class-index targets on a uniform grid: v is 1/C (t = 0) or 1/C − 1 (t = 1), so the
 * bucket of u/v is floor(u·scale) + 1 clamped to [0, K] (scale scaleOn or scaleOff) and (sign(v)·u, |v|) is
 * (−u, 1 − 1/C) or (u, 1/C).
 */
function sweepBucketsIndex(p: BlockPlan, yy: Int32Array, n: number, k: number, bc: number, pk: Float64Array, acc: Accumulators): void {
  const { K, K1, scaleOn, scaleOff, invC, vOnAbs } = p;
  const su = acc.sweepBucketError!;
  const sv = acc.sweepBucketShift!;
  let wT = 0, wV = 0;
  for (let i = 0; i < n; i++) {
    const t = yy[i] === k ? 1 : 0;
    const u = pk[i]! - t;
    wT += t;
    wV += invC - t;
    const f = Math.floor(u * (t === 1 ? scaleOn : scaleOff)) + 1;
    const j = bc * K1 + (f <= 0 ? 0 : f < K ? f : K);
    if (t === 1) {
      su[j]! -= u;
      sv[j]! += vOnAbs;
    } else {
      su[j]! += u;
      sv[j]! += invC;
    }
  }
  acc.sweepTarget![bc]! += wT;
  acc.sweepShift![bc]! += wV;
}

/** The ε sweep's buckets in general: bucket = the number of grid values ≤ u/v; Σ|u| apart where v = 0. */
function sweepBuckets(p: BlockPlan, yy: Int32Array, at: BlockAt, k: number, bc: number, pk: Float64Array, acc: Accumulators): void {
  const { K, K1, invStep, invC } = p;
  const grid = p.grid!;
  const su = acc.sweepBucketError!;
  const sv = acc.sweepBucketShift!;
  const o = at.xb + k * p.S;
  const { n } = at;
  const { kindIndex } = p;
  const tdata = p.tdata;
  let wT = 0, wV = 0, wC = 0;
  for (let i = 0; i < n; i++) {
    const t = kindIndex ? (yy[i] === k ? 1 : 0) : tdata![o + i]!;
    const u = pk[i]! - t;
    const v = invC - t;
    wT += t;
    wV += v;
    if (v === 0) {
      wC += Math.abs(u);
      continue;
    }
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
      su[j]! += u;
      sv[j]! += v;
    } else {
      su[j]! -= u;
      sv[j]! -= v;
    }
  }
  acc.sweepTarget![bc]! += wT;
  acc.sweepShift![bc]! += wV;
  acc.sweepErrorNoShift![bc]! += wC;
}

/**
 * Phase 4 in JS: per position with a hard class y, −log q_y = lse − x_y, C·lse − Σx and W·lse − Σw·x, the
 * class's count and sums (and torch's weighted CE pieces for class-index targets, running sums in `sc`), the
 * confusion cell (y, argmax) and the calibration bin of 1/Σ.
 */
export function positionSumsJs(p: BlockPlan, blk: PreparedBlock, yy: Int32Array, at: BlockAt, sc: PassScalars, acc: Accumulators, xy: Float64Array | null = null): void {
  const { C, S, wArr, weighted, wTotal, kindIndex } = p;
  // x_y from the kernel's row-major preparation when it gives it (the logits are then never read as floats here)
  const x = xy ? null : p.x;
  const { am, sx, sxw, lse, inv } = blk;
  const { classElems, classNll, classSmooth, classSmoothW, confusion, calCount, calConf, calCorrect } = acc;
  const pairs = acc.confusionPairs;
  const { n, rows, e, xb } = at;
  const bins = CALIBRATION_BINS;
  let { kept, nllW, smoothW, weightSum } = sc;
  for (let i = 0; i < n; i++) {
    const y = yy[i]!;
    if (y < 0) continue;
    const l = lse[i]!;
    // rows mode: row e + i of the (N, C) logits; else position s0 + i of (b, ·, s)
    const nl = l - (x ? x[rows ? (e + i) * C + y : xb + y * S + i]! : xy![i]!);
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
      const bin = Math.min(bins - 1, Math.floor(conf * bins));
      calCount[bin]!++;
      calConf[bin]! += conf;
      if (am[i] === y) calCorrect[bin]!++;
    }
  }
  sc.kept = kept;
  sc.nllW = nllW;
  sc.smoothW = smoothW;
  sc.weightSum = weightSum;
}

/**
 * Phase 5: per-row values of rows [e, e + n) of `(N, C)` logits (S = 1) for a language-model report: −log q_y,
 * Σ_k −log q_k = C·lse − Σx, and the target's rank (classes with a strictly larger logit; stops counting at 5,
 * all that top-1 and top-5 accuracy need).
 */
export function keepRows(acc: Accumulators, x: ArrayLike<number>, C: number, e: number, n: number, yy: Int32Array, lse: Float64Array, sx: Float64Array): void {
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

/**
 * {@link keepRows} from the kernel's row-major preparation: x_y and the count of classes above it per row
 * (`xy`, `above`), so that the rows are not read again.
 */
export function keepRowsRanked(acc: Accumulators, C: number, e: number, n: number, yy: Int32Array, lse: Float64Array, sx: Float64Array, xy: Float64Array, above: Int32Array): void {
  const nll = acc.rowNll!;
  const smooth = acc.rowSmooth!;
  const rank = acc.rowRank!;
  for (let i = 0; i < n; i++) {
    if (yy[i]! < 0) continue;
    const r = e + i;
    const v = xy[i]!;
    nll[r] = lse[i]! - v;
    smooth[r] = C * lse[i]! - sx[i]!;
    rank[r] = v !== v ? NaN : Math.min(above[i]!, 5);
  }
}
