// The language-model cases of the families golden set (`seq-*`: (B, T, V) logits with the vocabulary last,
// -100 padding, the causal shift): through the engine API and the CLI. The kept-elsewhere set is built the
// same way (test/fixtures/golden/families/README.md defines classAxis and shiftLabels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeReport, OPTION_KEYS, resolveOptions } from '../../src/engine/index';
import { loadTensor } from '../../src/cli/loadTensor';
import { AccumulatePool, computeReportParallel } from '../../src/parallel/index';
import { compareToGolden, type GoldenCase } from './helpers/golden';
import { cliPath, fixturesDir, requireFixture } from './helpers/paths';

const dir = requireFixture(join(fixturesDir, 'golden', 'families'));
const all = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases as GoldenCase[];
const seq = all.filter((c) => c.options['classAxis'] === -1);

/** The case's options this engine takes (the families' focal/Tversky keys are at their defaults in these cases). */
function engineOptions(c: GoldenCase): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.options)) if ((OPTION_KEYS as string[]).includes(k)) o[k] = v;
  return o;
}

test('seq-* golden cases through the engine (one thread and the parallel runner)', async () => {
  assert.ok(seq.length >= 3, 'the families set holds language-model cases');
  assert.ok(seq.some((c) => c.options['shiftLabels'] === true));
  const pool = new AccumulatePool(2);
  try {
    const stats = { worst: 0 };
    for (const c of seq) {
      const l = loadTensor(join(dir, c.logits)).tensor;
      const t = loadTensor(join(dir, c.target)).tensor;
      const o = resolveOptions(engineOptions(c));
      const r = computeReport(l, t, o);
      assert.deepEqual(compareToGolden(c, r, stats), [], c.id);
      assert.deepEqual(compareToGolden(c, await computeReportParallel(l, t, o, pool), stats), [], `${c.id} parallel`);
      assert.deepEqual(r.logitsShape, l.shape);
      const [B, T] = t.shape as [number, number];
      assert.equal(r.elements, c.options['shiftLabels'] ? B * (T - 1) : B * T, `${c.id}: elements of the sliced pair`);
      assert.equal(r.sequence?.shifted, c.options['shiftLabels']);
      // classAxis left at 1: the target's shape selects the last axis, with a warning, and the same numbers
      const auto = computeReport(l, t, resolveOptions({ ...engineOptions(c), classAxis: 1 }));
      assert.deepEqual(compareToGolden(c, auto, stats), [], `${c.id} auto-detected`);
      assert.ok(auto.warnings.some((w) => w.code === 'class-axis-last'), `${c.id}: says the class axis was taken as last`);
    }
    assert.ok(stats.worst < 1e-9, `worst relative error ${stats.worst}`);
  } finally {
    await pool.dispose();
  }
});

test('seq-* golden cases through the CLI (--class-axis -1, --shift-labels)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'li-seq-'));
  try {
    for (const c of seq) {
      const o = engineOptions(c);
      const args = ['report', join(dir, c.logits), join(dir, c.target), '--json', '--class-axis', '-1'];
      if (o['shiftLabels']) args.push('--shift-labels');
      const rest = { ...o };
      delete rest['classAxis'];
      delete rest['shiftLabels'];
      const cfg = join(tmp, `${c.id}.json`);
      writeFileSync(cfg, JSON.stringify(rest));
      const r = spawnSync(process.execPath, [cliPath, ...args, '--config', cfg], { encoding: 'utf8', maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, `${c.id}: ${r.stderr}`);
      assert.deepEqual(compareToGolden(c, JSON.parse(r.stdout)), [], c.id);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('shiftLabels without the class axis last, and a target of the wrong shape, are refused naming the option', () => {
  const c = seq[0]!;
  const l = loadTensor(join(dir, c.logits)).tensor;
  const t = loadTensor(join(dir, c.target)).tensor;
  const flat = t.reshape([t.size]);
  assert.throws(() => computeReport(l, flat, resolveOptions({ loss: 'ce', classAxis: -1 })), /classAxis -1/);
  assert.throws(() => resolveOptions({ classAxis: 2 }), /classAxis/);
  assert.throws(() => computeReport(l.reshape([l.shape[0]!, l.shape[2]!, l.shape[1]!]), t, resolveOptions({ loss: 'ce', shiftLabels: true })), /shiftLabels/);
});
