/**
 * From the fused pass's sums to MONAI's other segmentation losses (MONAI 1.5): the focal term
 * (`FocalLoss`, and the focal half of `DiceFocalLoss` / `GeneralizedDiceFocalLoss`), `GeneralizedDiceLoss` and
 * `TverskyLoss`. Pure arithmetic on per-class and per-(item, class) sums; definitions in
 * test/fixtures/golden/families/README.md.
 */
import { LossInputError } from './errors';
import type { DiceSums } from './finalize';
import type { LossOptions } from './types';

/** Channels the focal term keeps: C, or C − 1 without background (one channel is never dropped). */
function focalChannels(opts: LossOptions, C: number): { c0: number; kept: number } {
  const c0 = !opts.includeBackground && C > 1 ? 1 : 0;
  return { c0, kept: C - c0 };
}

/**
 * The class weight FocalLoss applies: `weight` over the kept channels, only when more than one remains (MONAI
 * skips it for one channel). Null when none applies. The length is checked when the pair is prepared.
 */
export function focalWeight(opts: LossOptions, C: number): number[] | null {
  const { kept } = focalChannels(opts, C);
  return opts.weight && kept > 1 ? opts.weight : null;
}

/**
 * What FocalLoss divides the weighted sum `Σ_c w_c · Σ_{b,s} l` by: `mean` → every element of the (B, C′, S)
 * loss; `sum` → MONAI first averages over the spatial axes (S), then sums. On `(N, C)` logits there is no spatial
 * axis and `loss.mean(dim=[])` averages over everything, so `sum` equals `mean` there.
 */
function focalDivisor(opts: LossOptions, B: number, C: number, S: number, rank: number): number {
  const { kept } = focalChannels(opts, C);
  return opts.reduction === 'sum' && rank > 2 ? S : B * kept * S;
}

/** The focal term from the per-class sums (`acc.focalH` or `acc.focalS`). */
export function focalFromSums(sums: Float64Array, opts: LossOptions, B: number, C: number, S: number, rank: number): number {
  const { c0 } = focalChannels(opts, C);
  const w = focalWeight(opts, C);
  let num = 0;
  for (let c = c0; c < C; c++) num += (w ? w[c - c0]! : 1) * sums[c]!;
  return num / focalDivisor(opts, B, C, S, rank);
}

/** Class c's mean focal loss over every item and position (unweighted; null for a dropped channel). */
export function focalClassMean(sums: Float64Array, opts: LossOptions, B: number, C: number, S: number, c: number): number | null {
  const { c0 } = focalChannels(opts, C);
  return c < c0 ? null : sums[c]! / (B * S);
}

/** Class c's share of the focal term (the shares of all classes add up to it). */
export function focalClassShare(sums: Float64Array, opts: LossOptions, B: number, C: number, S: number, rank: number, c: number): number | null {
  const { c0 } = focalChannels(opts, C);
  if (c < c0) return null;
  const w = focalWeight(opts, C);
  return ((w ? w[c - c0]! : 1) * sums[c]!) / focalDivisor(opts, B, C, S, rank);
}

/** The focal term at each γ of the sweep grid, from the per-(class, γ) sums. */
export function focalSweep(sw: Float64Array, points: number, opts: LossOptions, B: number, C: number, S: number, rank: number): number[] {
  const { c0 } = focalChannels(opts, C);
  const w = focalWeight(opts, C);
  const div = focalDivisor(opts, B, C, S, rank);
  const out: number[] = [];
  for (let j = 0; j < points; j++) {
    let num = 0;
    for (let c = c0; c < C; c++) num += (w ? w[c - c0]! : 1) * sw[c * points + j]!;
    out.push(num / div);
  }
  return out;
}

/** MONAI TverskyLoss per (row, channel): `1 − (tp + smooth_nr) / (tp + α·fp + β·fn + smooth_dr)`. */
export function tverskyValues(d: DiceSums, opts: LossOptions): Float64Array {
  const f = new Float64Array(d.tp.length);
  for (let i = 0; i < f.length; i++) {
    const tp = d.tp[i]!;
    f[i] = 1 - (tp + opts.smoothNr) / (tp + opts.tverskyAlpha * d.fp[i]! + opts.tverskyBeta * d.fn[i]! + opts.smoothDr);
  }
  return f;
}

/**
 * The target volume per (row, channel) the way {@link DiceSums} lays its rows out (per item, or over the batch
 * with `batch`), from per-(b, c) sums of the target.
 */
export function groundSums(ground: Float64Array, d: DiceSums, B: number, C: number, batch: boolean): Float64Array {
  const out = new Float64Array(d.rows * d.channels);
  for (let r = 0; r < d.rows; r++) {
    for (let j = 0; j < d.channels; j++) {
      let g = 0;
      const b0 = batch ? 0 : r;
      const b1 = batch ? B : r + 1;
      for (let b = b0; b < b1; b++) g += ground[b * C + d.c0 + j]!;
      out[r * d.channels + j] = g;
    }
  }
  return out;
}

/**
 * MONAI GeneralizedDiceLoss's class weights from the target volume g: `square` 1/g², `simple` 1/g, `uniform` 1,
 * computed in float32 as MONAI does (`w_func(ground_o.float())`). An infinite weight (an absent class) becomes
 * the largest finite weight of its item (of the whole batch with `batch`).
 */
export function generalizedWeights(g: Float64Array, d: DiceSums, wType: LossOptions['wType'], batch: boolean): Float64Array {
  const f32 = Math.fround;
  const w = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const g32 = f32(g[i]!);
    w[i] = wType === 'uniform' ? 1 : wType === 'simple' ? f32(1 / g32) : f32(1 / f32(g32 * g32));
  }
  const fill = (from: number, to: number, max: number) => {
    for (let i = from; i < to; i++) if (w[i] === Infinity) w[i] = max;
  };
  const maxFinite = (from: number, to: number) => {
    let m = 0; // every weight infinite: MONAI zeroes them and takes the max of zeros
    for (let i = from; i < to; i++) if (w[i]! !== Infinity && w[i]! > m) m = w[i]!;
    return m;
  };
  if (batch) fill(0, w.length, maxFinite(0, w.length));
  else for (let r = 0; r < d.rows; r++) fill(r * d.channels, (r + 1) * d.channels, maxFinite(r * d.channels, (r + 1) * d.channels));
  return w;
}

/**
 * MONAI GeneralizedDiceLoss: per item (one number with `batch`)
 * `f = 1 − (2·Σ_c w_c·tp_c + smooth_nr) / (Σ_c w_c·(2·tp_c + fp_c + fn_c) + smooth_dr)`, then mean or sum over the
 * items. `ground` is the target volume per (b, c): Σy for the hard target, Σy_s for the smoothed one.
 */
export function generalizedDice(d: DiceSums, ground: Float64Array, opts: LossOptions, B: number, C: number): number {
  if (d.pooled) {
    throw new LossInputError(
      "GeneralizedDiceLoss on (N, C) logits without batch: MONAI reduces over no axis and then fails; set batch or give (B, C, *spatial) logits",
      'batch',
    );
  }
  const g = groundSums(ground, d, B, C, opts.batch);
  const w = generalizedWeights(g, d, opts.wType, opts.batch);
  let total = 0;
  for (let r = 0; r < d.rows; r++) {
    let numer = 0;
    let denom = 0;
    for (let j = 0; j < d.channels; j++) {
      const i = r * d.channels + j;
      const tp = d.tp[i]!;
      numer += tp * w[i]!;
      denom += 2 * (tp + 0.5 * d.fp[i]! + 0.5 * d.fn[i]!) * w[i]!;
    }
    total += 1 - (2 * numer + opts.smoothNr) / (denom + opts.smoothDr);
  }
  return opts.reduction === 'sum' ? total : total / d.rows;
}
