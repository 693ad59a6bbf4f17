// The zip layer and .npz: stored members as zero-copy views, capped inflate (declared size over the cap,
// streams that inflate past their declared size), corrupt directories, missing members, zip64 fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, zipSync } from 'fflate';
import { readTensorFile, TensorFileError, DEFAULT_LIMITS } from '../../src/readers/index';
import { openZip } from '../../src/readers/zip';
import { corpusDir, loadManifest } from './corpus-manifest';

const isErr = (kind: string, re?: RegExp) => (e: unknown) =>
  e instanceof TensorFileError && e.kind === kind && (!re || re.test(e.message));

function npy(descr: string, shape: string, data: Uint8Array): Uint8Array {
  const h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117, ' ') + '\n';
  const out = new Uint8Array(128 + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
  out.set(new TextEncoder().encode(h), 10);
  out.set(data, 128);
  return out;
}

/** Offsets of the central-directory entries of a zip (signature PK\1\2). */
function centralEntries(z: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= z.length; i++) if (z[i] === 0x50 && z[i + 1] === 0x4b && z[i + 2] === 1 && z[i + 3] === 2) out.push(i);
  return out;
}

test('stored members are zero-copy views; deflated ones inflate; names kept exactly', () => {
  const a = npy('<f4', '(2,)', new Uint8Array(new Float32Array([1, 2]).buffer));
  const z = zipSync({ 'a.npy': [a, { level: 0 }], 'out/seg.npy': [a, { level: 9 }], 'notes.txt': [new Uint8Array([104, 105]), { level: 0 }] });
  const zip = openZip(z, 'z.zip', DEFAULT_LIMITS);
  assert.deepEqual(zip.names, ['a.npy', 'out/seg.npy', 'notes.txt']);
  const stored = zip.read('a.npy');
  assert.equal(stored.buffer, z.buffer);
  assert.deepEqual([...stored], [...a]);
  assert.equal(zip.entry('out/seg.npy')!.method, 8);
  assert.deepEqual([...zip.read('out/seg.npy')], [...a]);
  assert.throws(() => zip.read('nope'), isErr('missing-record', /no member 'nope'/));

  const f = readTensorFile(z, 'z.npz');
  assert.equal(f.format, 'npz');
  assert.deepEqual(f.tensors.map((t) => t.key), ['a', 'out/seg']); // notes.txt is not a tensor
  assert.deepEqual(f.tensors.map((t) => t.info?.compression), ['stored', 'deflate']);
  assert.deepEqual([...f.tensors[1]!.tensor.toFloat64()], [1, 2]);
});

test('a member declaring more than maxDecompressedBytes is refused before inflating', () => {
  const big = npy('|u1', '(100000,)', new Uint8Array(100000));
  const z = zipSync({ 'big.npy': [big, { level: 9 }] });
  assert.throws(() => readTensorFile(z, 'z.npz', { maxDecompressedBytes: 50000 }), isErr('decompression-limit', /over the .* decompression limit/));
  assert.equal(readTensorFile(z, 'z.npz', { maxDecompressedBytes: 200000 }).tensors[0]!.tensor.size, 100000);
});

test('a deflate stream that inflates past its declared size is stopped (never trusted)', () => {
  const big = npy('|u1', '(100000,)', new Uint8Array(100000));
  const z = zipSync({ 'big.npy': [big, { level: 9 }] });
  // Lie: declare 1000 bytes in the central directory (uncompressed size at +24).
  const c = centralEntries(z)[0]!;
  new DataView(z.buffer).setUint32(c + 24, 1000, true);
  assert.throws(() => readTensorFile(z, 'z.npz'), isErr('decompression-limit', /declares 1000 bytes/));
});

test('a deflate stream shorter than its declared size, or cut short, is truncated-data', () => {
  const m = npy('|u1', '(1000,)', new Uint8Array(1000).map((_, i) => i * 7));
  const z = zipSync({ 'm.npy': [m, { level: 9 }] });
  const c = centralEntries(z)[0]!;
  const dv = new DataView(z.buffer);
  const declared = dv.getUint32(c + 24, true);
  dv.setUint32(c + 24, declared + 10, true);
  assert.throws(() => readTensorFile(z, 'z.npz'), isErr('truncated-data', /inflates to only/));
  // Raw deflate cut short, stored as a member whose sizes match what is there.
  const raw = deflateSync(m, { level: 9 });
  const cut = raw.subarray(0, raw.length >> 1);
  const z2 = zipSync({ 'm.npy': [m, { level: 9 }] });
  const c2 = centralEntries(z2)[0]!;
  const local = new DataView(z2.buffer).getUint32(c2 + 42, true);
  const dataAt = local + 30 + new DataView(z2.buffer).getUint16(local + 26, true) + new DataView(z2.buffer).getUint16(local + 28, true);
  z2.set(cut, dataAt);
  z2.fill(0, dataAt + cut.length, dataAt + raw.length);
  assert.throws(() => readTensorFile(z2, 'z.npz'), (e: unknown) => e instanceof TensorFileError && ['truncated-data', 'bad-header'].includes(e.kind));
});

test('corrupt archives: no end record, offsets past the end, encrypted or unsupported members', () => {
  const a = npy('<f4', '(2,)', new Uint8Array(8));
  const z = zipSync({ 'a.npy': [a, { level: 0 }] });
  assert.throws(() => readTensorFile(z.subarray(0, z.length - 30), 'z.npz'), isErr('truncated-data', /end-of-central-directory/));
  const c = centralEntries(z)[0]!;
  const off = z.slice();
  new DataView(off.buffer).setUint32(c + 42, 1_000_000, true);
  assert.throws(() => readTensorFile(off, 'z.npz'), isErr('truncated-data', /local header/));
  const enc = z.slice();
  new DataView(enc.buffer).setUint16(c + 8, 1, true);
  assert.throws(() => readTensorFile(enc, 'z.npz'), isErr('bad-header', /encrypted/));
  const meth = z.slice();
  new DataView(meth.buffer).setUint16(c + 10, 12, true);
  assert.throws(() => readTensorFile(meth, 'z.npz'), isErr('bad-header', /compression method 12/));
  const csize = z.slice();
  new DataView(csize.buffer).setUint32(c + 20, 0xfffffff0, true);
  assert.throws(() => readTensorFile(csize, 'z.npz'), (e: unknown) => e instanceof TensorFileError);
});

test('zip64 extra fields and end records written by numpy are read', () => {
  loadManifest();
  const b = readFileSync(path.join(corpusDir, 'npz/savez_named.npz'));
  const z = openZip(new Uint8Array(b.buffer, b.byteOffset, b.length), 'savez_named.npz', DEFAULT_LIMITS);
  assert.deepEqual(z.names, ['logits.npy', 'labels.npy', 'spacing.npy']);
  for (const n of z.names) assert.equal(z.read(n).length, z.entry(n)!.size);
});

test('a zip that is neither npz nor pt is unrecognized; an empty zip is an empty npz', () => {
  const z = zipSync({ 'readme.txt': new Uint8Array([1, 2, 3]) });
  assert.throws(() => readTensorFile(z, 'x.pt'), isErr('unrecognized-format'));
  const empty = zipSync({});
  const f = readTensorFile(empty, 'e.npz');
  assert.equal(f.format, 'npz');
  assert.equal(f.tensors.length, 0);
});
