/**
 * The label-smoothing floor: the least value the configured cross-entropy term can take for THIS target over
 * all possible predictions, reduced exactly as torch reduces it.
 *
 * Per kept element, CE is `−Σ_k a_k·log q_k` over the softmax q, with
 *   - class indices: `a_k = (1−ε)·w_y·[k = y] + (ε/C)·w_k` (torch's smoothed, weighted index path);
 *   - probability or multi-hot targets (and hard one-hot float targets, which torch reads as probabilities):
 *     `a_k = w_k·y'_k`, `y' = (1−ε)·y + ε/C`.
 * Over the simplex its minimum is at `q = a / Σa` (Gibbs' inequality), where it is `−Σ_k a_k·log(a_k / Σa)`
 * (`0·log 0 = 0`). Then torch's reduction: `sum`, or `mean` over the kept targets' weights `Σ_kept w_y`
 * (index targets) or over the N elements (probability targets). For unweighted one-hot targets this is the
 * entropy of the smoothed target, `labelSmoothingFloor` in finalize.ts.
 *
 * Index and one-hot targets need only the per-class counts the fused pass gathers (the per-class minimum is
 * O(C) for all classes at once); multi-hot targets one pass over the target, kept per target as counts of
 * their distinct weighted patterns; soft probabilities a pass per ε.
 */
import type { Accumulators } from './accumulate';
import type { PreparedTarget } from './layout';
import type { FloorCase, LossOptions } from './types';

const xlogx = (p: number): number => (p > 0 ? p * Math.log(p) : 0);

/**
 * The CE weight per class, or null where every class weighs 1 (no weight; Dice's weight for `dice` is not a CE
 * weight): the sums below read 1 for null, which multiplies exactly as a weight of 1 does.
 */
function ceWeights(opts: LossOptions, C: number): Float64Array | null {
  if (opts.loss === 'dice' || !opts.weight || opts.weight.length !== C) return null;
  return Float64Array.from(opts.weight);
}

function isWeighted(opts: LossOptions, C: number): boolean {
  return opts.loss !== 'dice' && opts.weight !== null && opts.weight.length === C && opts.weight.some((v) => v !== 1);
}

/**
 * Per class c, the least CE of an element whose target is c: `−Σ_k a_k log a_k + A·log A` with
 * `a_k = w_k·((1−ε)·[k = c] + ε/C)`, `A = Σ a`. All classes in O(C): Σ_k a_k log a_k is the same sum over
 * the off-target values with class c's term swapped.
 */
export function classFloors(eps: number, w: Float64Array | null, C: number): Float64Array {
  const off = eps / C;
  let gOff = 0;
  let W = 0;
  for (let k = 0; k < C; k++) {
    const wk = w ? w[k]! : 1;
    gOff += xlogx(wk * off);
    W += wk;
  }
  const f = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const wc = w ? w[c]! : 1;
    const ac = wc * (1 - eps + off);
    const A = off * W + (1 - eps) * wc;
    f[c] = -(gOff - xlogx(wc * off) + xlogx(ac)) + xlogx(A) + 0;
  }
  return f;
}

/** Per-target statistics of a multi-hot target: ones per channel and the count of each weighted pattern sum. */
interface MultiHotStats {
  ones: Float64Array;
  /** Σ_{k: y_k = 1} w_k of an element → how many elements have it. */
  patterns: Map<number, number>;
  elements: number;
}

/** Dense targets: multi-hot statistics or null for soft probabilities, cached per target and weight. */
const multiHotCache = new WeakMap<PreparedTarget, Map<string, MultiHotStats | null>>();

function multiHotStats(tg: PreparedTarget, w: Float64Array | null, B: number, C: number, S: number): MultiHotStats | null {
  let byW = multiHotCache.get(tg);
  if (!byW) multiHotCache.set(tg, (byW = new Map()));
  const key = w ? Array.from(w).join(',') : '';
  if (byW.has(key)) return byW.get(key)!;
  const d = tg.data!;
  // soft probabilities: found before any per-class array is allocated (at 15.7 M classes, 126 MB each)
  let binary = true;
  for (let i = 0; i < d.length && binary; i++) binary = d[i] === 0 || d[i] === 1;
  let stats: MultiHotStats | null = null;
  if (binary) {
    const ones = new Float64Array(C);
    const patterns = new Map<number, number>();
    const H = new Float64Array(S);
    stats = { ones, patterns, elements: B * S };
    for (let b = 0; b < B; b++) {
      H.fill(0);
      for (let k = 0; k < C; k++) {
        const o = (b * C + k) * S;
        const wk = w ? w[k]! : 1;
        let n = 0;
        for (let s = 0; s < S; s++) {
          if (d[o + s] === 1) {
            n++;
            H[s]! += wk;
          }
        }
        ones[k]! += n;
      }
      for (let s = 0; s < S; s++) patterns.set(H[s]!, (patterns.get(H[s]!) ?? 0) + 1);
    }
  }
  byW.set(key, stats);
  return stats;
}

/** Σ over elements of the per-element minimum, multi-hot: from the ones per channel and the pattern counts. */
function multiHotSum(m: MultiHotStats, eps: number, w: Float64Array | null, C: number): number {
  const off = eps / C;
  let W = 0;
  let g = 0;
  for (let k = 0; k < C; k++) {
    const wk = w ? w[k]! : 1;
    W += wk;
    const n1 = m.ones[k]!;
    g += n1 * xlogx(wk * (1 - eps + off)) + (m.elements - n1) * xlogx(wk * off);
  }
  let gA = 0;
  for (const [h, n] of m.patterns) gA += n * xlogx((1 - eps) * h + off * W);
  return -g + gA;
}

/** Σ over elements of the per-element minimum, soft probabilities: one pass over the target at this ε. */
function probabilitySum(tg: PreparedTarget, eps: number, w: Float64Array | null, B: number, C: number, S: number): number {
  const d = tg.data!;
  const off = eps / C;
  const A = new Float64Array(S);
  let g = 0;
  let gA = 0;
  for (let b = 0; b < B; b++) {
    A.fill(0);
    for (let k = 0; k < C; k++) {
      const o = (b * C + k) * S;
      const wk = w ? w[k]! : 1;
      for (let s = 0; s < S; s++) {
        const a = wk * ((1 - eps) * d[o + s]! + off);
        A[s]! += a;
        g += xlogx(a);
      }
    }
    for (let s = 0; s < S; s++) gA += xlogx(A[s]!);
  }
  return -g + gA;
}

function describe(target: FloorCase['target'], weighted: boolean, reduction: 'mean' | 'sum'): string {
  const red =
    reduction === 'sum' ? 'summed over the elements' : target === 'index' ? 'mean over the kept targets’ weights' : 'mean over the N elements';
  if (target === 'index' || target === 'one-hot') {
    if (!weighted) return `entropy of the smoothed one-hot target (1−ε+ε/C on the class, ε/C elsewhere), ${red}`;
    return `per element −Σ a_k·log(a_k/Σa), a_k = (1−ε)·w_y·[k = y] + (ε/C)·w_k (${target === 'index' ? 'class indices' : 'one-hot target, torch’s probability path'}), ${red}`;
  }
  const what = target === 'multi-hot' ? 'multi-hot target' : 'probability target';
  return `per element −Σ a_k·log(a_k/Σa), a_k = ${weighted ? 'w_k·' : ''}y'_k, y' = (1−ε)·y + ε/C (${what}), ${red}`;
}

/** What the floor is computed from: the pass's sums and the prepared target. */
export interface FloorInputs {
  opts: LossOptions;
  acc: Accumulators;
  target: PreparedTarget;
  /** Positions per batch item of the `(B, C, S)` layout. */
  S: number;
}

/** Which case applies, or null where there is no floor (one channel: no class to smooth over). */
export function floorCase(f: FloorInputs): FloorCase | null {
  const C = f.acc.C;
  if (C <= 1 || f.target.kind === 'binary') return null;
  const weighted = isWeighted(f.opts, C);
  let target: FloorCase['target'];
  if (f.target.kind === 'index') target = 'index';
  else if (f.target.kind === 'onehot') target = 'one-hot';
  else target = multiHotStats(f.target, ceWeights(f.opts, C), f.acc.B, C, f.S) ? 'multi-hot' : 'probability';
  return { target, weighted, reduction: f.opts.reduction, text: describe(target, weighted, f.opts.reduction) };
}

/** The floor at ε (the report's, or a sweep's grid value). NaN where torch's mean is 0/0 (every target ignored). */
export function labelSmoothingFloorOf(f: FloorInputs, eps: number): number | null {
  const { acc, target: tg, opts } = f;
  const C = acc.C;
  if (C <= 1 || tg.kind === 'binary') return null;
  const w = ceWeights(opts, C);
  let total: number;
  let denom: number;
  if (tg.kind === 'index' || tg.kind === 'onehot') {
    // classElems: kept elements per class (index), elements per hot channel (one-hot)
    const fc = classFloors(eps, w, C);
    total = 0;
    denom = 0;
    for (let c = 0; c < C; c++) {
      const n = acc.classElems[c]!;
      if (n === 0) continue;
      total += n * fc[c]!;
      denom += n * (tg.kind === 'index' && w ? w[c]! : 1);
    }
    if (tg.kind === 'onehot') denom = acc.elements;
  } else {
    const m = multiHotStats(tg, w, acc.B, C, f.S);
    total = m ? multiHotSum(m, eps, w, C) : probabilitySum(tg, eps, w, acc.B, C, f.S);
    denom = acc.elements;
  }
  // `+ 0` turns a −0 into 0
  return (opts.reduction === 'sum' ? total : total / denom) + 0;
}
