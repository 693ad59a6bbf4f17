// Node's zlib as the inflater gives the same tensors and the same error kinds as the pure fflate path, on
// every compressed corpus file (.npz, .nii.gz, zip bombs, truncated streams).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';
import { useNativeInflate } from '../../src/readers/inflate';
import { installZlibInflate } from '../../src/node/zlibInflate';
import { corpusDir, loadManifest } from './corpus-manifest';

function outcome(bytes: Uint8Array, name: string): unknown {
  try {
    const f = readTensorFile(bytes, name);
    return f.tensors.map((t) => ({ key: t.key, dtype: t.tensor.dtype, shape: t.tensor.shape, stats: tensorStats(t.tensor) }));
  } catch (e) {
    assert.ok(e instanceof TensorFileError, `${name}: ${String(e)}`);
    return { kind: e.kind };
  }
}

test('zlib and fflate read every compressed corpus file alike', () => {
  const files = loadManifest().files.filter((f) => f.format === 'npz' || f.file.endsWith('.gz'));
  assert.ok(files.length >= 8, `only ${files.length} compressed files`);
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(path.join(corpusDir, f.file)));
    useNativeInflate(null);
    const pure = outcome(bytes, f.file);
    installZlibInflate();
    try {
      const t0 = performance.now();
      const fast = outcome(bytes, f.file);
      assert.ok(performance.now() - t0 < 5000, `${f.file}: slow`);
      assert.deepEqual(fast, pure, f.file);
      if (f.expectError) assert.deepEqual(fast, { kind: f.errorKind }, f.file);
    } finally {
      useNativeInflate(null);
    }
  }
});
