/**
 * Node's zlib as the readers' inflater (src/readers/inflate.ts stays pure and falls back to fflate): about ten
 * times faster on large .nii.gz / .npz members, with the same caps (zlib's `maxOutputLength` stops the output,
 * never the declared size) and the same error kinds. Installed once by each Node entry point.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { useNativeInflate } from '../readers/inflate';

const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function installZlibInflate(): void {
  useNativeInflate({
    gunzip: (src, maxOutputLength) => view(gunzipSync(src, { maxOutputLength })),
    inflateRaw: (src, maxOutputLength) => view(inflateRawSync(src, { maxOutputLength })),
  });
}
