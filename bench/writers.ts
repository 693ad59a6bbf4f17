/**
 * Minimal writers for the benchmark's files: `.npy` (format 1.0, C order, little-endian) written in
 * chunks so a 470 MB array never needs a second copy, and NIfTI-1 (`.nii` / `.nii.gz`) for a uint8 label
 * map. Files are written to a temporary name and renamed, so an interrupted run never leaves a truncated
 * file that a later run would mistake for a cached one.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export type NpyDescr = '<f4' | '<i8' | '|u1';

/** The `.npy` header (magic, version 1.0, length, dict padded so the data start at a multiple of 64). */
export function npyHeader(descr: NpyDescr, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/** Streams an `.npy` file: header first, then the caller's chunks in C order. */
export class NpyStreamWriter {
  private fd: number;
  private written = 0;
  private readonly expected: number;

  constructor(
    private readonly path: string,
    descr: NpyDescr,
    shape: readonly number[],
  ) {
    const itemSize = descr === '<f4' ? 4 : descr === '<i8' ? 8 : 1;
    this.expected = shape.reduce((a, b) => a * b, 1) * itemSize;
    this.fd = openSync(`${path}.tmp`, 'w');
    writeAll(this.fd, npyHeader(descr, shape));
  }

  write(chunk: Float32Array | BigInt64Array | Uint8Array): void {
    writeAll(this.fd, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.written += chunk.byteLength;
  }

  close(): void {
    closeSync(this.fd);
    if (this.written !== this.expected) throw new Error(`${this.path}: wrote ${this.written} data bytes, expected ${this.expected}`);
    renameSync(`${this.path}.tmp`, this.path);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
}

/**
 * A NIfTI-1 single file (`n+1`) holding a uint8 volume. `cOrder` is indexed `[i][j][k]` C-order
 * (k fastest) over `dims = [X, Y, Z]`; NIfTI stores x fastest, so the data are transposed on the way out.
 * Identity sform (scanner space, 1 mm voxels) and no intensity scaling (scl_slope 0).
 */
export function niftiUint8(dims: readonly [number, number, number], cOrder: Uint8Array): Uint8Array {
  const [X, Y, Z] = dims;
  const voxOffset = 352;
  const out = new Uint8Array(voxOffset + X * Y * Z);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true); // sizeof_hdr
  const dim = [3, X, Y, Z, 1, 1, 1, 1];
  dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, 2, true); // datatype DT_UNSIGNED_CHAR
  v.setInt16(72, 8, true); // bitpix
  [1, 1, 1, 1, 0, 0, 0, 0].forEach((p, i) => v.setFloat32(76 + 4 * i, p, true)); // pixdim (qfac 1, 1 mm)
  v.setFloat32(108, voxOffset, true);
  v.setFloat32(112, 0, true); // scl_slope 0: no scaling
  v.setFloat32(116, 0, true);
  v.setUint8(123, 10); // xyzt_units: mm + s
  v.setInt16(252, 0, true); // qform_code
  v.setInt16(254, 1, true); // sform_code: scanner
  [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ].forEach((row, r) => row.forEach((x, c) => v.setFloat32(280 + 16 * r + 4 * c, x, true)));
  out.set([0x6e, 0x2b, 0x31, 0], 344); // magic "n+1\0"
  // bytes 348..351: no extension
  const data = out.subarray(voxOffset);
  const YZ = Y * Z;
  for (let i = 0; i < X; i++) {
    for (let j = 0; j < Y; j++) {
      const src = i * YZ + j * Z;
      for (let k = 0; k < Z; k++) data[i + X * (j + Y * k)] = cOrder[src + k]!;
    }
  }
  return out;
}

/** Writes bytes atomically (temporary name, then rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const fd = openSync(`${path}.tmp`, 'w');
  try {
    writeAll(fd, bytes);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.tmp`, path);
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6 });
}
