/**
 * NumPy `.npz` reader: a zip archive (np.savez: stored members; np.savez_compressed: deflate) whose
 * members are `.npy` images. Keys are the member names without `.npy` (`out/seg.npy` → `out/seg`).
 * Members that are not `.npy` files are not tensors and are skipped (np.load would return them as bytes).
 * Deflated members are inflated through the zip layer's capped inflate, so a zip bomb is refused.
 */
import { parseNpy } from './npy';
import type { ReadLimits, TensorEntry, TensorFile } from './types';
import { openZip, type ZipArchive } from './zip';

export function readNpz(bytes: Uint8Array, fileName: string, limits: ReadLimits, archive?: ZipArchive): TensorFile {
  const zip = archive ?? openZip(bytes, fileName, limits);
  const tensors: TensorEntry[] = [];
  for (const name of zip.names) {
    if (!name.endsWith('.npy')) continue;
    const entry = zip.entry(name)!;
    const where = `member '${name}': `;
    const member = zip.read(name);
    const { tensor, info } = parseNpy(member, fileName, limits, where);
    tensors.push({
      key: name.slice(0, -'.npy'.length),
      tensor,
      info: { ...info, member: name, compression: entry.method === 8 ? 'deflate' : 'stored' },
    });
  }
  return { format: 'npz', tensors, nonTensors: [], info: {} };
}
