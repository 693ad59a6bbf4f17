// The worker-thread split gives the single-thread numbers (sums of ranges add up), on shared and on
// ordinary memory. Needs dist/accumulate-worker.js (the test runner builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, computeReportAndSweep, resolveOptions } from '../../src/engine/index';
import { AccumulatePool, computeReportAndSweepParallel } from '../../src/parallel/index';
import { randomLabels, randomLogits, relClose, rng } from './helpers/random';

test('parallel report and sweep equal the single-thread ones', async () => {
  const pool = new AccumulatePool(3);
  assert.equal(pool.threads, 3, 'dist/accumulate-worker.js must be built');
  try {
    const r = rng(99);
    const shape = [2, 5, 64, 64, 65]; // 2.7 M values: above the parallel threshold
    const x = randomLogits(r, shape);
    const sab = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    sab.set(x.data);
    const t = randomLabels(r, [2, 1, 64, 64, 65], 5);
    const o = resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [1, 2, 1, 0.5, 3] });
    const want = computeReportAndSweep(x, t, o);
    for (const logits of [x, new Tensor('float32', shape, sab)]) {
      const got = await computeReportAndSweepParallel(logits, t, o, undefined, pool);
      for (const k of ['total', 'dice', 'ce'] as const) {
        assert.ok(relClose(got.report.loss[k]!, want.report.loss[k]!, 1e-12), `loss.${k}`);
        assert.ok(relClose(got.report.smoothed![k]!, want.report.smoothed![k]!, 1e-12), `smoothed.${k}`);
      }
      got.report.perClass!.forEach((p, c) => {
        assert.equal(p.count, want.report.perClass![c]!.count);
        assert.ok(relClose(p.diceSmoothed!, want.report.perClass![c]!.diceSmoothed!, 1e-12));
      });
      assert.deepEqual(got.report.confusion, want.report.confusion);
      got.sweep.dice.forEach((d, i) => assert.ok(relClose(d!, want.sweep.dice[i]!, 1e-10), `sweep dice ${i}`));
    }
  } finally {
    await pool.dispose();
  }
});
