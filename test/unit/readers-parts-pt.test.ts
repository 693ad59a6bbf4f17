// Zip archives larger than one buffer, read in parts: the zip layer reads its end records, directory and local
// headers in windows and a torch storage into memory of its own. Every zip .pt and .npz of the test corpus read
// through in-memory parts gives what the one-buffer reader gives; a hand-written zip64 torch archive of more than
// 4 GiB (a sparse file: its padding storages are holes) goes through `report`; storages and directories above
// 4 GiB are decided from a file in memory whose holes read as zeros, never allocated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTensor } from '../../src/cli/loadTensor';
import { PARTS_ABOVE } from '../../src/node/fileBytes';
import { readTensorFileAt } from '../../src/node/tensorFileAt';
import { readTensorFile } from '../../src/readers/index';
import { readTensorFileInParts, type FileParts } from '../../src/readers/parts';
import { MAX_VIEW_BYTES } from '../../src/readers/typed';
import { DEFAULT_LIMITS, TensorFileError, type TensorFile } from '../../src/readers/types';
import { openZip } from '../../src/readers/zip';
import { archiveBytes, ptArchive, virtualParts, type Archive, type TensorSpec } from './helpers/ptZipWrite';
import { fixturesDir } from './helpers/paths';
import { rng } from './helpers/random';
import { assertSameLmReport } from './helpers/sameReport';

/** In-memory parts of `bytes` (fresh memory for every read, as a file's parts are). */
function memoryParts(bytes: Uint8Array): FileParts {
  return {
    size: bytes.length,
    bytes: (start, length) => bytes.slice(start, start + length),
    buffer: (start, length) => bytes.slice(start, start + length).buffer,
  };
}

/** Every tensor's dtype, shape, strides, offset and elements, every non-tensor, and the file's info (or the error). */
function contents(read: () => TensorFile): unknown {
  try {
    const f = read();
    return {
      format: f.format,
      info: f.info,
      tensors: f.tensors.map((e) => {
        const t = e.tensor;
        return { key: e.key, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset, data: Array.from(t.data as ArrayLike<number | bigint>), info: e.info };
      }),
      nonTensors: f.nonTensors,
      warnings: f.warnings,
    };
  } catch (e) {
    if (e instanceof TensorFileError) return { error: e.kind, message: e.message };
    throw e;
  }
}

const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;

test('every zip .pt and .npz of the test corpus reads in parts exactly as in one buffer (tensors, values, refusals)', () => {
  const dirs = [join(fixturesDir, 'corpus', 'pt'), join(fixturesDir, 'pt'), join(fixturesDir, 'corpus', 'npz')];
  let files = 0;
  let tensors = 0;
  for (const dir of dirs) {
    for (const name of readdirSync(dir).filter((n) => /\.(pth?|npz)$/.test(n))) {
      const bytes = new Uint8Array(readFileSync(join(dir, name)));
      if (!isZip(bytes)) continue; // legacy torch files are pickles, not archives
      const whole = contents(() => readTensorFile(bytes, name));
      const inParts = contents(() => readTensorFileInParts(memoryParts(bytes), name, DEFAULT_LIMITS));
      assert.deepEqual(inParts, whole, name);
      files++;
      tensors += (whole as { tensors?: unknown[] }).tensors?.length ?? 0;
    }
  }
  // the corpus's state dicts, views, shared storages, bfloat16 and big-endian files, and its refusals
  assert.ok(files >= 45 && tensors >= 80, `${files} files, ${tensors} tensors`);
});

const bf16Bits = (x: number) => (new Uint32Array(new Float32Array([x]).buffer)[0]! >>> 16) & 0xffff;

/** A small language-model pair (bfloat16 logits, int64 labels with -100) as torch tensors. */
const lm = (() => {
  const r = rng(11);
  const [B, T, V] = [2, 9, 100];
  const logits = Uint16Array.from({ length: B * T * V }, () => bf16Bits((r() - 0.5) * 6));
  const labels = BigInt64Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? -100n : BigInt(Math.floor(r() * V))));
  const specs: TensorSpec[] = [
    { key: 'logits', storageType: 'BFloat16Storage', itemSize: 2, shape: [B, T, V], data: new Uint8Array(logits.buffer) },
    { key: 'labels', storageType: 'LongStorage', itemSize: 8, shape: [B, T], data: new Uint8Array(labels.buffer) },
  ];
  return { B, T, V, logits, labels, specs };
})();

test('a hand-written torch archive, plain and zip64, big- and little-endian: in parts as in one buffer', () => {
  for (const opts of [{}, { zip64: true }, { zip64: true, prefix: 'model/' }, { byteorder: 'big' as const }]) {
    const bytes = archiveBytes(ptArchive(lm.specs, opts));
    const whole = contents(() => readTensorFile(bytes, 'lm.pt'));
    assert.deepEqual(contents(() => readTensorFileInParts(memoryParts(bytes), 'lm.pt', DEFAULT_LIMITS)), whole, JSON.stringify(opts));
    const t = (whole as { tensors: { key: string; data: unknown[] }[] }).tensors;
    assert.deepEqual(t.map((e) => e.key), ['logits', 'labels']);
    // the big-endian archive holds the little-endian bytes: read as big-endian, they are swapped
    if (!('byteorder' in opts)) assert.deepEqual(t[0]!.data, Array.from(lm.logits));
  }
});

test('in parts, a storage is read when a tensor on it is asked for, once; the directory costs a few windows', () => {
  const pad = 6 * 2 ** 30;
  const a = ptArchive([
    { key: 'padding', storageType: 'ByteStorage', itemSize: 1, shape: [2 ** 20], holeBytes: pad },
    ...lm.specs,
  ]);
  const parts = virtualParts(a);
  const file = readTensorFileInParts(parts, 'big.pt', DEFAULT_LIMITS);
  assert.deepEqual(file.tensors.map((e) => e.key), ['padding', 'logits', 'labels']);
  // the tail (end records and directory), the first local headers, the pickle, then one local header past the hole
  assert.ok(parts.read < 200_000, `${parts.read} bytes read to list the tensors`);
  const before = parts.read;
  const labels = file.tensors[2]!.tensor;
  assert.deepEqual(Array.from(labels.data as BigInt64Array), Array.from(lm.labels));
  assert.equal(parts.read - before, lm.labels.byteLength, 'exactly the storage is read');
  assert.deepEqual(Array.from(file.tensors[1]!.tensor.data as Uint16Array), Array.from(lm.logits));
  const after = parts.read;
  void file.tensors[1]!.tensor;
  void file.tensors[2]!.tensor;
  assert.equal(parts.read, after, 'a second access reads nothing');

  // big-endian: the storage is read once and its swapped copy kept (not the bytes as well)
  const beParts = virtualParts(ptArchive(lm.specs, { byteorder: 'big' }));
  const be = readTensorFileInParts(beParts, 'be.pt', DEFAULT_LIMITS);
  const beBefore = beParts.read;
  const x = be.tensors[0]!.tensor;
  assert.equal(beParts.read - beBefore, lm.logits.byteLength);
  assert.equal(be.tensors[0]!.tensor.data, x.data, 'the swapped copy is kept');
  assert.equal(beParts.read - beBefore, lm.logits.byteLength);
  assert.equal((x.data as Uint16Array)[0], ((lm.logits[0]! & 0xff) << 8) | (lm.logits[0]! >>> 8));
});

/** A torch archive with one storage of more than a Uint8Array views, held by a small view of it (as a slice of logits is). */
function hugeStorage(byteorder?: 'big'): Archive {
  return ptArchive([{ key: 'logits', storageType: 'BFloat16Storage', itemSize: 2, shape: [8], holeBytes: MAX_VIEW_BYTES + 2 ** 20 }, ...lm.specs.slice(1)], byteorder ? { byteorder } : {});
}

test('a storage above 4 GiB: little-endian it is accepted (its elements a typed array over its own memory), big-endian it is refused', () => {
  const limits = { ...DEFAULT_LIMITS, maxTensorBytes: 8 * 2 ** 30 };
  const le = readTensorFileInParts(virtualParts(hugeStorage()), 'huge.pt', limits);
  assert.deepEqual(le.tensors.map((e) => e.key), ['logits', 'labels']);
  assert.deepEqual(Array.from(le.tensors[1]!.tensor.data as BigInt64Array), Array.from(lm.labels));
  assert.throws(
    () => readTensorFileInParts(virtualParts(hugeStorage('big')), 'huge.pt', limits),
    (e: unknown) =>
      e instanceof TensorFileError &&
      e.kind === 'too-large' &&
      /^huge\.pt: storage record 'data\/0' is big-endian and .*: byte-swapping it needs one buffer, which holds at most 4294967296 bytes/.test(e.message),
  );
  // the same archive in a buffer: the storage's length is checked without reading it (its data are zeros)
  assert.equal(MAX_VIEW_BYTES, PARTS_ABOVE, 'what one Uint8Array views is what makes a file read in parts');
});

/** The message of the refusal `read` makes, a TensorFileError naming `bad.pt` (else the test fails). */
function refused(read: () => unknown, re: RegExp): string {
  let message = '';
  assert.throws(read, (e: unknown) => e instanceof TensorFileError && re.test((message = e.message)) && e.message.startsWith('bad.pt: '));
  return message;
}

test('in parts, a damaged archive is refused as in one buffer, by the same checks, naming the file', () => {
  const good = archiveBytes(ptArchive(lm.specs, { zip64: true }));
  const firstCentral = good.findIndex((_, i) => good[i] === 0x50 && good[i + 1] === 0x4b && good[i + 2] === 1 && good[i + 3] === 2);
  assert.ok(firstCentral > 0);
  const both = (bytes: Uint8Array, re: RegExp) => {
    const a = refused(() => readTensorFile(bytes, 'bad.pt'), re);
    const b = refused(() => readTensorFileInParts(memoryParts(bytes), 'bad.pt', DEFAULT_LIMITS), re);
    assert.equal(b, a);
  };
  // truncated: the end records cut off, then the directory cut short of its entries
  both(good.slice(0, good.length - 30), /end-of-central-directory record not found|zip64 end-of-central-directory record is missing/);
  const cut = good.slice();
  const view = new DataView(cut.buffer);
  const rec = good.length - 22 - 20 - 56;
  view.setBigUint64(rec + 40, view.getBigUint64(rec + 40, true) + 4096n, true); // the directory claims 4 KiB more
  both(cut, /central directory \(offset \d+, \d+ bytes\) runs past its end record/);
  // a member whose local header lies outside the member area (its zip64 offset moved past the directory)
  const outside = good.slice();
  const ov = new DataView(outside.buffer);
  const firstExtraOffset = firstCentral + 46 + ov.getUint16(firstCentral + 28, true) + 4 + 16; // size, csize, then offset
  ov.setBigUint64(firstExtraOffset, BigInt(good.length) + 1000n, true);
  both(outside, /member 'archive\/data\.pkl' local header at \d+ lies outside the member area/);
  // overlapping members: the second entry points at the first member's local header
  const overlap = good.slice();
  const lv = new DataView(overlap.buffer);
  const second = firstCentral + 46 + lv.getUint16(firstCentral + 28, true) + lv.getUint16(firstCentral + 30, true);
  lv.setBigUint64(second + 46 + lv.getUint16(second + 28, true) + 4 + 16, 0n, true);
  both(overlap, /members '.*' and '.*' share data .*overlapping members are a zip-bomb construction/);
});

test('in parts, a directory or a member of more than one buffer is refused before it is read', () => {
  // an empty archive whose zip64 end record claims a 5 GiB directory at offset 0, in a 6 GiB file
  const size = 6 * 2 ** 30;
  const le = (v: number, w: number) => Array.from({ length: w }, (_, i) => Math.floor(v / 2 ** (8 * i)) % 256);
  const rec = size - 22 - 20 - 56;
  const tail = Uint8Array.from([
    ...le(0x06064b50, 4), ...le(44, 8), ...le(45, 2), ...le(45, 2), ...le(0, 4), ...le(0, 4), ...le(1, 8), ...le(1, 8), ...le(5 * 2 ** 30, 8), ...le(0, 8),
    ...le(0x07064b50, 4), ...le(0, 4), ...le(rec, 8), ...le(1, 4),
    ...le(0x06054b50, 4), 0, 0, 0, 0, 1, 0, 1, 0, ...le(0xffffffff, 4), ...le(0xffffffff, 4), 0, 0,
  ]);
  const parts = virtualParts({ size, pieces: [{ offset: 0, bytes: Uint8Array.from([0x50, 0x4b, 3, 4]) }, { offset: rec, bytes: tail }] });
  refused(() => openZip(parts, 'bad.pt', DEFAULT_LIMITS), /zip archive: the central directory of 5368709120 bytes \(5\.00 GiB\) is more than one buffer holds/);
  // a member read as bytes (a pickle, an .npy member) above what one Uint8Array views
  const a = hugeStorage();
  const zip = openZip(virtualParts(a), 'bad.pt', DEFAULT_LIMITS);
  refused(() => zip.read('archive/data/0'), /zip archive: member 'archive\/data\/0' of .* is more than one buffer holds/);
});

test('a sparse zip64 torch archive of more than 4 GiB: report reads the pair in parts and gives the numbers of the same pair in a small file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-parts-pt-'));
  try {
    const { B, T, V } = lm;
    // two padding storages first (each under the 4 GiB tensor limit), so the pair's records lie past 4 GiB
    const half = 2 ** 31 + 2 ** 19;
    const big = ptArchive([
      { key: 'padding', storageType: 'ByteStorage', itemSize: 1, shape: [half], holeBytes: half },
      { key: 'padding2', storageType: 'ByteStorage', itemSize: 1, shape: [half], holeBytes: half },
      ...lm.specs,
    ]);
    assert.ok(big.size > PARTS_ABOVE + 2 ** 20);
    const bigPath = join(dir, 'huge.pt');
    const fd = openSync(bigPath, 'w');
    try {
      for (const p of big.pieces) writeSync(fd, p.bytes, 0, p.bytes.length, p.offset); // the storages between are holes
    } finally {
      closeSync(fd);
    }
    assert.equal(statSync(bigPath).size, big.size);
    const smallPath = join(dir, 'small.pt');
    writeFileSync(smallPath, archiveBytes(ptArchive(lm.specs)));

    const at = readTensorFileAt(bigPath);
    assert.equal(at.inParts, true);
    assert.deepEqual(at.file.tensors.map((e) => e.key), ['padding', 'padding2', 'logits', 'labels']);
    assert.deepEqual(Array.from(at.file.tensors[3]!.tensor.data as BigInt64Array), Array.from(lm.labels));
    const t = loadTensor(`${bigPath}#logits`);
    assert.deepEqual(t.tensor.shape, [B, T, V]);
    assert.equal(t.tensor.dtype, 'bfloat16');
    assert.deepEqual(Array.from(t.tensor.data as Uint16Array), Array.from(lm.logits));

    assertSameLmReport(bigPath, smallPath, T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
