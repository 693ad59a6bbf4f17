/**
 * MONAI `DiceLoss` (monai/losses/dice.py), the simple path: every option, computed directly from the arrays.
 *
 * Shapes: input `(B, C, *spatial)`; target `(B, 1, *spatial)` class indices with `toOnehotY`, else shaped like
 * the input. Steps, as MONAI: `p = sigmoid(x)` / `softmax(x, dim=1)` (ignored with one channel) / `x`;
 * `y = one_hot(t)` when `toOnehotY` (ignored with one channel); without background drop channel 0 of both
 * (ignored with one channel); sums over the spatial axes, and over the batch axis too when `batch`.
 * If neither `softLabel` nor `squaredPred`: `tp = Σp·y, fp = Σp − tp, fn = Σy − tp`; otherwise (ord = 2 with
 * `squaredPred`, else 1) `P = Σ|p|^ord, Y = Σ|y|^ord, D = Σ|p−y|^ord, tp = (P+Y−D)/2, fp = P−tp, fn = Y−tp`.
 * Dice halves fp and fn, Jaccard does not: `f = 1 − (2·tp + smoothNr) / (2·(tp + fp + fn) + smoothDr)`, per
 * (b, c) — or per c with `batch` — times the class weight when one is given and more than one channel
 * remains. `mean` averages those values, `sum` adds them, `none` returns them (`(B, C′)` or `(C′)`).
 */
import { LossInputError, fmtShape } from './errors';
import { floatLogits, prepareLogits, prepareTarget } from './layout';
import type { Tensor } from './tensor';
import { DEFAULT_OPTIONS, type LossOptions } from './types';

export type DiceOptions = Partial<Pick<LossOptions, 'includeBackground' | 'toOnehotY' | 'sigmoid' | 'softmax' | 'squaredPred' | 'jaccard' | 'smoothNr' | 'smoothDr' | 'batch' | 'weight'>> & {
  reduction?: 'mean' | 'sum' | 'none';
  softLabel?: boolean;
};

/** Activated predictions and the (one-hot) target as dense `(B, C, S)` float64 arrays. */
export function diceInputs(input: Tensor, target: Tensor, o: DiceOptions): { p: Float64Array; y: Float64Array; B: number; C: number; S: number } {
  const opts: LossOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(o), loss: 'dice', weight: null, reduction: 'mean' };
  const lg = prepareLogits(input);
  const tg = prepareTarget(target, lg, opts);
  const { B, C, S } = lg;
  const data = floatLogits(lg);
  const p = new Float64Array(B * C * S);
  const y = new Float64Array(B * C * S);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const base = b * C * S + s;
      let m = -Infinity;
      for (let k = 0; k < C; k++) m = Math.max(m, data[base + k * S]!);
      let se = 0;
      for (let k = 0; k < C; k++) se += Math.exp(data[base + k * S]! - m);
      for (let k = 0; k < C; k++) {
        const x = data[base + k * S]!;
        p[base + k * S] = opts.softmax && C > 1 ? Math.exp(x - m) / se : opts.sigmoid ? 1 / (1 + Math.exp(-x)) : x;
        if (tg.kind === 'index') y[base + k * S] = tg.labels![b * S + s] === k ? 1 : 0;
        else if (tg.kind === 'binary') y[base + k * S] = tg.data![b * S + s]!;
        else y[base + k * S] = tg.data![base + k * S]!;
      }
    }
  }
  return { p, y, B, C, S };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** MONAI DiceLoss on dense activated predictions `p` and target `y`, both `(B, C, S)`. */
export function diceFromDense(p: ArrayLike<number>, y: ArrayLike<number>, B: number, C: number, S: number, o: DiceOptions): number | Float64Array {
  const includeBackground = o.includeBackground ?? true;
  const c0 = includeBackground || C === 1 ? 0 : 1;
  const Cp = C - c0;
  const rows = o.batch ? 1 : B;
  const ord = o.squaredPred ? 2 : 1;
  const norm = !!o.softLabel || !!o.squaredPred;
  const f = new Float64Array(rows * Cp);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < Cp; j++) {
      const c = c0 + j;
      let a = 0;
      let bb = 0;
      let cc = 0;
      for (let b = o.batch ? 0 : r; b < (o.batch ? B : r + 1); b++) {
        for (let s = 0; s < S; s++) {
          const i = (b * C + c) * S + s;
          const pv = p[i]!;
          const yv = y[i]!;
          if (norm) {
            a += Math.abs(pv) ** ord;
            bb += Math.abs(yv) ** ord;
            cc += Math.abs(pv - yv) ** ord;
          } else {
            a += pv * yv;
            bb += pv;
            cc += yv;
          }
        }
      }
      let tp: number;
      let fp: number;
      let fn: number;
      if (norm) {
        tp = (a + bb - cc) / 2;
        fp = a - tp;
        fn = bb - tp;
      } else {
        tp = a;
        fp = bb - a;
        fn = cc - a;
      }
      if (!o.jaccard) {
        fp *= 0.5;
        fn *= 0.5;
      }
      f[r * Cp + j] = 1 - (2 * tp + (o.smoothNr ?? 1e-5)) / (2 * (tp + fp + fn) + (o.smoothDr ?? 1e-5));
    }
  }
  if (o.weight && Cp !== 1) {
    if (o.weight.length !== Cp) throw new LossInputError(`the number of classes (${Cp}) does not match the length of the Dice weight (${o.weight.length})`, 'weight');
    for (let i = 0; i < f.length; i++) f[i]! *= o.weight[i % Cp]!;
  }
  const red = o.reduction ?? 'mean';
  if (red === 'none') return f;
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i]!;
  return red === 'sum' ? s : s / f.length;
}

/** MONAI `DiceLoss(**o)(input, target)`. */
export function diceLoss(input: Tensor, target: Tensor, o: DiceOptions = {}): number | Float64Array {
  if (input.shape.length < 3) {
    throw new LossInputError(`DiceLoss here needs (B, C, *spatial) input, got ${fmtShape(input.shape)}`);
  }
  const { p, y, B, C, S } = diceInputs(input, target, o);
  return diceFromDense(p, y, B, C, S, o);
}
