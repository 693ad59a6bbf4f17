/**
 * A generic pickle machine that never executes anything, with a budget.
 *
 * Why a machine of our own: a pickle is a program (GLOBAL imports any callable, REDUCE calls it), so the only
 * safe reader is one where every callable is an inert tag interpreted by code we wrote. This module knows
 * pickle's opcodes and Python's container semantics only; what a global, a call, a BUILD or a persistent id
 * means comes from {@link PickleHooks} (torch's meanings are in `torchRebuild.ts` / `torchSerialization.ts`,
 * wired by `../pickle.ts`), like CPython's `Unpickler.find_class` / `persistent_load`.
 *
 * Bounded: every read is bounds-checked (a truncated or corrupt pickle is a `bad-header` TensorFileError, never
 * a RangeError; lengths are checked against the remaining bytes before anything is sliced), and what the
 * machine allocates is charged, in estimated bytes (`cost.ts`), against a budget of a small multiple of the
 * pickle's size with a fixed ceiling ({@link pickleBudget}). A value costs tens of bytes while the opcode that
 * makes it can be one byte, so a per-opcode count would let a flood cost a hundred times its size; counting
 * bytes, the refusal comes at the first opcode past the budget, at the same memory for every kind of flood.
 * The stack is one array with MARK positions kept as integers (as CPython does), so MARK costs one number and
 * deep nesting no JavaScript recursion.
 *
 * Opcodes: all of protocols 0–5 except out-of-band buffers (NEXT_BUFFER) and the extension registry
 * (EXT1/2/4), which a tensor file never uses and which are refused.
 */
import { describeBytes, fail } from '../bytes';
import { costOf, ENTRY_COST, keyCost, SLOT_COST, STACK_SLOT_COST } from './cost';
import { decodePyEscapes } from '../pyString';
import { depthOf, PyBytes, PyDict, PyGlobal, PyList, PyOpaque, PySet, PyStorage, PyTensor, PyTuple, typeName, type PyValue } from './values';
import { memoReads } from './memoReads';

/** What the machine asks of the format that uses it (CPython: `find_class`, `persistent_load`, REDUCE, BUILD). */
export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL / INST: the value `module.name` stands for; must refuse what is not allowed. */
  findClass(module: string, name: string, m: PickleMachine): PyValue;
  /** REDUCE: `func(*args)`. */
  call(func: PyValue, args: PyValue, how: string, m: PickleMachine): PyValue;
  /** NEWOBJ / NEWOBJ_EX / INST / OBJ: `cls(*args, **kwargs)`. */
  instantiate(cls: PyValue, args: PyValue, how: string, kwargs: PyValue | undefined, m: PickleMachine): PyValue;
  /** BUILD: `inst.__setstate__(state)`. */
  build(inst: PyValue, state: PyValue, m: PickleMachine): void;
  /** PERSID (text id) / BINPERSID (any value). */
  persistentLoad(pid: PyValue, how: 'PERSID' | 'BINPERSID', m: PickleMachine): PyValue;
}

/** What hooks may use of the machine: its errors and Python's dict-key equality. */
export interface PickleMachine {
  readonly fileName: string;
  readonly label: string;
  /** A `bad-header` error at the current opcode. */
  corrupt(problem: string): never;
  /** An `unsafe-pickle` refusal; the problem text follows `refuse to unpickle:`. */
  refuse(problem: string): never;
  /** A string equal for equal Python keys (1 == 1.0 == True); refuses unhashable keys. */
  hashKey(k: PyValue, depth: number): string;
  /** `d[k] = v` for each (k, v) pair of `items`, as Python does (first key object and position kept). */
  setItems(d: PyDict, items: readonly PyValue[], what: string): void;
  /** `s.add(item)`. */
  addToSet(s: PySet, item: PyValue): void;
  /** Charges `bytes` a hook allocates (copies) against the budget; refuses past it. */
  charge(bytes: number): void;
  /**
   * One frozen array for equal lists of sizes or strides: a checkpoint's tensors share a few shapes, so two
   * arrays per tensor would mostly hold copies.
   */
  intern(dims: number[]): readonly number[];
}

export interface MachineOptions {
  /** For error messages (TensorFileError.fileName). */
  fileName: string;
  /** What is being read, for messages: `data.pkl`, `legacy object pickle`. */
  label: string;
  hooks: PickleHooks;
  /** Overrides the size-derived budget (tests). */
  budget?: Partial<PickleBudget>;
}

export interface UnpickleResult {
  value: PyValue;
  /** Byte offset just after STOP (the next pickle of a legacy stream starts there). */
  end: number;
}

/**
 * The machine's limits for a pickle of `byteLength` bytes. A real writer's pickle fits with room to spare
 * (torch's state_dict pickles cost about 6.5 estimated bytes per byte, much of it garbage by the end), while a
 * flood of one-byte opcodes, each making a value of tens of bytes, is refused after a fraction of its bytes.
 */
export interface PickleBudget {
  /** MARKs open at once (nesting of tuples/lists/dicts being built). */
  marks: number;
  /** Items on the stack at once (Python's pickler has a container's items and the nesting's on it). */
  stack: number;
  /** Memo entries. */
  memo: number;
  /**
   * Estimated bytes allocated (`cost.ts`): every value made, stack and kept memo slot, container item and dict
   * or set entry, hash key, and the copies hooks make. Only what is surely garbage is given back (a popped stack
   * slot, an argument tuple a call alone held); the rest stays counted, so the budget bounds the work as well
   * as the memory.
   */
  bytes: number;
}

/** The allowance any pickle has, whatever its size. */
const BASE_BYTES = 16 << 20;
/** Estimated bytes per byte of pickle. */
const BYTES_PER_BYTE = 16;
/**
 * The ceiling, whatever the size: with V8's overheads (arrays growing by half, the young generation) the real
 * peak stays well under 256 MB above the runtime. A 70,000-tensor state_dict needs under 40% of it.
 */
export const MAX_PICKLE_BYTES = 120 << 20;

export function pickleBudget(byteLength: number): PickleBudget {
  const n = Math.max(0, byteLength);
  return {
    // Python's pickler opens one MARK per container being written, so open MARKs never exceed the nesting
    // (under its recursion limit of ~1000): a few thousand is generous for any file.
    marks: 4096 + Math.floor(n / 4096),
    stack: 131072 + Math.floor(n / 8),
    memo: 65536 + Math.floor(n / 8),
    bytes: Math.min(MAX_PICKLE_BYTES, BASE_BYTES + BYTES_PER_BYTE * n),
  };
}

/**
 * Containers nested inside each other: Python's pickler recurses per level and stops at its recursion limit
 * (1000 by default), so no pickle it writes nests deeper. A chain of TUPLE1 or APPEND opcodes nests one level
 * per byte or two; refused here, at the first opcode past the limit, it costs nothing.
 */
const MAX_NESTING = 1000;

/** Nesting allowed for dict-key tuples. */
const MAX_KEY_DEPTH = 64;
/** Longest integer accepted (LONG4 bytes / LONG decimal digits): far beyond any real tensor file. */
const MAX_LONG_BYTES = 1 << 16;

const MARK_OP = 0x28;
/** Starts the hash key of every dict key but a str (and of a str that starts with it). */
const TAG = '\u0001';
const TAG_CODE = 1;
/** Distinct shapes interned per pickle (a few in a real checkpoint; past it, arrays are not shared). */
const MAX_INTERNED = 4096;
/** BININT1's values. */
const SMALL_INTS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));
const EMPTY_TUPLE = new PyTuple([]);
EMPTY_TUPLE.shared = true;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Reads one pickle starting at `start`; throws TensorFileError on anything else. */
export function runPickle(bytes: Uint8Array, start: number, options: MachineOptions): UnpickleResult {
  return new Machine(bytes, start, options).run();
}

class Machine implements PickleMachine {
  private pos: number;
  /** Start of the opcode being executed (for messages). */
  private opPos = 0;
  /**
   * The one stack, and the open MARKs as (stack length, how many MARKs at that length) runs: consecutive MARKs
   * cost one entry, so a MARK flood costs nothing but its count.
   */
  private readonly stack: PyValue[] = [];
  private readonly markAt: number[] = [];
  private readonly markRun: number[] = [];
  private openMarks = 0;
  /** Stack length at the innermost open MARK (0 when none): the current frame starts there. */
  private base = 0;
  /**
   * Which memo slots are taken: a bit each for the dense indices Python's pickler writes (grown as the count
   * grows), a set for any far beyond (a hand-made pickle may number its slots as it likes; the bits must not
   * grow with the largest index, which the memo budget allows up to a gigabit for a legacy file).
   */
  private memoTaken = new Uint8Array(1024);
  private readonly memoTakenFar = new Set<number>();
  private memoCount = 0;
  /** The memo slots the pickle ever reads (undefined: unknown, keep all); only their values are held. */
  private readonly memoRead: Set<number> | undefined;
  /** The values of the slots read, when those are known. */
  private readonly memoKept = new Map<number, PyValue>();
  /** Every slot's value by index, when the slots read are not known; `undefined` marks a hole. */
  private readonly memoAll: (PyValue | undefined)[] = [];
  /** Estimated bytes charged so far. */
  private spent = 0;
  /** Interned sizes and strides by their text. */
  private readonly dims = new Map<string, readonly number[]>();
  private readonly budget: PickleBudget;
  /** Identity hashes for tensors and storages used as dict keys (Python hashes them by id). */
  private readonly identities = new WeakMap<object, number>();
  private identityCount = 0;
  readonly fileName: string;
  readonly label: string;
  private readonly hooks: PickleHooks;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    options: MachineOptions,
  ) {
    this.pos = start;
    this.fileName = options.fileName;
    this.label = options.label;
    this.hooks = options.hooks;
    this.budget = { ...pickleBudget(bytes.length - start), ...options.budget };
    this.memoRead = memoReads(bytes, start, this.budget.memo);
  }

  // --- errors ------------------------------------------------------------------------------------

  corrupt(problem: string): never {
    fail('bad-header', this.fileName, `${this.label}: corrupt pickle at byte ${this.opPos}: ${problem}`);
  }

  private truncated(what: string): never {
    fail(
      'bad-header',
      this.fileName,
      `${this.label}: pickle ends early (${what} at byte ${this.opPos} runs past the ${this.bytes.length}-byte data): truncated or corrupt`,
    );
  }

  /** A weights-only refusal. The problem text starts with `refuse to unpickle:` and names the global. */
  refuse(problem: string): never {
    fail('unsafe-pickle', this.fileName, `refuse to unpickle: ${problem} (${this.label}, byte ${this.opPos})`);
  }

  intern(dims: number[]): readonly number[] {
    const k = dims.join(',');
    const known = this.dims.get(k);
    if (known) return known;
    const frozen = Object.freeze(dims);
    if (this.dims.size < MAX_INTERNED) this.dims.set(k, frozen);
    return frozen;
  }

  charge(bytes: number): void {
    if ((this.spent += bytes) > this.budget.bytes) {
      fail(
        'bad-header',
        this.fileName,
        `${this.label}: pickle refused at byte ${this.opPos}: unpickling it takes more than ${describeBytes(this.budget.bytes)} (the budget for a ${this.bytes.length}-byte pickle; an opcode flood, not a tensor file)`,
      );
    }
  }

  private overBudget(what: string, limit: number): never {
    fail(
      'bad-header',
      this.fileName,
      `${this.label}: pickle refused at byte ${this.opPos}: more than ${limit} ${what} (the budget for a ${this.bytes.length}-byte pickle; an opcode flood, not a tensor file)`,
    );
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

  /** Pushes a value the opcode made: its cost and a stack slot. */
  private push(v: PyValue): void {
    if (this.stack.length >= this.budget.stack) this.overBudget('items on the stack', this.budget.stack);
    this.charge(STACK_SLOT_COST + costOf(v));
    this.stack.push(v);
  }

  /** Pushes a value that already exists (DUP, memo GET): only a stack slot. */
  private pushShared(v: PyValue): void {
    if (this.stack.length >= this.budget.stack) this.overBudget('items on the stack', this.budget.stack);
    if (v instanceof PyTuple) v.shared = true;
    this.charge(STACK_SLOT_COST);
    this.stack.push(v);
  }

  /** Stack slots are given back when popped: their count is exact, unlike what becomes of the values. */
  private pop(what: string): PyValue {
    if (this.stack.length <= this.base) this.corrupt(`${what} on an empty stack`);
    this.spent -= STACK_SLOT_COST;
    return this.stack.pop()!;
  }

  /**
   * `args` was consumed by a call: a tuple nothing else references (the stack held it, no DUP or memo read) is
   * garbage now, and so are the tuples among its items that only it referenced (no callable keeps a tuple it
   * was given: each reads them, or copies their items), so their own cost is given back. torch pickles make
   * four such tuples per tensor (the persistent id, the rebuild's arguments, its size and stride).
   */
  private consumed(args: PyValue): void {
    if (!(args instanceof PyTuple) || args.shared) return;
    this.spent -= costOf(args);
    args.shared = true;
    for (const it of args.items) {
      if (it instanceof PyTuple && !it.shared) {
        this.spent -= costOf(it);
        it.shared = true;
      }
    }
  }

  private top(what: string): PyValue {
    if (this.stack.length <= this.base) this.corrupt(`${what} on an empty stack`);
    return this.stack[this.stack.length - 1]!;
  }

  private mark(): void {
    if (this.openMarks >= this.budget.marks) this.overBudget('MARKs open at once', this.budget.marks);
    this.openMarks++;
    const top = this.markAt.length - 1;
    if (top >= 0 && this.markAt[top] === this.stack.length) this.markRun[top]!++;
    else {
      this.markAt.push(this.stack.length);
      this.markRun.push(1);
    }
    this.base = this.stack.length;
  }

  /** The items above the innermost MARK, which is closed. */
  private popMark(what: string): PyValue[] {
    const top = this.markAt.length - 1;
    if (top < 0) this.corrupt(`${what} without a MARK`);
    const at = this.markAt[top]!;
    if (--this.markRun[top]! === 0) {
      this.markAt.pop();
      this.markRun.pop();
    }
    this.openMarks--;
    const items = this.stack.length === at ? [] : this.stack.splice(at);
    this.spent -= STACK_SLOT_COST * items.length;
    this.base = this.markAt.length > 0 ? this.markAt[this.markAt.length - 1]! : 0;
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
          this.mark();
          break;
        case 0x30: // POP
          if (this.stack.length > this.base) this.pop('POP');
          else this.popMark('POP');
          break;
        case 0x31: // POP_MARK
          this.popMark('POP_MARK');
          break;
        case 0x32: // DUP
          this.pushShared(this.top('DUP'));
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
          this.memoPut(this.memoCount);
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
        case 0x4b: // BININT1: V8 makes a new BigInt each time; these 256 are made once
          this.pushShared(SMALL_INTS[this.u8('BININT1 argument')]!);
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
          this.push(decodeUtf8SurrogatePass(this.take(this.uint(4, 'BINUNICODE length'), 'BINUNICODE data')));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(decodeUtf8SurrogatePass(this.take(this.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE data')));
          break;
        case 0x8d: // BINUNICODE8
          this.push(decodeUtf8SurrogatePass(this.take(this.uint(8, 'BINUNICODE8 length'), 'BINUNICODE8 data')));
          break;
        case 0x56: // UNICODE (text, raw-unicode-escape)
          this.push(decodeRawUnicodeEscape(this.line('UNICODE')));
          break;
        case 0x54: {
          // BINSTRING: a Python 2 str; torch.load decodes these as UTF-8.
          const n = this.int32('BINSTRING length');
          if (n < 0) this.corrupt(`BINSTRING has negative length ${n}`);
          this.push(decodeUtf8SurrogatePass(this.take(n, 'BINSTRING data')));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(decodeUtf8SurrogatePass(this.take(this.u8('SHORT_BINSTRING length'), 'SHORT_BINSTRING data')));
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
        case 0x29: // EMPTY_TUPLE: immutable, so one serves every use (as in CPython)
          this.pushShared(EMPTY_TUPLE);
          break;
        case 0x74: // TUPLE
          this.push(this.nest(new PyTuple(this.popMark('TUPLE'))));
          break;
        case 0x85: {
          // TUPLE1
          const a = this.pop('TUPLE1');
          this.push(this.nest(new PyTuple([a])));
          break;
        }
        case 0x86: {
          // TUPLE2
          const b = this.pop('TUPLE2');
          const a = this.pop('TUPLE2');
          this.push(this.nest(new PyTuple([a, b])));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop('TUPLE3');
          const b = this.pop('TUPLE3');
          const a = this.pop('TUPLE3');
          this.push(this.nest(new PyTuple([a, b, c])));
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push(new PyList([]));
          break;
        case 0x6c: // LIST
          this.push(this.nest(new PyList(this.popMark('LIST'))));
          break;
        case 0x61: {
          // APPEND
          const item = this.pop('APPEND');
          const list = this.listTarget('APPEND');
          this.charge(SLOT_COST);
          list.items.push(item);
          this.deepen(list, item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark('APPENDS');
          const list = this.listTarget('APPENDS');
          this.charge(SLOT_COST * items.length);
          for (const it of items) {
            list.items.push(it);
            this.deepen(list, it);
          }
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
          this.push(this.nest(d, items));
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
          for (const it of items) {
            this.addToSet(s, it);
            this.deepen(s, it);
          }
          break;
        }
        case 0x91: {
          // FROZENSET
          const items = this.popMark('FROZENSET');
          const s = new PySet(true);
          for (const it of items) this.addToSet(s, it);
          this.push(this.nest(s, items));
          break;
        }

        // globals and calls: the only risky opcodes
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.utf8Line('GLOBAL module');
          const name = this.utf8Line('GLOBAL name');
          this.push(this.hooks.findClass(module, name, this));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop('STACK_GLOBAL');
          const module = this.pop('STACK_GLOBAL');
          if (typeof module !== 'string' || typeof name !== 'string') {
            this.corrupt(`STACK_GLOBAL needs two strings, got ${typeName(module)} and ${typeName(name)}`);
          }
          this.push(this.hooks.findClass(module, name, this));
          break;
        }
        case 0x69: {
          // INST "module\nname\n" + MARK args: a call of the class
          const module = this.utf8Line('INST module');
          const name = this.utf8Line('INST name');
          const g = this.hooks.findClass(module, name, this);
          this.push(this.hooks.instantiate(g, new PyTuple(this.popMark('INST')), 'INST', undefined, this));
          break;
        }
        case 0x6f: {
          // OBJ: MARK cls args... OBJ
          const items = this.popMark('OBJ');
          if (items.length === 0) this.corrupt('OBJ without a class');
          this.push(this.hooks.instantiate(items[0]!, new PyTuple(items.slice(1)), 'OBJ', undefined, this));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop('REDUCE');
          const func = this.pop('REDUCE');
          this.push(this.hooks.call(func, args, 'REDUCE', this));
          this.consumed(args);
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop('NEWOBJ');
          const cls = this.pop('NEWOBJ');
          this.push(this.hooks.instantiate(cls, args, 'NEWOBJ', undefined, this));
          this.consumed(args);
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop('NEWOBJ_EX');
          const args = this.pop('NEWOBJ_EX');
          const cls = this.pop('NEWOBJ_EX');
          this.push(this.hooks.instantiate(cls, args, 'NEWOBJ_EX', kwargs, this));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop('BUILD');
          this.hooks.build(this.top('BUILD'), state, this);
          break;
        }
        case 0x50: // PERSID (text)
          this.push(this.hooks.persistentLoad(this.line('PERSID'), 'PERSID', this));
          break;
        case 0x51: {
          // BINPERSID
          const pid = this.pop('BINPERSID');
          this.push(this.hooks.persistentLoad(pid, 'BINPERSID', this));
          this.consumed(pid);
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
    const v = this.top('memo PUT');
    // Python's pickler numbers memo slots 0, 1, 2, …: an index at or past the budget's count of entries is no
    // pickle of this size (and would make the memo sparse, slow and large).
    if (i >= this.budget.memo) {
      if (this.memoCount >= this.budget.memo) this.overBudget('memo entries', this.budget.memo);
      fail(
        'bad-header',
        this.fileName,
        `${this.label}: pickle refused at byte ${this.opPos}: memo index ${i} is past the ${this.budget.memo} memo entries a ${this.bytes.length}-byte pickle can have`,
      );
    }
    if (!this.memoIsTaken(i)) {
      if (this.memoCount >= this.budget.memo) this.overBudget('memo entries', this.budget.memo);
      this.memoTake(i);
      this.memoCount++;
    }
    // A slot nothing reads is only marked taken (for the count and MEMOIZE's numbering): its value is not held.
    if (this.memoRead === undefined) {
      if (this.memoAll[i] === undefined) this.charge(SLOT_COST);
      if (v instanceof PyTuple) v.shared = true;
      this.memoAll[i] = v;
    } else if (this.memoRead.has(i)) {
      if (!this.memoKept.has(i)) this.charge(ENTRY_COST);
      if (v instanceof PyTuple) v.shared = true;
      this.memoKept.set(i, v);
    }
  }

  private memoIsTaken(i: number): boolean {
    return i >> 3 < this.memoTaken.length ? (this.memoTaken[i >> 3]! & (1 << (i & 7))) !== 0 : this.memoTakenFar.has(i);
  }

  private memoTake(i: number): void {
    if (i >> 3 >= this.memoTaken.length && i >> 3 < 2 * (this.memoCount + 8192)) {
      const grown = new Uint8Array(Math.max(2 * this.memoTaken.length, (i >> 3) + 1));
      grown.set(this.memoTaken);
      // Indices now within the bits move there.
      for (const j of this.memoTakenFar) {
        if (j >> 3 < grown.length) {
          grown[j >> 3]! |= 1 << (j & 7);
          this.memoTakenFar.delete(j);
        }
      }
      this.memoTaken = grown;
    }
    if (i >> 3 < this.memoTaken.length) this.memoTaken[i >> 3]! |= 1 << (i & 7);
    else {
      this.charge(ENTRY_COST);
      this.memoTakenFar.add(i);
    }
  }

  private memoGet(i: number): void {
    const v = this.memoRead === undefined ? this.memoAll[i] : this.memoKept.get(i);
    if (v === undefined) {
      // Every index a GET names was found by memoReads, so a taken slot holds its value.
      if (this.memoRead !== undefined && this.memoIsTaken(i)) throw new Error(`memo slot ${i} was read but not kept`);
      this.corrupt(`memo key ${i} was never stored`);
    }
    this.pushShared(v);
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

  /** `c` with its nesting depth set from `items` (its own items by default); refused past {@link MAX_NESTING}. */
  private nest<T extends PyList | PyTuple | PyDict | PySet>(c: T, items: readonly PyValue[] = (c as PyList | PyTuple).items): T {
    let d = 0;
    for (const it of items) {
      const x = depthOf(it);
      if (x > d) d = x;
    }
    this.setDepth(c, d + 1);
    return c;
  }

  /** `item` was put into `c`: `c` is at least one deeper than it. */
  private deepen(c: PyList | PyDict | PySet, item: PyValue): void {
    const d = depthOf(item) + 1;
    if (d > c.depth) this.setDepth(c, d);
  }

  private setDepth(c: PyList | PyTuple | PyDict | PySet, d: number): void {
    if (d > MAX_NESTING) {
      fail('bad-header', this.fileName, `${this.label}: pickle refused at byte ${this.opPos}: containers nested more than ${MAX_NESTING} deep (Python's pickler cannot write that; a nesting flood)`);
    }
    c.depth = d;
  }

  setItems(d: PyDict, items: readonly PyValue[], what: string): void {
    if (items.length % 2 !== 0) this.corrupt(`${what} with an odd number (${items.length}) of keys and values`);
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      this.deepen(d, items[i + 1]!);
      const h = this.hashKey(key, 0);
      this.charge(ENTRY_COST + keyCost(h));
      const old = d.entries.get(h);
      // Python keeps the first key object and position, replacing only the value.
      d.entries.set(h, { key: old ? old.key : key, value: items[i + 1]! });
    }
  }

  addToSet(s: PySet, item: PyValue): void {
    const h = this.hashKey(item, 0);
    this.charge(ENTRY_COST + keyCost(h));
    s.items.set(h, item);
  }

  /**
   * A string that is equal for equal Python keys (1 == 1.0 == True); refuses unhashable keys. A str key is its
   * own hash (no copy per dict entry: a state_dict's keys are most of its strings) unless it starts with
   * {@link TAG}, which starts every other kind's hash.
   */
  hashKey(k: PyValue, depth: number): string {
    if (typeof k === 'string') return k.charCodeAt(0) === TAG_CODE ? `${TAG}s${k}` : k;
    if (k === null) return `${TAG}N`;
    if (typeof k === 'boolean') return k ? `${TAG}i1` : `${TAG}i0`;
    if (typeof k === 'bigint') return `${TAG}i${k}`;
    if (typeof k === 'number') return Number.isInteger(k) ? `${TAG}i${BigInt(k)}` : `${TAG}f${k}`;
    if (k instanceof PyBytes) return `${TAG}b${latin1.decode(k.bytes)}`;
    if (k instanceof PyTuple) {
      if (k.hashKey !== undefined) return k.hashKey;
      if (depth > MAX_KEY_DEPTH) this.corrupt(`dict key nested more than ${MAX_KEY_DEPTH} tuples deep`);
      const h = `${TAG}t${JSON.stringify(k.items.map((x) => this.hashKey(x, depth + 1)))}`;
      k.hashKey = h;
      return h;
    }
    if (k instanceof PyGlobal) return `${TAG}g${k.qualified}`;
    if (k instanceof PyOpaque) return `${TAG}o${k.typeName}:${k.text}`;
    if (k instanceof PySet && k.frozen) return (k.hashKey ??= `${TAG}z${JSON.stringify([...k.items.keys()].sort())}`);
    if (k instanceof PyTensor || k instanceof PyStorage) {
      let id = this.identities.get(k);
      if (id === undefined) this.identities.set(k, (id = this.identityCount++));
      return `${TAG}@${id}`;
    }
    this.corrupt(`unhashable dict key of type ${typeName(k)}`);
  }

}

/** Strings up to this many bytes are checked for ASCII and made without the decoder. */
const SHORT_TEXT = 64;

/**
 * UTF-8 as pickle decodes it (`'utf-8', 'surrogatepass'`): a lone surrogate encoded as three bytes (ED A0..BF xx)
 * becomes that UTF-16 code unit; any other invalid sequence becomes U+FFFD.
 */
export function decodeUtf8SurrogatePass(b: Uint8Array): string {
  if (b.length <= SHORT_TEXT) {
    // Most pickle strings are short ASCII names: made directly, without TextDecoder's per-call cost (a flood of
    // one-character strings spent most of its time there).
    let ascii = true;
    for (let k = 0; k < b.length; k++) if (b[k]! >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  let i = b.indexOf(0xed);
  if (i < 0) return utf8.decode(b);
  let out = '';
  let from = 0;
  for (; i >= 0 && i + 2 < b.length; i = b.indexOf(0xed, i + 1)) {
    const b1 = b[i + 1]!;
    const b2 = b[i + 2]!;
    if (b1 < 0xa0 || b1 > 0xbf || (b2 & 0xc0) !== 0x80) continue;
    out += utf8.decode(b.subarray(from, i)) + String.fromCharCode(0xd000 | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
    from = i + 3;
    i += 2;
  }
  return out + utf8.decode(b.subarray(from));
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
