// NIfTI specifics: nibabel's scaling rules, x-fastest logical order, byte orders, NIfTI-2, dims and
// vox_offset validation, .nii.gz with a cap, affines (sform / qform / base).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'fflate';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';

interface N1 {
  dims: number[];
  datatype: number;
  bitpix: number;
  data: Uint8Array;
  le?: boolean;
  slope?: number;
  inter?: number;
  voxOffset?: number;
  pixdim?: number[];
  qform?: number;
  sform?: number;
  quatern?: number[];
  qoffset?: number[];
  srow?: number[][];
  magic?: string;
}

function nifti1(o: N1): Uint8Array {
  const le = o.le ?? true;
  const vox = o.voxOffset ?? 352;
  const out = new Uint8Array(Math.max(352, vox) + o.data.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, le);
  const dim = [o.dims.length, ...o.dims];
  while (dim.length < 8) dim.push(1);
  dim.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
  dv.setInt16(70, o.datatype, le);
  dv.setInt16(72, o.bitpix, le);
  (o.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1]).forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
  dv.setFloat32(108, vox, le);
  dv.setFloat32(112, o.slope ?? 1, le);
  dv.setFloat32(116, o.inter ?? 0, le);
  dv.setInt16(252, o.qform ?? 0, le);
  dv.setInt16(254, o.sform ?? 0, le);
  (o.quatern ?? [0, 0, 0]).forEach((q, i) => dv.setFloat32(256 + 4 * i, q, le));
  (o.qoffset ?? [0, 0, 0]).forEach((q, i) => dv.setFloat32(268 + 4 * i, q, le));
  (o.srow ?? [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]).forEach((row, r) => row.forEach((v, c) => dv.setFloat32(280 + 16 * r + 4 * c, v, le)));
  out.set(new TextEncoder().encode(o.magic ?? 'n+1\0'), 344);
  out.set(o.data, Math.max(352, vox));
  return out;
}

const i16 = (vals: number[], le = true): Uint8Array => {
  const b = new Uint8Array(vals.length * 2);
  vals.forEach((v, i) => new DataView(b.buffer).setInt16(2 * i, v, le));
  return b;
};
const isErr = (kind: string, re?: RegExp) => (e: unknown) =>
  e instanceof TensorFileError && e.kind === kind && (!re || re.test(e.message)) && e.message.startsWith('img.nii: ');
const read = (b: Uint8Array) => readTensorFile(b, 'img.nii');

test('voxels are x-fastest: logical (x, y, z) with Fortran strides, zero copy', () => {
  // shape (2, 3): value = x + 10*y stored x-fastest
  const vals: number[] = [];
  for (let y = 0; y < 3; y++) for (let x = 0; x < 2; x++) vals.push(x + 10 * y);
  const file = nifti1({ dims: [2, 3], datatype: 4, bitpix: 16, data: i16(vals) });
  const e = read(file).tensors[0]!;
  assert.equal(e.key, '');
  assert.deepEqual([...e.tensor.shape], [2, 3]);
  assert.equal(e.tensor.dtype, 'int16');
  assert.equal(e.tensor.data.buffer, file.buffer);
  // row-major over (x, y): (0,0) (0,1) (0,2) (1,0) ...
  assert.deepEqual([...e.tensor.toFloat64()], [0, 10, 20, 1, 11, 21]);
  assert.equal(e.info?.storedDtype, 'int16');
  assert.equal(e.info?.magic, 'n+1');
});

test('scaling: slope 0 / non-finite and (1, 0) keep the raw dtype; otherwise float64 raw*slope+inter', () => {
  const data = i16([0, 1, -2, 100]);
  for (const [slope, inter] of [[0, 5], [NaN, 5], [Infinity, 0], [1, 0]] as const) {
    const t = read(nifti1({ dims: [4], datatype: 4, bitpix: 16, data, slope, inter })).tensors[0]!.tensor;
    assert.equal(t.dtype, 'int16', `slope ${slope}`);
    assert.deepEqual([...t.toFloat64()], [0, 1, -2, 100]);
  }
  const s = read(nifti1({ dims: [4], datatype: 4, bitpix: 16, data, slope: 0.5, inter: -1024 })).tensors[0]!.tensor;
  assert.equal(s.dtype, 'float64');
  assert.deepEqual([...s.toFloat64()], [-1024, -1023.5, -1025, -974]);
  // float32 slope/inter upcast exactly: 0.1f is 0.10000000149011612
  const f = read(nifti1({ dims: [1], datatype: 4, bitpix: 16, data: i16([3]), slope: 0.1, inter: 0 })).tensors[0]!.tensor;
  assert.equal(f.get(0), 3 * Math.fround(0.1));
  // inter 0 is not added (nibabel skips it): raw 0 * negative slope stays -0
  const z = read(nifti1({ dims: [1], datatype: 4, bitpix: 16, data: i16([0]), slope: -2, inter: 0 })).tensors[0]!.tensor;
  assert.ok(Object.is(z.get(0), -0));
  // only slope 1 with a non-zero intercept: scaled
  const o = read(nifti1({ dims: [1], datatype: 16, bitpix: 32, data: new Uint8Array(new Float32Array([2]).buffer), slope: 1, inter: 3 })).tensors[0]!.tensor;
  assert.equal(o.dtype, 'float64');
  assert.equal(o.get(0), 5);
  assert.throws(() => read(nifti1({ dims: [1], datatype: 4, bitpix: 16, data: i16([0]), slope: 2, inter: NaN })), isErr('bad-header', /scl_inter/));
});

test('big-endian headers and data', () => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat32(0, 1.5, false);
  new DataView(data.buffer).setFloat32(4, -3, false);
  const e = read(nifti1({ dims: [2], datatype: 16, bitpix: 32, data, le: false })).tensors[0]!;
  assert.equal(e.info?.byteOrder, '>');
  assert.deepEqual([...e.tensor.toFloat64()], [1.5, -3]);
});

test('NIfTI-2 (540-byte header, 64-bit dims, float64 scaling)', () => {
  const out = new Uint8Array(544 + 6);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 540, true);
  out.set(new TextEncoder().encode('n+2\0\r\n\x1a\n'), 4);
  dv.setInt16(12, 4, true);
  dv.setInt16(14, 16, true);
  [1, 3, 1, 1, 1, 1, 1, 1].forEach((d, i) => dv.setBigInt64(16 + 8 * i, BigInt(d), true));
  for (let i = 0; i < 8; i++) dv.setFloat64(104 + 8 * i, 1, true);
  dv.setBigInt64(168, 544n, true);
  dv.setFloat64(176, 0.1, true);
  dv.setFloat64(184, 0, true);
  out.set(i16([1, 2, 3]), 544);
  const e = readTensorFile(out, 'img.nii').tensors[0]!;
  assert.equal(e.info?.magic, 'n+2');
  assert.deepEqual([...e.tensor.shape], [3]);
  assert.deepEqual([...e.tensor.toFloat64()], [0.1, 0.2, 0.30000000000000004]);
});

test('dims, datatype, vox_offset and magic are validated; the voxel block must fit', () => {
  const base = { datatype: 4, bitpix: 16, data: i16(new Array(8).fill(0)) };
  const bogus = nifti1({ dims: [2, 2, 2], ...base });
  new DataView(bogus.buffer).setInt16(40, 9, true);
  assert.throws(() => read(bogus), isErr('bad-dim', /dim\[0\] = 9/));
  assert.throws(() => read(nifti1({ dims: [2, -4, 1], ...base })), isErr('bad-dim', /dim\[2\] = -4/));
  // A zero dimension is an empty image, as nibabel reads it.
  assert.deepEqual([...read(nifti1({ dims: [2, 0, 2], ...base, data: new Uint8Array(0) })).tensors[0]!.tensor.shape], [2, 0, 2]);
  assert.throws(() => read(nifti1({ dims: [30000, 30000, 30000], ...base })), isErr('truncated-data', /present/));
  assert.throws(() => read(nifti1({ dims: [2, 2, 2], ...base, datatype: 32 })), isErr('bad-header', /datatype 32/));
  assert.throws(() => read(nifti1({ dims: [2, 2, 2], ...base, magic: 'ni1\0' })), isErr('bad-header', /pair/));
  assert.throws(() => read(nifti1({ dims: [2, 2, 2], ...base, magic: 'xx1\0' })), isErr('bad-header'));
  assert.throws(() => read(nifti1({ dims: [2, 2, 2], ...base, voxOffset: 200 })), isErr('bad-header', /vox_offset/));
  const full = nifti1({ dims: [2, 2, 2], ...base });
  assert.throws(() => read(full.subarray(0, full.length - 1)), isErr('truncated-data'));
  // a vox_offset past the default: data read from there
  const later = nifti1({ dims: [2], datatype: 4, bitpix: 16, data: i16([7, 8]), voxOffset: 368 });
  assert.deepEqual([...read(later).tensors[0]!.tensor.toFloat64()], [7, 8]);
});

test('.nii.gz: inflated with a cap; truncated streams are truncated-data; non-NIfTI content unrecognized', () => {
  const raw = nifti1({ dims: [4], datatype: 2, bitpix: 8, data: new Uint8Array([1, 2, 3, 4]) });
  const gz = gzipSync(raw);
  const f = readTensorFile(gz, 'img.nii.gz');
  assert.equal(f.format, 'nifti');
  assert.equal(tensorStats(f.tensors[0]!.tensor).sum, 10);
  assert.throws(() => readTensorFile(gz.subarray(0, Math.floor(gz.length * 0.6)), 'img.nii.gz'), (e: unknown) => e instanceof TensorFileError && e.kind === 'truncated-data');
  assert.throws(() => readTensorFile(gz, 'img.nii.gz', { maxDecompressedBytes: 100 }), (e: unknown) => e instanceof TensorFileError && e.kind === 'decompression-limit');
  assert.throws(() => readTensorFile(gzipSync(new Uint8Array(400)), 'x.gz'), (e: unknown) => e instanceof TensorFileError && e.kind === 'unrecognized-format');
  // cut inside the 8-byte trailer: the ISIZE check catches it
  assert.throws(() => readTensorFile(gz.subarray(0, gz.length - 3), 'img.nii.gz'), (e: unknown) => e instanceof TensorFileError && e.kind === 'truncated-data');
  // concatenated gzip members (as pigz/bgzip may write) read as one stream, as Python's gzip does
  const cut = 200;
  const a = gzipSync(raw.subarray(0, cut));
  const b = gzipSync(raw.subarray(cut));
  const multi = new Uint8Array(a.length + b.length);
  multi.set(a);
  multi.set(b, a.length);
  assert.deepEqual([...readTensorFile(multi, 'img.nii.gz').tensors[0]!.tensor.toFloat64()], [1, 2, 3, 4]);
});

test('affine: sform, else qform (quaternion, qfac), else the base affine; zooms from pixdim', () => {
  const base = { dims: [4, 5, 6], datatype: 2, bitpix: 8, data: new Uint8Array(120), pixdim: [1, 2, 3, 4, 1, 1, 1, 1] };
  const s = read(nifti1({ ...base, sform: 2, srow: [[2, 0, 0, -10], [0, 3, 0, 5], [0, 0, 4, 1]] })).tensors[0]!.info!;
  assert.deepEqual(s.affine, [[2, 0, 0, -10], [0, 3, 0, 5], [0, 0, 4, 1], [0, 0, 0, 1]]);
  assert.deepEqual(s.zooms, [2, 3, 4]);
  // qform: 180° about z (b, c, d) = (0, 0, 1), qfac -1 flips z
  const q = read(nifti1({ ...base, pixdim: [-1, 2, 3, 4, 1, 1, 1, 1], qform: 1, quatern: [0, 0, 1], qoffset: [1, 2, 3] })).tensors[0]!.info!;
  const noNegZero = (m: unknown) => (m as number[][]).map((r) => r.map((v) => v + 0));
  assert.deepEqual(noNegZero(q.affine), [[-2, 0, 0, 1], [0, -3, 0, 2], [0, 0, -4, 3], [0, 0, 0, 1]]);
  const b = read(nifti1(base)).tensors[0]!.info!;
  assert.deepEqual(b.affine, [[-2, 0, 0, 3], [0, 3, 0, -6], [0, 0, 4, -10], [0, 0, 0, 1]]);
});
