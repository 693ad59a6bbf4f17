/**
 * Small byte-level helpers shared by the format readers: bounds-checked little/big-endian reads over a
 * file's bytes, and one-line `TensorFileError`s. Every offset a header gives is checked here against the
 * real length before it is used, so a reader never reads past its input or allocates from a claimed size.
 */
import { TensorFileError, type TensorFileErrorKind } from './types';

/**
 * Throws the readers' one-line error (`<fileName>: <problem>`). Control characters in the problem (a
 * hostile file's own text quoted in it, a JSON parser's excerpt) are escaped so the message stays one line.
 */
export function fail(kind: TensorFileErrorKind, fileName: string, problem: string): never {
  throw new TensorFileError(kind, fileName, escapeControls(problem));
}

/** Escapes C0 control characters and DEL as `\xNN`, so text from a file cannot break a message's line. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** A DataView over exactly the bytes of `b` (which may itself be a view into a larger buffer). */
export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Bounds-checked reader over a byte range. `need(off, len)` throws `kind` (default 'truncated-data')
 * when `[off, off + len)` is not inside the bytes; the `u*`/`i*`/`f*` reads check before reading.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly fileName: string;
  littleEndian: boolean;

  constructor(bytes: Uint8Array, fileName: string, littleEndian = true) {
    this.bytes = bytes;
    this.view = dataView(bytes);
    this.fileName = fileName;
    this.littleEndian = littleEndian;
  }

  get length(): number {
    return this.bytes.length;
  }

  need(off: number, len: number, what: string, kind: TensorFileErrorKind = 'truncated-data'): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.bytes.length) {
      fail(kind, this.fileName, `${what} at byte ${off} (${len} bytes) runs past the end of the ${this.bytes.length}-byte data`);
    }
  }

  u8(off: number, what = 'field'): number {
    this.need(off, 1, what);
    return this.bytes[off]!;
  }
  u16(off: number, what = 'field'): number {
    this.need(off, 2, what);
    return this.view.getUint16(off, this.littleEndian);
  }
  i16(off: number, what = 'field'): number {
    this.need(off, 2, what);
    return this.view.getInt16(off, this.littleEndian);
  }
  u32(off: number, what = 'field'): number {
    this.need(off, 4, what);
    return this.view.getUint32(off, this.littleEndian);
  }
  i32(off: number, what = 'field'): number {
    this.need(off, 4, what);
    return this.view.getInt32(off, this.littleEndian);
  }
  f32(off: number, what = 'field'): number {
    this.need(off, 4, what);
    return this.view.getFloat32(off, this.littleEndian);
  }
  f64(off: number, what = 'field'): number {
    this.need(off, 8, what);
    return this.view.getFloat64(off, this.littleEndian);
  }
  /** A signed 64-bit field as a bigint (exact). */
  i64(off: number, what = 'field'): bigint {
    this.need(off, 8, what);
    return this.view.getBigInt64(off, this.littleEndian);
  }
  /** An unsigned 64-bit field as a bigint (exact). */
  u64(off: number, what = 'field'): bigint {
    this.need(off, 8, what);
    return this.view.getBigUint64(off, this.littleEndian);
  }
}

/** `bigint` → number when it is a safe integer, else `undefined` (callers turn that into their own error). */
export function safeNumber(v: bigint): number | undefined {
  return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v < 0n && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

/**
 * Product of non-negative integer dimensions times `itemSize`, or `undefined` when it is not a safe
 * integer (so an exabyte-sized header claim becomes a clean error instead of a rounded number).
 */
export function checkedByteSize(shape: readonly number[], itemSize: number): number | undefined {
  let n = itemSize;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** A byte count for display: `812 B`, `8.0 MiB`, `1.3 GiB`, `250 MiB` (one decimal below 100). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** Human-readable byte count for error messages, exact: `1342177408 bytes (1.25 GiB)`. */
export function describeBytes(n: number): string {
  if (n >= 1024 ** 3) return `${n} bytes (${(n / 1024 ** 3).toFixed(2)} GiB)`;
  if (n >= 1024 ** 2) return `${n} bytes (${(n / 1024 ** 2).toFixed(1)} MiB)`;
  return `${n} bytes`;
}

