/**
 * A read-only ZIP layer for `.npz` and zip-format `.pt` files.
 *
 * Reads the end-of-central-directory record (and the zip64 locator/record when present), the central
 * directory (with zip64 extra fields: np.savez and torch.save write them) and each member's local header.
 * Every offset and size is checked against the real byte length before use. Stored members (method 0,
 * which is how torch.save and np.savez write data) are returned as zero-copy `subarray`s of the input;
 * deflated members (np.savez_compressed) are inflated only when read, with a hard cap: the stream may not
 * produce more than it declares, and the declared sizes of all members inflated from one archive share ONE
 * budget (`limits.maxDecompressedBytes` per file, charged before inflating). Members whose data overlap
 * (many directory entries over one deflate stream: a zip-bomb construction) are refused when the directory is
 * read, before anything is inflated.
 *
 * The archive is one buffer, or a file too large for one read in parts (./parts.ts's {@link FileParts}). Both go
 * through the same parsing and checks over windows of the file: one buffer is its own window for every record
 * (no copy, the behaviour above), a file in parts is read in windows (its tail for the end records, the central
 * directory in one read, the local headers a few KiB at a time) and a stored member's data in fresh memory
 * when the member is read ({@link ZipArchive.readBuffer}: a torch storage can be larger than a Uint8Array views).
 */
import { ByteReader, describeBytes, fail } from './bytes';
import { inflateCapped } from './inflate';
import type { FileParts } from './parts';
import { MAX_VIEW_BYTES } from './typed';
import type { ReadLimits } from './types';

export interface ZipEntry {
  /** The member name exactly as stored (UTF-8). */
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: 0 | 8;
  compressedSize: number;
  /** Uncompressed size declared by the central directory. */
  size: number;
  /** Byte offset of the member's (compressed) data in the archive. */
  dataOffset: number;
}

export interface ZipArchive {
  /** Member names in central-directory order. */
  names: string[];
  has(name: string): boolean;
  entry(name: string): ZipEntry | undefined;
  /** The member's bytes: a view for stored members, a fresh capped inflate for deflated ones. */
  read(name: string): Uint8Array;
  /**
   * Refuses, before any work, when inflating the deflated members among `names` would take the archive past its
   * decompression budget (what is already charged counts). `what` names the request in the message.
   */
  reserve(names: readonly string[], what: string): void;
  /**
   * Read in parts only: a stored member's data in fresh memory of exactly its size, which may be more than one
   * Uint8Array views (the caller views it with the typed array of its elements).
   */
  readBuffer?: (name: string) => ArrayBufferLike;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

const utf8 = new TextDecoder('utf-8');

/** True when the bytes start like a zip archive (a local header, or the EOCD of an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** Bytes of the archive that cover a requested range, and the archive offset of their first byte. */
interface Span {
  r: ByteReader;
  base: number;
}

/** Where an archive's bytes come from (see the module comment). */
interface ZipSource {
  size: number;
  /** A window covering [start, start + length), which the caller has checked lies in the archive. */
  span(start: number, length: number): Span;
  /** A member's (compressed) data as bytes; `name` names it in messages. */
  data(start: number, length: number, name: string): Uint8Array;
  /** A stored member's data in fresh memory (read in parts only). */
  buffer?: (start: number, length: number) => ArrayBufferLike;
}

/** One buffer: every window is the whole buffer, a member's data a view of it. */
function bufferSource(bytes: Uint8Array, fileName: string): ZipSource {
  const whole = { r: new ByteReader(bytes, fileName), base: 0 };
  return { size: bytes.length, span: () => whole, data: (start, length) => bytes.subarray(start, start + length) };
}

/** A file in parts: each window is read when needed, refused when it is more than one Uint8Array views. */
function partsSource(parts: FileParts, fileName: string): ZipSource {
  const bytes = (start: number, length: number, what: string): Uint8Array => {
    if (length > MAX_VIEW_BYTES) fail('too-large', fileName, `zip archive: ${what} of ${describeBytes(length)} is more than one buffer holds`);
    return parts.bytes(start, length);
  };
  return {
    size: parts.size,
    span: (start, length) => ({ r: new ByteReader(bytes(start, length, 'the central directory'), fileName), base: start }),
    data: (start, length, name) => bytes(start, length, `member '${name}'`),
    buffer: (start, length) => parts.buffer(start, length),
  };
}

/** Read at a time when local headers are read in parts: one read covers the headers of a run of small members. */
const LOCAL_WINDOW = 64 * 1024;

/** Opens an archive held in one buffer, or read in parts from a file too large for one. */
export function openZip(input: Uint8Array | FileParts, fileName: string, limits: ReadLimits): ZipArchive {
  const src = input instanceof Uint8Array ? bufferSource(input, fileName) : partsSource(input, fileName);
  const archiveSize = src.size;
  const bad = (problem: string): never => fail('bad-header', fileName, `zip archive: ${problem}`);
  // absolute offsets within a window
  const u16 = (w: Span, at: number): number => w.r.u16(at - w.base);
  const u32 = (w: Span, at: number): number => w.r.u32(at - w.base);
  const u64at = (w: Span, at: number, what: string): number => u64(w.r, at - w.base, what);
  const covers = (w: Span, start: number, length: number): boolean => start >= w.base && start + length <= w.base + w.r.length;

  // --- end of central directory: search backwards over the (≤ 65535-byte) comment; the zip64 locator, when
  // present, lies just before it, so one window of the archive's tail holds both.
  const tailLength = Math.min(archiveSize, EOCD_SIZE + U16_MAX + 20);
  const tail = src.span(archiveSize - tailLength, tailLength);
  const tb = tail.r.bytes;
  let eocd = -1;
  for (let p = archiveSize - EOCD_SIZE; p >= 0 && p >= archiveSize - EOCD_SIZE - U16_MAX; p--) {
    const q = p - tail.base;
    if (tb[q] === 0x50 && tb[q + 1] === 0x4b && tb[q + 2] === 5 && tb[q + 3] === 6) {
      const commentLen = u16(tail, p + 20);
      if (p + EOCD_SIZE + commentLen <= archiveSize) {
        eocd = p;
        break;
      }
    }
  }
  if (eocd < 0) fail('truncated-data', fileName, 'zip archive: end-of-central-directory record not found (truncated or not a zip)');
  let entryCount: number = u16(tail, eocd + 10);
  let cdSize: number = u32(tail, eocd + 12);
  let cdOffset: number = u32(tail, eocd + 16);
  let cdLimit = eocd;

  // --- zip64: a locator just before the EOCD points to the zip64 EOCD record with 64-bit fields.
  const loc = eocd - 20;
  if (loc >= 0 && u32(tail, loc) === SIG_ZIP64_LOCATOR) {
    const recOff = u64at(tail, loc + 8, 'zip64 end-of-central-directory offset');
    if (recOff + 56 > loc) bad('zip64 end-of-central-directory record is missing or misplaced');
    const rec = covers(tail, recOff, 56) ? tail : src.span(recOff, 56);
    if (u32(rec, recOff) !== SIG_ZIP64_EOCD) bad('zip64 end-of-central-directory record is missing or misplaced');
    entryCount = u64at(rec, recOff + 32, 'zip64 entry count');
    cdSize = u64at(rec, recOff + 40, 'zip64 central directory size');
    cdOffset = u64at(rec, recOff + 48, 'zip64 central directory offset');
    cdLimit = recOff;
  } else if (entryCount === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    bad('zip64 sizes are used but the zip64 locator is missing');
  }
  if (cdOffset + cdSize > cdLimit) {
    fail('truncated-data', fileName, `zip archive: central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record at ${cdLimit}`);
  }
  // Every central entry takes at least 46 bytes: bounds the loop before trusting entryCount.
  if (entryCount * 46 > cdSize) bad(`${entryCount} entries cannot fit in a ${cdSize}-byte central directory`);
  const cd = covers(tail, cdOffset, cdSize) ? tail : src.span(cdOffset, cdSize);
  let local = cd;

  // --- central directory: the members' fields in typed arrays by index, a member found by name through one Map
  // (a checkpoint holds a member per storage: an object each would cost more than the directory's bytes).
  const index = new Map<string, number>();
  const names: string[] = [];
  const methods = new Uint8Array(entryCount);
  const compressedSizes = new Float64Array(entryCount);
  const sizes = new Float64Array(entryCount);
  const dataOffsets = new Float64Array(entryCount);
  const localOffsets = new Float64Array(entryCount);
  let p = cdOffset;
  for (let i = 0; i < entryCount; i++) {
    if (p + 46 > cdOffset + cdSize) bad(`central directory entry ${i} runs past the directory`);
    if (u32(cd, p) !== SIG_CENTRAL) bad(`central directory entry ${i} has a bad signature`);
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    let compressedSize: number = u32(cd, p + 20);
    let size: number = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    let localOffset: number = u32(cd, p + 42);
    const entryEnd = p + 46 + nameLen + extraLen + commentLen;
    if (entryEnd > cdOffset + cdSize) bad(`central directory entry ${i} runs past the directory`);
    const name = utf8.decode(cd.r.bytes.subarray(p + 46 - cd.base, p + 46 + nameLen - cd.base));

    // zip64 extra field (id 1): only the fields whose 32-bit value is saturated, in this order.
    const needSize = size === U32_MAX;
    const needCsize = compressedSize === U32_MAX;
    const needOffset = localOffset === U32_MAX;
    if (needSize || needCsize || needOffset) {
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      let found = false;
      while (e + 4 <= eEnd) {
        const id = u16(cd, e);
        const len = u16(cd, e + 2);
        if (e + 4 + len > eEnd) bad(`member '${name}' has a malformed extra field`);
        if (id === 1) {
          let q = e + 4;
          const take = (what: string): number => {
            if (q + 8 > e + 4 + len) bad(`member '${name}' zip64 extra field is too short for its ${what}`);
            const v = u64at(cd, q, `member '${name}' zip64 ${what}`);
            q += 8;
            return v;
          };
          if (needSize) size = take('size');
          if (needCsize) compressedSize = take('compressed size');
          if (needOffset) localOffset = take('offset');
          found = true;
          break;
        }
        e += 4 + len;
      }
      if (!found) bad(`member '${name}' needs a zip64 extra field but has none`);
    }

    if (flags & 1) bad(`member '${name}' is encrypted`);
    if (method !== 0 && method !== 8) bad(`member '${name}' uses compression method ${method} (only stored and deflate are supported)`);
    if (method === 0 && compressedSize !== size) bad(`stored member '${name}' has compressed size ${compressedSize} but size ${size}`);

    // --- local header: its name/extra lengths can differ from the central copy; the data follow them.
    if (localOffset + 30 > cdOffset) {
      fail('truncated-data', fileName, `zip archive: member '${name}' local header at ${localOffset} lies outside the member area`);
    }
    if (!covers(local, localOffset, 30)) local = src.span(localOffset, Math.min(cdOffset - localOffset, LOCAL_WINDOW));
    if (u32(local, localOffset) !== SIG_LOCAL) bad(`member '${name}' local header has a bad signature`);
    const dataOffset = localOffset + 30 + u16(local, localOffset + 26) + u16(local, localOffset + 28);
    if (dataOffset + compressedSize > cdOffset) {
      fail(
        'truncated-data',
        fileName,
        `zip archive: member '${name}' data (${compressedSize} bytes at offset ${dataOffset}) runs past the member area (${cdOffset} bytes)`,
      );
    }
    if (index.has(name)) bad(`member name '${name}' occurs twice`);
    index.set(name, i);
    names.push(name);
    methods[i] = method;
    compressedSizes[i] = compressedSize;
    sizes[i] = size;
    dataOffsets[i] = dataOffset;
    localOffsets[i] = localOffset;
    p = entryEnd;
  }

  // Members whose bytes (local header through data) overlap share data: no zip writer does that; bombs do.
  const byStart = new Uint32Array(entryCount).map((_, i) => i).sort((a, b) => localOffsets[a]! - localOffsets[b]!);
  const endOf = (i: number): number => dataOffsets[i]! + compressedSizes[i]!;
  for (let k = 1; k < entryCount; k++) {
    const prev = byStart[k - 1]!;
    const cur = byStart[k]!;
    if (localOffsets[cur]! < endOf(prev)) {
      fail(
        'decompression-limit',
        fileName,
        `zip archive: members '${names[cur]}' and '${names[prev]}' share data (bytes ${localOffsets[cur]}..${Math.min(endOf(cur), endOf(prev))}): overlapping members are a zip-bomb construction, refused before inflating`,
      );
    }
  }
  const entryAt = (i: number): ZipEntry => ({
    name: names[i]!,
    method: methods[i] as 0 | 8,
    compressedSize: compressedSizes[i]!,
    size: sizes[i]!,
    dataOffset: dataOffsets[i]!,
  });
  const entryOf = (name: string): ZipEntry | undefined => {
    const i = index.get(name);
    return i === undefined ? undefined : entryAt(i);
  };

  // One decompression budget for the whole archive: declared sizes, charged once per member before inflating.
  const charged = new Set<string>();
  let spent = 0;
  const reserve = (wanted: readonly string[], what: string): void => {
    let total = spent;
    for (const n of new Set(wanted)) {
      const e = entryOf(n);
      if (e && e.method === 8 && !charged.has(n)) total += e.size;
    }
    if (total > limits.maxDecompressedBytes) {
      fail(
        'decompression-limit',
        fileName,
        `${what} inflates to ${describeBytes(total)} in total, over the ${describeBytes(limits.maxDecompressedBytes)} decompression limit (one budget per file): refusing before inflating anything`,
      );
    }
  };

  return {
    names,
    has: (name) => index.has(name),
    entry: entryOf,
    read(name) {
      const e = entryOf(name);
      if (!e) fail('missing-record', fileName, `zip archive has no member '${name}'`);
      if (e.method === 0) return src.data(e.dataOffset, e.compressedSize, name);
      if (e.size > limits.maxDecompressedBytes) {
        fail(
          'decompression-limit',
          fileName,
          `member '${name}' inflates to ${describeBytes(e.size)} from ${e.compressedSize} bytes, over the ` +
            `${describeBytes(limits.maxDecompressedBytes)} decompression limit: refusing to inflate it`,
        );
      }
      if (!charged.has(name)) {
        reserve([name], `member '${name}' (with the ${charged.size} member(s) inflated before it)`);
        charged.add(name);
        spent += e.size;
      }
      return inflateCapped(src.data(e.dataOffset, e.compressedSize, name), { fileName, what: `member '${name}'`, declaredSize: e.size, cap: limits.maxDecompressedBytes });
    },
    reserve,
    ...(src.buffer ? { readBuffer: (name: string) => storedBuffer(src, entryOf(name), name, fileName) } : {}),
  };
}

function storedBuffer(src: ZipSource, e: ZipEntry | undefined, name: string, fileName: string): ArrayBufferLike {
  if (!e) return fail('missing-record', fileName, `zip archive has no member '${name}'`);
  if (e.method !== 0) return fail('too-large', fileName, `zip archive: member '${name}' is compressed; only stored members are read into memory of their own`);
  return src.buffer!(e.dataOffset, e.size);
}

/** An unsigned 64-bit field that must be a safe integer (offsets and sizes). */
function u64(r: ByteReader, off: number, what: string): number {
  const v = r.u64(off, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('bad-header', r.fileName, `zip archive: ${what} ${v} is impossibly large`);
  return Number(v);
}
