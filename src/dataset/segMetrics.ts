/**
 * nnU-Net's segmentation metrics (`compute_tp_fp_fn_tn` and `compute_metrics` in nnunetv2/evaluation/
 * evaluate_predictions.py) for every label at once, in one pass over a case.
 *
 * nnU-Net makes one boolean mask per label and counts TP/FP/FN/TN over the voxels whose reference is not the
 * ignore label. The same numbers come from three histograms gathered in one pass: per value v, voxels whose
 * reference is v, whose prediction is v, and where both are v. For a label L: TP = both[L], FP = pred[L] − TP,
 * FN = ref[L] − TP, TN = counted − TP − FP − FN. Because the histograms hold every value seen, the label set can
 * be chosen after the whole folder was read (a streaming run does not know it in advance).
 *
 * Dice = 2·TP / (2·TP + FP + FN) and IoU = TP / (TP + FP + FN) are NaN where TP + FP + FN = 0 (nnU-Net's
 * convention: a label absent from both prediction and reference is left out of the means, not counted as 1).
 * Pure: no I/O; counts are exact integers in float64.
 */
import { Tensor } from '../engine/tensor';

/** How often each value occurs in the reference, in the prediction, and in both at the same voxel. */
export interface ValueCount {
  value: number;
  ref: number;
  pred: number;
  both: number;
}

export interface CaseCounts {
  /** Voxels counted: all but those whose reference is the ignore label. */
  counted: number;
  /** Voxels left out because their reference is the ignore label. */
  ignored: number;
  /** Every value seen in the counted voxels, ascending. */
  values: ValueCount[];
}

/** One label's numbers, with nnU-Net's names. */
export interface LabelMetrics {
  Dice: number;
  IoU: number;
  TP: number;
  FP: number;
  FN: number;
  TN: number;
  n_pred: number;
  n_ref: number;
}

export const METRIC_NAMES = ['Dice', 'IoU', 'TP', 'FP', 'FN', 'TN', 'n_pred', 'n_ref'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Dice and IoU from the counts (NaN where TP + FP + FN = 0), plus the counts themselves. */
export function metricsFromCounts(TP: number, FP: number, FN: number, TN: number): LabelMetrics {
  const denom = TP + FP + FN;
  return {
    Dice: denom === 0 ? NaN : (2 * TP) / (2 * TP + FP + FN),
    IoU: denom === 0 ? NaN : TP / denom,
    TP,
    FP,
    FN,
    TN,
    n_pred: TP + FP,
    n_ref: TP + FN,
  };
}

/** The metrics of `label` in a counted case. */
export function labelMetrics(counts: CaseCounts, label: number): LabelMetrics {
  const v = counts.values.find((x) => x.value === label || (Number.isNaN(x.value) && Number.isNaN(label)));
  const TP = v?.both ?? 0;
  const FP = (v?.pred ?? 0) - TP;
  const FN = (v?.ref ?? 0) - TP;
  return metricsFromCounts(TP, FP, FN, counts.counted - TP - FP - FN);
}

/** Values 0…DENSE−1 are counted in flat arrays; any other value (negative, large, fractional) in a map. */
const DENSE = 1024;

class Histograms {
  readonly ref = new Float64Array(DENSE);
  readonly pred = new Float64Array(DENSE);
  readonly both = new Float64Array(DENSE);
  readonly sparse = new Map<number, ValueCount>();
  counted = 0;
  ignored = 0;

  private slot(v: number): ValueCount {
    let e = this.sparse.get(v);
    if (!e) this.sparse.set(v, (e = { value: v, ref: 0, pred: 0, both: 0 }));
    return e;
  }

  /** One voxel with reference r and prediction p (the caller has already skipped ignored voxels). */
  add(r: number, p: number): void {
    this.counted++;
    const rd = r >= 0 && r < DENSE && (r | 0) === r;
    const pd = p >= 0 && p < DENSE && (p | 0) === p;
    if (rd) this.ref[r] = this.ref[r]! + 1;
    else this.slot(r).ref++;
    if (pd) this.pred[p] = this.pred[p]! + 1;
    else this.slot(p).pred++;
    if (r === p) {
      if (rd) this.both[r] = this.both[r]! + 1;
      else this.slot(r).both++;
    }
  }

  result(): CaseCounts {
    const values: ValueCount[] = [...this.sparse.values()];
    for (let v = 0; v < DENSE; v++) {
      if (this.ref[v] || this.pred[v]) values.push({ value: v, ref: this.ref[v]!, pred: this.pred[v]!, both: this.both[v]! });
    }
    values.sort((a, b) => a.value - b.value || (Number.isNaN(a.value) ? 1 : -1));
    return { counted: this.counted, ignored: this.ignored, values };
  }
}

/**
 * A tensor's values as plain numbers in logical (C) order: a view for contiguous numeric arrays, a float64 copy
 * for float16/bfloat16/int64 (exact for labels; int64 labels beyond 2**53 are not label maps).
 */
export function labelValues(t: Tensor): ArrayLike<number> {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'int64' || t.dtype === 'uint64') return t.toFloat64();
  const c = t.contiguous();
  const d = c.data as Exclude<typeof c.data, BigInt64Array | BigUint64Array>;
  return c.offset === 0 && d.length === c.size ? d : d.subarray(c.offset, c.offset + c.size);
}

/** Counts a label-map prediction against a reference of the same number of voxels. */
export function countLabelMaps(pred: ArrayLike<number>, ref: ArrayLike<number>, ignoreLabel: number | null): CaseCounts {
  if (pred.length !== ref.length) throw new Error(`prediction has ${pred.length} voxels, reference ${ref.length}`);
  const h = new Histograms();
  const n = ref.length;
  for (let i = 0; i < n; i++) {
    const r = ref[i]!;
    if (r === ignoreLabel) {
      h.ignored++;
      continue;
    }
    h.add(r, pred[i]!);
  }
  return h.result();
}

/** Positions per argmax block: the block's running maxima stay in cache while the C channel planes stream by. */
const BLOCK = 4096;

/**
 * Counts the argmax of contiguous `(C, S)` scores (logits or probabilities; the argmax is the same) against a
 * reference of S voxels. Ties and NaN follow torch.argmax / numpy.argmax: the first maximum wins, and a NaN
 * counts as the maximum (the first NaN wins).
 */
export function countScores(scores: ArrayLike<number>, C: number, S: number, ref: ArrayLike<number>, ignoreLabel: number | null): CaseCounts {
  if (scores.length !== C * S) throw new Error(`scores hold ${scores.length} values, expected C·S = ${C}·${S}`);
  if (ref.length !== S) throw new Error(`prediction has ${S} voxels, reference ${ref.length}`);
  const h = new Histograms();
  const best = new Float64Array(BLOCK);
  const arg = new Int32Array(BLOCK);
  for (let s0 = 0; s0 < S; s0 += BLOCK) {
    const n = Math.min(BLOCK, S - s0);
    for (let j = 0; j < n; j++) {
      best[j] = scores[s0 + j]!;
      arg[j] = 0;
    }
    for (let c = 1; c < C; c++) {
      const base = c * S + s0;
      for (let j = 0; j < n; j++) {
        const v = scores[base + j]!;
        const b = best[j]!;
        // b !== b: a NaN already holds the maximum; v !== v: the first NaN takes it.
        if (b === b && (v > b || v !== v)) {
          best[j] = v;
          arg[j] = c;
        }
      }
    }
    for (let j = 0; j < n; j++) {
      const r = ref[s0 + j]!;
      if (r === ignoreLabel) {
        h.ignored++;
        continue;
      }
      h.add(r, arg[j]!);
    }
  }
  return h.result();
}
