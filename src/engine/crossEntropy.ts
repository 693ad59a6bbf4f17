/**
 * torch `F.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)` /
 * `nn.CrossEntropyLoss`, element by element (the simple path; the report uses the fused pass, and tests hold
 * the two together).
 *
 * Shapes: input `(N, C)` or `(B, C, *spatial)`; target class indices `(N,)` / `(B, *spatial)` (also MONAI's
 * `(B, 1, *spatial)`), or probabilities shaped like the input.
 *
 * Class indices (torch's `aten/src/ATen/native/LossNLL.cpp`, `cross_entropy` with label smoothing):
 *   `l_i = (1−ε)·w_{y_i}·(−log q_{i,y_i}) + (ε/C)·Σ_k w_k·(−log q_{i,k})`, 0 where `y_i == ignore_index`;
 *   `none` → l (zeros at ignored elements), `sum` → Σ l, `mean` → Σ l / Σ_{kept} w_{y_i}
 *   (the smoothing term is weighted by every class's weight but divided by the target weights, as torch does).
 * Probabilities: `y' = (1−ε)·y + ε/C`, `l_i = −Σ_k w_k·y'_{i,k}·log q_{i,k}`; `mean` divides by the number of
 *   elements (never by weights); ignore_index plays no part.
 */
import { LossInputError } from './errors';
import { floatLogits, prepareLogits, prepareTarget } from './layout';
import { logSoftmaxRow } from './logSoftmax';
import type { Tensor } from './tensor';
import { DEFAULT_OPTIONS } from './types';

export interface CrossEntropyOptions {
  weight?: number[] | null;
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
}

/** Returns the reduced loss, or with `reduction: 'none'` the per-element losses in the target's element order. */
export function crossEntropy(input: Tensor, target: Tensor, o: CrossEntropyOptions = {}): number | Float64Array {
  const eps = o.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new LossInputError(`label_smoothing must be between 0.0 and 1.0. Got: ${eps}`, 'labelSmoothing');
  const opts = { ...DEFAULT_OPTIONS, loss: 'ce' as const, ignoreIndex: o.ignoreIndex ?? -100, weight: o.weight ?? null };
  const lg = prepareLogits(input);
  const tg = prepareTarget(target, lg, opts);
  const { B, C, S } = lg;
  const data = floatLogits(lg);
  const w = new Float64Array(C).fill(1);
  if (o.weight) {
    if (o.weight.length !== C) throw new LossInputError(`weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${o.weight.length}]`, 'weight');
    o.weight.forEach((v, i) => (w[i] = v));
  }
  const n = B * S;
  const out = new Float64Array(n);
  const row = new Float64Array(C);
  const lq = new Float64Array(C);
  let denom = 0;
  for (let e = 0; e < n; e++) {
    const b = Math.floor(e / S);
    const s = e - b * S;
    const base = b * C * S + s;
    for (let k = 0; k < C; k++) row[k] = data[base + k * S]!;
    logSoftmaxRow(row, lq);
    if (tg.kind === 'index') {
      const y = tg.labels![e]!;
      if (y === opts.ignoreIndex) continue;
      let smooth = 0;
      for (let k = 0; k < C; k++) smooth -= w[k]! * lq[k]!;
      // torch skips the smoothing term at ε = 0 (so a −inf logit elsewhere is no 0·inf = NaN)
      out[e] = eps > 0 ? (1 - eps) * w[y]! * -lq[y]! + (eps / C) * smooth : w[y]! * -lq[y]!;
      denom += w[y]!;
    } else {
      let l = 0;
      for (let k = 0; k < C; k++) {
        const yk = (1 - eps) * tg.data![base + k * S]! + eps / C;
        l -= w[k]! * yk * lq[k]!;
      }
      out[e] = l;
      denom += 1;
    }
  }
  const reduction = o.reduction ?? 'mean';
  if (reduction === 'none') return out;
  let sum = 0;
  for (let e = 0; e < n; e++) sum += out[e]!;
  return reduction === 'sum' ? sum : sum / denom;
}
