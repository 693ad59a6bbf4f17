// Pairing heuristics for Compare Losses…: the likeliest (logits, target) pair must come first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nameTokens, pairScore, proposePairs, rankLogits, rankTargets, rankLogitsFor, residue, roleEvidence, shapesCompatible,
  type Candidate,
} from '../../src/extension/pairing';
import { fileStem, tensorExtension, TENSOR_FILES_INCLUDE } from '../../src/extension/tensorSpec';
import { formatTensorRef, parseTensorRef, tensorRefLabel } from '../../src/readers/tensorRef';

const file = (path: string, extra: Partial<Candidate> = {}): Candidate => ({ id: `file://${path}`, path, key: null, ...extra });
const entry = (path: string, key: string, extra: Partial<Candidate> = {}): Candidate => ({ id: `file://${path}#${key}`, path, key, ...extra });

test('name tokens split separators, camelCase and digits', () => {
  assert.deepEqual(nameTokens('case01_predLogits'), ['case', '01', 'pred', 'logits']);
  assert.deepEqual(nameTokens('y-true.v2'), ['y', 'true', 'v', '2']);
});

test('role evidence: logits words vs target words, including folder names', () => {
  for (const n of ['logits', 'preds', 'model_output', 'probs', 'y_pred', 'pred_seg']) {
    assert.ok(roleEvidence(file(`/w/${n}.npy`), 'logits') > 0, n);
  }
  for (const n of ['labels', 'target', 'seg', 'gt_mask', 'y_true', 'ground_truth']) {
    assert.ok(roleEvidence(file(`/w/${n}.npy`), 'target') > 0, n);
  }
  assert.ok(roleEvidence(file('/w/labelsTr/case_001.nii.gz'), 'target') > 0);
  assert.equal(roleEvidence(file('/w/case_001.nii.gz'), 'target'), 0);
  assert.equal(residue(file('/w/case01_logits.npy')), 'case 01');
});

test('shape compatibility follows torch / MONAI conventions', () => {
  assert.ok(shapesCompatible([2, 4, 8, 8], [2, 8, 8]));
  assert.ok(shapesCompatible([2, 4, 8, 8], [2, 1, 8, 8]));
  assert.ok(shapesCompatible([2, 4, 8, 8], [2, 4, 8, 8]));
  assert.ok(shapesCompatible([16, 10], [16]));
  assert.ok(shapesCompatible([10], []));
  assert.ok(!shapesCompatible([2, 4, 8, 8], [2, 8, 9]));
  assert.ok(!shapesCompatible([2, 4, 8, 8], [2, 3, 8, 8]));
  assert.ok(!shapesCompatible([16, 10], [10]));
  assert.ok(!shapesCompatible([], []));
});

test('the sample pair is proposed first, in the right order', () => {
  const cands = [file('/w/sample/classes.npy'), file('/w/sample/labels.npy'), file('/w/sample/logits.npy'), file('/w/other/weights.npy')];
  const [best] = proposePairs(cands);
  assert.ok(best);
  assert.equal(best.logits.path, '/w/sample/logits.npy');
  assert.equal(best.target.path, '/w/sample/labels.npy');
  assert.ok(best.reasons.includes('same folder'));
});

test('same format breaks a tie between two targets', () => {
  const cands = [file('/w/d/logits.npy'), file('/w/d/labels.nii.gz'), file('/w/d/labels.npy')];
  assert.equal(proposePairs(cands)[0]!.target.path, '/w/d/labels.npy');
});

test('same stem beats same folder; each file is proposed at most once as logits', () => {
  const cands = [
    file('/w/out/case01_logits.npy'), file('/w/out/case02_logits.npy'),
    file('/w/out/case02_label.nii.gz'), file('/w/out/case01_label.nii.gz'),
  ];
  const pairs = proposePairs(cands);
  assert.equal(pairs.length, 2);
  const byLogits = new Map(pairs.map((p) => [p.logits.path, p.target.path]));
  assert.equal(byLogits.get('/w/out/case01_logits.npy'), '/w/out/case01_label.nii.gz');
  assert.equal(byLogits.get('/w/out/case02_logits.npy'), '/w/out/case02_label.nii.gz');
  assert.ok(pairs[0]!.reasons.includes('same stem'));
});

test('parallel folders with the same file name pair up (preds/x with labels/x)', () => {
  const cands = [file('/w/preds/a.nii.gz'), file('/w/preds/b.nii.gz'), file('/w/labels/a.nii.gz'), file('/w/labels/b.nii.gz')];
  const ranked = rankTargets(file('/w/preds/b.nii.gz'), cands);
  assert.equal(ranked[0]!.target.path, '/w/labels/b.nii.gz');
  const back = rankLogitsFor(file('/w/labels/a.nii.gz'), cands);
  assert.equal(back[0]!.logits.path, '/w/preds/a.nii.gz');
});

test('container keys: logits with labels in one npz; shapes and dtypes decide among look-alikes', () => {
  const p = '/w/val/batch.npz';
  const cands = [
    entry(p, 'images', { shape: [2, 1, 32, 32], dtype: 'float32' }),
    entry(p, 'logits', { shape: [2, 3, 32, 32], dtype: 'float32' }),
    entry(p, 'labels', { shape: [2, 32, 32], dtype: 'int64' }),
  ];
  const [best] = proposePairs(cands);
  assert.equal(best!.logits.key, 'logits');
  assert.equal(best!.target.key, 'labels');
  assert.ok(best!.reasons.includes('same file') && best!.reasons.includes('shapes fit'));

  // Neutral names: the target whose shape fits wins over one that does not.
  const l = entry('/w/x.npz', 'a', { shape: [4, 5, 6], dtype: 'float32' });
  const fits = entry('/w/x.npz', 'b', { shape: [4, 6], dtype: 'int64' });
  const misfit = entry('/w/x.npz', 'c', { shape: [4, 7], dtype: 'int64' });
  assert.equal(rankTargets(l, [l, misfit, fits])[0]!.target.key, 'b');
  assert.ok(pairScore(l, misfit).score < pairScore(l, fits).score - 5);
  // Integer tensors are unlikely logits.
  assert.equal(rankLogits([entry('/w/x.npz', 'm', { dtype: 'int64' }), entry('/w/x.npz', 'n', { dtype: 'float32' })])[0]!.key, 'n');
});

test('no proposal without evidence', () => {
  assert.deepEqual(proposePairs([file('/w/a.npy'), file('/w/zz/b.npy')]), []);
  assert.deepEqual(proposePairs([file('/w/logits.npy')]), []);
});

test('tensor specs: uri#key round trip, labels, extensions, stems', () => {
  assert.deepEqual(parseTensorRef('file:///w/a.npz#logits'), { uri: 'file:///w/a.npz', key: 'logits' });
  assert.deepEqual(parseTensorRef('file:///w/a%23b.npz#x%2Fy'), { uri: 'file:///w/a%23b.npz', key: 'x/y' });
  assert.deepEqual(parseTensorRef('file:///w/a.npy'), { uri: 'file:///w/a.npy', key: null });
  // an empty key is the key '' (a single unnamed tensor's, or a dict's empty key), not "no key"
  assert.deepEqual(parseTensorRef('file:///w/a.npz#'), { uri: 'file:///w/a.npz', key: '' });
  assert.equal(formatTensorRef({ uri: 'file:///w/a.npz', key: 'model.out/0' }), 'file:///w/a.npz#model.out%2F0');
  assert.deepEqual(parseTensorRef(formatTensorRef({ uri: 'u', key: 'a#b' })), { uri: 'u', key: 'a#b' });
  assert.equal(tensorRefLabel({ uri: 'file:///w/my%20preds.pt', key: 'logits' }), 'my preds.pt#logits');
  assert.equal(tensorExtension('x.NII.GZ'), 'nii.gz');
  assert.equal(tensorExtension('x.gz'), null);
  assert.equal(fileStem('/a/case1_logits.nii.gz'), 'case1_logits');
  assert.equal(TENSOR_FILES_INCLUDE, '**/{*.npy,*.npz,*.pt,*.pth,*.safetensors,*.nii,*.nii.gz}');
});
