/**
 * PyTorch `.pt` / `.pth` files, both containers torch.save writes:
 *
 * - **zip** (torch ≥ 1.6): `<prefix>/data.pkl` (the pickled object), `<prefix>/data/<key>` (one record per
 *   storage, raw little-endian elements, 64-byte aligned), optional `<prefix>/byteorder`. The prefix is the
 *   archive name (the file stem, or `archive` for buffers): found, never assumed.
 * - **legacy** (`_use_new_zipfile_serialization=False`): five pickles back to back — magic number,
 *   protocol 1001, sys_info, the object, the sorted storage-key list — then each storage in key-list
 *   order as an int64 element count and its raw bytes.
 *
 * The pickle is read by the weights-only machine in `pickle.ts`, which yields tensor *descriptors*; only
 * after the whole pickle has been accepted are storages looked up, checked against their records
 * (missing / short records are errors, never over-reads) and turned into typed arrays: zero-copy views
 * over the file's bytes when aligned, else one copy (an archive read in parts: each stored storage in memory
 * of its own, read when first asked for, its elements a typed array over it). Every tensor on a storage shares
 * that storage's one typed array; views keep their offset and strides (0 and overlapping strides included).
 *
 * Keys follow the corpus rules: a bare tensor is `''`, dict keys are `str(key)`, nested containers join
 * with `.`, list/tuple items by index; Python scalars go to `nonTensors` under the same keys.
 */
import { DTYPES, Tensor, type AnyTypedArray, type DType } from '../engine/tensor';
import { fmtShape } from '../engine/errors';
import { describeBytes, fail } from './bytes';
import {
  PyBytes,
  PyDict,
  PyGlobal,
  PyList,
  PyOpaque,
  PySet,
  PyStorage,
  PyTensor,
  PyTuple,
  pyStr,
  typeName,
  unpickle,
  type PyValue,
} from './pickle';
import { MAX_VIEW_BYTES, typedArrayAt } from './typed';
import { TensorFileError, type NonTensorEntry, type ReadLimits, type TensorEntry, type TensorFile } from './types';
import { startsWithLegacyMagicText, torchRecordPrefix } from './detect';
import { looksLikeZip, openZip, type ZipArchive } from './zip';

/** torch's legacy-format magic number (the first pickle of a legacy stream). */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001n;

/** Containers nested deeper than this are refused (real checkpoints nest < 10 deep; cycles hit it too). */
const MAX_NESTING = 256;
/**
 * Values visited while flattening: a few per byte of the pickle (each item Python's pickler writes costs a byte or
 * more), and never more than this. Bounds pickles whose shared references expand (a 3 KB pickle of one list
 * referenced a thousand times by another is a million leaves, and their entries hundreds of MB).
 */
const MAX_VISITS = 2_000_000;
const VISITS_BASE = 65536;
const VISITS_PER_BYTE = 2;

const latin1 = new TextDecoder('latin1');

/**
 * Reads a zip-format or legacy `.pt`/`.pth` file. Throws TensorFileError (kind = the corpus errorKind).
 * `zip`: the archive when the caller has already opened `bytes` (format detection does), to skip a
 * second parse of its central directory.
 */
export function readPt(bytes: Uint8Array, fileName: string, limits: ReadLimits, zip?: ZipArchive): TensorFile {
  if (bytes.length === 0) fail('empty-file', fileName, 'empty file (0 bytes)');
  if (looksLikeZip(bytes)) return readZipPt(zip ?? openZip(bytes, fileName, limits), fileName, limits, bytes.byteOffset);
  if (bytes[0] === 0x80 || startsWithLegacyMagicText(bytes)) return readLegacyPt(bytes, fileName, limits);
  fail('unrecognized-format', fileName, 'not a PyTorch file: neither a zip archive nor a pickle stream');
}

// ---------------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------------

/** Where a storage's bytes are: `start`..`start+byteLength` of `bytes`, in the given byte order. */
interface StorageBytes {
  bytes: Uint8Array;
  start: number;
  byteLength: number;
  littleEndian: boolean;
  /** The storage's first byte's offset in its buffer (alignment decides view or copy), known without reading it. */
  alignment: number;
  /** For messages: `storage record 'data/0'`, `legacy storage '1400…'`. */
  what: string;
  /**
   * A storage in memory of its own (a file read in parts): its elements as a typed array over that memory, which
   * can be more than a Uint8Array views; absent, they are viewed or copied from `bytes`.
   */
  elements?(count: number, dtype: DType): AnyTypedArray;
}

/**
 * The torch.save archive `zip` (one buffer starting `baseOffset` bytes into its ArrayBuffer, or a file read in
 * parts: then each stored storage is read into memory of its own on first use and kept).
 */
export function readZipPt(zip: ZipArchive, fileName: string, limits: ReadLimits, baseOffset: number): TensorFile {
  // `<prefix>data.pkl` at the top or one folder down, found exactly as format detection finds it.
  const prefix = torchRecordPrefix(zip);
  if (prefix === undefined) fail('unrecognized-format', fileName, 'zip archive holds no data.pkl: not a torch.save file');
  const pklName = `${prefix}data.pkl`;

  let littleEndian = true;
  const byteorderName = `${prefix}byteorder`;
  if (zip.has(byteorderName)) {
    const order = latin1.decode(zip.read(byteorderName)).trim();
    if (order !== 'little' && order !== 'big') fail('bad-header', fileName, `byteorder record says '${order.slice(0, 20)}', not 'little' or 'big'`);
    littleEndian = order === 'little';
  }

  const storages: PyStorage[] = [];
  const pkl = zip.read(pklName);
  const { value } = unpickle(pkl, 0, { fileName, label: 'data.pkl', onStorage: (s) => storages.push(s) });

  // Every referenced record must exist and be long enough before any tensor is built; nothing is kept per
  // storage (a checkpoint can hold 100,000): each is located again, from the zip directory, when read.
  for (const s of storages) {
    const record = `data/${s.key}`;
    const entry = zip.entry(prefix + record);
    if (!entry) fail('missing-record', fileName, `data.pkl references storage record '${record}' that is not in the archive`);
    const need = s.numel * s.info.itemSize;
    if (entry.size < need) {
      fail(
        'truncated-data',
        fileName,
        `storage record '${record}' holds ${entry.size} bytes but the storage needs ${s.numel} ${s.info.torchDType} = ${need} bytes`,
      );
    }
  }
  const inflated = new Map<string, ZipRecord>();
  // In parts, a stored record read for a little-endian view is kept (a report asks for a tensor more than once,
  // and the file is large); a big-endian one is swapped into a copy that StorageArrays keeps instead.
  const own = new Map<string, ArrayBufferLike>();
  const readBuffer = zip.readBuffer;
  const memory = (name: string, keep: boolean): ArrayBufferLike => {
    let b = own.get(name);
    if (!b) {
      b = readBuffer!(name);
      if (keep) own.set(name, b);
    }
    return b;
  };
  const locate = (key: string): StorageBytes | undefined => {
    const record = `data/${key}`;
    const entry = zip.entry(prefix + record);
    if (!entry) return undefined;
    if (entry.method === 0 && readBuffer) return new OwnRecord(memory, prefix, record, entry.size, littleEndian);
    // A stored record is a view into the file at its data offset; an inflated one is a fresh, aligned buffer,
    // inflated once.
    if (entry.method === 0) return new ZipRecord(zip, prefix, record, entry.size, littleEndian, baseOffset + entry.dataOffset);
    let r = inflated.get(key);
    if (!r) inflated.set(key, (r = new ZipRecord(zip, prefix, record, entry.size, littleEndian, 0)));
    return r;
  };
  return buildFile(value, pkl.length, fileName, limits, locate, { container: 'zip', recordPrefix: prefix, ...(littleEndian ? {} : { byteorder: 'big' }) });
}

/**
 * A storage record of a zip checkpoint: stored records are zero-copy views; a deflated one is inflated once
 * (capped by zip.ts), on first use. A class, not an object literal with a getter: one per storage, and a
 * checkpoint can hold 100,000 of them.
 */
class ZipRecord implements StorageBytes {
  private data: Uint8Array | undefined;
  readonly start = 0;
  constructor(
    private readonly zip: ZipArchive,
    private readonly prefix: string,
    private readonly record: string,
    readonly byteLength: number,
    readonly littleEndian: boolean,
    readonly alignment: number,
  ) {}
  get bytes(): Uint8Array {
    this.data ??= this.zip.read(this.prefix + this.record);
    return this.data;
  }
  get what(): string {
    return `storage record '${this.record}'`;
  }
}

/**
 * A stored storage record of an archive read in parts, read into memory of exactly its size on first use. Its
 * elements are a typed array over that memory directly: a bfloat16 storage of 5 GB is more than a Uint8Array
 * views, not more than a Uint16Array does. Big-endian data must be byte-swapped through a Uint8Array, so those
 * are refused above what one views ({@link StorageArrays.length}).
 */
class OwnRecord implements StorageBytes {
  readonly start = 0;
  readonly alignment = 0;
  constructor(
    /** The record's data in memory of their own; `keep`: read once and kept for the next access. */
    private readonly memory: (name: string, keep: boolean) => ArrayBufferLike,
    private readonly prefix: string,
    private readonly record: string,
    readonly byteLength: number,
    readonly littleEndian: boolean,
  ) {}
  get bytes(): Uint8Array {
    return new Uint8Array(this.memory(this.prefix + this.record, false));
  }
  get what(): string {
    return `storage record '${this.record}'`;
  }
  elements(count: number, dtype: DType): AnyTypedArray {
    const info = DTYPES[dtype];
    if (this.littleEndian || info.itemSize === 1) return new info.array(this.memory(this.prefix + this.record, true), 0, count) as AnyTypedArray;
    return typedArrayAt(this.bytes, 0, count, dtype, false);
  }
}

function readLegacyPt(bytes: Uint8Array, fileName: string, limits: ReadLimits): TensorFile {
  let pos = 0;
  const storages: PyStorage[] = [];
  const next = (label: string): PyValue => {
    const r = unpickle(bytes, pos, { fileName, label, onStorage: (s) => storages.push(s) });
    pos = r.end;
    return r.value;
  };

  let magic: PyValue;
  try {
    magic = next('legacy magic-number pickle');
  } catch (e) {
    // A refused global is reported as such; anything else means this is not a torch file at all.
    if (e instanceof TensorFileError && e.kind !== 'unsafe-pickle') {
      fail('unrecognized-format', fileName, `not a PyTorch file: starts like a pickle but ${e.problem}`);
    }
    throw e;
  }
  if (magic !== LEGACY_MAGIC) {
    fail('unrecognized-format', fileName, `not a PyTorch file: the first pickle is a ${typeName(magic)}, not torch's legacy magic number`);
  }
  const protocol = next('legacy protocol-version pickle');
  if (protocol !== LEGACY_PROTOCOL) fail('unrecognized-format', fileName, `legacy protocol version ${pyStr(protocol)} is not 1001`);
  const sysInfo = next('legacy sys_info pickle');
  let littleEndian = true;
  if (sysInfo instanceof PyDict) {
    const le = sysInfo.entries.get('little_endian');
    if (le && typeof le.value === 'boolean') littleEndian = le.value;
  }
  const objectStart = pos;
  const value = next('legacy object pickle');
  const objectBytes = pos - objectStart;
  const keyList = next('legacy storage-key-list pickle');
  if (!(keyList instanceof PyList || keyList instanceof PyTuple)) fail('bad-header', fileName, `legacy storage-key list is a ${typeName(keyList)}, not a list`);

  // Element sizes come from the pickle's storage references.
  const declared = new Map<string, PyStorage>();
  for (const s of storages) {
    const prev = declared.get(s.key);
    if (prev && (prev.info.itemSize !== s.info.itemSize || prev.numel !== s.numel)) {
      fail('bad-header', fileName, `legacy storage '${s.key}' is referenced as both ${prev.numel} ${prev.info.torchDType} and ${s.numel} ${s.info.torchDType}`);
    }
    declared.set(s.key, s);
  }

  const located = new Map<string, StorageBytes>();
  for (const rawKey of keyList.items) {
    const key = typeof rawKey === 'string' ? rawKey : typeof rawKey === 'bigint' ? rawKey.toString() : undefined;
    if (key === undefined) fail('bad-header', fileName, `legacy storage-key list holds a ${typeName(rawKey)}`);
    const s = declared.get(key);
    if (!s) fail('bad-header', fileName, `legacy storage-key list names '${key}', which the pickle never references`);
    if (located.has(key)) fail('bad-header', fileName, `legacy storage-key list names '${key}' twice`);
    if (pos + 8 > bytes.length) {
      fail('truncated-data', fileName, `legacy storage '${key}' element count at byte ${pos} runs past the end of the ${bytes.length}-byte file`);
    }
    const count = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigInt64(0, littleEndian);
    if (count !== BigInt(s.numel)) {
      fail('size-mismatch', fileName, `legacy storage '${key}' holds ${count} elements but the pickle declares ${s.numel}`);
    }
    const start = pos + 8;
    const byteLength = s.numel * s.info.itemSize;
    if (byteLength > bytes.length - start) {
      fail(
        'truncated-data',
        fileName,
        `legacy storage '${key}' needs ${s.numel} ${s.info.torchDType} = ${byteLength} bytes at byte ${start}, ${Math.max(0, bytes.length - start)} present`,
      );
    }
    located.set(key, { bytes, start, byteLength, littleEndian, alignment: bytes.byteOffset + start, what: `legacy storage '${key}'` });
    pos = start + byteLength;
  }
  for (const s of storages) {
    if (!located.has(s.key)) fail('missing-record', fileName, `the pickle references storage '${s.key}' that is not in the legacy storage-key list`);
  }
  return buildFile(value, objectBytes, fileName, limits, (key) => located.get(key), { container: 'legacy', ...(littleEndian ? {} : { byteorder: 'big' }) });
}

// ---------------------------------------------------------------------------------------------------
// From the unpickled object to entries
// ---------------------------------------------------------------------------------------------------

const DONE: Leaf = { key: '', value: null };

/** A leaf value and (when keys collide) its path: dict keys (`str(key)`) and list/tuple/set indices, outermost first. */
type Leaf = { key: string; path?: (string | number)[]; value: PyValue };

function buildFile(
  root: PyValue,
  pickleBytes: number,
  fileName: string,
  limits: ReadLimits,
  locate: (key: string) => StorageBytes | undefined,
  info: Record<string, unknown>,
): TensorFile {
  // Paths are kept only when dotted keys collide, which needs them (one array per leaf otherwise).
  const maxVisits = Math.min(MAX_VISITS, VISITS_BASE + VISITS_PER_BYTE * pickleBytes);
  // how messages name the pickle that holds the object: the zip record, or the legacy format's third pickle
  const pickleLabel = info.container === 'zip' ? 'data.pkl' : 'legacy object pickle';
  let leaves = flatten(root, fileName, maxVisits, false, pickleLabel);
  const seen = new Set<string>();
  const collide = leaves.some(({ key }) => seen.size === seen.add(key).size);
  seen.clear();
  if (collide) leaves = flatten(root, fileName, maxVisits, true, pickleLabel);
  const warnings = collide ? disambiguate(leaves) : [];
  // Storages under more than one tensor: their typed array is made once and shared (the rest are made per access).
  const uses = new Map<string, number>();
  for (const { value } of leaves) {
    const k = value instanceof PyTensor ? value.storage.key : value instanceof PyStorage ? value.key : undefined;
    if (k !== undefined) uses.set(k, (uses.get(k) ?? 0) + 1);
  }
  const shared = new Set<string>();
  for (const [k, n] of uses) if (n > 1) shared.add(k);
  const arrays = new StorageArrays(fileName, limits, locate, shared, pickleLabel);
  const tensors: TensorEntry[] = [];
  const nonTensors: NonTensorEntry[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const { key, value } = leaves[i]!;
    // Dropped as they become entries: the leaves and the entries are not both held whole.
    leaves[i] = DONE;
    if (value instanceof PyTensor || value instanceof PyStorage) {
      const t = value instanceof PyTensor ? value : bareStorageTensor(value);
      if (t.dtype === undefined) {
        nonTensors.push({ key, type: 'Tensor', value: `${t.torchDType} tensor ${fmtShape(t.shape)} (dtype not supported: not shown)` });
        continue;
      }
      check(t, t.dtype, key, fileName, limits, arrays);
      tensors.push(new PtEntry(key, t, t.dtype, arrays));
    } else {
      nonTensors.push(nonTensor(key, value));
    }
  }
  return { format: 'pt', tensors, nonTensors, info, ...(warnings.length ? { warnings } : {}) };
}

/** A path in subscript form, `['a']['b'][0]`: reaches one leaf even when dotted keys collide. */
export function subscriptKey(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `['${p.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`)).join('');
}

/**
 * Dotted keys are ambiguous when a dict key holds a dot: `{'a.b': t1, 'a': {'b': t2}}` flattens both to `a.b`.
 * Every leaf of such a collision is keyed by its subscript path instead (`['a.b']`, `['a']['b']`), so each
 * stays reachable, and a warning says so. Returns the warnings.
 */
function disambiguate(leaves: Leaf[]): string[] {
  const byKey = new Map<string, Leaf[]>();
  for (const leaf of leaves) {
    const same = byKey.get(leaf.key);
    if (same) same.push(leaf);
    else byKey.set(leaf.key, [leaf]);
  }
  const warnings: string[] = [];
  for (const [key, same] of byKey) {
    if (same.length < 2) continue;
    for (const leaf of same) leaf.key = subscriptKey(leaf.path!);
    warnings.push(`key '${key}' names ${same.length} values (a dict key holds a dot); they are keyed ${same.map((l) => l.key).join(', ')}`);
  }
  return warnings;
}

/** `torch.save(storage)`: shown as the 1-D tensor of all its elements. */
function bareStorageTensor(s: PyStorage): PyTensor {
  const numel = s.view ? s.view.numel : s.numel;
  return new PyTensor(s, s.info.dtype, s.info.torchDType, 0, [numel], [1], false, false);
}

/** Depth-first, in the file's order: dict items, list/tuple/set items by index. */
function flatten(root: PyValue, fileName: string, maxVisits: number, withPaths: boolean, pickleLabel: string): Leaf[] {
  const out: Leaf[] = [];
  let visits = 0;
  const join = (prefix: string | undefined, k: string): string => (prefix === undefined ? k : `${prefix}.${k}`);
  const path: (string | number)[] = [];
  const walk = (v: PyValue, key: string | undefined, depth: number): void => {
    if (++visits > maxVisits) {
      fail(
        'bad-header',
        fileName,
        `${pickleLabel}: the pickled object expands to more than ${maxVisits} values (shared or cyclic references; the budget for a pickle of its size)`,
      );
    }
    if (depth > MAX_NESTING) fail('bad-header', fileName, `${pickleLabel}: containers nested more than ${MAX_NESTING} deep (or cyclic)`);
    const step = (value: PyValue, seg: string | number): void => {
      path.push(seg);
      walk(value, join(key, String(seg)), depth + 1);
      path.pop();
    };
    if (v instanceof PyDict) {
      for (const { key: k, value } of v.entries.values()) step(value, pyStr(k));
    } else if (v instanceof PyList || v instanceof PyTuple) {
      v.items.forEach((item, i) => step(item, i));
    } else if (v instanceof PySet) {
      let i = 0;
      for (const item of v.items.values()) step(item, i++);
    } else {
      out.push(withPaths ? { key: key ?? '', path: [...path], value: v } : { key: key ?? '', value: v });
    }
  };
  walk(root, undefined, 0);
  return out;
}

function nonTensor(key: string, v: PyValue): NonTensorEntry {
  const type = typeName(v);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return { key, type, value: v };
  if (typeof v === 'bigint') return { key, type, value: Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v };
  if (typeof v === 'number') return { key, type, value: Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v };
  if (v instanceof PyGlobal) return { key, type, value: v.qualified };
  if (v instanceof PyOpaque || v instanceof PyBytes) return { key, type, value: pyStr(v) };
  return { key, type, value: `<${type}>` };
}

/** Whether elements of `itemSize` bytes at `loc` must be copied (misaligned, or to be byte-swapped). */
function copied(loc: Pick<StorageBytes, 'alignment' | 'littleEndian'>, itemSize: number): boolean {
  return loc.alignment % itemSize !== 0 || (!loc.littleEndian && itemSize > 1);
}

/**
 * Why the elements of `byteLength` bytes at `loc` cannot be had, or undefined: a storage in memory of its own
 * (read in parts) that must be byte-swapped needs a Uint8Array over all of it, which views at most
 * {@link MAX_VIEW_BYTES} (a little-endian one is viewed by its own typed array, at any size).
 */
function ownMemoryProblem(loc: Pick<StorageBytes, 'elements' | 'littleEndian' | 'alignment' | 'what'>, itemSize: number, byteLength: number): string | undefined {
  if (!loc.elements || !copied(loc, itemSize) || byteLength <= MAX_VIEW_BYTES) return undefined;
  return `${loc.what} is big-endian and ${describeBytes(byteLength)}: byte-swapping it needs one buffer, which holds at most ${describeBytes(MAX_VIEW_BYTES)}; save it on a little-endian machine`;
}

/**
 * The elements of storages as typed arrays, one per (storage, dtype) shared by every tensor on it. A storage
 * under one tensor only is viewed afresh on each access (cheap, and nothing is held for it: a checkpoint can
 * hold 100,000 storages); copies (unaligned or big-endian data) and shared storages are made once and kept.
 */
class StorageArrays {
  private readonly kept = new Map<string, AnyTypedArray>();
  constructor(
    readonly fileName: string,
    private readonly limits: ReadLimits,
    private readonly locate: (key: string) => StorageBytes | undefined,
    private readonly shared: ReadonlySet<string>,
    /** How messages name the pickle holding the object. */
    private readonly pickleLabel: string,
  ) {}

  private where(s: PyStorage): StorageBytes {
    const loc = this.locate(s.key);
    if (!loc) fail('missing-record', this.fileName, `${this.pickleLabel} references storage '${s.key}' that is not in the file`);
    return loc;
  }

  /**
   * The number of `dtype` elements `s` (or its view) holds, with every refusal `get` could make made here
   * first: a copy over the tensor limit, a view past its storage. Reads no record.
   */
  length(s: PyStorage, dtype: DType): number {
    const loc = this.where(s);
    const itemSize = DTYPES[dtype].itemSize;
    const count = Math.floor((s.numel * s.info.itemSize) / itemSize);
    const byteLength = count * itemSize;
    if (byteLength > this.limits.maxTensorBytes && copied(loc, itemSize)) {
      fail('too-large', this.fileName, `${loc.what} (${describeBytes(byteLength)}) must be copied and is over the ${describeBytes(this.limits.maxTensorBytes)} tensor limit`);
    }
    const problem = ownMemoryProblem(loc, itemSize, byteLength);
    if (problem !== undefined) fail('too-large', this.fileName, problem);
    if (!s.view) return count;
    const itemRatio = s.info.itemSize / itemSize;
    const start = s.view.offset * itemRatio;
    const end = start + s.view.numel * itemRatio;
    if (!Number.isInteger(start) || end > count) {
      fail('view-out-of-bounds', this.fileName, `storage view '${s.view.key}' (offset ${s.view.offset}, size ${s.view.numel}) runs past the ${s.numel}-element storage '${s.key}'`);
    }
    return end - start;
  }

  /** The elements of `s` as `dtype` (the storage's own type, or `_rebuild_tensor_v3`'s reinterpretation). */
  get(s: PyStorage, dtype: DType): AnyTypedArray {
    const loc = this.where(s);
    const itemSize = DTYPES[dtype].itemSize;
    const count = Math.floor((s.numel * s.info.itemSize) / itemSize);
    const byteLength = count * itemSize;
    const copy = copied(loc, itemSize);
    const keep = copy || this.shared.has(s.key);
    const id = `${s.key}\u0000${dtype}`;
    let root = keep ? this.kept.get(id) : undefined;
    if (!root) {
      if (copy && byteLength > this.limits.maxTensorBytes) {
        fail('too-large', this.fileName, `${loc.what} (${describeBytes(byteLength)}) must be copied and is over the ${describeBytes(this.limits.maxTensorBytes)} tensor limit`);
      }
      root = loc.elements ? loc.elements(count, dtype) : typedArrayAt(loc.bytes, loc.start, count, dtype, loc.littleEndian);
      if (keep) this.kept.set(id, root);
    }
    if (!s.view) return root;
    // Legacy storage views: a window of the root storage (bounds checked by `length`).
    const itemRatio = s.info.itemSize / itemSize;
    const start = s.view.offset * itemRatio;
    return root.subarray(start, start + s.view.numel * itemRatio);
  }
}

/** Every check of a tensor that building it could fail, made before any is built (so a bad file fails the read). */
function check(t: PyTensor, dtype: DType, key: string, fileName: string, limits: ReadLimits, arrays: StorageArrays): void {
  const label = key === '' ? 'tensor' : `tensor '${key}'`;
  const itemSize = DTYPES[dtype].itemSize;
  let size = 1;
  for (const d of t.shape) size *= d;
  if (!Number.isSafeInteger(size) || size * itemSize > limits.maxTensorBytes) {
    fail(
      'too-large',
      fileName,
      `${label} (${dtype} ${fmtShape(t.shape)}) is ${Number.isSafeInteger(size * itemSize) ? describeBytes(size * itemSize) : 'impossibly large'}, over the ${describeBytes(limits.maxTensorBytes)} tensor limit`,
    );
  }
  const length = arrays.length(t.storage, dtype);
  const problem = viewProblem(t.shape, t.stride, t.offset, length);
  if (problem !== undefined) fail('view-out-of-bounds', fileName, `tensor ${viewText(t)}${problem} (${whereOf(t, key)})`);
}

const viewText = (t: PyTensor) => `view (offset ${t.offset}, size ${fmtShape(t.shape)}, stride ${fmtShape(t.stride)})`;
const whereOf = (t: PyTensor, key: string) => `key '${key}', storage '${t.storage.view ? t.storage.view.key : t.storage.key}'`;

/** What the Tensor constructor would refuse in this view of `length` elements (the text after the view), or undefined. */
function viewProblem(shape: readonly number[], stride: readonly number[], offset: number, length: number): string | undefined {
  if (stride.length !== shape.length) return `: strides do not match the shape`;
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return undefined;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    const st = stride[i]!;
    if (!Number.isSafeInteger(st) || st < 0) return `: invalid stride ${st}`;
    last += (shape[i]! - 1) * st;
  }
  if (offset < 0 || !Number.isSafeInteger(last) || last >= length) return ` needs elements beyond the ${length}-element storage`;
  return undefined;
}

/**
 * A checked tensor of the file, built on each access: a view over the file's bytes (or the storage's one copy),
 * so a checkpoint of 70,000 tensors keeps one small record each until one is asked for.
 */
class PtEntry implements TensorEntry {
  constructor(
    readonly key: string,
    private readonly t: PyTensor,
    private readonly dtype: DType,
    private readonly arrays: StorageArrays,
  ) {}

  get tensor(): Tensor {
    const t = this.t;
    try {
      return new Tensor(this.dtype, t.shape, this.arrays.get(t.storage, this.dtype) as never, t.stride, t.offset);
    } catch (e) {
      if (e instanceof RangeError) fail('view-out-of-bounds', this.arrays.fileName, `tensor ${viewText(t)}: ${e.message} (${whereOf(t, this.key)})`);
      throw e;
    }
  }

  get info(): Record<string, unknown> {
    const t = this.t;
    const s = t.storage;
    return {
      storage: {
        key: s.view ? s.view.key : s.key,
        dtype: s.info.dtype ?? s.info.torchDType,
        numel: s.view ? s.view.numel : s.numel,
        location: s.location,
      },
      stride: [...t.stride],
      storageOffset: t.offset,
      requiresGrad: t.requiresGrad,
      parameter: t.parameter,
    };
  }
}
