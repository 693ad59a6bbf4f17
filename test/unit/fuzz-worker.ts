// The fuzz loop, run in a child process by fuzz.test.ts (so a hang can be killed and reported).
// Deterministic: a seeded PRNG picks a corpus file and a mutation — truncations, flipped bytes, interesting
// integers written over header fields, and format-aware edits (npy header dict, safetensors JSON, zip sizes
// and offsets, NIfTI dims/datatype/vox_offset/scaling, the pickle inside a .pt) — then reads the result.
// Hostile families are built from scratch too: zip directories whose entries share one deflate stream,
// pickle opcode floods (MARK, DUP, MEMOIZE, list/tuple chains), deep nesting, and lying length fields in the
// pickle (every opcode that carries a length) — the shapes a budget must refuse quickly; memo reads pointed
// at other slots; and raw edits of a safetensors header's text, checked against JSON.parse's verdict.
// Every outcome must be a TensorFile (whose tensors' statistics can be computed) or a TensorFileError.
// Prints one JSON line: {iterations, crashes, slow, byFormat}.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync, unzipSync, zipSync, type Zippable } from 'fflate';
import { readTensorFile, tensorStats, TensorFileError } from '../../src/readers/index';
import { corpusDir, loadManifest, type ManifestFile } from './corpus-manifest';

const budgetMs = Number(process.env.FUZZ_MS ?? 15000);
const seed = Number(process.env.FUZZ_SEED ?? 20240611);
const LIMITS = { maxTensorBytes: 8 * 1024 ** 2, maxDecompressedBytes: 16 * 1024 ** 2 };

/** mulberry32: small, fast, deterministic. */
function rng(s: number) {
  let a = s >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number): number => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number): boolean => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const INTERESTING = [0, 1, 2, 3, 7, 8, 15, 16, 64, 127, 128, 255, 256, 348, 352, 540, 4096, 32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
const BIG_DIMS = ['0', '1', '3', '-1', '-4', '1000000', '2147483648', '9007199254740993', '100000000000000000000', '3.5', "'x'", 'None', 'True'];

interface Mutant {
  bytes: Uint8Array;
  desc: string;
}

function truncate(b: Uint8Array, r: Rng): Mutant {
  const at = r.int(b.length);
  return { bytes: b.slice(0, at), desc: `truncate at ${at}` };
}

function flip(b: Uint8Array, r: Rng): Mutant {
  const out = b.slice();
  const n = 1 + r.int(8);
  const pos: number[] = [];
  for (let i = 0; i < n && out.length; i++) {
    const p = r.chance(0.6) ? r.int(Math.min(out.length, 1024)) : r.chance(0.5) ? out.length - 1 - r.int(Math.min(out.length, 256)) : r.int(out.length);
    out[p] = out[p]! ^ (1 + r.int(255));
    pos.push(p);
  }
  return { bytes: out, desc: `flip bytes ${pos.join(',')}` };
}

function writeInt(b: Uint8Array, r: Rng): Mutant {
  const out = b.slice();
  if (out.length < 8) return { bytes: out, desc: 'too short to write' };
  const dv = new DataView(out.buffer);
  const width = r.pick([2, 4, 8] as const);
  const zone = r.chance(0.7) ? Math.min(out.length, 600) : out.length;
  const p = r.chance(0.5) ? r.int(zone - width + 1 > 0 ? zone - width + 1 : 1) : Math.max(0, out.length - width - r.int(Math.min(out.length - width, 120)));
  const v = r.chance(0.8) ? r.pick(INTERESTING) : r.int(2 ** 32);
  const le = r.chance(0.8);
  const neg = r.chance(0.2);
  if (p + width > out.length) return { bytes: out, desc: 'no room' };
  if (width === 2) dv.setUint16(p, (neg ? -v : v) & 0xffff, le);
  else if (width === 4) dv.setUint32(p, (neg ? -v : v) >>> 0, le);
  else dv.setBigUint64(p, BigInt.asUintN(64, BigInt(neg ? -v : v) * (r.chance(0.3) ? 1n << 32n : 1n)), le);
  return { bytes: out, desc: `u${width * 8}${le ? 'le' : 'be'} ${neg ? '-' : ''}${v} at ${p}` };
}

function duplicate(b: Uint8Array, r: Rng): Mutant {
  if (b.length < 2) return { bytes: b.slice(), desc: 'noop' };
  const s = r.int(b.length);
  const e = Math.min(b.length, s + 1 + r.int(256));
  const at = r.int(b.length);
  const out = new Uint8Array(b.length + (e - s));
  out.set(b.subarray(0, at));
  out.set(b.subarray(s, e), at);
  out.set(b.subarray(at), at + (e - s));
  return { bytes: out, desc: `insert [${s},${e}) at ${at}` };
}

const latin1 = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('');
const fromLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Rewrites a .npy header with an altered field (and occasionally a wrong header length). */
function mutateNpy(b: Uint8Array, r: Rng): Mutant {
  if (b.length < 10 || b[0] !== 0x93) return flip(b, r);
  const v1 = b[6] === 1;
  const hs = v1 ? 10 : 12;
  const hl = v1 ? b[8]! | (b[9]! << 8) : new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  if (hs + hl > b.length) return flip(b, r);
  let h = latin1(b.subarray(hs, hs + hl));
  const choice = r.int(6);
  let desc: string;
  if (choice === 0) {
    const rank = r.int(5);
    const dims = Array.from({ length: rank }, () => r.pick(BIG_DIMS));
    const tuple = rank === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    h = h.replace(/'shape': \([^)]*\)/, `'shape': ${r.chance(0.1) ? `[${dims.join(', ')}]` : tuple}`);
    desc = `shape ${tuple}`;
  } else if (choice === 1) {
    const d = r.pick(["'<f4'", "'>f8'", "'|b1'", "'<i8'", "'|O'", "'<c8'", "'<U3'", "'f4'", "'<f16'", "''", "'x'", '3', "[('a', '<f4')]", "[('a', '|O')]", "'>u2'", "'=i4'"]);
    h = h.replace(/'descr': '[^']*'/, `'descr': ${d}`);
    desc = `descr ${d}`;
  } else if (choice === 2) {
    const f = r.pick(['True', 'False', '1', "'x'", 'None']);
    h = h.replace(/'fortran_order': \w+/, `'fortran_order': ${f}`);
    desc = `fortran_order ${f}`;
  } else if (choice === 3) {
    const junk = r.pick(["'extra': 1, ", "'descr': '<f4', ", '{', '}', "'", '\\', '(((', '#', '\u00e9']);
    const at = r.int(h.length);
    h = h.slice(0, at) + junk + h.slice(at);
    desc = `insert ${JSON.stringify(junk)} at ${at}`;
  } else if (choice === 4) {
    const at = r.int(h.length);
    h = h.slice(0, at) + h.slice(at + 1 + r.int(8));
    desc = `delete header text at ${at}`;
  } else {
    desc = 'header length only';
  }
  // Keep the length field honest most of the time (so the parser sees the edit), else lie.
  let body = fromLatin1(h);
  let lenField = body.length;
  if (choice === 5 || r.chance(0.1)) {
    lenField = r.pick(INTERESTING) & (v1 ? 0xffff : 0xffffffff);
    desc += `, header length ${lenField}`;
  }
  const out = new Uint8Array(hs + body.length + (b.length - hs - hl));
  out.set(b.subarray(0, hs));
  if (v1) {
    out[8] = lenField & 0xff;
    out[9] = (lenField >> 8) & 0xff;
  } else new DataView(out.buffer).setUint32(8, lenField >>> 0, true);
  out.set(body, hs);
  out.set(b.subarray(hs + hl), hs + body.length);
  body = out;
  return { bytes: body, desc };
}

/** Rewrites a safetensors header JSON with one altered tensor field (length field usually kept honest). */
function mutateSafetensors(b: Uint8Array, r: Rng): Mutant {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  let header: Record<string, Record<string, unknown>>;
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  } catch {
    return flip(b, r);
  }
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const data = b.subarray(8 + n);
  let desc = '';
  if (names.length && r.chance(0.85)) {
    const name = r.pick(names);
    const t = header[name]!;
    const what = r.int(5);
    const weird = (): unknown => r.pick([0, 1, 7, -1, 1.5, 2 ** 53, 1e20, 2 ** 64, '8', null, [], data.length, data.length + 1]);
    if (what === 0) t.data_offsets = [weird(), weird()];
    else if (what === 1) (t.data_offsets as unknown[])[r.int(2)] = weird();
    else if (what === 2) t.shape = Array.from({ length: r.int(4) }, () => r.pick([0, 1, 2, 3, -1, 1e6, 2 ** 40, 2 ** 63, 1.5, 'x']));
    else if (what === 3) t.dtype = r.pick(['F32', 'F16', 'BF16', 'I64', 'BOOL', 'U64', 'F8_E4M3', 'C64', 'f32', 7, null]);
    else delete (t as Record<string, unknown>)[r.pick(['dtype', 'shape', 'data_offsets'])];
    desc = `tensor '${name}' ${JSON.stringify(t)}`;
  } else {
    header.__metadata__ = r.pick([{ a: 1 }, { a: 'b' }, [], 'x', null]) as Record<string, unknown>;
    desc = `__metadata__ ${JSON.stringify(header.__metadata__)}`;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  const len = r.chance(0.9) ? BigInt(text.length) : BigInt(r.pick(INTERESTING));
  new DataView(out.buffer).setBigUint64(0, len, true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return { bytes: out, desc: desc + `, header length ${len}` };
}

/**
 * Edits the safetensors header as text (the reader scans it byte by byte, not through JSON.parse): inserts,
 * deletes or replaces one JSON-significant character, or nests an extra field deeply. The length field stays
 * honest, so whether the header is JSON is known: `jsonOk` is JSON.parse's verdict, the oracle for the scanner.
 */
function mutateSafetensorsText(b: Uint8Array, r: Rng): Mutant & { jsonOk: boolean } {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  let text = new TextDecoder().decode(b.subarray(8, 8 + n));
  const data = b.subarray(8 + n);
  const at = 1 + r.int(Math.max(1, text.length - 1));
  const piece = r.pick(['"', '\\', '\\u00', '\\"', ',', ':', '[', ']', '{', '}', ' ', '\n', '\t', '\u0001', '0', '-', '.', 'e', '1e400', 'é', '\ud800', 'null', 'true']);
  const kind = r.int(4);
  let desc: string;
  if (kind === 0) {
    text = text.slice(0, at) + piece + text.slice(at);
    desc = `insert ${JSON.stringify(piece)} at ${at}`;
  } else if (kind === 1) {
    text = text.slice(0, at) + text.slice(at + 1);
    desc = `delete at ${at}`;
  } else if (kind === 2) {
    text = text.slice(0, at) + piece + text.slice(at + 1);
    desc = `replace at ${at} by ${JSON.stringify(piece)}`;
  } else {
    // An unknown field nested deep inside the first entry (the scanner skips it without recursion).
    const d = 1 + r.int(200_000);
    const open = text.indexOf('{', 1);
    if (open < 0) return { ...flip(b, r), jsonOk: false };
    text = `${text.slice(0, open + 1)}"deep":${'['.repeat(d)}${']'.repeat(d - (r.chance(0.2) ? 1 : 0))},${text.slice(open + 1)}`;
    desc = `a field nested ${d} deep`;
  }
  let jsonOk = true;
  try {
    JSON.parse(text);
  } catch {
    jsonOk = false;
  }
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return { bytes: out, desc: `header text: ${desc}`, jsonOk };
}

/** Overwrites a size/offset field of a zip's central directory or local headers with an interesting value. */
function mutateZipFields(b: Uint8Array, r: Rng): Mutant {
  const sigs: { at: number; kind: 'central' | 'local' | 'eocd' | 'zip64' }[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] !== 0x50 || b[i + 1] !== 0x4b) continue;
    const s = (b[i + 2]! << 8) | b[i + 3]!;
    if (s === 0x0102) sigs.push({ at: i, kind: 'central' });
    else if (s === 0x0304) sigs.push({ at: i, kind: 'local' });
    else if (s === 0x0506) sigs.push({ at: i, kind: 'eocd' });
    else if (s === 0x0606) sigs.push({ at: i, kind: 'zip64' });
  }
  if (!sigs.length) return flip(b, r);
  const s = r.pick(sigs);
  const fields: Record<typeof s.kind, [number, number][]> = {
    central: [[10, 2], [20, 4], [24, 4], [28, 2], [30, 2], [42, 4], [8, 2]],
    local: [[8, 2], [18, 4], [22, 4], [26, 2], [28, 2]],
    eocd: [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]],
    zip64: [[24, 8], [32, 8], [40, 8], [48, 8]],
  };
  const [off, width] = r.pick(fields[s.kind]);
  const out = b.slice();
  if (s.at + off + width > out.length) return { bytes: out, desc: 'field past end' };
  const dv = new DataView(out.buffer);
  const v = r.chance(0.7) ? r.pick(INTERESTING) : r.int(2 ** 32);
  if (width === 2) dv.setUint16(s.at + off, v & 0xffff, true);
  else if (width === 4) dv.setUint32(s.at + off, v >>> 0, true);
  else dv.setBigUint64(s.at + off, BigInt(v) * (r.chance(0.3) ? 1n << 40n : 1n), true);
  return { bytes: out, desc: `${s.kind} header at ${s.at} field +${off} = ${v}` };
}

/** Unzips, mutates one member (npy header, pickle bytes, truncation) or drops one, and re-zips. */
function mutateZipMember(b: Uint8Array, r: Rng): Mutant {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(b);
  } catch {
    return flip(b, r);
  }
  const names = Object.keys(files);
  if (!names.length) return flip(b, r);
  const name = r.chance(0.5) ? names.find((n) => n.endsWith('data.pkl')) ?? r.pick(names) : r.pick(names);
  let desc: string;
  if (r.chance(0.1)) {
    delete files[name];
    desc = `drop member ${name}`;
  } else {
    const m = name.endsWith('.npy') && r.chance(0.7) ? mutateNpy(files[name]!, r) : r.pick([flip, truncate, writeInt, duplicate])(files[name]!, r);
    files[name] = m.bytes;
    desc = `member ${name}: ${m.desc}`;
  }
  const level = r.chance(0.6) ? 0 : 6;
  const zippable: Zippable = {};
  for (const [k, v] of Object.entries(files)) zippable[k] = [v, { level }];
  return { bytes: zipSync(zippable), desc: `${desc} (rezipped, level ${level})` };
}

/** Edits NIfTI-1 header fields (inflating a .nii.gz first, re-gzipping most of the time). */
function mutateNifti(b: Uint8Array, r: Rng): Mutant {
  const gz = b[0] === 0x1f && b[1] === 0x8b;
  let raw: Uint8Array;
  try {
    raw = gz ? gunzipSync(b) : b.slice();
  } catch {
    return flip(b, r);
  }
  if (raw.length < 352) return flip(b, r);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dv.getInt32(0, true) === 348;
  const what = r.int(7);
  let desc: string;
  if (what === 0) {
    const i = r.int(8);
    const v = r.pick([0, 1, 2, 7, 8, -1, -4, 32767, -32768, 1000]);
    dv.setInt16(40 + 2 * i, v, le);
    desc = `dim[${i}] = ${v}`;
  } else if (what === 1) {
    const v = r.pick([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536, 2304, -1, 9999]);
    dv.setInt16(70, v, le);
    desc = `datatype = ${v}`;
  } else if (what === 2) {
    const v = r.pick([0, 1, 348, 351, 352, 353, 1e9, -1, NaN, Infinity, 1e30, 352.5]);
    dv.setFloat32(108, v, le);
    desc = `vox_offset = ${v}`;
  } else if (what === 3) {
    const s = r.pick([0, 1, -1, NaN, Infinity, 1e-30, 3e38, 0.5]);
    const t = r.pick([0, 1, NaN, -Infinity, -1024]);
    dv.setFloat32(112, s, le);
    dv.setFloat32(116, t, le);
    desc = `scl = (${s}, ${t})`;
  } else if (what === 4) {
    dv.setInt16(r.pick([252, 254]), r.pick([0, 1, 2, 5, -1]), le);
    for (let k = 0; k < 3; k++) dv.setFloat32(256 + 4 * k, r.pick([0, 0.5, 1, -1, 2, NaN]), le);
    desc = 'qform/sform codes and quaternion';
  } else if (what === 5) {
    raw[344 + r.int(4)] = r.int(256);
    desc = 'magic byte';
  } else {
    const m = flip(raw, r);
    raw = m.bytes;
    desc = m.desc;
  }
  const out = gz && r.chance(0.85) ? gzipSync(raw) : raw;
  return { bytes: out, desc: desc + (gz ? ' (re-gzipped)' : '') };
}

const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A zip whose `n` central entries all point at ONE local header and deflate stream (a shared-data bomb). */
function sharedStreamZip(r: Rng): Mutant {
  const n = 2 + r.int(60);
  const payloadLen = 1024 * (1 + r.int(4096));
  const payload = new Uint8Array(payloadLen);
  const head = fromLatin1("\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (" + (payloadLen - 128) + ',), }');
  payload.set(head);
  payload.fill(0x20, head.length, 127);
  payload[127] = 0x0a;
  const whole = zipSync({ 'a0.npy': [payload, { level: 9 }] });
  // The single local header + data end where the central directory begins.
  const cdStart = new DataView(whole.buffer).getUint32(whole.length - 22 + 16, true);
  const local = whole.subarray(0, cdStart);
  const one = whole.subarray(cdStart, whole.length - 22);
  const parts: number[] = [...local];
  const cd: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = fromLatin1(`a${i}.npy`);
    const e = [...one.subarray(0, 46)];
    e[28] = name.length & 0xff;
    e[29] = 0;
    e[30] = e[31] = e[32] = e[33] = 0;
    cd.push(...e, ...name);
  }
  const eocd = [0x50, 0x4b, 5, 6, 0, 0, 0, 0, n & 0xff, n >> 8, n & 0xff, n >> 8, ...u32le(cd.length), ...u32le(parts.length), 0, 0];
  return { bytes: Uint8Array.from([...parts, ...cd, ...eocd]), desc: `${n} central entries over one ${payloadLen}-byte deflate stream` };
}

/** data.pkl as a stored member of a torch zip. */
function torchZip(pkl: Uint8Array): Uint8Array {
  return zipSync({ 'archive/data.pkl': [pkl, { level: 0 }] });
}

/** Pickle opcode floods and deep nesting, up to a few MB. */
function pickleFlood(r: Rng): Mutant {
  const n = 1 + r.int(3_000_000);
  const kind = r.pick(['MARK', 'DUP', 'MEMOIZE', 'EMPTY_LIST+APPEND', 'TUPLE1 chain', 'nested lists', 'MARK+NONE', 'BINPUT', 'EMPTY_DICT']);
  let body: Uint8Array;
  const fill = (prefix: number[], unit: number[], count: number, suffix: number[]): Uint8Array => {
    const out = new Uint8Array(prefix.length + unit.length * count + suffix.length);
    out.set(prefix);
    for (let i = 0, p = prefix.length; i < count; i++, p += unit.length) out.set(unit, p);
    out.set(suffix, out.length - suffix.length);
    return out;
  };
  switch (kind) {
    case 'MARK': body = fill([0x80, 2], [0x28], n, [0x2e]); break;
    case 'DUP': body = fill([0x80, 2, 0x4e], [0x32], n, [0x2e]); break;
    case 'MEMOIZE': body = fill([0x80, 4, 0x4e], [0x94], n, [0x2e]); break;
    case 'EMPTY_LIST+APPEND': body = fill([0x80, 2, 0x5d], [0x5d, 0x61], n >> 1, [0x2e]); break;
    case 'TUPLE1 chain': body = fill([0x80, 2, 0x4e], [0x85], n, [0x2e]); break;
    case 'MARK+NONE': body = fill([0x80, 2], [0x28, 0x4e], n >> 1, [0x2e]); break;
    case 'BINPUT': body = fill([0x80, 2, 0x4e], [0x72, 0xff, 0xff, 0xff, 0x7f], n >> 2, [0x2e]); break;
    case 'EMPTY_DICT': body = fill([0x80, 2], [0x7d], n, [0x2e]); break;
    default: {
      const d = n >> 1;
      body = new Uint8Array(2 + d + (d - 1) + 1);
      body.set([0x80, 2]);
      body.fill(0x5d, 2, 2 + d);
      body.fill(0x61, 2 + d, 2 + d + d - 1);
      body[body.length - 1] = 0x2e;
    }
  }
  return { bytes: torchZip(body), desc: `${kind} flood (${body.length} bytes)` };
}

/** In a .pt's data.pkl, sets the length field of one length-carrying opcode to a lie. */
function pickleLengthLie(b: Uint8Array, r: Rng): Mutant {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(b);
  } catch {
    return flip(b, r);
  }
  const name = Object.keys(files).find((n) => n.endsWith('data.pkl'));
  if (!name) return flip(b, r);
  const pkl = files[name]!.slice();
  // opcode → width of its length field
  const widths: Record<number, number> = { 0x58: 4, 0x8c: 1, 0x42: 4, 0x43: 1, 0x8e: 8, 0x8d: 8, 0x95: 8, 0x8a: 1, 0x8b: 4, 0x54: 4, 0x55: 1, 0x96: 8 };
  const at: number[] = [];
  for (let i = 0; i < pkl.length; i++) if (widths[pkl[i]!] !== undefined) at.push(i);
  if (!at.length) return flip(b, r);
  const p = r.pick(at);
  const w = widths[pkl[p]!]!;
  const v = r.pick([0, 1, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, pkl.length, pkl.length - p]);
  for (let k = 0; k < w && p + 1 + k < pkl.length; k++) pkl[p + 1 + k] = k < 4 ? (v >>> (8 * k)) & 0xff : r.chance(0.2) ? 0xff : 0;
  files[name] = pkl;
  const zippable: Zippable = {};
  for (const [k, val] of Object.entries(files)) zippable[k] = [val, { level: 0 }];
  return { bytes: zipSync(zippable), desc: `data.pkl opcode 0x${pkl[p]!.toString(16)} at ${p}: length = ${v}` };
}

/**
 * In a .pt's data.pkl, points memo reads (BINGET / LONG_BINGET) at other slots: slots never written, slots
 * the reader keeps no value for because nothing else reads them, or slots written later.
 */
function pickleMemoRetarget(b: Uint8Array, r: Rng): Mutant {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(b);
  } catch {
    return flip(b, r);
  }
  const name = Object.keys(files).find((n) => n.endsWith('data.pkl'));
  if (!name) return flip(b, r);
  const pkl = files[name]!.slice();
  const gets: number[] = [];
  for (let i = 0; i < pkl.length; i++) if (pkl[i] === 0x68 || pkl[i] === 0x71) gets.push(i);
  if (!gets.length) return flip(b, r);
  const changed: string[] = [];
  for (let k = 1 + r.int(3); k > 0; k--) {
    const p = r.pick(gets);
    if (p + 1 >= pkl.length) continue;
    // BINPUT -> BINGET turns a write into a read of the same slot; else retarget the read.
    if (pkl[p] === 0x71 && r.chance(0.3)) pkl[p] = 0x68;
    if (pkl[p] === 0x68) pkl[p + 1] = r.int(256);
    changed.push(`${p}: ${pkl[p] === 0x68 ? 'BINGET' : 'BINPUT'} ${pkl[p + 1]}`);
  }
  files[name] = pkl;
  const zippable: Zippable = {};
  for (const [k, val] of Object.entries(files)) zippable[k] = [val, { level: 0 }];
  return { bytes: zipSync(zippable), desc: `data.pkl memo ops ${changed.join(', ')}` };
}

function mutate(f: ManifestFile, b: Uint8Array, r: Rng): Mutant & { jsonOk?: boolean } {
  const generic = [truncate, flip, writeInt, duplicate];
  if (r.chance(0.08)) {
    if (f.format === 'npz') return sharedStreamZip(r);
    if (f.format === 'pt') return b[0] === 0x50 && r.chance(0.6) ? r.pick([pickleLengthLie, pickleMemoRetarget])(b, r) : pickleFlood(r);
    if (f.format === 'safetensors' && b.length > 8 && b[8] === 0x7b) return mutateSafetensorsText(b, r);
  }
  if (r.chance(0.45)) return r.pick(generic)(b, r);
  switch (f.format) {
    case 'npy':
      return b[0] === 0x93 ? mutateNpy(b, r) : flip(b, r);
    case 'safetensors':
      if (!(b.length > 8 && b[8] === 0x7b)) return flip(b, r);
      return r.chance(0.3) ? mutateSafetensorsText(b, r) : mutateSafetensors(b, r);
    case 'nifti':
      return mutateNifti(b, r);
    case 'npz':
    case 'pt':
      if (b[0] !== 0x50) return flip(b, r); // legacy .pt: pickle stream
      // (unzipping a zip bomb in the mutator itself would inflate 1.25 GiB: edit its fields only)
      return r.chance(0.5) || f.file.includes('bomb') ? mutateZipFields(b, r) : mutateZipMember(b, r);
    default:
      return flip(b, r);
  }
}

interface Crash {
  file: string;
  mutation: string;
  error: string;
}

function main(): void {
  const manifest = loadManifest();
  const formats = process.env.FUZZ_FORMATS?.split(','); // local runs: focus on some formats
  const sources = manifest.files.filter((f) => !formats || formats.includes(f.format)).map((f) => {
    const buf = readFileSync(path.join(corpusDir, f.file));
    return { f, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
  });
  const r = rng(seed);
  const crashes: Crash[] = [];
  const slow: { file: string; mutation: string; ms: number }[] = [];
  const byFormat: Record<string, { iterations: number; ok: number; refused: number }> = {};
  const t0 = performance.now();
  let iterations = 0;
  while (performance.now() - t0 < budgetMs) {
    const { f, bytes } = r.pick(sources);
    const m = mutate(f, bytes, r);
    iterations++;
    const stat = (byFormat[f.format] ??= { iterations: 0, ok: 0, refused: 0 });
    stat.iterations++;
    // Announce before reading: if this hangs, the parent prints the last line it saw.
    if (process.env.FUZZ_TRACE) process.stderr.write(`${iterations} ${f.file}: ${m.desc}\n`);
    const s0 = performance.now();
    try {
      const tf = readTensorFile(m.bytes, 'fuzz/' + f.file, LIMITS);
      for (const t of tf.tensors) tensorStats(t.tensor);
      // A header that is not JSON must never be read as if it were.
      if (m.jsonOk === false && crashes.length < 50) crashes.push({ file: f.file, mutation: m.desc, error: 'accepted a header that JSON.parse refuses' });
      stat.ok++;
    } catch (e) {
      if (e instanceof TensorFileError && e.message.startsWith('fuzz/' + f.file + ': ') && !e.message.includes('\n')) {
        stat.refused++;
      } else if (crashes.length < 50) {
        crashes.push({ file: f.file, mutation: m.desc, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e) });
      }
    }
    const ms = performance.now() - s0;
    if (ms > 1000) slow.push({ file: f.file, mutation: m.desc, ms });
  }
  process.stdout.write(JSON.stringify({ seed, iterations, elapsedMs: Math.round(performance.now() - t0), crashes, slow, byFormat }) + '\n');
}

main();
