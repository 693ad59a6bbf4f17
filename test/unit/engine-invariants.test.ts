// Invariants of the report, and the fused pass held against the simple element-by-element losses on
// random inputs (every option combination that matters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor,
  computeReport,
  computeSweep,
  computeReportAndSweep,
  computeSlice,
  resolveOptions,
  crossEntropy,
  diceLoss,
  diceCeLoss,
  diceInputs,
  diceFromDense,
  LossInputError,
  type LossOptions,
  type Report,
} from '../../src/engine/index';
import { oneHot, randomLabels, randomLogits, randomProbs, relClose, rng } from './helpers/random';

const opt = (o: Partial<LossOptions>) => resolveOptions(o);
const close = (a: number | null, b: number | null, msg: string, rtol = 1e-9) => {
  assert.ok(a !== null && b !== null, `${msg}: null (${a}, ${b})`);
  assert.ok(relClose(a, b, rtol), `${msg}: ${a} vs ${b}`);
};

test('ε = 0 gives the hard numbers', () => {
  const r = rng(1);
  const x = randomLogits(r, [2, 4, 6, 5]);
  const t = randomLabels(r, [2, 1, 6, 5], 4);
  const rep = computeReport(x, t, opt({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0 }));
  assert.deepEqual(rep.loss, rep.hard);
  assert.equal(rep.smoothed!.ce, rep.hard.ce);
  assert.equal(rep.floor, 0);
  for (const p of rep.perClass!) assert.equal(p.ceSmoothed, p.ceHard);
});

test('per-class counts add up to the kept elements, contributions to the total', () => {
  const r = rng(2);
  for (const o of [
    { loss: 'ce' as const, labelSmoothing: 0.1, ignoreIndex: 3, weight: [1, 2, 0.5, 1, 3] },
    { loss: 'ce' as const, labelSmoothing: 0.3, reduction: 'sum' as const, ignoreIndex: -1 },
  ]) {
    const x = randomLogits(r, [64, 5]);
    const t = randomLabels(r, [64], 5, { value: o.ignoreIndex, rate: 0.2 });
    const rep = computeReport(x, t, opt(o));
    const counts = rep.perClass!.reduce((a, p) => a + p.count, 0);
    assert.equal(counts, rep.kept);
    const contrib = rep.perClass!.reduce((a, p) => a + p.contribution.total, 0);
    close(contrib, rep.loss.total, 'ce contributions');
  }
  for (const o of [
    { loss: 'dicece' as const, softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [0.5, 1, 2], includeBackground: false, lambdaDice: 0.7, lambdaCe: 1.3 },
    { loss: 'dice' as const, sigmoid: true, toOnehotY: true, batch: true, reduction: 'sum' as const },
  ]) {
    const x = randomLogits(r, [2, 3, 5, 4]);
    const t = randomLabels(r, [2, 1, 5, 4], 3);
    const rep = computeReport(x, t, opt(o));
    const contrib = rep.perClass!.reduce((a, p) => a + p.contribution.total, 0);
    close(contrib, rep.loss.total, `${o.loss} contributions`);
    assert.equal(rep.perClass!.reduce((a, p) => a + p.count, 0), 40);
  }
});

test('permuting the classes permutes the report', () => {
  const r = rng(3);
  const B = 2, C = 4, H = 5, W = 3, S = H * W;
  const x = randomLogits(r, [B, C, H, W]);
  const t = randomLabels(r, [B, 1, H, W], C);
  const perm = [2, 0, 3, 1]; // new class i is old class perm[i]
  const inv = perm.map((_, i) => perm.indexOf(i));
  const xd = new Float32Array(x.size);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) xd[(b * C + c) * S + s] = x.data[(b * C + perm[c]!) * S + s]!;
  const td = new BigInt64Array(t.size);
  for (let i = 0; i < t.size; i++) td[i] = BigInt(inv[Number(t.data[i])]!);
  const weight = [1, 2, 0.5, 3];
  const o = { loss: 'dicece' as const, softmax: true, toOnehotY: true, labelSmoothing: 0.2, weight };
  const a = computeReport(x, t, opt(o));
  const b = computeReport(new Tensor('float32', x.shape, xd), new Tensor('int64', t.shape, td), opt({ ...o, weight: perm.map((p) => weight[p]!) }));
  close(b.loss.total, a.loss.total, 'total');
  close(b.smoothed!.dice, a.smoothed!.dice, 'smoothed dice');
  for (let i = 0; i < C; i++) {
    const pa = a.perClass![perm[i]!]!;
    const pb = b.perClass![i]!;
    assert.equal(pb.count, pa.count);
    for (const k of ['ceHard', 'ceSmoothed', 'diceHard', 'diceSmoothed'] as const) close(pb[k], pa[k], `class ${i} ${k}`);
  }
});

test('fused CE equals element-by-element torch CE (index and probability targets, weights, ignore, every reduction)', () => {
  const r = rng(4);
  for (const shape of [[40, 6], [2, 6, 4, 5], [1, 6, 3, 2, 2]]) {
    const [B, C, ...sp] = shape as [number, number, ...number[]];
    for (const eps of [0, 0.1, 1]) {
      for (const weight of [null, [0.5, 1, 2, 1.5, 0.25, 3]]) {
        for (const reduction of ['mean', 'sum'] as const) {
          const x = randomLogits(r, shape, 3);
          const t = randomLabels(r, [B, ...sp], C, { value: 255, rate: 0.15 });
          const o = opt({ loss: 'ce', labelSmoothing: eps, weight, ignoreIndex: 255, reduction });
          const rep = computeReport(x, t, o);
          const want = crossEntropy(x, t, { weight, ignoreIndex: 255, reduction, labelSmoothing: eps }) as number;
          close(rep.loss.ce, want, `index ${shape} ε ${eps} ${reduction}`);
          const p = randomProbs(r, shape);
          const rp = computeReport(x, p, opt({ loss: 'ce', labelSmoothing: eps, weight, reduction }));
          close(rp.loss.ce, crossEntropy(x, p, { weight, reduction, labelSmoothing: eps }) as number, `prob ${shape} ε ${eps} ${reduction}`);
          assert.equal(rp.targetKind, 'probability');
          assert.equal(rp.perClass![0]!.ceHard, null);
        }
      }
    }
  }
});

test('CE reduction none: per-element losses are zero where ignored and average to the mean', () => {
  const r = rng(5);
  const x = randomLogits(r, [30, 4]);
  const t = randomLabels(r, [30], 4, { value: -100, rate: 0.3 });
  const none = crossEntropy(x, t, { labelSmoothing: 0.2, reduction: 'none' }) as Float64Array;
  let s = 0;
  let n = 0;
  for (let i = 0; i < 30; i++) {
    if (Number(t.data[i]) === -100) assert.equal(none[i], 0);
    else {
      s += none[i]!;
      n++;
    }
  }
  close(s / n, crossEntropy(x, t, { labelSmoothing: 0.2 }) as number, 'mean of none');
});

const diceCombos: Partial<LossOptions>[] = [];
for (const act of [{ softmax: true }, { sigmoid: true }, {}])
  for (const includeBackground of [true, false])
    for (const squaredPred of [false, true])
      for (const jaccard of [false, true])
        for (const batch of [false, true]) diceCombos.push({ ...act, includeBackground, squaredPred, jaccard, batch });

test('fused MONAI Dice equals the direct DiceLoss for every option combination (hard and smoothed)', () => {
  const r = rng(6);
  let i = 0;
  for (const combo of diceCombos) {
    i++;
    const x = randomLogits(r, [2, 3, 4, 5], combo.softmax || combo.sigmoid ? 2 : 0.5);
    const t = randomLabels(r, [2, 1, 4, 5], 3);
    const weight = i % 3 === 0 ? (combo.includeBackground ? [0.3, 1.5, 2] : [1.2, 0.7]) : null;
    const reduction = i % 2 ? 'mean' : 'sum';
    const eps = 0.15;
    const o = opt({ ...combo, loss: 'dice', toOnehotY: true, weight, reduction, labelSmoothing: eps, smoothNr: 1e-4, smoothDr: 1e-3 });
    const rep = computeReport(x, t, o);
    const dOpts = { ...combo, toOnehotY: true, weight, reduction, smoothNr: 1e-4, smoothDr: 1e-3 } as const;
    close(rep.loss.dice, diceLoss(x, t, dOpts) as number, `hard ${JSON.stringify(combo)}`);
    // smoothed: soft-label Dice against (1−ε)·onehot + ε/C
    const { p, y, B, C, S } = diceInputs(x, t, dOpts);
    const ys = y.map((v) => (1 - eps) * v + eps / C);
    close(rep.smoothed!.dice, diceFromDense(p, ys, B, C, S, { ...dOpts, softLabel: true }) as number, `smoothed ${JSON.stringify(combo)}`);
    // per class: unweighted, reduction none, averaged over the batch
    const none = diceFromDense(p, y, B, C, S, { ...dOpts, weight: null, reduction: 'none' }) as Float64Array;
    const c0 = combo.includeBackground ? 0 : 1;
    const Cp = C - c0;
    const rows = combo.batch ? 1 : B;
    for (let c = 0; c < C; c++) {
      if (c < c0) {
        assert.equal(rep.perClass![c]!.diceHard, null);
        continue;
      }
      let s = 0;
      for (let rr = 0; rr < rows; rr++) s += none[rr * Cp + c - c0]!;
      close(rep.perClass![c]!.diceHard, s / rows, `class ${c} ${JSON.stringify(combo)}`);
    }
  }
});

test('DiceCE: fused report equals MONAI DiceCELoss routing (index, one-hot with weights, binary BCE)', () => {
  const r = rng(7);
  const x = randomLogits(r, [2, 3, 4, 4]);
  const t = randomLabels(r, [2, 1, 4, 4], 3);
  const o = opt({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [0.5, 2, 1], includeBackground: false, lambdaDice: 0.4, lambdaCe: 1.7 });
  const a = computeReport(x, t, o);
  const want = diceCeLoss(x, t, o);
  close(a.loss.total, want.total, 'index total');
  close(a.loss.dice, want.dice, 'index dice');
  close(a.loss.ce, want.ce, 'index ce');
  // the same labels as a one-hot float target take torch's probability path: mean divides by N, not weights
  const oh = oneHot(t, 3);
  const o2 = opt({ loss: 'dicece', softmax: true, labelSmoothing: 0.1, weight: [0.5, 2, 1] });
  const b = computeReport(x, oh, o2);
  assert.equal(b.targetKind, 'onehot');
  close(b.loss.total, diceCeLoss(x, oh, o2).total, 'one-hot total');
  // binary: one channel → BCE with pos_weight, ε ignored
  const xb = randomLogits(r, [2, 1, 4, 4]);
  const tb = new Tensor('float32', [2, 1, 4, 4], Float32Array.from({ length: 32 }, () => (r() < 0.4 ? 1 : 0)));
  const ob = opt({ loss: 'dicece', sigmoid: true, labelSmoothing: 0.3, weight: [2.5] });
  const c = computeReport(xb, tb, ob);
  close(c.loss.total, diceCeLoss(xb, tb, ob).total, 'binary total');
  assert.deepEqual(c.loss, c.hard);
  assert.equal(c.smoothed, null);
  assert.equal(c.perClass, null);
  assert.ok(c.warnings.some((w) => w.code === 'eps-ignored-bce'));
});

test('the ε sweep equals one report per ε (plain and squared Dice, index and one-hot targets)', () => {
  const r = rng(8);
  const grid = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1];
  for (const squaredPred of [false, true]) {
    for (const target of ['index', 'onehot'] as const) {
      const x = randomLogits(r, [2, 4, 5, 3]);
      const lab = randomLabels(r, [2, 1, 5, 3], 4);
      const t = target === 'index' ? lab : oneHot(lab, 4);
      const base = { loss: 'dicece' as const, softmax: true, toOnehotY: target === 'index', squaredPred, weight: [1, 2, 0.5, 1] };
      const sw = computeSweep(x, t, opt(base), grid);
      grid.forEach((e, k) => {
        const rep = computeReport(x, t, opt({ ...base, labelSmoothing: e }));
        close(sw.ce[k]!, rep.smoothed!.ce, `ce at ${e}`);
        close(sw.dice[k]!, rep.smoothed!.dice, `dice at ${e} squared=${squaredPred} ${target}`, 1e-8);
        close(sw.total[k]!, rep.smoothed!.total, `total at ${e}`, 1e-8);
        close(sw.floor[k]!, rep.floor, 'floor (weighted: the report\'s floor at that ε)');
      });
      const hard = computeReport(x, t, opt(base));
      close(sw.ceHard, hard.hard.ce, 'ceHard');
      close(sw.diceHard, hard.hard.dice, 'diceHard');
      const both = computeReportAndSweep(x, t, opt({ ...base, labelSmoothing: 0.1 }), grid);
      assert.deepEqual(both.sweep, computeSweep(x, t, opt({ ...base, labelSmoothing: 0.1 }), grid));
    }
  }
});

test('extreme logits (±1e4) never overflow', () => {
  const d = Float32Array.from([1e4, -1e4, 0, -1e4, 1e4, 5e3, 0, 0, -1e4, 1e4, 1e4, -1e4]);
  const x = new Tensor('float32', [4, 3], d);
  const t = new Tensor('int64', [4], BigInt64Array.from([0n, 1n, 2n, 2n]));
  const rep = computeReport(x, t, opt({ loss: 'ce', labelSmoothing: 0.1 }));
  for (const v of [rep.loss.total, rep.hard.ce, rep.smoothed!.ce]) assert.ok(Number.isFinite(v!), `finite: ${v}`);
  close(rep.hard.ce, (0 + 0 + (1e4 + Math.log(2)) + (2e4 + Math.log(2))) / 4, 'hard CE at extreme logits', 1e-12);
});

test('NaN and Inf in the inputs are reported, never turned into numbers', () => {
  const x = new Tensor('float32', [3, 2], Float32Array.from([NaN, 1, 0, Infinity, 1, 2]));
  const t = new Tensor('int64', [3], BigInt64Array.from([0n, 1n, 1n]));
  const rep: Report = computeReport(x, t, opt({ loss: 'ce', labelSmoothing: 0.1 }));
  assert.ok(Number.isNaN(rep.loss.total!));
  assert.deepEqual(rep.warnings.filter((w) => w.code.endsWith('-in-logits')).map((w) => w.code).sort(), ['inf-in-logits', 'nan-in-logits']);
  const oh = new Tensor('float32', [3, 2], Float32Array.from([1, 0, NaN, 1, 0, 1]));
  const r2 = computeReport(new Tensor('float32', [3, 2], Float32Array.from([0, 1, 0, 1, 1, 2])), oh, opt({ loss: 'ce' }));
  assert.ok(r2.warnings.some((w) => w.code === 'nan-in-target'));
  assert.ok(Number.isNaN(r2.loss.total!));
});

test('bad input: errors name the problem and both shapes', () => {
  const x = randomLogits(rng(9), [2, 3, 4, 4]);
  const bad = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof LossInputError && re.test(e.message));
  bad(() => computeReport(x, randomLabels(rng(1), [2, 1, 4, 5], 3), opt({ toOnehotY: true })), /\[2, 3, 4, 4\].*\[2, 1, 4, 5\]/);
  bad(() => computeReport(x, randomLabels(rng(1), [2, 1, 4, 4], 5), opt({ toOnehotY: true })), /class index \d outside \[0, 3\)/);
  bad(() => computeReport(x, randomLabels(rng(1), [2, 1, 4, 4], 3), opt({ loss: 'dicece' })), /toOnehotY|to_onehot_y|one-hot/);
  bad(() => computeReport(x, randomLabels(rng(1), [2, 1, 4, 4], 3), opt({ loss: 'ce', weight: [1, 2] })), /weight.*3 classes/);
  bad(() => resolveOptions({ labelSmoothing: 1.5 }), /labelSmoothing.*between 0\.0 and 1\.0/);
  bad(() => resolveOptions({ labelSmoothin: 0.1 } as never), /unknown option 'labelSmoothin'/);
  bad(() => resolveOptions({ reduction: 'none' } as never), /reduction/);
});

test('a spatial-only label map beside (1, C, X, Y, Z) logits is read as (1, 1, X, Y, Z)', () => {
  const r = rng(10);
  const x = randomLogits(r, [1, 3, 4, 3, 2]);
  const t5 = randomLabels(r, [1, 1, 4, 3, 2], 3);
  const t3 = new Tensor('int64', [4, 3, 2], t5.data);
  const o = opt({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 });
  assert.deepEqual(computeReport(x, t3, o).loss, computeReport(x, t5, o).loss);
});

test('slice: per-voxel CE on a plane equals torch CE with reduction none', () => {
  const r = rng(11);
  const x = randomLogits(r, [2, 3, 4, 5, 6]);
  const t = randomLabels(r, [2, 1, 4, 5, 6], 3);
  const o = opt({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.2 });
  const none = crossEntropy(x, t, { labelSmoothing: 0.2, reduction: 'none' }) as Float64Array;
  const sl = computeSlice(x, t, o, { batch: 1, axis: 1, index: 3, mode: 'smoothed' });
  assert.equal(sl.height, 4);
  assert.equal(sl.width, 6);
  for (let i = 0; i < 4; i++)
    for (let k = 0; k < 6; k++) {
      const e = 1 * 120 + i * 30 + 3 * 6 + k;
      assert.ok(Math.abs(sl.ce[i * 6 + k]! - none[e]!) < 1e-5 * Math.max(1, none[e]!));
      assert.equal(sl.target[i * 6 + k], Number(t.data[e]));
    }
});

test('int64 / uint64 labels: exact, and values beyond int32 are refused by value', () => {
  const r = rng(12);
  const x = randomLogits(r, [4, 3]);
  const o = opt({ loss: 'ce' });
  const ref = computeReport(x, new Tensor('int32', [4], Int32Array.from([0, 2, 1, 2])), o);
  assert.deepEqual(computeReport(x, new Tensor('int64', [4], BigInt64Array.from([0n, 2n, 1n, 2n])), o).loss, ref.loss);
  assert.deepEqual(computeReport(x, new Tensor('uint64', [4], BigUint64Array.from([0n, 2n, 1n, 2n])), o).loss, ref.loss);
  const withIgnore = computeReport(x, new Tensor('int64', [4], BigInt64Array.from([0n, -100n, 1n, 2n])), o);
  assert.equal(withIgnore.kept, 3);
  assert.throws(() => computeReport(x, new Tensor('int64', [4], BigInt64Array.from([0n, 4294967298n, 1n, 2n])), o), /class index 4294967298 outside/);
  assert.throws(() => computeReport(x, new Tensor('uint64', [4], BigUint64Array.from([0n, 2n ** 63n, 1n, 2n])), o), /class index 9223372036854775808 outside/);
});

test('reports on the same tensors at other options reuse the prepared layout and stay exact', () => {
  const r = rng(13);
  const x = randomLogits(r, [2, 3, 4, 4]);
  const t = randomLabels(r, [2, 1, 4, 4], 3);
  for (const eps of [0, 0.1, 0.3, 0.1]) {
    const o = opt({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: eps });
    const fresh = computeReport(new Tensor('float32', x.shape, x.data.slice()), new Tensor('int64', t.shape, t.data.slice()), o);
    assert.deepEqual(computeReport(x, t, o), fresh);
  }
  // a different interpretation of the same target (ce with another ignore_index) is prepared anew
  const ce = computeReport(x, t, opt({ loss: 'ce', ignoreIndex: 1 }));
  assert.equal(ce.kept, ce.perClass![0]!.count + ce.perClass![2]!.count);
});

test("torch's (B, *spatial) index layout under a Dice loss is read as (B, 1, *spatial), with a warning", () => {
  const r = rng(14);
  const x = randomLogits(r, [2, 3, 4, 4]);
  const t4 = randomLabels(r, [2, 1, 4, 4], 3);
  const t3 = new Tensor('int64', [2, 4, 4], t4.data);
  for (const loss of ['dicece', 'dice'] as const) {
    const o = opt({ loss, softmax: true, toOnehotY: true, labelSmoothing: 0.1 });
    const a = computeReport(x, t3, o);
    assert.deepEqual(a.loss, computeReport(x, t4, o).loss);
    assert.ok(a.warnings.some((w) => w.code === 'target-layout' && /\[2, 4, 4\] read as \[2, 1, 4, 4\]/.test(w.message)));
    assert.ok(!computeReport(x, t4, o).warnings.some((w) => w.code === 'target-layout'));
  }
});

test('Dice on (N, C) logits pools every element and class into one value, as MONAI (torch.sum over dim=[])', () => {
  const r = rng(15);
  const N = 20, C = 3;
  const x = randomLogits(r, [N, C]);
  const lab = randomLabels(r, [N, 1], C);
  for (const weight of [null, [0.5, 1, 2]]) {
    for (const reduction of ['mean', 'sum'] as const) {
      const rep = computeReport(x, lab, opt({ loss: 'dice', softmax: true, toOnehotY: true, weight, reduction }));
      let tp = 0, sp = 0, sy = 0;
      for (let n = 0; n < N; n++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, x.data[n * C + c]!);
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(x.data[n * C + c]! - m);
        for (let c = 0; c < C; c++) {
          const p = Math.exp(x.data[n * C + c]! - m) / z;
          const y = Number(lab.data[n]) === c ? 1 : 0;
          tp += p * y;
          sp += p;
          sy += y;
        }
      }
      const f = 1 - (2 * tp + 1e-5) / (2 * tp + (sp - tp) + (sy - tp) + 1e-5);
      const sw = weight ? weight.reduce((a, b) => a + b, 0) : 1;
      const want = weight ? (reduction === 'sum' ? f * sw : (f * sw) / C) : f;
      close(rep.loss.dice, want, `pooled ${reduction} ${weight}`);
      assert.equal(rep.perClass![0]!.diceHard, null);
      close(rep.perClass!.reduce((a, p) => a + p.contribution.total, 0), rep.loss.total, 'contributions');
    }
  }
  // with batch the batch axis is reduced and every class keeps its own value
  const b = computeReport(x, lab, opt({ loss: 'dice', softmax: true, toOnehotY: true, batch: true }));
  assert.ok(b.perClass!.every((p) => p.diceHard !== null));
});
