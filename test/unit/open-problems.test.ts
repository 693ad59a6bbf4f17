// Pairs that do not compute yet: void labels told apart from stray labels, Git LFS pointers named as such,
// messages in Python parameter names, the in-view fixes, the cause chain in words, and options that belong
// to one panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../../src/engine/tensor';
import { findVoidLabel, VOID_MIN_RUN } from '../../src/engine/voidLabels';
import { computeReport, LossInputError, resolveOptions } from '../../src/engine/index';
import { inPythonNames, OPTION_SCHEMA, pythonName, type AnyOptionSpec } from '../../src/engine/optionSchema';
import { readTensorFile, sniff } from '../../src/readers/index';
import { TensorFileError } from '../../src/readers/types';
import { comparisonProblem } from '../../src/extension/comparisonProblem';
import { errorDetails, notificationText, oneLine } from '../../src/extension/errorText';
import { optionsOnReveal } from '../../src/extension/panelOptions';
import { mergeOptions, resolveSettings } from '../../src/extension/settingsModel';
import { WorkerFailure } from '../../src/extension/workerClient';
import { TensorWorkerService, toWorkerError } from '../../src/worker/service';
import { causeChain } from '../../src/protocol/errorLine';
import { fixturesDir } from './helpers/paths';

const openDir = join(fixturesDir, 'open');
const expected = JSON.parse(readFileSync(join(openDir, 'expected.json'), 'utf8')) as { voidCount: number; total: number; ce_ignore255: number };

function int64(shape: number[], values: number[]): Tensor {
  return new Tensor('int64', shape, BigInt64Array.from(values.map((v) => BigInt(v))));
}

test('void labels: 255 and −1 wherever they occur; other values ≥ C only when they cover a block', () => {
  // 255 once, scattered: still void (that is what 255 is used for).
  const v255 = findVoidLabel(int64([1, 8], [0, 1, 255, 2, 3, 0, 1, 2]), 4);
  assert.deepEqual(v255, { value: 255, count: 1, total: 8, longestRun: 1, otherValues: [] });
  assert.equal(findVoidLabel(int64([6], [0, -1, 1, -1, 2, 3]), 4)?.value, -1);
  // 4 (= C) scattered over a class's pixels: a wrong C, not void.
  assert.equal(findVoidLabel(int64([1, 8], [4, 0, 4, 1, 4, 2, 4, 3]), 4), null);
  // 7 over a run of VOID_MIN_RUN consecutive positions of one row: a block, so void.
  const block = [0, 1, ...Array(VOID_MIN_RUN).fill(7), 2, 3];
  assert.deepEqual(findVoidLabel(int64([1, block.length], block), 4), { value: 7, count: VOID_MIN_RUN, total: block.length, longestRun: VOID_MIN_RUN, otherValues: [] });
  // A run that crosses a row boundary is two runs (2 + 2 < 4): not a block.
  assert.equal(findVoidLabel(int64([2, 4], [0, 1, 7, 7, 7, 7, 2, 3]), 4), null);
  // Void and a stray value together: the void one, with the stray named.
  assert.deepEqual(findVoidLabel(int64([1, 8], [255, 255, 0, 9, 1, 2, 3, 0]), 4)?.otherValues, [9]);
  // Nothing out of range, or non-integer floats: no void label.
  assert.equal(findVoidLabel(int64([4], [0, 1, 2, 3]), 4), null);
  assert.equal(findVoidLabel(new Tensor('float32', [4], Float32Array.from([0, 1.5, 2, 3])), 4), null);
  // uint8 label maps (what PIL-loaded masks are) and strided views are read in logical order.
  const u8 = new Tensor('uint8', [2, 3], Uint8Array.from([255, 255, 255, 0, 1, 2]));
  assert.equal(findVoidLabel(u8, 3)?.count, 3);
  const transposed = new Tensor('uint8', [3, 2], Uint8Array.from([255, 255, 255, 0, 1, 2]), [1, 3]);
  assert.equal(findVoidLabel(transposed, 3)?.longestRun, 1);
});

test('the 255-void fixture: found by the worker, fixed by ignore_index = 255 to torch\'s number', async () => {
  const w = new TensorWorkerService();
  const file = (name: string) => ({ file: { uri: `file://${join(openDir, 'void255', name)}`, fileName: name, fsPath: join(openDir, 'void255', name), mtime: 1, size: 1 }, key: null });
  const params = { logits: file('logits.npy'), target: file('labels.npy'), sweepEps: null };
  const err = await w.report({ ...params, options: resolveOptions({ loss: 'ce' }) }, () => undefined).then(
    () => assert.fail('a target holding 255 must be refused without ignore_index'),
    (e: unknown) => toWorkerError(e),
  );
  assert.equal(err.name, 'LossInputError');
  assert.deepEqual(err.voidLabel, { value: 255, count: expected.voidCount, total: expected.total, longestRun: 16, otherValues: [] });
  const problem = comparisonProblem(new WorkerFailure(err), resolveOptions({ loss: 'dicece', toOnehotY: true }));
  assert.equal(problem.fixes[0]?.label, 'Set ignore_index = 255');
  // MONAI's losses have no ignore_index: the fix says so and computes F.cross_entropy.
  assert.deepEqual(problem.fixes[0]?.options, { ignoreIndex: 255, loss: 'ce' });
  assert.match(problem.fixes[0]!.detail, /DiceCELoss has no ignore_index/);
  assert.match(problem.fixes[0]!.detail, new RegExp(`${expected.voidCount} of ${expected.total} target positions hold 255`));
  const fixed = await w.report({ ...params, options: resolveOptions({ loss: 'ce', ignoreIndex: 255 }) }, () => undefined);
  const total = fixed.report.loss.total;
  assert.ok(total !== null && Math.abs(total - expected.ce_ignore255) <= 1e-5 * Math.abs(expected.ce_ignore255), `${total} vs torch ${expected.ce_ignore255}`);
});

test('messages use the Python parameter names, derived from the option schema', () => {
  assert.equal(pythonName('toOnehotY'), 'to_onehot_y');
  assert.equal(pythonName('ignoreIndex'), 'ignore_index');
  assert.equal(pythonName('lambdaDice'), 'lambda_dice');
  assert.equal(pythonName('classAxis'), 'class axis');
  for (const s of OPTION_SCHEMA as readonly AnyOptionSpec[]) {
    assert.doesNotMatch(inPythonNames(`option ${s.key}: bad`), /[a-z][A-Z]/, `${s.key} is shown as ${inPythonNames(s.key)}`);
  }
  // The engine's own refusals, as the user sees them.
  const cases: [Partial<Record<string, unknown>>, RegExp][] = [
    [{ labelSmoothing: 'x' }, /^option label_smoothing: expected a finite number/],
    [{ shiftLabels: true, classAxis: 1, loss: 'ce' }, /option shift labels \(causal LM\)/],
  ];
  for (const [o, re] of cases) {
    try {
      const opts = resolveOptions(o);
      computeReport(new Tensor('float32', [1, 3, 2], new Float32Array(6)), int64([1, 2], [0, 1]), opts);
      assert.fail(`${JSON.stringify(o)} must be refused`);
    } catch (e) {
      assert.ok(e instanceof LossInputError, String(e));
      assert.match(oneLine(e), re);
      assert.doesNotMatch(oneLine(e), /\b(toOnehotY|labelSmoothing|shiftLabels|classAxis|ignoreIndex)\b/);
    }
  }
  // DiceCELoss before to_onehot_y is ticked: the engine asks for to_onehot_y=True, and the fix button says so.
  const opts = resolveOptions({ loss: 'dicece', softmax: true });
  let err: unknown;
  try {
    computeReport(new Tensor('float32', [1, 3, 2], new Float32Array(6)), int64([1, 1, 2], [0, 1]), opts);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof LossInputError);
  assert.match(err.message, /set to_onehot_y=True$/);
  const p = comparisonProblem(new WorkerFailure(toWorkerError(err)), opts);
  assert.equal(p.option, 'to_onehot_y');
  assert.deepEqual(p.fixes.map((f) => [f.label, f.options]), [['Set to_onehot_y = True', { toOnehotY: true }]]);
  assert.equal(notificationText(new WorkerFailure({ name: 'LossInputError', option: 'shiftLabels', message: 'option shiftLabels: needs classAxis -1' }), 'x'), 'option shift labels (causal LM): needs class axis -1');
  // A bad setting is named by its setting id; the problem itself speaks Python.
  const { problems } = resolveSettings((k) => (k === 'labelSmoothing' ? 'x' : undefined));
  assert.deepEqual(problems, [{ setting: 'lossInspector.labelSmoothing', message: 'option label_smoothing: expected a finite number, got "x"' }]);
});

test('Show details: the chain of causes in words, never a stack', () => {
  const root = new Error('ENOENT: no such file or directory');
  const mid = new Error('reading labels.npy failed', { cause: root });
  const top = new Error('comparing failed: option toOnehotY', { cause: mid });
  assert.deepEqual(causeChain(top), ['reading labels.npy failed', 'ENOENT: no such file or directory']);
  const info = toWorkerError(top);
  assert.deepEqual(info.causes, ['reading labels.npy failed', 'ENOENT: no such file or directory']);
  const details = errorDetails(new WorkerFailure({ ...info, stack: 'at a (dist/worker.js:1:20931)' }));
  assert.match(details, /because: reading labels\.npy failed\n {2}which was because: ENOENT/);
  assert.doesNotMatch(details, /worker\.js|at a \(/);
  const problem = comparisonProblem(top, resolveOptions({}));
  assert.equal(problem.message, 'comparing failed: option to_onehot_y');
  assert.deepEqual(problem.causes, ['reading labels.npy failed', 'ENOENT: no such file or directory']);
  // A cycle ends the chain.
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.deepEqual(causeChain(b), ['a']);
});

test('Git LFS pointers are recognised by content and named, with what to run', () => {
  const bytes = new Uint8Array(readFileSync(join(openDir, 'lfs', 'seg.pt')));
  assert.equal(sniff(bytes), 'lfs-pointer');
  assert.throws(
    () => readTensorFile(bytes, 'seg.pt'),
    (e: unknown) =>
      e instanceof TensorFileError &&
      e.kind === 'git-lfs-pointer' &&
      e.message === 'seg.pt: this is a Git LFS pointer, not the tensor (the real file has 1,048,704 bytes): run `git lfs pull` to fetch it',
  );
  // Whatever the extension: detection is by content.
  assert.throws(() => readTensorFile(bytes, 'seg.npy'), (e: unknown) => e instanceof TensorFileError && e.kind === 'git-lfs-pointer');
  // A text file with a tensor extension stays "unrecognized"; both are offered as text in the view.
  const text = new Uint8Array(readFileSync(join(openDir, 'text', 'notes.pt')));
  assert.throws(() => readTensorFile(text, 'notes.pt'), (e: unknown) => e instanceof TensorFileError && e.kind === 'unrecognized-format');
  const lfs = comparisonProblem(new WorkerFailure({ name: 'TensorFileError', kind: 'git-lfs-pointer', message: 'seg.pt: …', fileUri: 'file:///w/seg.pt' }), resolveOptions({}));
  assert.equal(lfs.notATensorFile, 'file:///w/seg.pt');
  const unsafe = comparisonProblem(new WorkerFailure({ name: 'TensorFileError', kind: 'unsafe-pickle', message: 'x.pt: …', fileUri: 'file:///w/x.pt' }), resolveOptions({}));
  assert.equal(unsafe.notATensorFile, undefined, 'a refused pickle is a tensor file: no Open as Text');
});

test('the worker names the file of a pair that failed to read', async () => {
  const w = new TensorWorkerService();
  const src = (dir: string, name: string) => ({ file: { uri: `file:///x/${name}`, fileName: name, fsPath: join(openDir, dir, name), mtime: 1, size: 1 }, key: null });
  const err = await w.report({ logits: src('lfs', 'seg_logits.npy'), target: src('lfs', 'seg.pt'), options: resolveOptions({}), sweepEps: null }, () => undefined).then(
    () => assert.fail('an LFS pointer must not read'),
    (e: unknown) => toWorkerError(e),
  );
  assert.equal(err.kind, 'git-lfs-pointer');
  assert.equal(err.fileUri, 'file:///x/seg.pt');
  // Listing a file's tensors (the picker's key step) names it too.
  const listed = await w.list({ file: src('lfs', 'seg.pt').file }, () => undefined).then(
    () => assert.fail('an LFS pointer must not list'),
    (e: unknown) => toWorkerError(e),
  );
  assert.deepEqual([listed.kind, listed.fileUri], ['git-lfs-pointer', 'file:///x/seg.pt']);
});

test('options belong to a panel: a shown pair keeps its edits; only explicit options reach it', () => {
  const settings = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
  // A panel opened from the settings, then edited (ignore_index 255 from its fix button).
  const panel = mergeOptions(settings, { ignoreIndex: 255 });
  // Asked again from the palette (the settings, nothing explicit): it keeps its own options.
  assert.equal(optionsOnReveal(panel, settings, []), null);
  assert.equal(optionsOnReveal(panel, settings, undefined), null);
  // An explicit option (command argument) is applied over the panel's edits, which stay.
  const next = optionsOnReveal(panel, mergeOptions(settings, { labelSmoothing: 0.2 }), ['labelSmoothing']);
  assert.deepEqual([next?.labelSmoothing, next?.ignoreIndex], [0.2, 255]);
  // An explicit option equal to the panel's: nothing to recompute.
  assert.equal(optionsOnReveal(panel, settings, ['labelSmoothing']), null);
  // Seeding never shares state: a panel's options are a copy, so editing one never reaches another or the settings.
  const w = resolveOptions({ weight: [1, 2, 3] });
  const seeded = mergeOptions(w, undefined);
  assert.notEqual(seeded.weight, w.weight);
  assert.deepEqual(seeded.weight, w.weight);
});
