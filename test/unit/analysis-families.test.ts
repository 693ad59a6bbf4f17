// MONAI's FocalLoss, DiceFocalLoss, GeneralizedDiceLoss, TverskyLoss and GeneralizedDiceFocalLoss in training
// scripts: keyword and positional arguments (MONAI 1.5's signatures) map to the options, *Inspect* opens the exact
// loss, and the diagnostics and hovers state the families' traps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzePython, hoverAt, inspectableOptions, lensesFor } from '../../src/analysis/index';
import { computeReport, resolveOptions } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import { goldenPath, loadGolden } from './helpers/golden';

const head = 'from monai.losses import FocalLoss, DiceFocalLoss, GeneralizedDiceLoss, TverskyLoss, GeneralizedDiceFocalLoss\n';
const one = (line: string) => {
  const a = analyzePython(head + `criterion = ${line}\n`);
  assert.equal(a.calls.length, 1, line);
  return { call: a.calls[0]!, diagnostics: a.diagnostics };
};

test('keyword and positional arguments map to the options of each constructor', () => {
  const cases: [string, Record<string, unknown>][] = [
    ["FocalLoss(False, True, 3.0, 0.25, [1.0, 2.0], 'sum', True)",
      { loss: 'focal', includeBackground: false, toOnehotY: true, gamma: 3, alpha: 0.25, weight: [1, 2], reduction: 'sum', useSoftmax: true }],
    ['FocalLoss(to_onehot_y=True, gamma=1.5, alpha=None, use_softmax=False)', { loss: 'focal', toOnehotY: true, gamma: 1.5, alpha: null, useSoftmax: false }],
    ["DiceFocalLoss(True, True, False, True, None, True, False, 'mean', 0.0, 1e-6, True, 1.5, [1.0, 2.0, 3.0], 0.8, 1.2, 0.4)",
      { loss: 'dicefocal', includeBackground: true, toOnehotY: true, sigmoid: false, softmax: true, squaredPred: true, jaccard: false, reduction: 'mean',
        smoothNr: 0, smoothDr: 1e-6, batch: true, gamma: 1.5, weight: [1, 2, 3], lambdaDice: 0.8, lambdaFocal: 1.2, alpha: 0.4 }],
    ['DiceFocalLoss(to_onehot_y=True, softmax=True, lambda_dice=0.5, lambda_focal=2.0, gamma=1.0, alpha=0.3)',
      { loss: 'dicefocal', toOnehotY: true, softmax: true, lambdaDice: 0.5, lambdaFocal: 2, gamma: 1, alpha: 0.3 }],
    ["GeneralizedDiceLoss(False, True, False, True, None, 'simple', 'sum', 0.0, 1e-6, True)",
      { loss: 'gdice', includeBackground: false, toOnehotY: true, sigmoid: false, softmax: true, wType: 'simple', reduction: 'sum', smoothNr: 0, smoothDr: 1e-6, batch: true }],
    ["GeneralizedDiceFocalLoss(True, True, True, False, None, 'uniform', 'mean', 1e-5, 1e-5, False, 2.5, [1.0, 2.0], 0.7, 1.3)",
      { loss: 'gdicefocal', includeBackground: true, toOnehotY: true, sigmoid: true, softmax: false, wType: 'uniform', reduction: 'mean', smoothNr: 1e-5,
        smoothDr: 1e-5, batch: false, gamma: 2.5, weight: [1, 2], lambdaDice: 0.7, lambdaFocal: 1.3 }],
    ['GeneralizedDiceFocalLoss(softmax=True, lambda_gdl=0.6, w_type="square")', { loss: 'gdicefocal', softmax: true, lambdaDice: 0.6, wType: 'square' }],
    ["TverskyLoss(False, True, False, True, None, 0.3, 0.7, 'sum', 1e-5, 1e-5, True)",
      { loss: 'tversky', includeBackground: false, toOnehotY: true, sigmoid: false, softmax: true, tverskyAlpha: 0.3, tverskyBeta: 0.7, reduction: 'sum',
        smoothNr: 1e-5, smoothDr: 1e-5, batch: true }],
    ['TverskyLoss(softmax=True, alpha=0.7, beta=0.3)', { loss: 'tversky', softmax: true, tverskyAlpha: 0.7, tverskyBeta: 0.3 }],
  ];
  for (const [line, want] of cases) {
    const { call } = one(line);
    assert.deepEqual(call.options, want, line);
    assert.deepEqual(call.invalid, [], line);
    // every option the call sets is one the engine takes as it is
    assert.doesNotThrow(() => resolveOptions(inspectableOptions(call)), line);
  }
  // values MONAI refuses are reported, not applied
  const bad = one("GeneralizedDiceLoss(w_type='cube', smooth_nr=0.0)").call;
  assert.equal(bad.invalid[0]?.param, 'w_type');
  assert.equal(inspectableOptions(bad).wType, undefined);
  assert.equal(one('DiceFocalLoss(lambda_focal=-1.0)').call.invalid[0]?.param, 'lambda_focal');
  // the modules MONAI defines them in, and the aliases
  const a = analyzePython(
    'import monai\nfrom monai.losses.focal_loss import FocalLoss as FL\nfrom monai.losses import generalized_dice_focal\n' +
      'a = monai.losses.tversky.TverskyLoss(alpha=0.2)\nb = FL(gamma=1.0)\nc = generalized_dice_focal(lambda_focal=0.5)\n',
  );
  assert.deepEqual(a.calls.map((c) => c.name), ['monai.losses.TverskyLoss', 'monai.losses.FocalLoss', 'monai.losses.GeneralizedDiceFocalLoss']);
});

test('Inspect with these settings… opens the exact loss: the call’s options give the golden number', () => {
  const cases = new Map(loadGolden('families').map((c) => [c.id, c]));
  const read = (p: string) => readTensorFile(new Uint8Array(readFileSync(goldenPath(p))), goldenPath(p)).tensors[0]!.tensor;
  const scripts: [string, string][] = [
    ['v-dicefocal-softmax', 'DiceFocalLoss(to_onehot_y=True, softmax=True)'],
    ['v-dicefocal-3d-weights-lambdas', 'DiceFocalLoss(True, True, False, True, gamma=1.0, weight=[0.342, 1.942, 0.524], lambda_dice=1.2, lambda_focal=0.5)'],
    ['v-focal-softmax', 'FocalLoss(to_onehot_y=True, use_softmax=True)'],
    ['v-focal-sum-nobg', "FocalLoss(False, True, 0.0, reduction='sum')"],
    ['v-gdice-uniform-batch-absent', "GeneralizedDiceLoss(to_onehot_y=True, softmax=True, w_type='uniform', batch=True)"],
    ['v-tversky', 'TverskyLoss(to_onehot_y=True, softmax=True, alpha=0.7, beta=0.3)'],
    ['v-gdicefocal', 'GeneralizedDiceFocalLoss(to_onehot_y=True, softmax=True, gamma=2.0)'],
  ];
  for (const [id, line] of scripts) {
    const c = cases.get(id)!;
    const { call } = one(line);
    const lens = lensesFor([call], { defaultNumClasses: 4 }).find((l) => l.inspect);
    assert.ok(lens, `${line}: an Inspect lens`);
    const r = computeReport(read(c.logits), read(c.target), resolveOptions(lens.inspect!.options));
    const want = c.expected.loss.total!;
    assert.ok(Math.abs(r.loss.total! - want) <= c.atol + c.rtol * Math.abs(want), `${line}: ${r.loss.total} vs ${want}`);
  }
});

test('diagnostics: label_smoothing is a TypeError; DiceFocal/GeneralizedDiceFocal softmax warns about the sigmoid focal term; softmax FocalLoss drops alpha', () => {
  for (const ctor of ['FocalLoss', 'DiceFocalLoss', 'GeneralizedDiceLoss', 'TverskyLoss', 'GeneralizedDiceFocalLoss']) {
    const { diagnostics } = one(`${ctor}(label_smoothing=0.1)`);
    const d = diagnostics.find((x) => x.code === 'li-eps-unsupported');
    assert.ok(d, ctor);
    assert.equal(d.severity, 'error');
    assert.match(d.message, new RegExp(`${ctor} has no label_smoothing parameter \\(MONAI raises TypeError\\)`));
  }
  for (const ctor of ['DiceFocalLoss', 'GeneralizedDiceFocalLoss']) {
    const d = one(`${ctor}(to_onehot_y=True, softmax=True)`).diagnostics.find((x) => x.code === 'li-focal-sigmoid');
    assert.ok(d, ctor);
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /sigmoid focal loss/);
    assert.equal(d.line, 2);
    assert.ok(!one(`${ctor}(sigmoid=True)`).diagnostics.some((x) => x.code === 'li-focal-sigmoid'), `${ctor} sigmoid`);
  }
  // positional softmax (4th parameter) counts too
  assert.ok(one('DiceFocalLoss(True, True, False, True)').diagnostics.some((x) => x.code === 'li-focal-sigmoid'));
  const dropped = one('FocalLoss(use_softmax=True, include_background=False, alpha=0.25)').diagnostics.find((x) => x.code === 'li-alpha-dropped');
  assert.ok(dropped);
  assert.equal(dropped.severity, 'warning');
  assert.match(dropped.message, /alpha=0\.25 is dropped/);
  for (const line of ['FocalLoss(use_softmax=True, alpha=0.25)', 'FocalLoss(use_softmax=True, include_background=False)', 'FocalLoss(include_background=False, alpha=0.25)', 'FocalLoss(use_softmax=True, include_background=False, alpha=None)']) {
    assert.ok(!one(line).diagnostics.some((x) => x.code === 'li-alpha-dropped'), line);
  }
});

test('hovers state each family’s formula and traps', () => {
  const hover = (line: string, name: string) => {
    const src = head + `criterion = ${line}\n`;
    const a = analyzePython(src);
    return hoverAt(a.calls, src.indexOf(name, head.length) + 1, { defaultNumClasses: 2 })!.markdown;
  };
  const df = hover('DiceFocalLoss(softmax=True)', 'DiceFocalLoss');
  for (const s of ['lambda_dice', 'p = sigmoid(x)', 'softmax=True` reaches the Dice term only', 'float32', 'averages over the spatial axes']) assert.ok(df.includes(s), `DiceFocal hover lacks ${s}`);
  const gd = hover('GeneralizedDiceLoss()', 'GeneralizedDiceLoss');
  for (const s of ['w_c = 1/(Σy_c)²', 'largest finite weight']) assert.ok(gd.includes(s), `GeneralizedDice hover lacks ${s}`);
  assert.ok(hover('GeneralizedDiceFocalLoss()', 'GeneralizedDiceFocalLoss').includes('lambda_gdl'));
  assert.ok(hover('TverskyLoss(alpha=0.7)', 'TverskyLoss').includes('α·fp + β·fn'));
  const fl = hover('FocalLoss(use_softmax=True)', 'FocalLoss');
  for (const s of ['use_softmax=True', 'dropped', 'float32', 'reduction="sum"']) assert.ok(fl.includes(s), `Focal hover lacks ${s}`);
});
