// Validation-set mode: nnU-Net's metrics on hand-made cases with known TP/FP/FN, the pairing rules, the summary's
// means, and whole folders (test/fixtures/dataset, expected values computed with numpy/torch by
// scripts/make-dataset-examples.py) through the streaming runner and the CLI, with a class absent from both
// prediction and reference, an ignore label, unmatched files and an unreadable case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseId, pairCases, DuplicateCaseError } from '../../src/dataset/pairing';
import { countLabelMaps, countScores, labelMetrics } from '../../src/dataset/segMetrics';
import { evaluateCase, predictionKind } from '../../src/dataset/evaluateCase';
import { summarize, nanMean, type CaseRecord } from '../../src/dataset/summary';
import { summaryToCsv } from '../../src/dataset/csv';
import { evaluateFolder, OptionError } from '../../src/parallel/evaluateFolder';
import { resolveOptions } from '../../src/engine/options';
import { Tensor } from '../../src/engine/tensor';
import { installZlibInflate } from '../../src/node/zlibInflate';
import { cliPath, fixturesDir, requireFixture } from './helpers/paths';

installZlibInflate();
const fix = (...p: string[]) => join(requireFixture(join(fixturesDir, 'dataset')), ...p);
const readExpected = (dir: string) =>
  JSON.parse(readFileSync(fix(dir, 'expected.json'), 'utf8'), (_k, v) => (v === 'NaN' ? NaN : v)) as Record<string, any>;

function close(actual: number, expected: number, what: string, rtol = 1e-9) {
  if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test('metrics of a hand-made case: TP/FP/FN/TN per label, Dice/IoU, NaN for a label absent from both', () => {
  //           0  1  2  3  4  5  6  7  8  9
  const ref = [0, 1, 1, 1, 2, 2, 0, 0, 1, 0];
  const pred = [0, 1, 1, 2, 2, 0, 1, 0, 1, 0];
  const c = countLabelMaps(pred, ref, null);
  // label 1: ref at 1,2,3,8; pred at 1,2,6,8 → TP 3 (1,2,8), FP 1 (6), FN 1 (3), TN 5
  assert.deepEqual(labelMetrics(c, 1), { Dice: 6 / 8, IoU: 3 / 5, TP: 3, FP: 1, FN: 1, TN: 5, n_pred: 4, n_ref: 4 });
  // label 2: ref at 4,5; pred at 3,4 → TP 1, FP 1, FN 1, TN 7
  assert.deepEqual(labelMetrics(c, 2), { Dice: 0.5, IoU: 1 / 3, TP: 1, FP: 1, FN: 1, TN: 7, n_pred: 2, n_ref: 2 });
  const absent = labelMetrics(c, 3);
  assert.ok(Number.isNaN(absent.Dice) && Number.isNaN(absent.IoU));
  assert.deepEqual([absent.TP, absent.FP, absent.FN, absent.TN], [0, 0, 0, 10]);
  // predicted but absent from the reference: Dice 0, not NaN
  const onlyPred = labelMetrics(countLabelMaps([4, 0], [0, 0], null), 4);
  assert.equal(onlyPred.Dice, 0);
});

test('the ignore label: its voxels are left out of every count, whatever is predicted there', () => {
  const ref = [255, 255, 1, 1, 0, 255];
  const pred = [1, 0, 1, 0, 1, 1];
  const c = countLabelMaps(pred, ref, 255);
  assert.equal(c.counted, 3);
  assert.equal(c.ignored, 3);
  // over voxels 2,3,4: label 1 TP 1 (2), FN 1 (3), FP 1 (4), TN 0
  assert.deepEqual(labelMetrics(c, 1), { Dice: 0.5, IoU: 1 / 3, TP: 1, FP: 1, FN: 1, TN: 0, n_pred: 2, n_ref: 2 });
  // values beyond the dense range and negative ones are counted too
  const odd = countLabelMaps([5000, -1, 7.5], [5000, -1, 7], null);
  assert.equal(labelMetrics(odd, 5000).TP, 1);
  assert.equal(labelMetrics(odd, -1).TP, 1);
  assert.equal(labelMetrics(odd, 7).FN, 1);
});

test('argmax of scores: channel-first (C, S), first maximum wins ties, a NaN counts as the maximum', () => {
  // S = 4 positions, C = 3 channels
  const scores = [
    /* c0 */ 1, 5, 2, NaN,
    /* c1 */ 3, 5, 2, 9,
    /* c2 */ 2, 1, NaN, 9,
  ];
  // argmax per position: [1, 0 (tie 0/1), 2 (NaN), 0 (NaN first)]
  const ref = [1, 0, 2, 0];
  const c = countScores(scores, 3, 4, ref, null);
  assert.deepEqual(labelMetrics(c, 1), { Dice: 1, IoU: 1, TP: 1, FP: 0, FN: 0, TN: 3, n_pred: 1, n_ref: 1 });
  assert.equal(labelMetrics(c, 2).TP, 1);
  assert.equal(labelMetrics(c, 0).TP, 2);
  // the same with more positions than one block, against a label-map count of the explicit argmax
  const C = 4;
  const S = 10_000;
  const s = new Float32Array(C * S);
  const r = new Int32Array(S);
  const am = new Int32Array(S);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < S; i++) {
    let best = -Infinity;
    for (let k = 0; k < C; k++) {
      const v = Math.round(rnd() * 8); // ties are frequent
      s[k * S + i] = v;
      if (v > best) [best, am[i]] = [v, k];
    }
    r[i] = Math.floor(rnd() * C);
  }
  assert.deepEqual(countScores(s, C, S, r, null), countLabelMaps(am, r, null));
});

test('case ids: extension, _0000 and the role suffixes stripped; pairing lists the unmatched; duplicates are an error', () => {
  assert.equal(caseId('liver_0001_0000.nii.gz'), 'liver_0001');
  assert.equal(caseId('liver_0001.nii.gz'), 'liver_0001');
  assert.equal(caseId('case7_logits.npz'), 'case7');
  assert.equal(caseId('case7_seg_0000.nii'), 'case7');
  assert.equal(caseId('case7_pred.pt'), 'case7');
  assert.equal(caseId('_seg.npy'), '_seg');
  const p = pairCases(['a_probs.npz', 'b.npz', 'c_pred.nii.gz', 'notes.txt'], ['a.nii.gz', 'c_seg.nii.gz', 'd_label.nii.gz']);
  assert.deepEqual(p.pairs, [
    { id: 'a', prediction: 'a_probs.npz', reference: 'a.nii.gz' },
    { id: 'c', prediction: 'c_pred.nii.gz', reference: 'c_seg.nii.gz' },
  ]);
  assert.deepEqual(p.unmatchedPredictions, ['b.npz']);
  assert.deepEqual(p.unmatchedReferences, ['d_label.nii.gz']);
  assert.throws(() => pairCases(['x.npz', 'x_logits.npy'], ['x.nii.gz']), (e: unknown) => e instanceof DuplicateCaseError && /x.npz and x_logits.npy are both case 'x'/.test(e.message));
});

test('prediction kinds: a label map shaped like the reference, or (1, C, *S) / (C, *S) scores; anything else names both shapes', () => {
  assert.deepEqual(predictionKind([1, 1, 4, 5], [4, 5]), { kind: 'labels' });
  assert.deepEqual(predictionKind([3, 4, 5], [1, 4, 5]), { kind: 'scores', C: 3 });
  assert.deepEqual(predictionKind([1, 3, 4, 5], [4, 5]), { kind: 'scores', C: 3 });
  assert.throws(() => predictionKind([1, 3, 4, 6], [4, 5]), /\[1, 3, 4, 6\].*\[4, 5\]/);
  const ints = new Tensor('int32', [2, 2, 2], new Int32Array(8));
  assert.throws(() => evaluateCase(ints, new Tensor('uint8', [2, 2], new Uint8Array(4)), { loss: null, ignoreLabel: null }), /dtype int32: scores must be floating point/);
});

test('summary: mean ignores NaN (numpy.nanmean), foreground_mean is the plain mean over labels ≠ 0, pooled sums the counts', () => {
  const rec = (id: string, pred: number[], ref: number[]): CaseRecord => ({
    id,
    prediction_file: `p/${id}`,
    reference_file: `r/${id}`,
    kind: 'labels',
    numClasses: 0,
    counts: countLabelMaps(pred, ref, null),
    loss: null,
  });
  // case a: label 1 perfect on 1 voxel, label 2 absent (NaN); case b: label 1 Dice 0.5 over 3 voxels, label 2 Dice 0
  const s = summarize({
    records: [rec('b', [1, 0, 1, 2], [1, 1, 0, 0]), rec('a', [1, 0], [1, 0])],
    failed: [],
    unmatched: { predictions: [], references: [] },
    labels: null,
    ignoreLabel: null,
    lossOptions: null,
  });
  assert.deepEqual(s.labels, [1, 2]);
  assert.deepEqual(s.case_ids, ['a', 'b']);
  assert.equal(s.mean['1']!.Dice, (1 + 0.5) / 2);
  assert.equal(s.mean['2']!.Dice, 0); // NaN of case a ignored
  assert.equal(s.mean['1']!.TP, 1);
  assert.equal(s.foreground_mean.Dice, (0.75 + 0) / 2);
  // pooled label 1: TP 2, FP 1, FN 1 → 4/6
  assert.deepEqual(s.pooled['1'], { Dice: 4 / 6, IoU: 0.5, TP: 2, FP: 1, FN: 1 });
  // a label absent everywhere: its mean is NaN, and so is foreground_mean (numpy.mean propagates)
  const t = summarize({ records: [rec('a', [1, 0], [1, 0])], failed: [], unmatched: { predictions: [], references: [] }, labels: [1, 3], ignoreLabel: null, lossOptions: null });
  assert.ok(Number.isNaN(t.mean['3']!.Dice) && Number.isNaN(t.foreground_mean.Dice) && Number.isNaN(t.pooled['3']!.Dice));
  assert.ok(Number.isNaN(nanMean([NaN, NaN])));
  const csv = summaryToCsv(s).split('\n');
  assert.equal(csv[0], 'row,case,prediction_file,reference_file,Dice_1,IoU_1,Dice_2,IoU_2,error');
  assert.equal(csv[1], 'case,a,p/a,r/a,1,1,NaN,NaN,');
  assert.ok(csv.some((l) => l.startsWith('pooled,,,,0.6666666666666666,0.5,')));
});

const lossOptions = resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 });

function checkMetrics(actual: any, expected: any, labels: number[]) {
  assert.equal(actual.metric_per_case.length, expected.metric_per_case.length);
  expected.metric_per_case.forEach((e: any, i: number) => {
    const a = actual.metric_per_case[i];
    assert.equal(actual.case_ids[i], e.id);
    for (const l of labels) for (const m of Object.keys(e.metrics[l])) close(a.metrics[l][m], e.metrics[l][m], `${e.id} label ${l} ${m}`);
  });
  for (const l of labels) {
    for (const m of Object.keys(expected.mean[l])) close(actual.mean[l][m], expected.mean[l][m], `mean ${l} ${m}`);
    for (const m of Object.keys(expected.pooled[l])) close(actual.pooled[l][m], expected.pooled[l][m], `pooled ${l} ${m}`);
  }
  for (const m of Object.keys(expected.foreground_mean)) close(actual.foreground_mean[m], expected.foreground_mean[m], `foreground_mean ${m}`);
}

test('a folder of logits: metrics, means, pooled and per-case DiceCE losses as numpy/torch computed them; the unreadable case fails alone', async () => {
  const e = readExpected('logits');
  const run = await evaluateFolder({ predictions: fix('logits', 'predictions'), references: fix('logits', 'references'), predictionKey: null, loss: lossOptions, labels: null, ignoreLabel: null, threads: 2 });
  const s = run.summary;
  assert.deepEqual(s.labels, e.labels);
  checkMetrics(s, e, e.labels);
  assert.ok(Number.isNaN(s.metric_per_case[2]!.metrics['2']!.Dice), 'class 2 absent from case_003 → NaN');
  assert.equal(s.cases.length, e.cases.length);
  e.cases.forEach((c: any, i: number) => {
    assert.equal(s.cases[i]!.id, c.id);
    for (const t of ['loss', 'hard', 'smoothed'] as const) for (const k of ['total', 'dice', 'ce'] as const) close((s.cases[i] as any)[t][k], c[t][k], `${c.id} ${t}.${k}`, 1e-5);
  });
  assert.deepEqual(s.failed.map((f) => f.id), e.failed);
  assert.match(s.failed[0]!.error, /case_005_probs\.npz: .*truncated/);
  assert.deepEqual(s.unmatched.predictions.map((p) => p.split('/').pop()), e.unmatched.predictions);
  assert.deepEqual(s.unmatched.references.map((p) => p.split('/').pop()), e.unmatched.references);
  assert.equal(s.metric_per_case[0]!.prediction_file, fix('logits', 'predictions', 'case_001.npz'));
});

test('a folder of label maps with an ignore label: the metrics nnU-Net computes with ignore_label', async () => {
  const e = readExpected('labelmaps');
  const run = await evaluateFolder({ predictions: fix('labelmaps', 'predictions'), references: fix('labelmaps', 'references'), predictionKey: null, loss: lossOptions, labels: null, ignoreLabel: 255, threads: 1 });
  assert.deepEqual(run.summary.labels, [1, 2]);
  checkMetrics(run.summary, e, e.labels);
  assert.deepEqual(run.summary.cases, [], 'label maps have no loss');
  assert.deepEqual(run.summary.failed, []);
});

test('a loss option the engine refuses stops the run (every case would fail the same way)', async () => {
  const run = (loss: Record<string, unknown>) =>
    evaluateFolder({ predictions: fix('logits', 'predictions'), references: fix('logits', 'references'), predictionKey: null, loss: resolveOptions(loss), labels: null, ignoreLabel: null, threads: 1 });
  await assert.rejects(run({ loss: 'dicece', softmax: true }), (err: unknown) => err instanceof OptionError && err.option === 'toOnehotY');
  await assert.rejects(run({ loss: 'dicece', softmax: true, toOnehotY: true, weight: [1, 2] }), (err: unknown) => err instanceof OptionError && err.option === 'weight');
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, 'dataset', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('loss-inspect dataset: exit 1 with a failed case (still summarised), warnings for the unmatched, --out writes the JSON summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-dataset-'));
  const out = join(dir, 'summary.json');
  const r = cli(fix('logits', 'predictions'), fix('logits', 'references'), '--softmax', '--to-onehot-y', '--label-smoothing', '0.1', '--out', out);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /warning: prediction .*case_099\.npz has no reference/);
  assert.match(r.err, /warning: reference .*case_100\.nii\.gz has no prediction/);
  assert.match(r.err, /error: case case_005: .*case_005_probs\.npz/);
  assert.match(r.out, /case_003 +0\.\d{4} +NaN/);
  assert.match(r.out, /^pooled /m);
  const s = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(s).slice(0, 6), ['metric_per_case', 'mean', 'foreground_mean', 'cases', 'pooled', 'unmatched']);
  assert.equal(s.metric_per_case[2].metrics['2'].Dice, 'NaN');
  const e = readExpected('logits');
  close(s.cases[0].loss.total, e.cases[0].loss.total, 'case_001 loss', 1e-5);
});

test('loss-inspect dataset: exit 0 when every case is evaluated (--json), 2 when none can be or an option is bad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-dataset-'));
  for (const sub of ['p', 'r']) mkdirSync(join(dir, sub));
  copyFileSync(fix('logits', 'predictions', 'case_001.npz'), join(dir, 'p', 'case_001.npz'));
  copyFileSync(fix('logits', 'references', 'case_001.nii.gz'), join(dir, 'r', 'case_001_seg.nii.gz'));
  const ok = cli(join(dir, 'p#logits'), join(dir, 'r'), '--softmax', '--to-onehot-y', '--json', '--labels', '1,2');
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(Object.keys(JSON.parse(ok.out).mean), ['1', '2']);
  writeFileSync(join(dir, 'p', 'case_001.npz'), 'not a tensor');
  const none = cli(join(dir, 'p'), join(dir, 'r'), '--softmax', '--to-onehot-y');
  assert.equal(none.code, 2);
  assert.match(none.err, /no case could be evaluated/);
  const bad = cli(join(dir, 'p'), join(dir, 'r'), '--labels', 'one');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--labels needs integers/);
  const missing = cli(join(dir, 'nope'), join(dir, 'r'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /predictions folder .*nope: no such folder/);
});
