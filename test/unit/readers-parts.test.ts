// Files larger than one buffer holds, read in parts: the header first, each tensor's data when asked for. A
// sparse file of more than 4 GiB (no disk space, no memory: its tail is a hole) holding a small language-model
// pair beside a large padding tensor goes through `report` and `info`-like reads; the part reader's checks and
// refusals run on in-memory files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTensor } from '../../src/cli/loadTensor';
import { PARTS_ABOVE } from '../../src/node/fileBytes';
import { readTensorFileInParts, type FileParts } from '../../src/readers/parts';
import { DEFAULT_LIMITS, TensorFileError } from '../../src/readers/types';
import { npyBytes } from './helpers/npyWrite';
import { rng } from './helpers/random';
import { assertSameLmReport } from './helpers/sameReport';

/** A safetensors header for tensors laid end to end: [name, dtype, shape, bytes]. */
function header(entries: [string, string, number[], number][]): Uint8Array {
  const h: Record<string, unknown> = {};
  let at = 0;
  for (const [name, dtype, shape, n] of entries) {
    h[name] = { dtype, shape, data_offsets: [at, at + n] };
    at += n;
  }
  const text = JSON.stringify(h);
  const body = new TextEncoder().encode(text + ' '.repeat((8 - (text.length % 8)) % 8));
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

/** In-memory parts of `bytes`, counting what was read. */
function memoryParts(bytes: Uint8Array): FileParts & { read: number } {
  const p = {
    size: bytes.length,
    read: 0,
    bytes(start: number, length: number) {
      p.read += length;
      return bytes.slice(start, start + length);
    },
    buffer(start: number, length: number) {
      p.read += length;
      return bytes.slice(start, start + length).buffer;
    },
  };
  return p;
}

const lm = (() => {
  const r = rng(3);
  const [B, T, V] = [2, 9, 100];
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const logits = Uint16Array.from({ length: B * T * V }, () => {
    f32[0] = (r() - 0.5) * 6;
    return u32[0]! >>> 16;
  });
  const labels = BigInt64Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? -100n : BigInt(Math.floor(r() * V))));
  return { B, T, V, logits, labels };
})();

test('a sparse safetensors file of more than 4 GiB: report reads the pair in parts and gives the numbers of the same pair in a small file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-parts-'));
  try {
    const { B, T, V, logits, labels } = lm;
    const lb = logits.byteLength;
    const yb = labels.byteLength;
    const size = PARTS_ABOVE + (1 << 20);
    // the padding's digit count changes the header's length: settle both
    // (two padding tensors: each stays under the 4 GiB tensor limit)
    const headerFor = (pad: number) =>
      header([
        ['logits', 'BF16', [B, T, V], lb],
        ['labels', 'I64', [B, T], yb],
        ['padding', 'U8', [Math.floor(pad / 2)], Math.floor(pad / 2)],
        ['padding2', 'U8', [pad - Math.floor(pad / 2)], pad - Math.floor(pad / 2)],
      ]);
    let pad = size - headerFor(size).length - lb - yb;
    while (headerFor(pad).length + lb + yb + pad !== size) pad = size - headerFor(pad).length - lb - yb;
    const head = headerFor(pad);
    const bigPath = join(dir, 'huge.safetensors');
    const fd = openSync(bigPath, 'w');
    writeSync(fd, head);
    writeSync(fd, new Uint8Array(logits.buffer));
    writeSync(fd, new Uint8Array(labels.buffer));
    closeSync(fd);
    truncateSync(bigPath, size); // a hole: no disk blocks
    const small = header([
      ['logits', 'BF16', [B, T, V], lb],
      ['labels', 'I64', [B, T], yb],
    ]);
    const smallPath = join(dir, 'small.safetensors');
    writeFileSync(smallPath, Buffer.concat([small, new Uint8Array(logits.buffer), new Uint8Array(labels.buffer)]));

    const t = loadTensor(`${bigPath}#logits`);
    assert.deepEqual(t.tensor.shape, [B, T, V]);
    assert.deepEqual(Array.from(t.tensor.data as Uint16Array), Array.from(logits));

    assertSameLmReport(bigPath, smallPath, T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in parts: only the header and the tensors asked for are read; each tensor once', () => {
  const { B, T, V, logits, labels } = lm;
  const h = header([
    ['logits', 'BF16', [B, T, V], logits.byteLength],
    ['labels', 'I64', [B, T], labels.byteLength],
  ]);
  const bytes = new Uint8Array(Buffer.concat([h, new Uint8Array(logits.buffer), new Uint8Array(labels.buffer)]));
  const parts = memoryParts(bytes);
  const file = readTensorFileInParts(parts, 'lm.safetensors', DEFAULT_LIMITS);
  assert.deepEqual(file.tensors.map((e) => e.key), ['logits', 'labels']);
  assert.ok(parts.read <= h.length + 16, `${parts.read} bytes read for the header`);
  const y = file.tensors[1]!.tensor;
  assert.deepEqual(Array.from(y.data as BigInt64Array), Array.from(labels));
  const afterLabels = parts.read;
  assert.equal(file.tensors[1]!.tensor.data.length, B * T);
  assert.equal(parts.read, afterLabels, 'a second access reads nothing');

  const x = npyBytes('float32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => i / 4));
  const np = readTensorFileInParts(memoryParts(x), 'x.npy', DEFAULT_LIMITS);
  assert.deepEqual(Array.from(np.tensors[0]!.tensor.data as Float32Array), Array.from({ length: 12 }, (_, i) => i / 4));
});

test('in parts: a bad header names the file; formats that cannot be read in parts are refused saying so', () => {
  const refuse = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(
      () => readTensorFileInParts(memoryParts(bytes), 'big.bin', DEFAULT_LIMITS),
      (e: unknown) => e instanceof TensorFileError && re.test(e.message) && e.message.startsWith('big.bin: '),
    );
  const h = header([['x', 'F32', [4], 16]]);
  refuse(Buffer.concat([h, new Uint8Array(8)]), /run past|data buffer/); // 8 of 16 data bytes
  // a zip is opened in parts (./readers-parts-pt.test.ts): a bad one is refused by the zip layer; NIfTI and legacy .pt are not read in parts
  refuse(new Uint8Array(Buffer.from('PK\x03\x04' + '\0'.repeat(60), 'latin1')), /zip archive: end-of-central-directory record not found/);
  refuse(Uint8Array.from([0x1f, 0x8b, 8, 0, ...new Array<number>(60).fill(0)]), /read in parts only as \.safetensors, \.npy, \.npz or a zip-format \.pt/);
  const be = npyBytes('float32', [2], new Float32Array(2));
  be[be.indexOf(0x3c)] = 0x3e; // '<f4' → '>f4'
  refuse(be, /big-endian/);
});
