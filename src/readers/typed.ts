/**
 * Turning a byte range of a file into a typed array of a dtype: a zero-copy view when the data are
 * little-endian (native on every platform we run on) and the byte offset is a multiple of the item size;
 * otherwise exactly one copy, byte-swapped for big-endian data.
 */
import { DTYPES, type DType, type DTypeArrayMap } from '../engine/tensor';

/**
 * The most bytes one Uint8Array views in the Node.js versions this runs on (buffer.constants.MAX_LENGTH: 4 GiB).
 * An ArrayBuffer may be larger, and a typed array of wider elements over it then views all of it: a file read in
 * parts keeps such data in their own buffer (./parts.ts), byte-swapping or copying them needs a Uint8Array.
 */
export const MAX_VIEW_BYTES = 2 ** 32;

/** True when the platform stores typed arrays little-endian (x86, ARM: always in practice). */
const NATIVE_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed array of `count` elements of `dtype` whose bytes start at `bytes[start]`.
 * The caller has already checked `start + count * itemSize <= bytes.length`.
 */
export function typedArrayAt<D extends DType>(
  bytes: Uint8Array,
  start: number,
  count: number,
  dtype: D,
  littleEndian: boolean,
): DTypeArrayMap[D] {
  const info = DTYPES[dtype];
  const size = info.itemSize;
  const absolute = bytes.byteOffset + start;
  const sameOrder = size === 1 || littleEndian === NATIVE_LE;
  if (sameOrder && absolute % size === 0) {
    return new info.array(bytes.buffer, absolute, count);
  }
  const out = new info.array(count);
  const dst = new Uint8Array(out.buffer, out.byteOffset, count * size);
  const src = bytes.subarray(start, start + count * size);
  if (sameOrder) {
    dst.set(src);
  } else {
    byteSwapInto(src, dst, size);
  }
  return out;
}

/** Copies `src` into `dst` reversing the bytes of every `size`-byte item. */
export function byteSwapInto(src: Uint8Array, dst: Uint8Array, size: number): void {
  const n = src.length;
  switch (size) {
    case 2:
      for (let i = 0; i < n; i += 2) {
        dst[i] = src[i + 1]!;
        dst[i + 1] = src[i]!;
      }
      break;
    case 4:
      for (let i = 0; i < n; i += 4) {
        dst[i] = src[i + 3]!;
        dst[i + 1] = src[i + 2]!;
        dst[i + 2] = src[i + 1]!;
        dst[i + 3] = src[i]!;
      }
      break;
    case 8:
      for (let i = 0; i < n; i += 8) {
        for (let k = 0; k < 8; k++) dst[i + k] = src[i + 7 - k]!;
      }
      break;
    default:
      dst.set(src);
  }
}

/** Fortran-order (first index fastest) element strides of a shape. */
export function fortranStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = 0; i < shape.length; i++) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}
