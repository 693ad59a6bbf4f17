// Multi-label (overlapping-region) targets against numbers torch computed: test/fixtures/multi-label/cases.json,
// made by make_case.py beside it (/usr/bin/python3 with torch). The report flags the target, keeps torch's
// softmax CE on it as the CE term, and gives F.binary_cross_entropy_with_logits beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, computeReport, computeSlice, resolveOptions, type Report } from '../../src/engine/index';
import { fixturesDir, requireFixture } from './helpers/paths';

interface Case {
  eps: number;
  reduction: 'mean' | 'sum';
  crossEntropy: number;
  bce: number;
  bceSmoothed: number;
}
const file = join(requireFixture(join(fixturesDir, 'multi-label')), 'cases.json');
const data = JSON.parse(readFileSync(file, 'utf8')) as {
  shape: number[];
  logits: number[];
  target: number[];
  overlapping: number;
  maxChannelSum: number;
  elements: number;
  cases: Case[];
};

const logits = new Tensor('float64', data.shape, Float64Array.from(data.logits));
const target = new Tensor('float64', data.shape, Float64Array.from(data.target));

function close(got: number | null | undefined, want: number, what: string, rtol = 1e-12): void {
  assert.equal(typeof got, 'number', `${what}: got ${got}`);
  assert.ok(Math.abs((got as number) - want) <= rtol * Math.max(1, Math.abs(want)), `${what}: got ${got}, torch ${want}`);
}

function checkMultiLabel(r: Report, c: Case, what: string): void {
  const m = r.multiLabel;
  assert.ok(m, `${what}: multiLabel set`);
  assert.equal(m.overlapping, data.overlapping, `${what}: overlapping`);
  assert.equal(m.elements, data.elements, `${what}: elements`);
  assert.equal(m.maxChannelSum, data.maxChannelSum, `${what}: max channel sum`);
  assert.equal(m.bce.reduction, c.reduction);
  close(m.bce.hard, c.bce, `${what}: BCE hard`);
  close(m.bce.smoothed, c.bceSmoothed, `${what}: BCE smoothed`);
  const w = r.warnings.find((x) => x.code === 'multi-label-target');
  assert.ok(w, `${what}: warning multi-label-target in ${r.warnings.map((x) => x.code)}`);
  assert.match(w.message, new RegExp(`${data.overlapping} of ${data.elements} elements`));
}

test('a BraTS-style multi-hot target: CE is torch\'s softmax CE on it, BCE-with-logits beside it, both as torch computes', () => {
  assert.equal(data.cases.length, 4);
  for (const c of data.cases) {
    const what = `ce, eps ${c.eps}, ${c.reduction}`;
    const r = computeReport(logits, target, resolveOptions({ loss: 'ce', labelSmoothing: c.eps, reduction: c.reduction }));
    close(r.loss.ce, c.crossEntropy, `${what}: CE`);
    checkMultiLabel(r, c, what);
    assert.match(r.multiLabel!.notes.join(' '), /class probabilities/);
    // MONAI's DiceCELoss routes the C-channel float target to the same probability path
    const d = computeReport(logits, target, resolveOptions({ loss: 'dicece', sigmoid: true, labelSmoothing: c.eps, reduction: c.reduction }));
    close(d.loss.ce, c.crossEntropy, `dicece ${what}: CE term`);
    checkMultiLabel(d, c, `dicece ${what}`);
    assert.match(d.multiLabel!.notes.join(' '), /DiceCELoss passes/);
    assert.match(d.multiLabel!.notes.join(' '), /sigmoid=True scores each region/);
  }
});

test('the notes follow the configuration: softmax in the overlap term, the sigmoid focal term, no CE sentence without a CE term', () => {
  const soft = computeReport(logits, target, resolveOptions({ loss: 'dice', softmax: true })).multiLabel!;
  assert.match(soft.notes.join(' '), /softmax=True makes the channels compete/);
  assert.doesNotMatch(soft.notes.join(' '), /cross_entropy reads/);
  const focal = computeReport(logits, target, resolveOptions({ loss: 'dicefocal', sigmoid: true })).multiLabel!;
  assert.match(focal.notes.join(' '), /focal term is sigmoid/);
  const r = computeReport(logits, target, resolveOptions({ loss: 'dice', sigmoid: true }));
  assert.doesNotMatch(r.warnings.find((w) => w.code === 'multi-label-target')!.message, /CE term/);
});

test('targets whose channels do not overlap are not multi-label: one-hot, soft probabilities in float32, a float32 row sum 1 ± rounding', () => {
  const [B, C, H, W] = data.shape as [number, number, number, number];
  const S = H * W;
  const onehot = new Float64Array(B * C * S);
  const soft = new Float32Array(B * C * S);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      onehot[(b * C + (s % C)) * S + s] = 1;
      // 0.1 + 0.2 + 0.7 in float32 sums to 1 within rounding, not exactly
      soft[(b * C + 0) * S + s] = 0.1;
      soft[(b * C + 1) * S + s] = 0.2;
      soft[(b * C + 2) * S + s] = 0.7;
    }
  }
  for (const [name, t] of [
    ['one-hot', new Tensor('float64', data.shape, onehot)],
    ['soft float32', new Tensor('float32', data.shape, soft)],
  ] as const) {
    const r = computeReport(logits, t, resolveOptions({ loss: 'ce' }));
    assert.equal(r.multiLabel, null, name);
    assert.ok(!r.warnings.some((w) => w.code === 'multi-label-target'), name);
    const sl = computeSlice(logits, t, resolveOptions({ loss: 'ce' }), { batch: 0, axis: 0, index: 0, mode: 'hard' });
    assert.equal(sl.targetRegions, null, `${name}: no region planes`);
  }
});

test('the slice of a multi-label target carries one region plane per channel (overlaps kept), and per-channel sigmoid predictions', () => {
  const [, C, H, W] = data.shape as [number, number, number, number];
  const n = H * W;
  for (const batch of [0, 1]) {
    const sl = computeSlice(logits, target, resolveOptions({ loss: 'dicece', sigmoid: true }), { batch, axis: 0, index: 0, mode: 'hard' });
    assert.equal(sl.width, W);
    assert.equal(sl.height, H);
    assert.ok(sl.targetRegions && sl.predictionRegions);
    assert.equal(sl.targetRegions.length, C * n);
    for (let k = 0; k < C; k++) {
      for (let i = 0; i < n; i++) {
        const at = (batch * C + k) * n + i;
        assert.equal(sl.targetRegions[k * n + i], data.target[at]! > 0.5 ? 1 : 0, `target region ${k} pixel ${i}`);
        assert.equal(sl.predictionRegions[k * n + i], data.logits[at]! > 0 ? 1 : 0, `predicted region ${k} pixel ${i}`);
      }
    }
    // the nested regions overlap: some pixel is in all three planes
    assert.ok(Array.from({ length: n }, (_, i) => i).some((i) => sl.targetRegions![i] && sl.targetRegions![n + i] && sl.targetRegions![2 * n + i]));
  }
});
