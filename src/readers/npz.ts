/**
 * NumPy `.npz` reader: a zip archive (np.savez: stored members; np.savez_compressed: deflate) whose
 * members are `.npy` images. Keys are the member names without `.npy` (`out/seg.npy` → `out/seg`).
 * Members that are not `.npy` files are not tensors and are skipped (np.load would return them as bytes).
 *
 * Keys come from the zip directory. The decompression budget (one per file, see zip.ts) is checked for every
 * member the read needs before any of them is inflated: all of them, or only `limits.onlyKey`'s; those are
 * parsed (so a bad member fails the read), the others only when their `tensor` is asked for. The archive holds
 * the two members parsed last (a pair of logits and target in one file) and no other (asked for again, one is
 * inflated again), so walking a large archive holds two members at a time. Not a WeakRef: what a WeakRef was
 * deref'd to is kept until the synchronous job ends, which for `info` is the whole listing.
 */
import { parseNpy } from './npy';
import type { ReadLimits, TensorEntry, TensorFile } from './types';
import type { Tensor } from '../engine/tensor';
import { openZip, type ZipArchive } from './zip';

/** Reads an `.npz` file's bytes, or its archive already opened (format detection opens it; so does a read in parts). */
export function readNpz(input: Uint8Array | ZipArchive, fileName: string, limits: ReadLimits): TensorFile {
  const zip = input instanceof Uint8Array ? openZip(input, fileName, limits) : input;
  const members = zip.names.filter((n) => n.endsWith('.npy'));
  const keyOf = (name: string): string => name.slice(0, -'.npy'.length);
  const wanted = limits.onlyKey !== undefined ? members.filter((n) => keyOf(n) === limits.onlyKey) : members;
  zip.reserve(wanted, wanted.length === 1 ? `member '${wanted[0]}'` : `the archive's ${wanted.length} .npy members`);
  const last: Recent = [];
  const tensors: TensorEntry[] = members.map((name) => lazyMember(zip, name, keyOf(name), fileName, limits, last));
  // The members the caller will read are parsed now, so a bad one fails the read itself (never a partial file).
  const want = new Set(wanted);
  for (const e of tensors) if (want.has(`${e.key}.npy`)) void e.tensor;
  return { format: 'npz', tensors, nonTensors: [], info: {} };
}

/** The parsed members an archive holds, the latest first. */
type Recent = { name: string; tensor: Tensor }[];
const RECENT = 2;

function lazyMember(zip: ZipArchive, name: string, key: string, fileName: string, limits: ReadLimits, recent: Recent): TensorEntry {
  const method = zip.entry(name)!.method;
  let info: Record<string, unknown> | undefined;
  const load = (): Tensor => {
    const held = recent.find((r) => r.name === name);
    if (held) return held.tensor;
    // The oldest is let go before the next is inflated.
    if (recent.length >= RECENT) recent.pop();
    const parsed = parseNpy(zip.read(name), fileName, limits, `member '${name}': `);
    info = { ...parsed.info, member: name, compression: method === 8 ? 'deflate' : 'stored' };
    recent.unshift({ name, tensor: parsed.tensor });
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
