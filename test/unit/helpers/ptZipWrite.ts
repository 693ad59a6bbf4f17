// A torch.save-like zip archive written by hand, for files too large to save for real: `<prefix>data.pkl` (a dict
// of tensors, each rebuilt by _rebuild_tensor_v2 as torch.save pickles a state dict), one stored record per storage
// at a 64-byte-aligned data offset (torch's padding extra field), `<prefix>version`, zip64 fields where an offset or
// size needs them (or everywhere, when asked). A storage may be a hole: only its size is given and its bytes are
// never written, so the archive is a list of pieces at offsets: a sparse file, or a file in memory whose holes read
// as zeros. CRCs are those of the bytes given; a hole's is left 0 (the reader does not check CRCs).
import type { FileParts } from '../../../src/readers/parts';

/** A tensor of the archive: its storage holds `data` (little-endian unless the archive is big-endian) or `holeBytes` of zeros. */
export interface TensorSpec {
  key: string;
  /** torch's storage class: FloatStorage, BFloat16Storage, LongStorage, ByteStorage, … */
  storageType: string;
  itemSize: number;
  shape: number[];
  data?: Uint8Array;
  /** The storage's size in bytes when it is a hole (`data` absent). */
  holeBytes?: number;
}

export interface Piece {
  offset: number;
  bytes: Uint8Array;
}

export interface Archive {
  pieces: Piece[];
  size: number;
}

const U32_MAX = 0xffffffff;
const enc = new TextEncoder();

/** Little-endian bytes of unsigned integers of the given widths. */
function le(...fields: [number, 2 | 4 | 8][]): number[] {
  const out: number[] = [];
  for (const [v, w] of fields) for (let i = 0; i < w; i++) out.push(Math.floor(v / 2 ** (8 * i)) % 256);
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** pickle protocol 2 of {key: _rebuild_tensor_v2(storage i, 0, shape, contiguous strides, False, OrderedDict())}. */
export function statePickle(tensors: readonly TensorSpec[]): Uint8Array {
  const out: number[] = [0x80, 2, 0x7d, 0x28]; // PROTO 2, EMPTY_DICT, MARK
  const str = (s: string) => {
    const b = enc.encode(s);
    out.push(0x58, ...le([b.length, 4]), ...b); // BINUNICODE
  };
  const global = (module: string, name: string) => out.push(0x63, ...enc.encode(`${module}\n${name}\n`));
  const int = (n: number) => out.push(0x8a, 8, ...le([n, 8])); // LONG1 of 8 bytes (sizes above 2**31)
  tensors.forEach((t, i) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const storageBytes = t.data?.length ?? t.holeBytes!;
    str(t.key);
    global('torch._utils', '_rebuild_tensor_v2');
    out.push(0x28, 0x28); // MARK (args), MARK (persistent id)
    str('storage');
    global('torch', t.storageType);
    str(String(i));
    str('cpu');
    int(storageBytes / t.itemSize);
    out.push(0x74, 0x51); // TUPLE, BINPERSID
    int(0);
    out.push(0x28);
    for (const d of t.shape) int(d);
    out.push(0x74, 0x28);
    let s = numel;
    for (const d of t.shape) int((s /= Math.max(d, 1)));
    out.push(0x74, 0x89); // TUPLE, NEWFALSE (requires_grad)
    global('collections', 'OrderedDict');
    out.push(0x29, 0x52, 0x74, 0x52); // EMPTY_TUPLE, REDUCE (hooks), TUPLE (args), REDUCE
  });
  out.push(0x75, 0x2e); // SETITEMS, STOP
  return Uint8Array.from(out);
}

/** The archive of `tensors` as pieces laid out as torch.save lays them out. */
export function ptArchive(tensors: readonly TensorSpec[], opts: { prefix?: string; byteorder?: 'little' | 'big'; zip64?: boolean } = {}): Archive {
  const prefix = opts.prefix ?? 'archive/';
  const members: { name: string; size: number; data?: Uint8Array }[] = [{ name: `${prefix}data.pkl`, size: 0, data: statePickle(tensors) }];
  if (opts.byteorder) members.push({ name: `${prefix}byteorder`, size: 0, data: enc.encode(opts.byteorder) });
  tensors.forEach((t, i) => members.push({ name: `${prefix}data/${i}`, size: t.data?.length ?? t.holeBytes!, ...(t.data ? { data: t.data } : {}) }));
  members.push({ name: `${prefix}version`, size: 0, data: enc.encode('3\n') });
  const pieces: Piece[] = [];
  const central: number[] = [];
  let off = 0;
  for (const m of members) {
    const size = m.data?.length ?? m.size;
    const crc = m.data ? crc32(m.data) : 0;
    const name = enc.encode(m.name);
    const big = opts.zip64 || size >= U32_MAX;
    const bigOffset = opts.zip64 || off >= U32_MAX;
    const local64 = big ? le([1, 2], [16, 2], [size, 8], [size, 8]) : [];
    const pad = (64 - ((off + 30 + name.length + local64.length + 4) % 64)) % 64;
    const localExtra = [...local64, ...le([0x4246, 2], [pad, 2]), ...new Array<number>(pad).fill(0)];
    const sz32 = big ? U32_MAX : size;
    const header = Uint8Array.from([
      ...le([0x04034b50, 4], [45, 2], [0, 2], [0, 2], [0, 2], [0x21, 2], [crc, 4], [sz32, 4], [sz32, 4], [name.length, 2], [localExtra.length, 2]),
      ...name,
      ...localExtra,
    ]);
    pieces.push({ offset: off, bytes: header });
    const dataOffset = off + header.length;
    if (m.data) pieces.push({ offset: dataOffset, bytes: m.data });
    const fields: [number, 8][] = [...(big ? ([[size, 8], [size, 8]] as [number, 8][]) : []), ...(bigOffset ? ([[off, 8]] as [number, 8][]) : [])];
    const extra = fields.length ? le([1, 2], [fields.length * 8, 2], ...fields) : [];
    central.push(
      ...le([0x02014b50, 4], [45, 2], [45, 2], [0, 2], [0, 2], [0, 2], [0x21, 2], [crc, 4], [sz32, 4], [sz32, 4], [name.length, 2], [extra.length, 2], [0, 2], [0, 2], [0, 2], [0, 4]),
      ...le([bigOffset ? U32_MAX : off, 4]),
      ...name,
      ...extra,
    );
    off = dataOffset + size;
  }
  const cdOffset = off;
  const cdSize = central.length;
  const zip64 = opts.zip64 || cdOffset >= U32_MAX;
  const tail: number[] = [...central];
  if (zip64) {
    tail.push(...le([0x06064b50, 4], [44, 8], [45, 2], [45, 2], [0, 4], [0, 4], [members.length, 8], [members.length, 8], [cdSize, 8], [cdOffset, 8]));
    tail.push(...le([0x07064b50, 4], [0, 4], [cdOffset + cdSize, 8], [1, 4]));
  }
  tail.push(...le([0x06054b50, 4], [0, 2], [0, 2], [members.length, 2], [members.length, 2], [cdSize, 4], [zip64 ? U32_MAX : cdOffset, 4], [0, 2]));
  pieces.push({ offset: cdOffset, bytes: Uint8Array.from(tail) });
  return { pieces, size: cdOffset + tail.length };
}

/** The whole archive in one buffer (small archives only: holes become zeros). */
export function archiveBytes(a: Archive): Uint8Array {
  const out = new Uint8Array(a.size);
  for (const p of a.pieces) out.set(p.bytes, p.offset);
  return out;
}

/**
 * The archive as a file read in parts without the memory or disk it claims: its holes read as zeros, and `read`
 * counts the bytes asked for (a read over a hole of more than 64 MiB is refused: no test should need one).
 */
export function virtualParts(a: Archive): FileParts & { read: number } {
  const fill = (start: number, length: number): Uint8Array => {
    if (start < 0 || start + length > a.size) throw new RangeError(`bytes [${start}, ${start + length}) outside the ${a.size}-byte archive`);
    if (length > 64 * 2 ** 20) throw new RangeError(`a read of ${length} bytes: the test would allocate it`);
    const out = new Uint8Array(length);
    for (const p of a.pieces) {
      const from = Math.max(start, p.offset);
      const to = Math.min(start + length, p.offset + p.bytes.length);
      if (from < to) out.set(p.bytes.subarray(from - p.offset, to - p.offset), from - start);
    }
    return out;
  };
  const parts = {
    size: a.size,
    read: 0,
    bytes(start: number, length: number) {
      parts.read += length;
      return fill(start, length);
    },
    buffer(start: number, length: number) {
      parts.read += length;
      return fill(start, length).buffer;
    },
  };
  return parts;
}
