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
 */
import { ByteReader, describeBytes, fail } from './bytes';
import { inflateCapped } from './inflate';
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

export function openZip(bytes: Uint8Array, fileName: string, limits: ReadLimits): ZipArchive {
  const r = new ByteReader(bytes, fileName);
  const bad = (problem: string): never => fail('bad-header', fileName, `zip archive: ${problem}`);

  // --- end of central directory: search backwards over the (≤ 65535-byte) comment.
  let eocd = -1;
  for (let p = bytes.length - EOCD_SIZE; p >= 0 && p >= bytes.length - EOCD_SIZE - U16_MAX; p--) {
    if (bytes[p] === 0x50 && bytes[p + 1] === 0x4b && bytes[p + 2] === 5 && bytes[p + 3] === 6) {
      const commentLen = r.u16(p + 20);
      if (p + EOCD_SIZE + commentLen <= bytes.length) {
        eocd = p;
        break;
      }
    }
  }
  if (eocd < 0) fail('truncated-data', fileName, 'zip archive: end-of-central-directory record not found (truncated or not a zip)');
  let entryCount: number = r.u16(eocd + 10);
  let cdSize: number = r.u32(eocd + 12);
  let cdOffset: number = r.u32(eocd + 16);
  let cdLimit = eocd;

  // --- zip64: a locator just before the EOCD points to the zip64 EOCD record with 64-bit fields.
  const loc = eocd - 20;
  if (loc >= 0 && r.u32(loc) === SIG_ZIP64_LOCATOR) {
    const recOff = u64(r, loc + 8, 'zip64 end-of-central-directory offset');
    if (recOff + 56 > loc || r.u32(recOff) !== SIG_ZIP64_EOCD) bad('zip64 end-of-central-directory record is missing or misplaced');
    entryCount = u64(r, recOff + 32, 'zip64 entry count');
    cdSize = u64(r, recOff + 40, 'zip64 central directory size');
    cdOffset = u64(r, recOff + 48, 'zip64 central directory offset');
    cdLimit = recOff;
  } else if (entryCount === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    bad('zip64 sizes are used but the zip64 locator is missing');
  }
  if (cdOffset + cdSize > cdLimit) {
    fail('truncated-data', fileName, `zip archive: central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record at ${cdLimit}`);
  }
  // Every central entry takes at least 46 bytes: bounds the loop before trusting entryCount.
  if (entryCount * 46 > cdSize) bad(`${entryCount} entries cannot fit in a ${cdSize}-byte central directory`);

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
    if (r.u32(p) !== SIG_CENTRAL) bad(`central directory entry ${i} has a bad signature`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    let compressedSize: number = r.u32(p + 20);
    let size: number = r.u32(p + 24);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const commentLen = r.u16(p + 32);
    let localOffset: number = r.u32(p + 42);
    const entryEnd = p + 46 + nameLen + extraLen + commentLen;
    if (entryEnd > cdOffset + cdSize) bad(`central directory entry ${i} runs past the directory`);
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));

    // zip64 extra field (id 1): only the fields whose 32-bit value is saturated, in this order.
    const needSize = size === U32_MAX;
    const needCsize = compressedSize === U32_MAX;
    const needOffset = localOffset === U32_MAX;
    if (needSize || needCsize || needOffset) {
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      let found = false;
      while (e + 4 <= eEnd) {
        const id = r.u16(e);
        const len = r.u16(e + 2);
        if (e + 4 + len > eEnd) bad(`member '${name}' has a malformed extra field`);
        if (id === 1) {
          let q = e + 4;
          const take = (what: string): number => {
            if (q + 8 > e + 4 + len) bad(`member '${name}' zip64 extra field is too short for its ${what}`);
            const v = u64(r, q, `member '${name}' zip64 ${what}`);
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
    if (r.u32(localOffset) !== SIG_LOCAL) bad(`member '${name}' local header has a bad signature`);
    const dataOffset = localOffset + 30 + r.u16(localOffset + 26) + r.u16(localOffset + 28);
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
      const data = bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
      if (e.method === 0) return data;
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
      return inflateCapped(data, { fileName, what: `member '${name}'`, declaredSize: e.size, cap: limits.maxDecompressedBytes });
    },
    reserve,
  };
}

/** An unsigned 64-bit field that must be a safe integer (offsets and sizes). */
function u64(r: ByteReader, off: number, what: string): number {
  const v = r.u64(off, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('bad-header', r.fileName, `zip archive: ${what} ${v} is impossibly large`);
  return Number(v);
}
