// Several reports at once on ONE accumulate pool: every job must get exactly its own sums, whatever order
// the threads answer in (the pool once handed a job's sums to whichever job listened first). Each pair is
// ≥ 1 Mi values so the parallel path runs; each result equals the single-thread engine, and equals, bit for
// bit, the same job run alone on the pool. Needs dist/accumulate-worker.js (the test runner builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReport, resolveOptions, type LossOptions, type Report, type Tensor } from '../../src/engine/index';
import { AccumulatePool, PARALLEL_MIN_VALUES, computeReportAndSweepParallel, computeReportParallel } from '../../src/parallel/index';
import { assertDeepClose } from './helpers/deepClose';
import { randomLabels, randomLogits, rng } from './helpers/random';

interface Case {
  name: string;
  logits: Tensor;
  target: Tensor;
  options: LossOptions;
}

function cases(): Case[] {
  const r = rng(1601);
  const out: Case[] = [];
  // Different class counts, shapes and options, so mixed-up sums cannot pass for the right ones.
  const specs: [string, number[], number, Partial<LossOptions>][] = [
    ['ce C4', [2, 4, 64, 64, 40], 4, { loss: 'ce' }],
    ['ce C6 weighted, ignore, ε 0.1', [1, 6, 48, 48, 80], 6, { loss: 'ce', weight: [1, 2, 0.5, 1, 3, 1], ignoreIndex: 5, labelSmoothing: 0.1 }],
    ['dicece C5', [2, 5, 40, 40, 72], 5, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.05 }],
    ['dice C3 sum', [4, 3, 32, 48, 60], 3, { loss: 'dice', softmax: true, toOnehotY: true, reduction: 'sum' }],
    ['ce C8 sum', [1, 8, 64, 64, 36], 8, { loss: 'ce', reduction: 'sum', labelSmoothing: 0.2 }],
  ];
  for (const [name, shape, C, o] of specs) {
    const logits = randomLogits(r, shape);
    assert.ok(logits.data.length >= PARALLEL_MIN_VALUES, `${name}: below the parallel threshold`);
    const target = randomLabels(r, [shape[0]!, 1, ...shape.slice(2)], C);
    out.push({ name, logits, target, options: resolveOptions(o) });
  }
  return out;
}

const all = cases();
const single = all.map((c) => computeReport(c.logits, c.target, c.options));

test('concurrent reports on one pool each equal the single-thread engine and the same job run alone', async () => {
  const pool = new AccumulatePool(3);
  assert.equal(pool.threads, 3, 'dist/accumulate-worker.js must be built');
  try {
    const alone: Report[] = [];
    for (const c of all) alone.push(await computeReportParallel(c.logits, c.target, c.options, pool));
    alone.forEach((r, i) => assertDeepClose(r, single[i], 1e-12, all[i]!.name));
    for (let round = 0; round < 3; round++) {
      // Every job at once, twice over, in a different order each round.
      const order = [...all.keys(), ...all.keys()].sort((a, b) => ((a * 7 + round * 3) % 5) - ((b * 7 + round * 3) % 5));
      const got = await Promise.all(order.map((i) => computeReportParallel(all[i]!.logits, all[i]!.target, all[i]!.options, pool)));
      got.forEach((r, k) => {
        const i = order[k]!;
        assert.deepStrictEqual(r, alone[i], `round ${round}: ${all[i]!.name} differs from the same job run alone`);
        assertDeepClose(r, single[i], 1e-12, `round ${round}: ${all[i]!.name}`);
      });
    }
  } finally {
    await pool.dispose();
  }
});

test('one pool: a cancelled job rejects, the jobs beside it still get their own sums', async () => {
  const pool = new AccumulatePool(3);
  try {
    const ac = new AbortController();
    const jobs = all.map((c, i) =>
      i === 1
        ? computeReportAndSweepParallel(c.logits, c.target, c.options, undefined, pool, ac.signal)
        : computeReportParallel(c.logits, c.target, c.options, pool),
    );
    ac.abort();
    const settled = await Promise.allSettled(jobs);
    const cancelled = settled[1]!;
    assert.equal(cancelled.status, 'rejected');
    assert.equal((cancelled as PromiseRejectedResult).reason.name, 'CancelledError');
    settled.forEach((s, i) => {
      if (i === 1) return;
      assert.equal(s.status, 'fulfilled', `${all[i]!.name}: ${(s as PromiseRejectedResult).reason}`);
      assertDeepClose((s as PromiseFulfilledResult<unknown>).value, single[i], 1e-12, all[i]!.name);
    });
    // The pool keeps serving after a cancellation.
    assertDeepClose(await computeReportParallel(all[1]!.logits, all[1]!.target, all[1]!.options, pool), single[1], 1e-12, 'after cancel');
  } finally {
    await pool.dispose();
  }
});

test('a disposed pool rejects new parallel jobs instead of hanging', async () => {
  const pool = new AccumulatePool(2);
  await pool.dispose();
  const c = all[0]!;
  await assert.rejects(computeReportParallel(c.logits, c.target, c.options, pool), /disposed/);
});
