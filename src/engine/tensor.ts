/**
 * The tensor type shared by the readers, the engine, the CLI, the workers and the extension.
 *
 * A tensor is a typed array (native byte order, i.e. little-endian on every platform we run on) plus a
 * logical `shape`, element `strides` and an element `offset` into that array, exactly like a torch view
 * over a storage. Readers hand out views over the file's bytes whenever alignment and byte order allow
 * (zero copy); big-endian or misaligned data are copied once into a native array.
 *
 * The dtype is typed through {@link DTypeArrayMap}, so `Tensor<'float32'>['data']` is a `Float32Array`.
 * Why the odd ones are stored the way they are:
 * - float16 and bfloat16 have no JavaScript typed array: their raw bits live in a `Uint16Array` and are
 *   decoded exactly to float64 by {@link halfToFloat} / {@link bfloat16ToFloat}.
 * - int64/uint64 live in `BigInt64Array`/`BigUint64Array` so that values beyond 2**53 stay exact
 *   (statistics and `first` need them exact); arithmetic converts with `Number()`.
 * - bool is one byte per element (0/1), as numpy and torch store it.
 */
import { fmtShape } from './errors';

export type DType =
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

export interface DTypeArrayMap {
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

export type TypedArrayFor<D extends DType> = DTypeArrayMap[D];
export type AnyTypedArray = DTypeArrayMap[DType];

interface TypedArrayCtor<A> {
  new (length: number): A;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

export interface DTypeInfo<D extends DType = DType> {
  readonly name: D;
  /** Bytes per element. */
  readonly itemSize: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
  readonly array: TypedArrayCtor<DTypeArrayMap[D]>;
}

export const DTYPES: { readonly [D in DType]: DTypeInfo<D> } = {
  float16: { name: 'float16', itemSize: 2, kind: 'float', array: Uint16Array },
  bfloat16: { name: 'bfloat16', itemSize: 2, kind: 'float', array: Uint16Array },
  float32: { name: 'float32', itemSize: 4, kind: 'float', array: Float32Array },
  float64: { name: 'float64', itemSize: 8, kind: 'float', array: Float64Array },
  int8: { name: 'int8', itemSize: 1, kind: 'int', array: Int8Array },
  int16: { name: 'int16', itemSize: 2, kind: 'int', array: Int16Array },
  int32: { name: 'int32', itemSize: 4, kind: 'int', array: Int32Array },
  int64: { name: 'int64', itemSize: 8, kind: 'int', array: BigInt64Array },
  uint8: { name: 'uint8', itemSize: 1, kind: 'uint', array: Uint8Array },
  uint16: { name: 'uint16', itemSize: 2, kind: 'uint', array: Uint16Array },
  uint32: { name: 'uint32', itemSize: 4, kind: 'uint', array: Uint32Array },
  uint64: { name: 'uint64', itemSize: 8, kind: 'uint', array: BigUint64Array },
  bool: { name: 'bool', itemSize: 1, kind: 'bool', array: Uint8Array },
};

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

export function isFloatDType(d: DType): boolean {
  return DTYPES[d].kind === 'float';
}

/** A shape for display: `2×3×4`, `scalar` for a 0-d tensor (messages write shapes as torch does, `fmtShape` in errors.ts). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Number of elements of a shape (1 for a 0-d shape). Throws if it is not a safe integer. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape ${fmtShape(shape)}`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new RangeError(`shape ${fmtShape(shape)} has too many elements`);
  }
  return n;
}

/** Row-major (C order) element strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);

/** Exact IEEE binary16 → float64 (subnormals, ±0, ±Inf and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let float16Values: Float32Array | null = null;

/** Every float16 bit pattern's value as float32 (exact: each float16 is a float32), built on first use. */
export function float16Table(): Float32Array {
  if (!float16Values) {
    float16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) float16Values[h] = halfToFloat(h);
  }
  return float16Values;
}

/** Exact bfloat16 (the top 16 bits of a float32) → float64. */
export function bfloat16ToFloat(b: number): number {
  u32view[0] = (b & 0xffff) << 16;
  return f32buf[0]!;
}

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  /** Element strides (not bytes); may be 0 (expanded) or overlapping (unfolded), never negative. */
  readonly strides: readonly number[];
  /** Element offset of index (0, …, 0) in `data`. */
  readonly offset: number;
  readonly data: DTypeArrayMap[D];
  readonly size: number;

  constructor(dtype: D, shape: readonly number[], data: DTypeArrayMap[D], strides?: readonly number[], offset = 0) {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.data = data;
    if (this.strides.length !== this.shape.length) {
      throw new RangeError(`strides ${fmtShape(this.strides)} do not match shape ${fmtShape(this.shape)}`);
    }
    if (this.size > 0) {
      let last = offset;
      for (let i = 0; i < this.shape.length; i++) {
        const st = this.strides[i]!;
        if (!Number.isSafeInteger(st) || st < 0) throw new RangeError(`invalid stride ${st}`);
        last += (this.shape[i]! - 1) * st;
      }
      if (offset < 0 || last >= data.length) {
        throw new RangeError(
          `view (offset ${offset}, shape ${fmtShape(this.shape)}, stride ${fmtShape(this.strides)}) ` +
            `needs elements beyond the ${data.length}-element storage`,
        );
      }
    }
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True when the logical row-major order is the storage order starting at `offset`. */
  isContiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== expect) return false;
      expect *= d;
    }
    return true;
  }

  /** Storage index of the element at logical (row-major) position `i`. */
  storageIndex(i: number): number {
    let idx = this.offset;
    let rem = i;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      const n = this.shape[d]!;
      const q = Math.floor(rem / n);
      idx += (rem - q * n) * this.strides[d]!;
      rem = q;
    }
    return idx;
  }

  /** The element at logical position `i` as a float64 (int64 beyond 2**53 rounds as Number(bigint)). */
  get(i: number): number {
    return elementToNumber(this.dtype, this.data, this.storageIndex(i));
  }

  /**
   * A contiguous tensor with the same values: `this` when already contiguous with offset 0 and no
   * excess storage, otherwise one copy in logical order.
   */
  contiguous(): Tensor<D> {
    if (this.isContiguous() && this.offset === 0 && this.data.length === this.size) return this;
    const info = DTYPES[this.dtype];
    const out = new info.array(this.size) as DTypeArrayMap[D];
    const src = this.data as unknown as { [i: number]: number | bigint };
    const dst = out as unknown as { [i: number]: number | bigint };
    if (this.isContiguous()) {
      (out as unknown as { set(a: ArrayLike<unknown>): void }).set(
        (this.data as unknown as { subarray(a: number, b: number): ArrayLike<unknown> }).subarray(this.offset, this.offset + this.size),
      );
      return new Tensor(this.dtype, this.shape, out);
    }
    forEachStorageIndex(this, (storage, logical) => {
      dst[logical] = src[storage]!;
    });
    return new Tensor(this.dtype, this.shape, out);
  }

  /** All values in logical order as float64 (exact for every float dtype). */
  toFloat64(): Float64Array {
    const out = new Float64Array(this.size);
    const { dtype, data } = this;
    forEachStorageIndex(this, (storage, logical) => {
      out[logical] = elementToNumber(dtype, data, storage);
    });
    return out;
  }

  /** A tensor with another shape over the same contiguous data (like `reshape` on a contiguous tensor). */
  reshape(shape: readonly number[]): Tensor<D> {
    const t = this.contiguous();
    if (shapeSize(shape) !== t.size) {
      throw new RangeError(`cannot reshape ${fmtShape(this.shape)} to ${fmtShape(shape)}`);
    }
    return new Tensor(t.dtype, shape, t.data, undefined, t.offset);
  }
}

export function elementToNumber(dtype: DType, data: AnyTypedArray, i: number): number {
  switch (dtype) {
    case 'float16':
      return halfToFloat((data as Uint16Array)[i]!);
    case 'bfloat16':
      return bfloat16ToFloat((data as Uint16Array)[i]!);
    case 'int64':
    case 'uint64':
      return Number((data as BigInt64Array)[i]!);
    default:
      return (data as Float64Array)[i]!;
  }
}

/** Calls `fn(storageIndex, logicalIndex)` for every element in logical row-major order. */
export function forEachStorageIndex(t: Tensor, fn: (storage: number, logical: number) => void): void {
  const n = t.size;
  if (n === 0) return;
  if (t.isContiguous()) {
    for (let i = 0; i < n; i++) fn(t.offset + i, i);
    return;
  }
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let s = t.offset;
  for (let i = 0; i < n; i++) {
    fn(s, i);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      s += t.strides[d]!;
      if (idx[d]! < t.shape[d]!) break;
      s -= idx[d]! * t.strides[d]!;
      idx[d] = 0;
    }
  }
}
