// The size gate before parsing: a text over the parse limit with no loss name is skipped (it cannot hold a
// loss call), one naming a loss is refused with the place of the first name; smaller texts are always parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firstLossName, MAX_PARSED_CHARS, sizeVerdict } from '../../src/analysis/index';
import { checkFile } from '../../src/cli/check';
import { UsageError } from '../../src/cli/errors';

test('firstLossName finds whole identifiers only', () => {
  assert.equal(firstLossName('MyCrossEntropyLoss() + CrossEntropyLoss_x'), null);
  assert.deepEqual(firstLossName('a = nn.CrossEntropyLoss()'), { name: 'CrossEntropyLoss', index: 7 });
  assert.deepEqual(firstLossName('from monai.losses import DiceCELoss'), { name: 'DiceCELoss', index: 25 });
  assert.equal(firstLossName('F.cross_entropy(x, y)')?.name, 'cross_entropy');
  assert.equal(firstLossName('dicey = 1'), null);
});

test('sizeVerdict parses small texts, skips large ones without a loss name, refuses large ones with one', () => {
  const filler = 'x=1;'.repeat(MAX_PARSED_CHARS / 4 + 1);
  assert.deepEqual(sizeVerdict('nn.CrossEntropyLoss()'), { kind: 'parse' });
  assert.deepEqual(sizeVerdict(filler), { kind: 'no-loss-name' });
  assert.deepEqual(sizeVerdict(`import torch\n\n${filler}F.nll_loss(a, b)`), { kind: 'too-large', name: 'nll_loss', line: 3, column: filler.length + 3 });
});

test('check: a large notebook is judged by its code cells and the refusal names the cell', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gate-'));
  try {
    const filler = 'x=1;'.repeat(MAX_PARSED_CHARS / 4 + 1);
    const nb = (cells: string[]) =>
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: cells.map((c) => ({ cell_type: 'code', metadata: {}, outputs: [], source: c })) });
    const quiet = path.join(dir, 'quiet.ipynb');
    writeFileSync(quiet, nb(['import torch', filler]));
    const r = checkFile(quiet);
    assert.deepEqual([r.calls.length, r.kind], [0, 'notebook']);
    assert.match(r.note ?? '', /not parsed: 1\.0 million characters of code .*no loss name occurs/);
    const loud = path.join(dir, 'loud.ipynb');
    writeFileSync(loud, nb([filler, 'import torch.nn as nn\nl = nn.BCELoss()']));
    assert.throws(
      () => checkFile(loud),
      (e: unknown) => e instanceof UsageError && e.message.includes(`${loud}: too large to analyse`) && e.message.includes(`BCELoss (first at ${loud}[cell 2]:2:8)`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('brackets nested past 1000 are refused before parsing, naming the place', async () => {
  const { tooDeep } = await import('../../src/analysis/index');
  assert.equal(tooDeep(`x = ${'('.repeat(1000)}1${')'.repeat(1000)}\n`), null);
  assert.deepEqual(tooDeep(`a = 1\nx = ${'[('.repeat(500)}{`), { line: 2, column: 1005 });
  const dir = mkdtempSync(path.join(tmpdir(), 'deep-'));
  try {
    const py = path.join(dir, 'deep.py');
    writeFileSync(py, `import torch\nx = ${'f('.repeat(50_000)}1${')'.repeat(50_000)}\n`);
    assert.throws(
      () => checkFile(py),
      (e: unknown) => e instanceof UsageError && e.message === `check: ${py}: too deeply nested to analyse: brackets nest more than 1000 deep at ${py}:2:2006 (Python itself stops at 200)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
