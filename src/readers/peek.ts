/**
 * What a tensor file holds, from its first bytes only (a header, never the data): for the quick picks, which
 * show every file's dtype and shape and must not read gigabytes to do so, and which never propose a file that
 * is no tensor file (a Git LFS pointer, a text file) as a partner.
 * - `.npy`, `.safetensors` (while the header fits the prefix), `.nii` and `.nii.gz`: the tensors with dtype and shape;
 * - zip (`.pt`, `.npz`) and pickles: `unknown` (their directory is at the end, their shapes inside a pickle) —
 *   the key step lists them once the file is read;
 * - a file the readers refuse by its first bytes (LFS pointer, empty, unrecognised): `not-tensor`, with the
 *   readers' own message.
 */
import { detectFormat, sniff } from './detect';
import { gunzipPrefix } from './inflate';
import { niftiHeaderShape } from './nifti';
import { parseNpyHeader } from './npy';
import { safetensorsHeaderTensors } from './safetensors';
import { TensorFileError } from './types';
import type { DType } from '../engine/tensor';

/** How many bytes of a file {@link peekTensors} needs to answer for most files. */
export const PEEK_BYTES = 64 * 1024;

export type PeekResult =
  | { kind: 'tensors'; format: string; tensors: { key: string; dtype: DType; shape: number[] }[] }
  | { kind: 'not-tensor'; errorKind: string; message: string }
  | { kind: 'unknown'; format: string | null };

/** Peeks at `prefix` (the first bytes of a file of `size` bytes, at most {@link PEEK_BYTES} needed). */
export function peekTensors(prefix: Uint8Array, fileName: string, size: number): PeekResult {
  const kind = sniff(size === 0 ? new Uint8Array(0) : prefix);
  if (kind === 'lfs-pointer' || kind === 'empty' || kind === 'unknown') {
    try {
      detectFormat(prefix, fileName);
    } catch (e) {
      if (e instanceof TensorFileError) return { kind: 'not-tensor', errorKind: e.kind, message: e.message };
    }
    return { kind: 'unknown', format: null };
  }
  try {
    switch (kind) {
      case 'npy': {
        const h = parseNpyHeader(prefix, fileName);
        return { kind: 'tensors', format: 'npy', tensors: [{ key: '', dtype: h.dtype, shape: h.shape }] };
      }
      case 'safetensors': {
        const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
        if (8 + n > prefix.length) return { kind: 'unknown', format: 'safetensors' };
        const tensors = safetensorsHeaderTensors(prefix.subarray(0, 8 + n), fileName);
        return { kind: 'tensors', format: 'safetensors', tensors };
      }
      case 'nifti':
      case 'gzip': {
        const head = kind === 'gzip' ? gunzipPrefix(prefix, fileName, 544) : prefix;
        const h = niftiHeaderShape(head, fileName);
        return { kind: 'tensors', format: 'nifti', tensors: [{ key: '', dtype: h.dtype, shape: h.shape }] };
      }
      default:
        return { kind: 'unknown', format: kind === 'pickle' ? 'pt' : kind };
    }
  } catch {
    // A header that does not parse from the prefix: the full read says why, if anything is wrong.
    return { kind: 'unknown', format: kind };
  }
}
