// The CLI's language-model report on a pair read in parts from a large file against the same pair in a small
// file: every number the report gives must be the same.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from './paths';

/** `report` (class axis last, shifted labels, ε 0.1) on `<file>#logits` and `<file>#labels` of both files. */
export function assertSameLmReport(bigPath: string, smallPath: string, T: number): void {
  const run = (p: string) =>
    spawnSync(process.execPath, [cliPath, 'report', `${p}#logits`, `${p}#labels`, '--loss', 'ce', '--class-axis', '-1', '--shift-labels', '--label-smoothing', '0.1', '--json'], {
      encoding: 'utf8',
    });
  const a = run(bigPath);
  const b = run(smallPath);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const ja = JSON.parse(a.stdout);
  const jb = JSON.parse(b.stdout);
  assert.ok(ja.loss.ce > 0 && ja.sequence.perPosition.length === T - 1, 'a language-model report');
  for (const k of ['loss', 'hard', 'smoothed', 'perClass', 'sequence', 'topConfusions', 'kept', 'elements', 'warnings']) assert.deepEqual(ja[k], jb[k], k);
}
