// MONAI's other segmentation losses beyond the golden cases: the γ sweep against the report, the thread split,
// the rules MONAI applies to weights and (N, C) inputs, and the warnings for its traps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReport, computeReportAndSweep, LossInputError, resolveOptions, Tensor, type LossOptions } from '../../src/engine/index';
import { AccumulatePool, computeReportAndSweepParallel } from '../../src/parallel/index';
import { oneHot, randomLabels, randomLogits, relClose, rng } from './helpers/random';

const seg = (seed: number, C = 4) => {
  const r = rng(seed);
  return { x: randomLogits(r, [2, C, 9, 11]), t: randomLabels(r, [2, 1, 9, 11], C) };
};
const opts = (o: Partial<LossOptions>) => resolveOptions({ toOnehotY: true, labelSmoothing: 0.1, ...o });

test('γ sweep: at the configured γ it gives the report’s focal term and total, hard and smoothed; γ = 0 is the (α-weighted) BCE', () => {
  const { x, t } = seg(1);
  for (const o of [
    opts({ loss: 'dicefocal', softmax: true, gamma: 2, alpha: 0.25, weight: [1, 2, 0.5, 1], lambdaFocal: 0.7 }),
    opts({ loss: 'focal', useSoftmax: true, gamma: 1.5 }),
    opts({ loss: 'gdicefocal', sigmoid: true, gamma: 3, includeBackground: false, reduction: 'sum' }),
  ]) {
    const { report, sweep } = computeReportAndSweep(x, t, o);
    const g = sweep.gamma!;
    assert.equal(g.gamma.length, 21);
    assert.equal(g.gamma[20], 5);
    const j = g.gamma.indexOf(o.gamma);
    assert.ok(j >= 0);
    assert.ok(relClose(g.focalHard[j]!, report.hard.focal!, 1e-12), `${o.loss} focal hard`);
    assert.ok(relClose(g.focalSmoothed[j]!, report.smoothed!.focal!, 1e-12), `${o.loss} focal smoothed`);
    assert.ok(relClose(g.totalHard[j]!, report.hard.total!, 1e-12), `${o.loss} total hard`);
    assert.ok(relClose(g.totalSmoothed[j]!, report.smoothed!.total!, 1e-12), `${o.loss} total smoothed`);
    const at0 = computeReport(x, t, { ...o, gamma: 0 });
    assert.ok(relClose(g.focalHard[0]!, at0.hard.focal!, 1e-12), `${o.loss} γ = 0`);
    // the focal factor only shrinks the loss as γ grows (q ≤ 1)
    for (let i = 1; i < g.focalHard.length; i++) assert.ok(g.focalHard[i]! <= g.focalHard[i - 1]! + 1e-15);
    // the ε sweep has no focal term (not affine in ε): totals are null, the overlap term is there
    assert.ok(sweep.total.every((v) => v === null));
    assert.equal(sweep.dice.every((v) => v === null), o.loss === 'focal');
  }
  assert.equal(computeReportAndSweep(x, t, opts({ loss: 'tversky', softmax: true })).sweep.gamma, null);
});

test('the thread split gives the single-thread numbers for DiceFocal and GeneralizedDiceFocal', async () => {
  const pool = new AccumulatePool(3);
  assert.equal(pool.threads, 3, 'dist/accumulate-worker.js must be built');
  try {
    const r = rng(5);
    const x = randomLogits(r, [2, 4, 48, 48, 60]); // 1.1 M values: above the parallel threshold
    const t = randomLabels(r, [2, 1, 48, 48, 60], 4);
    for (const o of [opts({ loss: 'dicefocal', softmax: true, alpha: 0.3 }), opts({ loss: 'gdicefocal', softmax: true, wType: 'simple' })]) {
      const want = computeReportAndSweep(x, t, o);
      const got = await computeReportAndSweepParallel(x, t, o, undefined, pool);
      for (const k of ['total', 'dice', 'focal'] as const) {
        assert.ok(relClose(got.report.loss[k]!, want.report.loss[k]!, 1e-12), `${o.loss} loss.${k}`);
        assert.ok(relClose(got.report.smoothed![k]!, want.report.smoothed![k]!, 1e-12), `${o.loss} smoothed.${k}`);
      }
      got.report.perClass!.forEach((p, c) => assert.ok(relClose(p.focalSmoothed!, want.report.perClass![c]!.focalSmoothed!, 1e-12)));
      got.sweep.gamma!.focalSmoothed.forEach((v, i) => assert.ok(relClose(v!, want.sweep.gamma!.focalSmoothed[i]!, 1e-12)));
    }
  } finally {
    await pool.dispose();
  }
});

test('per class: focal and overlap contributions add up to the total (DiceFocal, Tversky, Focal)', () => {
  const { x, t } = seg(2);
  for (const o of [
    opts({ loss: 'dicefocal', softmax: true, weight: [0.5, 1, 2, 1], lambdaDice: 1.3, lambdaFocal: 0.4 }),
    opts({ loss: 'tversky', sigmoid: true, includeBackground: false, reduction: 'sum' }),
    opts({ loss: 'focal', weight: [1, 2, 3], includeBackground: false }),
  ]) {
    const r = computeReport(x, t, o);
    const sum = r.perClass!.reduce((s, p) => s + p.contribution.total, 0);
    assert.ok(relClose(sum, r.loss.total!, 1e-12), `${o.loss}: ${sum} vs ${r.loss.total}`);
  }
  const g = computeReport(x, t, opts({ loss: 'gdice', softmax: true }));
  assert.ok(g.perClass!.every((p) => p.diceHard === null && p.contribution.dice === null), 'generalized Dice mixes the classes');
});

test("MONAI's rules: focal weights per kept channel, no weight for one channel, (N, C) sum = mean, GeneralizedDice on (N, C) needs batch", () => {
  const { x, t } = seg(3);
  assert.throws(() => computeReport(x, t, opts({ loss: 'focal', weight: [1, 2, 3, 4], includeBackground: false })), (e: unknown) => e instanceof LossInputError && e.option === 'weight');
  assert.throws(() => computeReport(x, t, opts({ loss: 'dicefocal', weight: [1, 2, 3] })), (e: unknown) => e instanceof LossInputError && e.option === 'weight');
  // with C = 2 and no background one channel remains: MONAI applies no weight, so any length is accepted and ignored
  const two = seg(4, 2);
  const plain = computeReport(two.x, two.t, opts({ loss: 'focal', includeBackground: false }));
  const weighted = computeReport(two.x, two.t, opts({ loss: 'focal', includeBackground: false, weight: [5, 6, 7] }));
  assert.equal(weighted.loss.total, plain.loss.total);
  const r = rng(6);
  const xn = randomLogits(r, [40, 3]);
  const tn = randomLabels(r, [40, 1], 3);
  const mean = computeReport(xn, tn, opts({ loss: 'focal' })).loss.total!;
  assert.ok(relClose(computeReport(xn, tn, opts({ loss: 'focal', reduction: 'sum' })).loss.total!, mean, 1e-14), '(N, C): loss.mean(dim=[]) averages everything');
  assert.throws(() => computeReport(xn, tn, opts({ loss: 'gdice', softmax: true })), (e: unknown) => e instanceof LossInputError && e.option === 'batch');
  assert.ok(Number.isFinite(computeReport(xn, tn, opts({ loss: 'gdice', softmax: true, batch: true })).loss.total!));
});

test('the inlined focal pass for class indices (sigmoid, no γ sweep) equals the general one that one-hot targets take', () => {
  const r = rng(8);
  const x = randomLogits(r, [2, 4, 9, 11], 6);
  const t = randomLabels(r, [2, 1, 9, 11], 4);
  for (const o of [
    { loss: 'gdicefocal', softmax: true },
    { loss: 'dicefocal', sigmoid: true, gamma: 2.5, alpha: 0.3, includeBackground: false },
    { loss: 'focal', gamma: 0, alpha: 0.7, labelSmoothing: 0.3 },
    { loss: 'focal', gamma: 3, weight: [1, 2, 3, 4], x64: true },
  ] as const) {
    const { x64, ...rest } = { x64: false, ...o };
    const logits = x64 ? new Tensor('float64', x.shape, Float64Array.from(x.data as Float32Array, (v) => v + 1e-9)) : x;
    const a = computeReport(logits, t, opts(rest as Partial<LossOptions>));
    const b = computeReport(logits, oneHot(t, 4), opts({ ...(rest as Partial<LossOptions>), toOnehotY: false }));
    for (const k of ['total', 'dice', 'focal'] as const) {
      if (a.hard[k] === null) continue;
      assert.ok(relClose(a.hard[k]!, b.hard[k]!, 1e-12), `${o.loss} hard ${k}`);
      assert.ok(relClose(a.smoothed![k]!, b.smoothed![k]!, 1e-12), `${o.loss} smoothed ${k}`);
    }
    a.perClass!.forEach((p, c) => assert.ok(p.focalHard === null || relClose(p.focalSmoothed!, b.perClass![c]!.focalSmoothed!, 1e-12), `${o.loss} class ${c}`));
  }
});

test('warnings: the sigmoid focal term inside DiceFocal, α dropped by softmax FocalLoss, options a family has not, ε only compared', () => {
  const { x, t } = seg(7);
  const codes = (o: Partial<LossOptions>) => computeReport(x, t, opts(o)).warnings.map((w) => w.code);
  assert.ok(codes({ loss: 'dicefocal', softmax: true }).includes('focal-sigmoid'));
  assert.ok(codes({ loss: 'gdicefocal', softmax: true }).includes('focal-sigmoid'));
  assert.ok(!codes({ loss: 'dicefocal', sigmoid: true }).includes('focal-sigmoid'));
  assert.ok(codes({ loss: 'focal', useSoftmax: true, includeBackground: false, alpha: 0.25 }).includes('alpha-dropped'));
  assert.ok(!codes({ loss: 'focal', useSoftmax: true, includeBackground: true, alpha: 0.25 }).includes('alpha-dropped'));
  const unused = computeReport(x, t, opts({ loss: 'tversky', softmax: true, gamma: 3, squaredPred: true, weight: [1, 1, 1, 2] })).warnings.find((w) => w.code === 'option-unused');
  assert.match(unused!.message, /TverskyLoss has no weight, squaredPred, gamma/);
  assert.ok(codes({ loss: 'dicece', softmax: true, gamma: 3 }).includes('option-unused'));
  assert.ok(!codes({ loss: 'dicece', softmax: true }).includes('option-unused'));
  assert.ok(codes({ loss: 'focal' }).includes('eps-comparison-only'));
  assert.ok(!codes({ loss: 'dice', softmax: true }).includes('eps-comparison-only'));
  // squared_pred set on Tversky changes nothing (it has none) but stays in the config
  const tv = computeReport(x, t, opts({ loss: 'tversky', softmax: true, squaredPred: true }));
  assert.equal(tv.loss.total, computeReport(x, t, opts({ loss: 'tversky', softmax: true })).loss.total);
  assert.equal(tv.config.squaredPred, true);
});
