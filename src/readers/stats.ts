/**
 * Per-tensor statistics for `loss-inspect info` and the tensor-file editor, with the corpus manifest's
 * semantics (see test/fixtures/corpus/README.md, "Per-tensor numbers"):
 * - every value is the exact stored value upcast to float64 (bool as 0/1; int64/uint64 converted to the
 *   nearest float64 for sums only — min, max and `first` stay exact, as bigint);
 * - `sum` is IEEE: NaN if any NaN (or both infinities occur), ±Infinity if infinities of one sign occur,
 *   else the sum of the finite values; `finiteSum`/`absSum` sum the finite values / their magnitudes.
 *   Sums use Neumaier compensated summation, so they stay within a few ulps of the correctly rounded sum;
 * - `min`/`max` over non-NaN values, `null` when there are none.
 * 16-bit floats are counted by bit pattern in one pass (see halfPatternCounts); other types are read in one pass
 * over the data in logical order, no allocation per element: 64-bit integers are read as two
 * 32-bit words (a BigInt is created only for the few values kept).
 */
import { bfloat16ToFloat, halfToFloat, type Tensor } from '../engine/tensor';

/** A value kept exactly: a number, or a bigint for int64/uint64. */
export type Exact = number | bigint;

export interface TensorStats {
  /** Number of elements. */
  count: number;
  min: Exact | null;
  max: Exact | null;
  sum: number;
  finiteSum: number;
  absSum: number;
  nanCount: number;
  infCount: number;
  /** The first (up to) 8 values in logical row-major order. */
  first: Exact[];
}

export const FIRST_COUNT = 8;

/** Compensated (Neumaier) accumulator; once the running sum overflows, it stays the IEEE result. */
class Sum {
  s = 0;
  c = 0;
  add(x: number): void {
    const s = this.s;
    const t = s + x;
    if (Number.isFinite(t)) {
      this.c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    }
    this.s = t;
  }
  get value(): number {
    return Number.isFinite(this.s) ? this.s + this.c : this.s;
  }
}

/**
 * Calls `visit(storageIndex)` for every element in logical row-major order, without allocating per element.
 * Contiguous tensors are a plain loop; strided ones walk an odometer over the dimensions.
 */
export function forEachIndex(t: Tensor, visit: (storage: number) => void): void {
  const n = t.size;
  if (n === 0) return;
  if (t.isContiguous()) {
    const end = t.offset + n;
    for (let i = t.offset; i < end; i++) visit(i);
    return;
  }
  const rank = t.shape.length;
  const shape = t.shape;
  const strides = t.strides;
  const idx = new Int32Array(rank);
  // Innermost dimension as a tight loop; the outer ones as an odometer.
  const inner = shape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  let base = t.offset;
  for (let done = 0; done < n; done += inner) {
    for (let k = 0, s = base; k < inner; k++, s += innerStride) visit(s);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
}

export function tensorStats(t: Tensor): TensorStats {
  const count = t.size;
  switch (t.dtype) {
    case 'int64':
    case 'uint64':
      return int64Stats(t, t.dtype === 'int64');
    case 'float16':
    case 'bfloat16':
    case 'float32':
    case 'float64':
      return floatStats(t);
    default:
      return smallIntStats(t, count);
  }
}

/**
 * 16-bit floats (float16, bfloat16) have 65,536 possible values: one tight pass counts how often each bit pattern
 * occurs, and every statistic and the histogram follow from those counts (a language model's 1 GB of bfloat16 logits
 * in a fraction of a second, instead of decoding each of its 500 M values three times). The counts are kept per
 * tensor, so the stats and the histogram's two passes share the one pass. min, max, NaN/Inf counts and the histogram
 * are exactly the element-by-element ones; the sums add `value × count` per pattern (each product exact: ≤ 11
 * significant bits times a count below 2^42) with the same compensated summation, within a few ulps of the correctly
 * rounded sum like the element-by-element order.
 */
const patternCache = new WeakMap<Tensor, Float64Array>();

function halfPatternCounts(t: Tensor): Float64Array {
  let counts = patternCache.get(t);
  if (counts) return counts;
  const d = t.data as Uint16Array;
  // Uint32 counters for speed; a tensor of 2^32 elements or more (8 GiB) counts in float64.
  const c32 = t.size < 2 ** 32 ? new Uint32Array(65536) : null;
  const c64 = c32 ? null : new Float64Array(65536);
  if (t.isContiguous()) {
    const end = t.offset + t.size;
    if (c32) for (let i = t.offset; i < end; i++) c32[d[i]!]!++;
    else for (let i = t.offset; i < end; i++) c64![d[i]!]!++;
  } else if (c32) forEachIndex(t, (i) => void c32[d[i]!]!++);
  else forEachIndex(t, (i) => void c64![d[i]!]!++);
  counts = c64 ?? Float64Array.from(c32!);
  patternCache.set(t, counts);
  return counts;
}

/** The first `k` values in logical row-major order (storage indices by unravelling the logical index). */
function firstValues(t: Tensor, k: number, read: (i: number) => number): number[] {
  const out: number[] = [];
  const n = Math.min(k, t.size);
  for (let j = 0; j < n; j++) {
    let rest = j;
    let s = t.offset;
    for (let d = t.shape.length - 1; d >= 0; d--) {
      const dim = t.shape[d]!;
      s += (rest % dim) * t.strides[d]!;
      rest = Math.floor(rest / dim);
    }
    out.push(read(s));
  }
  return out;
}

/**
 * Below this many elements a 16-bit tensor is read element by element: the pattern table (65,536 counters, and
 * a pass over them) would cost more than the tensor, and a file of 100,000 small tensors would spend seconds on it.
 */
const HALF_PATTERN_MIN = 16384;

function halfStats(t: Tensor): TensorStats {
  const decode = t.dtype === 'float16' ? halfToFloat : bfloat16ToFloat;
  const data = t.data as Uint16Array;
  const tally = new FloatTally();
  if (t.size < HALF_PATTERN_MIN && !patternCache.has(t)) return elementStats(t, (i) => decode(data[i]!));
  const counts = halfPatternCounts(t);
  // min/max of values that are all ±0: the element-by-element scan keeps the first zero it meets; by pattern, +0
  // (0x0000) comes before −0 (0x8000). The manifest compares them as numbers, where the two are equal.
  for (let p = 0; p < 65536; p++) {
    const c = counts[p]!;
    if (c !== 0) tally.add(decode(p), c);
  }
  return tally.stats(t.size, firstValues(t, FIRST_COUNT, (i) => decode(data[i]!)));
}

/** Min, max, NaN/±Inf counts and compensated sums of float values, each value counted `c` times. */
class FloatTally {
  private readonly finite = new Sum();
  private readonly abs = new Sum();
  private nanCount = 0;
  private posInf = 0;
  private negInf = 0;
  private min = Infinity;
  private max = -Infinity;
  /** Non-NaN values seen. */
  private seen = 0;

  add(x: number, c: number): void {
    if (x !== x) {
      this.nanCount += c;
      return;
    }
    this.seen += c;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === Infinity) this.posInf += c;
    else if (x === -Infinity) this.negInf += c;
    else {
      this.finite.add(x * c);
      this.abs.add(Math.abs(x) * c);
    }
  }

  stats(count: number, first: number[]): TensorStats {
    const finiteSum = this.finite.value;
    const { nanCount, posInf, negInf } = this;
    const sum = nanCount > 0 || (posInf > 0 && negInf > 0) ? NaN : posInf > 0 ? Infinity : negInf > 0 ? -Infinity : finiteSum;
    return {
      count,
      min: this.seen ? this.min : null,
      max: this.seen ? this.max : null,
      sum,
      finiteSum,
      absSum: this.abs.value,
      nanCount,
      infCount: posInf + negInf,
      first,
    };
  }
}

/** The histogram of a 16-bit float tensor from its bit-pattern counts: the same bins as element by element. */
function halfHistogram(t: Tensor, bins: number, range?: { min: number; max: number }): Histogram {
  const decode = t.dtype === 'float16' ? halfToFloat : bfloat16ToFloat;
  const counts = halfPatternCounts(t);
  let lo = range?.min ?? Infinity;
  let hi = range?.max ?? -Infinity;
  let nonFinite = 0;
  for (let p = 0; p < 65536; p++) {
    if (counts[p] === 0) continue;
    const x = decode(p);
    if (!Number.isFinite(x)) nonFinite += counts[p]!;
    else if (!range) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const out = new Array<number>(bins).fill(0);
  if (!(lo <= hi)) return { min: null, max: null, counts: out, binWidth: 0, nonFinite };
  const width = (hi - lo) / bins;
  const scale = width > 0 && Number.isFinite(width) ? 1 / width : 0;
  for (let p = 0; p < 65536; p++) {
    const c = counts[p]!;
    if (c === 0) continue;
    const x = decode(p);
    if (!Number.isFinite(x) || x < lo || x > hi) continue;
    let k = scale ? Math.floor((x - lo) * scale) : 0;
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    out[k]! += c;
  }
  return { min: lo, max: hi, counts: out, binWidth: width, nonFinite };
}

function floatStats(t: Tensor): TensorStats {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return halfStats(t);
  const data = t.data as unknown as ArrayLike<number>;
  return elementStats(t, (i) => data[i]!);
}

/** Every element's value (`read` of its index in the data) tallied, the first FIRST_COUNT kept in order. */
function elementStats(t: Tensor, read: (i: number) => number): TensorStats {
  const tally = new FloatTally();
  const first: number[] = [];
  forEachIndex(t, (i) => {
    const x = read(i);
    if (first.length < FIRST_COUNT) first.push(x);
    tally.add(x, 1);
  });
  return tally.stats(t.size, first);
}

/** int8/16/32, uint8/16/32 and bool (any non-zero byte counts as 1, as numpy/torch read a bool). */
function smallIntStats(t: Tensor, count: number): TensorStats {
  const data = t.data as unknown as ArrayLike<number>;
  const isBool = t.dtype === 'bool';
  const sum = new Sum();
  const abs = new Sum();
  let min = Infinity;
  let max = -Infinity;
  const first: number[] = [];
  forEachIndex(t, (i) => {
    let x = data[i]!;
    if (isBool) x = x ? 1 : 0;
    if (first.length < FIRST_COUNT) first.push(x);
    if (x < min) min = x;
    if (x > max) max = x;
    sum.add(x);
    abs.add(x < 0 ? -x : x);
  });
  const s = sum.value;
  return {
    count,
    min: count ? min : null,
    max: count ? max : null,
    sum: s,
    finiteSum: s,
    absSum: abs.value,
    nanCount: 0,
    infCount: 0,
    first,
  };
}

/**
 * int64/uint64 read as (hi, lo) 32-bit words of the same buffer: `hi * 2**32 + lo` is exact before the
 * one rounding of the addition, i.e. exactly `Number(bigint)`; min/max compare words, so stay exact.
 */
function int64Stats(t: Tensor, signed: boolean): TensorStats {
  const data = t.data as BigInt64Array | BigUint64Array;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
  const sum = new Sum();
  const abs = new Sum();
  let minHi = 0, minLo = 0, maxHi = 0, maxLo = 0;
  let any = false;
  const first: bigint[] = [];
  forEachIndex(t, (i) => {
    const lo = words[2 * i]!;
    const hiU = words[2 * i + 1]!;
    const hi = signed ? hiU | 0 : hiU;
    if (first.length < FIRST_COUNT) first.push(data[i]!);
    const x = hi * 4294967296 + lo;
    sum.add(x);
    // |x| of the exact value, rounded once: for negatives, negate the exact (hi, lo) pair.
    if (x < 0) {
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      abs.add(nhi * 4294967296 + nlo);
    } else abs.add(x);
    if (!any) {
      minHi = maxHi = hi;
      minLo = maxLo = lo;
      any = true;
    } else {
      if (hi < minHi || (hi === minHi && lo < minLo)) {
        minHi = hi;
        minLo = lo;
      }
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
        maxHi = hi;
        maxLo = lo;
      }
    }
  });
  const toBig = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) + BigInt(lo);
  const s = sum.value;
  return {
    count: t.size,
    min: any ? toBig(minHi, minLo) : null,
    max: any ? toBig(maxHi, maxLo) : null,
    sum: s,
    finiteSum: s,
    absSum: abs.value,
    nanCount: 0,
    infCount: 0,
    first,
  };
}

export interface Histogram {
  /** Range of the finite values the bins cover (both null when there are none). */
  min: number | null;
  max: number | null;
  /** counts[k] = finite values in [min + k·w, min + (k+1)·w), the last bin closed on the right. */
  counts: number[];
  binWidth: number;
  /** Values left out: NaN and ±Infinity. */
  nonFinite: number;
}

/** Histogram of the finite values over `bins` equal bins (two passes: range, then counts). */
export function histogram(t: Tensor, bins: number, range?: { min: number; max: number }): Histogram {
  if (!Number.isSafeInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return halfHistogram(t, bins, range);
  const decode = elementReader(t);
  let lo = range?.min ?? Infinity;
  let hi = range?.max ?? -Infinity;
  let nonFinite = 0;
  if (!range) {
    forEachIndex(t, (i) => {
      const x = decode(i);
      if (Number.isFinite(x)) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    });
  }
  const counts = new Array<number>(bins).fill(0);
  if (!(lo <= hi)) {
    forEachIndex(t, (i) => {
      if (!Number.isFinite(decode(i))) nonFinite++;
    });
    return { min: null, max: null, counts, binWidth: 0, nonFinite };
  }
  const width = (hi - lo) / bins;
  const scale = width > 0 && Number.isFinite(width) ? 1 / width : 0;
  if ((t.dtype === 'float32' || t.dtype === 'float64') && t.isContiguous()) {
    // the same counts as the loop below, as one tight loop over the storage: ~25% less time on a 100 MB tensor
    const d = t.data as Float32Array | Float64Array;
    const c = new Float64Array(bins);
    const end = t.offset + t.size;
    for (let i = t.offset; i < end; i++) {
      const x = d[i]!;
      if (x - x !== 0) {
        nonFinite++;
        continue;
      }
      if (x < lo || x > hi) continue;
      let k = scale ? Math.floor((x - lo) * scale) : 0;
      if (k >= bins) k = bins - 1;
      if (k < 0) k = 0;
      c[k]!++;
    }
    for (let k = 0; k < bins; k++) counts[k] = c[k]!;
    return { min: lo, max: hi, counts, binWidth: width, nonFinite };
  }
  forEachIndex(t, (i) => {
    const x = decode(i);
    if (!Number.isFinite(x)) {
      nonFinite++;
      return;
    }
    if (x < lo || x > hi) return;
    let k = scale ? Math.floor((x - lo) * scale) : 0;
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    counts[k]!++;
  });
  return { min: lo, max: hi, counts, binWidth: width, nonFinite };
}

/** storage index → float64 value, for any dtype (64-bit integers via their words, bool as 0/1). */
function elementReader(t: Tensor): (i: number) => number {
  switch (t.dtype) {
    case 'float16': {
      const d = t.data as Uint16Array;
      return (i) => halfToFloat(d[i]!);
    }
    case 'bfloat16': {
      const d = t.data as Uint16Array;
      return (i) => bfloat16ToFloat(d[i]!);
    }
    case 'int64':
    case 'uint64': {
      const d = t.data as BigInt64Array;
      const w = new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
      const signed = t.dtype === 'int64';
      return (i) => (signed ? w[2 * i + 1]! | 0 : w[2 * i + 1]!) * 4294967296 + w[2 * i]!;
    }
    case 'bool': {
      const d = t.data as Uint8Array;
      return (i) => (d[i] ? 1 : 0);
    }
    default: {
      const d = t.data as unknown as ArrayLike<number>;
      return (i) => d[i]!;
    }
  }
}

/**
 * JSON with the manifest's number encoding: NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity";
 * bigints as exact integer literals; -0 as `-0.0` (a float zero keeps its sign); floats of magnitude 2**53 and
 * more in exponent form (so they do not read as exact integers). `indent` as JSON.stringify.
 */
export function toManifestJson(value: unknown, indent?: number): string {
  const BIG = '\u0000big:';
  const NEG0 = '\u0000neg0';
  const FLOAT = '\u0000float:';
  const text = JSON.stringify(
    value,
    function (_key, v: unknown) {
      if (typeof v === 'bigint') return BIG + v.toString();
      if (typeof v === 'number') {
        if (Number.isNaN(v)) return 'NaN';
        if (v === Infinity) return 'Infinity';
        if (v === -Infinity) return '-Infinity';
        if (Object.is(v, -0)) return NEG0;
        // A float beyond 2**53 would print as a long integer literal (1.8e19 -> "18464758472219034000"),
        // which bigint-aware parsers take for an exact integer: keep it visibly a float.
        if (Math.abs(v) >= 2 ** 53) return FLOAT + v.toExponential();
      }
      return v;
    },
    indent,
  );
  return text
    .replace(/"\\u0000big:(-?\d+)"/g, '$1')
    .replace(/"\\u0000neg0"/g, '-0.0')
    .replace(/"\\u0000float:(-?[\d.]+e[-+]\d+)"/g, '$1');
}

/** A stats value in the manifest's encoding (for callers building their own JSON or tables). */
export function encodeNumber(v: Exact | null): number | string | bigint | null {
  if (v === null || typeof v === 'bigint') return v;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}
