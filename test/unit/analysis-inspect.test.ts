// *Inspect with these settings…* on every call of a training script (test/fixtures/python/inspect_train.py):
// each opens with the options training uses — names bound once to literals, dict entries with constant
// keys, `len` of a literal list, `torch.tensor([...])` read statically — or carries exactly what it could
// not apply, with the reason, and the values torch rejects; C comes from the code, or is "C ?".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeCells, analyzePython, classCountFor, hoverAt, lensesFor } from '../../src/analysis/index';
import { crossEntropy } from '../../src/engine/index';
import { randomLabels, randomLogits, relClose, rng } from './helpers/random';

const src = readFileSync(path.resolve(__dirname, '..', 'fixtures', 'python', 'inspect_train.py'), 'utf8');
const inspects = (text: string) => lensesFor(analyzePython(text).calls, {}).filter((l) => l.inspect).map((l) => l.inspect!);

test('Inspect on each call of the training script: the options training uses, or exactly what is not applied', () => {
  const got = inspects(src);
  assert.deepEqual(got, [
    // a: weights through a name bound to torch.tensor([...]).to(...), ignore_index and ε through names.
    { options: { loss: 'ce', weight: [1, 2, 0.5, 1.5], ignoreIndex: 255, labelSmoothing: 0.2 } },
    // b: weights loaded at run time.
    {
      options: { loss: 'ce', ignoreIndex: 255, labelSmoothing: 0.1 },
      notApplied: [{ param: 'weight', key: 'weight', text: 'class_weights', reason: 'not a literal' }],
    },
    // c: dict entries with constant keys.
    { options: { loss: 'dicece', toOnehotY: true, softmax: true, includeBackground: false, labelSmoothing: 0.1 } },
    // d: an ε torch rejects is an error, never replaced by a default.
    {
      options: { loss: 'ce' },
      invalid: [{ param: 'label_smoothing', key: 'labelSmoothing', text: '1.5', reason: 'torch raises "label_smoothing must be between 0.0 and 1.0. Got: 1.5"' }],
    },
    // e: **kwargs reported as such.
    { options: { loss: 'dicece', softmax: true }, notApplied: [{ param: '**kwargs', key: null, text: '**cfg', reason: 'may set any option; not read' }] },
    // f: a function parameter, and a reduction the view does not show.
    {
      options: { loss: 'ce' },
      notApplied: [
        { param: 'label_smoothing', key: 'labelSmoothing', text: 'eps', reason: 'a function parameter' },
        { param: 'reduction', key: 'reduction', text: '"none"', reason: "the inspector shows the 'mean' and 'sum' reductions" },
      ],
    },
    // g: a nested dict entry; `[1.0] * len(...)` is an expression, not a literal list.
    {
      options: { loss: 'ce', labelSmoothing: 0.05 },
      notApplied: [{ param: 'weight', key: 'weight', text: '[1.0] * len(CLASS_NAMES)', reason: 'not a literal' }],
    },
    // h: a key the dict does not have.
    { options: { loss: 'ce' }, notApplied: [{ param: 'label_smoothing', key: 'labelSmoothing', text: 'CONFIG["missing"]', reason: '`CONFIG` has no key "missing"' }] },
  ]);
});

test('C from the code: the weight list, then a resolved num_classes; hovers say where C came from', () => {
  const a = analyzePython(src);
  const C = a.calls.map((c) => classCountFor(c, {}));
  assert.deepEqual(C.map((c) => [c.value, c.source]), [
    [4, 'weight'],
    [4, 'file'],
    [4, 'file'],
    [4, 'file'],
    [4, 'file'],
    [4, 'file'],
    [4, 'file'],
    [4, 'file'],
  ]);
  assert.equal(C[0]!.describe, 'the length of the weight list (`class_weights_literal`)');
  // Two statements of C, both 4: the dict entry and `out_channels=CONFIG["num_classes"]`.
  assert.deepEqual(a.classCounts.map((h) => [h.name, h.value, h.via, h.line]), [['num_classes', 4, 'dict', 8], ['out_channels', 4, 'keyword', 27]]);
  assert.equal(C[1]!.describe, '`"num_classes": 4` on line 8');
  const at = src.indexOf('label_smoothing=0.1)') + 2;
  const h = hoverAt(a.calls, at, {});
  assert.ok(h && h.markdown.includes('With C = 4 (from `"num_classes": 4` on line 8)'), h?.markdown);
  // The hover on the loss name lists what Inspect does not apply, and the summary with C's source.
  const b = a.calls[1]!;
  const name = hoverAt(a.calls, b.nameRange.start + 1, {});
  assert.ok(name && name.markdown.includes('*Inspect* does not apply:\n- not applied: `weight` (`class_weights`, not a literal)'), name?.markdown);
  const d = a.calls[3]!;
  const invalid = hoverAt(a.calls, d.nameRange.start + 1, {});
  assert.ok(invalid && invalid.markdown.includes('- invalid: `label_smoothing` (`1.5`, torch raises "label_smoothing must be between 0.0 and 1.0. Got: 1.5")'), invalid?.markdown);
});

test('C ?: no weight list, no class count, no comparison — the formulas of C, not a guess', () => {
  const text = 'import torch.nn as nn\nce = nn.CrossEntropyLoss(label_smoothing=0.1)\n';
  const [summary] = lensesFor(analyzePython(text).calls, {});
  assert.equal(summary!.title, 'ε 0.1 · C ? → target 0.9 + 0.1/C / 0.1/C');
  assert.ok(summary!.tooltip.startsWith('C is not known'));
  assert.ok(summary!.tooltip.includes('−(0.9 + 0.1/C)·ln(0.9 + 0.1/C) − (C−1)·(0.1/C)·ln(0.1/C)'));
  const h = hoverAt(analyzePython(text).calls, text.indexOf('label_smoothing') + 1, {});
  assert.ok(h && h.markdown.includes('**0.9 + 0.1/C** on the true class'));
  // The comparison opened from this file, then a setting the user set, are used before "C ?".
  assert.match(lensesFor(analyzePython(text).calls, { lastNumClasses: 7 })[0]!.title, /^ε 0\.1 · C 7 → /);
  assert.match(lensesFor(analyzePython(text).calls, { defaultNumClasses: 3 })[0]!.title, /^ε 0\.1 · C 3 → /);
  assert.equal(lensesFor(analyzePython(text).calls, { defaultNumClasses: null })[0]!.title, 'ε 0.1 · C ? → target 0.9 + 0.1/C / 0.1/C');
  // A weight list beats a stated class count, which beats a comparison.
  const both = 'import torch.nn as nn\nNUM_CLASSES = 5\nce = nn.CrossEntropyLoss(weight=[1., 2., 3.], label_smoothing=0.1)\nce2 = nn.CrossEntropyLoss()\n';
  assert.deepEqual(analyzePython(both).calls.map((c) => classCountFor(c, { lastNumClasses: 9 }).value), [3, 5]);
});

test('a name is read only when bound once, never changed in place, and in reach', () => {
  const head = 'import torch.nn as nn\n';
  const eps = (body: string) => {
    const c = analyzePython(head + body).calls.at(-1)!;
    const n = c.notApplied.find((x) => x.key === 'labelSmoothing');
    return c.options.labelSmoothing ?? n?.reason;
  };
  assert.equal(eps('E = 0.1\nce = nn.CrossEntropyLoss(label_smoothing=E)\n'), 0.1);
  assert.equal(eps('E = 0.1\nE = 0.2\nce = nn.CrossEntropyLoss(label_smoothing=E)\n'), 'assigned 2 times');
  assert.equal(eps('E = 0.1\nfor E in range(3): pass\nce = nn.CrossEntropyLoss(label_smoothing=E)\n'), 'assigned 2 times');
  assert.equal(eps('C = {"e": 0.1}\nC["e"] = 0.3\nce = nn.CrossEntropyLoss(label_smoothing=C["e"])\n'), 'changed in place after it is set');
  assert.equal(eps('C = {"e": 0.1}\nC.update(e=0.3)\nce = nn.CrossEntropyLoss(label_smoothing=C["e"])\n'), 'changed in place after it is set');
  assert.equal(eps('ce = nn.CrossEntropyLoss(label_smoothing=E)\n'), 'not assigned in this file');
  assert.equal(eps('A = 0.1\nB = A\nce = nn.CrossEntropyLoss(label_smoothing=B)\n'), 0.1);
  assert.equal(eps('A = B\nB = A\nce = nn.CrossEntropyLoss(label_smoothing=B)\n'), '`A` is defined through too many names');
  assert.equal(eps('T = (0.1, 0.2)\nce = nn.CrossEntropyLoss(label_smoothing=T[-1])\n'), 0.2);
  assert.equal(eps('def f():\n    e = 0.3\n    return nn.CrossEntropyLoss(label_smoothing=e)\n'), 0.3);
  assert.equal(eps('C = {"e": 0.1, **D}\nce = nn.CrossEntropyLoss(label_smoothing=C["e"])\n'), '`C` is built with * or ** unpacking');
  // `len` of a literal list (strings too), and only the builtin.
  const n = (body: string) => analyzePython(head + body + 'ce = nn.CrossEntropyLoss()\n').classCounts.map((h) => h.value);
  assert.deepEqual(n('NAMES = ["a", "b", "c"]\nnet = Net(num_classes=len(NAMES))\n'), [3]);
  assert.deepEqual(n('def len(x): return 9\nnet = Net(num_classes=len(["a"]))\n'), []);
  assert.deepEqual(n('cfg = dict(x=1)\nnet = Net(n_classes=cfg["x"])\n'), []);
  // A dict's `out_channels` may count a layer's features: only its class-count keys count.
  assert.deepEqual(n('LAYER = {"out_channels": 64}\nHEAD = {"n_classes": 5}\n'), [5]);
  // Notebook cells: a name bound in an earlier cell, once.
  const nb = analyzeCells([
    { cellIndex: 0, source: 'import torch.nn as nn\nEPS = 0.15' },
    { cellIndex: 1, source: 'ce = nn.CrossEntropyLoss(label_smoothing=EPS)' },
  ]);
  assert.equal(nb.calls[0]!.options.labelSmoothing, 0.15);
  const twice = analyzeCells([
    { cellIndex: 0, source: 'import torch.nn as nn\nEPS = 0.15' },
    { cellIndex: 1, source: 'EPS = 0.25' },
    { cellIndex: 2, source: 'ce = nn.CrossEntropyLoss(label_smoothing=EPS)' },
  ]);
  assert.equal(twice.calls[0]!.notApplied[0]!.reason, 'assigned 2 times');
});

test('post-hoc ε replaces the constructor’s note; a resolved post-hoc value is not moved by the quick fix', () => {
  const a = analyzePython('import torch.nn as nn\nce = nn.CrossEntropyLoss(label_smoothing=args.eps)\nE = 0.3\nce.label_smoothing = E\n');
  const c = a.calls[0]!;
  assert.equal(c.options.labelSmoothing, 0.3);
  assert.deepEqual(c.notApplied, []);
  assert.ok(a.diagnostics.every((d) => d.fix === null));
  const bad = analyzePython('import torch.nn as nn\nce = nn.CrossEntropyLoss()\nce.label_smoothing = 2\n').calls[0]!;
  assert.deepEqual(bad.invalid.map((n) => [n.param, n.text]), [['ce.label_smoothing', '2']]);
});

test("Hugging Face: TrainingArguments(label_smoothing_factor=…) and LabelSmoother(epsilon=…), the target as a formula of V", () => {
  const text = [
    'from transformers import TrainingArguments, Seq2SeqTrainingArguments',
    'from transformers.trainer_pt_utils import LabelSmoother',
    'args = TrainingArguments("out", learning_rate=3e-5, label_smoothing_factor=0.1, num_train_epochs=3)',
    's2s = Seq2SeqTrainingArguments(output_dir="out", label_smoothing_factor=EPS)',
    'smoother = LabelSmoother()',
    'smoother2 = LabelSmoother(epsilon=0.2, ignore_index=-100)',
    '',
  ].join('\n');
  const a = analyzePython(text);
  assert.deepEqual(a.calls.map((c) => [c.loss, c.options, c.notApplied.map((n) => n.param)]), [
    ['TrainingArguments', { labelSmoothing: 0.1 }, []],
    ['Seq2SeqTrainingArguments', {}, ['label_smoothing_factor']],
    ['LabelSmoother', {}, []],
    ['LabelSmoother', { labelSmoothing: 0.2, ignoreIndex: -100 }, []],
  ]);
  // No Inspect lens (the (B, T, V) logits need the class axis last); the summary is a formula of V.
  assert.deepEqual(lensesFor(a.calls, {}).map((l) => l.title), [
    'ε 0.1 · V ? → target 0.9 + 0.1/V / 0.1/V',
    'ε ? (EPS) · V ?',
    'ε 0.1 · V ? → target 0.9 + 0.1/V / 0.1/V',
    'ε 0.2 · V ? → target 0.8 + 0.2/V / 0.2/V',
  ]);
  assert.deepEqual(a.diagnostics, []);
  // A literal vocabulary size gives the numbers (GPT-2's 50257).
  const sized = analyzePython(text + 'config = GPT2Config(vocab_size=50257)\n');
  assert.match(lensesFor(sized.calls, {})[0]!.title, /^ε 0\.1 · V 50257 → target 0\.9000 \/ 0\.0000 · floor /);
  // The hover on label_smoothing_factor states LabelSmoother's equivalence with torch's mean.
  const h = hoverAt(a.calls, text.indexOf('label_smoothing_factor') + 3, {});
  assert.ok(h && h.markdown.startsWith('**label_smoothing_factor** = `0.1` · `transformers.TrainingArguments`'), h?.markdown);
  assert.ok(h.markdown.includes("the same number as torch's `cross_entropy(..., label_smoothing=ε)` with `mean` and no weights"));
  assert.ok(h.markdown.includes('**0.9 + 0.1/V** on the true class'));
  // An ε out of range is the same error as torch's.
  const bad = analyzePython('from transformers import TrainingArguments\nTrainingArguments("o", label_smoothing_factor=1.5)\n');
  assert.deepEqual(bad.calls[0]!.invalid.map((n) => n.param), ['label_smoothing_factor']);
});

test("LabelSmoother's number (its formula, written out) equals the engine's torch label_smoothing mean without weights", () => {
  // transformers/trainer_pt_utils.py LabelSmoother.__call__ on (N, V) logits: per token with a label
  // ≠ -100, nll = −log q_y and smoothed = −Σ_k log q_k; loss = (1−ε)·mean(nll) + ε·mean(smoothed)/V.
  const r = rng(7);
  const N = 200;
  const V = 37;
  const x = randomLogits(r, [N, V], 3);
  const t = randomLabels(r, [N], V, { value: -100, rate: 0.25 });
  for (const eps of [0, 0.1, 0.37]) {
    let nll = 0;
    let smoothed = 0;
    let kept = 0;
    for (let i = 0; i < N; i++) {
      const y = Number(t.data[i]);
      if (y === -100) continue;
      const row = Array.from(x.data.subarray(i * V, (i + 1) * V), Number);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      nll += lse - row[y]!;
      smoothed += row.reduce((s, v) => s + (lse - v), 0);
      kept++;
    }
    const hf = (1 - eps) * (nll / kept) + (eps * (smoothed / kept)) / V;
    const engine = crossEntropy(x, t, { labelSmoothing: eps, ignoreIndex: -100 }) as number;
    assert.ok(relClose(hf, engine, 1e-9), `ε ${eps}: LabelSmoother ${hf} vs engine ${engine}`);
  }
});
