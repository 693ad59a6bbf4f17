// The slice viewer's planes: every axis of a volume, an image, a single row, and each target kind, against the
// simple-path losses' per-element values (torch's `reduction='none'`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bceWithLogits, computeSlice, crossEntropy, LossInputError, resolveOptions, Tensor } from '../../src/engine/index';
import { randomLabels, randomLogits, randomProbs, rng } from './helpers/random';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('every plane of a volume: per-voxel CE (hard and smoothed), target and argmax = crossEntropy(reduction none)', () => {
  const r = rng(31);
  const [B, C, D, H, W] = [2, 4, 5, 6, 7];
  const x = randomLogits(r, [B, C, D, H, W]);
  const t = randomLabels(r, [B, 1, D, H, W], C, { value: 255, rate: 0.1 });
  const tTorch = new Tensor('int64', [B, D, H, W], t.data);
  const o = resolveOptions({ loss: 'ce', labelSmoothing: 0.2, ignoreIndex: 255 });
  const S = D * H * W;
  const spatial = [D, H, W];
  const strides = [H * W, W, 1];
  let planes = 0;
  for (const mode of ['hard', 'smoothed'] as const) {
    const none = crossEntropy(x, tTorch, { labelSmoothing: mode === 'smoothed' ? 0.2 : 0, ignoreIndex: 255, reduction: 'none' }) as Float64Array;
    for (let axis = 0; axis < 3; axis++) {
      const [ra, ca] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
      for (const index of [0, spatial[axis]! - 1, 2]) {
        const b = planes % B;
        const sl = computeSlice(x, t, o, { batch: b, axis, index, mode });
        assert.equal(sl.height, spatial[ra]);
        assert.equal(sl.width, spatial[ca]);
        let max = 0;
        for (let i = 0; i < sl.height; i++) {
          for (let j = 0; j < sl.width; j++) {
            const s = index * strides[axis]! + i * strides[ra]! + j * strides[ca]!;
            const e = b * S + s;
            const what = `${mode} axis ${axis} index ${index} (${i}, ${j})`;
            close(sl.ce[i * sl.width + j]!, none[e]!, what);
            max = Math.max(max, sl.ce[i * sl.width + j]!);
            const lab = Number(t.data[e]);
            assert.equal(sl.target[i * sl.width + j], lab === 255 ? -1 : lab, what);
            let am = 0;
            for (let k = 1; k < C; k++) if (x.data[b * C * S + k * S + s]! > x.data[b * C * S + am * S + s]!) am = k;
            assert.equal(sl.prediction[i * sl.width + j], am, what);
          }
        }
        close(sl.ceMax, max, `ceMax axis ${axis} index ${index}`);
        planes++;
      }
    }
  }
  assert.equal(planes, 18);
});

test('an image and a single row; probability targets; one channel (BCE-with-logits)', () => {
  const r = rng(32);
  // (B, C, H, W) with probability targets
  const x = randomLogits(r, [2, 3, 4, 5]);
  const p = randomProbs(r, [2, 3, 4, 5]);
  const o = resolveOptions({ loss: 'dicece', softmax: true, labelSmoothing: 0.1 });
  const none = crossEntropy(x, p, { labelSmoothing: 0.1, reduction: 'none' }) as Float64Array;
  const sl = computeSlice(x, p, o, { batch: 1, axis: 0, index: 0, mode: 'smoothed' });
  assert.deepEqual([sl.height, sl.width], [4, 5]);
  for (let i = 0; i < 20; i++) close(sl.ce[i]!, none[20 + i]!, `image pixel ${i}`);
  // (B, C, L): one row
  const x1 = randomLogits(r, [1, 3, 9]);
  const t1 = randomLabels(r, [1, 1, 9], 3);
  const none1 = crossEntropy(x1, new Tensor('int64', [1, 9], t1.data), { reduction: 'none' }) as Float64Array;
  const row = computeSlice(x1, t1, resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true }), { batch: 0, axis: 0, index: 0, mode: 'hard' });
  assert.deepEqual([row.height, row.width], [1, 9]);
  for (let i = 0; i < 9; i++) close(row.ce[i]!, none1[i]!, `row position ${i}`);
  // one channel: BCE-with-logits with pos_weight
  const xb = randomLogits(r, [1, 1, 3, 4]);
  const tb = new Tensor('float32', [1, 1, 3, 4], Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0)));
  const bce = bceWithLogits(xb, tb, { posWeight: [2.5], reduction: 'none' }) as Float64Array;
  const sb = computeSlice(xb, tb, resolveOptions({ loss: 'dicece', sigmoid: true, weight: [2.5] }), { batch: 0, axis: 0, index: 0, mode: 'hard' });
  for (let i = 0; i < 12; i++) {
    close(sb.ce[i]!, bce[i]!, `BCE pixel ${i}`);
    assert.equal(sb.target[i], i % 3 === 0 ? 1 : 0);
    assert.equal(sb.prediction[i], xb.data[i]! > 0 ? 1 : 0);
  }
});

test('requests outside the volume are refused, naming what is out of range', () => {
  const r = rng(33);
  const x = randomLogits(r, [1, 2, 3, 4, 5]);
  const t = randomLabels(r, [1, 1, 3, 4, 5], 2);
  const o = resolveOptions({ loss: 'ce' });
  assert.throws(() => computeSlice(x, t, o, { batch: 1, axis: 0, index: 0, mode: 'hard' }), (e: unknown) => e instanceof LossInputError && /batch item 1 is outside \[0, 1\)/.test(e.message));
  assert.throws(() => computeSlice(x, t, o, { batch: 0, axis: 3, index: 0, mode: 'hard' }), /axis 3 is outside \[0, 3\)/);
  assert.throws(() => computeSlice(x, t, o, { batch: 0, axis: 1, index: 4, mode: 'hard' }), /index 4 is outside \[0, 4\) on axis 1/);
});
