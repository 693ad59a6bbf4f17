// Statistics semantics (the corpus README's rules), logical order over strided views, histogram, the
// manifest JSON encoding, and content detection independent of file names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readTensorFile, TensorFileError, tensorStats, histogram, toManifestJson, sniff, detectFormat } from '../../src/readers/index';
import { corpusDir, loadManifest } from './corpus-manifest';

test('float stats: IEEE sum, finite sums, NaN-skipping min/max, counts', () => {
  const t = new Tensor('float64', [6], new Float64Array([1, NaN, Infinity, -2.5, 0.5, NaN]));
  const s = tensorStats(t);
  assert.equal(s.nanCount, 2);
  assert.equal(s.infCount, 1);
  assert.ok(Number.isNaN(s.sum));
  assert.equal(s.finiteSum, -1);
  assert.equal(s.absSum, 4);
  assert.equal(s.min, -2.5);
  assert.equal(s.max, Infinity);
  const inf = tensorStats(new Tensor('float32', [3], new Float32Array([1, -Infinity, 2])));
  assert.equal(inf.sum, -Infinity);
  const both = tensorStats(new Tensor('float32', [2], new Float32Array([Infinity, -Infinity])));
  assert.ok(Number.isNaN(both.sum));
  const allNan = tensorStats(new Tensor('float32', [2], new Float32Array([NaN, NaN])));
  assert.equal(allNan.min, null);
  assert.equal(allNan.max, null);
  const empty = tensorStats(new Tensor('float32', [0, 4], new Float32Array(0)));
  assert.deepEqual([empty.min, empty.max, empty.sum, empty.first.length], [null, null, 0, 0]);
});

test('compensated sums: cancellation does not lose the small terms; overflow stays IEEE', () => {
  const vals = new Float64Array(1001);
  vals[0] = 1e16;
  for (let i = 1; i < 1000; i++) vals[i] = 1;
  vals[1000] = -1e16;
  assert.equal(tensorStats(new Tensor('float64', [1001], vals)).sum, 999);
  const edge = tensorStats(new Tensor('float64', [3], new Float64Array([Number.MAX_VALUE, -1e300, Number.MAX_VALUE])));
  assert.equal(edge.absSum, Infinity);
  assert.equal(edge.sum, Infinity); // IEEE left-to-right overflows too
});

test('int64/uint64: min, max and first exact beyond 2**53; sums as nearest float64', () => {
  const i = new Tensor('int64', [4], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n, -1n]));
  const s = tensorStats(i);
  assert.equal(s.min, -(2n ** 63n));
  assert.equal(s.max, 2n ** 63n - 1n);
  assert.deepEqual(s.first, [-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n, -1n]);
  assert.equal(s.absSum, 2 ** 63 + 2 ** 63 + 9007199254740992 + 1);
  const u = tensorStats(new Tensor('uint64', [3], new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 63n])));
  assert.equal(u.min, 0n);
  assert.equal(u.max, 2n ** 64n - 1n);
  assert.equal(u.sum, 2 ** 64 + 2 ** 63);
});

test('bool counts as 0/1 (any non-zero byte is true); float16/bfloat16 decoded exactly', () => {
  const b = tensorStats(new Tensor('bool', [4], new Uint8Array([0, 1, 2, 255])));
  assert.deepEqual([b.sum, b.min, b.max, b.first], [3, 0, 1, [0, 1, 1, 1]]);
  const h = tensorStats(new Tensor('float16', [3], new Uint16Array([0x7bff, 0x0001, 0x8000])));
  assert.deepEqual(h.first, [65504, 2 ** -24, -0]);
  assert.ok(Object.is(h.first[2], -0));
  const bf = tensorStats(new Tensor('bfloat16', [2], new Uint16Array([0x3f80, 0xff80])));
  assert.deepEqual(bf.first, [1, -Infinity]);
});

test('first is in logical row-major order for strided views (transpose, stride 0, offset)', () => {
  const storage = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const t = new Tensor('float32', [4, 3], storage, [1, 4]); // transpose of a [3, 4]
  assert.deepEqual(tensorStats(t).first, [0, 4, 8, 1, 5, 9, 2, 6]);
  const expanded = new Tensor('float32', [3, 2], storage, [0, 1], 5);
  const s = tensorStats(expanded);
  assert.deepEqual(s.first, [5, 6, 5, 6, 5, 6]);
  assert.equal(s.sum, 33);
  const int64View = new Tensor('int64', [2, 2], new BigInt64Array([1n, 2n, 3n, 4n, 5n]), [1, 2], 1);
  assert.deepEqual(tensorStats(int64View).first, [2n, 4n, 3n, 5n]);
});

test('histogram of finite values', () => {
  const t = new Tensor('float32', [7], new Float32Array([0, 1, 2, 3, 4, NaN, Infinity]));
  const h = histogram(t, 4);
  assert.equal(h.min, 0);
  assert.equal(h.max, 4);
  assert.deepEqual(h.counts, [1, 1, 1, 2]);
  assert.equal(h.nonFinite, 2);
  const flat = histogram(new Tensor('int64', [3], new BigInt64Array([7n, 7n, 7n])), 3);
  assert.deepEqual(flat.counts, [3, 0, 0]);
  const none = histogram(new Tensor('float32', [1], new Float32Array([NaN])), 2);
  assert.equal(none.min, null);
  assert.throws(() => histogram(t, 0), RangeError);
});

test('manifest JSON encoding: non-finite strings, exact bigints, signed zero, big floats in exponent form', () => {
  const text = toManifestJson({ a: NaN, b: [Infinity, -Infinity, -0, 1.5], c: -(2n ** 63n), d: 18446744073709551615n, e: null, f: 2 ** 64 });
  assert.equal(
    text,
    '{"a":"NaN","b":["Infinity","-Infinity",-0.0,1.5],"c":-9223372036854775808,"d":18446744073709551615,"e":null,"f":1.8446744073709552e+19}',
  );
});

test('detection is by content, not by extension', () => {
  assert.equal(sniff(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])), 'npy');
  assert.equal(sniff(new Uint8Array([0x50, 0x4b, 3, 4])), 'zip');
  assert.equal(sniff(new Uint8Array([0x80, 2, 0x8a])), 'pickle');
  assert.equal(sniff(new Uint8Array([0x1f, 0x8b, 8, 0])), 'gzip');
  // a safetensors header of exactly 348 bytes is not NIfTI (no magic, '{' after the length)
  const st = new Uint8Array(8 + 348);
  new DataView(st.buffer).setBigUint64(0, 348n, true);
  st[8] = 0x7b;
  assert.equal(sniff(st), 'safetensors');
  assert.equal(sniff(new Uint8Array(0)), 'empty');
  assert.equal(sniff(new Uint8Array([0xff, 1, 2, 3])), 'unknown');
  assert.throws(() => readTensorFile(new Uint8Array(0), 'a.pt'), (e: unknown) => e instanceof TensorFileError && e.kind === 'empty-file' && e.message === 'a.pt: empty file (0 bytes)');
  assert.throws(() => readTensorFile(new Uint8Array(64).fill(0xff), 'r.npy'), (e: unknown) => e instanceof TensorFileError && e.kind === 'unrecognized-format');
});

test('detectFormat names the format of every corpus file by content alone', () => {
  for (const f of loadManifest().files.filter((x) => !x.expectError)) {
    const b = readFileSync(path.join(corpusDir, f.file));
    // a misleading name must not matter
    assert.equal(detectFormat(new Uint8Array(b.buffer, b.byteOffset, b.length), 'renamed.bin'), f.format, f.file);
  }
});
