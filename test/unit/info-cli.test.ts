// `loss-inspect info` and the CLI's tensor loader: the --json output matches the corpus manifest for every
// good file (same names, same number encoding), the table mode, argument errors, `path#key` rules, and the
// built CLI's exit status / one-line stderr for bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import * as esbuild from 'esbuild';
import { fileInfo, parseInfoArgs, runInfo } from '../../src/cli/info';
import { loadTensor, parsePathSpec } from '../../src/cli/loadTensor';
import { UsageError } from '../../src/cli/errors';
import { TensorFileError } from '../../src/readers/index';
import { toManifestJson } from '../../src/readers/stats';
import { corpusDir, loadManifest, parseJsonExact, repoRoot, sameInfo, sameNumber, sumMatches } from './corpus-manifest';

const manifest = loadManifest();
const corpus = (f: string) => path.join(corpusDir, f);

/** Runs `info` with `args`, its output collected instead of written. */
async function capture(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runInfo(args, (text) => (out += text));
  return { code, out };
}

test('info --json output equals the manifest for every good corpus file', () => {
  for (const f of manifest.files.filter((x) => !x.expectError)) {
    const json = parseJsonExact(toManifestJson(fileInfo(corpus(f.file)), 1)) as {
      format: string;
      bytes: number;
      tensors: Record<string, unknown>[];
    };
    assert.equal(json.format, f.format, f.file);
    assert.equal(json.bytes, f.bytes, f.file);
    for (const w of f.tensors!) {
      const g = json.tensors.find((t) => t.key === w.key);
      assert.ok(g, `${f.file}: tensor '${w.key}' missing`);
      const where = `${f.file} '${w.key}'`;
      assert.equal(g.dtype, w.dtype, where);
      assert.deepEqual(g.shape, w.shape, where);
      for (const k of ['nanCount', 'infCount', 'min', 'max'] as const) assert.ok(sameNumber(g[k], w[k]), `${where}: ${k} ${String(g[k])} vs ${String(w[k])}`);
      assert.ok(sameInfo(g.first, w.first), `${where}: first`);
      for (const k of ['sum', 'finiteSum', 'absSum'] as const) {
        const v = g[k];
        const num = typeof v === 'string' ? (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity) : Number(v as number | bigint);
        assert.ok(sumMatches(num, w[k], w.absSum), `${where}: ${k}`);
      }
    }
  }
});

test('info --json prints one JSON object; the table lists every key; --help prints usage', async () => {
  const j = await capture([corpus('st/all_dtypes.safetensors'), '--json']);
  assert.equal(j.code, 0);
  const obj = parseJsonExact(j.out) as { file: string; format: string; info: { metadata: unknown }; tensors: { key: string }[]; nonTensors: unknown[] };
  assert.equal(obj.format, 'safetensors');
  assert.deepEqual(obj.info.metadata, { format: 'pt', source: 'loss-inspector corpus' });
  assert.equal(obj.tensors.length, 10);
  assert.deepEqual(obj.nonTensors, []);

  const t = await capture([corpus('npz/savez_named.npz')]);
  assert.equal(t.code, 0);
  assert.match(t.out, /savez_named\.npz: npz, \d+ bytes, 3 tensors/);
  for (const k of ['logits', 'labels', 'spacing']) assert.match(t.out, new RegExp(`^${k}\\s`, 'm'));
  const nan = await capture([corpus('npy/nan_inf.npy')]);
  assert.match(nan.out, /NaN/);

  const h = await capture(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: loss-inspect info <file>/);
});

test('info argument errors are UsageErrors; bad files throw the reader error', async () => {
  assert.throws(() => parseInfoArgs([]), UsageError);
  assert.throws(() => parseInfoArgs(['a', 'b']), UsageError);
  assert.throws(() => parseInfoArgs(['a', '--frobnicate']), UsageError);
  assert.throws(() => parseInfoArgs(['a', '--max-tensor-bytes', '-3']), UsageError);
  assert.throws(() => parseInfoArgs(['a', '--max-tensor-bytes']), UsageError);
  assert.deepEqual(parseInfoArgs(['a', '--max-tensor-bytes=1e3', '--json']), { file: 'a', json: true, maxTensorBytes: 1000 });
  await assert.rejects(runInfo([corpus('nifti/negative_dim.nii')]), (e: unknown) => e instanceof TensorFileError && e.kind === 'bad-dim');
  await assert.rejects(runInfo([corpus('npy/logits_large.npy'), '--max-tensor-bytes', '1000']), (e: unknown) => e instanceof TensorFileError && e.kind === 'too-large');
  await assert.rejects(runInfo(['/nonexistent/x.npy']), /\/nonexistent\/x\.npy: no such file/);
});

test('loadTensor: path#key (split at the first # whose prefix is an existing file), single tensors, key errors', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'li-load-'));
  try {
    const hashDir = path.join(dir, 'run#3');
    mkdirSync(hashDir);
    const single = path.join(hashDir, 'a#b.npy');
    copyFileSync(corpus('npy/dtype_float32.npy'), single);
    const npz = path.join(dir, 'pair.npz');
    copyFileSync(corpus('npz/savez_named.npz'), npz);

    assert.deepEqual(parsePathSpec(single), { uri: single, key: null });
    assert.deepEqual(parsePathSpec(`${single}#`), { uri: single, key: '' });
    assert.deepEqual(parsePathSpec(`${npz}#logits`), { uri: npz, key: 'logits' });

    const one = loadTensor(single);
    assert.equal(one.key, '');
    assert.equal(one.fileName, single);
    assert.deepEqual([...one.tensor.shape], [3, 4]);
    assert.ok(one.readMs >= 0);
    assert.equal(loadTensor(`${single}#`).key, '');

    const l = loadTensor(`${npz}#labels`);
    assert.equal(l.tensor.dtype, 'int64');
    assert.equal(l.file.tensors.length, 3);

    assert.throws(
      () => loadTensor(npz),
      (e: unknown) => e instanceof TensorFileError && e.kind === 'unknown-key' && e.message.includes(npz) && /"logits", "labels", "spacing"/.test(e.message),
    );
    assert.throws(
      () => loadTensor(`${npz}#logit`),
      (e: unknown) => e instanceof TensorFileError && e.kind === 'unknown-key' && /no tensor with key "logit"; available keys: "logits"/.test(e.message),
    );
    assert.throws(() => loadTensor(path.join(dir, 'missing.npy')), (e: unknown) => e instanceof UsageError && /missing\.npy: no such file/.test(e.message));
    assert.throws(() => loadTensor(hashDir), (e: unknown) => e instanceof UsageError && /is a directory/.test(e.message));
    const emptyZip = path.join(dir, 'empty.npz');
    writeFileSync(emptyZip, zipSync({}));
    assert.throws(() => loadTensor(emptyZip), (e: unknown) => e instanceof TensorFileError && /holds no tensors/.test(e.message));
    // The loaded data are views over the one file buffer (aligned .npy: no copy).
    const big = loadTensor(corpus('npy/logits_large.npy'));
    assert.equal(big.tensor.data.byteOffset, 128);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the built CLI: exit 0 with JSON for a good file, exit 2 and one stderr line naming the file for a bad one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'li-cli-'));
  try {
    const cli = path.join(dir, 'cli.js');
    await esbuild.build({
      entryPoints: [path.join(repoRoot, 'src/cli/main.ts')],
      outfile: cli,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    });
    const good = spawnSync(process.execPath, [cli, 'info', corpus('pt/bare_tensor.pt'), '--json'], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    const obj = parseJsonExact(good.stdout) as { format: string; tensors: { key: string; shape: number[] }[] };
    assert.equal(obj.format, 'pt');
    assert.deepEqual(obj.tensors[0]!.shape, [3, 4, 5]);
    for (const bad of ['npz/zip_bomb.npz', 'st/overlapping_offsets.safetensors', 'junk/random.pt']) {
      const r = spawnSync(process.execPath, [cli, 'info', corpus(bad)], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.includes(corpus(bad)), lines[0]);
    }
    const usage = spawnSync(process.execPath, [cli, 'info'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file of more tensors than info holds at once is written streamed, byte for byte as the whole result renders', async () => {
  const { STREAM_ABOVE, renderInfo, writeInfo } = await import('../../src/cli/info');
  // STREAM_ABOVE + 2 tensors of every dtype family and awkward values: NaN, ±Inf, -0, int64 beyond 2**53, bools, 0-d and empty.
  const n = STREAM_ABOVE + 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', note: 'modèle "q"' } };
  const parts: Uint8Array[] = [];
  let at = 0;
  const add = (name: string, dtype: string, shape: number[], data: ArrayBufferView) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    parts.push(bytes);
    at += bytes.length;
  };
  for (let i = 0; i < n; i++) {
    const k = i % 5;
    if (k === 0) add(`f.${i}`, 'F32', [3], new Float32Array([NaN, -0, i % 2 ? Infinity : -Infinity]));
    else if (k === 1) add(`i.${i}`, 'I64', [2], new BigInt64Array([2n ** 60n + BigInt(i), -BigInt(i)]));
    else if (k === 2) add(`b\u00e9.${i}`, 'BOOL', [2, 1], new Uint8Array([1, 0]));
    else if (k === 3) add(`s.${i}`, 'F64', [], new Float64Array([i / 7]));
    else add(`e.${i}`, 'F16', [0, 4], new Uint16Array(0));
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const file = new Uint8Array(8 + json.length + at);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
  file.set(json, 8);
  let o = 8 + json.length;
  for (const p of parts) (file.set(p, o), (o += p.length));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stream-'));
  try {
    const f = path.join(dir, 'many.safetensors');
    writeFileSync(f, file);
    const whole = fileInfo(f);
    assert.equal(whole.tensors.length, n);
    for (const asJson of [false, true]) {
      const pieces: string[] = [];
      writeInfo(f, asJson, (t) => pieces.push(t));
      assert.ok(pieces.length > 1, 'written in pieces');
      assert.equal(pieces.join(''), (asJson ? toManifestJson(whole, 1) : renderInfo(whole)) + '\n', asJson ? 'json' : 'table');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two keys of one file share one read (report takes logits and target from one archive)', async () => {
  const { loadTensor: load } = await import('../../src/cli/loadTensor');
  const f = corpus('npz/dtype_edges.npz');
  const cache = new Map();
  const a = load(`${f}#float32`, undefined, cache);
  const b = load(`${f}#int64`, undefined, cache);
  assert.equal(a.file, b.file, 'one TensorFile');
  assert.equal(cache.size, 1);
  // The same tensors as separate reads.
  for (const [got, key] of [[a, 'float32'], [b, 'int64']] as const) {
    const alone = load(`${f}#${key}`);
    assert.deepEqual([...got.tensor.toFloat64()], [...alone.tensor.toFloat64()], key);
    assert.equal(got.tensor.dtype, alone.tensor.dtype);
  }
});
