// Fuzzing the readers with deterministic mutations of the corpus files (see fuzz-worker.ts for the
// mutations). The loop runs in a child process for a bounded time (FUZZ_MS, default 15 s) so that a hang
// is killed and reported instead of stalling CI. Any outcome other than a TensorFile or a one-line
// TensorFileError naming the file (RangeError, TypeError, …) is a crash and fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadManifest } from './corpus-manifest';

test('fuzzed corpus files give a TensorFile or a TensorFileError, never a crash or a hang', () => {
  loadManifest(); // fails (not skips) when test/fixtures/corpus is missing
  const budget = Number(process.env.FUZZ_MS ?? 15000);
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fuzz-worker.ts')], {
    env: { ...process.env, FUZZ_MS: String(budget) },
    encoding: 'utf8',
    timeout: budget + 45000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(res.error, undefined, `fuzz worker did not finish (hang?): ${String(res.error)}; stderr: ${res.stderr?.slice(-2000)}`);
  assert.equal(res.status, 0, `fuzz worker exited with ${res.status}: ${res.stderr?.slice(-4000)}`);
  const lines = res.stdout.trim().split('\n');
  const out = JSON.parse(lines[lines.length - 1]!) as {
    seed: number;
    iterations: number;
    crashes: { file: string; mutation: string; error: string }[];
    slow: { file: string; mutation: string; ms: number }[];
    byFormat: Record<string, { iterations: number; ok: number; refused: number }>;
  };
  console.log(`fuzz: seed ${out.seed}, ${out.iterations} iterations ${JSON.stringify(out.byFormat)}`);
  assert.ok(out.iterations >= 200, `only ${out.iterations} iterations ran`);
  for (const fmt of ['npy', 'npz', 'pt', 'safetensors', 'nifti']) assert.ok((out.byFormat[fmt]?.iterations ?? 0) > 0, `no ${fmt} mutants`);
  assert.deepEqual(out.crashes, [], 'crashes');
  assert.deepEqual(out.slow.filter((s) => s.ms > 3000), [], 'reads slower than 3 s');
});
