// CodeLens titles and hover text: the smoothed target and floor for the known C (checked against the
// formula computed here independently), the C fallbacks, and the torch / MONAI facts that bite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCells, analyzePython, hoverAt, lensesFor } from '../../src/analysis/index';

/** Entropy of the smoothed target, written out once more for the check. */
function floor(eps: number, C: number): number {
  const on = 1 - eps + eps / C;
  const off = eps / C;
  return -on * Math.log(on) - (C - 1) * (off > 0 ? off * Math.log(off) : 0);
}

const titles = (src: string, ctx = { defaultNumClasses: 2 } as { defaultNumClasses: number; lastNumClasses?: number }) =>
  lensesFor(analyzePython(src).calls, ctx).map((l) => l.title);

test('the brief example: ε 0.1, C 14', () => {
  const src = 'from monai.losses import DiceCELoss\nmodel = UNet(out_channels=14)\nloss = DiceCELoss(to_onehot_y=True, softmax=True, label_smoothing=0.1)\n';
  const lenses = lensesFor(analyzePython(src).calls, { defaultNumClasses: 2 });
  assert.deepEqual(lenses.map((l) => [l.line, l.column, l.title]), [
    [3, 8, 'ε 0.1 · C 14 → target 0.9071 / 0.0071 · floor 0.5473'],
    [3, 8, 'Inspect with these settings…'],
  ]);
  assert.equal(floor(0.1, 14).toFixed(4), '0.5473');
  assert.deepEqual(lenses[1]!.inspect, { options: { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 } });
  assert.equal(lenses[0]!.tooltip.startsWith('C = 14 from `out_channels=14` on line 2.'), true);
});

test('C: file literal, else the last inspected tensors, else the setting', () => {
  const src = 'import torch.nn as nn\nce = nn.CrossEntropyLoss(label_smoothing=0.2)\n';
  const t = (C: number) => `ε 0.2 · C ${C} → target ${(0.8 + 0.2 / C).toFixed(4)} / ${(0.2 / C).toFixed(4)} · floor ${floor(0.2, C).toFixed(4)}`;
  assert.deepEqual(titles(src, { defaultNumClasses: 3 }), [t(3), 'Inspect with these settings…']);
  assert.deepEqual(titles(src, { defaultNumClasses: 3, lastNumClasses: 21 }), [t(21), 'Inspect with these settings…']);
  assert.deepEqual(titles(src + 'head = Head(num_classes=5)\n', { defaultNumClasses: 3, lastNumClasses: 21 }), [t(5), 'Inspect with these settings…']);
});

test('lens wording: hard targets, unknown ε, **kwargs, out of range, no ε parameter, BCE branch', () => {
  const src = [
    'import torch.nn as nn',
    'from monai.losses import DiceCELoss, DiceLoss',
    'a = nn.CrossEntropyLoss()',
    'b = nn.CrossEntropyLoss(label_smoothing=args.eps)',
    'c = DiceCELoss(**cfg)',
    'd = nn.CrossEntropyLoss(label_smoothing=-1)',
    'e = DiceLoss(softmax=True)',
    'f = nn.BCEWithLogitsLoss()',
    'g = DiceCELoss(sigmoid=True, label_smoothing=0.1)',
    'h = DiceCELoss(softmax=True, **cfg, label_smoothing=0.0)',
    'i = nn.CrossEntropyLoss(label_smoothing=some.very.long.expression.that_goes_on)',
    '',
  ].join('\n');
  assert.deepEqual(
    lensesFor(analyzePython(src).calls, { defaultNumClasses: 4 }).filter((l) => !l.inspect).map((l) => l.title),
    [
      'ε 0 (hard targets) · C 4',
      'ε ? (args.eps) · C 4',
      'ε ? (**kwargs) · C 4',
      'ε -1 (outside [0, 1]) · C 4',
      'ε n/a — DiceLoss has no label smoothing (Dice is unaffected) · C 4',
      'ε n/a — BCEWithLogitsLoss takes no label_smoothing · C 4',
      `ε 0.1 · C 4 → target 0.9250 / 0.0250 · floor ${floor(0.1, 4).toFixed(4)} · BCE branch ignores ε if 1 channel`,
      'ε 0 (hard targets) · C 4 · + **kwargs',
      'ε ? (some.very.long.expressi…) · C 4',
    ],
  );
  // Inspect lenses only for what the engine reproduces (not BCE), with ε only when in [0, 1].
  const inspect = lensesFor(analyzePython(src).calls, { defaultNumClasses: 4 }).filter((l) => l.inspect);
  assert.deepEqual(inspect.map((l) => l.inspect!.options), [
    { loss: 'ce' },
    { loss: 'ce' },
    { loss: 'dicece' },
    { loss: 'ce' },
    { loss: 'dice', softmax: true },
    { loss: 'dicece', sigmoid: true, labelSmoothing: 0.1 },
    { loss: 'dicece', softmax: true, labelSmoothing: 0 },
    { loss: 'ce' },
  ]);
  const binary = 'from monai.losses import DiceCELoss\nnet = UNet(out_channels=1)\nl = DiceCELoss(label_smoothing=0.1)\n';
  assert.deepEqual(titles(binary), ['ε 0.1 · C 1 → BCE branch ignores ε', 'Inspect with these settings…']);
});

test('post-hoc ε shows in the lens of the constructor', () => {
  const src = 'import torch.nn as nn\nce = nn.CrossEntropyLoss()\nce.label_smoothing = 0.3\n';
  assert.deepEqual(titles(src, { defaultNumClasses: 10 })[0], `ε 0.3 · C 10 → target 0.7300 / 0.0300 · floor ${floor(0.3, 10).toFixed(4)} · ε set on line 3`);
});

test('hover on label_smoothing: target and floor for C, the facts that bite', () => {
  const src = 'import torch.nn as nn\nNUM_CLASSES = 14\nce = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)\n';
  const a = analyzePython(src);
  const at = src.indexOf('label_smoothing') + 3;
  const h = hoverAt(a.calls, at, { defaultNumClasses: 2 });
  assert.ok(h);
  assert.deepEqual(h.range, { start: src.indexOf('label_smoothing'), end: src.indexOf('label_smoothing') + 'label_smoothing'.length });
  assert.match(h.markdown, /^\*\*label_smoothing\*\* = `0\.1` · `torch\.nn\.CrossEntropyLoss`/);
  assert.ok(h.markdown.includes('(1−ε)·onehot + ε/C'));
  assert.ok(h.markdown.includes('With C = 14 (from `NUM_CLASSES=14` on line 2) the target is **0.9071** on the true class and **0.0071** on each of the other 13.'));
  assert.ok(h.markdown.includes('cannot go below **0.5473** nats'));
  assert.ok(h.markdown.includes("torch's `mean` with `weight` (given here)"));
  assert.ok(h.markdown.includes('divided by Σ w[y]'));
  // Not on other text.
  assert.equal(hoverAt(a.calls, src.indexOf('weight=w') + 2, { defaultNumClasses: 2 }), null);
  assert.equal(hoverAt(a.calls, src.indexOf('NUM_CLASSES') + 2, { defaultNumClasses: 2 }), null);
});

test('hover on DiceCELoss and on a post-hoc attribute', () => {
  const src = 'from monai.losses import DiceCELoss as DCE\nl = DCE(sigmoid=True, weight=w, **extra)\nl.cross_entropy.label_smoothing = 0.2\n';
  const a = analyzePython(src);
  const name = hoverAt(a.calls, src.indexOf('DCE(') + 1, { defaultNumClasses: 1 });
  assert.ok(name);
  assert.deepEqual(name.range, { start: src.indexOf('DCE('), end: src.indexOf('DCE(') + 3 });
  assert.ok(name.markdown.startsWith('**monai.losses.DiceCELoss** · Loss Inspector'));
  assert.ok(name.markdown.includes('| `sigmoid` | `true` |'));
  assert.ok(name.markdown.includes('| `labelSmoothing` | `0.2` |'));
  assert.ok(name.markdown.includes('Not literal (not evaluated): `weight`.'));
  assert.ok(name.markdown.includes('`**kwargs` may set further options'));
  assert.ok(name.markdown.includes('ε reaches only the CE term (`lambda_ce`); the Dice term is unaffected.'));
  assert.ok(name.markdown.includes('With one output channel MONAI computes `BCEWithLogitsLoss(pos_weight=weight)`'));
  assert.ok(name.markdown.includes('ε 0.2 · C 1 → BCE branch ignores ε'));
  const attr = src.lastIndexOf('label_smoothing');
  const post = hoverAt(a.calls, attr + 1, { defaultNumClasses: 1 });
  assert.ok(post);
  assert.deepEqual(post.range, { start: attr, end: attr + 'label_smoothing'.length });
  assert.ok(post.markdown.includes('Set after construction (line 3)'));
  assert.ok(post.markdown.includes('DiceCELoss uses its BCE branch, which ignores ε'));
  // A post-hoc hover in a notebook cell that targets a loss from an earlier cell.
  const nb = analyzeCells([
    { cellIndex: 0, source: 'import torch.nn as nn\nce = nn.CrossEntropyLoss()' },
    { cellIndex: 1, source: 'ce.label_smoothing = 0.1' },
  ]);
  const inCell = hoverAt(nb.calls, 5, { defaultNumClasses: 3 }, 1);
  assert.ok(inCell && inCell.markdown.includes('**0.9333** on the true class'));
  assert.equal(hoverAt(nb.calls, 5, { defaultNumClasses: 3 }, 0), null);
});

test('hover on label_smoothing passed to a loss without it', () => {
  const src = 'from monai.losses import DiceLoss\nd = DiceLoss(label_smoothing=0.1)\n';
  const h = hoverAt(analyzePython(src).calls, src.indexOf('label_smoothing') + 1, { defaultNumClasses: 3 });
  assert.ok(h && h.markdown.includes('`DiceLoss` has no `label_smoothing` parameter: passing it raises `TypeError`'));
  assert.ok(h.markdown.includes('Dice terms take no label smoothing'));
});
