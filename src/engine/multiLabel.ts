/**
 * Multi-label targets: a float target shaped like the logits whose channels sum above 1 somewhere, as BraTS-style
 * overlapping regions are saved (whole tumour ⊇ tumour core ⊇ enhancing tumour, one channel each). torch's
 * `cross_entropy` (and so MONAI's DiceCELoss CE term) reads such a target as class probabilities: softmax over the
 * channels, `−Σ_k y_k·log softmax(x)_k` per element, so a voxel in K regions adds K log-terms and the channels
 * compete for one unit of probability. This module recognises the case, says in words what the configured loss
 * computes there, and gives the per-channel alternative multi-label training usually means:
 * `F.binary_cross_entropy_with_logits(x, y, reduction)` (unweighted), hard and against the view's smoothed target
 * `y_s = (1 − ε)·y + ε/C` (the same y_s as every smoothed number of the report).
 *
 * BCE per entry is `l(y) = (1 − y)·x + softplus(−x)`, linear in y, so
 * `Σ l(y_s) = Σ l(y) + ε·(Σ y·x − Σ x / C)`: one pass per pair gathers Σ l(y), Σ y·x and Σ x (float64), and any ε
 * is arithmetic on them — an ε change in the view costs nothing here.
 */
import { bceWithLogitsTerm } from './accumulateRows';
import { floatLogits, type PreparedLogits, type PreparedTarget } from './layout';
import type { EngineWarning, LossOptions, MultiLabelReport } from './types';

/**
 * A channel sum above 1 + this is an overlap. Probabilities that sum to 1 in float32 stay within ~1e-6 of it;
 * overlapping regions sum to 2 or more (soft overlaps to well above 1).
 */
export const OVERLAP_TOLERANCE = 1e-3;

/** How a dense target's channels overlap. */
export interface MultiLabelStats {
  /** Elements (positions, channel apart) whose channels sum above 1. */
  overlapping: number;
  elements: number;
  /** The largest channel sum of any element. */
  maxChannelSum: number;
}

const statsCache = new WeakMap<PreparedTarget, MultiLabelStats | null>();

/**
 * The overlap statistics of a `(B, C, S)` dense target, or null when no element's channels sum above 1 (and for
 * index and binary targets, which cannot overlap). One pass over the target, cached per prepared target.
 */
export function multiLabelStats(tg: PreparedTarget, B: number, C: number, S: number): MultiLabelStats | null {
  if (tg.kind !== 'probability' || C < 2 || !tg.data) return null;
  if (statsCache.has(tg)) return statsCache.get(tg)!;
  const d = tg.data;
  const sums = new Float64Array(S);
  let overlapping = 0;
  let max = -Infinity;
  for (let b = 0; b < B; b++) {
    sums.fill(0);
    for (let k = 0; k < C; k++) {
      const o = (b * C + k) * S;
      for (let s = 0; s < S; s++) sums[s]! += d[o + s]!;
    }
    for (let s = 0; s < S; s++) {
      const v = sums[s]!;
      if (v > 1 + OVERLAP_TOLERANCE) overlapping++;
      if (v > max) max = v;
    }
  }
  const stats = overlapping > 0 ? { overlapping, elements: B * S, maxChannelSum: max } : null;
  statsCache.set(tg, stats);
  return stats;
}

interface BceSums {
  /** Σ over every entry of BCE-with-logits against the hard target. */
  loss: number;
  /** Σ y·x and Σ x over every entry. */
  yx: number;
  x: number;
  entries: number;
}

const bceCache = new WeakMap<PreparedTarget, WeakMap<PreparedLogits, BceSums>>();

function bceSums(lg: PreparedLogits, tg: PreparedTarget): BceSums {
  let byLogits = bceCache.get(tg);
  if (!byLogits) bceCache.set(tg, (byLogits = new WeakMap()));
  const hit = byLogits.get(lg);
  if (hit) return hit;
  const x = floatLogits(lg);
  const y = tg.data!;
  let loss = 0;
  let yx = 0;
  let sx = 0;
  for (let i = 0; i < x.length; i++) {
    const xv = x[i]!;
    const yv = y[i]!;
    loss += bceWithLogitsTerm(xv, yv, 1);
    yx += yv * xv;
    sx += xv;
  }
  const sums = { loss, yx, x: sx, entries: x.length };
  byLogits.set(lg, sums);
  return sums;
}

/**
 * `F.binary_cross_entropy_with_logits(x, y_s, reduction)` with `y_s = (1 − ε)·y + ε/C` (ε = 0: the target as
 * given), unweighted, over every entry of the `(B, C, S)` pair.
 */
export function bceWithLogitsAt(lg: PreparedLogits, tg: PreparedTarget, eps: number, reduction: 'mean' | 'sum'): number {
  const s = bceSums(lg, tg);
  // adding the ε term only when ε > 0 keeps ε = 0 bit-identical to the hard sum (and finite with infinite logits)
  const total = eps > 0 ? s.loss + eps * (s.yx - s.x / lg.C) : s.loss;
  return reduction === 'sum' ? total : total / s.entries;
}

/** What the configured loss does with overlapping channels, one sentence per term that reads the target. */
function explain(opts: LossOptions, stats: MultiLabelStats): string[] {
  const notes: string[] = [];
  const K = fmt(stats.maxChannelSum);
  const loss = opts.loss;
  if (loss === 'ce' || loss === 'dicece') {
    const who = loss === 'ce' ? 'torch’s cross_entropy' : 'MONAI’s DiceCELoss passes the C-channel float target unchanged to torch’s cross_entropy, which';
    notes.push(
      `${who} reads a target shaped like the logits as class probabilities: softmax over the channels and ` +
        `−Σ_k y_k·log softmax(x)_k per voxel. Where regions overlap the target sums to ${K}, not 1: the voxel counts ` +
        `${K} log-terms and the channels compete for one unit of probability, so this CE cannot reach 0 there ` +
        `(its floor is above 0 even at label_smoothing 0).`,
    );
  }
  const overlap = loss !== 'ce' && loss !== 'focal';
  if (overlap && opts.softmax) {
    notes.push('softmax=True makes the channels compete in the overlap term as well: a voxel in several regions cannot predict all of them, so that term cannot reach 0; multi-label segmentation uses sigmoid=True.');
  } else if (overlap && opts.sigmoid) {
    notes.push('sigmoid=True scores each region on its own in the overlap term, as multi-label segmentation needs.');
  }
  if (loss === 'focal' && opts.useSoftmax) {
    notes.push('use_softmax=True: the focal term takes softmax over the channels, which compete like the CE above; the sigmoid focal loss scores each region on its own.');
  } else if (loss === 'focal' || loss === 'dicefocal' || loss === 'gdicefocal') {
    notes.push('The focal term is sigmoid (per channel): each region is scored on its own.');
  }
  notes.push(
    'The alternative shown beside it is F.binary_cross_entropy_with_logits(logits, target): a sigmoid per channel, ' +
      'each region a yes/no of its own (unweighted; its smoothed value uses the same y_s = (1−ε)·y + ε/C).',
  );
  return notes;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

/** The report's `multiLabel` field, or null when the target does not overlap. */
export function multiLabelReport(lg: PreparedLogits, tg: PreparedTarget, opts: LossOptions): MultiLabelReport | null {
  const stats = multiLabelStats(tg, lg.B, lg.C, lg.S);
  if (!stats) return null;
  const eps = opts.labelSmoothing;
  return {
    ...stats,
    bce: {
      hard: bceWithLogitsAt(lg, tg, 0, opts.reduction),
      smoothed: bceWithLogitsAt(lg, tg, eps, opts.reduction),
      reduction: opts.reduction,
    },
    notes: explain(opts, stats),
  };
}

export function multiLabelWarning(m: MultiLabelReport, opts: LossOptions): EngineWarning {
  const pct = (100 * m.overlapping) / m.elements;
  const ce = opts.loss === 'ce' || opts.loss === 'dicece';
  return {
    code: 'multi-label-target',
    message:
      `multi-label target: the channels sum above 1 on ${m.overlapping} of ${m.elements} elements (${pct < 0.1 ? pct.toPrecision(2) : pct.toFixed(1)}%, up to ${fmt(m.maxChannelSum)})` +
      (ce ? '; the CE term is softmax CE on it as class probabilities, not a per-channel BCE' : ''),
  };
}
