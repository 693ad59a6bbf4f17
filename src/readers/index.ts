/**
 * The readers' entry point: `readTensorFile(bytes, fileName, limits?)` detects the format by content and
 * dispatches to the format reader. Pure: takes bytes, never paths; returns views over those bytes
 * wherever alignment and byte order allow.
 */
import { detectFormat, sniff } from './detect';
import { readNifti, readNiftiGz } from './nifti';
import { readNpy } from './npy';
import { readNpz } from './npz';
import { readPt } from './pt';
import { readSafetensors } from './safetensors';
import { DEFAULT_LIMITS, type ReadLimits, type TensorFile } from './types';
import { openZip, type ZipArchive } from './zip';

export * from './types';
export { detectFormat, sniff } from './detect';
export { tensorStats, histogram, toManifestJson, encodeNumber, type TensorStats, type Exact, type Histogram } from './stats';

/** Reads every tensor of a file. Throws TensorFileError (kind = the corpus's errorKind) for a bad file. */
export function readTensorFile(bytes: Uint8Array, fileName: string, limits?: Partial<ReadLimits>): TensorFile {
  const lim = resolveLimits(limits);
  let zip: ZipArchive | undefined;
  const format = detectFormat(bytes, fileName, (b) => (zip = openZip(b, fileName, lim)));
  switch (format) {
    case 'npy':
      return readNpy(bytes, fileName, lim);
    case 'npz':
      return readNpz(zip ?? bytes, fileName, lim);
    case 'pt':
      return readPt(bytes, fileName, lim, zip);
    case 'safetensors':
      return readSafetensors(bytes, fileName, lim);
    case 'nifti':
      return sniff(bytes) === 'gzip' ? readNiftiGz(bytes, fileName, lim) : readNifti(bytes, fileName, lim);
  }
}

function resolveLimits(limits: Partial<ReadLimits> | undefined): ReadLimits {
  const lim: ReadLimits = { ...DEFAULT_LIMITS, ...limits };
  for (const k of ['maxTensorBytes', 'maxDecompressedBytes'] as const) {
    const v = lim[k];
    // A caller's bug, not a property of the file: a plain RangeError.
    if (!(typeof v === 'number' && v >= 0)) throw new RangeError(`read limit ${k} must be a non-negative number, got ${String(v)}`);
  }
  return lim;
}
