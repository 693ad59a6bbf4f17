// The weights-only pickle machine (src/readers/pickle.ts) on hand-built byte sequences: values and memo,
// frames, protocol-0 text opcodes, every refused form of global/call, and corrupt or truncated input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  ALLOWED_GLOBALS,
  PyBytes,
  PyDict,
  PyGlobal,
  PyList,
  PyOpaque,
  PySet,
  PyStorage,
  PyTensor,
  PyTuple,
  pyFloatRepr,
  pickleBudget,
  MAX_PICKLE_BYTES,
  decodeUtf8SurrogatePass,
  pyStr,
  unpickle,
  type PyValue,
} from '../../src/readers/pickle';
import { TensorFileError } from '../../src/readers/types';
import { openZip } from '../../src/readers/zip';
import { DEFAULT_LIMITS } from '../../src/readers/types';
import { corpusDir, repoRoot } from './corpus-manifest';

type Part = number | string | Uint8Array | readonly Part[];

/** Bytes from numbers (opcodes, raw bytes), strings (UTF-8), byte arrays and nested lists of those. */
function P(...parts: Part[]): Uint8Array {
  const bytes: number[] = [];
  const add = (p: Part): void => {
    if (typeof p === 'number') bytes.push(p);
    else if (typeof p === 'string') bytes.push(...new TextEncoder().encode(p));
    else if (p instanceof Uint8Array) for (const b of p) bytes.push(b);
    else for (const q of p) add(q);
  };
  parts.forEach(add);
  return Uint8Array.from(bytes);
}

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: number): number[] => [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))];
const bu = (s: string): (number | string)[] => [0x58, ...u32(new TextEncoder().encode(s).length), s]; // BINUNICODE
const su = (s: string): (number | string)[] => [0x8c, new TextEncoder().encode(s).length, s]; // SHORT_BINUNICODE
const G = (module: string, name: string): (number | string)[] => [0x63, `${module}\n${name}\n`]; // GLOBAL
const K = (n: number): number[] => [0x4b, n]; // BININT1
const PROTO2 = [0x80, 2];

function load(bytes: Uint8Array): PyValue {
  return unpickle(bytes, 0, { fileName: 'x.pkl', label: 'test pickle' }).value;
}

function fails(bytes: Uint8Array, kind: string, pattern?: RegExp): TensorFileError {
  let caught: unknown;
  try {
    load(bytes);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TensorFileError, `expected TensorFileError(${kind}), got ${caught === undefined ? 'a value' : String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.ok(caught.message.startsWith('x.pkl: '), caught.message);
  if (pattern) assert.match(caught.problem, pattern);
  return caught;
}

/** Plain JS for assertions: dicts → [key, value] pairs, tuples/lists → arrays (tuples tagged). */
function js(v: PyValue): unknown {
  if (v instanceof PyDict) return { [v.typeName]: [...v.entries.values()].map(({ key, value }) => [js(key), js(value)]) };
  if (v instanceof PyList) return v.items.map(js);
  if (v instanceof PyTuple) return { tuple: v.items.map(js) };
  if (v instanceof PySet) return { set: [...v.items.values()].map(js) };
  if (v instanceof PyBytes) return { [v.typeName]: [...v.bytes] };
  if (v instanceof PyGlobal) return { global: v.qualified };
  if (v instanceof PyOpaque) return { [v.typeName]: v.text };
  return v;
}

describe('values', () => {
  test('scalars of protocol 2', () => {
    const b = P(PROTO2, 0x5d, 0x28, 0x4e, 0x88, 0x89, K(255), 0x4d, 0x34, 0x12, 0x4a, ...u32(-5 >>> 0), 0x8a, 0, 0x8a, 9, [0, 0, 0, 0, 0, 0, 0, 0, 1],
      0x8a, 2, [0xff, 0x7f], 0x8a, 1, [0x80], 0x47, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], 0x47, [0x7f, 0xf8, 0, 0, 0, 0, 0, 0], bu('é'), su('ab'), 0x65, 0x2e);
    assert.deepEqual(js(load(b)), [null, true, false, 255n, 0x1234n, -5n, 0n, 2n ** 64n, 0x7fffn, -128n, 1.5, NaN, 'é', 'ab']);
  });

  test('containers: tuples of every arity, dict insertion order, repeated keys keep their position', () => {
    const b = P(PROTO2, 0x7d, 0x28, su('b'), 0x29, su('a'), K(1), 0x85, su('b'), K(1), K(2), 0x86, su('c'), K(1), K(2), K(3), 0x87, 0x75, 0x2e);
    assert.deepEqual(js(load(b)), {
      dict: [
        ['b', { tuple: [1n, 2n] }],
        ['a', { tuple: [1n] }],
        ['c', { tuple: [1n, 2n, 3n] }],
      ],
    });
  });

  test('1, 1.0 and True are one dict key, as in Python', () => {
    const b = P(PROTO2, 0x7d, 0x28, K(1), su('int'), 0x47, [0x3f, 0xf0, 0, 0, 0, 0, 0, 0], su('float'), 0x88, su('bool'), 0x75, 0x2e);
    assert.deepEqual(js(load(b)), { dict: [[1n, 'bool']] });
  });

  test('a str key is its own hash, and never equals a key of another kind (even one starting with the tag)', () => {
    // {'\x01N': 1, None: 2, 'i1': 3, 1: 4, 'a': 5, b'a': 6, '\x01sx': 7, '\x01': 8}
    const b = P([0x80, 3], 0x7d, 0x28, su('\u0001N'), K(1), 0x4e, K(2), su('i1'), K(3), K(1), K(4), su('a'), K(5), 0x43, 1, 'a', K(6),
      su('\u0001sx'), K(7), su('\u0001'), K(8), 0x75, 0x2e);
    const d = load(b);
    assert.ok(d instanceof PyDict);
    assert.equal(d.size, 8);
    assert.equal(d.entries.get('a')?.value, 5n);
  });

  test('tuple keys, sets, frozensets, bytes of protocols 3-5', () => {
    const b = P([0x80, 4], 0x7d, 0x28, K(1), su('a'), 0x86, 0x8f, 0x28, K(3), K(3), K(4), 0x90, su('fz'), 0x28, K(9), 0x91, su('bytes'),
      0x43, 2, [1, 2], su('b8'), 0x8e, ...u64(1), [7], su('ba'), 0x96, ...u64(0), 0x75, 0x2e);
    assert.deepEqual(js(load(b)), {
      dict: [
        [{ tuple: [1n, 'a'] }, { set: [3n, 4n] }],
        ['fz', { set: [9n] }],
        ['bytes', { bytes: [1, 2] }],
        ['b8', { bytes: [7] }],
        ['ba', { bytearray: [] }],
      ],
    });
  });

  test('unhashable dict keys are corrupt input', () => {
    fails(P(PROTO2, 0x7d, 0x5d, 0x4e, 0x73, 0x2e), 'bad-header', /unhashable dict key of type list/);
  });
});

describe('memo and frames', () => {
  test('BINPUT/BINGET, LONG_BINPUT/LONG_BINGET and MEMOIZE share one memo', () => {
    const b = P([0x80, 4], 0x5d, 0x94, 0x28, su('x'), 0x71, 7, 0x68, 7, su('y'), 0x72, ...u32(300), 0x6a, ...u32(300), 0x68, 0, 0x65, 0x2e);
    const v = load(b) as PyList;
    assert.deepEqual(v.items.slice(0, 4), ['x', 'x', 'y', 'y']);
    assert.equal(v.items[4], v, 'memo 0 is the list itself');
  });

  test('a memo key that was never stored is corrupt', () => {
    fails(P(PROTO2, 0x68, 3, 0x2e), 'bad-header', /memo key 3 was never stored/);
    fails(P(PROTO2, 0x6a, ...u32(2 ** 31), 0x2e), 'bad-header', /memo key 2147483648/);
  });

  test('frames are transparent; a frame longer than the data is truncation', () => {
    const inner = P(0x5d, 0x94, 0x28, K(1), K(2), 0x65, 0x2e);
    assert.deepEqual(js(load(P([0x80, 4], 0x95, ...u64(inner.length), inner))), [1n, 2n]);
    fails(P([0x80, 4], 0x95, ...u64(inner.length + 100), inner), 'bad-header', /FRAME of \d+ bytes/);
    fails(P([0x80, 4], 0x95, ...u64(2 ** 52), inner), 'bad-header');
  });

  test('the next pickle starts where STOP left off', () => {
    const two = P(PROTO2, K(1), 0x2e, PROTO2, K(2), 0x2e);
    const first = unpickle(two, 0, { fileName: 'x', label: 'a' });
    assert.equal(first.value, 1n);
    assert.equal(unpickle(two, first.end, { fileName: 'x', label: 'b' }).value, 2n);
  });
});

describe('protocol 0 and 1 text opcodes', () => {
  test('INT booleans, INT, LONG, FLOAT, STRING, UNICODE, PUT/GET, LIST, DICT, POP, DUP, POP_MARK', () => {
    const b = P(
      0x28, // MARK for LIST
      'I01\n', 'I00\n', 'I-42\n', 'L123456789012345678901234567890L\n', 'F1e-05\n', 'Finf\n',
      "S'a\\nb\\x41\\'q'\n", 'Vcaf\\u00e9 \\U0001f600\n',
      'p5\n', 'g5\n',
      0x28, 'I7\n', 0x31, // POP_MARK drops the MARK and 7
      'I8\n', 0x30, // POP
      'I9\n', 0x32, // DUP
      0x6c, // LIST
      0x28, 'S"k"\n', 'I1\n', 0x64, // DICT {'k': 1}
      0x86, 0x2e,
    );
    assert.deepEqual(js(load(b)), {
      tuple: [[true, false, -42n, 123456789012345678901234567890n, 1e-5, Infinity, "a\nbA'q", 'café 😀', 'café 😀', 9n, 9n], { dict: [['k', 1n]] }],
    });
  });

  test('malformed text arguments are corrupt, a missing newline is truncation', () => {
    fails(P('I12x\n.'), 'bad-header', /INT argument '12x'/);
    fails(P('Fone\n.'), 'bad-header', /FLOAT argument/);
    fails(P("S'unterminated\n."), 'bad-header', /STRING argument/);
    fails(P('g-1\n.'), 'bad-header', /not a memo index/);
    fails(P('I12'), 'bad-header', /INT line/);
  });
});

describe('globals and calls: only the allowlist, refused on the spot', () => {
  test('GLOBAL outside the allowlist names module.name', () => {
    const err = fails(P(PROTO2, G('os', 'system'), su('touch /tmp/x'), 0x85, 0x52, 0x2e), 'unsafe-pickle');
    assert.match(err.problem, /^refuse to unpickle: 'os\.system' is not an allowed global/);
  });

  test('STACK_GLOBAL, with its strings inline or from the memo', () => {
    fails(P([0x80, 4], su('builtins'), su('eval'), 0x93, 0x2e), 'unsafe-pickle', /^refuse to unpickle: 'builtins\.eval' is not an allowed global/);
    fails(P([0x80, 4], su('subprocess'), 0x94, su('Popen'), 0x94, 0x30, 0x30, 0x68, 0, 0x68, 1, 0x93, 0x2e), 'unsafe-pickle', /'subprocess\.Popen'/);
    fails(P([0x80, 4], K(1), su('x'), 0x93, 0x2e), 'bad-header', /STACK_GLOBAL needs two strings/);
  });

  test('INST and OBJ (protocol 0/1 instantiation)', () => {
    fails(P(0x28, "S'ls'\n", 'isubprocess\ncheck_output\n', 0x2e), 'unsafe-pickle', /'subprocess\.check_output' is not an allowed global/);
    fails(P(0x28, G('nt', 'system'), "S'x'\n", 0x6f, 0x2e), 'unsafe-pickle', /'nt\.system'/);
    // OrderedDict is allowed: INST of it builds an empty dict.
    assert.deepEqual(js(load(P(0x28, 'icollections\nOrderedDict\n', 0x2e))), { OrderedDict: [] });
  });

  test('the refusal comes before anything later in the stream is looked at', () => {
    // A refused global followed by an unknown opcode, by truncation, and by a broken persistent id.
    fails(P(PROTO2, G('posix', 'system'), 0xff), 'unsafe-pickle', /'posix\.system'/);
    fails(P(PROTO2, G('posix', 'system')), 'unsafe-pickle', /'posix\.system'/);
    fails(P(PROTO2, G('posix', 'system'), 0x4e, 0x51, 0x2e), 'unsafe-pickle', /'posix\.system'/);
  });

  test('Python 2 names map like pickle does: __builtin__.set is builtins.set, __builtin__.eval is refused', () => {
    assert.deepEqual(js(load(P(PROTO2, G('__builtin__', 'set'), 0x5d, 0x28, K(1), 0x65, 0x85, 0x52, 0x2e))), { set: [1n] });
    fails(P(PROTO2, G('__builtin__', 'eval'), 0x2e), 'unsafe-pickle', /'builtins\.eval'/);
  });

  test('allowed globals that are values, not functions, cannot be called', () => {
    fails(P(PROTO2, G('torch', 'FloatStorage'), 0x4a, ...u32(1e9), 0x85, 0x52, 0x2e), 'unsafe-pickle', /calling 'torch\.FloatStorage' is not allowed/);
    fails(P(PROTO2, G('torch', 'float32'), 0x29, 0x52, 0x2e), 'unsafe-pickle', /calling 'torch\.float32'/);
    fails(P(PROTO2, G('torch', 'Tensor'), 0x29, 0x52, 0x2e), 'unsafe-pickle', /calling 'torch\.Tensor'/);
    fails(P(PROTO2, G('torch.cuda', 'HalfStorage'), 0x29, 0x81, 0x2e), 'unsafe-pickle', /instantiating 'torch\.cuda\.HalfStorage'/);
    fails(P(PROTO2, K(3), 0x29, 0x52, 0x2e), 'unsafe-pickle', /REDUCE calls int/);
  });

  test('BUILD only on dicts (state_dict._metadata) and tensors; its state is dropped', () => {
    const od = load(P(PROTO2, G('collections', 'OrderedDict'), 0x29, 0x52, 0x7d, su('_metadata'), 0x7d, 0x73, 0x62, 0x2e));
    assert.deepEqual(js(od), { OrderedDict: [] });
    fails(P(PROTO2, 0x5d, 0x7d, 0x62, 0x2e), 'unsafe-pickle', /BUILD \(setting the state of list\)/);
  });

  test('the extension registry and out-of-band buffers are refused', () => {
    fails(P(PROTO2, 0x82, 1, 0x2e), 'unsafe-pickle', /extension registry code 1/);
    fails(P(PROTO2, 0x84, ...u32(77), 0x2e), 'unsafe-pickle', /extension registry code 77/);
    fails(P([0x80, 5], 0x97, 0x2e), 'bad-header', /out-of-band/);
  });

  test('benign allowed calls: _codecs.encode, torch.device, torch.Size, builtins.complex, bytearray', () => {
    const b = P(PROTO2, 0x5d, 0x28,
      G('_codecs', 'encode'), su('a\u00ff'), su('latin1'), 0x86, 0x52,
      G('torch', 'device'), su('cuda'), K(1), 0x86, 0x52,
      G('torch', 'device'), su('cpu'), 0x85, 0x52,
      G('torch', 'Size'), K(2), K(3), 0x86, 0x85, 0x52,
      G('builtins', 'complex'), 0x47, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], 0x47, [0xc0, 0, 0, 0, 0, 0, 0, 0], 0x86, 0x52,
      G('builtins', 'bytearray'), 0x43, 1, [9], 0x85, 0x52,
      G('torch', 'bfloat16'),
      0x65, 0x2e);
    assert.deepEqual(js(load(b)), [
      { bytes: [0x61, 0xff] },
      { device: 'cuda:1' },
      { device: 'cpu' },
      { tuple: [2n, 3n] },
      { complex: '(1.5-2.0j)' },
      { bytearray: [9] },
      { global: 'torch.bfloat16' },
    ]);
    fails(P(PROTO2, G('_codecs', 'encode'), su('x'), su('rot13'), 0x86, 0x52, 0x2e), 'bad-header', /encoding 'rot13'/);
  });

  test('the allowlist holds no module that can run code', () => {
    for (const name of ALLOWED_GLOBALS.keys()) {
      assert.match(name, /^(torch\.|collections\.(OrderedDict|Counter)$|builtins\.(set|bytearray|complex)$|_codecs\.encode$)/, name);
      assert.doesNotMatch(name, /\b(os|posix|nt|sys|subprocess|eval|exec|load|_load_from_bytes|getattr|apply)\b/, name);
    }
  });
});

/** `torch._utils.<fn>` called with `args` (protocol 2 bytes), inside MARK ... TUPLE REDUCE. */
const rebuild = (fn: string, ...args: Part[]): Uint8Array => P(PROTO2, G('torch._utils', fn), 0x28, ...args, 0x74, 0x52, 0x2e);
const pid = (type = 'FloatStorage', key = '0', numel: number[] = K(6)): (number | string)[] => [0x28, ...su('storage'), ...G('torch', type), ...su(key), ...su('cpu'), ...numel, 0x74, 0x51];
const shape2x3 = [...K(2), ...K(3), 0x86];
const stride3x1 = [...K(3), ...K(1), 0x86];
const HOOKS = [...G('collections', 'OrderedDict'), 0x29, 0x52];

describe('tensor descriptors and persistent ids', () => {
  test('_rebuild_tensor_v2 gives a descriptor; nothing is read', () => {
    const t = load(rebuild('_rebuild_tensor_v2', ...pid(), ...K(1), ...shape2x3, ...stride3x1, 0x88, ...HOOKS));
    assert.ok(t instanceof PyTensor);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual([t.offset, [...t.shape], [...t.stride], t.requiresGrad, t.parameter], [1, [2, 3], [3, 1], true, false]);
    assert.ok(t.storage instanceof PyStorage);
    assert.deepEqual([t.storage.key, t.storage.location, t.storage.numel], ['0', 'cpu', 6]);
  });

  test('Parameter via _rebuild_parameter, NEWOBJ and REDUCE', () => {
    const inner = [...G('torch._utils', '_rebuild_tensor'), 0x28, ...pid(), ...K(0), ...shape2x3, ...stride3x1, 0x74, 0x52];
    const viaRebuild = load(P(PROTO2, G('torch._utils', '_rebuild_parameter'), inner, 0x89, HOOKS, 0x87, 0x52, 0x2e)) as PyTensor;
    assert.deepEqual([viaRebuild.parameter, viaRebuild.requiresGrad], [true, false]);
    const viaNewobj = load(P(PROTO2, G('torch.nn.parameter', 'Parameter'), inner, 0x85, 0x81, 0x2e)) as PyTensor;
    assert.deepEqual([viaNewobj.parameter, viaNewobj.requiresGrad], [true, true]);
  });

  test('_rebuild_from_type_v2 with torch.Tensor unwraps; with any other class it is refused at GLOBAL', () => {
    const args = [0x28, ...pid(), ...K(0), ...shape2x3, ...stride3x1, 0x89, ...HOOKS, 0x74];
    const t = load(P(PROTO2, G('torch._tensor', '_rebuild_from_type_v2'), 0x28, G('torch._utils', '_rebuild_tensor_v2'), G('torch', 'Tensor'), args, 0x7d, 0x74, 0x52, 0x2e));
    assert.ok(t instanceof PyTensor);
    fails(P(PROTO2, G('torch._tensor', '_rebuild_from_type_v2'), G('torch._utils', '_rebuild_tensor_v2'), G('__main__', 'MyTensor')), 'unsafe-pickle', /'__main__\.MyTensor'/);
  });

  test('_rebuild_tensor_v3 reinterprets a byte storage with its dtype argument', () => {
    const t = load(rebuild('_rebuild_tensor_v3', ...pid('ByteStorage', '0', K(12)), ...K(0), ...shape2x3, ...stride3x1, 0x89, ...HOOKS, ...G('torch', 'uint16'))) as PyTensor;
    assert.deepEqual([t.dtype, t.storage.info.dtype], ['uint16', 'uint8']);
  });

  test('weird rebuild arguments are corrupt input, never an exception of another kind', () => {
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), ...shape2x3, ...stride3x1), 'bad-header', /takes 6 to 7 arguments, got 4/);
    fails(rebuild('_rebuild_tensor_v2', ...K(5), ...K(0), ...shape2x3, ...stride3x1, 0x89, ...HOOKS), 'bad-header', /storage argument is int/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), ...K(6), ...stride3x1, 0x89, ...HOOKS), 'bad-header', /size is int, not a tuple/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), ...shape2x3, ...K(1), 0x85, 0x89, ...HOOKS), 'bad-header', /differ in length/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), 0x4a, ...u32(-1 >>> 0), ...shape2x3, ...stride3x1, 0x89, ...HOOKS), 'bad-header', /storage offset -1 is negative/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), 0x28, ...K(2), 0x4a, ...u32(-3 >>> 0), 0x74, ...stride3x1, 0x89, ...HOOKS), 'bad-header', /size\[1\] -3 is negative/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), 0x8a, 9, [0, 0, 0, 0, 0, 0, 0, 0, 1], 0x85, ...K(1), 0x85, 0x89, ...HOOKS), 'bad-header', /impossibly large/);
    const rank65 = [0x28, ...Array.from({ length: 65 }, () => K(1)).flat(), 0x74];
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), ...rank65, ...rank65, 0x89, ...HOOKS), 'bad-header', /65 dimensions/);
    fails(rebuild('_rebuild_tensor_v2', ...pid(), ...K(0), ...shape2x3, ...stride3x1, ...K(7), ...HOOKS), 'bad-header', /requires_grad argument is int/);
    fails(rebuild('_rebuild_parameter', ...K(1), 0x88, ...HOOKS), 'bad-header', /data argument is int, not a tensor/);
  });

  test('persistent ids: only well-formed storage tuples', () => {
    fails(P(PROTO2, su('storage'), 0x51, 0x2e), 'unsafe-pickle', /persistent id str is not a storage reference/);
    fails(P(PROTO2, 0x28, su('module'), G('torch', 'Tensor'), 0x74, 0x51, 0x2e), 'unsafe-pickle', /persistent id of kind 'module'/);
    fails(P(PROTO2, 0x29, 0x51, 0x2e), 'unsafe-pickle', /persistent id tuple/);
    fails(P(PROTO2, 'Pfoo\n', 0x2e), 'unsafe-pickle', /persistent id 'foo'/);
    fails(P(PROTO2, 0x28, su('storage'), su('torch.FloatStorage'), su('0'), su('cpu'), K(4), 0x74, 0x51, 0x2e), 'bad-header', /names str, not a storage type/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'float32'), su('0'), su('cpu'), K(4), 0x74, 0x51, 0x2e), 'bad-header', /names 'torch\.float32', not a storage type/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), su('0'), su('cpu'), 0x74, 0x51, 0x2e), 'bad-header', /has 4 items/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), su('0'), su('cpu'), 0x4a, ...u32(-4 >>> 0), 0x74, 0x51, 0x2e), 'bad-header', /element count -4 is negative/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), su('0'), su('cpu'), 0x8a, 9, [0, 0, 0, 0, 0, 0, 0, 0, 1], 0x74, 0x51, 0x2e), 'bad-header', /impossibly large/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), 0x4e, su('cpu'), K(4), 0x74, 0x51, 0x2e), 'bad-header', /storage key is NoneType/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), su('0'), K(0), K(4), 0x74, 0x51, 0x2e), 'bad-header', /location is int/);
    fails(P(PROTO2, 0x28, su('storage'), G('torch', 'FloatStorage'), su('0'), su('cpu'), K(4), K(9), 0x74, 0x51, 0x2e), 'bad-header', /view metadata/);
  });

  test('legacy view metadata is kept', () => {
    const s = load(P(PROTO2, 0x28, su('storage'), G('torch', 'LongStorage'), su('10'), su('cpu'), K(8), su('11'), K(2), K(4), 0x87, 0x74, 0x51, 0x2e));
    assert.ok(s instanceof PyStorage);
    assert.deepEqual(s.view, { key: '11', offset: 2, numel: 4 });
  });
});

describe('corrupt and truncated input', () => {
  test('stack underflow, missing MARK, odd SETITEMS, wrong targets', () => {
    fails(P(PROTO2, 0x52, 0x2e), 'bad-header', /REDUCE on an empty stack/);
    fails(P(PROTO2, 0x2e), 'bad-header', /STOP on an empty stack/);
    fails(P(PROTO2, 0x5d, 0x65, 0x2e), 'bad-header', /APPENDS without a MARK/);
    fails(P(PROTO2, 0x7d, 0x28, K(1), 0x75, 0x2e), 'bad-header', /odd number/);
    fails(P(PROTO2, 0x29, K(1), 0x61, 0x2e), 'bad-header', /APPEND to tuple/);
    fails(P(PROTO2, 0x5d, K(1), K(2), 0x73, 0x2e), 'bad-header', /SETITEM on list/);
  });

  test('unknown opcodes and protocols are named', () => {
    fails(P(PROTO2, 0xff), 'bad-header', /unknown opcode 0xff at|unknown opcode 0xff/);
    fails(P([0x80, 9], 0x2e), 'bad-header', /unsupported pickle protocol 9/);
  });

  test('huge lengths are refused before anything is sliced or allocated', () => {
    fails(P(PROTO2, 0x8b, ...u32(0x7fffffff), 0x2e), 'bad-header', /LONG4 integer of 2147483647 bytes/);
    fails(P(PROTO2, 0x8b, ...u32(0xffffffff), 0x2e), 'bad-header', /negative length/);
    fails(P(PROTO2, 0x8b, ...u32(1000), [1, 2], 0x2e), 'bad-header', /LONG4 data of 1000 bytes/);
    fails(P(PROTO2, 0x58, ...u32(0xffffffff), 'ab'), 'bad-header', /BINUNICODE data of 4294967295 bytes/);
    fails(P(PROTO2, 0x8d, ...u64(2 ** 50), 'ab'), 'bad-header', /BINUNICODE8 data/);
    fails(P(PROTO2, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'ab'), 'bad-header', /impossibly large/);
    fails(P(PROTO2, 0x54, ...u32(0x80000000), 'ab'), 'bad-header', /negative length/);
  });

  test('tuples nested as deep as Python can write are read; one level more is refused at once', () => {
    // MARK × n, TUPLE × n: n − 1 nested non-empty tuples around an empty one (n containers deep).
    const n = 1000;
    const v = load(P(PROTO2, new Uint8Array(n).fill(0x28), new Uint8Array(n).fill(0x74), 0x2e));
    let depth = 0;
    for (let x: PyValue = v; x instanceof PyTuple && x.items.length > 0; x = x.items[0]!) depth++;
    assert.equal(depth, n - 1);
    fails(P(PROTO2, new Uint8Array(n + 1).fill(0x28), new Uint8Array(n + 1).fill(0x74), 0x2e), 'bad-header', /at byte 2003: containers nested more than 1000 deep/);
    // A TUPLE1 chain is refused at its 1001st opcode, whatever its length.
    fails(P(PROTO2, 0x4e, new Uint8Array(3_000_000).fill(0x85), 0x2e), 'bad-header', /at byte 1003: containers nested more than 1000 deep/);
  });

  test('a dict key nested in tuples beyond 64 levels is refused, not a stack overflow', () => {
    const n = 500;
    fails(P(PROTO2, 0x7d, K(1), new Uint8Array(n).fill(0x85), K(2), 0x73, 0x2e), 'bad-header', /nested more than 64 tuples/);
  });

  for (const [name, rel] of [
    ['views.pt data.pkl (protocol 2)', 'pt/views.pt'],
    ['hostile_eval_protocol4.pt data.pkl (protocol 4, frames)', 'pt/hostile_eval_protocol4.pt'],
    ['state_dict.pth data.pkl (OrderedDict, BUILD)', 'pt/state_dict.pth'],
  ] as const) {
    test(`every truncation of ${name} is a clean TensorFileError`, () => {
      const buf = readFileSync(path.join(corpusDir, rel));
      const zip = openZip(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), rel, DEFAULT_LIMITS);
      const pkl = zip.read(zip.names.find((n) => n.endsWith('/data.pkl'))!);
      for (let n = 0; n < pkl.length; n++) {
        try {
          load(pkl.subarray(0, n));
          assert.fail(`prefix ${n} of ${pkl.length} was accepted`);
        } catch (e) {
          assert.ok(e instanceof TensorFileError, `prefix ${n}: ${String(e)}`);
          assert.ok(e.kind === 'bad-header' || e.kind === 'unsafe-pickle', `prefix ${n}: ${e.kind}`);
        }
      }
    });
  }

  test('every truncation of a pickle using every fixture opcode (proto1..5 fixtures) is a clean error', () => {
    for (const proto of [1, 2, 3, 4, 5]) {
      const buf = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'pt', `proto${proto}.pt`));
      const zip = openZip(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), 'f', DEFAULT_LIMITS);
      const pkl = zip.read(`proto${proto}/data.pkl`);
      assert.doesNotThrow(() => load(pkl));
      for (let n = 0; n < pkl.length; n++) {
        assert.throws(() => load(pkl.subarray(0, n)), (e: unknown) => e instanceof TensorFileError && e.kind === 'bad-header', `proto ${proto} prefix ${n}`);
      }
    }
  });
});

describe('Python text of keys', () => {
  test('pyFloatRepr is repr(float)', () => {
    const cases: [number, string][] = [
      [1.5, '1.5'], [0.1, '0.1'], [1e-5, '1e-05'], [1.5e-7, '1.5e-07'], [0.0001, '0.0001'], [123, '123.0'],
      [1e16, '1e+16'], [1e15, '1000000000000000.0'], [1e22, '1e+22'], [-0, '-0.0'], [0, '0.0'], [12345678901234567, '1.2345678901234568e+16'],
      [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [NaN, 'nan'], [-Infinity, '-inf'], [-2.5, '-2.5'],
    ];
    for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
  });

  test('pyStr is str() of a dict key', () => {
    assert.equal(pyStr('a.b'), 'a.b');
    assert.equal(pyStr(7n), '7');
    assert.equal(pyStr(true), 'True');
    assert.equal(pyStr(null), 'None');
    assert.equal(pyStr(2.5), '2.5');
    assert.equal(pyStr(new PyTuple([1n, 'a'])), "(1, 'a')");
    assert.equal(pyStr(new PyTuple([1n])), '(1,)');
    assert.equal(pyStr(new PyBytes(Uint8Array.from([0, 0x27, 0x61]), 'bytes')), 'b"\\x00\'a"');
  });
});

describe('the budget: refused at the first opcode past it', () => {
  const budgetFails = (bytes: Uint8Array, budget: Record<string, number>, pattern: RegExp, atByte: number): void => {
    let caught: unknown;
    try {
      unpickle(bytes, 0, { fileName: 'x.pkl', label: 'test pickle', budget });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof TensorFileError && caught.kind === 'bad-header', String(caught));
    assert.match(caught.problem, pattern);
    assert.match(caught.problem, new RegExp(`refused at byte ${atByte}:`));
  };
  const flood = (prefix: number[], op: number, n: number): Uint8Array => P(prefix, new Uint8Array(n).fill(op), 0x2e);

  test('open MARKs, stack items and memo entries have a count; everything allocated is charged in estimated bytes', () => {
    budgetFails(flood(PROTO2, 0x28, 100), { marks: 10 }, /more than 10 MARKs open/, 2 + 10);
    budgetFails(flood([...PROTO2, 0x4e], 0x32, 100), { stack: 10 }, /more than 10 items on the stack/, 3 + 9);
    budgetFails(flood([0x80, 4, 0x4e], 0x94, 100), { memo: 10 }, /more than 10 memo entries/, 3 + 10);
    // A stack slot is 32 bytes: NONE (a slot) then DUPs (a slot each), refused at the 32nd slot.
    budgetFails(flood([...PROTO2, 0x4e], 0x32, 100), { bytes: 1000 }, /takes more than 1000 bytes/, 3 + 30);
    // EMPTY_LIST: a list (88 bytes) and its slot (32), 120 bytes a byte: the 9th is past 1000.
    budgetFails(flood(PROTO2, 0x5d, 100), { bytes: 1000 }, /takes more than 1000 bytes/, 2 + 8);
  });

  test("what a flood's values cost is counted, not how many opcodes made them", () => {
    // EMPTY_LIST APPEND pairs: each pair one live list in the outer list, ~108 bytes for 2 bytes of pickle.
    const lists = (n: number) => P(PROTO2, 0x5d, new Uint8Array(2 * n).map((_, i) => (i % 2 ? 0x61 : 0x5d)), 0x2e);
    const b = pickleBudget(lists(1_000_000).length);
    fails(lists(1_000_000), 'bad-header', new RegExp(`takes more than ${b.bytes} bytes`));
    assert.ok(b.bytes < 1_000_000 * 108, 'refused before the last pair');
    // Popped values give their slots back: a million NONE POP pairs cost nothing that stays.
    assert.equal(load(P(PROTO2, new Uint8Array(2_000_000).map((_, i) => (i % 2 ? 0x30 : 0x4e)), 0x4e, 0x2e)), null);
  });

  test('the default budget: a multiple of the size with a ceiling, which a 70,000-tensor state_dict fits with room', () => {
    // data.pkl of a 70,000-tensor state_dict is 7 MB and is charged about 45 MB (readers-budget.test.ts reads one).
    assert.ok(pickleBudget(7_047_276).bytes >= 2.5 * 45 * 2 ** 20);
    assert.equal(pickleBudget(1e9).bytes, MAX_PICKLE_BYTES);
    assert.ok(MAX_PICKLE_BYTES <= 128 * 2 ** 20);
    // MARKs up to about half the bytes are fine (and cost one run).
    assert.equal(load(P(PROTO2, new Uint8Array(1500).fill(0x28), 0x4e, 0x2e)), null);
  });
});

describe('strings as pickle decodes them', () => {
  test("BINUNICODE is 'utf-8' with 'surrogatepass': a lone surrogate survives and is shown escaped", () => {
    const v = load(P(PROTO2, 0x58, ...u32(4), [0x6b, 0xed, 0xb2, 0x80], 0x2e));
    assert.equal(v, 'k\udc80');
    assert.equal(pyStr(v), 'k\\udc80');
    assert.equal(pyStr(new PyTuple(['a\ud800'])), "('a\\ud800',)");
    assert.equal(decodeUtf8SurrogatePass(Uint8Array.from([0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80])), '\u20ac\ud800');
    assert.equal(pyStr('\ud83d\ude00'), '\ud83d\ude00', 'a proper pair is text, not escaped');
  });
});

describe('memo slots nothing reads are not held', () => {
  const b = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

  test('memoReads finds every index a GET, BINGET or LONG_BINGET names, and gives up on what it cannot measure', async () => {
    const { memoReads } = await import('../../src/readers/pickle/memoReads');
    // PROTO 2, EMPTY_LIST BINPUT 0, BINUNICODE 'ab' BINPUT 1, BINGET 0, LONG_BINGET 1, GET 7, STOP
    const p = b([0x80, 2, 0x5d, 0x71, 0], [0x58, 2, 0, 0, 0], 'ab', [0x71, 1, 0x68, 0, 0x6a, 1, 0, 0, 0, 0x67], '7\n', [0x2e]);
    assert.deepEqual([...memoReads(p, 0, 100)!].sort(), [0, 1, 7]);
    // A BINUNICODE whose data holds GET-looking bytes is skipped whole.
    assert.deepEqual([...memoReads(b([0x58, 2, 0, 0, 0, 0x68, 9, 0x2e]), 0, 100)!], []);
    assert.equal(memoReads(b([0x80, 2, 0xff, 0x2e]), 0, 100), undefined, 'unknown opcode');
    assert.equal(memoReads(b([0x58, 200, 0, 0, 0, 0x2e]), 0, 100), undefined, 'no STOP within the data');
    assert.equal(memoReads(b([0x68, 1, 0x68, 2, 0x68, 3, 0x2e]), 0, 2), undefined, 'too many distinct slots');
  });

  test('values put in slots no one reads still count, and the read ones come back intact', () => {
    // [t, t, 'x'] where t = (1,) is put in slot 5 and read back; 'x' goes to slot 6, never read.
    const p = b([0x80, 2, 0x28, 0x4b, 1, 0x85, 0x71, 5, 0x68, 5, 0x58, 1, 0, 0, 0], 'x', [0x71, 6, 0x6c, 0x2e]);
    const v = load(p);
    assert.ok(v instanceof PyList);
    assert.equal(v.items[0], v.items[1]);
    assert.ok(v.items[0] instanceof PyTuple && (v.items[0] as PyTuple).items[0] === 1n);
    assert.equal(v.items[2], 'x');
    // The memo budget counts every slot, read or not.
    assert.throws(
      () => unpickle(b([0x80, 2, 0x4e, 0x71, 0, 0x71, 1, 0x71, 2, 0x2e]), 0, { fileName: 'x.pkl', label: 'p', budget: { memo: 2 } }),
      (e: unknown) => e instanceof TensorFileError && /more than 2 memo entries/.test(e.message),
    );
  });
});

test('memo indices far apart are kept without a bit per index up to the largest', () => {
  // NONE, LONG_BINPUT 1,000,000, LONG_BINGET 1,000,000, LONG_BINPUT 3, TUPLE2: (None, None); a hole is still refused.
  const put = [0x72, 0x40, 0x42, 0x0f, 0];
  const get = [0x6a, 0x40, 0x42, 0x0f, 0];
  const ok = Uint8Array.from([0x80, 2, 0x4e, ...put, ...get, 0x72, 3, 0, 0, 0, 0x86, 0x2e]);
  const v = unpickle(ok, 0, { fileName: 'x.pkl', label: 'p', budget: { memo: 2_000_000 } }).value;
  assert.ok(v instanceof PyTuple && v.items.length === 2 && v.items[0] === null && v.items[1] === null);
  const hole = Uint8Array.from([0x80, 2, 0x4e, ...put, 0x6a, 0x41, 0x42, 0x0f, 0, 0x2e]);
  assert.throws(
    () => unpickle(hole, 0, { fileName: 'x.pkl', label: 'p', budget: { memo: 2_000_000 } }),
    (e: unknown) => e instanceof TensorFileError && /memo key 1000001 was never stored/.test(e.message),
  );
});

test('a memo index past the entries a pickle of its size can have is refused (no sparse memo)', () => {
  const p = Uint8Array.from([0x80, 2, 0x4e, 0x72, 0xff, 0xff, 0xff, 0x7f, 0x2e]);
  assert.throws(
    () => unpickle(p, 0, { fileName: 'x.pkl', label: 'p' }),
    (e: unknown) => e instanceof TensorFileError && /at byte 3: memo index 2147483647 is past the 65537 memo entries a 9-byte pickle can have/.test(e.message),
  );
  // Slots numbered as Python's pickler numbers them are fine.
  assert.equal(unpickle(Uint8Array.from([0x80, 2, 0x4e, 0x71, 0, 0x94, 0x72, 2, 0, 0, 0, 0x2e]), 0, { fileName: 'x.pkl', label: 'p' }).value, null);
});

test('a call gives back the cost of an argument tuple only it held, never of one a DUP or memo read shares', () => {
  // torch.Size((1,)) called 400 times, each result popped.
  const call = [0x68, 0, 0x4b, 1, 0x85, 0x85, 0x52, 0x30]; // BINGET 0, (1,), ((1,),), REDUCE, POP
  const p = (n: number, extra: number[] = []) => P(PROTO2, G('torch', 'Size'), 0x71, 0, ...Array.from({ length: n }, () => [...call.slice(0, 6), ...extra, ...call.slice(6)]).flat(), 0x4e, 0x2e);
  // Each call charges (1,) and the result (~80 bytes each: popped, their cost stays) and gives back the argument
  // tuple's (~80): ~170 bytes a call, ~250 when the argument tuple is shared.
  const budget = { bytes: 84 * 1024 };
  assert.equal(unpickle(p(400), 0, { fileName: 'x.pkl', label: 'p', budget }).value, null);
  // The same argument tuple DUPed first (then dropped by POP): shared, so nothing is given back, refused sooner.
  assert.throws(
    () => unpickle(p(400, [0x32, 0x30]), 0, { fileName: 'x.pkl', label: 'p', budget }),
    (e: unknown) => e instanceof TensorFileError && /takes more than 86016 bytes/.test(e.message),
  );
});
