/**
 * NIfTI-1 / NIfTI-2 reader (`.nii`; `.nii.gz` is inflated first with a cap).
 *
 * Our own reader rather than `nifti-reader-js`: the rules that decide the values are few and exact, and
 * a dependency would have to be vetted against every one of them anyway — the value is what nibabel's
 * `np.asanyarray(img.dataobj)` returns:
 * - voxels are x-fastest on disk, so the logical shape (x, y, z, …) = dim[1..dim[0]] is a view with
 *   Fortran strides over the data (zero copy when little-endian and aligned);
 * - scl_slope 0 or non-finite → not scaled (raw dtype, scl_inter ignored); (slope, inter) = (1, 0) → raw
 *   dtype too; otherwise float64 `raw * slope + inter` (the addition skipped when inter is 0, as nibabel
 *   does), slope/inter being the header's float32 values upcast (float64 in NIfTI-2);
 * - byte order is the one in which sizeof_hdr reads 348 (NIfTI-1) or 540 (NIfTI-2);
 * - dim[0] must be 1..7 and no used dim negative ('bad-dim'; a zero dim is an empty image); the voxel block must fit in the file
 *   before anything is allocated ('truncated-data').
 * Header facts are reported under the corpus manifest's names, with zooms and the affine computed the
 * way nibabel does (sform if sform_code > 0, else qform if qform_code > 0, else the base affine), after
 * nibabel's load-time fixes (qfac ±1, pixdim[1..3] made positive and non-zero).
 */
import { Tensor, type DType, DTYPES } from '../engine/tensor';
import { fmtShape } from '../engine/errors';
import { ByteReader, checkedByteSize, describeBytes, fail } from './bytes';
import { gunzipPrefix } from './inflate';
import { fortranStrides, typedArrayAt } from './typed';
import type { ReadLimits, TensorFile } from './types';

const NIFTI_DTYPES: Readonly<Record<number, DType>> = {
  2: 'uint8',
  4: 'int16',
  8: 'int32',
  16: 'float32',
  64: 'float64',
  256: 'int8',
  512: 'uint16',
  768: 'uint32',
  1024: 'int64',
  1280: 'uint64',
};

/** The NIfTI version whose sizeof_hdr the first 4 bytes hold (either byte order), else 0. */
export function niftiVersion(bytes: Uint8Array): 0 | 1 | 2 {
  if (bytes.length < 4) return 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const le of [true, false]) {
    const n = dv.getInt32(0, le);
    if (n === 348) return 1;
    if (n === 540) return 2;
  }
  return 0;
}

/** True when a NIfTI magic string sits where the header version says it does. */
export function hasNiftiMagic(bytes: Uint8Array): boolean {
  const v = niftiVersion(bytes);
  if (v === 1 && bytes.length >= 348) {
    const m = String.fromCharCode(bytes[344]!, bytes[345]!, bytes[346]!, bytes[347]!);
    return m === 'n+1\0' || m === 'ni1\0';
  }
  if (v === 2 && bytes.length >= 12) {
    return bytes[4] === 0x6e && (bytes[5] === 0x2b || bytes[5] === 0x69) && bytes[6] === 0x32 && bytes[7] === 0;
  }
  return false;
}

export function looksLikeGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflated bytes that hold any NIfTI header (NIfTI-2: 540 + the 4-byte extension flag). */
const HEADER_PREFIX = 544;

/**
 * Reads a `.nii.gz`, inflating only as far as the header says the image needs (header, extensions, voxels), as
 * nibabel does: a stream that goes on past the image is never inflated further, and the needed size is checked
 * against `limits.maxDecompressedBytes` before the voxels are inflated.
 */
export function readNiftiGz(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  const head = gunzipPrefix(bytes, fileName, HEADER_PREFIX);
  if (niftiVersion(head) === 0) fail('unrecognized-format', fileName, 'gzip stream does not hold a NIfTI image');
  const need = imageEnd(head, fileName);
  if (Math.min(need ?? head.length, head.length) > limits.maxDecompressedBytes || (need !== undefined && need > limits.maxDecompressedBytes)) {
    fail('decompression-limit', fileName, `the image needs ${describeBytes(need ?? head.length)} inflated, over the ${describeBytes(limits.maxDecompressedBytes)} decompression limit`);
  }
  if (need === undefined || need <= head.length) return readNifti(head, fileName, limits);
  return readNifti(gunzipPrefix(bytes, fileName, need), fileName, limits);
}

/** Byte offset where the image ends (data start + voxel bytes), or undefined when the header is unusable (readNifti names why). */
function imageEnd(head: Uint8Array, fileName: string): number | undefined {
  try {
    const h = readHeader(head, fileName);
    const ndim = h.dim[0]!;
    const dtype = NIFTI_DTYPES[h.datatype];
    if (!(ndim >= 1 && ndim <= 7) || !dtype || !Number.isFinite(h.voxOffset) || h.voxOffset < 0) return undefined;
    const hdrSize = h.version === 1 ? 348 : 540;
    const start = Math.max(Math.trunc(h.voxOffset), hdrSize + 4);
    const nbytes = checkedByteSize(h.dim.slice(1, ndim + 1), DTYPES[dtype].itemSize);
    return nbytes === undefined ? undefined : start + nbytes;
  } catch {
    return undefined;
  }
}

interface Header {
  version: 1 | 2;
  le: boolean;
  dim: number[];
  datatype: number;
  bitpix: number;
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  srow: [number[], number[], number[]];
  magic: string;
  /** xyzt_units: spatial unit code in bits 0–2, temporal in bits 3–5. */
  xyztUnits: number;
  /** descrip, up to its first NUL. */
  descrip: string;
}

function readHeader(bytes: Uint8Array, fileName: string): Header {
  const version = niftiVersion(bytes);
  if (version === 0) fail('bad-header', fileName, 'sizeof_hdr is neither 348 (NIfTI-1) nor 540 (NIfTI-2)');
  const hdrSize = version === 1 ? 348 : 540;
  if (bytes.length < hdrSize) fail('truncated-data', fileName, `NIfTI-${version} header needs ${hdrSize} bytes, ${bytes.length} present`);
  const probe = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const le = probe.getInt32(0, true) === hdrSize;
  const r = new ByteReader(bytes, fileName, le);
  const floats = (off: number, n: number, wide: boolean): number[] =>
    Array.from({ length: n }, (_, i) => (wide ? r.f64(off + 8 * i) : r.f32(off + 4 * i)));
  if (version === 1) {
    const magic = String.fromCharCode(...bytes.subarray(344, 347));
    return {
      version,
      le,
      dim: Array.from({ length: 8 }, (_, i) => r.i16(40 + 2 * i)),
      datatype: r.i16(70),
      bitpix: r.i16(72),
      pixdim: floats(76, 8, false),
      voxOffset: r.f32(108),
      sclSlope: r.f32(112),
      sclInter: r.f32(116),
      qformCode: r.i16(252),
      sformCode: r.i16(254),
      quatern: floats(256, 3, false) as [number, number, number],
      qoffset: floats(268, 3, false) as [number, number, number],
      srow: [floats(280, 4, false), floats(296, 4, false), floats(312, 4, false)],
      magic: bytes[347] === 0 ? magic : magic + String.fromCharCode(bytes[347]!),
      xyztUnits: bytes[123]!,
      descrip: cString(bytes.subarray(148, 228)),
    };
  }
  const dim = Array.from({ length: 8 }, (_, i) => {
    const v = r.i64(16 + 8 * i);
    return v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(v);
  });
  const vox = r.i64(168);
  return {
    version,
    le,
    dim,
    datatype: r.i16(12),
    bitpix: r.i16(14),
    pixdim: floats(104, 8, true),
    voxOffset: vox > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(vox),
    sclSlope: r.f64(176),
    sclInter: r.f64(184),
    qformCode: r.i32(344),
    sformCode: r.i32(348),
    quatern: floats(352, 3, true) as [number, number, number],
    qoffset: floats(376, 3, true) as [number, number, number],
    srow: [floats(400, 4, true), floats(432, 4, true), floats(464, 4, true)],
    magic: String.fromCharCode(...bytes.subarray(4, 7)),
    xyztUnits: r.i32(500),
    descrip: cString(bytes.subarray(240, 320)),
  };
}

/** A fixed-size C string field: bytes up to the first NUL, as Latin-1 (the format names no encoding). */
function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return String.fromCharCode(...(end < 0 ? field : field.subarray(0, end)));
}

const SPATIAL_UNITS: Record<number, string> = { 0: 'unknown', 1: 'm', 2: 'mm', 3: 'µm' };
const TEMPORAL_UNITS: Record<number, string> = { 0: 'unknown', 8: 's', 16: 'ms', 24: 'µs', 32: 'Hz', 40: 'ppm', 48: 'rad/s' };

/**
 * What a header announces and both readers check: the magic (a single `.nii`, not a `.hdr`/`.img` pair), the
 * dimensions, the datatype, and whether the image is scaled (then it reads as float64).
 */
function announced(h: ReturnType<typeof readHeader>, fileName: string): { dtype: DType; shape: number[]; scaled: boolean } {
  if (h.magic !== `n+${h.version}`) {
    if (h.magic === `ni${h.version}`) fail('bad-header', fileName, `magic '${h.magic}' marks a .hdr/.img pair: open the image file's header and data together`);
    fail('bad-header', fileName, `magic ${JSON.stringify(h.magic)} is not 'n+${h.version}'`);
  }
  const ndim = h.dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) fail('bad-dim', fileName, `dim[0] = ${ndim}; it must be 1..7`);
  const shape = h.dim.slice(1, ndim + 1);
  // A zero dimension is an empty image (nibabel reads it); a negative one is not a size.
  shape.forEach((d, i) => {
    if (d < 0) fail('bad-dim', fileName, `dim[${i + 1}] = ${d}: dimensions must be positive`);
  });
  const dtype = NIFTI_DTYPES[h.datatype];
  if (!dtype) fail('bad-header', fileName, `datatype ${h.datatype} is not a supported numeric type`);
  const scaled = h.sclSlope !== 0 && Number.isFinite(h.sclSlope) && !(h.sclSlope === 1 && h.sclInter === 0);
  return { dtype, shape, scaled };
}

/**
 * The dtype and shape a NIfTI header announces (the data need not be present: the quick picks read only a
 * file's first bytes). A scaled image reads as float64, as {@link readNifti} gives it.
 */
export function niftiHeaderShape(bytes: Uint8Array, fileName: string): { dtype: DType; shape: number[] } {
  const { dtype, shape, scaled } = announced(readHeader(bytes, fileName), fileName);
  return { dtype: scaled ? 'float64' : dtype, shape };
}

export function readNifti(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  const h = readHeader(bytes, fileName);
  const hdrSize = h.version === 1 ? 348 : 540;
  const { dtype, shape, scaled } = announced(h, fileName);

  if (!Number.isFinite(h.voxOffset) || h.voxOffset < 0) fail('bad-header', fileName, `vox_offset ${h.voxOffset} is not a valid offset`);
  let dataStart = Math.trunc(h.voxOffset);
  if (dataStart === 0) dataStart = hdrSize + 4;
  else if (dataStart < hdrSize + 4) fail('bad-header', fileName, `vox_offset ${h.voxOffset} is inside the ${hdrSize}-byte header`);

  const itemSize = DTYPES[dtype].itemSize;
  const nbytes = checkedByteSize(shape, itemSize);
  const present = Math.max(0, bytes.length - dataStart);
  if (nbytes === undefined || nbytes > present) {
    fail(
      'truncated-data',
      fileName,
      `dims ${fmtShape(shape)} x ${dtype} need ${nbytes ?? 'more than 2**53'} bytes after vox_offset ${dataStart}, ${present} present`,
    );
  }
  if (nbytes > limits.maxTensorBytes) {
    fail('too-large', fileName, `image ${fmtShape(shape)} ${dtype} is ${describeBytes(nbytes)}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`);
  }
  const count = nbytes / itemSize;
  // An empty image needs no bytes, wherever vox_offset points.
  const raw = typedArrayAt(bytes, count === 0 ? 0 : dataStart, count, dtype, h.le);
  const strides = fortranStrides(shape);

  let tensor: Tensor;
  const slope = h.sclSlope;
  const inter = h.sclInter;
  if (slope !== 0 && Number.isFinite(slope) && !Number.isFinite(inter)) {
    fail('bad-header', fileName, `scl_slope ${slope} is valid but scl_inter ${inter} is not finite`);
  }
  if (scaled) {
    if (count * 8 > limits.maxTensorBytes) {
      fail('too-large', fileName, `scaled image ${fmtShape(shape)} float64 is ${describeBytes(count * 8)}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`);
    }
    tensor = new Tensor('float64', shape, scaleToFloat64(dtype, raw, slope, inter), strides);
  } else {
    tensor = new Tensor(dtype, shape, raw, strides);
  }

  // nibabel's load-time fixes, for zooms and the affine: pixdim[1..3] positive and non-zero, qfac ±1.
  const pixdim = [...h.pixdim];
  for (let i = 1; i <= 3; i++) pixdim[i] = pixdim[i] === 0 ? 1 : Math.abs(pixdim[i]!);
  if (pixdim[0] !== 1 && pixdim[0] !== -1) pixdim[0] = 1;
  const info: Record<string, unknown> = {
    byteOrder: h.le ? '<' : '>',
    dim: h.dim,
    datatype: h.datatype,
    bitpix: h.bitpix,
    pixdim,
    voxOffset: h.voxOffset,
    sclSlope: slope,
    sclInter: inter,
    magic: h.magic,
    storedDtype: dtype,
    zooms: pixdim.slice(1, shape.length + 1),
    affine: bestAffine(h, pixdim, shape),
    spatialUnit: SPATIAL_UNITS[h.xyztUnits & 0x07] ?? 'unknown',
    temporalUnit: TEMPORAL_UNITS[h.xyztUnits & 0x38] ?? 'unknown',
    description: h.descrip,
  };
  return { format: 'nifti', tensors: [{ key: '', tensor, info }], nonTensors: [], info: {} };
}

/** float64 raw*slope (+ inter when non-zero), element by element in storage order. */
function scaleToFloat64(dtype: DType, raw: Tensor['data'], slope: number, inter: number): Float64Array {
  const n = raw.length;
  const out = new Float64Array(n);
  if (dtype === 'int64' || dtype === 'uint64') {
    const src = raw as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = Number(src[i]!) * slope;
  } else {
    const src = raw as Float64Array; // any numeric typed array reads as numbers
    for (let i = 0; i < n; i++) out[i] = src[i]! * slope;
  }
  if (inter !== 0) for (let i = 0; i < n; i++) out[i] = out[i]! + inter;
  return out;
}

/** nibabel's get_best_affine: sform, else qform, else the shape/zoom base affine (4×4, row-major). */
function bestAffine(h: Header, pixdim: number[], shape: number[]): number[][] | null {
  if (h.sformCode > 0) return [...h.srow.map((row) => [...row]), [0, 0, 0, 1]];
  if (h.qformCode > 0) {
    const [b, c, d] = h.quatern;
    let w2 = 1 - (b * b + c * c + d * d);
    if (w2 < 0) {
      if (w2 < -3 * 2 ** -23) return null; // nibabel refuses a non-unit quaternion
      w2 = 0;
    }
    const w = Math.sqrt(w2);
    const nq = w * w + b * b + c * c + d * d;
    let R: number[][];
    if (nq < Number.EPSILON) {
      R = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ];
    } else {
      const s = 2 / nq;
      const X = b * s, Y = c * s, Z = d * s;
      const wX = w * X, wY = w * Y, wZ = w * Z;
      const xX = b * X, xY = b * Y, xZ = b * Z;
      const yY = c * Y, yZ = c * Z, zZ = d * Z;
      R = [
        [1 - (yY + zZ), xY - wZ, xZ + wY],
        [xY + wZ, 1 - (xX + zZ), yZ - wX],
        [xZ - wY, yZ + wX, 1 - (xX + yY)],
      ];
    }
    const vox = [pixdim[1]!, pixdim[2]!, pixdim[3]! * pixdim[0]!];
    return [
      [R[0]![0]! * vox[0]!, R[0]![1]! * vox[1]!, R[0]![2]! * vox[2]!, h.qoffset[0]],
      [R[1]![0]! * vox[0]!, R[1]![1]! * vox[1]!, R[1]![2]! * vox[2]!, h.qoffset[1]],
      [R[2]![0]! * vox[0]!, R[2]![1]! * vox[1]!, R[2]![2]! * vox[2]!, h.qoffset[2]],
      [0, 0, 0, 1],
    ];
  }
  // shape_zoom_affine(shape[:3], zooms[:3], x_flip=True): diag(-zx, zy, zz), centre at (shape-1)/2.
  const s3 = [0, 1, 2].map((i) => shape[i] ?? 1);
  const z3 = [0, 1, 2].map((i) => (i < shape.length ? pixdim[i + 1]! : 1));
  z3[0] = -z3[0]!;
  return [0, 1, 2].map((i) => {
    const row = [0, 0, 0, -((s3[i]! - 1) / 2) * z3[i]!];
    row[i] = z3[i]!;
    return row;
  }).concat([[0, 0, 0, 1]]);
}
