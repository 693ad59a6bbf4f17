/**
 * Brings a logits/target pair into the one layout every loss in this engine reads, and interprets the
 * target the way torch and MONAI do. Nothing here computes a loss.
 *
 * Logits `(N, C)` or `(B, C, *spatial)` become a contiguous `(B, C, S)` float array (S = 1 for `(N, C)`,
 * B = N): float32/float64 stay views (zero copy when already contiguous); float16 and bfloat16 logits are
 * decoded once to float32, integer and bool logits to float64 (all exactly).
 *
 * Targets:
 * - class indices `(N,)` / `(B, *spatial)` (torch's layout) or `(B, 1, *spatial)` (MONAI's layout), any
 *   integer dtype or integer-valued floats, become an `Int32Array` of length B·S (validated against
 *   `[0, C)` and `ignoreIndex`);
 * - a target shaped like the logits is hard one-hot (every value 0/1, channels summing to 1) or soft
 *   probabilities (anything else), kept as a `(B, C, S)` float array;
 * - with C == 1, a `(B, 1, *spatial)` target is a binary mask (`binary`);
 * - when B == 1, a target shaped like the logits' spatial axes (a NIfTI label map beside `(1, C, X, Y, Z)`
 *   logits) is read as `(1, 1, *spatial)`.
 */
import { LossInputError, fmtShape } from './errors';
import { Tensor, float16Table, isFloatDType } from './tensor';
import type { LossOptions } from './types';
import { lossLabel } from './optionSchema';

export type FloatData = Float32Array | Float64Array;

/**
 * The logits' values, contiguous `(B, C, S)`, as stored: float32/float64 views of the file's bytes, or the raw
 * bits of bfloat16/float16 (zero copy). Only the passes that read half-precision bits directly (the kernel's
 * row-major preparation) see the bits; everything else asks {@link floatLogits}.
 */
export type LogitValues =
  | { dtype: 'float32'; data: Float32Array }
  | { dtype: 'float64'; data: Float64Array }
  | { dtype: 'bfloat16' | 'float16'; data: Uint16Array };

export interface PreparedLogits {
  /** Batch size (N for `(N, C)` logits). */
  B: number;
  C: number;
  /** Positions per batch item (product of the spatial axes; 1 for `(N, C)`). */
  S: number;
  shape: number[];
  values: LogitValues;
  /** torch's unbatched input: `(C,)` logits, read as `(1, C)` (cross-entropy only). */
  unbatched?: boolean;
}

export type TargetKind = 'index' | 'onehot' | 'probability' | 'binary';

export interface PreparedTarget {
  kind: TargetKind;
  shape: number[];
  /** `index`: class per element (length B·S), ignore_index kept as is. */
  labels: Int32Array | null;
  /** `onehot` / `probability`: contiguous `(B, C, S)`; `binary`: `(B, 1, S)`. */
  data: FloatData | null;
  /**
   * Which layout an index target came in: MONAI's `(B, 1, …)`, torch's `(B, …)` (which MONAI's Dice losses
   * would refuse: the report warns), a spatial-only map beside B == 1 logits, or shaped like the logits.
   */
  layout: 'monai' | 'torch' | 'spatial' | 'dense';
  nanCount: number;
  infCount: number;
}

/**
 * Shared memory when the platform has it (Node, and cross-origin-isolated pages), so that worker threads can
 * read the labels in place; an ordinary array elsewhere.
 */
function sharedInt32(n: number): Int32Array {
  return typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A contiguous float view of a tensor: float32/float64 without copying when possible, else float64. */
export function floatData(t: Tensor): FloatData {
  if (t.dtype === 'float32' || t.dtype === 'float64') {
    const c = t.contiguous() as Tensor<'float32' | 'float64'>;
    const d = c.data as FloatData;
    return c.offset === 0 && d.length === c.size ? d : (d.subarray(c.offset, c.offset + c.size) as FloatData);
  }
  return t.toFloat64();
}

export function prepareLogits(logits: Tensor): PreparedLogits {
  let shape = [...logits.shape];
  let unbatched = false;
  if (shape.length === 1) {
    // torch's cross_entropy takes an unbatched (C,) input; it is one row of (1, C).
    shape = [1, shape[0]!];
    unbatched = true;
  }
  if (shape.length < 2) {
    throw new LossInputError(`logits must be (N, C) or (B, C, *spatial), got shape ${fmtShape(shape)}`);
  }
  const B = shape[0]!;
  const C = shape[1]!;
  if (C < 1) throw new LossInputError(`logits have no classes: shape ${fmtShape(shape)}`);
  let S = 1;
  for (let i = 2; i < shape.length; i++) S *= shape[i]!;
  return { B, C, S, shape, values: logitValues(logits), ...(unbatched ? { unbatched } : {}) };
}

/** A tensor's values for {@link PreparedLogits}: half-precision bits kept as they are, the rest as float32/float64. */
function logitValues(t: Tensor): LogitValues {
  if (t.dtype === 'bfloat16' || t.dtype === 'float16') {
    const c = t.contiguous();
    return { dtype: t.dtype, data: (c.data as Uint16Array).subarray(c.offset, c.offset + c.size) };
  }
  return asValues(floatData(t));
}

function asValues(data: FloatData): LogitValues {
  return data instanceof Float32Array ? { dtype: 'float32', data } : { dtype: 'float64', data };
}

/** The logits' values as float32/float64 ({@link floatLogits}), in the {@link LogitValues} form. */
export function floatValues(lg: PreparedLogits): LogitValues {
  return asValues(floatLogits(lg));
}

const decoded = new WeakMap<LogitValues, Float32Array>();

/**
 * The logits as float32/float64, contiguous `(B, C, S)`: the values themselves, or half-precision bits decoded
 * once per values object to float32 — exactly (bfloat16 is a float32's top 16 bits, every float16 value is a
 * float32), in shared memory where there is some so worker threads read it in place.
 */
export function floatLogits(lg: PreparedLogits): FloatData {
  const v = lg.values;
  if (v.dtype === 'float32' || v.dtype === 'float64') return v.data;
  let out = decoded.get(v);
  if (!out) {
    const src = v.data;
    const n = src.length;
    out = typeof SharedArrayBuffer === 'function' ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
    if (v.dtype === 'bfloat16') {
      const bits = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
    } else {
      const tab = float16Table();
      for (let i = 0; i < n; i++) out[i] = tab[src[i]!]!;
    }
    decoded.set(v, out);
  }
  return out;
}

function describeExpected(lshape: readonly number[]): string {
  const idxTorch = [lshape[0]!, ...lshape.slice(2)];
  const idxMonai = [lshape[0]!, 1, ...lshape.slice(2)];
  return `expected ${fmtShape(idxTorch)} or ${fmtShape(idxMonai)} (class indices) or ${fmtShape(lshape)} (one-hot or probabilities)`;
}

/** Reads index targets into Int32 labels, checking every value is an integer class or ignoreIndex. */
function readLabels(t: Tensor, C: number, ignoreIndex: number | null, lshape: readonly number[]): { labels: Int32Array; nan: number; inf: number } {
  const n = t.size;
  const labels = sharedInt32(n);
  const c = t.contiguous();
  const { data, offset } = c;
  let bad: number | bigint | null = null;
  let nan = 0;
  let inf = 0;
  const ok = (v: number) => (v >= 0 && v < C) || v === ignoreIndex;
  if ((t.dtype === 'int64' || t.dtype === 'uint64') && LITTLE_ENDIAN) {
    // Read the two 32-bit halves instead of one BigInt per element (BigInt conversion is ~20× slower):
    // a value fits int32 exactly when the high half is the sign extension of the low half.
    const d = data as BigInt64Array;
    const w = new Int32Array(d.buffer, d.byteOffset, d.length * 2);
    const unsigned = t.dtype === 'uint64';
    for (let i = 0; i < n; i++) {
      const j = 2 * (offset + i);
      const lo = w[j]!;
      const hi = w[j + 1]!;
      if (hi !== (unsigned ? 0 : lo >> 31) || (unsigned && lo < 0) || !ok(lo)) {
        if (bad === null) bad = unsigned ? (d as unknown as BigUint64Array)[offset + i]! : d[offset + i]!;
        continue;
      }
      labels[i] = lo;
    }
  } else if (t.dtype === 'int64' || t.dtype === 'uint64') {
    const d = data as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = d[offset + i]!;
      const x = Number(v);
      if (!ok(x) || BigInt(x) !== v) {
        if (bad === null) bad = v;
        continue;
      }
      labels[i] = x;
    }
  } else if (isFloatDType(t.dtype)) {
    const f = c.toFloat64();
    for (let i = 0; i < n; i++) {
      const x = f[i]!;
      if (x !== x) {
        nan++;
        continue;
      }
      if (x === Infinity || x === -Infinity) {
        inf++;
        continue;
      }
      if (!Number.isInteger(x) || !ok(x)) {
        if (bad === null) bad = x;
        continue;
      }
      labels[i] = x;
    }
  } else {
    const d = data as Int32Array;
    for (let i = 0; i < n; i++) {
      const x = d[offset + i]!;
      if (!ok(x)) {
        if (bad === null) bad = x;
        continue;
      }
      labels[i] = x;
    }
  }
  if (nan || inf) {
    throw new LossInputError(
      `target of shape ${fmtShape(t.shape)} holds ${nan} NaN and ${inf} infinite values where class indices are expected (logits ${fmtShape(lshape)})`,
    );
  }
  if (bad !== null) {
    const allowed = ignoreIndex === null ? '' : ` or ignore_index ${ignoreIndex}`;
    throw new LossInputError(
      `target holds class index ${String(bad)} outside [0, ${C})${allowed} (logits ${fmtShape(lshape)}, target ${fmtShape(t.shape)})`,
      undefined,
      'label-out-of-range',
    );
  }
  return { labels, nan, inf };
}

/** Counts NaN/Inf and decides hard one-hot vs soft probabilities for a target shaped like the logits. */
function classifyDense(data: FloatData, B: number, C: number, S: number): { kind: 'onehot' | 'probability'; nan: number; inf: number } {
  let nan = 0;
  let inf = 0;
  let hard = true;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
    else if (v !== 0 && v !== 1) hard = false;
  }
  if (hard && nan === 0 && inf === 0) {
    for (let b = 0; b < B && hard; b++) {
      for (let s = 0; s < S; s++) {
        let sum = 0;
        for (let c = 0; c < C; c++) sum += data[(b * C + c) * S + s]!;
        if (sum !== 1) {
          hard = false;
          break;
        }
      }
    }
  }
  return { kind: hard ? 'onehot' : 'probability', nan, inf };
}

/** torch's scalar type names, as its error messages print them. */
const TORCH_TYPE_NAMES: Partial<Record<string, string>> = {
  int64: 'Long', int32: 'Int', int16: 'Short', int8: 'Char', uint8: 'Byte', bool: 'Bool', uint16: 'UInt16', uint32: 'UInt32', uint64: 'UInt64',
};

/**
 * What torch's `cross_entropy` refuses for a target shaped like the input (its probability path), with
 * torch's own words: a non-float target, and an `ignore_index` that is not negative.
 */
function rejectProbabilityTarget(t: Tensor, opts: LossOptions, shapes: string): void {
  if (!isFloatDType(t.dtype)) {
    throw new LossInputError(
      `Expected floating point type for target with class probabilities, got ${TORCH_TYPE_NAMES[t.dtype] ?? t.dtype} ` +
        `(a target shaped like the logits is read as class probabilities: ${shapes})`,
    );
  }
  if (opts.ignoreIndex >= 0) {
    throw new LossInputError(
      `ignore_index is not supported for floating point target (ignore_index ${opts.ignoreIndex} with class probabilities: ${shapes}; ` +
        `torch accepts only a negative ignore_index there, such as the default -100)`,
      'ignoreIndex',
    );
  }
}

/**
 * Interprets `target` against prepared logits for the given loss. Throws {@link LossInputError} for the
 * combinations torch / MONAI refuse, naming both shapes.
 */
export function prepareTarget(target: Tensor, lg: PreparedLogits, opts: LossOptions): PreparedTarget {
  const { B, C, S } = lg;
  const lshape = lg.shape;
  let tshape = [...target.shape];
  const rank = lshape.length;
  const spatial = lshape.slice(2);
  let shapes = `logits ${fmtShape(lshape)}, target ${fmtShape(tshape)}`;
  let t = target;
  if (lg.unbatched) {
    // torch: an unbatched (C,) input takes a 0-d class index or a (C,) probability target; MONAI has no such form.
    shapes = `logits ${fmtShape([C])}, target ${fmtShape(tshape)}`;
    if (opts.loss !== 'ce') throw new LossInputError(`logits must be (B, C, *spatial) for ${opts.loss}, got shape ${fmtShape([C])}`);
    if (tshape.length === 0) tshape = [1];
    else if (sameDims(tshape, [C])) tshape = [1, C];
    else throw new LossInputError(`target shape does not match unbatched logits: ${shapes}; expected [] (a class index) or [${C}] (probabilities)`);
    t = t.reshape(tshape);
  }
  let layout: PreparedTarget['layout'];

  // A spatial-only label map beside (1, C, *spatial) logits: read it as (1, 1, *spatial).
  // torch's cross-entropy takes a target shaped like the input as class probabilities, whatever else it could be
  // (with one class, (N, 1) is also MONAI's index layout).
  if (opts.loss === 'ce' && sameDims(tshape, lshape)) {
    layout = 'dense';
  } else if (B === 1 && rank > 2 && sameDims(tshape, spatial)) {
    t = t.reshape([1, 1, ...spatial]);
    tshape = [1, 1, ...spatial];
    layout = 'spatial';
  } else if (sameDims(tshape, [B, ...spatial])) {
    layout = 'torch';
  } else if (sameDims(tshape, [B, 1, ...spatial])) {
    layout = 'monai';
  } else if (sameDims(tshape, lshape)) {
    layout = 'dense';
  } else {
    throw new LossInputError(`target shape does not match the logits: ${shapes}; ${describeExpected(lshape)}`);
  }
  // With C == 1 the MONAI layout and the dense layout coincide: a binary mask.
  if (C === 1 && (layout === 'dense' || layout === 'monai' || layout === 'spatial') && opts.loss !== 'ce') {
    const data = floatData(t.dtype === 'bool' || !isFloatDType(t.dtype) ? new Tensor('float64', t.shape, t.toFloat64()) : t);
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v !== v) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
    }
    return { kind: 'binary', shape: tshape, labels: null, data, layout: 'dense', nanCount: nan, infCount: inf };
  }

  if (layout === 'dense') {
    if (opts.loss === 'ce') rejectProbabilityTarget(t, opts, shapes);
    if (opts.loss !== 'ce' && opts.toOnehotY) {
      throw new LossInputError(
        `to_onehot_y needs a target with one channel (class indices), but the target has ${C} channels: ${shapes}`,
        'toOnehotY',
      );
    }
    const data = isFloatDType(t.dtype) ? floatData(t) : t.toFloat64();
    const cls = classifyDense(data, B, C, S);
    return { kind: cls.kind, shape: tshape, labels: null, data, layout, nanCount: cls.nan, infCount: cls.inf };
  }

  // Class indices. MONAI's Dice losses want them as (B, 1, *spatial); torch's (B, *spatial) is read as that
  // (the report warns that MONAI itself would raise) rather than refused: the data are unambiguous.
  if (opts.loss !== 'ce' && C > 1 && !opts.toOnehotY) {
    throw new LossInputError(
      `ground truth has a different shape from the input (MONAI's ${lossLabel(opts.loss)} without to_onehot_y needs a one-hot target): ${shapes}; set to_onehot_y=True`,
      'toOnehotY',
    );
  }
  const ignore = opts.loss === 'ce' ? opts.ignoreIndex : null;
  const { labels } = readLabels(t, C, ignore, lshape);
  if (labels.length !== B * S) throw new LossInputError(`target size does not match the logits: ${shapes}`);
  return { kind: 'index', shape: tshape, labels, data: null, layout, nanCount: 0, infCount: 0 };
}
