/**
 * torch `BCEWithLogitsLoss(pos_weight, reduction)` (the simple path), computed as torch does to stay finite
 * at any logit: `l = (1 − y)·x + (1 + (pw − 1)·y)·(log1p(exp(−|x|)) + max(−x, 0))`, which equals
 * `−[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))]`. Input and target have the same shape; `pos_weight` broadcasts
 * over the channel axis (one value per channel, axis 1). `mean` averages over every entry, `sum` adds them.
 * MONAI's DiceCELoss uses this for one output channel, where it ignores `label_smoothing`.
 */
import { LossInputError, fmtShape } from './errors';
import type { Tensor } from './tensor';

export function bceWithLogits(input: Tensor, target: Tensor, o: { posWeight?: number[] | null; reduction?: 'mean' | 'sum' | 'none' } = {}): number | Float64Array {
  if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new LossInputError(`Target size (${fmtShape(target.shape)}) must be the same as input size (${fmtShape(input.shape)})`);
  }
  const x = input.toFloat64();
  const y = target.toFloat64();
  const C = input.shape.length > 1 ? input.shape[1]! : 1;
  let S = 1;
  for (let i = 2; i < input.shape.length; i++) S *= input.shape[i]!;
  const pw = o.posWeight ?? null;
  if (pw && pw.length !== 1 && pw.length !== C) {
    throw new LossInputError(`pos_weight of ${pw.length} values does not broadcast over ${C} channels (input ${fmtShape(input.shape)})`, 'weight');
  }
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / S) % C;
    const p = pw ? (pw.length === 1 ? pw[0]! : pw[c]!) : 1;
    const xv = x[i]!;
    const yv = y[i]!;
    const l = (1 - yv) * xv + (1 + (p - 1) * yv) * (Math.log1p(Math.exp(-Math.abs(xv))) + Math.max(-xv, 0));
    out[i] = l;
    sum += l;
  }
  const r = o.reduction ?? 'mean';
  return r === 'none' ? out : r === 'sum' ? sum : sum / x.length;
}
