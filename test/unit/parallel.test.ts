// The worker-thread split gives the single-thread numbers (sums of ranges add up), on shared and on
// ordinary memory. Needs dist/accumulate-worker.js (the test runner builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, accumulate, computeReportAndSweep, mergeAccumulators, newAccumulators, resolveOptions, type Accumulators } from '../../src/engine/index';
import { sparseConfusion } from '../../src/engine/accumulators';
import { AccumulatePool, computeReportAndSweepParallel, computeReportParallel } from '../../src/parallel/index';
import { accumulateClaimed, chunkCuts, CHUNKS_PER_THREAD, mergeInChunkOrder, type ChunkSums } from '../../src/parallel/chunks';
import { accumulateConfig, preparePair } from '../../src/engine/report';
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

test('classification rows above 64 classes: the workers send their confusion cells, the merged report is the single-thread one, job after job', async () => {
  const pool = new AccumulatePool(2);
  try {
    const r = rng(7);
    // dense (and sent as cells), in pairs from the start (4 cells a row or more), in pairs above 1024 classes
    for (const [N, C] of [[8192, 150], [4096, 600], [8192, 150], [1024, 2000]] as const) {
      const x = randomLogits(r, [N, C]);
      const t = randomLabels(r, [N], C);
      const o = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
      const want = computeReportAndSweep(x, t, o).report;
      const got = await computeReportParallel(x, t, o, pool);
      assert.deepEqual(got.confusion, want.confusion, `${N}×${C}: confusion`);
      assert.deepEqual(got.topConfusions, want.topConfusions, `${N}×${C}: top confusions`);
      assert.ok(relClose(got.calibration!.ece, want.calibration!.ece, 1e-12));
      assert.ok(relClose(got.loss.total!, want.loss.total!, 1e-12));
    }
  } finally {
    await pool.dispose();
  }
});

test('sparseConfusion and mergeAccumulators: dense and paired confusions add up to the same cells', () => {
  const cfg = { opts: resolveOptions({ loss: 'ce' }), eps: 0, dice: false, sweepEps: null, focal: null };
  const C = 100;
  const fill = (a: Accumulators, seed: number) => {
    const r = rng(seed);
    for (let i = 0; i < 500; i++) a.confusion[Math.floor(r() * C * C)]! += 1;
    a.kept = 500;
  };
  const dense = [newAccumulators(1, C, cfg), newAccumulators(1, C, cfg)];
  fill(dense[0]!, 1);
  fill(dense[1]!, 2);
  const want = mergeAccumulators(newAccumulators(1, C, cfg), dense[0]!);
  mergeAccumulators(want, dense[1]!);
  const b = newAccumulators(1, C, cfg);
  fill(b, 2);
  const spare = sparseConfusion(b)!;
  assert.ok(spare.length === C * C && spare.every((v) => v === 0), 'the dense array comes back zeroed');
  assert.equal(b.confusion.length, 0);
  assert.equal(sparseConfusion(b), null, 'already in pairs');
  assert.equal(newAccumulators(1, C, cfg, spare).confusion, spare, 'reused');
  const a = newAccumulators(1, C, cfg);
  fill(a, 1);
  mergeAccumulators(a, b);
  assert.deepEqual(a.confusion, want.confusion, 'dense + pairs');
  assert.equal(a.kept, want.kept);
  const p = newAccumulators(1, C, cfg);
  fill(p, 1);
  sparseConfusion(p);
  const d = newAccumulators(1, C, cfg);
  fill(d, 2);
  mergeAccumulators(p, d);
  const cells = new Float64Array(C * C);
  for (const [key, n] of p.confusionPairs!) cells[key] = n;
  assert.deepEqual(cells, want.confusion, 'pairs + dense');
});

test('chunk cuts: whole ranges from 0 to n, one chunk per thread at least, more while the chunks\' sums stay small beside the logits', () => {
  const check = (cuts: number[], n: number) => {
    assert.equal(cuts[0], 0);
    assert.equal(cuts.at(-1), n);
    for (let i = 1; i < cuts.length; i++) assert.ok(cuts[i]! > cuts[i - 1]!, `cuts ascend: ${cuts.join(',')}`);
  };
  // W3's shape: small sums, the most chunks
  const many = chunkCuts(4096, 2, 4096 * 1000 * 4, 40_000);
  check(many, 4096);
  assert.equal(many.length - 1, 2 * CHUNKS_PER_THREAD);
  // a 152k vocabulary's per-class sums (4.9 MB a chunk) beside 300 MB of logits: room for three chunks, so one
  // per thread (three would give one thread two)
  const vocab = chunkCuts(1023, 2, 311e6, 4.9e6);
  check(vocab, 1023);
  assert.equal(vocab.length - 1, 2);
  // a 32k vocabulary's (1.1 MB) beside 262 MB: room for fourteen, the most per thread
  assert.equal(chunkCuts(4092, 2, 262e6, 1.1e6).length - 1, 2 * CHUNKS_PER_THREAD);
  // a 5k vocabulary's (0.2 MB) beside 20 MB: six
  assert.equal(chunkCuts(1000, 2, 20e6, 0.2e6).length - 1, 6);
  // sums as large as the logits: one chunk per thread, never fewer
  assert.equal(chunkCuts(1000, 3, 1e6, 1e6).length - 1, 3);
  // fewer elements than chunks: one element each
  assert.deepEqual(chunkCuts(3, 2, 1e9, 1), [0, 1, 2, 3]);
});

test('the chunks\' sums added in chunk order give the same bits whichever thread took which chunk; each confusion cell counted once', () => {
  const r = rng(5);
  // 70 classes: a dense confusion matrix; 1000 classes over 3000 rows: counted in pairs
  for (const C of [70, 1000]) {
    const x = randomLogits(r, [3000, C]);
    const t = randomLabels(r, [3000], C);
    const o = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
    const pair = preparePair(x, t, o);
    const cfg = accumulateConfig(pair);
    const { B } = pair.logits;
    const fresh = () => newAccumulators(B, C, cfg);
    const counter = (from = 0) => {
      const claim = new Int32Array(new SharedArrayBuffer(4));
      Atomics.store(claim, 0, from);
      return claim;
    };
    const cuts = chunkCuts(3000, 2, 4 * 3000 * C, 1);
    const merged = (into: Accumulators, parts: ChunkSums[]) => mergeInChunkOrder(into, parts, cuts.length - 1);
    const cells = (a: Accumulators) => {
      const m = new Map<number, number>(a.confusionPairs ?? []);
      a.confusion.forEach((v, i) => v !== 0 && m.set(i, (m.get(i) ?? 0) + v));
      return [...m].sort((p, q) => p[0] - q[0]);
    };
    const inOrder = accumulateClaimed(pair.logits, pair.target, cfg, cuts, counter());
    assert.deepEqual(inOrder.map((p) => p.chunk), [...Array(cuts.length - 1).keys()]);
    assert.ok(inOrder.slice(1).every((p) => p.acc.confusion.length === 0 && (p.acc.confusionPairs?.size ?? 0) === 0), `${C}: one chunk holds the thread's confusion`);
    const want = merged(fresh(), inOrder);
    // the calling thread gathering into the job's sums, having found chunks 0–2 taken; the thread that took
    // them answering after it
    const job = fresh();
    const rest = accumulateClaimed(pair.logits, pair.target, cfg, cuts, counter(3), { job });
    const firstThree = accumulateClaimed(pair.logits, pair.target, cfg, cuts.slice(0, 4), counter());
    assert.deepEqual(firstThree.map((p) => p.chunk), [0, 1, 2]);
    assert.deepEqual(merged(job, rest.concat(firstThree)), want, `${C}: same sums, same bits`);
    // the calling thread taking chunk 0 straight into the job's sums, the other thread the rest
    const job0 = fresh();
    const mine = accumulateClaimed(pair.logits, pair.target, cfg, cuts.slice(0, 2), counter(), { job: job0 });
    assert.equal(mine[0]!.acc, job0);
    assert.deepEqual(merged(job0, mine.concat(accumulateClaimed(pair.logits, pair.target, cfg, cuts, counter(1)))), want, `${C}: chunk 0 in the job's sums`);
    // the confusion against one pass over all rows
    const one = fresh();
    accumulate(pair.logits, pair.target, cfg, 0, 3000, one);
    assert.deepEqual(cells(want), cells(one), `${C}: confusion`);
    assert.equal(cells(want).reduce((n, [, v]) => n + v, 0), 3000);
    // a counter moved past the last chunk (a cancelled job) takes nothing
    assert.equal(accumulateClaimed(pair.logits, pair.target, cfg, cuts, counter(cuts.length)).length, 0);
    assert.throws(() => merged(fresh(), rest), /came back/, 'a missing chunk is an error, not a smaller sum');
  }
});

test('the pool\'s sums are the same bits however the threads shared the chunks: alone, again, beside another job', async () => {
  const pool = new AccumulatePool(2);
  try {
    const r = rng(11);
    const x = randomLogits(r, [6000, 300]);
    const t = randomLabels(r, [6000], 300);
    const other = randomLogits(r, [2, 4, 64, 64, 64]);
    const otherT = randomLabels(r, [2, 1, 64, 64, 64], 4);
    const o = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
    const oo = resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 });
    const run = (lx: Tensor, lt: Tensor, opts: typeof o) => {
      const pair = preparePair(lx, lt, opts);
      return pool.accumulate(pair, accumulateConfig(pair));
    };
    const alone = await run(x, t, o);
    assert.deepStrictEqual(await run(x, t, o), alone, 'again');
    // the worker busy with the other job first: the calling thread takes more of this one's chunks
    const [, beside] = await Promise.all([run(other, otherT, oo), run(x, t, o)]);
    assert.deepStrictEqual(beside, alone, 'beside another job');
  } finally {
    await pool.dispose();
  }
});
