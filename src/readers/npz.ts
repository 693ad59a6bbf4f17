/**
 * NumPy `.npz` reader: a zip archive (np.savez: stored members; np.savez_compressed: deflate) whose
 * members are `.npy` images. Keys are the member names without `.npy` (`out/seg.npy` → `out/seg`).
 * Members that are not `.npy` files are not tensors and are skipped (np.load would return them as bytes).
 *
 * Keys come from the zip directory. The decompression budget (one per file, see zip.ts) is checked for every
 * member the read needs before any of them is inflated: all of them, or only `limits.onlyKey`'s; those are
 * parsed (so a bad member fails the read), the others only when their `tensor` is asked for. A parsed tensor
 * is held weakly (re-inflated if it was collected), so walking a large archive holds one member at a time.
 */
import { parseNpy } from './npy';
import type { ReadLimits, TensorEntry, TensorFile } from './types';
import type { Tensor } from '../engine/tensor';
import { openZip, type ZipArchive } from './zip';

export function readNpz(bytes: Uint8Array, fileName: string, limits: ReadLimits, archive?: ZipArchive): TensorFile {
  const zip = archive ?? openZip(bytes, fileName, limits);
  const members = zip.names.filter((n) => n.endsWith('.npy'));
  const keyOf = (name: string): string => name.slice(0, -'.npy'.length);
  const wanted = limits.onlyKey !== undefined ? members.filter((n) => keyOf(n) === limits.onlyKey) : members;
  zip.reserve(wanted, wanted.length === 1 ? `member '${wanted[0]}'` : `the archive's ${wanted.length} .npy members`);
  const tensors: TensorEntry[] = members.map((name) => lazyMember(zip, name, keyOf(name), fileName, limits));
  // The members the caller will read are parsed now, so a bad one fails the read itself (never a partial file);
  // each is then held only weakly, so memory holds one member at a time.
  const want = new Set(wanted);
  for (const e of tensors) if (want.has(`${e.key}.npy`)) void e.tensor;
  return { format: 'npz', tensors, nonTensors: [], info: {} };
}

function lazyMember(zip: ZipArchive, name: string, key: string, fileName: string, limits: ReadLimits): TensorEntry {
  const method = zip.entry(name)!.method;
  let ref: WeakRef<Tensor> | undefined;
  let info: Record<string, unknown> | undefined;
  const load = (): Tensor => {
    const held = ref?.deref();
    if (held) return held;
    const parsed = parseNpy(zip.read(name), fileName, limits, `member '${name}': `);
    info = { ...parsed.info, member: name, compression: method === 8 ? 'deflate' : 'stored' };
    ref = new WeakRef(parsed.tensor);
    return parsed.tensor;
  };
  return {
    key,
    get tensor() {
      return load();
    },
    get info() {
      if (info === undefined) load();
      return info;
    },
  };
}
