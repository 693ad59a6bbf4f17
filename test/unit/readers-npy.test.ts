// .npy specifics beyond the corpus: header literal parsing, versions, dtypes and byte orders, Fortran
// order, zero-copy views, limits, and failing fast on absurd shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';
import { parsePyLiteral, PyLiteralError } from '../../src/readers/pyliteral';

/** Builds a .npy image the way numpy does: header padded with spaces to a multiple of 64, '\n'-terminated. */
function npy(header: string, data: Uint8Array, version = 1, align = 64): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const enc = new TextEncoder().encode(header);
  let total = pre + enc.length + 1;
  total = Math.ceil(total / align) * align;
  const hbytes = new Uint8Array(total - pre).fill(0x20);
  hbytes.set(enc);
  hbytes[hbytes.length - 1] = 0x0a;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, hbytes.length, true);
  else dv.setUint32(8, hbytes.length, true);
  out.set(hbytes, pre);
  out.set(data, total);
  return out;
}
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const hdr = (descr: string, shape: string, fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;

function refuse(bytes: Uint8Array, kind: string, re?: RegExp, limits?: object): void {
  assert.throws(
    () => readTensorFile(bytes, 'x.npy', limits),
    (e: unknown) => e instanceof TensorFileError && e.kind === kind && (!re || re.test(e.message)) && e.message.startsWith('x.npy: '),
  );
}

test('little-endian aligned data are a zero-copy view over the input bytes', () => {
  const vals = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
  const file = npy(hdr('<f4', '(2, 3)'), bytesOf(vals));
  const t = readTensorFile(file, 'x.npy').tensors[0]!.tensor;
  assert.equal(t.data.buffer, file.buffer, 'same ArrayBuffer');
  assert.deepEqual([...t.shape], [2, 3]);
  assert.deepEqual([...t.toFloat64()], [1.5, -2, 3.25, 4, 5, 6]);
});

test('misaligned little-endian data are copied once with the right values', () => {
  const vals = new Float64Array([0.1, -7, 1e300]);
  const file = npy(hdr('<f8', '(3,)'), bytesOf(vals));
  const shifted = new Uint8Array(file.length + 3).subarray(3);
  shifted.set(file);
  const t = readTensorFile(shifted, 'x.npy').tensors[0]!.tensor;
  assert.notEqual(t.data.buffer, shifted.buffer);
  assert.deepEqual([...t.toFloat64()], [0.1, -7, 1e300]);
});

test('big-endian dtypes are byte-swapped; dtype names carry no byte order', () => {
  const be = new Uint8Array(8 * 2);
  const dv = new DataView(be.buffer);
  dv.setBigInt64(0, -(2n ** 62n) - 3n, false);
  dv.setBigInt64(8, 9007199254740993n, false);
  const t = readTensorFile(npy(hdr('>i8', '(2,)'), be), 'x.npy').tensors[0]!;
  assert.equal(t.tensor.dtype, 'int64');
  assert.equal(t.info?.descr, '>i8');
  assert.deepEqual(tensorStats(t.tensor).first, [-(2n ** 62n) - 3n, 9007199254740993n]);

  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint16(0, 0x3c00, false); // 1.0
  new DataView(h.buffer).setUint16(2, 0xfc00, false); // -inf
  const f = readTensorFile(npy(hdr('>f2', '(2,)'), h), 'x.npy').tensors[0]!.tensor;
  assert.equal(f.dtype, 'float16');
  assert.deepEqual([...f.toFloat64()], [1, -Infinity]);
});

test('every supported descr maps to its dtype', () => {
  const cases: [string, string, number][] = [
    ['<f2', 'float16', 2], ['<f4', 'float32', 4], ['<f8', 'float64', 8], ['|i1', 'int8', 1], ['<i2', 'int16', 2],
    ['<i4', 'int32', 4], ['<i8', 'int64', 8], ['|u1', 'uint8', 1], ['<u2', 'uint16', 2], ['<u4', 'uint32', 4],
    ['<u8', 'uint64', 8], ['|b1', 'bool', 1], ['=f4', 'float32', 4], ['f8', 'float64', 8],
  ];
  for (const [descr, dtype, size] of cases) {
    const t = readTensorFile(npy(hdr(descr, '(2,)'), new Uint8Array(2 * size)), 'x.npy').tensors[0]!.tensor;
    assert.equal(t.dtype, dtype, descr);
  }
  refuse(npy(hdr('<c8', '(2,)'), new Uint8Array(16)), 'bad-header', /not a supported numeric dtype/);
  refuse(npy(hdr('<U3', '(2,)'), new Uint8Array(24)), 'bad-header');
  refuse(npy(hdr('|O', '(2,)'), new Uint8Array(16)), 'pickle-required', /allow_pickle=False/);
  refuse(npy(`{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(8)), 'pickle-required');
  refuse(npy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(4)), 'bad-header', /structured/);
});

test('Fortran order is expressed with strides (zero copy): values in logical row-major order', () => {
  // logical [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5
  const disk = new Int32Array([0, 3, 1, 4, 2, 5]);
  const file = npy(hdr('<i4', '(2, 3)', true), bytesOf(disk));
  const e = readTensorFile(file, 'x.npy').tensors[0]!;
  assert.equal(e.info?.fortranOrder, true);
  assert.equal(e.tensor.data.buffer, file.buffer);
  assert.deepEqual([...e.tensor.strides], [1, 2]);
  assert.deepEqual([...e.tensor.toFloat64()], [0, 1, 2, 3, 4, 5]);
});

test('0-d, empty and high-rank arrays', () => {
  const s = readTensorFile(npy(hdr('<f4', '()'), bytesOf(new Float32Array([42]))), 'x.npy').tensors[0]!.tensor;
  assert.deepEqual([...s.shape], []);
  assert.equal(s.size, 1);
  assert.deepEqual(tensorStats(s).first, [42]);
  const e = readTensorFile(npy(hdr('<f4', '(0, 5)'), new Uint8Array(0)), 'x.npy').tensors[0]!.tensor;
  assert.deepEqual([...e.shape], [0, 5]);
  assert.equal(tensorStats(e).min, null);
  const r7 = readTensorFile(npy(hdr('|u1', '(1, 2, 1, 2, 1, 2, 3)'), new Uint8Array(24).map((_, i) => i)), 'x.npy').tensors[0]!.tensor;
  assert.equal(r7.rank, 7);
  assert.equal(r7.get(23), 23);
});

test('format versions 2.0 and 3.0 (4-byte header length; 3.0 is UTF-8)', () => {
  const v2 = readTensorFile(npy(hdr('<f4', '(1,)'), bytesOf(new Float32Array([3])), 2), 'x.npy').tensors[0]!;
  assert.equal(v2.info?.formatVersion, '2.0');
  const v3 = npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'note': 'é'}`, bytesOf(new Float32Array([3])), 3);
  refuse(v3, 'bad-header', /header keys/); // extra key: numpy refuses it too
  const v3ok = readTensorFile(npy(hdr('<f4', '(1,)'), bytesOf(new Float32Array([3])), 3), 'x.npy').tensors[0]!;
  assert.equal(v3ok.info?.formatVersion, '3.0');
  const bad = npy(hdr('<f4', '(1,)'), new Uint8Array(4));
  bad[6] = 2;
  bad[7] = 1;
  refuse(bad, 'bad-header', /format version 2\.1/);
});

test('Python 2 long suffixes are accepted in 1.0 headers', () => {
  const t = readTensorFile(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }`, new Uint8Array(8)), 'x.npy');
  assert.deepEqual([...t.tensors[0]!.tensor.shape], [2, 1]);
});

test('header validation: literal syntax, keys, types', () => {
  refuse(npy(`{'descr': '<f4', 'fortran_order': Fals#, 'shape': (3, 4@, }`, new Uint8Array(48)), 'bad-header', /not a valid Python literal/);
  refuse(npy(`{'descr': '<f4', 'shape': (1,), }`, new Uint8Array(4)), 'bad-header', /header keys/);
  refuse(npy(`{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }`, new Uint8Array(4)), 'bad-header', /fortran_order/);
  refuse(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': [1], }`, new Uint8Array(4)), 'bad-header', /not a tuple/);
  refuse(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (3), }`, new Uint8Array(12)), 'bad-header', /not a tuple/);
  refuse(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }`, new Uint8Array(4)), 'bad-header', /negative/);
  refuse(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,), }`, new Uint8Array(4)), 'bad-header');
  refuse(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x`, new Uint8Array(4)), 'bad-header');
  refuse(npy(`__import__('os').system('true')`, new Uint8Array(4)), 'bad-header');
});

test('the literal parser: tuples vs parenthesised values, strings, nesting', () => {
  assert.deepEqual(parsePyLiteral('(3,)'), { tuple: [3n] });
  assert.deepEqual(parsePyLiteral('()'), { tuple: [] });
  assert.equal(parsePyLiteral('(3)'), 3n);
  assert.equal(parsePyLiteral(`'a\\'b'`), "a'b");
  assert.equal(parsePyLiteral(`"x\\x41"`), 'xA');
  assert.deepEqual(parsePyLiteral('[True, None, -5]'), [true, null, -5n]);
  assert.throws(() => parsePyLiteral('01'), PyLiteralError);
  assert.throws(() => parsePyLiteral("{'a': 1, 'a': 2}"), PyLiteralError);
  assert.throws(() => parsePyLiteral('['.repeat(100) + ']'.repeat(100)), PyLiteralError);
  assert.throws(() => parsePyLiteral('1e5'), PyLiteralError);
});

test('shape × itemsize is checked against the bytes before allocating (absurd shapes fail fast)', () => {
  const t0 = performance.now();
  refuse(npy(hdr('<f8', '(1000000000000, 1000000000000)'), new Uint8Array(16)), 'truncated-data', /far larger|addressed|bytes/);
  refuse(npy(hdr('<f8', '(99999999999999999999999,)'), new Uint8Array(16)), 'truncated-data');
  refuse(npy(hdr('<f4', '(100, 100)'), new Uint8Array(1000)), 'truncated-data', /40000 bytes, 1000 present/);
  assert.ok(performance.now() - t0 < 1000);
  const file = npy(hdr('<f4', '(2,)'), new Uint8Array(8));
  refuse(file.subarray(0, 20), 'truncated-data'); // cut inside the header
});

test('limits.maxTensorBytes refuses a tensor with too-large', () => {
  const file = npy(hdr('<f4', '(1024,)'), new Uint8Array(4096));
  refuse(file, 'too-large', /tensor limit/, { maxTensorBytes: 4095 });
  assert.equal(readTensorFile(file, 'x.npy', { maxTensorBytes: 4096 }).tensors[0]!.tensor.size, 1024);
});
