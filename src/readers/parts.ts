/**
 * A file larger than one buffer holds (a language model's logits of several GiB), read in parts: its header from
 * its first bytes, then each tensor's data on its own, into memory of exactly that tensor's size, when the tensor
 * is asked for. Pure like every reader: the caller's {@link FileParts} does the reading.
 *
 * `.safetensors` and `.npy` are read so (their data are plain byte ranges after a header), and zip archives:
 * the zip layer reads the end records, the central directory and the local headers in windows (./zip.ts), then
 * a torch.save archive is read as one in a buffer is (./pt.ts: the pickle is small), each stored storage into
 * memory of its own when a tensor on it is asked for; deflated members and `.npz` members are read only when each
 * fits one buffer. A NIfTI file or a legacy-format `.pt` of that size is refused with a message that says so.
 */
import { DTYPES, Tensor, type AnyTypedArray, type DType } from '../engine/tensor';
import { describeBytes, fail } from './bytes';
import { fortranStrides } from './typed';
import { looksLikeNpy, npyDataBytes, npyHeaderSpan, parseNpyHeader } from './npy';
import { safetensorsFrom } from './safetensors';
import { zipFormat } from './detect';
import { readNpz } from './npz';
import { readZipPt } from './pt';
import type { ReadLimits, TensorFile } from './types';
import { looksLikeZip, openZip } from './zip';

/** Random access to a file too large for one buffer. */
export interface FileParts {
  /** The file's size in bytes. */
  size: number;
  /** Bytes [start, start + length) as one array (headers: length well under one buffer). */
  bytes(start: number, length: number): Uint8Array;
  /** Bytes [start, start + length) in fresh memory of exactly that size (length may exceed what a Uint8Array views). */
  buffer(start: number, length: number): ArrayBufferLike;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads the tensors of a file too large for one buffer (see the module comment). */
export function readTensorFileInParts(parts: FileParts, fileName: string, limits: ReadLimits): TensorFile {
  const first = parts.bytes(0, Math.min(parts.size, 16));
  if (looksLikeNpy(first)) return npyInParts(parts, fileName, limits);
  if (looksLikeZip(first)) {
    const zip = openZip(parts, fileName, limits);
    return zipFormat(zip, fileName) === 'pt' ? readZipPt(zip, fileName, limits, 0) : readNpz(zip, fileName, limits);
  }
  if (first.length >= 8 && looksLikeSafetensorsLength(first, parts.size)) {
    const n = Number(new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true));
    const head = parts.bytes(0, 8 + n);
    // the reader builds an entry's tensor on each access: its data are read once
    const read = new Map<number, AnyTypedArray>();
    return safetensorsFrom(head, parts.size, fileName, limits, (start, count, dtype) => {
      let data = read.get(start);
      if (!data) read.set(start, (data = view(parts, start, count, dtype)));
      return data;
    });
  }
  return fail(
    'too-large',
    fileName,
    `${describeBytes(parts.size)} is more than one buffer holds; a file this large is read in parts only as .safetensors, .npy, .npz or a zip-format .pt (save the tensor with safetensors.torch.save_file, numpy.save or torch.save's default zip format)`,
  );
}

/** A safetensors header length that fits the file and the format's limit (the JSON is checked by the reader). */
function looksLikeSafetensorsLength(first: Uint8Array, size: number): boolean {
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= 100_000_000n && 8n + n <= BigInt(size) && first[8] === 0x7b; // '{'
}

/** `count` items of `dtype` from byte `start` of the file, little-endian, in their own memory. */
function view(parts: FileParts, start: number, count: number, dtype: DType): AnyTypedArray {
  const info = DTYPES[dtype];
  return new info.array(parts.buffer(start, count * info.itemSize), 0, count) as AnyTypedArray;
}

function npyInParts(parts: FileParts, fileName: string, limits: ReadLimits): TensorFile {
  const { dataOffset } = npyHeaderSpan(parts.bytes(0, Math.min(parts.size, 12)));
  const h = parseNpyHeader(parts.bytes(0, Math.min(parts.size, dataOffset)), fileName);
  const itemSize = DTYPES[h.dtype].itemSize;
  const nbytes = npyDataBytes(h, parts.size - h.dataOffset, fileName, limits);
  if (itemSize > 1 && (h.descr[0] === '>') === LITTLE_ENDIAN) {
    fail('too-large', fileName, `a big-endian ${h.dtype} array of ${describeBytes(nbytes)} is more than one buffer holds; save it little-endian`);
  }
  const data = view(parts, h.dataOffset, nbytes / itemSize, h.dtype);
  const tensor = new Tensor(h.dtype, h.shape, data, h.fortranOrder ? fortranStrides(h.shape) : undefined);
  const info = { descr: h.descr, fortranOrder: h.fortranOrder, formatVersion: `${h.major}.${h.minor}`, dataOffset: h.dataOffset, readInParts: true };
  return { format: 'npy', tensors: [{ key: '', tensor, info }], nonTensors: [], info: {} };
}
