// The MONAI families' golden cases (FocalLoss, DiceFocalLoss, GeneralizedDiceLoss, TverskyLoss,
// GeneralizedDiceFocalLoss; test/fixtures/golden/families) through the engine API and through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeReport, OPTION_KEYS, resolveOptions } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import { cliPath } from './helpers/paths';
import { compareToGolden, goldenPath, loadGolden, type GoldenCase } from './helpers/golden';

const FAMILIES = new Set(['focal', 'dicefocal', 'gdice', 'tversky', 'gdicefocal']);
const cases = loadGolden('families').filter((c) => FAMILIES.has(c.options.loss as string));

/** The case's options, every key of which the engine must know (the schema holds every golden key). */
function optionsOf(c: GoldenCase): Record<string, unknown> {
  for (const k of Object.keys(c.options)) assert.ok((OPTION_KEYS as readonly string[]).includes(k), `${c.id}: option ${k} is not known to the engine`);
  return { ...c.options };
}

const read = (p: string) => {
  const file = goldenPath(p);
  const f = readTensorFile(new Uint8Array(readFileSync(file)), file);
  assert.equal(f.tensors.length, 1, `${p}: one tensor`);
  return f.tensors[0]!.tensor;
};

test('family golden cases exist for every family', () => {
  assert.deepEqual(new Set(cases.map((c) => c.options.loss)), FAMILIES);
});

const stats = { worst: 0 };
for (const c of cases) {
  test(`engine: ${c.id} — ${c.about}`, () => {
    const report = computeReport(read(c.logits), read(c.target), resolveOptions(optionsOf(c)));
    assert.deepEqual(compareToGolden(c, report, stats), []);
  });
}

test('engine: largest relative error over the family cases is within rtol', () => {
  console.log(`golden families: ${cases.length} cases, largest relative error ${stats.worst.toExponential(3)}`);
  assert.ok(stats.worst <= 1e-5);
});

test('CLI: every family case through `loss-inspect report --config … --json`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-golden-families-'));
  const failures: string[] = [];
  for (const c of cases) {
    const cfg = join(dir, `${c.id}.json`);
    writeFileSync(cfg, JSON.stringify(optionsOf(c)));
    const out = execFileSync(process.execPath, [cliPath, 'report', goldenPath(c.logits), goldenPath(c.target), '--config', cfg, '--json'], {
      encoding: 'utf8',
    });
    const got = JSON.parse(out);
    assert.deepEqual(got.config, resolveOptions(optionsOf(c)), `${c.id}: effective config`);
    const errs = compareToGolden(c, got);
    if (errs.length) failures.push(`${c.id}: ${errs.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});
