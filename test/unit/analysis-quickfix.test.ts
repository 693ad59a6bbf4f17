// The quick fix for post-hoc label_smoothing: its text edits are applied and the resulting source is
// compared with what a person would write; re-analysing the result shows the assignment gone and ε in
// the constructor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeCells, analyzePython, applyEdits, type AnalysisDiagnostic } from '../../src/analysis/index';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'python');

function fixable(src: string): AnalysisDiagnostic[] {
  return analyzePython(src).diagnostics.filter((d) => d.fix !== null);
}

/** Applies the first available fix, re-analyses, repeats until none is left. */
function fixAll(src: string): { text: string; applied: string[] } {
  const applied: string[] = [];
  let text = src;
  for (let guard = 0; guard < 20; guard++) {
    const d = fixable(text)[0];
    if (!d) return { text, applied };
    applied.push(d.fix!.title);
    text = applyEdits(text, d.fix!.edits);
  }
  throw new Error('fixes did not converge');
}

test('fixture: every faithful move applied, the rest left alone', () => {
  const src = readFileSync(path.join(fixtures, 'posthoc_fix.py'), 'utf8');
  const want = readFileSync(path.join(fixtures, 'posthoc_fix.fixed.py'), 'utf8');
  const { text, applied } = fixAll(src);
  assert.deepEqual(applied, [
    'Move label_smoothing=0.1 into the DiceCELoss(…) call',
    'Move label_smoothing=0.05 into the CrossEntropyLoss(…) call',
    'Move label_smoothing=0.2 into the DiceCELoss(…) call',
    'Move label_smoothing=0.15 into the CrossEntropyLoss(…) call',
  ]);
  assert.equal(text, want);
  // What stays: the conditional assignment (moving it would drop the `if`) and the non-literal one.
  const after = analyzePython(text);
  assert.deepEqual(
    after.diagnostics.map((d) => [d.code, text.slice(d.start, d.end), d.fix]),
    [
      ['li-posthoc-eps', 'self.aux.label_smoothing = 0.3', null],
      ['li-posthoc-eps', 'self.extra.label_smoothing = smoothing', null],
    ],
  );
  assert.deepEqual(after.calls.map((c) => c.options.labelSmoothing), [0.1, 0.05, 0.2, 0.3, undefined, 0.15]);
});

test('single-line call: the keyword is appended; the assignment line and its comment are deleted', () => {
  const src = 'from monai.losses import DiceCELoss\nloss = DiceCELoss(softmax=True)\nloss.cross_entropy.label_smoothing = 0.1  # old MONAI\nprint(loss)\n';
  const [d] = fixable(src);
  assert.deepEqual(d!.fix!.edits, [
    { start: src.indexOf(')\nloss.'), end: src.indexOf(')\nloss.'), newText: ', label_smoothing=0.1' },
    { start: src.indexOf('loss.cross'), end: src.indexOf('print'), newText: '' },
  ]);
  assert.equal(applyEdits(src, d!.fix!.edits), 'from monai.losses import DiceCELoss\nloss = DiceCELoss(softmax=True, label_smoothing=0.1)\nprint(loss)\n');
});

test('empty argument list, existing keyword, positional ε', () => {
  const base = 'import torch.nn as nn\n';
  const cases: [string, string][] = [
    ['ce = nn.CrossEntropyLoss()\nce.label_smoothing = 0.2\n', 'ce = nn.CrossEntropyLoss(label_smoothing=0.2)\n'],
    ['ce = nn.CrossEntropyLoss(label_smoothing=0.0, reduction="sum")\nce.label_smoothing = 1e-1\n', 'ce = nn.CrossEntropyLoss(label_smoothing=1e-1, reduction="sum")\n'],
    ['ce = nn.CrossEntropyLoss(None, None, -100, None, "mean", 0.0)\nce.label_smoothing = .3\n', 'ce = nn.CrossEntropyLoss(None, None, -100, None, "mean", .3)\n'],
    ['ce = nn.CrossEntropyLoss(\n    # weights below\n    weight=w,  # per class\n)\nce.label_smoothing = 0.1\n', 'ce = nn.CrossEntropyLoss(\n    # weights below\n    weight=w,\n    label_smoothing=0.1,  # per class\n)\n'],
    ['ce = nn.CrossEntropyLoss(\n\tweight=w)\nce.label_smoothing = 0.1\n', 'ce = nn.CrossEntropyLoss(\n\tweight=w,\n\tlabel_smoothing=0.1)\n'],
    ['ce = nn.CrossEntropyLoss(**kw)\nce.label_smoothing = 0.1\n', 'ce = nn.CrossEntropyLoss(**kw, label_smoothing=0.1)\n'],
    // `.to(device)` / `.cuda()` return the module itself: the loss is still bound to `ce`.
    ['ce = nn.CrossEntropyLoss(weight=w).to(device).cuda()\nce.label_smoothing = 0.1\n', 'ce = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1).to(device).cuda()\n'],
  ];
  for (const [before, after] of cases) {
    const src = base + before;
    const [d, ...rest] = fixable(src);
    assert.equal(rest.length, 0, before);
    assert.equal(applyEdits(src, d!.fix!.edits), base + after, before);
  }
});

test('statement groups and CRLF files', () => {
  const group = 'import torch.nn as nn\nce = nn.CrossEntropyLoss(); ce.label_smoothing = 0.1; x = 1\n';
  assert.equal(applyEdits(group, fixable(group)[0]!.fix!.edits), 'import torch.nn as nn\nce = nn.CrossEntropyLoss(label_smoothing=0.1); x = 1\n');
  const crlf = 'import torch.nn as nn\r\nce = nn.CrossEntropyLoss(\r\n    reduction="sum",\r\n)\r\nce.label_smoothing = 0.1\r\nprint(ce)\r\n';
  assert.equal(applyEdits(crlf, fixable(crlf)[0]!.fix!.edits), 'import torch.nn as nn\r\nce = nn.CrossEntropyLoss(\r\n    reduction="sum",\r\n    label_smoothing=0.1,\r\n)\r\nprint(ce)\r\n');
});

test('no fix when the move would change the program', () => {
  const cases = [
    // another block (a loop body)
    'import torch.nn as nn\nce = nn.CrossEntropyLoss()\nfor e in range(3):\n    ce.label_smoothing = 0.1\n',
    // another function
    'import torch.nn as nn\nce = nn.CrossEntropyLoss()\ndef warmup():\n    ce.label_smoothing = 0.0\n',
    // a variable defined between the two
    'import torch.nn as nn\nce = nn.CrossEntropyLoss()\neps = 0.1\nce.label_smoothing = eps\n',
    // out of range
    'import torch.nn as nn\nce = nn.CrossEntropyLoss()\nce.label_smoothing = 1.5\n',
    // a loss without the parameter
    'import torch.nn as nn\nbce = nn.BCEWithLogitsLoss()\nbce.label_smoothing = 0.1\n',
  ];
  for (const src of cases) {
    const a = analyzePython(src);
    assert.ok(a.diagnostics.some((d) => d.code === 'li-posthoc-eps' || d.code === 'li-posthoc-eps-ignored'), src);
    assert.deepEqual(a.diagnostics.filter((d) => d.fix), [], src);
  }
});

test('notebook: a fix within one cell edits that cell', () => {
  const cell = '%time\nloss = DCE(softmax=True)\nloss.cross_entropy.label_smoothing = 0.1\n';
  const nb = analyzeCells([
    { cellIndex: 0, source: 'from monai.losses import DiceCELoss as DCE' },
    { cellIndex: 3, source: cell },
  ]);
  const [d] = nb.diagnostics;
  assert.equal(d!.cellIndex, 3);
  assert.equal(applyEdits(cell, d!.fix!.edits), '%time\nloss = DCE(softmax=True, label_smoothing=0.1)\n');
});

test('applyEdits rejects overlapping edits', () => {
  assert.throws(() => applyEdits('abcdef', [{ start: 1, end: 3, newText: 'x' }, { start: 2, end: 4, newText: 'y' }]), /overlapping edits/);
  assert.equal(applyEdits('abcdef', [{ start: 4, end: 4, newText: '+' }, { start: 0, end: 1, newText: 'A' }]), 'Abcd+ef');
});

test('property: on generated calls the fix always yields valid code with ε in the constructor', () => {
  let seed = 12345;
  const r = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ARGS = ['weight=w', 'reduction="sum"', 'ignore_index=-1', '**kw', 'label_smoothing=0.0', '# note'];
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(r() * 4);
    const args: string[] = [];
    for (let k = 0; k < n; k++) {
      const a = pick(ARGS);
      if (!args.includes(a) && !(a !== '**kw' && args.includes('**kw'))) args.push(a);
    }
    const layout = pick(['inline', 'lines', 'trailing']);
    const real = args.filter((a) => !a.startsWith('#'));
    let call: string;
    if (layout === 'inline' || real.length === 0) call = `nn.CrossEntropyLoss(${real.join(', ')})`;
    else {
      const body = args.map((a, k) => (a.startsWith('#') ? `    ${a}` : `    ${a}${k < args.length - 1 || layout === 'trailing' ? ',' : ''}`));
      call = `nn.CrossEntropyLoss(\n${body.join('\n')}\n)`;
    }
    const indent = pick(['', '    ']);
    const wrap = (line: string) => line.split('\n').map((l) => indent + l).join('\n');
    const eps = pick(['0.1', '.25', '1e-2', '1.']);
    const body = [`ce = ${call}`, pick(['', 'print(ce)']), `ce.label_smoothing = ${eps}`, 'train(ce)'].filter((x) => x !== '').map(wrap).join('\n');
    const src = `import torch.nn as nn\n${indent ? 'def build(w, kw):\n' : ''}${body}\n`;
    const before = analyzePython(src);
    if (before.syntaxErrors > 0) continue; // e.g. a comment swallowing a closing parenthesis
    const fixes = before.diagnostics.filter((d) => d.fix);
    assert.equal(fixes.length, 1, src);
    const out = applyEdits(src, fixes[0]!.fix!.edits);
    const after = analyzePython(out);
    assert.equal(after.syntaxErrors, 0, `${src}\n---\n${out}`);
    assert.deepEqual(after.diagnostics, [], out);
    assert.equal(after.calls.length, 1);
    assert.equal(after.calls[0]!.options.labelSmoothing, Number(eps), out);
    assert.ok(!out.includes('ce.label_smoothing'), out);
    checked++;
  }
  assert.ok(checked > 200, `checked ${checked}`);
});
