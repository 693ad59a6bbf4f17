/**
 * A pickle reader that never executes anything: the subset of Python's pickle machine that tensor files
 * need, with the global allowlist of `torch.load(weights_only=True)`.
 *
 * Why a machine of our own: a pickle is a program (GLOBAL imports any callable, REDUCE calls it), so the
 * only safe reader is one where every callable is an inert tag we interpret ourselves. Here:
 * - GLOBAL / STACK_GLOBAL / INST resolve `module.name` against {@link ALLOWED_GLOBALS} (torch's
 *   weights-only list: tensor/parameter rebuild functions, storage types, dtypes, `torch.Size`,
 *   `torch.device`, `collections.OrderedDict`, `_codecs.encode`, a few builtins); anything else is refused
 *   on the spot with `unsafe-pickle` naming the global, before any later opcode runs.
 * - REDUCE / NEWOBJ / BUILD only act on those tags, producing plain values: {@link PyTensor} is a
 *   *descriptor* (storage reference, offset, shape, stride), never data. The caller (`pt.ts`) resolves
 *   storages after the whole pickle has been read, so a refused global is always reported first.
 * - Every read is bounds-checked: a truncated or corrupt pickle is a `bad-header` TensorFileError, never a
 *   RangeError; lengths are checked against the remaining bytes before anything is sliced.
 *
 * Opcodes: all of protocols 0–5 except out-of-band buffers (NEXT_BUFFER) and the extension registry
 * (EXT1/2/4), which a tensor file never uses and which are refused.
 */
import { fail } from './bytes';
import { decodePyEscapes } from './pyString';
import type { DType } from '../engine/tensor';

// ---------------------------------------------------------------------------------------------------
// Python values as the machine builds them
// ---------------------------------------------------------------------------------------------------

/** A Python list (mutable: APPEND targets it). */
export class PyList {
  constructor(readonly items: PyValue[]) {}
}

/** A Python tuple; also `torch.Size`. */
export class PyTuple {
  /** Memoised hash key when the tuple is used as a dict key. */
  hashKey: string | undefined;
  constructor(readonly items: readonly PyValue[]) {}
}

/** dict, collections.OrderedDict or collections.Counter: insertion-ordered, keyed by a hash string. */
export class PyDict {
  readonly entries = new Map<string, { key: PyValue; value: PyValue }>();
  constructor(readonly typeName: 'dict' | 'OrderedDict' | 'Counter') {}
}

/** set / frozenset. */
export class PySet {
  readonly items = new Map<string, PyValue>();
  constructor(readonly frozen: boolean) {}
}

/** bytes / bytearray: a view over the pickle's own bytes (or a small decoded copy). */
export class PyBytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly typeName: 'bytes' | 'bytearray',
  ) {}
}

/** An allowed global: an inert tag whose meaning {@link Machine.call} interprets. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly role: GlobalRole,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
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
// The allowlist (torch.load(weights_only=True), torch 1.13 – 2.x)
// ---------------------------------------------------------------------------------------------------

export type GlobalRole =
  | 'dict'
  | 'set'
  | 'size'
  | 'parameter'
  | 'tensorType'
  | 'storage'
  | 'dtype'
  | 'device'
  | 'layout'
  | 'qscheme'
  | 'codecsEncode'
  | 'bytearray'
  | 'complex'
  | 'rebuildTensor'
  | 'rebuildTensorV2'
  | 'rebuildTensorV3'
  | 'rebuildParameter'
  | 'rebuildParameterWithState'
  | 'rebuildFromTypeV2'
  | 'rebuildFromCpuTensor'
  | 'rebuildMeta'
  | 'rebuildUnsupported';

/** torch storage class name → element type. */
export const STORAGE_TYPES: Readonly<Record<string, StorageTypeInfo>> = {
  DoubleStorage: { dtype: 'float64', torchDType: 'float64', itemSize: 8 },
  FloatStorage: { dtype: 'float32', torchDType: 'float32', itemSize: 4 },
  HalfStorage: { dtype: 'float16', torchDType: 'float16', itemSize: 2 },
  BFloat16Storage: { dtype: 'bfloat16', torchDType: 'bfloat16', itemSize: 2 },
  LongStorage: { dtype: 'int64', torchDType: 'int64', itemSize: 8 },
  IntStorage: { dtype: 'int32', torchDType: 'int32', itemSize: 4 },
  ShortStorage: { dtype: 'int16', torchDType: 'int16', itemSize: 2 },
  CharStorage: { dtype: 'int8', torchDType: 'int8', itemSize: 1 },
  ByteStorage: { dtype: 'uint8', torchDType: 'uint8', itemSize: 1 },
  BoolStorage: { dtype: 'bool', torchDType: 'bool', itemSize: 1 },
  ComplexDoubleStorage: { dtype: undefined, torchDType: 'complex128', itemSize: 16 },
  ComplexFloatStorage: { dtype: undefined, torchDType: 'complex64', itemSize: 8 },
  QUInt8Storage: { dtype: undefined, torchDType: 'quint8', itemSize: 1 },
  QInt8Storage: { dtype: undefined, torchDType: 'qint8', itemSize: 1 },
  QInt32Storage: { dtype: undefined, torchDType: 'qint32', itemSize: 4 },
  QUInt4x2Storage: { dtype: undefined, torchDType: 'quint4x2', itemSize: 1 },
  QUInt2x4Storage: { dtype: undefined, torchDType: 'quint2x4', itemSize: 1 },
  // torch 2.x writes UntypedStorage (bytes) for storages saved on their own and for _rebuild_tensor_v3.
  UntypedStorage: { dtype: 'uint8', torchDType: 'uint8', itemSize: 1 },
};

/** torch dtype global name (`torch.float32`) → our dtype and item size (undefined dtype: not shown). */
export const TORCH_DTYPES: Readonly<Record<string, { dtype: DType | undefined; itemSize: number }>> = {
  float16: { dtype: 'float16', itemSize: 2 },
  bfloat16: { dtype: 'bfloat16', itemSize: 2 },
  float32: { dtype: 'float32', itemSize: 4 },
  float64: { dtype: 'float64', itemSize: 8 },
  int8: { dtype: 'int8', itemSize: 1 },
  int16: { dtype: 'int16', itemSize: 2 },
  int32: { dtype: 'int32', itemSize: 4 },
  int64: { dtype: 'int64', itemSize: 8 },
  uint8: { dtype: 'uint8', itemSize: 1 },
  uint16: { dtype: 'uint16', itemSize: 2 },
  uint32: { dtype: 'uint32', itemSize: 4 },
  uint64: { dtype: 'uint64', itemSize: 8 },
  bool: { dtype: 'bool', itemSize: 1 },
  complex32: { dtype: undefined, itemSize: 4 },
  complex64: { dtype: undefined, itemSize: 8 },
  complex128: { dtype: undefined, itemSize: 16 },
  float8_e5m2: { dtype: undefined, itemSize: 1 },
  float8_e4m3fn: { dtype: undefined, itemSize: 1 },
  float8_e5m2fnuz: { dtype: undefined, itemSize: 1 },
  float8_e4m3fnuz: { dtype: undefined, itemSize: 1 },
  quint8: { dtype: undefined, itemSize: 1 },
  qint8: { dtype: undefined, itemSize: 1 },
  qint32: { dtype: undefined, itemSize: 4 },
  quint4x2: { dtype: undefined, itemSize: 1 },
  quint2x4: { dtype: undefined, itemSize: 1 },
};

const TENSOR_CLASS_PREFIXES = ['Double', 'Float', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];

function buildAllowlist(): Map<string, GlobalRole> {
  const m = new Map<string, GlobalRole>([
    ['collections.OrderedDict', 'dict'],
    ['collections.Counter', 'dict'],
    ['builtins.set', 'set'],
    ['builtins.bytearray', 'bytearray'],
    ['builtins.complex', 'complex'],
    ['_codecs.encode', 'codecsEncode'],
    ['torch.Size', 'size'],
    ['torch.Tensor', 'tensorType'],
    ['torch.nn.parameter.Parameter', 'parameter'],
    ['torch.device', 'device'],
    ['torch.serialization._get_layout', 'layout'],
    ['torch._utils._rebuild_tensor', 'rebuildTensor'],
    ['torch._utils._rebuild_tensor_v2', 'rebuildTensorV2'],
    ['torch._utils._rebuild_tensor_v3', 'rebuildTensorV3'],
    ['torch._utils._rebuild_parameter', 'rebuildParameter'],
    ['torch._utils._rebuild_parameter_with_state', 'rebuildParameterWithState'],
    ['torch._tensor._rebuild_from_type_v2', 'rebuildFromTypeV2'],
    ['torch._utils._rebuild_device_tensor_from_cpu_tensor', 'rebuildFromCpuTensor'],
    ['torch._utils._rebuild_meta_tensor_no_storage', 'rebuildMeta'],
    ['torch._utils._rebuild_sparse_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_sparse_csr_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_qtensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_nested_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_wrapper_subclass', 'rebuildUnsupported'],
    ['torch.storage.TypedStorage', 'storage'],
    ['torch.storage.UntypedStorage', 'storage'],
    ['torch.UntypedStorage', 'storage'],
  ]);
  for (const name of Object.keys(STORAGE_TYPES)) {
    if (name === 'UntypedStorage') continue;
    m.set(`torch.${name}`, 'storage');
    m.set(`torch.cuda.${name}`, 'storage');
  }
  for (const name of Object.keys(TORCH_DTYPES)) m.set(`torch.${name}`, 'dtype');
  for (const q of ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric', 'per_channel_affine_float_qparams']) {
    m.set(`torch.${q}`, 'qscheme');
  }
  for (const p of TENSOR_CLASS_PREFIXES) {
    for (const mod of ['torch', 'torch.cuda', 'torch.sparse', 'torch.cuda.sparse']) m.set(`${mod}.${p}Tensor`, 'tensorType');
  }
  return m;
}

/** `module.name` → role, for every global a tensor file may name. */
export const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalRole> = buildAllowlist();

/** Python 2 module names that pickles written by Python 2 use (pickle's own IMPORT_MAPPING, the part we need). */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

// ---------------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------------

export interface UnpickleOptions {
  /** For error messages (TensorFileError.fileName). */
  fileName: string;
  /** What is being read, for messages: `data.pkl`, `pickle 4 of the legacy stream`. */
  label: string;
  /** Called for every storage reference (persistent id), reachable from the result or not. */
  onStorage?: (storage: PyStorage) => void;
}

export interface UnpickleResult {
  value: PyValue;
  /** Byte offset just after STOP (the next pickle of a legacy stream starts there). */
  end: number;
}

/** Reads one pickle starting at `start` and returns its value; throws TensorFileError on anything else. */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): UnpickleResult {
  return new Machine(bytes, start, options).run();
}

/** Nesting allowed for REDUCE inside `_rebuild_from_type_v2` and for dict-key tuples. */
const MAX_CALL_DEPTH = 8;
const MAX_KEY_DEPTH = 64;
/** Longest integer accepted (LONG4 bytes / LONG decimal digits): far beyond any real tensor file. */
const MAX_LONG_BYTES = 1 << 16;
const MAX_TENSOR_RANK = 64;

const MARK_OP = 0x28;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

class Machine {
  private pos: number;
  /** Start of the opcode being executed (for messages). */
  private opPos = 0;
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  /** Identity hashes for tensors and storages used as dict keys (Python hashes them by id). */
  private readonly identities = new WeakMap<object, number>();
  private identityCount = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.pos = start;
  }

  // --- errors ------------------------------------------------------------------------------------

  private corrupt(problem: string): never {
    fail('bad-header', this.options.fileName, `${this.options.label}: corrupt pickle at byte ${this.opPos}: ${problem}`);
  }

  private truncated(what: string): never {
    fail(
      'bad-header',
      this.options.fileName,
      `${this.options.label}: pickle ends early (${what} at byte ${this.opPos} runs past the ${this.bytes.length}-byte data): truncated or corrupt`,
    );
  }

  /** A weights-only refusal. The problem text starts with `refuse to unpickle:` and names the global. */
  private refuse(problem: string): never {
    fail('unsafe-pickle', this.options.fileName, `refuse to unpickle: ${problem} (${this.options.label}, byte ${this.opPos})`);
  }

  // --- bounds-checked reads ----------------------------------------------------------------------

  private u8(what: string): number {
    if (this.pos >= this.bytes.length) this.truncated(what);
    return this.bytes[this.pos++]!;
  }

  private take(n: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length - this.pos) this.truncated(`${what} of ${n} bytes`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private uint(n: 1 | 2 | 4 | 8, what: string): number {
    const b = this.take(n, what);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
    if (!Number.isSafeInteger(v)) this.corrupt(`${what} ${v} is impossibly large`);
    return v;
  }

  private int32(what: string): number {
    const b = this.take(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >> 0;
  }

  /** A text line without its trailing `\n` (protocol 0 arguments). */
  private line(what: string): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) this.truncated(`${what} line`);
    const text = latin1.decode(this.bytes.subarray(this.pos, nl));
    this.pos = nl + 1;
    return text;
  }

  private utf8Line(what: string): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) this.truncated(`${what} line`);
    const text = utf8.decode(this.bytes.subarray(this.pos, nl));
    this.pos = nl + 1;
    return text;
  }

  // --- stack -------------------------------------------------------------------------------------

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(what: string): PyValue {
    if (this.stack.length === 0) this.corrupt(`${what} on an empty stack`);
    return this.stack.pop()!;
  }

  private top(what: string): PyValue {
    if (this.stack.length === 0) this.corrupt(`${what} on an empty stack`);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(what: string): PyValue[] {
    const items = this.stack;
    const outer = this.metastack.pop();
    if (outer === undefined) this.corrupt(`${what} without a MARK`);
    this.stack = outer;
    return items;
  }

  // --- main loop ---------------------------------------------------------------------------------

  run(): UnpickleResult {
    for (;;) {
      this.opPos = this.pos;
      const op = this.u8('opcode');
      switch (op) {
        // protocol / framing
        case 0x80: {
          const proto = this.u8('PROTO argument');
          if (proto > 5) this.corrupt(`unsupported pickle protocol ${proto}`);
          break;
        }
        case 0x95: {
          // FRAME: a length prefix only; opcodes inside are read as usual.
          const n = this.uint(8, 'FRAME length');
          if (n > this.bytes.length - this.pos) this.truncated(`FRAME of ${n} bytes`);
          break;
        }
        case 0x2e: {
          // STOP
          const value = this.pop('STOP');
          return { value, end: this.pos };
        }

        // marks and stack manipulation
        case MARK_OP:
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark('POP');
          break;
        case 0x31: // POP_MARK
          this.popMark('POP_MARK');
          break;
        case 0x32: // DUP
          this.push(this.top('DUP'));
          break;

        // memo
        case 0x70: // PUT (text)
          this.memoPut(this.decimalArg('PUT'));
          break;
        case 0x71: // BINPUT
          this.memoPut(this.u8('BINPUT argument'));
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.uint(4, 'LONG_BINPUT argument'));
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;
        case 0x67: // GET (text)
          this.memoGet(this.decimalArg('GET'));
          break;
        case 0x68: // BINGET
          this.memoGet(this.u8('BINGET argument'));
          break;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.uint(4, 'LONG_BINGET argument'));
          break;

        // constants
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;

        // integers
        case 0x4a: // BININT
          this.push(BigInt(this.int32('BININT argument')));
          break;
        case 0x4b: // BININT1
          this.push(BigInt(this.u8('BININT1 argument')));
          break;
        case 0x4d: // BININT2
          this.push(BigInt(this.uint(2, 'BININT2 argument')));
          break;
        case 0x8a: // LONG1
          this.push(this.decodeLong(this.take(this.u8('LONG1 length'), 'LONG1 data')));
          break;
        case 0x8b: {
          // LONG4
          const n = this.int32('LONG4 length');
          if (n < 0) this.corrupt(`LONG4 has negative length ${n}`);
          if (n > MAX_LONG_BYTES) this.corrupt(`LONG4 integer of ${n} bytes is far too large for a tensor file`);
          this.push(this.decodeLong(this.take(n, 'LONG4 data')));
          break;
        }
        case 0x49: // INT (text; "00"/"01" are protocol-0 booleans)
          this.push(this.textInt(this.line('INT'), false));
          break;
        case 0x4c: // LONG (text)
          this.push(this.textInt(this.line('LONG'), true));
          break;

        // floats
        case 0x47: {
          // BINFLOAT: big-endian IEEE double
          const b = this.take(8, 'BINFLOAT argument');
          this.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false));
          break;
        }
        case 0x46: // FLOAT (text)
          this.push(this.textFloat(this.line('FLOAT')));
          break;

        // strings
        case 0x58: // BINUNICODE
          this.push(utf8.decode(this.take(this.uint(4, 'BINUNICODE length'), 'BINUNICODE data')));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(utf8.decode(this.take(this.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE data')));
          break;
        case 0x8d: // BINUNICODE8
          this.push(utf8.decode(this.take(this.uint(8, 'BINUNICODE8 length'), 'BINUNICODE8 data')));
          break;
        case 0x56: // UNICODE (text, raw-unicode-escape)
          this.push(decodeRawUnicodeEscape(this.line('UNICODE')));
          break;
        case 0x54: {
          // BINSTRING: a Python 2 str; torch.load decodes these as UTF-8.
          const n = this.int32('BINSTRING length');
          if (n < 0) this.corrupt(`BINSTRING has negative length ${n}`);
          this.push(utf8.decode(this.take(n, 'BINSTRING data')));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(utf8.decode(this.take(this.u8('SHORT_BINSTRING length'), 'SHORT_BINSTRING data')));
          break;
        case 0x53: // STRING (text, a quoted Python 2 literal)
          this.push(this.textString(this.line('STRING')));
          break;

        // bytes
        case 0x42: // BINBYTES
          this.push(new PyBytes(this.take(this.uint(4, 'BINBYTES length'), 'BINBYTES data'), 'bytes'));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(new PyBytes(this.take(this.u8('SHORT_BINBYTES length'), 'SHORT_BINBYTES data'), 'bytes'));
          break;
        case 0x8e: // BINBYTES8
          this.push(new PyBytes(this.take(this.uint(8, 'BINBYTES8 length'), 'BINBYTES8 data'), 'bytes'));
          break;
        case 0x96: // BYTEARRAY8
          this.push(new PyBytes(this.take(this.uint(8, 'BYTEARRAY8 length'), 'BYTEARRAY8 data'), 'bytearray'));
          break;
        case 0x97: // NEXT_BUFFER
          this.corrupt('out-of-band buffers (NEXT_BUFFER) are not supported in a file');
          break;
        case 0x98: // READONLY_BUFFER: a flag on the top item
          this.top('READONLY_BUFFER');
          break;

        // containers
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark('TUPLE')));
          break;
        case 0x85: {
          // TUPLE1
          const a = this.pop('TUPLE1');
          this.push(new PyTuple([a]));
          break;
        }
        case 0x86: {
          // TUPLE2
          const b = this.pop('TUPLE2');
          const a = this.pop('TUPLE2');
          this.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop('TUPLE3');
          const b = this.pop('TUPLE3');
          const a = this.pop('TUPLE3');
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push(new PyList([]));
          break;
        case 0x6c: // LIST
          this.push(new PyList(this.popMark('LIST')));
          break;
        case 0x61: {
          // APPEND
          const item = this.pop('APPEND');
          this.listTarget('APPEND').items.push(item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark('APPENDS');
          const list = this.listTarget('APPENDS');
          for (const it of items) list.items.push(it);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict('dict'));
          break;
        case 0x64: {
          // DICT
          const items = this.popMark('DICT');
          const d = new PyDict('dict');
          this.setItems(d, items, 'DICT');
          this.push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop('SETITEM');
          const k = this.pop('SETITEM');
          this.setItems(this.dictTarget('SETITEM'), [k, v], 'SETITEM');
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark('SETITEMS');
          this.setItems(this.dictTarget('SETITEMS'), items, 'SETITEMS');
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new PySet(false));
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark('ADDITEMS');
          const s = this.top('ADDITEMS');
          if (!(s instanceof PySet) || s.frozen) this.corrupt(`ADDITEMS on ${typeName(s)}`);
          for (const it of items) s.items.set(this.hashKey(it, 0), it);
          break;
        }
        case 0x91: {
          // FROZENSET
          const items = this.popMark('FROZENSET');
          const s = new PySet(true);
          for (const it of items) s.items.set(this.hashKey(it, 0), it);
          this.push(s);
          break;
        }

        // globals and calls: the only risky opcodes
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.utf8Line('GLOBAL module');
          const name = this.utf8Line('GLOBAL name');
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop('STACK_GLOBAL');
          const module = this.pop('STACK_GLOBAL');
          if (typeof module !== 'string' || typeof name !== 'string') {
            this.corrupt(`STACK_GLOBAL needs two strings, got ${typeName(module)} and ${typeName(name)}`);
          }
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case 0x69: {
          // INST "module\nname\n" + MARK args: a call of the class
          const module = this.utf8Line('INST module');
          const name = this.utf8Line('INST name');
          const g = this.resolveGlobal(module, name);
          this.push(this.instantiate(g, new PyTuple(this.popMark('INST')), 'INST'));
          break;
        }
        case 0x6f: {
          // OBJ: MARK cls args... OBJ
          const items = this.popMark('OBJ');
          if (items.length === 0) this.corrupt('OBJ without a class');
          this.push(this.instantiate(items[0]!, new PyTuple(items.slice(1)), 'OBJ'));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop('REDUCE');
          const func = this.pop('REDUCE');
          this.push(this.call(func, args, 'REDUCE', 0));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop('NEWOBJ');
          const cls = this.pop('NEWOBJ');
          this.push(this.instantiate(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop('NEWOBJ_EX');
          const args = this.pop('NEWOBJ_EX');
          const cls = this.pop('NEWOBJ_EX');
          this.push(this.instantiate(cls, args, 'NEWOBJ_EX', kwargs));
          break;
        }
        case 0x62: {
          // BUILD: only the attribute state of dicts (state_dict._metadata) and tensors; it is dropped.
          const state = this.pop('BUILD');
          const inst = this.top('BUILD');
          if (!(inst instanceof PyDict || inst instanceof PyTensor || inst instanceof PyOpaque)) {
            this.refuse(`BUILD (setting the state of ${typeName(inst)}) is not allowed`);
          }
          void state;
          break;
        }
        case 0x50: // PERSID (text)
          this.refuse(`persistent id '${this.line('PERSID')}' is not a storage reference`);
          break;
        case 0x51: {
          // BINPERSID
          const pid = this.pop('BINPERSID');
          this.push(this.persistentLoad(pid));
          break;
        }
        case 0x82:
        case 0x83:
        case 0x84: {
          const code = op === 0x82 ? this.u8('EXT1') : op === 0x83 ? this.uint(2, 'EXT2') : this.uint(4, 'EXT4');
          this.refuse(`extension registry code ${code} (EXT${op === 0x82 ? 1 : op === 0x83 ? 2 : 4}) is not an allowed global`);
          break;
        }
        default:
          this.corrupt(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }

  // --- memo --------------------------------------------------------------------------------------

  private memoPut(i: number): void {
    this.memo.set(i, this.top('memo PUT'));
  }

  private memoGet(i: number): void {
    const v = this.memo.get(i);
    if (v === undefined && !this.memo.has(i)) this.corrupt(`memo key ${i} was never stored`);
    this.push(v as PyValue);
  }

  private decimalArg(what: string): number {
    const text = this.line(what);
    if (!/^\d{1,10}$/.test(text)) this.corrupt(`${what} argument '${text.slice(0, 20)}' is not a memo index`);
    return Number(text);
  }

  // --- text-protocol values ---------------------------------------------------------------------

  private textInt(text: string, long: boolean): PyValue {
    if (!long && text === '00') return false;
    if (!long && text === '01') return true;
    const t = text.endsWith('L') ? text.slice(0, -1) : text;
    if (t.length > MAX_LONG_BYTES || !/^[+-]?\d+$/.test(t)) this.corrupt(`${long ? 'LONG' : 'INT'} argument '${text.slice(0, 20)}' is not an integer`);
    return BigInt(t);
  }

  private textFloat(text: string): number {
    const t = text.trim().toLowerCase();
    if (t === 'nan' || t === '-nan') return NaN;
    if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
    if (t === '-inf' || t === '-infinity') return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) this.corrupt(`FLOAT argument '${text.slice(0, 20)}' is not a number`);
    return Number(t);
  }

  private textString(text: string): string {
    const q = text[0];
    if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) this.corrupt('STRING argument is not a quoted literal');
    const decoded = decodePy2Escapes(text.slice(1, -1));
    if (decoded === undefined) this.corrupt('STRING argument has a bad escape');
    // A Python 2 str: bytes, decoded as UTF-8 like torch.load does.
    const raw = new Uint8Array(decoded.length);
    for (let i = 0; i < decoded.length; i++) raw[i] = decoded.charCodeAt(i) & 0xff;
    return utf8.decode(raw);
  }

  private decodeLong(b: Uint8Array): bigint {
    if (b.length === 0) return 0n;
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt('0x' + hex);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v;
  }

  // --- containers --------------------------------------------------------------------------------

  private listTarget(what: string): PyList {
    const t = this.top(what);
    if (!(t instanceof PyList)) this.corrupt(`${what} to ${typeName(t)} (only lists can be appended to)`);
    return t;
  }

  private dictTarget(what: string): PyDict {
    const t = this.top(what);
    if (!(t instanceof PyDict)) this.corrupt(`${what} on ${typeName(t)} (only dicts take items)`);
    return t;
  }

  private setItems(d: PyDict, items: readonly PyValue[], what: string): void {
    if (items.length % 2 !== 0) this.corrupt(`${what} with an odd number (${items.length}) of keys and values`);
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      const h = this.hashKey(key, 0);
      const old = d.entries.get(h);
      // Python keeps the first key object and position, replacing only the value.
      d.entries.set(h, { key: old ? old.key : key, value: items[i + 1]! });
    }
  }

  /** A string that is equal for equal Python keys (1 == 1.0 == True); refuses unhashable keys. */
  private hashKey(k: PyValue, depth: number): string {
    if (k === null) return 'N';
    if (typeof k === 'boolean') return k ? 'i1' : 'i0';
    if (typeof k === 'bigint') return `i${k}`;
    if (typeof k === 'number') return Number.isInteger(k) ? `i${BigInt(k)}` : `f${k}`;
    if (typeof k === 'string') return `s${k}`;
    if (k instanceof PyBytes) return `b${latin1.decode(k.bytes)}`;
    if (k instanceof PyTuple) {
      if (k.hashKey !== undefined) return k.hashKey;
      if (depth > MAX_KEY_DEPTH) this.corrupt(`dict key nested more than ${MAX_KEY_DEPTH} tuples deep`);
      const h = `t${JSON.stringify(k.items.map((x) => this.hashKey(x, depth + 1)))}`;
      k.hashKey = h;
      return h;
    }
    if (k instanceof PyGlobal) return `g${k.qualified}`;
    if (k instanceof PyOpaque) return `o${k.typeName}:${k.text}`;
    if (k instanceof PySet && k.frozen) return `z${JSON.stringify([...k.items.keys()].sort())}`;
    if (k instanceof PyTensor || k instanceof PyStorage) {
      let id = this.identities.get(k);
      if (id === undefined) this.identities.set(k, (id = this.identityCount++));
      return `@${id}`;
    }
    this.corrupt(`unhashable dict key of type ${typeName(k)}`);
  }

  // --- globals and calls -------------------------------------------------------------------------

  private resolveGlobal(rawModule: string, name: string): PyGlobal {
    const module = PY2_MODULES[rawModule] ?? rawModule;
    const qualified = `${module}.${name}`;
    const role = ALLOWED_GLOBALS.get(qualified);
    if (role === undefined) this.refuse(`'${qualified}' is not an allowed global`);
    return new PyGlobal(module, name, role);
  }

  /** NEWOBJ / NEWOBJ_EX / INST / OBJ: instantiating a class. Only Parameter and the containers. */
  private instantiate(cls: PyValue, args: PyValue, how: string, kwargs?: PyValue): PyValue {
    if (!(cls instanceof PyGlobal)) this.corrupt(`${how} of ${typeName(cls)}, which is not a class`);
    const a = this.argTuple(args, how);
    if (cls.role === 'parameter') {
      let requiresGrad: PyValue = a.length > 1 ? a[1]! : true;
      if (kwargs instanceof PyDict) {
        for (const { key, value } of kwargs.entries.values()) {
          if (key === 'requires_grad') requiresGrad = value;
          else if (key !== 'data') this.corrupt(`${how} of Parameter with keyword '${String(key)}'`);
          else a[0] = value;
        }
      }
      return this.parameter(a[0] ?? null, requiresGrad, cls.qualified);
    }
    if (kwargs !== undefined && !(kwargs instanceof PyDict && kwargs.entries.size === 0)) {
      this.refuse(`${how} of '${cls.qualified}' with keyword arguments is not allowed`);
    }
    if (cls.role === 'dict' || cls.role === 'set') return this.call(cls, new PyTuple(a), how, 0);
    this.refuse(`${how} (instantiating '${cls.qualified}') is not allowed`);
  }

  private argTuple(args: PyValue, how: string): PyValue[] {
    if (!(args instanceof PyTuple)) this.corrupt(`${how} arguments are ${typeName(args)}, not a tuple`);
    return [...args.items];
  }

  /** REDUCE: the meaning of each allowed callable, computed on descriptors (nothing is executed). */
  private call(func: PyValue, args: PyValue, how: string, depth: number): PyValue {
    if (!(func instanceof PyGlobal)) this.refuse(`${how} calls ${typeName(func)}, which is not an allowed function`);
    if (depth > MAX_CALL_DEPTH) this.corrupt(`rebuild calls nested more than ${MAX_CALL_DEPTH} deep`);
    const a = this.argTuple(args, `${func.qualified}`);
    const name = func.qualified;
    const arity = (min: number, max: number): void => {
      if (a.length < min || a.length > max) {
        this.corrupt(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${a.length}`);
      }
    };
    switch (func.role) {
      case 'dict': {
        arity(0, 1);
        const d = new PyDict(func.name === 'Counter' ? 'Counter' : 'OrderedDict');
        const src = a[0];
        if (src === undefined) return d;
        if (src instanceof PyDict) {
          for (const [h, e] of src.entries) d.entries.set(h, e);
          return d;
        }
        if (src instanceof PyList || src instanceof PyTuple) {
          for (const pair of src.items) {
            const kv = pair instanceof PyTuple || pair instanceof PyList ? pair.items : undefined;
            if (!kv || kv.length !== 2) this.corrupt(`${name} argument holds ${typeName(pair)}, not a (key, value) pair`);
            this.setItems(d, kv, name);
          }
          return d;
        }
        this.corrupt(`${name} argument is ${typeName(src)}`);
        break;
      }
      case 'set': {
        arity(0, 1);
        const s = new PySet(false);
        const src = a[0];
        if (src === undefined) return s;
        const items = src instanceof PyList || src instanceof PyTuple ? src.items : src instanceof PySet ? [...src.items.values()] : undefined;
        if (!items) this.corrupt(`${name} argument is ${typeName(src)}`);
        for (const it of items) s.items.set(this.hashKey(it, 0), it);
        return s;
      }
      case 'size': {
        arity(0, 1);
        const src = a[0];
        if (src === undefined) return new PyTuple([]);
        if (!(src instanceof PyTuple || src instanceof PyList) || !src.items.every((x) => typeof x === 'bigint')) {
          this.corrupt(`${name} argument is not a sequence of ints`);
        }
        return new PyTuple([...src.items]);
      }
      case 'parameter':
        arity(0, 2);
        return this.parameter(a[0] ?? null, a.length > 1 ? a[1]! : true, name);
      case 'rebuildTensor':
        arity(4, 4);
        return this.tensor(name, a[0]!, a[1]!, a[2]!, a[3]!, false, undefined);
      case 'rebuildTensorV2':
        arity(6, 7);
        return this.tensor(name, a[0]!, a[1]!, a[2]!, a[3]!, this.flag(a[4]!, name, 'requires_grad'), undefined);
      case 'rebuildTensorV3': {
        arity(7, 8);
        const dt = a[6]!;
        if (!(dt instanceof PyGlobal) || dt.role !== 'dtype') this.corrupt(`${name} dtype argument is ${typeName(dt)}`);
        return this.tensor(name, a[0]!, a[1]!, a[2]!, a[3]!, this.flag(a[4]!, name, 'requires_grad'), dt.name);
      }
      case 'rebuildParameter':
        arity(3, 3);
        return this.parameter(a[0]!, a[1]!, name);
      case 'rebuildParameterWithState':
        arity(4, 4);
        return this.parameter(a[0]!, a[1]!, name);
      case 'rebuildFromTypeV2': {
        // (func, new_type, args, state): a tensor subclass or a tensor with Python attributes.
        arity(4, 4);
        const inner = this.call(a[0]!, a[2]!, name, depth + 1);
        const newType = a[1]!;
        if (!(newType instanceof PyGlobal) || (newType.role !== 'tensorType' && newType.role !== 'parameter')) {
          this.refuse(`${name} with type ${newType instanceof PyGlobal ? `'${newType.qualified}'` : typeName(newType)} is not allowed`);
        }
        if (newType.role === 'parameter' && inner instanceof PyTensor) return inner.with({ parameter: true });
        return inner;
      }
      case 'rebuildFromCpuTensor': {
        // (data, dtype, device, requires_grad): a tensor of another device type saved via the CPU.
        arity(4, 4);
        const data = a[0]!;
        if (!(data instanceof PyTensor)) this.corrupt(`${name} data argument is ${typeName(data)}, not a tensor`);
        return data.with({ requiresGrad: this.flag(a[3]!, name, 'requires_grad') });
      }
      case 'rebuildMeta': {
        arity(4, 4);
        const dt = a[0]!;
        const shape = this.dims(a[1]!, name, 'size');
        return new PyOpaque('Tensor', `meta tensor ${dt instanceof PyGlobal ? dt.name : '?'} [${shape.join(', ')}] (saved without data)`);
      }
      case 'rebuildUnsupported':
        return new PyOpaque('Tensor', `${func.name.replace(/^_rebuild_/, '').replace(/_/g, ' ')} (not supported: not shown)`);
      case 'device': {
        arity(1, 2);
        const [type, index] = a;
        if (typeof type !== 'string') this.corrupt(`${name} argument is ${typeName(type!)}`);
        if (index !== undefined && index !== null && typeof index !== 'bigint') this.corrupt(`${name} index is ${typeName(index)}`);
        return new PyOpaque('device', index === undefined || index === null ? type : `${type}:${index}`);
      }
      case 'layout': {
        arity(1, 1);
        if (typeof a[0] !== 'string') this.corrupt(`${name} argument is ${typeName(a[0]!)}`);
        return new PyOpaque('layout', a[0]);
      }
      case 'codecsEncode': {
        // protocol 2 pickles bytes as _codecs.encode(text, 'latin1').
        arity(1, 2);
        const [text, enc = 'utf-8'] = a;
        if (typeof text !== 'string' || typeof enc !== 'string') this.corrupt(`${name} arguments are not strings`);
        const e = enc.toLowerCase().replace(/_/g, '-');
        if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') {
          const out = new Uint8Array(text.length);
          for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i);
            if (c > 255) this.corrupt(`${name}: character U+${c.toString(16)} is not latin-1`);
            out[i] = c;
          }
          return new PyBytes(out, 'bytes');
        }
        if (e === 'utf-8' || e === 'utf8') return new PyBytes(new TextEncoder().encode(text), 'bytes');
        this.corrupt(`${name} with encoding '${enc}' is not supported`);
        break;
      }
      case 'bytearray': {
        arity(0, 1);
        const src = a[0];
        if (src === undefined) return new PyBytes(new Uint8Array(0), 'bytearray');
        if (src instanceof PyBytes) return new PyBytes(src.bytes, 'bytearray');
        this.corrupt(`${name} argument is ${typeName(src)}`);
        break;
      }
      case 'complex': {
        arity(0, 2);
        const re = a[0] ?? 0;
        const im = a[1] ?? 0;
        const num = (x: PyValue): number => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : this.corrupt(`${name} argument is ${typeName(x)}`));
        const r = num(re);
        const i = num(im);
        return new PyOpaque('complex', `(${pyFloatRepr(r)}${i < 0 || Object.is(i, -0) ? '-' : '+'}${pyFloatRepr(Math.abs(i))}j)`);
      }
      default:
        // storage types, dtypes, tensor classes, qschemes: allowed as values, never called here.
        this.refuse(`calling '${name}' is not allowed`);
    }
  }

  private parameter(data: PyValue, requiresGrad: PyValue, name: string): PyValue {
    if (data instanceof PyTensor) return data.with({ parameter: true, requiresGrad: this.flag(requiresGrad, name, 'requires_grad') });
    if (data instanceof PyOpaque && data.typeName === 'Tensor') return data;
    this.corrupt(`${name} data argument is ${typeName(data)}, not a tensor`);
  }

  private flag(v: PyValue, name: string, what: string): boolean {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'bigint' && (v === 0n || v === 1n)) return v === 1n;
    this.corrupt(`${name} ${what} argument is ${typeName(v)}, not a bool`);
  }

  /** A non-negative safe integer argument (offsets, dims, strides, numel). */
  private count(v: PyValue, name: string, what: string): number {
    if (typeof v !== 'bigint') this.corrupt(`${name} ${what} is ${typeName(v)}, not an int`);
    if (v < 0n) this.corrupt(`${name} ${what} ${v} is negative`);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.corrupt(`${name} ${what} ${v} is impossibly large`);
    return Number(v);
  }

  private dims(v: PyValue, name: string, what: string): number[] {
    if (!(v instanceof PyTuple || v instanceof PyList)) this.corrupt(`${name} ${what} is ${typeName(v)}, not a tuple`);
    if (v.items.length > MAX_TENSOR_RANK) this.corrupt(`${name} ${what} has ${v.items.length} dimensions (torch allows ${MAX_TENSOR_RANK})`);
    return v.items.map((x, i) => this.count(x, name, `${what}[${i}]`));
  }

  private tensor(
    name: string,
    storage: PyValue,
    offset: PyValue,
    size: PyValue,
    stride: PyValue,
    requiresGrad: boolean,
    v3DType: string | undefined,
  ): PyTensor {
    if (!(storage instanceof PyStorage)) this.corrupt(`${name} storage argument is ${typeName(storage)}, not a storage reference`);
    const shape = this.dims(size, name, 'size');
    const strides = this.dims(stride, name, 'stride');
    if (shape.length !== strides.length) {
      this.corrupt(`${name} size [${shape.join(', ')}] and stride [${strides.join(', ')}] differ in length`);
    }
    const off = this.count(offset, name, 'storage offset');
    let dtype = storage.info.dtype;
    let torchDType = storage.info.torchDType;
    if (v3DType !== undefined) {
      dtype = TORCH_DTYPES[v3DType]?.dtype;
      torchDType = v3DType;
    }
    return new PyTensor(storage, dtype, torchDType, off, shape, strides, requiresGrad, false);
  }

  // --- persistent ids ----------------------------------------------------------------------------

  private persistentLoad(pid: PyValue): PyStorage {
    if (!(pid instanceof PyTuple) || pid.items.length === 0) {
      this.refuse(`persistent id ${typeName(pid)} is not a storage reference`);
    }
    const tag = pid.items[0];
    const tagText = tag instanceof PyBytes ? latin1.decode(tag.bytes) : tag;
    if (tagText !== 'storage') {
      this.refuse(`persistent id of kind ${typeof tagText === 'string' ? `'${tagText.slice(0, 40)}'` : typeName(tag!)} is not a storage reference`);
    }
    const items = pid.items;
    if (items.length !== 5 && items.length !== 6) this.corrupt(`storage persistent id has ${items.length} items, expected 5 or 6`);
    const [, type, rawKey, location, rawNumel, viewMeta] = items;
    if (!(type instanceof PyGlobal) || type.role !== 'storage') {
      this.corrupt(`storage persistent id names ${type instanceof PyGlobal ? `'${type.qualified}'` : typeName(type!)}, not a storage type`);
    }
    const info = STORAGE_TYPES[type.name];
    if (!info) this.corrupt(`storage persistent id names '${type.qualified}', which has no element type`);
    const key = this.storageKey(rawKey!);
    if (typeof location !== 'string') this.corrupt(`storage '${key}' location is ${typeName(location!)}`);
    const numel = this.count(rawNumel!, `storage '${key}'`, 'element count');
    let view: PyStorage['view'];
    if (viewMeta !== undefined && viewMeta !== null) {
      if (!(viewMeta instanceof PyTuple) || viewMeta.items.length !== 3) this.corrupt(`storage '${key}' view metadata is not a (key, offset, size) tuple`);
      const [vk, vo, vn] = viewMeta.items;
      view = {
        key: this.storageKey(vk!),
        offset: this.count(vo!, `storage view of '${key}'`, 'offset'),
        numel: this.count(vn!, `storage view of '${key}'`, 'size'),
      };
    }
    const storage = new PyStorage(key, type.qualified, info, location, numel, view);
    this.options.onStorage?.(storage);
    return storage;
  }

  private storageKey(k: PyValue): string {
    if (typeof k === 'string') {
      if (k.length === 0 || k.length > 256) this.corrupt(`storage key of length ${k.length}`);
      return k;
    }
    if (typeof k === 'bigint') return k.toString();
    this.corrupt(`storage key is ${typeName(k)}, not a string`);
  }
}

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

/** Python's `str()` of a dict key (the corpus key rule: `str(key)`). */
export function pyStr(v: PyValue): string {
  if (typeof v === 'string') return v;
  return pyRepr(v, 0);
}

function pyRepr(v: PyValue, depth: number): string {
  if (depth > MAX_KEY_DEPTH) return '...';
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False';
    case 'bigint':
      return v.toString();
    case 'number':
      return pyFloatRepr(v);
    case 'string':
      return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
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

/** Decodes Python 2 string-literal escapes (a bytes literal's rules) to a string of byte values (undefined on a bad escape). */
function decodePy2Escapes(s: string): string | undefined {
  const d = decodePyEscapes(s, 'bytes');
  return d.ok ? d.value : undefined;
}

/** Python's raw-unicode-escape (protocol 0 UNICODE): only \uXXXX and \UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u: string | undefined, U: string | undefined) => {
    const cp = parseInt((u ?? U)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}
