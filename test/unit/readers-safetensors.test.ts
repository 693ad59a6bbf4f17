// safetensors specifics: header validation (length bounds, UTF-8 JSON, dtypes, offsets tiling the buffer),
// __metadata__, zero-copy views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';

/** header object + data buffer → file, the header padded with spaces to 8 bytes as safetensors does. */
function st(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  let text = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(text).length) % 8) text += ' ';
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const isErr = (kind: string, re?: RegExp) => (e: unknown) =>
  e instanceof TensorFileError && e.kind === kind && (!re || re.test(e.message)) && e.message.startsWith('m.safetensors: ');
const read = (b: Uint8Array) => readTensorFile(b, 'm.safetensors');

test('tensors, metadata and zero-copy views', () => {
  const data = new Uint8Array(24 + 2);
  new Float32Array(data.buffer, 0, 4).set([1, -2, 3.5, NaN]);
  new BigInt64Array(data.buffer, 16, 1)[0] = -(2n ** 63n);
  data.set([1, 0], 24);
  const file = st(
    {
      w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      step: { dtype: 'I64', shape: [], data_offsets: [16, 24] },
      m: { dtype: 'BOOL', shape: [2], data_offsets: [24, 26] },
      __metadata__: { format: 'pt', note: 'modèle' },
    },
    data,
  );
  const f = read(file);
  assert.equal(f.format, 'safetensors');
  assert.deepEqual(f.info.metadata, { format: 'pt', note: 'modèle' });
  assert.deepEqual(f.tensors.map((t) => t.key), ['w', 'step', 'm']);
  const w = f.tensors[0]!;
  assert.equal(w.tensor.data.buffer, file.buffer, 'aligned F32 is a view');
  assert.deepEqual(w.info, { stDtype: 'F32', dataOffsets: [0, 16] });
  assert.equal(tensorStats(w.tensor).nanCount, 1);
  assert.deepEqual(tensorStats(f.tensors[1]!.tensor).first, [-(2n ** 63n)]);
  assert.deepEqual([...f.tensors[2]!.tensor.shape], [2]);
});

test('header length: beyond the file, beyond the cap', () => {
  const ok = st({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
  assert.throws(() => read(st({}, new Uint8Array(0), 2n ** 62n)), isErr('header-too-large', /4611686018427387904/));
  assert.throws(() => read(st({}, new Uint8Array(0), 4096n)), isErr('header-too-large', /exceeds the/));
  assert.equal(read(ok).tensors.length, 1);
  assert.throws(() => read(ok.subarray(0, 7)), (e: unknown) => e instanceof TensorFileError);
});

test('header must be a UTF-8 JSON object with known dtypes and well-formed entries', () => {
  const bad = st({}, new Uint8Array(0));
  bad.set([0x7b, 0xff, 0xfe], 8);
  assert.throws(() => read(bad), isErr('bad-header', /UTF-8/));
  const unterminated = st({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
  unterminated[unterminated.lastIndexOf(0x7d, unterminated.length - 5)] = 0x20; // drop the closing brace
  assert.throws(() => read(unterminated), isErr('bad-header', /not valid JSON/));
  assert.throws(() => read(st({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))), isErr('bad-header', /F8_E4M3/));
  assert.throws(() => read(st({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))), isErr('bad-header'));
  assert.throws(() => read(st({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4))), isErr('bad-header'));
  assert.throws(() => read(st({ __metadata__: { n: 1 } }, new Uint8Array(0))), isErr('bad-header', /not a string/));
});

test('sizes, bounds, overlaps and holes', () => {
  const d = new Uint8Array(64);
  assert.throws(() => read(st({ t: { dtype: 'F32', shape: [4, 4], data_offsets: [0, 60] } }, d)), isErr('size-mismatch', /span 60 bytes/));
  assert.throws(
    () => read(st({ t: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8))),
    isErr('size-mismatch'),
  );
  assert.throws(() => read(st({ logits: { dtype: 'U8', shape: [10000], data_offsets: [0, 10000] } }, d)), isErr('offsets-out-of-bounds', /64-byte data buffer/));
  assert.throws(
    () => read(st({ a: { dtype: 'U8', shape: [64], data_offsets: [0, 64] }, b: { dtype: 'U8', shape: [64], data_offsets: [32, 96] } }, new Uint8Array(96))),
    isErr('overlapping-offsets', /'a' \[0, 64\] and 'b' \[32, 96\]/),
  );
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [32], data_offsets: [32, 64] } }, d)), isErr('offsets-out-of-bounds', /no tensor/));
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [32], data_offsets: [0, 32] } }, d)), isErr('offsets-out-of-bounds', /cover 32 bytes/));
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 2 ** 60] } }, d)), (e: unknown) => e instanceof TensorFileError);
  // empty tensors may sit anywhere on the tiling
  const f = read(st({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  assert.deepEqual(f.tensors.map((t) => t.tensor.size), [0, 1]);
});

test('maxTensorBytes applies per tensor', () => {
  const f = st({ a: { dtype: 'F32', shape: [256], data_offsets: [0, 1024] } }, new Uint8Array(1024));
  assert.throws(() => readTensorFile(f, 'm.safetensors', { maxTensorBytes: 1000 }), (e: unknown) => e instanceof TensorFileError && e.kind === 'too-large');
});
