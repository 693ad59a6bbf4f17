#!/usr/bin/env node
// Probe of the built CLI with several hundred generated hostile and odd inputs (the families of the readers'
// budget tests and fuzzer, at other sizes and seeds): each case runs `node dist/cli.js info|report|check` in
// its own process under /usr/bin/time, and is judged by its exit status, its stderr, its CPU time and its
// peak memory above the CLI's own (a run on a tiny file).
//
// A case fails when: the process dies by a signal or exits with anything but 0/1/2; the message is not one
// line naming the file (a bare JavaScript error); a refusal takes more than 1 s of CPU or 256 MB over the
// runtime; an accepted input takes more than 5 s of CPU; nothing happens for 60 s (a hang).
//
//   node scripts/build.mjs && node scripts/hostile-probe.mjs [--seed N] [--only SUBSTRING] [--keep] [--out DIR]
// Prints one line per case and a summary; exits 1 when any case fails. Inputs go to a temp dir (deleted
// unless --keep); nothing is written to the repository.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist', 'cli.js');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const seed = Number(opt('--seed', 9173));
const only = opt('--only', '');
const keep = argv.includes('--keep');
const dir = opt('--out', '') || mkdtempSync(path.join(tmpdir(), 'hostile-probe-'));
mkdirSync(dir, { recursive: true });
if (!existsSync(cli)) {
  console.error(`no ${cli}: run node scripts/build.mjs first`);
  process.exit(2);
}

// ------------------------------------------------------------------------------------------------ helpers

function rng(s) {
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}
const r = rng(seed);
const MB = 1 << 20;
const u16 = (v) => Buffer.from([v & 0xff, (v >>> 8) & 0xff]);
const u32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u64 = (v) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const crc32 = (buf) => zlib.crc32(buf);

function npyHeader(descr, shape, fortran = false) {
  const sh = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${sh}, }`;
  h += ' '.repeat(64 - ((10 + h.length + 1) % 64)) + '\n';
  return Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), u16(h.length), Buffer.from(h, 'latin1')]);
}

/**
 * A zip archive. members: {name, data, method: 0|8, declaredSize?, crcLie?}; `lie` edits the assembled
 * archive's fields afterwards ({at: 'central'|'local'|'eocd', index, offset, width, value}).
 */
function zipOf(members, lies = []) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  const at = { local: [], central: [] };
  for (const m of members) {
    const name = Buffer.from(m.name);
    const comp = m.method === 8 ? zlib.deflateRawSync(m.data) : m.data;
    const size = m.declaredSize ?? m.data.length;
    const crc = crc32(m.data);
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(0), u16(m.method), u16(0), u16(0), u32(crc), u32(comp.length), u32(size), u16(name.length), u16(0), name]);
    at.local.push(offset);
    locals.push(local, comp);
    centrals.push({ crc, comp: comp.length, size, name, method: m.method, offset });
    offset += local.length + comp.length;
  }
  const cdStart = offset;
  const cds = [];
  for (const c of centrals) {
    at.central.push(offset);
    const e = Buffer.concat([u32(0x02014b50), u16(20), u16(20), u16(0), u16(c.method), u16(0), u16(0), u32(c.crc), u32(c.comp), u32(c.size), u16(c.name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(c.offset), c.name]);
    cds.push(e);
    offset += e.length;
  }
  const cdLen = offset - cdStart;
  const eocdAt = offset;
  const eocd = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(cdLen), u32(cdStart), u16(0)]);
  const out = Buffer.concat([...locals, ...cds, eocd]);
  for (const l of lies) {
    const base = l.at === 'eocd' ? eocdAt : at[l.at][l.index ?? 0];
    if (l.width === 2) out.writeUInt16LE(l.value & 0xffff, base + l.offset);
    else out.writeUInt32LE(l.value >>> 0, base + l.offset);
  }
  return out;
}

/** A torch zip checkpoint around a hand-written data.pkl (and optional storage records). */
const torchZip = (pkl, records = []) => zipOf([{ name: 'archive/data.pkl', data: pkl, method: 0 }, ...records.map(([n, d]) => ({ name: `archive/data/${n}`, data: d, method: 0 }))]);

/** A pickle of one float32 tensor of `numel` elements on storage '0': the honest base for lies. */
function tensorPickle(numel, shape = [numel], stride = [1]) {
  const parts = [Buffer.from([0x80, 2])];
  parts.push(Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n', 'latin1'), Buffer.from([0x28]));
  parts.push(Buffer.from([0x28]), binunicode('storage'), Buffer.from('ctorch\nFloatStorage\n', 'latin1'), binunicode('0'), binunicode('cpu'), int(numel), Buffer.from([0x74, 0x51]));
  parts.push(int(0), Buffer.from([0x28]), ...shape.map(int), Buffer.from([0x74]), Buffer.from([0x28]), ...stride.map(int), Buffer.from([0x74]));
  parts.push(Buffer.from([0x89]), Buffer.from('ccollections\nOrderedDict\n', 'latin1'), Buffer.from([0x29, 0x52, 0x74, 0x52, 0x2e]));
  return Buffer.concat(parts);
}
function binunicode(s) {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([0x58]), u32(b.length), b]);
}
function int(v) {
  if (v >= 0 && v < 256) return Buffer.from([0x4b, v]);
  if (v >= -(2 ** 31) && v < 2 ** 31) {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(v, 1);
    return b;
  }
  return Buffer.from(`L${v}L\n`.replace(/^L/, 'L'), 'latin1');
}

function safetensors(header, data) {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const h = Buffer.from(text, 'utf8');
  return Buffer.concat([u64(h.length), h, data]);
}

function niftiHeader({ dims = [3, 4, 3, 2, 1, 1, 1, 1], datatype = 16, bitpix = 32, vox = 352, slope = 1, inter = 0 } = {}) {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  dims.forEach((d, i) => h.writeInt16LE(Math.max(-32768, Math.min(32767, d)), 40 + 2 * i));
  h.writeInt16LE(datatype, 70);
  h.writeInt16LE(bitpix, 72);
  for (let i = 0; i < 8; i++) h.writeFloatLE(1, 76 + 4 * i);
  h.writeFloatLE(vox, 108);
  h.writeFloatLE(slope, 112);
  h.writeFloatLE(inter, 116);
  h.write('n+1\0', 344, 'latin1');
  return h;
}

// ------------------------------------------------------------------------------------------------ cases

/** {name, cmd, files: () => [[file, bytes|string]] (made when the case runs), args (relative to dir, or absolute), expect: 'ok'|'refuse'|'any'} */
const cases = [];
const add = (name, cmd, files, args, expect = 'any') => cases.push({ name, cmd, files, args, expect });
const sizes = (lo, hi, n) => Array.from({ length: n }, () => Math.round(lo + r.next() * (hi - lo)));

// 1. Zip directories whose entries share one deflate stream (a zip bomb), npz and torch.
for (const [n, mb] of sizes(2, 300, 10).map((n) => [n, 1 + r.int(48)])) {
  const payload = Buffer.concat([npyHeader('<f4', [(mb * MB) / 4]), Buffer.alloc(mb * MB)]);
  const comp = zlib.deflateRawSync(payload, { level: 9 });
  const crc = crc32(payload);
  const local = Buffer.concat([u32(0x04034b50), u16(20), u16(0), u16(8), u16(0), u16(0), u32(crc), u32(comp.length), u32(payload.length), u16(6), u16(0), Buffer.from('a0.npy')]);
  const cds = [];
  for (let i = 0; i < n; i++) {
    const nm = Buffer.from(`a${i}.npy`);
    cds.push(Buffer.concat([u32(0x02014b50), u16(20), u16(20), u16(0), u16(8), u16(0), u16(0), u32(crc), u32(comp.length), u32(payload.length), u16(nm.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(0), nm]));
  }
  const cd = Buffer.concat(cds);
  const body = Buffer.concat([local, comp]);
  const bytes = Buffer.concat([body, cd, u32(0x06054b50), u16(0), u16(0), u16(n), u16(n), u32(cd.length), u32(body.length), u16(0)]);
  add(`npz shared stream ${n} x ${mb} MB`, 'info', () => [[`shared_${n}_${mb}.npz`, bytes]], [`shared_${n}_${mb}.npz`], 'refuse');
  add(`npz shared stream ${n} x ${mb} MB, one key`, 'report', () => [[`shared_${n}_${mb}.npz`, bytes]], [`shared_${n}_${mb}.npz#a1`, `shared_${n}_${mb}.npz#a0`], 'refuse');
}

// 2. Honest savez_compressed-like files of many large, compressible members: one key asked for.
for (const [n, mb] of [[8, 16], [30, 8], [64, 4], [5, 60]]) {
  const members = Array.from({ length: n }, (_, i) => {
    const a = new Float32Array((mb * MB) / 4);
    a[i] = i + 1;
    return { name: `m${i}.npy`, data: Buffer.concat([npyHeader('<f4', [a.length]), Buffer.from(a.buffer)]), method: 8 };
  });
  const f = `many_${n}x${mb}.npz`;
  const bytes = zipOf(members);
  add(`npz ${n} honest members of ${mb} MB, one key`, 'report', () => [[f, bytes]], [`${f}#m1`, `${f}#m2`, '--loss', 'ce'], 'any');
  add(`npz ${n} honest members of ${mb} MB, info`, 'info', () => [[f, bytes]], [f], 'any');
}

// 3. Zip fields that lie: every size and offset field of the central directory, local header and EOCD.
{
  const base = [{ name: 'x.npy', data: Buffer.concat([npyHeader('<f4', [1024]), Buffer.alloc(4096)]), method: 8 }, { name: 'y.npy', data: Buffer.concat([npyHeader('<i8', [16]), Buffer.alloc(128)]), method: 0 }];
  const fields = {
    central: [[8, 2], [10, 2], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]],
    local: [[6, 2], [8, 2], [18, 4], [22, 4], [26, 2], [28, 2]],
    eocd: [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]],
  };
  const values = [0, 1, 0xffff, 0xffffffff, 0x7fffffff, 4096, 4095, 1 << 30];
  for (const [where, list] of Object.entries(fields)) {
    for (const [offset, width] of list) {
      for (const v of [r.pick(values), r.pick(values)]) {
        const index = r.int(2);
        const f = `ziplie_${where}_${offset}_${v}_${index}.npz`;
        add(`zip ${where}[${index}] +${offset} = ${v}`, 'info', () => [[f, zipOf(base, [{ at: where, index, offset, width, value: v }])]], [f], 'any');
      }
    }
  }
}

// 4. Pickle opcode floods and deep nesting inside a torch zip, at many sizes.
const floods = {
  MARK: (n) => Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(n, 0x28), Buffer.from([0x2e])]),
  DUP: (n) => Buffer.concat([Buffer.from([0x80, 2, 0x4e]), Buffer.alloc(n, 0x32), Buffer.from([0x2e])]),
  MEMOIZE: (n) => Buffer.concat([Buffer.from([0x80, 4, 0x4e]), Buffer.alloc(n, 0x94), Buffer.from([0x2e])]),
  'EMPTY_LIST APPEND': (n) => Buffer.concat([Buffer.from([0x80, 2, 0x5d]), Buffer.from(']a'.repeat(n >> 1), 'latin1'), Buffer.from([0x2e])]),
  'nested lists': (n) => Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(n >> 1, 0x5d), Buffer.alloc((n >> 1) - 1, 0x61), Buffer.from([0x2e])]),
  'nested dicts': (n) => {
    const d = n >> 2;
    return Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('}K\x01'.repeat(d), 'latin1'), Buffer.alloc(d - 1, 0x73), Buffer.from([0x2e])]);
  },
  'TUPLE1 chain': (n) => Buffer.concat([Buffer.from([0x80, 2, 0x4e]), Buffer.alloc(n, 0x85), Buffer.from([0x2e])]),
  'MARK NONE': (n) => Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('(N'.repeat(n >> 1), 'latin1'), Buffer.from([0x2e])]),
  'LONG_BINPUT high': (n) => Buffer.concat([Buffer.from([0x80, 2, 0x4e]), Buffer.from('r\xff\xff\xff\x7f'.repeat(n / 5), 'latin1'), Buffer.from([0x2e])]),
  'LONG_BINPUT spread': (n) => {
    const k = Math.floor(n / 5);
    const b = Buffer.alloc(3 + 5 * k + 1);
    b.set([0x80, 2, 0x4e]);
    for (let i = 0; i < k; i++) {
      b[3 + 5 * i] = 0x72;
      b.writeUInt32LE((i * 7919) >>> 0, 4 + 5 * i);
    }
    b[b.length - 1] = 0x2e;
    return b;
  },
  'BINGET flood': (n) => Buffer.concat([Buffer.from([0x80, 2, 0x4e, 0x71, 0]), Buffer.from('h\x00'.repeat(n >> 1), 'latin1'), Buffer.from([0x2e])]),
  'EMPTY_DICT': (n) => Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(n, 0x7d), Buffer.from([0x2e])]),
  'SHORT_BINUNICODE': (n) => Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('\x8c\x01x'.repeat(Math.floor(n / 3)), 'latin1'), Buffer.from([0x2e])]),
};
for (const [kind, make] of Object.entries(floods)) {
  for (const n of sizes(200_000, 48 * MB, 5)) {
    const f = `flood_${kind.replace(/\W+/g, '_')}_${n}.pt`;
    add(`pickle ${kind} ${(n / MB).toFixed(1)} MB`, 'info', () => [[f, torchZip(make(n))]], [f], 'any');
  }
}
// One list referenced many times by another (BINGET): a few KB of pickle, millions of leaves when flattened.
for (const [inner, refs] of [[1000, 1000], [1000, 30000], [100000, 20], [10, 200000]]) {
  const pkl = Buffer.concat([
    Buffer.from([0x80, 2, 0x7d, 0x58, 1, 0, 0, 0, 0x78, 0x5d, 0x28, 0x5d]),
    Buffer.from('(' + 'N'.repeat(inner) + 'e', 'latin1'),
    Buffer.from([0x71, 0]),
    Buffer.from('h\x00'.repeat(refs - 1), 'latin1'),
    Buffer.from('es.', 'latin1'),
  ]);
  const f = `shared_${inner}_${refs}.pt`;
  add(`pickle shared list of ${inner} referenced ${refs} times`, 'info', () => [[f, torchZip(pkl)]], [f], 'refuse');
}
// A legacy (non-zip) flood: the same opcodes at the top of the file.
for (const n of sizes(1 * MB, 30 * MB, 3)) {
  const f = `legacy_mark_${n}.pt`;
  add(`legacy pickle MARK ${(n / MB).toFixed(1)} MB`, 'info', () => [[f, floods.MARK(n)]], [f], 'refuse');
}

// 5. Lying lengths at every pickle field that carries one, in an otherwise honest one-tensor checkpoint.
{
  const storage = Buffer.alloc(64 * 4);
  const pkl = tensorPickle(64);
  const lenOps = { 0x58: 4, 0x8c: 1, 0x42: 4, 0x43: 1, 0x8e: 8, 0x8d: 8, 0x95: 8, 0x8a: 1, 0x8b: 4, 0x54: 4, 0x55: 1, 0x96: 8 };
  const at = [];
  for (let i = 0; i < pkl.length; i++) if (lenOps[pkl[i]] !== undefined) at.push(i);
  const lies = [0, 1, 255, 0xffff, 0x7fffffff, 0xffffffff, pkl.length, 2 ** 40];
  for (const p of at) {
    for (const v of lies) {
      const b = Buffer.from(pkl);
      const w = lenOps[b[p]];
      const buf = Buffer.alloc(8);
      buf.writeBigUInt64LE(BigInt(v));
      buf.copy(b, p + 1, 0, w);
      const f = `pkllie_${p}_${v}.pt`;
      add(`data.pkl length at ${p} = ${v}`, 'info', () => [[f, torchZip(b, [['0', storage]])]], [f], 'any');
    }
  }
  // Storage records that lie: shorter than the pickle says, a view past the storage, a huge numel.
  for (const [numel, shape, stride, rec] of [
    [64, [64], [1], 100],
    [64, [65], [1], 256],
    [64, [8, 8], [8, 2], 256],
    [2 ** 31, [2 ** 31], [1], 256],
    [64, [4, 4], [-1, 1], 256],
    [64, [0, 2 ** 31 - 1], [1, 1], 256],
  ]) {
    const f = `pkl_view_${numel}_${shape.join('x')}_${stride.join('x')}_${rec}.pt`;
    add(`tensor view ${shape} stride ${stride} on ${numel} (record ${rec} bytes)`, 'info', () => [[f, torchZip(tensorPickle(numel, shape, stride), [['0', Buffer.alloc(rec)]])]], [f], 'any');
  }
}

// 6. safetensors: honest headers of many tensors (other sizes than the tests), and lies at every field.
for (const target of [3 * MB, 11 * MB, 37 * MB, 70 * MB]) {
  const entries = [];
  let size = 2;
  let i = 0;
  while (size < target) {
    const e = `"w.${i}":{"dtype":"F16","shape":[2],"data_offsets":[${4 * i},${4 * i + 4}]}`;
    entries.push(e);
    size += e.length + 1;
    i++;
  }
  const f = `st_many_${i}.safetensors`;
  const bytes = safetensors(`{${entries.join(',')}}`, Buffer.alloc(4 * i, 0x3c));
  add(`safetensors ${(target / MB).toFixed(0)} MB header, ${i} tensors`, 'info', () => [[f, bytes]], [f], 'ok');
  add(`safetensors ${(target / MB).toFixed(0)} MB header, one key`, 'report', () => [[f, bytes]], [`${f}#w.7`, `${f}#w.8`, '--loss', 'dice'], 'any');
}
{
  const good = { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'I64', shape: [2], data_offsets: [16, 32] } };
  const data = Buffer.alloc(32);
  for (const v of [0, 1, 7, 31, 33, 2 ** 31, 2 ** 32 + 5, 2 ** 53 + 1, 1e20, -1, 1.5, '"4"', 'null', '[]']) {
    for (const field of ['begin', 'end', 'shape0', 'shape-many']) {
      let text = JSON.stringify(good);
      if (field === 'begin') text = text.replace('"data_offsets":[16,32]', `"data_offsets":[${v},32]`);
      if (field === 'end') text = text.replace('"data_offsets":[0,16]', `"data_offsets":[0,${v}]`);
      if (field === 'shape0') text = text.replace('"shape":[4]', `"shape":[${v}]`);
      if (field === 'shape-many') text = text.replace('"shape":[4]', `"shape":[${v},${v},0]`);
      const f = `st_lie_${field}_${String(v).replace(/\W/g, '_')}.safetensors`;
      add(`safetensors ${field} = ${v}`, 'info', () => [[f, safetensors(text, data)]], [f], 'any');
    }
  }
  for (const lenLie of [0, 1, 7, 100, 2 ** 32, 2 ** 62, 100_000_001]) {
    const b = safetensors(good, data);
    b.writeBigUInt64LE(BigInt(lenLie), 0);
    const f = `st_len_${lenLie}.safetensors`;
    add(`safetensors header length = ${lenLie}`, 'info', () => [[f, b]], [f], 'refuse');
  }
  for (const d of [1000, 100_000, 5_000_000]) {
    const text = `{"a":{"dtype":"F32","x":${'['.repeat(d)}${']'.repeat(d)},"shape":[4],"data_offsets":[0,16]},"b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}}`;
    const f = `st_deep_${d}.safetensors`;
    add(`safetensors field nested ${d} deep`, 'info', () => [[f, safetensors(text, data)]], [f], 'any');
  }
  const dup = `{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}}`;
  add('safetensors duplicate name', 'info', () => [['st_dup.safetensors', safetensors(dup, data)]], ['st_dup.safetensors'], 'refuse');
  const meta = `{"__metadata__":{${Array.from({ length: 300000 }, (_, i) => `"k${i}":"v"`).join(',')}},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}}`;
  add('safetensors 300,000 metadata keys', 'info', () => [['st_meta.safetensors', safetensors(meta, data)]], ['st_meta.safetensors'], 'any');
  const bad = Buffer.from(safetensors(good, data));
  bad[12] = 0xc0;
  add('safetensors header not UTF-8', 'info', () => [['st_utf8.safetensors', bad]], ['st_utf8.safetensors'], 'refuse');
}

// 7. npy: header length and shape lies, odd valid dtypes.
{
  for (const hl of [0, 1, 10, 118, 65535]) {
    const b = Buffer.concat([npyHeader('<f4', [4]), Buffer.alloc(16)]);
    b.writeUInt16LE(hl, 8);
    add(`npy header_len = ${hl}`, 'info', () => [[`npy_hl_${hl}.npy`, b]], [`npy_hl_${hl}.npy`], 'any');
  }
  for (const shape of [[2 ** 31], [2 ** 40, 2 ** 40], [0, 2 ** 62], [1e6, 1e6], [3, -1], [2 ** 53 + 1]]) {
    const f = `npy_shape_${shape.join('x')}.npy`;
    add(`npy shape ${shape}`, 'info', () => [[f, Buffer.concat([npyHeader('<f8', shape), Buffer.alloc(64)])]], [f], 'any');
  }
  for (const descr of ['>?', '|b1', '>f8', '<c8', '|O', '<U4', '>i2', '|V8', '<M8[s]']) {
    const f = `npy_${descr.replace(/\W/g, '_')}.npy`;
    add(`npy descr ${descr}`, 'info', () => [[f, Buffer.concat([npyHeader(descr, [4]), Buffer.alloc(64)])]], [f], 'any');
  }
  const nested = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), u16(60000), Buffer.from(`{'descr': ${'('.repeat(29000)}'<f4'${')'.repeat(29000)}, 'fortran_order': False, 'shape': (1,), }`.padEnd(59999) + '\n', 'latin1'), Buffer.alloc(8)]);
  add('npy header nested 29000 deep', 'info', () => [['npy_nested.npy', nested]], ['npy_nested.npy'], 'refuse');
}

// 8. NIfTI: dims and offsets that lie, gzip tails, zero dims.
for (const dims of [[3, 4, 3, 2, 1, 1, 1, 1], [3, 30000, 30000, 30000, 1, 1, 1, 1], [3, 4, 0, 2, 1, 1, 1, 1], [9, 4, 3, 2, 1, 1, 1, 1], [3, -4, 3, 2, 1, 1, 1, 1], [7, 2, 2, 2, 2, 2, 2, 2]]) {
  for (const vox of [352, 0, 1e9, 353]) {
    const f = `nii_${dims.join('_')}_${vox}.nii`;
    add(`nifti dims ${dims} vox_offset ${vox}`, 'info', () => [[f, Buffer.concat([niftiHeader({ dims, vox }), Buffer.alloc(4 * 24)])]], [f], 'any');
  }
}
for (const tailMb of [16, 200, 900]) {
  const gz = zlib.gzipSync(Buffer.concat([niftiHeader(), Buffer.alloc(96), Buffer.alloc(tailMb * MB)]), { level: 9 });
  add(`nii.gz with ${tailMb} MB of zeros after the image`, 'info', () => [[`nii_tail_${tailMb}.nii.gz`, gz]], [`nii_tail_${tailMb}.nii.gz`], 'ok');
}
{
  const gz = zlib.gzipSync(Buffer.concat([niftiHeader({ dims: [3, 1000, 1000, 200, 1, 1, 1, 1] }), Buffer.alloc(50 * MB)]));
  add('nii.gz claiming 800 MB, holding 50 MB', 'info', () => [['nii_short.nii.gz', gz]], ['nii_short.nii.gz'], 'refuse');
}

// 9. check: large and deep Python scripts and notebooks.
for (const mb of [0.5, 3, 9, 25]) {
  const n = Math.round(mb * MB);
  add(`py ${mb} MB one line, no loss`, 'check', () => [[`one_${mb}.py`, 'y=2;'.repeat(n / 4) + '\n']], [`one_${mb}.py`], 'ok');
  add(`py ${mb} MB one line naming a loss`, 'check', () => [[`loss_${mb}.py`, 'import torch.nn as nn\n' + 'y=2;'.repeat(n / 4) + 'l=nn.CrossEntropyLoss(label_smoothing=0.1)\n']], [`loss_${mb}.py`], 'any');
  add(`py ${mb} MB many lines`, 'check', () => [[`lines_${mb}.py`, 'import torch\nx = torch.zeros(3)\n'.repeat(n / 34)]], [`lines_${mb}.py`], 'any');
}
for (const d of [100, 1000, 5000, 50000]) {
  add(`py calls nested ${d} deep`, 'check', () => [[`deep_call_${d}.py`, `x = ${'f('.repeat(d)}1${')'.repeat(d)}\n`]], [`deep_call_${d}.py`], 'any');
  add(`py brackets nested ${d} deep`, 'check', () => [[`deep_list_${d}.py`, `x = ${'['.repeat(d)}${']'.repeat(d)}\n`]], [`deep_list_${d}.py`], 'any');
  add(`py ${d} nested ifs`, 'check', () => [[`deep_if_${d}.py`, Array.from({ length: Math.min(d, 2000) }, (_, i) => `${' '.repeat(i)}if x:\n`).join('') + `${' '.repeat(Math.min(d, 2000))}pass\n`]], [`deep_if_${d}.py`], 'any');
}
for (const cells of [10, 5000]) {
  const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: Array.from({ length: cells }, (_, i) => ({ cell_type: 'code', metadata: {}, outputs: [], source: `import torch.nn as nn\nl${i} = nn.CrossEntropyLoss(label_smoothing=0.${i % 10})\n` })) };
  add(`ipynb ${cells} cells`, 'check', () => [[`nb_${cells}.ipynb`, JSON.stringify(nb)]], [`nb_${cells}.ipynb`], 'any');
}
add('ipynb JSON nested 1e6 deep', 'check', () => [['nb_deep.ipynb', '['.repeat(1e6) + ']'.repeat(1e6)]], ['nb_deep.ipynb'], 'refuse');
add('ipynb 20 MB one code cell', 'check', () => [['nb_big.ipynb', JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', metadata: {}, outputs: [], source: 'z=3;'.repeat(5 * MB) }] })]], ['nb_big.ipynb'], 'ok');

// 10. Files that are not regular, configs nested deep.
add('info on a directory', 'info', [], [dir], 'refuse');
add('info on /dev/zero', 'info', [], ['/dev/zero'], 'refuse');
add('check on /dev/null', 'check', [], ['/dev/null'], 'refuse');
add('report with a config nested 200000 deep', 'report', () => [['deep.json', `{"weight": ${'['.repeat(200000)}${']'.repeat(200000)}}`], ['t.npy', Buffer.concat([npyHeader('<f4', [2, 3]), Buffer.alloc(24)])]], ['t.npy', 't.npy', '--config', 'deep.json'], 'refuse');

// ------------------------------------------------------------------------------------------------ run

function run(args) {
  const timeFile = path.join(dir, '.time');
  const res = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', process.execPath, cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 30 });
  const timed = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
  const t = timed ? timed.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN, NaN];
  rmSync(timeFile, { force: true });
  if (/terminated by signal/.test(timed)) return { status: null, signal: timed.match(/signal (\d+)/)[1], error: undefined, stderr: res.stderr ?? '', wall: t[0], cpu: t[1] + t[2], peakKB: t[3] };
  return { status: res.status, signal: res.signal, error: res.error, stderr: res.stderr ?? '', wall: t[0], cpu: t[1] + t[2], peakKB: t[3] };
}

const tiny = path.join(dir, 'tiny.npy');
writeFileSync(tiny, Buffer.concat([npyHeader('<f4', [4]), Buffer.alloc(16)]));
const runtimeKB = Math.max(...[0, 1, 2].map(() => run(['info', tiny]).peakKB));
console.log(`probe: seed ${seed}, ${cases.length} cases, runtime ${Math.round(runtimeKB / 1024)} MB, inputs in ${dir}`);

const results = [];
for (const c of cases) {
  if (only && !c.name.includes(only)) continue;
  let inputBytes = 0;
  const files = typeof c.files === 'function' ? c.files() : c.files;
  for (const [f, bytes] of files) {
    writeFileSync(path.join(dir, f), bytes);
    inputBytes += Buffer.byteLength(bytes);
  }
  const o = run([c.cmd, ...c.args]);
  for (const [f] of files) rmSync(path.join(dir, f), { force: true });
  const overMB = (o.peakKB - runtimeKB) / 1024;
  const stderr = o.stderr.replace(/^Command (exited|terminated).*$/gm, '').trim();
  const outcome = o.status === 0 ? 'ok' : o.status === 1 && c.cmd === 'check' ? 'findings' : o.status === 2 ? 'refused' : 'crash';
  const problems = [];
  if (o.error) problems.push(`did not finish: ${o.error.code ?? o.error.message}`);
  else if (outcome === 'crash') problems.push(`exit ${o.status} signal ${o.signal}: ${stderr.slice(0, 300)}`);
  if (outcome === 'refused') {
    const named = c.args.some((a) => !a.startsWith('--') && stderr.includes(a.split('#')[0]));
    if (stderr.split('\n').length > 1 || !named) problems.push(`message is not one line naming the file: ${stderr.slice(0, 300)}`);
    if (o.cpu > 1) problems.push(`refusal took ${o.cpu.toFixed(2)} s of CPU`);
    if (overMB > 256) problems.push(`refusal took ${overMB.toFixed(0)} MB over the runtime`);
  }
  if (outcome === 'ok' && o.cpu > 5) problems.push(`accepted input took ${o.cpu.toFixed(2)} s of CPU`);
  if (c.expect === 'refuse' && outcome === 'ok') problems.push('expected a refusal');
  if (c.expect === 'ok' && outcome === 'refused') problems.push(`expected a read: ${stderr.slice(0, 200)}`);
  const heavy = outcome !== 'refused' && overMB > 3 * (inputBytes / MB) + 64;
  results.push({ ...c, outcome, cpu: o.cpu, wall: o.wall, overMB, inputMB: inputBytes / MB, problems, heavy, stderr });
  const mark = problems.length ? 'FAIL' : heavy ? 'heavy' : 'ok';
  console.log(`${mark.padEnd(5)} ${outcome.padEnd(8)} cpu ${o.cpu.toFixed(2).padStart(5)} s wall ${o.wall.toFixed(2).padStart(5)} s ${overMB.toFixed(0).padStart(5)} MB over  ${c.name}${problems.length ? `\n      ${problems.join('\n      ')}` : ''}`);
}

const by = (k) => results.reduce((a, x) => (x[k] > a[k] ? x : a), results[0]);
const failed = results.filter((x) => x.problems.length);
const counts = {};
for (const x of results) counts[x.outcome] = (counts[x.outcome] ?? 0) + 1;
console.log(
  `\nprobe summary: ${results.length} cases ${JSON.stringify(counts)}, ${failed.length} failing, ${results.filter((x) => x.heavy).length} heavy (over 3x input + 64 MB)\n` +
    `  worst CPU: ${by('cpu').cpu.toFixed(2)} s (${by('cpu').name}, ${by('cpu').outcome})\n` +
    `  worst memory: ${by('overMB').overMB.toFixed(0)} MB over the runtime (${by('overMB').name}, ${by('overMB').outcome})\n` +
    `  worst refusal CPU: ${Math.max(0, ...results.filter((x) => x.outcome === 'refused').map((x) => x.cpu)).toFixed(2)} s, memory ${Math.max(0, ...results.filter((x) => x.outcome === 'refused').map((x) => x.overMB)).toFixed(0)} MB`,
);
if (!keep && !opt('--out', '')) rmSync(dir, { recursive: true, force: true });
process.exit(failed.length ? 1 : 0);
