/**
 * Format detection by content (magic bytes), never by file extension:
 * - `PK\x03\x04` zip → `.pt` when a member is `data.pkl` / `<prefix>/data.pkl` (torch's zip format),
 *   else `.npz` when members are `*.npy` (an empty archive counts as an empty `.npz`);
 * - `\x80` + protocol 2..5, or protocol 0/1's text LONG of torch's magic number → torch's legacy (non-zip) `.pt`;
 * - `\x93NUMPY` → `.npy`;
 * - gzip `\x1f\x8b` → `.nii.gz` (the inflated header is checked by the NIfTI reader);
 * - sizeof_hdr 348/540 (either byte order) with a NIfTI magic → NIfTI;
 * - an 8-byte header length followed by `{` → safetensors;
 * - sizeof_hdr 348/540 without a magic → NIfTI (the reader reports the bad magic);
 * - `version https://git-lfs.github.com/spec/v1` → a Git LFS pointer: the text git leaves in place of a tracked
 *   file until `git lfs pull` fetches it (refused by name, so the user knows what to run).
 */
import { fail } from './bytes';
import { hasNiftiMagic, looksLikeGzip, niftiVersion } from './nifti';
import { looksLikeNpy } from './npy';
import { looksLikeSafetensors } from './safetensors';
import { DEFAULT_LIMITS, type TensorFormat } from './types';
import { looksLikeZip, openZip, type ZipArchive } from './zip';

/** What the bytes look like; `zip` still has to be split into pt/npz by its member names. */
export type ContentKind = 'zip' | 'pickle' | 'npy' | 'gzip' | 'nifti' | 'safetensors' | 'lfs-pointer' | 'empty' | 'unknown';

export function sniff(bytes: Uint8Array): ContentKind {
  if (bytes.length === 0) return 'empty';
  if (looksLikeZip(bytes)) return 'zip';
  if (bytes[0] === 0x80 && bytes.length >= 2 && bytes[1]! >= 2 && bytes[1]! <= 5) return 'pickle';
  if (startsWithLegacyMagicText(bytes)) return 'pickle';
  if (looksLikeNpy(bytes)) return 'npy';
  if (looksLikeGzip(bytes)) return 'gzip';
  if (hasNiftiMagic(bytes)) return 'nifti';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  if (niftiVersion(bytes) !== 0) return 'nifti';
  if (isLfsPointer(bytes)) return 'lfs-pointer';
  return 'unknown';
}

/** The first line of every Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). */
const LFS_POINTER_START = 'version https://git-lfs.github.com/spec/v1';

export function isLfsPointer(bytes: Uint8Array): boolean {
  if (bytes.length < LFS_POINTER_START.length) return false;
  for (let i = 0; i < LFS_POINTER_START.length; i++) if (bytes[i] !== LFS_POINTER_START.charCodeAt(i)) return false;
  return true;
}

/**
 * What a Git LFS pointer says about the file it stands for: `oid sha256:<hex>` and `size <bytes>` lines
 * (pointers are at most a few hundred bytes; only the first 1 KiB is read).
 */
export function lfsPointerInfo(bytes: Uint8Array): { oid: string | null; size: number | null } {
  let text = '';
  for (let i = 0; i < Math.min(bytes.length, 1024); i++) text += String.fromCharCode(bytes[i]!);
  const oid = /^oid ([a-z0-9]+:[0-9a-f]+)$/m.exec(text)?.[1] ?? null;
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return { oid, size: size !== undefined ? Number(size) : null };
}

function lfsProblem(bytes: Uint8Array): string {
  const { size } = lfsPointerInfo(bytes);
  const real = size !== null ? ` (the real file has ${size.toLocaleString('en-US')} bytes)` : '';
  return `this is a Git LFS pointer, not the tensor${real}: run \`git lfs pull\` to fetch it`;
}

/**
 * Protocols 0 and 1 have no PROTO opcode: torch's legacy stream then starts with its magic number as a text LONG,
 * `L119547037146038801333356L\n` (0x1950a86a20f9469cfc6c), which is what `torch.save(..., pickle_protocol=1)` writes.
 */
const LEGACY_MAGIC_TEXT = 'L119547037146038801333356L\n';

export function startsWithLegacyMagicText(bytes: Uint8Array): boolean {
  if (bytes.length < LEGACY_MAGIC_TEXT.length) return false;
  for (let i = 0; i < LEGACY_MAGIC_TEXT.length; i++) if (bytes[i] !== LEGACY_MAGIC_TEXT.charCodeAt(i)) return false;
  return true;
}

/** The record prefix of torch's zip format (`archive/` or `<stem>/`; '' for a top-level data.pkl), if any. */
export function torchRecordPrefix(zip: ZipArchive): string | undefined {
  for (const name of zip.names) {
    if (name === 'data.pkl') return '';
    if (name.endsWith('/data.pkl') && name.indexOf('/') === name.length - '/data.pkl'.length) {
      return name.slice(0, -'data.pkl'.length);
    }
  }
  return undefined;
}

/** Splits a zip archive into torch (`pt`) or NumPy (`npz`); throws 'unrecognized-format' otherwise. */
export function zipFormat(zip: ZipArchive, fileName: string): 'pt' | 'npz' {
  if (torchRecordPrefix(zip) !== undefined) return 'pt';
  if (zip.names.length === 0 || zip.names.some((n) => n.endsWith('.npy'))) return 'npz';
  return fail('unrecognized-format', fileName, 'zip archive holds neither .npy members nor a PyTorch data.pkl');
}

/**
 * The tensor format of the bytes, or throws 'empty-file' / 'unrecognized-format'.
 * Zip archives are opened (central directory only) to tell `.pt` from `.npz`; a corrupt archive
 * reports its own error (truncated-data / bad-header) rather than "unrecognized". `openZipFn` lets
 * readTensorFile keep the opened archive instead of parsing the directory twice.
 */
export function detectFormat(
  bytes: Uint8Array,
  fileName = 'file',
  openZipFn: (b: Uint8Array) => ZipArchive = (b) => openZip(b, fileName, DEFAULT_LIMITS),
): TensorFormat {
  switch (sniff(bytes)) {
    case 'empty':
      return fail('empty-file', fileName, 'empty file (0 bytes)');
    case 'zip':
      return zipFormat(openZipFn(bytes), fileName);
    case 'pickle':
      return 'pt';
    case 'npy':
      return 'npy';
    case 'gzip':
    case 'nifti':
      return 'nifti';
    case 'safetensors':
      return 'safetensors';
    case 'lfs-pointer':
      return fail('git-lfs-pointer', fileName, lfsProblem(bytes));
    default:
      return fail(
        'unrecognized-format',
        fileName,
        'not a recognisable tensor file (expected .npy, .npz, .pt/.pth, .safetensors, .nii or .nii.gz content)',
      );
  }
}
