/**
 * Which memo slots a pickle ever reads (GET, BINGET, LONG_BINGET), found by one pass over its opcodes
 * before it is run. Python's pickler memoizes nearly every value it writes, but reads back only the shared
 * ones: torch's state_dict pickles put 8 values a tensor in the memo and read back 5 globals and strings in
 * all. Holding only what is read lets the rest become garbage as soon as the stack drops it, so a
 * 70,000-tensor checkpoint needs its result, not every intermediate tuple, in memory.
 *
 * The pass only measures opcodes' arguments; it gives up (undefined: keep every slot, as before) on anything
 * it does not know, a truncated argument, or too many distinct slots read. The machine still validates
 * everything as it runs.
 */

/** Opcodes with a fixed-size argument, by size. */
const FIXED = new Map<number, number>([
  [0x80, 1], // PROTO
  [0x71, 1], // BINPUT
  [0x4b, 1], // BININT1
  [0x82, 1], // EXT1
  [0x4d, 2], // BININT2
  [0x83, 2], // EXT2
  [0x72, 4], // LONG_BINPUT
  [0x4a, 4], // BININT
  [0x84, 4], // EXT4
  [0x95, 8], // FRAME (its contents are opcodes, read as usual)
  [0x47, 8], // BINFLOAT
]);
/** Opcodes followed by a length of 1, 4 (unsigned or signed) or 8 bytes and that many bytes. */
const SIZED = new Map<number, 1 | 4 | -4 | 8>([
  [0x8a, 1], // LONG1
  [0x8c, 1], // SHORT_BINUNICODE
  [0x55, 1], // SHORT_BINSTRING
  [0x43, 1], // SHORT_BINBYTES
  [0x58, 4], // BINUNICODE
  [0x42, 4], // BINBYTES
  [0x8b, -4], // LONG4
  [0x54, -4], // BINSTRING
  [0x8d, 8], // BINUNICODE8
  [0x8e, 8], // BINBYTES8
  [0x96, 8], // BYTEARRAY8
]);
/** Opcodes with one (or, for GLOBAL and INST, two) newline-terminated text arguments. */
const LINES = new Map<number, number>([
  [0x70, 1], // PUT
  [0x49, 1], // INT
  [0x4c, 1], // LONG
  [0x46, 1], // FLOAT
  [0x56, 1], // UNICODE
  [0x53, 1], // STRING
  [0x50, 1], // PERSID
  [0x63, 2], // GLOBAL
  [0x69, 2], // INST
]);
/** Opcodes without an argument. */
const BARE = new Set([
  0x28, 0x30, 0x31, 0x32, 0x94, 0x4e, 0x88, 0x89, 0x29, 0x74, 0x85, 0x86, 0x87, 0x5d, 0x6c, 0x61, 0x65, 0x7d, 0x64, 0x73, 0x75,
  0x8f, 0x90, 0x91, 0x93, 0x6f, 0x52, 0x81, 0x92, 0x62, 0x51, 0x97, 0x98,
]);

/** The memo indices read by the pickle at `start` up to its STOP, or undefined when that cannot be told cheaply. */
export function memoReads(b: Uint8Array, start: number, maxDistinct: number): Set<number> | undefined {
  const read = new Set<number>();
  const n = b.length;
  let p = start;
  const note = (i: number): boolean => {
    read.add(i);
    return read.size <= maxDistinct;
  };
  while (p < n) {
    const op = b[p++]!;
    if (op === 0x2e) return read; // STOP
    if (op === 0x68) {
      // BINGET
      if (p >= n || !note(b[p]!)) return undefined;
      p += 1;
    } else if (op === 0x6a) {
      // LONG_BINGET
      if (p + 4 > n || !note(b[p]! + b[p + 1]! * 256 + b[p + 2]! * 65536 + b[p + 3]! * 16777216)) return undefined;
      p += 4;
    } else if (op === 0x67) {
      // GET (text)
      const nl = b.indexOf(0x0a, p);
      if (nl < 0 || nl - p > 10 || nl === p) return undefined;
      let v = 0;
      for (let k = p; k < nl; k++) {
        const d = b[k]! - 0x30;
        if (d < 0 || d > 9) return undefined;
        v = v * 10 + d;
      }
      if (!note(v)) return undefined;
      p = nl + 1;
    } else if (BARE.has(op)) {
      continue;
    } else if (FIXED.has(op)) {
      p += FIXED.get(op)!;
    } else if (SIZED.has(op)) {
      const w = SIZED.get(op)!;
      const size = Math.abs(w);
      if (p + size > n) return undefined;
      let len = 0;
      for (let k = size - 1; k >= 0; k--) len = len * 256 + b[p + k]!;
      if (w === -4 && len >= 2 ** 31) return undefined; // a negative signed length: the machine refuses it
      p += size + len;
    } else if (LINES.has(op)) {
      for (let k = LINES.get(op)!; k > 0; k--) {
        const nl = b.indexOf(0x0a, p);
        if (nl < 0) return undefined;
        p = nl + 1;
      }
    } else return undefined;
  }
  return undefined;
}
