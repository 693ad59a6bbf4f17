// The memory of a report with very many classes, asserted without a clock: a child process (report-budget-child.ts)
// reports its peak resident memory above the baseline for one report of an unbatched (C,) probability pair, its
// table selection and its whole JSON text. The pass keeps four float64 sums per class (32 bytes) and the class
// weights (8): the report and its selection stay within 48 bytes a class, where the per-class sums of both target
// kinds (+32) or rows kept as objects (~250) would not; the JSON adds garbage that dies young, where the text in
// one string (~380 bytes a class) would not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './corpus-manifest';

test('an unbatched report of 2^20 classes and its selection stay within 48 bytes a class, its JSON within 96', () => {
  const C = 1 << 20;
  const args = ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'report-budget-child.ts'), String(C)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { loss: number; shown: number; chars: number; reportKB: number; overKB: number };
  assert.ok(Number.isFinite(out.loss) && out.shown >= 50);
  assert.ok(out.chars > 300 * C, `${out.chars} characters of JSON`);
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  assert.ok(out.reportKB <= (48 * C) / 1024, `report: peak ${mb(out.reportKB)} above the baseline, bound ${mb((48 * C) / 1024)}`);
  assert.ok(out.overKB <= (96 * C) / 1024, `JSON: peak ${mb(out.overKB)} above the baseline, bound ${mb((96 * C) / 1024)}`);
});
