// The blocked fused pass (the fast one) against the element-by-element pass (the simple one), on random
// inputs of every target kind, with and without the sweep, over odd ranges that cut blocks and batch items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateBlocked, accumulateRows, newAccumulators, type Accumulators } from '../../src/engine/accumulate';
import { preparePair, accumulateConfig, sweepGrid } from '../../src/engine/report';
import { resolveOptions, type LossOptions, type Tensor } from '../../src/engine/index';
import { oneHot, randomLabels, randomLogits, randomProbs, rng } from './helpers/random';

function same(a: Accumulators, b: Accumulators, what: string) {
  for (const k of Object.keys(a) as (keyof Accumulators)[]) {
    const x = a[k];
    const y = b[k];
    if (x instanceof Float64Array && y instanceof Float64Array) {
      for (let i = 0; i < x.length; i++) {
        const d = Math.abs(x[i]! - y[i]!);
        assert.ok(d <= 1e-9 * Math.max(1, Math.abs(y[i]!)) || (Number.isNaN(x[i]!) && Number.isNaN(y[i]!)), `${what}: ${k}[${i}] ${x[i]} vs ${y[i]}`);
      }
    } else if (typeof x === 'number' && typeof y === 'number') {
      assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)) || (Number.isNaN(x) && Number.isNaN(y)), `${what}: ${k} ${x} vs ${y}`);
    } else assert.equal(x, y, `${what}: ${k}`);
  }
}

function check(logits: Tensor, target: Tensor, o: Partial<LossOptions>, what: string) {
  const pair = preparePair(logits, target, resolveOptions(o));
  for (const sweep of [null, sweepGrid([0, 0.1, 0.05, 0.3]), sweepGrid()]) {
    const cfg = accumulateConfig(pair, sweep);
    const n = pair.logits.B * pair.logits.S;
    const cuts = [0, Math.floor(n / 3), Math.floor(n / 3) + 1, n];
    const a = newAccumulators(pair.logits.B, pair.logits.C, cfg);
    const b = newAccumulators(pair.logits.B, pair.logits.C, cfg);
    for (let i = 0; i + 1 < cuts.length; i++) {
      accumulateBlocked(pair.logits, pair.target, cfg, cuts[i]!, cuts[i + 1]!, a);
      accumulateRows(pair.logits, pair.target, cfg, cuts[i]!, cuts[i + 1]!, b);
    }
    same(a, b, `${what} sweep=${!!sweep}`);
  }
}

test('blocked pass = element-by-element pass (index, ignore, one-hot, probabilities; every Dice flavour)', () => {
  const r = rng(42);
  // S larger than a block (512) so blocks and batch items are cut.
  const shape = [3, 5, 23, 31];
  const lab = randomLabels(r, [3, 1, 23, 31], 5);
  check(randomLogits(r, shape), lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [1, 2, 3, 0.5, 1] }, 'dicece softmax');
  check(randomLogits(r, shape), lab, { loss: 'dice', sigmoid: true, toOnehotY: true, squaredPred: true, labelSmoothing: 0.2 }, 'dice sigmoid squared');
  check(randomLogits(r, shape, 0.3), lab, { loss: 'dice', toOnehotY: true, labelSmoothing: 0.2 }, 'dice raw');
  check(randomLogits(r, shape), randomLabels(r, [3, 23, 31], 5, { value: 4, rate: 0.1 }), { loss: 'ce', ignoreIndex: 4, labelSmoothing: 0.3, weight: [1, 2, 3, 0.5, 1] }, 'ce ignore');
  check(randomLogits(r, shape), oneHot(lab, 5), { loss: 'dicece', softmax: true, labelSmoothing: 0.1 }, 'one-hot');
  check(randomLogits(r, shape), randomProbs(r, shape), { loss: 'ce', labelSmoothing: 0.1 }, 'probabilities');
  check(randomLogits(r, [700, 7]), randomLabels(r, [700], 7), { loss: 'ce', labelSmoothing: 0.1 }, 'classification');
});

test('blocked pass = element-by-element pass for the MONAI families (focal sums, γ sweep, overlap sums)', () => {
  const r = rng(44);
  const shape = [3, 5, 23, 31];
  const lab = randomLabels(r, [3, 1, 23, 31], 5);
  check(randomLogits(r, shape), lab, { loss: 'dicefocal', softmax: true, toOnehotY: true, labelSmoothing: 0.1, gamma: 2.5, alpha: 0.3 }, 'dicefocal');
  // γ = 2 on float32 logits: the blocked pass takes the WebAssembly focal function (without a sweep), the rows pass JS
  check(randomLogits(r, shape, 8), lab, { loss: 'dicefocal', softmax: true, toOnehotY: true, labelSmoothing: 0.1, alpha: 0.3 }, 'dicefocal γ 2');
  check(randomLogits(r, shape, 3), lab, { loss: 'gdicefocal', sigmoid: true, toOnehotY: true, labelSmoothing: 0.2, includeBackground: false }, 'gdicefocal γ 2 without background');
  check(randomLogits(r, shape, 4), lab, { loss: 'focal', useSoftmax: true, toOnehotY: true, includeBackground: false, labelSmoothing: 0.2, gamma: 3 }, 'softmax focal nobg');
  check(randomLogits(r, shape), oneHot(lab, 5), { loss: 'gdicefocal', sigmoid: true, labelSmoothing: 0.1, wType: 'simple' }, 'gdicefocal one-hot');
  check(randomLogits(r, shape), lab, { loss: 'tversky', softmax: true, toOnehotY: true, labelSmoothing: 0.1, tverskyAlpha: 0.7, tverskyBeta: 0.3 }, 'tversky');
  check(randomLogits(r, [700, 7]), randomLabels(r, [700, 1], 7), { loss: 'focal', toOnehotY: true, labelSmoothing: 0.1 }, 'focal (N, C)');
});

test('classification rows (S = 1) transposed into the kernel = element-by-element pass (weights, ignore_index, NaN/Inf rows)', () => {
  const r = rng(43);
  const x = randomLogits(r, [300, 50]);
  const d = x.data as Float32Array;
  d[7 * 50 + 3] = NaN;
  d[100 * 50 + 0] = Infinity;
  d[200 * 50 + 49] = -Infinity;
  const weight = Array.from({ length: 50 }, (_, i) => 0.5 + (i % 7) / 3);
  check(x, randomLabels(r, [300], 50, { value: 7, rate: 0.1 }), { loss: 'ce', ignoreIndex: 7, labelSmoothing: 0.2, weight }, 'rows weighted ignore');
  check(randomLogits(r, [1000, 3]), randomLabels(r, [1000], 3), { loss: 'ce', labelSmoothing: 0.1 }, 'rows C=3');
});
