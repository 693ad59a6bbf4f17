/**
 * The comparison view when the pair does not compute (yet), in real Chromium under the real CSP: it lays itself
 * out around the problem with the options editable; a 255-void target offers "Set ignore_index = 255", which
 * recomputes this panel to torch's number; errors of states the user is still editing (DiceCELoss before
 * to_onehot_y) stay in the view and go when the next result renders; every message speaks the Python names;
 * *Show details* lists the causes in words; a file that is not a tensor file offers *Open as Text*. The failures
 * are what the host sends: the worker's real error for the fixture, turned into a problem by the host's code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeReportAndSweep, resolveOptions, type LossOptions, type Tensor } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import type { ComparisonFailure, ComparisonState, LabeledTensorRef } from '../../src/protocol/messages';
import { comparisonProblem } from '../../src/extension/comparisonProblem';
import { WorkerFailure } from '../../src/extension/workerClient';
import { TensorWorkerService, toWorkerError } from '../../src/worker/service';
import { Harness, repoRoot, type ViewPage } from './harness';
import { sample } from './fixtures';

const openDir = join(repoRoot, 'test', 'fixtures', 'open');
const expected = JSON.parse(readFileSync(join(openDir, 'expected.json'), 'utf8')) as { ce_ignore255: number; voidCount: number; total: number };

function load(path: string): Tensor {
  return readTensorFile(new Uint8Array(readFileSync(path)), path).tensors[0]!.tensor;
}
const voidPair = { logits: load(join(openDir, 'void255', 'logits.npy')), target: load(join(openDir, 'void255', 'labels.npy')) };
const ref = (uri: string, label: string): LabeledTensorRef => ({ uri, key: '', label });
const VOID_REFS = { logits: ref('file:///w/void255/logits.npy', 'logits.npy'), target: ref('file:///w/void255/labels.npy', 'labels.npy') };
const SAMPLE_REFS = { logits: ref('file:///w/sample/logits.npy', 'logits.npy'), target: ref('file:///w/sample/labels.npy', 'labels.npy') };

function stateOf(pair: { logits: Tensor; target: Tensor }, refs: typeof VOID_REFS, options: LossOptions): ComparisonState {
  const { report, sweep } = computeReportAndSweep(pair.logits, pair.target, options);
  return { ...refs, options, report, sweep, classNames: null, volume: null, timings: { readMs: 1, computeMs: 1 } };
}

/** What the host sends when the engine refuses `options` for the pair: its real error, through the host's code. */
function failureOf(pair: { logits: Tensor; target: Tensor }, refs: typeof VOID_REFS, options: LossOptions): ComparisonFailure {
  try {
    computeReportAndSweep(pair.logits, pair.target, options);
  } catch (e) {
    return { ...refs, options, problem: comparisonProblem(new WorkerFailure(toWorkerError(e)), options) };
  }
  throw new Error('expected the engine to refuse these options');
}

async function text(v: ViewPage, testid: string): Promise<string> {
  return (await v.page.textContent(`[data-testid="${testid}"]`)) ?? '';
}

const CAMEL = /\b(toOnehotY|ignoreIndex|labelSmoothing|includeBackground|squaredPred|smoothNr|smoothDr|lambdaDice|lambdaCe|classAxis|shiftLabels)\b/;

describe('comparison view: pairs that do not compute yet (Chromium)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    await h?.close();
  });

  test('a 255-void pair opens with the problem in place; "Set ignore_index = 255" recomputes this panel to torch\'s number', async () => {
    const v = await h.open('comparison', 'light');
    try {
      await v.waitFor((m) => m.type === 'ready');
      // The worker's own error for the fixture (DiceCELoss with to_onehot_y: MONAI has no ignore_index).
      const options = resolveOptions({ loss: 'dicece', toOnehotY: true, softmax: true });
      const file = (name: string) => ({ file: { uri: `file:///w/void255/${name}`, fileName: name, fsPath: join(openDir, 'void255', name), mtime: 1, size: 1 }, key: null });
      const err = await new TensorWorkerService().report({ logits: file('logits.npy'), target: file('labels.npy'), options, sweepEps: null }, () => undefined).then(
        () => assert.fail('255 must be refused'),
        (e: unknown) => new WorkerFailure(toWorkerError(e)),
      );
      const failure: ComparisonFailure = { ...VOID_REFS, options, problem: comparisonProblem(err, options) };
      await v.push({ type: 'failed', failure });

      await v.page.waitForSelector('[data-testid="problem"]:not([hidden])');
      assert.equal(await text(v, 'pair-logits'), 'logits.npy');
      assert.match(await text(v, 'problem-message'), /class index 255 outside \[0, 5\)/);
      assert.equal(await text(v, 'problem-fix-0'), 'Set ignore_index = 255');
      assert.match(await text(v, 'problem-fix-detail-0'), new RegExp(`${expected.voidCount} of ${expected.total} target positions hold 255`));
      assert.equal(await v.page.isVisible('[data-testid="results"]'), false, 'no numbers before a result');
      // The options are there and editable.
      const toggle = v.page.locator('[data-testid="options-toggle"]');
      if (!(await v.page.locator('[data-testid="options-panel"]').isVisible())) await toggle.click();
      assert.equal(await v.page.locator('[data-testid="opt-loss"]').evaluate((e) => (e as HTMLInputElement).value), 'dicece');
      assert.equal(await v.page.locator('[data-testid="opt-toOnehotY"]').evaluate((e) => (e as HTMLInputElement & { disabled: boolean }).disabled), false);
      await v.screenshot('problem-void255-light');

      const since = v.posted.length;
      await v.page.click('[data-testid="problem-fix-0"]');
      const req = await v.nextRequest('recompute', since);
      assert.equal(req.params.options.ignoreIndex, 255);
      assert.equal(req.params.options.loss, 'ce');
      assert.equal(req.params.options.toOnehotY, true, 'the panel keeps its other options');
      // The controls show what is being computed.
      assert.equal(await v.page.locator('[data-testid="opt-ignoreIndex"]').evaluate((e) => (e as HTMLInputElement).value), '255');
      const fixed = stateOf(voidPair, VOID_REFS, resolveOptions(req.params.options));
      assert.ok(Math.abs((fixed.report.loss.total ?? NaN) - expected.ce_ignore255) <= 1e-5 * expected.ce_ignore255, 'the engine matches torch');
      await v.respond(req.id, fixed);
      await v.page.waitForSelector('[data-testid="problem"][hidden]', { state: 'attached' });
      assert.equal(Number(await v.page.getAttribute('[data-testid="summary-total"]', 'data-value')), fixed.report.loss.total);
      assert.equal(await v.page.isVisible('[data-testid="results"]'), true);
      assert.deepEqual(await v.cspViolations(), []);
      assert.deepEqual(v.pageErrors, []);
    } finally {
      await v.close();
    }
  });

  test('DiceCELoss before to_onehot_y: the error stays in the view in Python names, and goes with the next result', async () => {
    const v = await h.open('comparison', 'dark');
    try {
      await v.waitFor((m) => m.type === 'ready');
      const ce = resolveOptions({ loss: 'ce' });
      await v.push({ type: 'init', view: 'comparison', state: stateOf(sample, SAMPLE_REFS, ce) });
      await v.page.waitForSelector('[data-testid="class-row-3"]');
      if (!(await v.page.locator('[data-testid="options-panel"]').isVisible())) await v.page.click('[data-testid="options-toggle"]');

      // The user picks DiceCELoss; to_onehot_y is not ticked yet.
      let since = v.posted.length;
      await v.page.locator('[data-testid="opt-loss"]').evaluate((e) => {
        (e as HTMLInputElement).value = 'dicece';
        e.dispatchEvent(new Event('change'));
      });
      const req = await v.nextRequest('recompute', since);
      assert.equal(req.params.options.loss, 'dicece');
      assert.equal(req.params.options.toOnehotY, false);
      const failure = failureOf(sample, SAMPLE_REFS, resolveOptions(req.params.options));
      await v.respond(req.id, failure);
      await v.page.waitForSelector('[data-testid="problem"]:not([hidden])');
      const problemText = await text(v, 'problem');
      assert.match(problemText, /to_onehot_y/);
      assert.doesNotMatch(problemText, CAMEL, 'no engine camelCase names');
      assert.equal(await text(v, 'problem-option'), 'Option: to_onehot_y');
      assert.equal(await text(v, 'problem-fix-0'), 'Set to_onehot_y = True');
      // The old numbers stay, marked as not current; the error is in the view, not in the options' error line.
      assert.equal(await v.page.locator('[data-testid="results"]').evaluate((e) => e.classList.contains('is-stale')), true);
      assert.equal(await v.page.isVisible('[data-testid="options-error"]'), false);
      await v.screenshot('problem-edit-state-dark');

      // The user ticks to_onehot_y (and softmax): the next result clears the problem.
      since = v.posted.length;
      // Both clicks in one task: a checkbox's debounce is short, so two separate round trips from the test
      // could each send their own recompute on a loaded machine.
      await v.page.evaluate(() => {
        for (const id of ['opt-toOnehotY', 'opt-softmax']) (document.querySelector(`[data-testid="${id}"]`) as HTMLElement).click();
      });
      const ok = await v.nextRequest('recompute', since);
      assert.equal(v.requests('recompute', since).length, 1, 'one debounced recompute for both clicks');
      assert.deepEqual([ok.params.options.loss, ok.params.options.toOnehotY, ok.params.options.softmax], ['dicece', true, true]);
      const next = stateOf(sample, SAMPLE_REFS, resolveOptions(ok.params.options));
      await v.respond(ok.id, next);
      await v.page.waitForSelector('[data-testid="problem"][hidden]', { state: 'attached' });
      assert.equal(await v.page.locator('[data-testid="results"]').evaluate((e) => e.classList.contains('is-stale')), false);
      assert.equal(Number(await v.page.getAttribute('[data-testid="summary-total"]', 'data-value')), next.report.loss.total);
      assert.equal(await v.page.locator('[data-testid="notice"][data-level="error"]').count(), 0, 'no error banner left behind');
      assert.deepEqual(v.pageErrors, []);
    } finally {
      await v.close();
    }
  });

  test('Show details lists the chain of causes in words; a file that is not a tensor file offers Open as Text', async () => {
    const v = await h.open('comparison', 'dark');
    try {
      await v.waitFor((m) => m.type === 'ready');
      const options = resolveOptions({});
      const cause = new Error('ENOENT: no such file or directory, open /w/lfs/seg.pt');
      const e = Object.assign(new Error('seg.pt: this is a Git LFS pointer, not the tensor: run `git lfs pull` to fetch it', { cause }), { kind: 'git-lfs-pointer', fileUri: 'file:///w/lfs/seg.pt' });
      e.name = 'TensorFileError';
      const failure: ComparisonFailure = {
        logits: ref('file:///w/lfs/seg_logits.npy', 'seg_logits.npy'),
        target: ref('file:///w/lfs/seg.pt', 'seg.pt'),
        options,
        problem: comparisonProblem(new WorkerFailure(toWorkerError(e)), options),
      };
      await v.push({ type: 'failed', failure });
      await v.page.waitForSelector('[data-testid="problem"]:not([hidden])');
      assert.match(await text(v, 'problem-message'), /Git LFS pointer, not the tensor: run `git lfs pull`/);
      assert.equal(await v.page.isVisible('[data-testid="problem-cause"]'), false, 'details folded');
      await v.page.click('[data-testid="problem-details"] summary');
      assert.deepEqual(await v.page.$$eval('[data-testid="problem-cause"]', (els) => els.map((x) => x.textContent)), ['ENOENT: no such file or directory, open /w/lfs/seg.pt']);
      assert.doesNotMatch(await text(v, 'problem'), /\bat \w+ \(|\.js:\d+/, 'no stack');
      const since = v.posted.length;
      await v.page.click('[data-testid="open-as-text"]');
      const r = await v.nextRequest('openAsText', since);
      assert.deepEqual(r.params, { uri: 'file:///w/lfs/seg.pt' });
      await v.respond(r.id, {});
    } finally {
      await v.close();
    }
  });

  test('tensor editor: a file that is not a tensor file shows its error once, with Open as Text', async () => {
    const v = await h.open('tensorFile', 'dark');
    try {
      await v.waitFor((m) => m.type === 'ready');
      const message = 'seg.pt: this is a Git LFS pointer, not the tensor (the real file has 1,048,704 bytes): run `git lfs pull` to fetch it';
      await v.push({ type: 'notice', level: 'error', message, openAsText: 'file:///w/lfs/seg.pt' });
      await v.page.waitForSelector('[data-testid="load-error"]');
      assert.equal(await v.page.locator('[data-testid="load-error"]').count(), 1);
      assert.equal(await text(v, 'load-error-text'), message);
      const since = v.posted.length;
      await v.page.click('[data-testid="open-as-text"]');
      const r = await v.nextRequest('openAsText', since);
      assert.deepEqual(r.params, { uri: 'file:///w/lfs/seg.pt' });
      await v.respond(r.id, {});
      await v.screenshot('tensor-editor-lfs-pointer');
      assert.deepEqual(await v.cspViolations(), []);
    } finally {
      await v.close();
    }
  });
});
