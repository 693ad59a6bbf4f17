/**
 * safetensors reader (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the data buffer. Offsets are relative to the buffer. Validated as strictly as the reference
 * library: length bound, valid UTF-8 JSON object, known dtype, shape × item size equal to the offsets'
 * span (overflow-safe, in BigInt), offsets inside the buffer, and the tensors covering the buffer
 * contiguously without overlaps or holes. Data are little-endian: aligned tensors are zero-copy views.
 */
import { DTYPES, Tensor, type AnyTypedArray, type DType } from '../engine/tensor';
import { fmtShape } from '../engine/errors';
import { describeBytes, fail } from './bytes';
import { typedArrayAt } from './typed';
import type { ReadLimits, TensorEntry, TensorFile, TensorFileErrorKind } from './types';
import { Field, HeaderSyntaxError, isUtf8, scanHeader, textAt, type EntryScan } from './safetensorsHeader';

/** A header larger than this is refused outright (the reference implementation uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

const ST_DTYPES: Readonly<Record<string, DType>> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
};

/** Cheap content check: a header length field followed by the JSON object's `{`. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[8] === 0x7b; // '{'
}

const DTYPE_NAMES = Object.keys(ST_DTYPES);
const DTYPE_CODE = new Map(DTYPE_NAMES.map((k, i) => [k, i]));

/**
 * The header's entries as columns (one row per tensor, in file order): a million tensors cost a few
 * tens of MB, with no object per tensor until one is asked for. Names stay byte ranges of the file.
 */
class EntryTable {
  count = 0;
  nameStart = new Uint32Array(1024);
  nameEnd = new Uint32Array(1024);
  dtype = new Uint8Array(1024);
  dimsAt = new Uint32Array(1024);
  ndim = new Uint16Array(1024);
  begin = new Float64Array(1024);
  end = new Float64Array(1024);
  dims = new Float64Array(4096);
  dimCount = 0;
  /** Names written with escapes, decoded (rare: most names are plain ASCII). */
  escaped = new Map<number, string>();

  constructor(private readonly bytes: Uint8Array) {}

  add(nameStart: number, nameEnd: number, escapedName: string | undefined, dtype: number, dims: readonly number[], begin: number, end: number): void {
    if (this.count === this.begin.length) this.grow();
    while (this.dimCount + dims.length > this.dims.length) {
      const d = new Float64Array(this.dims.length * 2);
      d.set(this.dims);
      this.dims = d;
    }
    const i = this.count++;
    this.nameStart[i] = nameStart;
    this.nameEnd[i] = nameEnd;
    if (escapedName !== undefined) this.escaped.set(i, escapedName);
    this.dtype[i] = dtype;
    this.dimsAt[i] = this.dimCount;
    this.ndim[i] = dims.length;
    for (const d of dims) this.dims[this.dimCount++] = d;
    this.begin[i] = begin;
    this.end[i] = end;
  }

  private grow(): void {
    const n = this.begin.length * 2;
    const g = <T extends Uint32Array | Uint16Array | Uint8Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.nameStart = g(this.nameStart);
    this.nameEnd = g(this.nameEnd);
    this.dtype = g(this.dtype);
    this.dimsAt = g(this.dimsAt);
    this.ndim = g(this.ndim);
    this.begin = g(this.begin);
    this.end = g(this.end);
  }

  name(i: number): string {
    const esc = this.escaped.get(i);
    return esc !== undefined ? esc : this.nameOfRange(this.nameStart[i]!, this.nameEnd[i]!);
  }

  /** A plain (unescaped) name from its byte range. */
  nameOfRange(s: number, e: number): string {
    return textAt(this.bytes, s, e);
  }

  stDtype(i: number): string {
    return DTYPE_NAMES[this.dtype[i]!]!;
  }

  shape(i: number): number[] {
    const at = this.dimsAt[i]!;
    const nd = this.ndim[i]!;
    const out = new Array<number>(nd);
    for (let k = 0; k < nd; k++) out[k] = this.dims[at + k]!;
    return out;
  }

  /** The same name (compared as bytes, or decoded when either has escapes). */
  sameName(i: number, j: number): boolean {
    if (this.escaped.has(i) || this.escaped.has(j)) return this.name(i) === this.name(j);
    const a = this.nameStart[i]!;
    const b = this.nameStart[j]!;
    const len = this.nameEnd[i]! - a;
    if (this.nameEnd[j]! - b !== len) return false;
    for (let k = 0; k < len; k++) if (this.bytes[a + k] !== this.bytes[b + k]) return false;
    return true;
  }

  /**
   * A hash of the name (FNV-1a) equal for equal names however they are spelled: plain ASCII names hash their
   * bytes; names with escapes or non-ASCII bytes (rare) hash their decoded UTF-16 units, which for ASCII are
   * the same numbers as the bytes.
   */
  hash(i: number): number {
    let x = 0x811c9dc5;
    const s = this.nameStart[i]!;
    const e = this.nameEnd[i]!;
    let ascii = !this.escaped.has(i);
    for (let k = s; k < e && ascii; k++) ascii = this.bytes[k]! < 0x80;
    if (!ascii) {
      const name = this.name(i);
      for (let k = 0; k < name.length; k++) x = Math.imul(x ^ name.charCodeAt(k), 0x01000193);
      return x >>> 0;
    }
    for (let k = s; k < e; k++) x = Math.imul(x ^ this.bytes[k]!, 0x01000193);
    return x >>> 0;
  }
}

/** The first name that occurs twice, or undefined: an open-addressing table of row numbers, 4 bytes a slot. */
function duplicateName(t: EntryTable): string | undefined {
  if (t.count < 2) return undefined;
  let size = 1;
  while (size < t.count * 2) size *= 2;
  const slots = new Int32Array(size).fill(-1);
  for (let i = 0; i < t.count; i++) {
    let h = t.hash(i) & (size - 1);
    for (;;) {
      const j = slots[h]!;
      if (j === -1) {
        slots[h] = i;
        break;
      }
      if (t.sameName(i, j)) return t.name(i);
      h = (h + 1) & (size - 1);
    }
  }
  return undefined;
}

/**
 * What is wrong with one scanned entry (its error kind and the problem, after the tensor's name), checked in
 * the order of the fields' meaning; undefined when it is well formed. No closure per entry: a million calls.
 */
function entryProblem(e: EntryScan, textOf: (start: number, end: number) => string): [TensorFileErrorKind, string] | undefined {
  if (e.dtype !== Field.Ok) return ['bad-header', 'dtype is missing'];
  if (!DTYPE_CODE.has(e.dtypeText)) return ['bad-header', `dtype '${e.dtypeText}' is not supported`];
  if (e.shape !== Field.Ok) return ['bad-header', 'shape is not a list'];
  if (e.shapeLength > 1024) return ['bad-header', `shape has ${e.shapeLength} dimensions`];
  // Integers beyond 2**53 are kept (JSON gives their nearest double): the BigInt size check rejects them.
  if (!e.shapeInts) return ['bad-header', `shape ${clip(textOf(e.shapeStart, e.shapeEnd))} is not a list of non-negative integers`];
  if (e.offsets !== Field.Ok || e.offsetValues.length !== 2 || !e.offsetsAllNumbers) return ['bad-header', 'data_offsets is not a [begin, end] pair'];
  const [begin, end] = e.offsetValues as [number, number];
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin) {
    return ['bad-header', `data_offsets ${clip(textOf(e.offsetsText[0], e.offsetsText[1]))} are not integers with 0 <= begin <= end`];
  }
  if (!Number.isSafeInteger(end)) return ['offsets-out-of-bounds', `data_offsets ${clip(textOf(e.offsetsText[0], e.offsetsText[1]))} are far beyond any data buffer`];
  return undefined;
}

/** A shape's elements for messages, as the header wrote them (cut if long). */
function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * The header of a safetensors file: its length field, UTF-8, strict JSON, every entry and `__metadata__` checked,
 * names unique. `bytes` must hold the header (the quick peek passes only its first bytes; a file read in parts,
 * its header); the data are not read. `fileSize`: the whole file's (default: `bytes` is the whole file).
 */
function scanFileHeader(bytes: Uint8Array, fileName: string, fileSize = bytes.length): { table: EntryTable; headerLen: number; info: Record<string, unknown> } {
  if (fileSize < 8) fail('truncated-data', fileName, `file is ${fileSize} bytes, too short for the 8-byte header length`);
  if (bytes.length < 8) fail('truncated-data', fileName, `${bytes.length} bytes given, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  const after = fileSize - 8;
  if (n > BigInt(after)) {
    fail('header-too-large', fileName, `header length field (${n}) exceeds the ${after} bytes after it`);
  }
  const headerLen = Number(n);
  if (headerLen > MAX_HEADER_BYTES) {
    fail('header-too-large', fileName, `header length ${describeBytes(headerLen)} is over the ${describeBytes(MAX_HEADER_BYTES)} limit`);
  }
  if (8 + headerLen > bytes.length) fail('truncated-data', fileName, `the ${headerLen}-byte header runs past the ${bytes.length} bytes given`);
  const headerBytes = bytes.subarray(8, 8 + headerLen);
  if (!isUtf8(headerBytes)) fail('bad-header', fileName, 'header is not valid UTF-8');

  const info: Record<string, unknown> = {};
  // Name ranges are relative to the header: the table's byte view is the header itself.
  const table = new EntryTable(headerBytes);
  const textOf = (start: number, end: number) => textAt(headerBytes, start, end);
  try {
    scanHeader(
      headerBytes,
      1024,
      DTYPE_NAMES,
      (e) => {
        const problem = entryProblem(e, textOf);
        if (problem !== undefined) {
          fail(problem[0], fileName, `tensor '${e.escapedName ?? table.nameOfRange(e.nameStart, e.nameEnd)}'${problem[0] === 'bad-header' ? ':' : ''} ${problem[1]}`);
        }
        table.add(e.nameStart, e.nameEnd, e.escapedName, DTYPE_CODE.get(e.dtypeText)!, e.dims, e.offsetValues[0]!, e.offsetValues[1]!);
      },
      (json) => {
        const spec = JSON.parse(json) as unknown;
        if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail('bad-header', fileName, '__metadata__ is not an object');
        for (const k in spec as Record<string, unknown>) {
          if (typeof (spec as Record<string, unknown>)[k] !== 'string') fail('bad-header', fileName, `__metadata__ value '${k}' is not a string`);
        }
        info.metadata = spec;
      },
      (name) => fail('bad-header', fileName, name === '' ? 'header is not a JSON object' : `tensor '${name}': entry is not an object`),
    );
  } catch (e) {
    if (e instanceof HeaderSyntaxError) fail('bad-header', fileName, `header is not valid JSON (${e.message})`);
    throw e;
  }
  const dup = duplicateName(table);
  if (dup !== undefined) fail('bad-header', fileName, `tensor name '${dup}' appears twice in the header`);
  return { table, headerLen, info };
}

export function readSafetensors(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  return safetensorsFrom(bytes, bytes.length, fileName, limits, (start, count, dtype) => typedArrayAt(bytes, start, count, dtype, true));
}

/**
 * A safetensors file whose header is in `head` (the whole file, or its first 8 + header-length bytes) and whose
 * size is `fileSize`: every check of the header against the file, then entries that build each tensor from
 * `dataAt(start, count, dtype)` (a view over the bytes, or a read of that range alone: ./parts.ts).
 */
export function safetensorsFrom(
  head: Uint8Array,
  fileSize: number,
  fileName: string,
  limits: ReadLimits,
  dataAt: (start: number, count: number, dtype: DType) => AnyTypedArray,
): TensorFile {
  const { table, headerLen, info } = scanFileHeader(head, fileName, fileSize);
  const dataStart = 8 + headerLen;
  const bufferLen = fileSize - dataStart;

  const count = table.count;
  const name = (i: number) => table.name(i);
  // Per tensor: shape × item size must equal the span (BigInt: shapes can overflow 64 bits), inside the buffer.
  for (let i = 0; i < count; i++) {
    const itemSize = DTYPES[ST_DTYPES[table.stDtype(i)]!].itemSize;
    const at = table.dimsAt[i]!;
    const nd = table.ndim[i]!;
    // Plain numbers when every dim is a safe integer and so is the product (then it is exact: a rounded partial
    // product stays above 2**53 unless a later 0 makes it 0, which is right); BigInt only beyond that.
    let product = itemSize;
    let safeDims = true;
    for (let k = 0; k < nd; k++) {
      const d = table.dims[at + k]!;
      product *= d;
      if (!Number.isSafeInteger(d)) safeDims = false;
    }
    const begin = table.begin[i]!;
    const end = table.end[i]!;
    const span = end - begin;
    if (!(Number.isSafeInteger(product) && safeDims)) {
      const shape = table.shape(i);
      // Any span is below 2**53: stop multiplying once past 2**64 (keeps BigInts small; a 0 dim wins).
      const cap = 1n << 64n;
      let bytesNeeded = shape.includes(0) ? 0n : BigInt(itemSize);
      for (const d of shape) {
        if (bytesNeeded > cap) break;
        bytesNeeded *= BigInt(d);
      }
      if (bytesNeeded !== BigInt(span)) {
        fail(
          'size-mismatch',
          fileName,
          `tensor '${name(i)}' is ${table.stDtype(i)} ${fmtShape(shape)} (${bytesNeeded > cap ? 'over 2**64' : bytesNeeded} bytes) but its data_offsets span ${span} bytes`,
        );
      }
      fail('bad-header', fileName, `tensor '${name(i)}' shape ${fmtShape(shape)} has a dimension beyond 2**53`);
    } else if (product !== span) {
      fail('size-mismatch', fileName, `tensor '${name(i)}' is ${table.stDtype(i)} ${fmtShape(table.shape(i))} (${product} bytes) but its data_offsets span ${span} bytes`);
    }
    if (end > bufferLen) {
      fail('offsets-out-of-bounds', fileName, `tensor '${name(i)}' data_offsets [${begin}, ${end}] run past the ${bufferLen}-byte data buffer`);
    }
  }
  // Together: sorted by offset they must tile the buffer, as the format requires.
  // Writers usually list tensors in offset order: check that in one pass before paying for a sort.
  const { begin: B, end: E } = table;
  let inOrder = true;
  for (let i = 1; i < count && inOrder; i++) inOrder = B[i - 1]! < B[i]! || (B[i - 1] === B[i] && E[i - 1]! <= E[i]!);
  const order = inOrder ? null : Uint32Array.from({ length: count }, (_, i) => i).sort((a, b) => B[a]! - B[b]! || E[a]! - E[b]!);
  const at = (k: number) => (order === null ? k : order[k]!);
  let cursor = 0;
  let prev = -1;
  for (let k = 0; k < count; k++) {
    const i = at(k);
    if (B[i]! < cursor && prev >= 0) {
      fail('overlapping-offsets', fileName, `tensors '${name(prev)}' [${B[prev]}, ${E[prev]}] and '${name(i)}' [${B[i]}, ${E[i]}] overlap`);
    }
    if (B[i]! > cursor) {
      fail('offsets-out-of-bounds', fileName, `data buffer bytes [${cursor}, ${B[i]}) belong to no tensor (the format forbids holes)`);
    }
    cursor = E[i]!;
    prev = i;
  }
  if (cursor !== bufferLen) {
    fail('offsets-out-of-bounds', fileName, `tensors cover ${cursor} bytes but the data buffer holds ${bufferLen}`);
  }

  // Checked here, built on access: a header of a million tiny tensors keeps one small record each.
  for (let i = 0; i < count; i++) {
    const nbytes = E[i]! - B[i]!;
    if (nbytes > limits.maxTensorBytes) {
      fail('too-large', fileName, `tensor '${name(i)}' is ${describeBytes(nbytes)}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`);
    }
  }
  const build = (i: number): Tensor => {
    const dtype = ST_DTYPES[table.stDtype(i)]!;
    const data = dataAt(dataStart + B[i]!, (E[i]! - B[i]!) / DTYPES[dtype].itemSize, dtype);
    const shape = table.shape(i);
    try {
      return new Tensor(dtype, shape, data);
    } catch (e) {
      // e.g. a shape like [2**32, 2**32, 0]: 0 bytes, but strides past 2**53.
      return fail('bad-header', fileName, `tensor '${name(i)}' shape ${fmtShape(shape)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  // A shape the tensor type refuses fails the read itself (only shapes with a 0 dim can get this far).
  for (let i = 0; i < count; i++) if (B[i] === E[i] && table.ndim[i]! > 0 && table.shape(i).includes(0)) build(i);
  const tensors: TensorEntry[] = new Array<TensorEntry>(count);
  for (let i = 0; i < count; i++) tensors[i] = new LazyEntry(table, i, build);
  return { format: 'safetensors', tensors, nonTensors: [], info };
}

/** The dtype and shape of every tensor a header announces, checked as {@link readSafetensors} checks them (the quick peek). */
export function safetensorsHeaderTensors(bytes: Uint8Array, fileName: string): { key: string; dtype: DType; shape: number[] }[] {
  const { table } = scanFileHeader(bytes, fileName);
  const out: { key: string; dtype: DType; shape: number[] }[] = [];
  for (let i = 0; i < table.count; i++) out.push({ key: table.name(i), dtype: ST_DTYPES[table.stDtype(i)]!, shape: table.shape(i) });
  return out;
}

/**
 * A tensor entry whose key and tensor are made on each access from its row: a view over the file's bytes,
 * so building it costs one small object, and a million entries hold only a row each (no WeakRef: with a
 * million of them the collector's bookkeeping costs more than the views).
 */
class LazyEntry implements TensorEntry {
  constructor(
    private readonly t: EntryTable,
    private readonly i: number,
    private readonly build: (i: number) => Tensor,
  ) {}
  get key(): string {
    return this.t.name(this.i);
  }
  get tensor(): Tensor {
    return this.build(this.i);
  }
  get info(): Record<string, unknown> {
    return { stDtype: this.t.stDtype(this.i), dataOffsets: [this.t.begin[this.i], this.t.end[this.i]] };
  }
}
