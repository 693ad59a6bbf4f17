/**
 * The Python value model the pickle machine builds, and Python's text for those values (`type(x).__name__`,
 * `str()` of a dict key, `repr()` of floats, bytes and strings). Plain data: nothing here can run or import.
 */
import type { DType } from '../../engine/tensor';
import type { GlobalRole } from './allowlist';

/** A Python list (mutable: APPEND targets it). */
export class PyList {
  /** Containers nested in this one, plus one (kept by the unpickler, which refuses past Python's own limit). */
  depth = 1;
  constructor(readonly items: PyValue[]) {}
}

/** A Python tuple; also `torch.Size`. */
export class PyTuple {
  /** Memoised hash key when the tuple is used as a dict key. */
  hashKey: string | undefined;
  /**
   * Referenced from more than the stack (DUP, a memo slot that is read): the unpickler then never counts it
   * as garbage when an opcode consumes it.
   */
  shared = false;
  /** Containers nested in this one, plus one. */
  depth = 1;
  constructor(readonly items: readonly PyValue[]) {}
}

/** dict, collections.OrderedDict or collections.Counter: insertion-ordered, keyed by a hash string. */
export class PyDict {
  // Made on first use: torch pickles an empty OrderedDict of backward hooks per tensor, 100,000 in a checkpoint.
  private map: Map<string, { key: PyValue; value: PyValue }> | undefined;
  /** Containers nested in this one, plus one. */
  depth = 1;
  constructor(readonly typeName: 'dict' | 'OrderedDict' | 'Counter') {}
  get entries(): Map<string, { key: PyValue; value: PyValue }> {
    return (this.map ??= new Map());
  }
  get size(): number {
    return this.map === undefined ? 0 : this.map.size;
  }
}

/** set / frozenset. */
export class PySet {
  readonly items = new Map<string, PyValue>();
  /** Memoised hash key when a frozenset is used as a dict key. */
  hashKey: string | undefined;
  /** Containers nested in this one, plus one. */
  depth = 1;
  constructor(readonly frozen: boolean) {}
}

/** bytes / bytearray: a view over the pickle's own bytes (or a small decoded copy). */
export class PyBytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly typeName: 'bytes' | 'bytearray',
  ) {}
}

/** An allowed global: an inert tag whose meaning the rebuild functions interpret. */
export class PyGlobal {
  /** `module.name`, made once: every storage of a checkpoint keeps its type's. */
  readonly qualified: string;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly role: GlobalRole,
  ) {
    this.qualified = `${module}.${name}`;
  }
}

/** Element type of a torch storage class (`torch.FloatStorage` → float32, 4 bytes). */
export interface StorageTypeInfo {
  /** Our dtype, or undefined for types we cannot show (complex, quantized). */
  dtype: DType | undefined;
  /** torch's name for the element type (`float32`, `complex64`, `quint8`). */
  torchDType: string;
  itemSize: number;
}

/**
 * A storage reference from a persistent id: zip `('storage', type, key, location, numel)`, legacy adds a
 * sixth item `view_metadata` = None or `(view_key, offset, numel)`. `numel` counts elements of `type`.
 */
export class PyStorage {
  constructor(
    readonly key: string,
    readonly storageType: string,
    readonly info: StorageTypeInfo,
    readonly location: string,
    readonly numel: number,
    readonly view: { key: string; offset: number; numel: number } | undefined,
  ) {}
}

/** A tensor descriptor from a rebuild function: a view (offset, shape, stride in elements) over a storage. */
export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    /** dtype of the tensor: the storage's, or `_rebuild_tensor_v3`'s explicit one. */
    readonly dtype: DType | undefined,
    readonly torchDType: string,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
    readonly parameter: boolean,
  ) {}
  with(changes: { requiresGrad?: boolean; parameter?: boolean }): PyTensor {
    return new PyTensor(
      this.storage,
      this.dtype,
      this.torchDType,
      this.offset,
      this.shape,
      this.stride,
      changes.requiresGrad ?? this.requiresGrad,
      changes.parameter ?? this.parameter,
    );
  }
}

/** A value we recognise but only show as text: torch.device, complex, layouts, tensors without data. */
export class PyOpaque {
  constructor(
    readonly typeName: string,
    readonly text: string,
  ) {}
}

/** int is always `bigint` (exact), float is `number`, None is `null`. */
export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | PyList
  | PyTuple
  | PyDict
  | PySet
  | PyBytes
  | PyGlobal
  | PyStorage
  | PyTensor
  | PyOpaque;

// ---------------------------------------------------------------------------------------------------
// Python-style text for keys and messages
// ---------------------------------------------------------------------------------------------------

/** Python's type name of a value, for messages and `NonTensorEntry.type`. */
export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'str';
  }
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.typeName;
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyBytes) return v.typeName;
  if (v instanceof PyGlobal) return v.role === 'dtype' ? 'dtype' : 'type';
  if (v instanceof PyStorage) return 'storage';
  if (v instanceof PyTensor) return 'Tensor';
  return v.typeName;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 ≤ |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/** Deepest tuple nesting {@link pyStr} spells out (deeper parts print as `...`). */
const MAX_REPR_DEPTH = 64;

/**
 * Python's `str()` of a dict key (the corpus key rule: `str(key)`). A string holding a lone surrogate (a key
 * pickled with Python's `surrogatepass`) cannot be shown as text: each lone surrogate is written as its
 * escape `\udXXX`, as Python's `repr()` does.
 */
export function pyStr(v: PyValue): string {
  if (typeof v === 'string') return escapeLoneSurrogates(v);
  return pyRepr(v, 0);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Each unpaired UTF-16 surrogate as Python's `\udXXX` escape; everything else unchanged. */
export function escapeLoneSurrogates(s: string): string {
  return s.replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function pyRepr(v: PyValue, depth: number): string {
  if (depth > MAX_REPR_DEPTH) return '...';
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False';
    case 'bigint':
      return v.toString();
    case 'number':
      return pyFloatRepr(v);
    case 'string':
      return `'${escapeLoneSurrogates(v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n'))}'`;
  }
  if (v instanceof PyTuple) {
    const parts = v.items.map((x) => pyRepr(x, depth + 1));
    return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
  }
  if (v instanceof PyBytes) return bytesRepr(v);
  if (v instanceof PyGlobal) return v.role === 'dtype' ? v.qualified : `<class '${v.qualified}'>`;
  if (v instanceof PyOpaque) return v.text;
  return `<${typeName(v)}>`;
}

/** Longest bytes value shown in full by {@link pyStr}. */
const MAX_BYTES_SHOWN = 256;

/** Python's `repr(bytes)` (`b'..'`, or `b".."` when only single quotes occur), cut after 256 bytes. */
function bytesRepr(v: PyBytes): string {
  const b = v.bytes;
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
  const q = quote.charCodeAt(0);
  let s = '';
  for (const c of b.subarray(0, MAX_BYTES_SHOWN)) {
    if (c === q || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  const body = `b${quote}${s}${quote}`;
  const shown = v.typeName === 'bytearray' ? `bytearray(${body})` : body;
  return b.length > MAX_BYTES_SHOWN ? `${shown}... (${b.length} bytes)` : shown;
}

/** How deeply containers nest inside `v` (0 for anything that is not a list, tuple, dict or set). */
export function depthOf(v: PyValue): number {
  return v instanceof PyList || v instanceof PyTuple || v instanceof PyDict || v instanceof PySet ? v.depth : 0;
}
