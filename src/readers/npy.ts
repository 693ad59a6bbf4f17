/**
 * NumPy `.npy` reader (format versions 1.0, 2.0 and 3.0, as numpy/lib/format.py defines them).
 *
 * Layout: `\x93NUMPY`, major, minor, a 2-byte (v1) or 4-byte (v2/v3) little-endian header length, the
 * header — a Python dict literal `{'descr': ..., 'fortran_order': ..., 'shape': (...), }` (latin-1 for
 * v1/v2, UTF-8 for v3) — then the raw data. The header is parsed with a strict literal parser and
 * validated like `np.load(allow_pickle=False)`: object dtypes are refused ('pickle-required'), and the
 * byte size the shape implies is checked (overflow-safe) against the bytes present before anything is
 * allocated. Little-endian aligned data become a zero-copy view; Fortran order is expressed with strides.
 */
import { DTYPES, Tensor, type DType } from '../engine/tensor';
import { fmtShape } from '../engine/errors';
import { checkedByteSize, describeBytes, fail } from './bytes';
import { isPyDict, isPyTuple, parsePyLiteral, PyLiteralError, type PyValue } from './pyliteral';
import { fortranStrides, typedArrayAt } from './typed';
import type { ReadLimits, TensorEntry, TensorFile } from './types';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** `kind + itemsize` of a numpy descr → our dtype. */
const NPY_DTYPES: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
  // numpy's one-character code for bool: `np.dtype('>?')` is a (byte-order-free) bool, as '|b1' is.
  '?': 'bool',
};

export function looksLikeNpy(bytes: Uint8Array): boolean {
  if (bytes.length < NPY_MAGIC.length) return false;
  for (let i = 0; i < NPY_MAGIC.length; i++) if (bytes[i] !== NPY_MAGIC[i]) return false;
  return true;
}

export interface NpyArray {
  tensor: Tensor;
  /** descr, fortranOrder, formatVersion, dataOffset — named as in the corpus manifest. */
  info: Record<string, unknown>;
}

/** What a `.npy` header says (the data need not be present: the quick picks read only a file's first bytes). */
export interface NpyHeader {
  dtype: DType;
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  /** A dimension beyond 2**53: reported like an absurd byte size by {@link parseNpy}. */
  absurd: boolean;
  dataOffset: number;
  major: number;
  minor: number;
}

/**
 * Where a `.npy` image's header dictionary starts and its data begin, from its first 12 bytes (version 1 has a
 * 2-byte length field after the magic and version, versions 2 and 3 a 4-byte one).
 */
export function npyHeaderSpan(first: Uint8Array): { headerStart: number; dataOffset: number } {
  if (first[6] === 1) return { headerStart: 10, dataOffset: 10 + (first[8]! | (first[9]! << 8)) };
  return { headerStart: 12, dataOffset: 12 + ((first[8]! | (first[9]! << 8) | (first[10]! << 16) | (first[11]! << 24)) >>> 0) };
}

/** Parses the magic, version and header dictionary of a `.npy` image; throws TensorFileError like {@link parseNpy}. */
export function parseNpyHeader(bytes: Uint8Array, fileName: string, where = ''): NpyHeader {
  const bad = (kind: Parameters<typeof fail>[0], problem: string): never => fail(kind, fileName, where + problem);
  if (!looksLikeNpy(bytes)) bad('bad-header', 'not a .npy image (missing \\x93NUMPY magic)');
  if (bytes.length < 10) bad('truncated-data', `.npy header is truncated (${bytes.length} bytes)`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    bad('bad-header', `format version ${major}.${minor} is not 1.0, 2.0 or 3.0`);
  }
  if (major !== 1 && bytes.length < 12) bad('truncated-data', `.npy header is truncated (${bytes.length} bytes)`);
  const { headerStart, dataOffset } = npyHeaderSpan(bytes);
  const headerLen = dataOffset - headerStart;
  if (dataOffset > bytes.length) {
    bad('truncated-data', `header length ${headerLen} runs past the end of the ${bytes.length}-byte data`);
  }
  const headerBytes = bytes.subarray(headerStart, dataOffset);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return bad('bad-header', 'header is not valid UTF-8');
    }
  } else {
    headerText = latin1(headerBytes);
  }

  let parsed: PyValue;
  try {
    parsed = parsePyLiteral(headerText, { allowLongSuffix: major < 3 });
  } catch (e) {
    if (e instanceof PyLiteralError) return bad('bad-header', `header dictionary is not a valid Python literal (${e.message})`);
    throw e;
  }
  if (!isPyDict(parsed)) return bad('bad-header', 'header is not a dictionary');
  const d = parsed.dict;
  const keys = [...d.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    bad('bad-header', `header keys are [${keys.join(', ')}], expected descr, fortran_order and shape`);
  }
  const descrV = d.get('descr')!;
  const fortranV = d.get('fortran_order')!;
  const shapeV = d.get('shape')!;
  if (typeof fortranV !== 'boolean') return bad('bad-header', "header 'fortran_order' is not True or False");
  if (!isPyTuple(shapeV)) return bad('bad-header', "header 'shape' is not a tuple");

  const dtype = parseDescr(descrV, bad);
  const descr = descrV as string;

  // Shape: non-negative integers; an absurd dimension (beyond 2**53) is reported like an absurd product.
  const shape: number[] = [];
  let absurd = false;
  for (const v of shapeV.tuple) {
    if (typeof v !== 'bigint') return bad('bad-header', "header 'shape' holds a non-integer");
    if (v < 0n) return bad('bad-header', `header 'shape' has a negative dimension ${v}`);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) absurd = true;
    shape.push(Number(v));
  }
  if (shape.length > 64) bad('bad-header', `header 'shape' has ${shape.length} dimensions (numpy allows at most 64)`);
  return { dtype, descr, shape, fortranOrder: fortranV, absurd, dataOffset, major, minor };
}

/**
 * Parses one `.npy` image. `where` prefixes problems for members of an `.npz` (`member 'x.npy': `).
 * Throws TensorFileError with the corpus's error kinds.
 */
export function parseNpy(bytes: Uint8Array, fileName: string, limits: ReadLimits, where = ''): NpyArray {
  const header = parseNpyHeader(bytes, fileName, where);
  const { dtype, descr, shape, fortranOrder: fortranV, dataOffset, major, minor } = header;
  const nbytes = npyDataBytes(header, bytes.length - dataOffset, fileName, limits, where);
  const count = nbytes / DTYPES[dtype].itemSize;
  const littleEndian = descr[0] !== '>';
  const data = typedArrayAt(bytes, dataOffset, count, dtype, littleEndian);
  const tensor = new Tensor(dtype, shape, data, fortranV ? fortranStrides(shape) : undefined);
  return {
    tensor,
    info: { descr, fortranOrder: fortranV, formatVersion: `${major}.${minor}`, dataOffset },
  };
}


/**
 * The bytes of the array a header announces, checked against the `present` bytes after the header and the
 * tensor limit (TensorFileError otherwise).
 */
export function npyDataBytes(h: NpyHeader, present: number, fileName: string, limits: ReadLimits, where = ''): number {
  const bad = (kind: Parameters<typeof fail>[0], problem: string): never => fail(kind, fileName, where + problem);
  const nbytes = h.absurd ? undefined : checkedByteSize(h.shape, DTYPES[h.dtype].itemSize);
  if (nbytes === undefined || nbytes > present) {
    const claim = nbytes === undefined ? 'more bytes than can be addressed' : `${nbytes} bytes`;
    return bad('truncated-data', `header promises ${h.shape.length ? h.shape.join('x') : 'a scalar'} ${h.descr} = ${claim}, ${present} present`);
  }
  if (nbytes > limits.maxTensorBytes) {
    bad('too-large', `array ${fmtShape(h.shape)} ${h.dtype} is ${describeBytes(nbytes)}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`);
  }
  return nbytes;
}

/** A simple numpy descr (`'<f4'`, `'|b1'`, `'>i8'`, `'f8'`) → dtype; objects need pickle, the rest is unsupported. */
function parseDescr(v: PyValue, bad: (kind: 'bad-header' | 'pickle-required', problem: string) => never): DType {
  if (typeof v !== 'string') {
    if (Array.isArray(v) && JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)).includes('O')) {
      return bad('pickle-required', 'structured dtype with object fields needs pickle: refused, as np.load(allow_pickle=False) does');
    }
    return bad('bad-header', "header 'descr' is a structured dtype, which is not supported");
  }
  let s = v;
  const order = s[0];
  if (order === '<' || order === '>' || order === '|' || order === '=') s = s.slice(1);
  if (s === 'O' || /^O\d*$/.test(s)) {
    return bad('pickle-required', `descr '${v}' (object array) needs pickle: refused, as np.load(allow_pickle=False) does`);
  }
  const dtype = NPY_DTYPES[s];
  if (!dtype) return bad('bad-header', `descr '${v}' is not a supported numeric dtype`);
  return dtype;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  return s;
}

/** Reads a whole `.npy` file: one tensor with key ''. */
export function readNpy(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  const { tensor, info } = parseNpy(bytes, fileName, limits);
  const entry: TensorEntry = { key: '', tensor, info };
  return { format: 'npy', tensors: [entry], nonTensors: [], info: {} };
}
