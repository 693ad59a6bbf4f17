// The PyTorch reader (src/readers/pt.ts) against the corpus manifest (every pt/* and junk/*.pt entry), the
// torch-written fixtures of test/fixtures/pt (make.py, values from torch.load), and hand-built hostile streams.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Tensor } from '../../src/engine/tensor';
import { readPt } from '../../src/readers/pt';
import { tensorStats } from '../../src/readers/stats';
import { DEFAULT_LIMITS, TensorFileError, type ReadLimits, type TensorFile } from '../../src/readers/types';
import { corpusDir, loadManifest, parseJsonExact, repoRoot, sameInfo, sameNumber, sumMatches, type ManifestFile } from './corpus-manifest';

const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'pt');

function bytesOf(file: string): Uint8Array {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function read(bytes: Uint8Array, name = 'test.pt', limits: Partial<ReadLimits> = {}): TensorFile {
  return readPt(bytes, name, { ...DEFAULT_LIMITS, ...limits });
}

/** Asserts that `fn` throws a TensorFileError of `kind` whose message names `fileName`; returns it. */
function expectError(fn: () => unknown, kind: string, fileName: string): TensorFileError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TensorFileError, `expected a TensorFileError (${kind}), got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.ok(caught.message.startsWith(`${fileName}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), 'one-line message');
  return caught;
}

/** Every element in logical order, exact: bigint for 64-bit integers, else the float64 upcast. */
function logicalValues(t: Tensor): (number | bigint)[] {
  const out: (number | bigint)[] = [];
  for (let i = 0; i < t.size; i++) {
    const s = t.storageIndex(i);
    out.push(t.dtype === 'int64' || t.dtype === 'uint64' ? (t.data as BigInt64Array)[s]! : t.get(i));
  }
  return out;
}

const manifest = loadManifest();
const ptEntries = manifest.files.filter((f) => f.format === 'pt' && (f.file.startsWith('pt/') || f.file.startsWith('junk/')));

describe('corpus: every pt/* and junk/*.pt manifest entry', () => {
  test('the corpus holds the pt entries this suite expects', () => {
    assert.ok(ptEntries.filter((f) => f.tensors).length >= 21, 'good pt files');
    assert.ok(ptEntries.filter((f) => f.expectError).length >= 7, 'bad pt files');
  });

  for (const entry of ptEntries) {
    const fileName = path.basename(entry.file);
    if (entry.expectError) {
      test(`${entry.file} fails with ${entry.errorKind}`, () => {
        const bytes = bytesOf(path.join(corpusDir, entry.file));
        const t0 = performance.now();
        const err = expectError(() => read(bytes, fileName), entry.errorKind!, fileName);
        assert.ok(performance.now() - t0 < 2000, 'fails promptly');
        if (entry.file.startsWith('pt/')) {
          // The manifest's expectError up to its first ';' is the problem text we give (plus context).
          const core = entry.expectError!.split(';')[0]!;
          assert.ok(err.problem.startsWith(core), `'${err.problem}' should start with '${core}'`);
        }
        if (entry.marker) assert.equal(existsSync(entry.marker), false, `marker ${entry.marker} must not exist`);
      });
    } else {
      test(`${entry.file} matches the manifest`, () => checkGoodFile(entry, fileName));
    }
  }
});

function checkGoodFile(entry: ManifestFile, fileName: string): void {
  const file = read(bytesOf(path.join(corpusDir, entry.file)), fileName);
  assert.equal(file.format, 'pt');
  assert.deepEqual(file.tensors.map((t) => t.key).sort(), entry.tensors!.map((t) => t.key).sort(), 'tensor keys');
  for (const want of entry.tensors!) {
    const got = file.tensors.find((t) => t.key === want.key)!;
    const where = `${entry.file} '${want.key}'`;
    assert.equal(got.tensor.dtype, want.dtype, `${where} dtype`);
    assert.deepEqual([...got.tensor.shape], want.shape, `${where} shape`);
    const s = tensorStats(got.tensor);
    assert.equal(s.nanCount, want.nanCount, `${where} nanCount`);
    assert.equal(s.infCount, want.infCount, `${where} infCount`);
    assert.equal(s.first.length, want.first.length, `${where} first length`);
    want.first.forEach((w, i) => assert.ok(sameNumber(s.first[i], w, true), `${where} first[${i}]: ${String(s.first[i])} vs ${String(w)}`));
    assert.ok(sameNumber(s.min, want.min), `${where} min ${String(s.min)} vs ${String(want.min)}`);
    assert.ok(sameNumber(s.max, want.max), `${where} max ${String(s.max)} vs ${String(want.max)}`);
    assert.ok(sumMatches(s.sum, want.sum, want.absSum), `${where} sum ${s.sum} vs ${String(want.sum)}`);
    assert.ok(sumMatches(s.finiteSum, want.finiteSum, want.absSum), `${where} finiteSum`);
    assert.ok(sumMatches(s.absSum, want.absSum, want.absSum), `${where} absSum`);
    if (want.info) assert.ok(sameInfo(got.info, want.info), `${where} info ${JSON.stringify(got.info)} vs ${JSON.stringify(want.info)}`);
  }
  const wantInfo = entry.info ?? {};
  assert.equal(file.info.container, wantInfo.container, 'container');
  assert.equal(file.info.recordPrefix, wantInfo.recordPrefix, 'recordPrefix');
  const wantOthers = entry.nonTensors ?? [];
  assert.deepEqual(file.nonTensors.map((n) => n.key), wantOthers.map((n) => n.key), 'nonTensor keys (in file order)');
  wantOthers.forEach((w, i) => {
    const g = file.nonTensors[i]!;
    assert.equal(g.type, w.type, `nonTensor '${w.key}' type`);
    assert.ok(typeof w.value === 'string' || w.value === null || typeof w.value === 'boolean' ? g.value === w.value : sameNumber(g.value, w.value), `nonTensor '${w.key}' value`);
  });
}

describe('corpus: zero copy and shared storages', () => {
  test('aligned zip records become views over the file bytes', () => {
    const bytes = bytesOf(path.join(corpusDir, 'pt/seg3d_logits.pth'));
    const file = read(bytes);
    for (const t of file.tensors) assert.equal(t.tensor.data.buffer, bytes.buffer, `${t.key} is a view`);
  });

  test('tensors on one storage record share one typed array', () => {
    const file = read(bytesOf(path.join(corpusDir, 'pt/shared_storage.pt')));
    const [a, b, c] = ['a', 'b', 'c'].map((k) => file.tensors.find((t) => t.key === k)!.tensor);
    assert.equal(a!.data, b!.data);
    assert.equal(a!.data, c!.data);
    assert.equal(c!.offset, 6);
  });

  test('legacy storages are shared too (logits_t views logits)', () => {
    const file = read(bytesOf(path.join(corpusDir, 'pt/legacy_format.pt')));
    const get = (k: string): Tensor => file.tensors.find((t) => t.key === k)!.tensor;
    assert.equal(get('logits').data, get('logits_t').data);
    assert.deepEqual([...get('logits_t').strides], [12, 1, 4]);
  });

  test('stride-0 expand keeps the 4-element storage', () => {
    const file = read(bytesOf(path.join(corpusDir, 'pt/views.pt')));
    const t = file.tensors.find((e) => e.key === 'expanded')!.tensor;
    assert.equal(t.data.length, 4);
    assert.deepEqual([...t.strides], [0, 1]);
  });
});

describe('limits', () => {
  test('maxTensorBytes refuses a tensor before it is materialised', () => {
    const bytes = bytesOf(path.join(corpusDir, 'pt/seg3d_logits.pth'));
    const err = expectError(() => read(bytes, 'seg3d_logits.pth', { maxTensorBytes: 50_000 }), 'too-large', 'seg3d_logits.pth');
    assert.match(err.problem, /tensor 'logits' \(float32 \[1, 3, 24, 24, 16\]\) is 110592 bytes/);
    // The uint8 label (9216 bytes) alone fits the same limit.
    assert.doesNotThrow(() => read(bytes, 'x.pth', { maxTensorBytes: 110_592 }));
  });

  test('a legacy storage that must be copied counts against the limit', () => {
    const bytes = bytesOf(path.join(corpusDir, 'pt/legacy_format.pt'));
    expectError(() => read(bytes, 'legacy.pt', { maxTensorBytes: 64 }), 'too-large', 'legacy.pt');
  });
});

describe('damaged files fail cleanly', () => {
  const small = ['pt/bare_tensor.pt', 'pt/legacy_format.pt', 'pt/views.pt'];

  for (const rel of small) {
    test(`${rel}: every truncation is a TensorFileError`, () => {
      const bytes = bytesOf(path.join(corpusDir, rel));
      for (let n = 0; n < bytes.length; n++) {
        try {
          read(bytes.subarray(0, n), 'cut.pt');
          assert.fail(`a ${n}-byte prefix of ${rel} was accepted`);
        } catch (e) {
          assert.ok(e instanceof TensorFileError, `prefix ${n}: ${String(e)}`);
        }
      }
    });

    test(`${rel}: every single-byte corruption reads or fails with a TensorFileError`, () => {
      const bytes = bytesOf(path.join(corpusDir, rel));
      for (const mask of [0xff, 0x01]) {
        for (let i = 0; i < bytes.length; i++) {
          const copy = bytes.slice();
          copy[i] = copy[i]! ^ mask;
          try {
            const f = read(copy, 'flip.pt');
            for (const t of f.tensors) tensorStats(t.tensor); // every tensor returned must be readable
          } catch (e) {
            assert.ok(e instanceof TensorFileError, `byte ${i} ^ ${mask}: ${String(e)}`);
          }
        }
      }
    });
  }

  test('legacy: a storage cut short is truncated-data naming the storage', () => {
    const bytes = bytesOf(path.join(corpusDir, 'pt/legacy_format.pt'));
    const err = expectError(() => read(bytes.subarray(0, bytes.length - 3), 'cut.pt'), 'truncated-data', 'cut.pt');
    assert.match(err.problem, /legacy storage '140000000008192' needs 8 bool = 8 bytes at byte \d+, 5 present/);
  });

  test('legacy: an element count that disagrees with the pickle is size-mismatch', () => {
    const bytes = bytesOf(path.join(corpusDir, 'pt/legacy_format.pt')).slice();
    // The first storage's int64 count follows the five pickles (701 bytes in this file): 24 -> 25.
    assert.equal(bytes[701], 24);
    bytes[701] = 25;
    const err = expectError(() => read(bytes, 'count.pt'), 'size-mismatch', 'count.pt');
    assert.match(err.problem, /holds 25 elements but the pickle declares 24/);
  });

  test('a pickle that is not a torch stream is unrecognized-format', () => {
    // pickle.dumps({'a': 1}, protocol=2): a pickle, but not torch's legacy magic number first.
    const plain = Uint8Array.from([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
    const err = expectError(() => read(plain, 'plain.pkl'), 'unrecognized-format', 'plain.pkl');
    assert.match(err.problem, /not torch's legacy magic number/);
  });
});

// ----------------------------------------------------------------------------------------------------
// Hand-built legacy streams: the container needs no zip, so the object pickle can be anything.
// ----------------------------------------------------------------------------------------------------

const LEGACY_HEAD = Uint8Array.from([
  // pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
  0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
  // pickle.dumps(1001, protocol=2)
  0x80, 2, 0x4d, 0xe9, 0x03, 0x2e,
  // pickle.dumps({}, protocol=2)
  0x80, 2, 0x7d, 0x2e,
]);
const EMPTY_KEY_LIST = Uint8Array.from([0x80, 2, 0x5d, 0x2e]);

function concat(...parts: (Uint8Array | number[] | string)[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

function legacy(objectPickle: Uint8Array, keyList: Uint8Array = EMPTY_KEY_LIST, storages: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(LEGACY_HEAD, objectPickle, keyList, storages);
}

describe('hand-built legacy streams', () => {
  test('the head alone with an int object reads as one non-tensor', () => {
    const f = read(legacy(Uint8Array.from([0x80, 2, 0x4b, 7, 0x2e])));
    assert.deepEqual(f.tensors, []);
    assert.deepEqual(f.nonTensors, [{ key: '', type: 'int', value: 7 }]);
    assert.deepEqual(f.info, { container: 'legacy' });
  });

  test('deeply nested lists are refused, not a stack overflow', () => {
    const depth = 100_000;
    const body = concat([0x80, 2], new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61), [0x2e]);
    const err = expectError(() => read(legacy(body), 'deep.pt'), 'bad-header', 'deep.pt');
    // Refused as the lists pile up on the stack (or, for fewer of them, at the first APPEND past 1000 levels).
    assert.match(err.problem, /lists, tuples, dicts and sets on the stack at once|containers nested more than 1000 deep/);
  });

  test('a list that contains itself is refused', () => {
    // ] q0 h0 a .  : l = []; l.append(l)
    const body = Uint8Array.from([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]);
    expectError(() => read(legacy(body), 'cycle.pt'), 'bad-header', 'cycle.pt');
  });

  test('shared references that expand exponentially are refused promptly', () => {
    // l0 = []; l(k+1) = [lk, lk] for 60 levels: 2**60 leaves if walked naively.
    const ops: number[] = [0x80, 2, 0x5d, 0x71, 0];
    for (let k = 1; k <= 60; k++) ops.push(0x68, k - 1, 0x68, k - 1, 0x86, 0x71, k);
    ops.push(0x2e);
    const t0 = performance.now();
    const err = expectError(() => read(legacy(Uint8Array.from(ops)), 'dag.pt'), 'bad-header', 'dag.pt');
    assert.match(err.problem, /expands to more than/);
    assert.ok(performance.now() - t0 < 5000);
  });

  test('shared references may expand a pickle to a few values a byte, not to a fixed two million', () => {
    // {'x': [l] * n} where l = [None] * 1000 (l memoized, then n - 1 BINGETs): n thousand leaves from 2n bytes.
    const inner = [0x5d, 0x28, ...new Array<number>(1000).fill(0x4e), 0x65, 0x71, 0];
    const wide = (n: number) =>
      legacy(Uint8Array.from([0x80, 2, 0x7d, 0x58, 1, 0, 0, 0, 0x78, 0x5d, 0x28, ...inner, ...new Array<number[]>(n - 1).fill([0x68, 0]).flat(), 0x65, 0x73, 0x2e]));
    // A million leaves from a 3 KB pickle: over 65536 + 2 x its bytes.
    const err = expectError(() => read(wide(1000), 'wide.pt'), 'bad-header', 'wide.pt');
    assert.match(err.problem, /expands to more than 7\d{4} values/);
    // 30,000 leaves are within the budget: read, each None a non-tensor value.
    assert.equal(read(wide(30)).nonTensors.length, 30_000);
  });

  test('a refused global wins over a storage the stream lacks', () => {
    // {'t': _rebuild_tensor(('storage', FloatStorage, '1', 'cpu', 4), 0, (4,), (1,)), 'x': posix.system('...')}
    const body = concat(
      [0x80, 2, 0x7d, 0x28],
      [0x8c, 1], 't',
      [0x63], 'torch._utils\n_rebuild_tensor\n',
      [0x28, 0x28, 0x8c, 7], 'storage', [0x63], 'torch\nFloatStorage\n', [0x8c, 1], '1', [0x8c, 3], 'cpu', [0x4b, 4, 0x74, 0x51],
      [0x4b, 0, 0x4b, 4, 0x85, 0x4b, 1, 0x85, 0x74, 0x52],
      [0x8c, 1], 'x', [0x63], 'posix\nsystem\n', [0x8c, 4], 'true', [0x85, 0x52],
      [0x75, 0x2e],
    );
    const err = expectError(() => read(legacy(body), 'evil.pt'), 'unsafe-pickle', 'evil.pt');
    assert.match(err.problem, /^refuse to unpickle: 'posix\.system' is not an allowed global/);
  });

  test('a storage referenced by the pickle but missing from the key list is missing-record', () => {
    const body = concat(
      [0x80, 2, 0x63], 'torch._utils\n_rebuild_tensor\n',
      [0x28, 0x28, 0x8c, 7], 'storage', [0x63], 'torch\nFloatStorage\n', [0x8c, 1], '1', [0x8c, 3], 'cpu', [0x4b, 4, 0x74, 0x51],
      [0x4b, 0, 0x4b, 4, 0x85, 0x4b, 1, 0x85, 0x74, 0x52, 0x2e],
    );
    expectError(() => read(legacy(body), 'lost.pt'), 'missing-record', 'lost.pt');
  });

  /** `_rebuild_tensor(FloatStorage '1' of `numel`, offset, size, stride)` with one float storage [1.5, 2.5, ...]. */
  function oneTensor(numel: number, offset: number[], size: number[], stride: number[]): Uint8Array {
    const body = concat(
      [0x80, 2, 0x63], 'torch._utils\n_rebuild_tensor\n',
      [0x28, 0x28, 0x8c, 7], 'storage', [0x63], 'torch\nFloatStorage\n', [0x8c, 1], '1', [0x8c, 3], 'cpu', [0x4b, numel, 0x74, 0x51],
      offset, size, stride, [0x74, 0x52, 0x2e],
    );
    const keys = concat([0x80, 2, 0x5d, 0x8c, 1], '1', [0x61, 0x2e]);
    const data = new Float32Array(numel).map((_, i) => i + 1.5);
    return legacy(body, keys, concat([numel, 0, 0, 0, 0, 0, 0, 0], new Uint8Array(data.buffer)));
  }

  test('a stride-0 view of 2**40 elements over one float is refused by the logical-size limit', () => {
    const b = oneTensor(1, [0x4b, 0], [0x8a, 6, 0, 0, 0, 0, 0, 1, 0x85], [0x4b, 0, 0x85]);
    const err = expectError(() => read(b, 'expand.pt'), 'too-large', 'expand.pt');
    assert.match(err.problem, /tensor \(float32 \[1099511627776\]\) is 4398046511104 bytes \(4096\.00 GiB\), over the/);
  });

  test('overlapping windows (unfold) over a 6-element storage read in logical order', () => {
    // size (3, 4), stride (1, 1): rows are windows 0..3, 1..4, 2..5 of the storage.
    const f = read(oneTensor(6, [0x4b, 0], [0x4b, 3, 0x4b, 4, 0x86], [0x4b, 1, 0x4b, 1, 0x86]));
    const t = f.tensors[0]!.tensor;
    assert.deepEqual([...t.toFloat64()], [1.5, 2.5, 3.5, 4.5, 2.5, 3.5, 4.5, 5.5, 3.5, 4.5, 5.5, 6.5]);
    expectError(() => read(oneTensor(6, [0x4b, 1], [0x4b, 3, 0x4b, 4, 0x86], [0x4b, 1, 0x4b, 1, 0x86]), 'unfold.pt'), 'view-out-of-bounds', 'unfold.pt');
  });

  test('a legacy storage count claiming exabytes fails before allocating', () => {
    const body = concat(
      [0x80, 2, 0x63], 'torch._utils\n_rebuild_tensor\n',
      [0x28, 0x28, 0x8c, 7], 'storage', [0x63], 'torch\nDoubleStorage\n', [0x8c, 1], '1', [0x8c, 3], 'cpu',
      [0x8a, 7, 0, 0, 0, 0, 0, 0, 0x10, 0x74, 0x51], // numel 2**52
      [0x4b, 0, 0x4b, 4, 0x85, 0x4b, 1, 0x85, 0x74, 0x52, 0x2e],
    );
    const keys = concat([0x80, 2, 0x5d, 0x8c, 1], '1', [0x61, 0x2e]);
    const count = Uint8Array.from([0, 0, 0, 0, 0, 0, 0x10, 0]);
    const err = expectError(() => read(legacy(body, keys, count), 'huge.pt'), 'truncated-data', 'huge.pt');
    assert.match(err.problem, /needs 4503599627370496 float64/);
  });
});

// ----------------------------------------------------------------------------------------------------
// test/fixtures/pt: written by torch.save (values from torch.load) or hand-assembled (see make.py)
// ----------------------------------------------------------------------------------------------------

interface FixtureTensor {
  key: string;
  dtype: string;
  shape: number[];
  values: (number | bigint | string)[];
  stride: number[];
  storageOffset: number;
  requiresGrad: boolean;
  parameter: boolean;
}
interface Fixture {
  file: string;
  notes: string;
  info?: Record<string, unknown>;
  tensors?: FixtureTensor[];
  nonTensors?: { key: string; type: string; value?: unknown }[];
  errorKind?: string;
  contains?: string;
}

describe('fixtures written by torch (test/fixtures/pt)', () => {
  const expected = parseJsonExact(readFileSync(path.join(fixturesDir, 'expected.json'), 'utf8')) as { files: Fixture[] };

  test('the fixture set is complete', () => {
    assert.ok(expected.files.length >= 15);
    for (const f of expected.files) assert.ok(existsSync(path.join(fixturesDir, f.file)), f.file);
  });

  for (const fx of expected.files) {
    test(`${fx.file}: ${fx.notes}`, () => {
      const bytes = bytesOf(path.join(fixturesDir, fx.file));
      if (fx.errorKind) {
        const err = expectError(() => read(bytes, fx.file), fx.errorKind, fx.file);
        assert.ok(err.problem.includes(fx.contains!), err.problem);
        assert.equal(existsSync('/tmp/PWNED_pt_fixture_inst'), false);
        return;
      }
      const file = read(bytes, fx.file);
      for (const [k, v] of Object.entries(fx.info ?? {})) assert.equal(file.info[k], v, `info.${k}`);
      assert.deepEqual(file.tensors.map((t) => t.key), fx.tensors!.map((t) => t.key), 'tensor keys in file order');
      for (const want of fx.tensors!) {
        const got = file.tensors.find((t) => t.key === want.key)!;
        const where = `${fx.file} '${want.key}'`;
        assert.equal(got.tensor.dtype, want.dtype, `${where} dtype`);
        assert.deepEqual([...got.tensor.shape], want.shape, `${where} shape`);
        const values = logicalValues(got.tensor);
        assert.equal(values.length, want.values.length, `${where} size`);
        want.values.forEach((w, i) => assert.ok(sameNumber(values[i], w, true), `${where}[${i}]: ${String(values[i])} vs ${String(w)}`));
        assert.deepEqual(got.info?.stride, want.stride, `${where} stride`);
        assert.equal(got.info?.storageOffset, want.storageOffset, `${where} storageOffset`);
        assert.equal(got.info?.requiresGrad, want.requiresGrad, `${where} requiresGrad`);
        assert.equal(got.info?.parameter, want.parameter, `${where} parameter`);
      }
      const others = fx.nonTensors ?? [];
      assert.deepEqual(file.nonTensors.map((n) => [n.key, n.type]), others.map((n) => [n.key, n.type]), 'nonTensor keys and types');
      others.forEach((w, i) => {
        if (!('value' in w)) return;
        const g = file.nonTensors[i]!.value;
        const same = typeof w.value === 'number' || typeof w.value === 'bigint' ? sameNumber(g, w.value) : g === w.value;
        assert.ok(same, `nonTensor '${w.key}': ${String(g)} vs ${String(w.value)}`);
      });
    });
  }

  test('a big-endian zip is copied and byte-swapped, a little-endian one is not', () => {
    const be = bytesOf(path.join(fixturesDir, 'bigendian.pt'));
    const f = read(be);
    for (const t of f.tensors.filter((e) => e.tensor.dtype !== 'uint8')) assert.notEqual(t.tensor.data.buffer, be.buffer, t.key);
  });
});
