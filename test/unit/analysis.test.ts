// The Python analysis on the fixture corpus (test/fixtures/python): every recognised call and every
// diagnostic of each file is listed here and compared exactly — position (found independently with
// indexOf), range, resolved name, options in golden keys, unknown options, **kwargs, binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePython, type Analysis } from '../../src/analysis/index';
import type { LossOptions } from '../../src/engine/types';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'python');
const load = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

/** Offset of the nth occurrence of `needle` (fails the test when absent). */
function offsetOf(src: string, needle: string, nth = 0): number {
  let at = -1;
  for (let k = 0; k <= nth; k++) {
    at = src.indexOf(needle, at + 1);
    assert.ok(at >= 0, `fixture has no occurrence ${nth} of ${JSON.stringify(needle)}`);
  }
  return at;
}

function lineCol(src: string, offset: number): { line: number; column: number } {
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

interface ExpectedCall {
  /** The call's exact source text (its range), and which occurrence of it. */
  text: string;
  nth?: number;
  name: string;
  options: Partial<LossOptions>;
  unknown?: (keyof LossOptions)[];
  kwargs?: boolean;
  star?: boolean;
  boundTo?: string | null;
}

interface ExpectedDiagnostic {
  code: string;
  severity: 'error' | 'warning' | 'information';
  /** The exact source text of the diagnostic's range. */
  text: string;
  nth?: number;
  message?: string;
}

function checkCalls(src: string, a: Analysis, expected: ExpectedCall[]): void {
  const got = a.calls.map((c) => ({
    text: src.slice(c.start, c.end),
    line: c.line,
    column: c.column,
    end: lineCol(src, c.end),
    name: c.name,
    options: c.options,
    unknown: c.unknownOptions,
    kwargs: c.hasKwargs,
    star: c.hasStarArgs,
    boundTo: c.boundTo,
  }));
  const want = expected.map((e) => {
    const start = offsetOf(src, e.text, e.nth ?? 0);
    return {
      text: e.text,
      ...lineCol(src, start),
      end: lineCol(src, start + e.text.length),
      name: e.name,
      options: e.options,
      unknown: e.unknown ?? [],
      kwargs: e.kwargs ?? false,
      star: e.star ?? false,
      boundTo: e.boundTo === undefined ? null : e.boundTo,
    };
  });
  assert.deepStrictEqual(got, want);
  assert.deepStrictEqual(a.calls.map((c) => c.id), a.calls.map((_, i) => i));
}

function checkDiagnostics(src: string, a: Analysis, expected: ExpectedDiagnostic[]): void {
  const got = a.diagnostics.map((d) => ({ code: d.code, severity: d.severity, text: src.slice(d.start, d.end), line: d.line, column: d.column }));
  const want = expected.map((e) => ({ code: e.code, severity: e.severity, text: e.text, ...lineCol(src, offsetOf(src, e.text, e.nth ?? 0)) }));
  assert.deepStrictEqual(got, want);
  for (const [i, e] of expected.entries()) {
    const d = a.diagnostics[i]!;
    assert.ok(d.message.length > 20, `diagnostic ${d.code} has a message`);
    assert.equal(d.endLine, lineCol(src, d.end).line);
    assert.equal(d.endColumn, lineCol(src, d.end).column);
    if (e.message !== undefined) assert.equal(d.message, e.message);
  }
}

test('aliases: every import spelling resolves to the canonical name', () => {
  const src = load('aliases.py');
  const a = analyzePython(src);
  checkCalls(src, a, [
    { text: 'nn.CrossEntropyLoss(label_smoothing=0.1)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 0.1 }, boundTo: 'criterion_a' },
    { text: 'torch.nn.CrossEntropyLoss(reduction="sum")', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', reduction: 'sum' }, boundTo: 'criterion_b' },
    { text: 'TorchCE(ignore_index=255)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', ignoreIndex: 255 }, boundTo: 'criterion_c' },
    { text: 'DCE(to_onehot_y=True, softmax=True, label_smoothing=0.05)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.05 }, boundTo: 'criterion_d' },
    { text: 'monai.losses.DiceCELoss(include_background=False)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', includeBackground: false }, boundTo: 'criterion_e' },
    { text: 'monai.losses.dice.DiceCELoss(lambda_dice=0.5, lambda_ce=2.0)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', lambdaDice: 0.5, lambdaCe: 2 }, boundTo: 'criterion_f' },
    { text: 'dice_ce(batch=True)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', batch: true }, boundTo: 'criterion_g' },
    { text: 'DiceLoss(to_onehot_y=True, softmax=True, squared_pred=True, jaccard=True)', name: 'monai.losses.DiceLoss', options: { loss: 'dice', toOnehotY: true, softmax: true, squaredPred: true, jaccard: true }, boundTo: 'criterion_h' },
    { text: 'DiceFocalLoss(gamma=2.0, lambda_dice=1.0)', name: 'monai.losses.DiceFocalLoss', options: { loss: 'dicefocal', gamma: 2, lambdaDice: 1 }, boundTo: 'criterion_i' },
    { text: 'GeneralizedDiceLoss(smooth_nr=0.0, smooth_dr=1e-6)', name: 'monai.losses.GeneralizedDiceLoss', options: { loss: 'gdice', smoothNr: 0, smoothDr: 1e-6 }, boundTo: 'criterion_j' },
    { text: 'nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))', name: 'torch.nn.BCEWithLogitsLoss', options: {}, boundTo: 'criterion_k' },
    { text: 'nn.NLLLoss(weight=None)', name: 'torch.nn.NLLLoss', options: { weight: null }, boundTo: 'criterion_l' },
    { text: 'torch.nn.modules.loss.BCELoss(reduction="mean")', name: 'torch.nn.BCELoss', options: { reduction: 'mean' }, boundTo: 'criterion_m' },
    { text: 'F.cross_entropy(logits, labels, label_smoothing=0.2)', name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce', labelSmoothing: 0.2 }, boundTo: 'a' },
    { text: 'Fn.cross_entropy(logits, labels)', name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce' }, boundTo: 'b' },
    { text: 'torch.nn.functional.cross_entropy(logits, labels, reduction="sum")', name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce', reduction: 'sum' }, boundTo: 'c' },
    { text: 'F.binary_cross_entropy_with_logits(logits, labels.float())', name: 'torch.nn.functional.binary_cross_entropy_with_logits', options: {}, boundTo: 'd' },
    { text: 'F.nll_loss(logits.log_softmax(1), labels, ignore_index=0)', name: 'torch.nn.functional.nll_loss', options: { ignoreIndex: 0 }, boundTo: 'e' },
    { text: 'tnn.CrossEntropyLoss(label_smoothing=0.3)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 0.3 } },
    { text: 'DiceCELoss(softmax=True)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', softmax: true }, boundTo: 'late' },
  ]);
  checkDiagnostics(src, a, []);
  assert.equal(a.syntaxErrors, 0);
});

test('shadowed names, strings and comments are not recognised', () => {
  const src = load('shadowed.py');
  const a = analyzePython(src);
  checkCalls(src, a, [
    { text: 'nn.CrossEntropyLoss(label_smoothing=0.15)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 0.15 } },
    { text: 'F.cross_entropy(x, y, label_smoothing=0.05)', name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce', labelSmoothing: 0.05 } },
  ]);
  checkDiagnostics(src, a, []);
});

test('multi-line and nested calls, comments inside arguments, positional mapping, non-literal values', () => {
  const src = load('multiline_nested.py');
  const a = analyzePython(src);
  const multiline = src.slice(offsetOf(src, 'DiceCELoss(\n'), offsetOf(src, ')\n\nwrapped') + 1);
  const training = src.slice(offsetOf(src, 'F.cross_entropy(\n'), offsetOf(src, '    ) + F.cross_entropy') + 5);
  checkCalls(src, a, [
    {
      text: multiline,
      name: 'monai.losses.DiceCELoss',
      options: { loss: 'dicece', toOnehotY: true, softmax: true, reduction: 'mean', weight: [0.5, 1, 0.2, 10], lambdaCe: 1, smoothNr: 1e-5, smoothDr: 0, labelSmoothing: 0.1 },
      boundTo: 'loss_fn',
    },
    { text: 'DiceCELoss(softmax=True, to_onehot_y=True, label_smoothing=cfg.smoothing)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', softmax: true, toOnehotY: true }, unknown: ['labelSmoothing'] },
    { text: "nn.CrossEntropyLoss(reduction='none')", name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce' } },
    { text: 'DiceLoss(sigmoid=True, reduction="sum")', name: 'monai.losses.DiceLoss', options: { loss: 'dice', sigmoid: true, reduction: 'sum' } },
    { text: 'nn.CrossEntropyLoss(torch.tensor([1.0, 3.0]), None, -1)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', weight: [1, 3], ignoreIndex: -1 }, boundTo: 'positional' },
    {
      text: 'DiceCELoss(False, True, False, True, None, False, False, "sum", 0.0, 1e-5, False, None, 1.0, 1.0, 0.2)',
      name: 'monai.losses.DiceCELoss',
      options: {
        loss: 'dicece', includeBackground: false, toOnehotY: true, sigmoid: false, softmax: true, squaredPred: false, jaccard: false, reduction: 'sum',
        smoothNr: 0, smoothDr: 1e-5, batch: false, weight: null, lambdaDice: 1, lambdaCe: 1, labelSmoothing: 0.2,
      },
      boundTo: 'positional_dice',
    },
    { text: 'DiceCELoss(softmax=True, **cfg.loss_kwargs)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', softmax: true }, kwargs: true, boundTo: 'from_kwargs' },
    { text: 'nn.CrossEntropyLoss(*weights_and_more, label_smoothing=0.1)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 0.1 }, star: true, boundTo: 'from_star' },
    { text: `nn.CrossEntropyLoss(reduction="me" 'an', weight=[1, -2, 3e0])`, name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', reduction: 'mean', weight: [1, -2, 3] }, boundTo: 'concatenated' },
    // ignore_index=2.5 is not an index and label_smoothing=True is not a number: both dropped, not guessed.
    { text: 'nn.CrossEntropyLoss(reduction=f"sum", ignore_index=2.5, label_smoothing=True, weight=(0.25, 0.75))', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', reduction: 'sum', weight: [0.25, 0.75] }, boundTo: 'odd_values' },
    { text: training, name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce', weight: null, ignoreIndex: -100, reduction: 'sum', labelSmoothing: 0.1 } },
    { text: 'F.cross_entropy(logits, labels, None, None, 7, None, "mean", 0.25)', name: 'torch.nn.functional.cross_entropy', options: { loss: 'ce', weight: null, ignoreIndex: 7, reduction: 'mean', labelSmoothing: 0.25 } },
  ]);
  // The positional arguments carry their parameter names; `other_act` maps to no golden key.
  const dice = a.calls[5]!;
  assert.deepEqual(dice.args.map((x) => x.param), ['include_background', 'to_onehot_y', 'sigmoid', 'softmax', 'other_act', 'squared_pred', 'jaccard', 'reduction', 'smooth_nr', 'smooth_dr', 'batch', 'weight', 'lambda_dice', 'lambda_ce', 'label_smoothing']);
  assert.equal(dice.args[4]!.key, null);
  // After `*args` positions are unknown, so no positional argument is mapped.
  assert.deepEqual(a.calls[7]!.args.map((x) => x.param), ['label_smoothing']);
  checkDiagnostics(src, a, []);
  assert.deepEqual(a.classCounts.map((h) => [h.name, h.value, h.line]), [['NUM_CLASSES', 4, 6]]);
  assert.ok(a.calls.every((c) => c.numClasses?.value === 4));
});

test('syntax errors elsewhere do not hide the calls around them', () => {
  const src = load('syntax_errors.py');
  const a = analyzePython(src);
  assert.ok(a.syntaxErrors >= 4, `recovered from ${a.syntaxErrors} errors`);
  checkCalls(src, a, [
    { text: 'nn.CrossEntropyLoss(label_smoothing=0.1)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 0.1 }, boundTo: 'first' },
    { text: 'DiceCELoss(to_onehot_y=True, softmax=True, label_smoothing=0.2)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.2 }, boundTo: 'second' },
    { text: 'nn.CrossEntropyLoss(label_smoothing=1.2)', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce', labelSmoothing: 1.2 } },
    { text: 'nn.NLLLoss(label_smoothing=0.1)', name: 'torch.nn.NLLLoss', options: {}, boundTo: 'third' },
    { text: 'nn.CrossEntropyLoss(label_smoothing=\n', name: 'torch.nn.CrossEntropyLoss', options: { loss: 'ce' }, boundTo: 'last' },
  ]);
  checkDiagnostics(src, a, [
    { code: 'li-eps-range', severity: 'error', text: '1.2' },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', nth: 1 },
  ]);
});

test('diagnostics: ε range, unsupported ε, ignore_index, sigmoid, post-hoc', () => {
  const src = load('diagnostics.py');
  const a = analyzePython(src);
  checkDiagnostics(src, a, [
    { code: 'li-eps-range', severity: 'error', text: '1.5', message: 'label_smoothing=1.5 is outside [0, 1]: torch rejects it when the loss is computed' },
    { code: 'li-eps-range', severity: 'error', text: '-0.1' },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', message: 'BCEWithLogitsLoss has no label_smoothing parameter (TypeError): smooth binary targets yourself, y·(1−ε) + ε/2' },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.0' },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', nth: 1, message: 'NLLLoss has no label_smoothing parameter (TypeError): use CrossEntropyLoss(label_smoothing=…) on logits' },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', nth: 2 },
    {
      code: 'li-eps-unsupported',
      severity: 'error',
      text: 'label_smoothing=0.1',
      nth: 3,
      message: 'DiceLoss has no label_smoothing parameter (MONAI raises TypeError): Dice terms are not smoothed; DiceCELoss(label_smoothing=…) smooths its CE term',
    },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', nth: 4 },
    { code: 'li-eps-unsupported', severity: 'error', text: 'label_smoothing=0.1', nth: 5 },
    { code: 'li-ignore-index-dicece', severity: 'warning', text: 'ignore_index=255' },
    {
      code: 'li-sigmoid-eps',
      severity: 'warning',
      text: 'sigmoid=True',
      message: 'sigmoid=True with label_smoothing: for a one-channel output DiceCELoss computes BCEWithLogitsLoss, which ignores label_smoothing',
    },
    // sigmoid=True with ε = 0 is fine; with a non-literal ε it is reported.
    { code: 'li-sigmoid-eps', severity: 'warning', text: 'sigmoid=True', nth: 2 },
    {
      code: 'li-posthoc-eps',
      severity: 'information',
      text: 'ce.label_smoothing = 0.1',
      message: 'label_smoothing set after construction on ce: it works, but the CrossEntropyLoss(…) call on line 21 does not show it; pass label_smoothing= to the constructor',
    },
    { code: 'li-posthoc-eps', severity: 'information', text: 'ce.label_smoothing = 2.0' },
    { code: 'li-eps-range', severity: 'error', text: '2.0' },
    {
      code: 'li-posthoc-eps-ignored',
      severity: 'warning',
      text: 'dicece.label_smoothing = 0.1',
      message:
        'DiceCELoss never reads dicece.label_smoothing, so this changes nothing: ε reaches its CE term only through the constructor (label_smoothing=0.05 on line 24); pass label_smoothing= to the constructor',
    },
    { code: 'li-posthoc-eps', severity: 'information', text: 'dicece.cross_entropy.label_smoothing = eps' },
    { code: 'li-posthoc-eps-ignored', severity: 'warning', text: 'bce.label_smoothing = 0.1', message: 'BCEWithLogitsLoss has no label smoothing: setting bce.label_smoothing changes nothing' },
  ]);
  // `edge_ok` (ε = 1) is in range; `bce_plain` (ε = 0) is still a TypeError.
  const byName = new Map(a.calls.map((c) => [c.boundTo, c]));
  assert.equal(byName.get('edge_ok')!.options.labelSmoothing, 1);
  // Post-hoc ε: the effective assignments set the call's options (the last one wins); a non-literal one makes ε unknown.
  const ce = byName.get('ce')!;
  assert.deepEqual(ce.postHoc.map((p) => [p.line, p.path, p.effective]), [[22, 'label_smoothing', true], [23, 'label_smoothing', true]]);
  assert.equal(ce.options.labelSmoothing, 2);
  const dicece = byName.get('dicece')!;
  assert.deepEqual(dicece.postHoc.map((p) => [p.line, p.path, p.effective]), [[25, 'label_smoothing', false], [26, 'cross_entropy.label_smoothing', true]]);
  assert.equal(dicece.options.labelSmoothing, undefined);
  assert.deepEqual(dicece.unknownOptions, ['labelSmoothing']);
  // Quick fixes only where the move is faithful: literal ε in [0, 1], same block.
  const withFix = a.diagnostics.filter((d) => d.fix !== null).map((d) => src.slice(d.start, d.end));
  assert.deepEqual(withFix, ['ce.label_smoothing = 0.1', 'dicece.label_smoothing = 0.1']);
});

test('one output channel: the BCE branch ignores ε; Conv layers do not count as classes', () => {
  const src = load('one_channel.py');
  const a = analyzePython(src);
  assert.deepEqual(a.classCounts.map((h) => [h.name, h.value, h.line]), [['out_channels', 1, 6]]);
  checkCalls(src, a, [
    { text: 'DiceCELoss(label_smoothing=0.1)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', labelSmoothing: 0.1 }, boundTo: 'binary' },
    { text: 'DiceCELoss(sigmoid=True, label_smoothing=0.1)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', sigmoid: true, labelSmoothing: 0.1 }, boundTo: 'binary_sigmoid' },
    { text: 'DiceCELoss(sigmoid=True)', name: 'monai.losses.DiceCELoss', options: { loss: 'dicece', sigmoid: true }, boundTo: 'binary_hard' },
  ]);
  checkDiagnostics(src, a, [
    {
      code: 'li-one-channel-eps',
      severity: 'warning',
      text: 'label_smoothing=0.1',
      message: 'label_smoothing has no effect: with one output channel (out_channels=1 on line 6) DiceCELoss computes BCEWithLogitsLoss, which ignores it',
    },
    { code: 'li-sigmoid-eps', severity: 'warning', text: 'sigmoid=True' },
  ]);
});

test('class count: unanimous literal, else the nearest before the call, else after', () => {
  const src = load('num_classes.py');
  const a = analyzePython(src);
  assert.deepEqual(a.classCounts.map((h) => [h.name, h.value, h.line, h.column]), [['NUM_CLASSES', 14, 5, 15], ['num_classes', 3, 8, 42]]);
  assert.deepEqual(a.calls.map((c) => [c.boundTo, c.numClasses?.value, c.numClasses?.line]), [['loss_before_any', 14, 5], ['organs', 14, 5], ['labels', 3, 8]]);
  const unanimous = analyzePython('import torch.nn as nn\nce = nn.CrossEntropyLoss()\nnet = Net(num_classes=5)\nhead = Head(num_classes=5)\n');
  assert.deepEqual(unanimous.calls.map((c) => c.numClasses?.value), [5]);
  const none = analyzePython('import torch.nn as nn\nce = nn.CrossEntropyLoss()\nnet = Net(num_classes=n)\nconv = nn.Conv3d(in_channels=1, out_channels=32, kernel_size=3)\n');
  assert.deepEqual(none.calls.map((c) => c.numClasses), [null]);
});

test('literals: numbers in every spelling, strings, lists; anything else unknown', () => {
  const src = [
    'import torch',
    'import numpy as np',
    'import torch.nn as nn',
    'a = nn.CrossEntropyLoss(label_smoothing=1.)',
    'b = nn.CrossEntropyLoss(label_smoothing=2.5e-1)',
    'c = nn.CrossEntropyLoss(label_smoothing=1.e-1)',
    'd = nn.CrossEntropyLoss(label_smoothing=.05, ignore_index=0x10)',
    'e = nn.CrossEntropyLoss(label_smoothing=(0.1), ignore_index=-1_00)',
    "f = nn.CrossEntropyLoss(reduction=r'sum', weight=np.array([1, 2.]))",
    "g = nn.CrossEntropyLoss(reduction=b'sum', weight=torch.tensor(data=[1.]))",
    'h = nn.CrossEntropyLoss(label_smoothing=0.1 + 0.1, weight=[[1, 2]], ignore_index=3j)',
    "i = nn.CrossEntropyLoss(reduction=f'{mode}', weight=torch.tensor([1., 2.], dtype=torch.float32).float().cuda())",
    'j = nn.CrossEntropyLoss(label_smoothing=-0.0, weight=torch.ones(3))',
    '',
  ].join('\n');
  const a = analyzePython(src);
  assert.deepEqual(
    a.calls.map((c) => [c.boundTo, c.options, c.unknownOptions]),
    [
      ['a', { loss: 'ce', labelSmoothing: 1 }, []],
      ['b', { loss: 'ce', labelSmoothing: 0.25 }, []],
      ['c', { loss: 'ce', labelSmoothing: 0.1 }, []],
      ['d', { loss: 'ce', labelSmoothing: 0.05, ignoreIndex: 16 }, []],
      ['e', { loss: 'ce', labelSmoothing: 0.1, ignoreIndex: -100 }, []],
      ['f', { loss: 'ce', reduction: 'sum', weight: [1, 2] }, []],
      ['g', { loss: 'ce' }, ['reduction', 'weight']],
      ['h', { loss: 'ce' }, ['labelSmoothing', 'weight', 'ignoreIndex']],
      ['i', { loss: 'ce', weight: [1, 2] }, ['reduction']],
      ['j', { loss: 'ce', labelSmoothing: 0 }, ['weight']],
    ],
  );
  assert.ok(Object.is(a.calls[9]!.options.labelSmoothing, 0), '-0.0 is reported as 0');
  assert.equal(a.syntaxErrors, 0, 'trailing-dot floats are not syntax errors');
});
