// Every file of test/fixtures/corpus/manifest.json through readTensorFile: good files must give exactly the
// manifest's tensors (dtype, shape, counts, first, min, max exact; sums by the README's tolerance; info
// facts), bad files must throw a TensorFileError of the manifest's errorKind, naming the file, promptly,
// without allocating near the claimed sizes, and without the hostile payloads' marker files appearing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';
import { corpusDir, loadManifest, sameInfo, sameNumber, sumMatches, type ManifestFile } from './corpus-manifest';

const manifest = loadManifest();
/** Optional comma-separated format filter for local runs (CORPUS_FORMATS=npy,nifti); CI runs everything. */
const only = process.env.CORPUS_FORMATS?.split(',');
const files = manifest.files.filter((f) => !only || only.includes(f.format));

function load(f: ManifestFile): Uint8Array {
  const buf = readFileSync(path.join(corpusDir, f.file));
  assert.equal(buf.length, f.bytes, `${f.file}: size differs from the manifest (corpus damaged?)`);
  assert.equal(createHash('sha256').update(buf).digest('hex'), f.sha256, `${f.file}: sha256 differs from the manifest`);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

test('the corpus manifest is present and covers every format', () => {
  assert.ok(manifest.files.length >= 90, `only ${manifest.files.length} manifest entries`);
  const formats = new Set(manifest.files.map((f) => f.format));
  for (const f of ['pt', 'npy', 'npz', 'safetensors', 'nifti']) assert.ok(formats.has(f), `no ${f} files in the manifest`);
});

describe('good corpus files', () => {
  for (const f of files.filter((x) => !x.expectError)) {
    test(f.file, () => {
      const got = readTensorFile(load(f), f.file);
      assert.equal(got.format, f.format, 'format');
      const want = f.tensors ?? [];
      assert.deepEqual(got.tensors.map((t) => t.key).sort(), want.map((t) => t.key).sort(), 'tensor keys');
      for (const w of want) {
        const entry = got.tensors.find((t) => t.key === w.key)!;
        const where = `tensor '${w.key}'`;
        const t = entry.tensor;
        assert.equal(t.dtype, w.dtype, `${where}: dtype`);
        assert.deepEqual([...t.shape], w.shape, `${where}: shape`);
        const s = tensorStats(t);
        assert.equal(s.nanCount, w.nanCount, `${where}: nanCount`);
        assert.equal(s.infCount, w.infCount, `${where}: infCount`);
        assert.equal(s.first.length, w.first.length, `${where}: first length`);
        w.first.forEach((x, i) => assert.ok(sameNumber(s.first[i], x, true), `${where}: first[${i}] = ${String(s.first[i])}, want ${String(x)}`));
        assert.ok(sameNumber(s.min, w.min), `${where}: min = ${String(s.min)}, want ${String(w.min)}`);
        assert.ok(sameNumber(s.max, w.max), `${where}: max = ${String(s.max)}, want ${String(w.max)}`);
        assert.ok(sumMatches(s.sum, w.sum, w.absSum), `${where}: sum = ${s.sum}, want ${String(w.sum)}`);
        assert.ok(sumMatches(s.finiteSum, w.finiteSum, w.absSum), `${where}: finiteSum = ${s.finiteSum}, want ${String(w.finiteSum)}`);
        assert.ok(sumMatches(s.absSum, w.absSum, w.absSum), `${where}: absSum = ${s.absSum}, want ${String(w.absSum)}`);
        // Per-tensor info: every fact the manifest lists for npy/npz/safetensors/NIfTI; for .pt, the facts
        // the reader chooses to report must be right.
        for (const [k, v] of Object.entries(w.info ?? {})) {
          const g = entry.info?.[k];
          if (f.format === 'pt' && g === undefined) continue;
          assert.ok(sameInfo(g, v), `${where}: info.${k} = ${JSON.stringify(g, bigintJson)}, want ${JSON.stringify(v, bigintJson)}`);
        }
      }
      for (const [k, v] of Object.entries(f.info ?? {})) {
        const g = got.info[k];
        if (f.format === 'pt' && g === undefined) continue;
        assert.ok(sameInfo(g, v), `file info.${k} = ${JSON.stringify(g, bigintJson)}, want ${JSON.stringify(v, bigintJson)}`);
      }
      if (f.format !== 'safetensors' || !f.info?.metadata) assert.equal(got.info.metadata, undefined, 'no metadata invented');
      // Non-tensor values may be skipped, but those reported must be the manifest's.
      for (const nt of got.nonTensors) {
        const w = f.nonTensors?.find((x) => x.key === nt.key);
        assert.ok(w, `non-tensor '${nt.key}' is not in the manifest`);
        assert.equal(nt.type, w.type, `non-tensor '${nt.key}': type`);
        assert.ok(sameInfo(nt.value, w.value), `non-tensor '${nt.key}': value ${JSON.stringify(nt.value, bigintJson)}`);
      }
    });
  }
});

describe('bad corpus files', () => {
  for (const f of files.filter((x) => x.expectError)) {
    test(`${f.file} -> ${f.errorKind}`, () => {
      const bytes = load(f);
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      let err: unknown;
      try {
        readTensorFile(bytes, f.file);
      } catch (e) {
        err = e;
      }
      const ms = performance.now() - t0;
      const grew = process.memoryUsage().arrayBuffers - before;
      assert.ok(err instanceof TensorFileError, `expected a TensorFileError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      assert.equal(err.kind, f.errorKind, `kind (message: ${err.message})`);
      assert.ok(err.message.includes(f.file), `message names the file: ${err.message}`);
      assert.ok(!err.message.includes('\n'), 'message is one line');
      assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
      assert.ok(grew < 256 * 1024 ** 2, `allocated ${grew} bytes of array buffers`);
      if (f.marker) assert.equal(existsSync(f.marker), false, `marker ${f.marker} exists: the payload ran`);
    });
  }
});

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}
