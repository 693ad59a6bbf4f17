/**
 * safetensors reader (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the data buffer. Offsets are relative to the buffer. Validated as strictly as the reference
 * library: length bound, valid UTF-8 JSON object, known dtype, shape × item size equal to the offsets'
 * span (overflow-safe, in BigInt), offsets inside the buffer, and the tensors covering the buffer
 * contiguously without overlaps or holes. Data are little-endian: aligned tensors are zero-copy views.
 */
import { DTYPES, Tensor, type DType } from '../engine/tensor';
import { fmtShape } from '../engine/errors';
import { describeBytes, fail } from './bytes';
import { typedArrayAt } from './typed';
import type { ReadLimits, TensorEntry, TensorFile } from './types';

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

interface Pending {
  name: string;
  stDtype: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export function readSafetensors(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  if (bytes.length < 8) fail('truncated-data', fileName, `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  const after = bytes.length - 8;
  if (n > BigInt(after)) {
    fail('header-too-large', fileName, `header length field (${n}) exceeds the ${after} bytes after it`);
  }
  const headerLen = Number(n);
  if (headerLen > MAX_HEADER_BYTES) {
    fail('header-too-large', fileName, `header length ${describeBytes(headerLen)} is over the ${describeBytes(MAX_HEADER_BYTES)} limit`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('bad-header', fileName, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail('bad-header', fileName, `header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('bad-header', fileName, 'header is not a JSON object');

  const dataStart = 8 + headerLen;
  const bufferLen = bytes.length - dataStart;
  const info: Record<string, unknown> = {};
  const pending: Pending[] = [];
  // for-in, not Object.entries: a 100 MB header holds a million names, and no pair arrays are needed.
  for (const name in header as Record<string, unknown>) {
    const spec = (header as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail('bad-header', fileName, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
        if (typeof v !== 'string') fail('bad-header', fileName, `__metadata__ value '${k}' is not a string`);
      }
      info.metadata = spec;
      continue;
    }
    pending.push(parseEntry(name, spec, fileName));
  }

  // Per tensor: shape × item size must equal the span (BigInt: shapes can overflow 64 bits), inside the buffer.
  for (const p of pending) {
    const itemSize = DTYPES[p.dtype].itemSize;
    // Plain numbers when every dim is a safe integer and so is the product (then it is exact: a rounded partial
    // product stays above 2**53 unless a later 0 makes it 0, which is right); BigInt only beyond that.
    let product = itemSize;
    for (const d of p.shape) product *= d;
    const span = p.end - p.begin;
    if (!(Number.isSafeInteger(product) && p.shape.every((d) => Number.isSafeInteger(d)))) {
      // Any span is below 2**53: stop multiplying once past 2**64 (keeps BigInts small; a 0 dim wins).
      const cap = 1n << 64n;
      let bytesNeeded = p.shape.includes(0) ? 0n : BigInt(itemSize);
      for (const d of p.shape) {
        if (bytesNeeded > cap) break;
        bytesNeeded *= BigInt(d);
      }
      if (bytesNeeded !== BigInt(span)) {
        fail(
          'size-mismatch',
          fileName,
          `tensor '${p.name}' is ${p.stDtype} ${fmtShape(p.shape)} (${bytesNeeded > cap ? 'over 2**64' : bytesNeeded} bytes) but its data_offsets span ${span} bytes`,
        );
      }
    } else if (product !== span) {
      fail('size-mismatch', fileName, `tensor '${p.name}' is ${p.stDtype} ${fmtShape(p.shape)} (${product} bytes) but its data_offsets span ${span} bytes`);
    }
    const huge = p.shape.find((d) => !Number.isSafeInteger(d));
    if (huge !== undefined) fail('bad-header', fileName, `tensor '${p.name}' shape ${fmtShape(p.shape)} has a dimension beyond 2**53`);
    if (p.end > bufferLen) {
      fail('offsets-out-of-bounds', fileName, `tensor '${p.name}' data_offsets [${p.begin}, ${p.end}] run past the ${bufferLen}-byte data buffer`);
    }
  }
  // Together: sorted by offset they must tile the buffer, as the format requires.
  // Writers usually list tensors in offset order: check that in one pass before paying for a sort.
  let inOrder = true;
  for (let i = 1; i < pending.length && inOrder; i++) {
    const a = pending[i - 1]!;
    const b = pending[i]!;
    inOrder = a.begin < b.begin || (a.begin === b.begin && a.end <= b.end);
  }
  const sorted = inOrder ? pending : [...pending].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: Pending | undefined;
  for (const p of sorted) {
    if (p.begin < cursor && prev) {
      fail('overlapping-offsets', fileName, `tensors '${prev.name}' [${prev.begin}, ${prev.end}] and '${p.name}' [${p.begin}, ${p.end}] overlap`);
    }
    if (p.begin > cursor) {
      fail('offsets-out-of-bounds', fileName, `data buffer bytes [${cursor}, ${p.begin}) belong to no tensor (the format forbids holes)`);
    }
    cursor = p.end;
    prev = p;
  }
  if (cursor !== bufferLen) {
    fail('offsets-out-of-bounds', fileName, `tensors cover ${cursor} bytes but the data buffer holds ${bufferLen}`);
  }

  // Checked here, built on access: a header of a million tiny tensors keeps one small record each.
  for (const p of pending) {
    const nbytes = p.end - p.begin;
    if (nbytes > limits.maxTensorBytes) {
      fail('too-large', fileName, `tensor '${p.name}' is ${describeBytes(nbytes)}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`);
    }
  }
  const build = (p: Pending): Tensor => {
    const data = typedArrayAt(bytes, dataStart + p.begin, (p.end - p.begin) / DTYPES[p.dtype].itemSize, p.dtype, true);
    try {
      return new Tensor(p.dtype, p.shape, data);
    } catch (e) {
      // e.g. a shape like [2**32, 2**32, 0]: 0 bytes, but strides past 2**53.
      return fail('bad-header', fileName, `tensor '${p.name}' shape ${fmtShape(p.shape)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  // A shape the tensor type refuses fails the read itself (only shapes with a 0 dim can get this far).
  for (const p of pending) if (p.shape.includes(0)) build(p);
  const tensors: TensorEntry[] = pending.map((p) => new LazyEntry(p, build));
  return { format: 'safetensors', tensors, nonTensors: [], info };
}

function parseEntry(name: string, spec: unknown, fileName: string): Pending {
  const bad = (problem: string): never => fail('bad-header', fileName, `tensor '${name}': ${problem}`);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return bad('entry is not an object');
  const { dtype: stDtype, shape, data_offsets: offsets } = spec as Record<string, unknown>;
  if (typeof stDtype !== 'string') return bad('dtype is missing');
  const dtype = ST_DTYPES[stDtype];
  if (!dtype) return bad(`dtype '${stDtype}' is not supported`);
  if (!Array.isArray(shape)) return bad('shape is not a list');
  if (shape.length > 1024) return bad(`shape has ${shape.length} dimensions`);
  // Integers beyond 2**53 are kept (JSON gives their nearest double): the BigInt size check rejects them.
  for (const d of shape) if (!Number.isInteger(d) || (d as number) < 0) bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2) return bad('data_offsets is not a [begin, end] pair');
  const [begin, end] = offsets as unknown[];
  if (!Number.isInteger(begin) || !Number.isInteger(end) || (begin as number) < 0 || (end as number) < (begin as number)) {
    return bad(`data_offsets ${JSON.stringify(offsets)} are not integers with 0 <= begin <= end`);
  }
  if (!Number.isSafeInteger(end)) {
    fail('offsets-out-of-bounds', fileName, `tensor '${name}' data_offsets ${JSON.stringify(offsets)} are far beyond any data buffer`);
  }
  return { name, stDtype, dtype, shape: shape as number[], begin: begin as number, end: end as number };
}

/**
 * A tensor entry whose tensor is built on each access: a view over the file's bytes, so building it costs one
 * small object, and a million entries hold only their header records (no WeakRef: with a million of them the
 * collector's bookkeeping costs more than the views).
 */
class LazyEntry implements TensorEntry {
  constructor(
    private readonly p: Pending,
    private readonly build: (p: Pending) => Tensor,
  ) {}
  get key(): string {
    return this.p.name;
  }
  get tensor(): Tensor {
    return this.build(this.p);
  }
  get info(): Record<string, unknown> {
    return { stDtype: this.p.stDtype, dataOffsets: [this.p.begin, this.p.end] };
  }
}
