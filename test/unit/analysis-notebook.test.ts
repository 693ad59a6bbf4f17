// Notebooks: code cells analysed one by one with imports and bindings carried across cells, IPython
// magics hidden from the parser without moving positions, findings located within their cell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeCells, analyzeNotebookText, NotebookFormatError, readNotebook, stripMagics } from '../../src/analysis/index';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'python');
const nbText = readFileSync(path.join(fixtures, 'notebook.ipynb'), 'utf8');

test('notebook: cells read from the JSON, markdown kept in the numbering', () => {
  const { cells, language } = readNotebook(nbText, 'notebook.ipynb');
  assert.equal(language, 'python');
  assert.deepEqual(cells.map((c) => c.kind), ['markdown', 'code', 'code', 'markdown', 'code', 'code', 'code', 'code']);
  assert.equal(cells[2]!.source, 'model = UNet(spatial_dims=3, in_channels=1, out_channels=14, channels=(16, 32, 64), strides=(2, 2))\nloss_fn = DCE(to_onehot_y=True, softmax=True)');
});

test('notebook: findings per cell, imports and loss objects carried across cells', () => {
  const nb = analyzeNotebookText(nbText, 'notebook.ipynb');
  // The %%bash cell (5) is skipped; the %%time cell (6) is Python.
  assert.deepEqual(nb.cells.map((c) => c.cellIndex), [1, 2, 4, 6, 7]);
  assert.deepEqual(
    nb.calls.map((c) => [c.cellIndex, c.line, c.column, c.name, c.options, c.numClasses?.value, c.numClasses?.cellIndex]),
    [
      // DCE imported in cell 1, used in cell 2; ε comes from the post-hoc assignment in cell 4.
      [2, 2, 11, 'monai.losses.DiceCELoss', { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 }, 14, 2],
      [4, 2, 12, 'torch.nn.functional.cross_entropy', { loss: 'ce', labelSmoothing: 0.1 }, 14, 2],
      [6, 2, 7, 'monai.losses.DiceCELoss', { loss: 'dicece', sigmoid: true, labelSmoothing: 0.05 }, 14, 2],
      // Cell 7 rebinds F before calling F.cross_entropy: not recognised.
    ],
  );
  assert.deepEqual(
    nb.diagnostics.map((d) => [d.cellIndex, d.line, d.column, d.code, d.severity, d.fix !== null]),
    [
      // Cross-cell post-hoc assignment: reported, but no quick fix (the constructor is in another cell).
      [4, 1, 1, 'li-posthoc-eps', 'information', false],
      [6, 2, 46, 'li-ignore-index-dicece', 'warning', false],
      [6, 3, 1, 'li-posthoc-eps', 'information', true],
    ],
  );
  assert.equal(
    nb.diagnostics[0]!.message,
    'label_smoothing set after construction on loss_fn.cross_entropy: it works, but the DiceCELoss(…) call on line 2 of cell 3 does not show it; pass label_smoothing= to the constructor',
  );
  const first = nb.calls[0]!;
  assert.deepEqual(first.postHoc.map((p) => [p.cellIndex, p.line, p.effective]), [[4, 1, true]]);
  // Every cell's analysis holds only its own findings.
  for (const c of nb.cells) {
    assert.ok(c.analysis.calls.every((x) => x.cellIndex === c.cellIndex));
    assert.ok(c.analysis.diagnostics.every((x) => x.cellIndex === c.cellIndex));
  }
});

test('magics become spaces of the same length; non-Python cell magics skip the cell', () => {
  assert.equal(stripMagics('%matplotlib inline\nimport torch\n  !pip install monai\nx = 1'), '                  \nimport torch\n                    \nx = 1');
  assert.equal(stripMagics('%%bash\necho hi'), null);
  assert.equal(stripMagics('%%writefile train.py\nimport torch'), null);
  assert.equal(stripMagics('%%time\nimport torch'), '      \nimport torch');
});

test('analyzeCells: a later cell may shadow an alias for the cells after it', () => {
  const nb = analyzeCells([
    { cellIndex: 0, source: 'import torch.nn as nn' },
    { cellIndex: 1, source: 'a = nn.CrossEntropyLoss(label_smoothing=0.1)\nnn = None' },
    { cellIndex: 2, source: 'b = nn.CrossEntropyLoss(label_smoothing=0.2)' },
    { cellIndex: 3, source: 'import torch.nn as nn\nc = nn.CrossEntropyLoss(label_smoothing=0.3)' },
  ]);
  assert.deepEqual(nb.calls.map((c) => [c.cellIndex, c.boundTo, c.options.labelSmoothing]), [[1, 'a', 0.1], [3, 'c', 0.3]]);
});

test('non-Python notebooks are skipped; malformed ones throw one line naming the file', () => {
  const r = analyzeNotebookText(readFileSync(path.join(fixtures, 'r_kernel.ipynb'), 'utf8'), 'r_kernel.ipynb');
  assert.deepEqual(r, { cells: [], calls: [], diagnostics: [] });
  assert.throws(
    () => analyzeNotebookText(readFileSync(path.join(fixtures, 'broken.ipynb'), 'utf8'), 'broken.ipynb'),
    (e: unknown) => e instanceof NotebookFormatError && e.message.startsWith('broken.ipynb: not a notebook: invalid JSON') && !e.message.includes('\n'),
  );
  assert.throws(() => readNotebook('{"nbformat": 4}', 'x.ipynb'), /^NotebookFormatError: x\.ipynb: not a notebook: no "cells" array$/);
  assert.throws(() => readNotebook('{"cells": [{"cell_type": "code", "source": 3}]}', 'y.ipynb'), /y\.ipynb: cell 1 has no text source/);
  // nbformat 3: cells inside worksheets, code in `input`.
  const v3 = readNotebook(JSON.stringify({ worksheets: [{ cells: [{ cell_type: 'code', input: ['import torch\n', 'x = 1'] }] }], nbformat: 3 }), 'old.ipynb');
  assert.deepEqual(v3.cells, [{ index: 0, kind: 'code', source: 'import torch\nx = 1' }]);
});
