/**
 * Language-model layouts: logits `(B, T, V)` with the class (vocabulary) axis LAST, and the causal shift.
 * Brings such a pair to the engine's layout (class axis 1) before anything else reads it, as
 * test/fixtures/golden/families/README.md defines `classAxis` and `shiftLabels`:
 *   - `classAxis: -1`: `F.cross_entropy` on the logits with the last axis moved to position 1. For `ce` with
 *     class indices that is torch on `logits.reshape(-1, V)` and `labels.reshape(-1)`: a zero-copy view of
 *     contiguous logits as `(B·T, V)` rows. Other losses and probability targets get the axis moved (one copy).
 *   - `shiftLabels` (with `classAxis: -1`, class indices): position t of sequence b is scored against label
 *     t+1 (`logits[:, :-1]` vs `labels[:, 1:]`, as causal language models do before their CE). The logits are
 *     not copied: row (b, T−1) gets `ignore_index` as its label, which drops it exactly as the slice would,
 *     and the report counts it out of `elements` ({@link SequenceLayout.dropped}).
 * When the target's shape is the logits' shape without the last axis (and not without axis 1), the class
 * axis is taken as last on its own, and the report says so.
 */
import { LossInputError, fmtShape } from './errors';
import { Tensor } from './tensor';
import type { LossOptions } from './types';

/** How a pair was brought to class axis 1 (null in a report when it already was). */
export interface SequenceLayout {
  /** Sequences (the batch axis) and scored positions per sequence (T − 1 with the shift). */
  B: number;
  T: number;
  /** Positions left without a label by the shift (one per sequence), counted out of `elements`. */
  dropped: number;
  shifted: boolean;
  /** The class axis was taken as last because the target's shape said so (classAxis was 1). */
  autoDetected: boolean;
  /** Rows of the `(N, V)` view in order: row b·T_all + t is sequence b, position t (T_all = T, or T + 1 with the shift). */
  rowsPerSequence: number;
}

export interface SequencePair {
  logits: Tensor;
  target: Tensor;
  layout: SequenceLayout | null;
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The options this module reads. */
type SeqOpts = Pick<LossOptions, 'loss' | 'ignoreIndex' | 'classAxis' | 'shiftLabels'>;

/** Whether the target's shape marks the class axis as last: logits' shape without the last axis, not without axis 1. */
export function classAxisLastByShape(lshape: readonly number[], tshape: readonly number[]): boolean {
  if (lshape.length < 3) return false;
  const withoutLast = lshape.slice(0, -1);
  const withoutAxis1 = [lshape[0]!, ...lshape.slice(2)];
  return sameDims(tshape, withoutLast) && !sameDims(tshape, withoutAxis1);
}

/** Moves the last axis of a float tensor to position 1 (one copy, float64 for half types). */
function lastAxisToOne(t: Tensor): Tensor {
  const shape = t.shape;
  const C = shape[shape.length - 1]!;
  const B = shape[0]!;
  let S = 1;
  for (let i = 1; i < shape.length - 1; i++) S *= shape[i]!;
  const src = t.dtype === 'float32' || t.dtype === 'float64' ? (t.contiguous().data as Float32Array | Float64Array) : t.toFloat64();
  const out = t.dtype === 'float32' ? new Float32Array(src.length) : new Float64Array(src.length);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const i = (b * S + s) * C;
      for (let c = 0; c < C; c++) out[(b * C + c) * S + s] = src[i + c]!;
    }
  }
  return new Tensor(t.dtype === 'float32' ? 'float32' : 'float64', [B, C, ...shape.slice(1, -1)], out);
}

/** Labels `[:, 1:]` beside logits `[:, :-1]`, as `(B·T,)` int32 with `ignore` where the shift leaves no label. */
function shiftedLabels(target: Tensor, B: number, T: number, ignore: number): Tensor {
  const out = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(B * T * 4)) : new Int32Array(B * T);
  const c = target.contiguous();
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      const v = c.get(b * T + t + 1);
      // range against [0, V) and ignore_index is checked with the other labels by the layout
      if (!(Number.isInteger(v) && Math.abs(v) <= 2147483647)) {
        throw new LossInputError(`target holds ${v} at (${b}, ${t + 1}) where a class index is expected (shiftLabels, target ${fmtShape(target.shape)})`, 'shiftLabels');
      }
      out[b * T + t] = v;
    }
    out[b * T + T - 1] = ignore;
  }
  return new Tensor('int32', [B * T], out);
}

const cache = new WeakMap<Tensor, WeakMap<Tensor, Map<string, SequencePair>>>();

/**
 * The pair in class-axis-1 layout, and how it got there. Cached per tensor pair and options (the view reuses
 * a pair at other ε without laying it out again).
 */
export function sequencePair(logits: Tensor, target: Tensor, opts: SeqOpts): SequencePair {
  const auto = opts.classAxis === 1 && classAxisLastByShape(logits.shape, target.shape);
  const last = opts.classAxis === -1 || auto;
  if (opts.shiftLabels && opts.classAxis !== -1 && !auto) {
    throw new LossInputError('option shiftLabels: the causal shift needs classAxis -1 (logits (B, T, V) with the vocabulary last)', 'shiftLabels');
  }
  if (!last || logits.shape.length < 2) return { logits, target, layout: null };
  const key = `${opts.loss}|${opts.ignoreIndex}|${opts.shiftLabels}|${auto}`;
  let byTarget = cache.get(logits);
  if (!byTarget) cache.set(logits, (byTarget = new WeakMap()));
  let byKey = byTarget.get(target);
  if (!byKey) byTarget.set(target, (byKey = new Map()));
  let p = byKey.get(key);
  if (!p) {
    p = layOut(logits, target, opts, auto);
    byKey.set(key, p);
  }
  return p;
}

function layOut(logits: Tensor, target: Tensor, opts: SeqOpts, auto: boolean): SequencePair {
  const ls = logits.shape;
  const ts = target.shape;
  const V = ls[ls.length - 1]!;
  const shapes = `logits ${fmtShape(ls)}, target ${fmtShape(ts)}`;
  const indexTarget = sameDims(ts, ls.slice(0, -1));
  const denseTarget = sameDims(ts, ls);
  if (!indexTarget && !denseTarget) {
    throw new LossInputError(
      `with classAxis -1 the target must be the logits' shape without the last axis (class indices) or the logits' shape: ${shapes}`,
      'classAxis',
    );
  }
  // (N, V): the class axis already is axis 1
  const rank2 = ls.length === 2;
  if (opts.shiftLabels) {
    if (!indexTarget || opts.loss !== 'ce') {
      throw new LossInputError(`option shiftLabels: the causal shift scores class indices with cross-entropy (loss ce): ${shapes}`, 'shiftLabels');
    }
    const B = rank2 ? 1 : ls[0]!;
    const T = rank2 ? ls[0]! : ls.slice(1, -1).reduce((a, b) => a * b, 1);
    if (T < 2) throw new LossInputError(`option shiftLabels: sequences of length ${T} leave no position to score: ${shapes}`, 'shiftLabels');
    const rows = logits.reshape([B * T, V]);
    const labels = shiftedLabels(target.reshape([B, T]), B, T, opts.ignoreIndex);
    return { logits: rows, target: labels, layout: { B, T: T - 1, dropped: B, shifted: true, autoDetected: auto, rowsPerSequence: T } };
  }
  if (rank2) return { logits, target, layout: null };
  const B = ls[0]!;
  const T = ls.slice(1, -1).reduce((a, b) => a * b, 1);
  const layout: SequenceLayout = { B, T, dropped: 0, shifted: false, autoDetected: auto, rowsPerSequence: T };
  if (opts.loss === 'ce' && indexTarget) {
    // torch on logits.reshape(-1, V), labels.reshape(-1): the same numbers, no copy
    return { logits: logits.reshape([B * T, V]), target: target.reshape([B * T]), layout };
  }
  return { logits: lastAxisToOne(logits), target: denseTarget ? lastAxisToOne(target) : target, layout };
}
