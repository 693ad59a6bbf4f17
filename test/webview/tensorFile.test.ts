/**
 * The tensor-file editor webview in real headless Chromium under the real CSP, fed the state and heat maps
 * that the worker's service computes for files of the shared corpus (a training checkpoint with 27
 * tensors and 19 non-tensor values, a 3-D segmentation pair, a file with NaN and ±Inf).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { HeatmapRequest, TensorFileState } from '../../src/protocol/messages';
import { TensorWorkerService } from '../../src/worker/service';
import { Harness, repoRoot, type ViewPage } from './harness';

const corpusDir = resolve(repoRoot, 'test', 'fixtures', 'corpus');
const service = new TensorWorkerService();

function source(rel: string) {
  const fsPath = join(corpusDir, rel);
  if (!existsSync(fsPath)) throw new Error(`reference data missing: ${fsPath} (the tensor corpus is vendored in test/fixtures/corpus)`);
  const st = statSync(fsPath);
  return { uri: `file://${fsPath}`, fileName: basename(fsPath), mtime: st.mtimeMs, size: st.size, fsPath };
}

function describeFile(rel: string): Promise<TensorFileState> {
  return service.describe({ file: source(rel) }, () => {});
}

function heatmap(rel: string, request: HeatmapRequest) {
  return service.heatmap({ file: source(rel), request }, () => {});
}

async function value(v: ViewPage, testid: string): Promise<number | null> {
  const s = await v.page.getAttribute(`[data-testid="${testid}"]`, 'data-value');
  assert.notEqual(s, null, `${testid} has a data-value`);
  return s === 'null' ? null : Number(s);
}

/** Answers the next heat-map request with the service's real heat map; returns the request. */
async function answerHeatmap(v: ViewPage, rel: string, since: number): Promise<HeatmapRequest> {
  const req = await v.nextRequest('heatmap', since);
  await v.respond(req.id, await heatmap(rel, req.params));
  await v.page.waitForSelector(`[data-testid="heatmap"][data-drawn="${req.params.key}@${req.params.leading.join(',')}"]`);
  return req.params;
}

describe('tensor-file webview (Chromium)', () => {
  let h: Harness;
  const pages: ViewPage[] = [];

  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const p of pages) await p.close();
    await h?.close();
  });

  test('a checkpoint: tensors with stats, filter, non-tensor values, heat map, compare', async () => {
    const rel = 'pt/checkpoint.pth';
    const state = await describeFile(rel);
    assert.equal(state.tensors.length, 27);
    const v = await h.open('tensorFile', 'dark');
    pages.push(v);
    assert.deepEqual(await v.waitFor(() => true), { type: 'ready' });
    await v.push({ type: 'init', view: 'tensorFile', state });
    await v.page.waitForSelector('[data-testid="tensor-row-26"]');
    assert.equal(await v.page.textContent('[data-testid="file-name"]'), 'checkpoint.pth');
    assert.equal(await v.page.locator('[data-testid^="tensor-row-"]').count(), 27);
    for (const [i, t] of state.tensors.entries()) {
      assert.equal(await v.page.textContent(`[data-testid="tensor-key-${i}"]`), t.key);
      assert.equal(await v.page.textContent(`[data-testid="tensor-dtype-${i}"]`), t.dtype);
      assert.equal(await value(v, `tensor-min-${i}`), t.min, `min of ${t.key}`);
      assert.equal(await value(v, `tensor-max-${i}`), t.max, `max of ${t.key}`);
      assert.equal(await value(v, `tensor-mean-${i}`), t.mean, `mean of ${t.key}`);
      assert.equal(await value(v, `tensor-nan-${i}`), t.nanCount);
      assert.equal(await value(v, `tensor-inf-${i}`), t.infCount);
    }
    assert.equal(await v.page.textContent('[data-testid="tensor-shape-0"]'), '4×1×3×3');

    // Non-tensor values, shown as read.
    assert.equal(await v.page.locator('[data-testid^="non-tensor-"]').count(), state.nonTensors.length + 1 /* the table */);
    assert.equal(await v.page.textContent('[data-testid="non-tensor-0"] td:first-child'), 'epoch');

    // The first rank ≥ 2 tensor is selected: histogram drawn, heat map asked for at the slice the worker
    // picked (the filter of the 4 whose weights vary most), with a control only for the axis of size 4.
    const first = await answerHeatmap(v, rel, 0);
    assert.deepEqual(first, { key: 'model.0.weight', leading: state.tensors[0]!.initialLeading });
    assert.equal(await v.page.locator('[data-testid^="heatmap-index-"]').count(), 1, 'no control for the axis of size 1');
    // dtype and shape never break inside the token, even in a narrow editor.
    await v.page.setViewportSize({ width: 560, height: 900 });
    for (const id of ['tensor-dtype-0', 'tensor-shape-0']) {
      const lines = await v.page.$eval(`[data-testid="${id}"]`, (e) => {
        const r = document.createRange();
        r.selectNodeContents(e);
        return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
      });
      assert.equal(lines, 1, `${id} on one line`);
    }
    await v.page.setViewportSize({ width: 1280, height: 900 });
    const hs = await v.canvasStats('histogram-canvas');
    assert.ok(hs.painted > 2000 && hs.colors > 4, `histogram drawn (${hs.painted} px, ${hs.colors} colours)`);
    const hm = await v.canvasStats('heatmap-canvas');
    assert.deepEqual([hm.width, hm.height], [3, 3]);
    assert.ok(hm.colors >= 3, 'the heat map shows several values');

    // A leading index control asks for that slice.
    let since = v.posted.length;
    await v.page.locator('[data-testid="heatmap-index-0"] input').fill('2');
    assert.deepEqual((await answerHeatmap(v, rel, since)).leading, [2, 0]);

    // Selecting another tensor (click on its row) shows it.
    since = v.posted.length;
    await v.page.click('[data-testid="tensor-key-7"]');
    assert.deepEqual(await answerHeatmap(v, rel, since), { key: 'model.3.weight', leading: state.tensors[7]!.initialLeading });
    assert.equal(await v.page.textContent('[data-testid="detail-title"]'), 'model.3.weight');
    assert.equal(await v.page.getAttribute('[data-testid="tensor-row-7"]', 'aria-selected'), 'true');

    // Compare losses with… as logits, as target.
    since = v.posted.length;
    await v.page.click('[data-testid="compare-logits-0"]');
    const cl = await v.nextRequest('compareWith', since);
    assert.deepEqual(cl.params, { key: 'model.0.weight', role: 'logits' });
    await v.respond(cl.id, {});
    since = v.posted.length;
    await v.page.click('[data-testid="compare-target-8"]');
    const ct = await v.nextRequest('compareWith', since);
    assert.deepEqual(ct.params, { key: 'model.3.bias', role: 'target' });
    await v.respondError(ct.id, 'no other tensor file in the workspace');
    await v.page.waitForFunction(() => document.querySelector('[data-testid="compare-status"]')?.textContent?.includes('no other tensor file'));
    // The compare buttons do not change the selection.
    assert.equal(await v.page.textContent('[data-testid="detail-title"]'), 'model.3.weight');

    // The filter narrows the list.
    await v.page.locator('[data-testid="tensor-filter"] input').fill('exp_avg_sq');
    assert.equal(await v.page.locator('[data-testid^="tensor-row-"]:visible').count(), 6);
    assert.equal(await v.page.textContent('[data-testid="tensor-count"]'), '6 of 27 tensors');
    await v.page.locator('[data-testid="tensor-filter"] input').fill('');

    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });

  test('NaN and ±Inf are counted and coloured apart', async () => {
    const rel = 'pt/nan_inf.pt';
    const state = await describeFile(rel);
    const v = await h.open('tensorFile', 'light');
    pages.push(v);
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'tensorFile', state });
    const i = state.tensors.findIndex((t) => t.key === 'logits');
    assert.equal(await value(v, `tensor-nan-${i}`), 3);
    assert.equal(await value(v, `tensor-inf-${i}`), 2);
    assert.equal(await v.page.locator(`[data-testid="tensor-nan-${i}"]`).evaluate((e) => e.classList.contains('is-bad')), true);
    await answerHeatmap(v, rel, 0);
    assert.equal(await v.canvasHasColor('heatmap-canvas', [255, 0, 255]), true, 'NaN in magenta');
    assert.equal(await v.canvasHasColor('heatmap-canvas', [255, 255, 255]) || (await v.canvasHasColor('heatmap-canvas', [0, 0, 0])), true, '±Inf in white or black');
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.consoleErrors, []);
  });

  test('an unreadable file: the error replaces "Reading the file…"; a later init still renders', async () => {
    // The real refusal the worker gives for a pickle that would run os.system.
    const error = await describeFile('pt/hostile_os_system.pt').then(
      () => assert.fail('the hostile pickle was read'),
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    assert.match(error, /^hostile_os_system\.pt: refuse to unpickle: /);
    const v = await h.open('tensorFile', 'dark');
    pages.push(v);
    await v.waitFor((m) => m.type === 'ready');
    assert.equal(await v.page.textContent('[data-testid="waiting"]'), 'Reading the file…');
    // An info notice before the state goes to the banners; the waiting line stays.
    await v.push({ type: 'notice', level: 'info', message: 'Large file: reading in the background.' });
    await v.page.waitForSelector('[data-testid="notices"] [data-testid="notice"][data-level="info"]');
    assert.equal(await v.page.isVisible('[data-testid="waiting"]'), true);
    // The host sends the error, and again when the view says ready: shown once, in place of the waiting line.
    for (let i = 0; i < 2; i++) await v.push({ type: 'notice', level: 'error', message: error });
    const alert = v.page.locator('[role="alert"][data-testid="load-error"]');
    await alert.waitFor({ state: 'visible' });
    assert.equal(await alert.count(), 1);
    assert.equal(await v.page.textContent('[data-testid="load-error-text"]'), error);
    assert.equal(await v.page.locator('[data-testid="waiting"]').count(), 0);
    assert.equal(await v.page.locator('[data-testid="notice"][data-level="error"]').count(), 0, 'the error is not also a banner');
    // One readable block inside the window: the message wraps rather than widening the page.
    const box = (await alert.boundingBox())!;
    assert.ok(box.width > 200 && box.x >= 0 && box.x + box.width <= 1280, `error box ${JSON.stringify(box)}`);
    assert.equal(await v.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true);
    await v.screenshot('tensorFile-load-error');
    assert.deepEqual(await v.cspViolations(), []);

    // A later state (the file was fixed and re-read) renders as usual.
    const rel = 'pt/seg3d_logits.pth';
    await v.push({ type: 'init', view: 'tensorFile', state: await describeFile(rel) });
    await v.page.waitForSelector('[data-testid="file-name"]');
    assert.equal(await v.page.textContent('[data-testid="file-name"]'), 'seg3d_logits.pth');
    assert.equal(await v.page.locator('[data-testid="load-error"]').count(), 0);
    assert.equal(await v.page.locator('[data-testid="notice"][data-level="info"]').count(), 1, 'the earlier banner stays');
    await answerHeatmap(v, rel, 0);
    // After the state, an error is a dismissible banner again.
    await v.push({ type: 'notice', level: 'error', message: 'seg3d_logits.pth: changed on disk and could not be re-read' });
    await v.page.waitForSelector('[data-testid="notice"][data-level="error"]');
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });

  test('a NIfTI label map: header facts, opens on the middle labelled slice, no control without a choice', async () => {
    const rel = 'nifti/labels_int16.nii.gz';
    const state = await describeFile(rel);
    const v = await h.open('tensorFile', 'light');
    pages.push(v);
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'tensorFile', state });
    const req = await answerHeatmap(v, rel, 0);
    assert.deepEqual(req.leading, state.tensors[0]!.initialLeading);
    const hm = await v.canvasStats('heatmap-canvas');
    assert.ok(hm.colors >= 2, 'the opening slice shows labels, not a blank slice');
    await v.page.waitForSelector('[data-testid="header-facts"]');
    const facts = await v.page.$$eval('[data-testid^="header-fact-"]', (rows) => rows.map((r) => r.textContent ?? ''));
    assert.ok(facts.some((f) => f.startsWith('spacing') && f.includes('1.5 × 1.5 × 2.5')), facts.join(' | '));
    assert.ok(facts.some((f) => f.startsWith('affine') && f.includes('[1.5, 0, 0, -20]')), facts.join(' | '));
    assert.ok(facts.some((f) => f.startsWith('dims') && f.includes('24 × 20 × 12')), facts.join(' | '));
    await v.screenshot('tensorFile-nifti');
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.consoleErrors, []);
  });

  test('safetensors metadata is shown; a 2-D tensor has no index controls', async () => {
    const rel = 'st/model_weights.safetensors';
    const state = await describeFile(rel);
    const v = await h.open('tensorFile', 'dark');
    pages.push(v);
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'tensorFile', state });
    await v.page.waitForSelector('[data-testid="header-facts"]');
    const facts = await v.page.$$eval('[data-testid^="header-fact-"]', (rows) => rows.map((r) => r.textContent ?? ''));
    assert.deepEqual(facts, ['formatpt', 'descriptionmodèle de segmentation']);
    assert.deepEqual(await v.cspViolations(), []);
  });

  test('a 3-D segmentation file: screenshots in dark and light', async () => {
    const rel = 'pt/seg3d_logits.pth';
    const state = await describeFile(rel);
    const v = await h.open('tensorFile', 'dark');
    pages.push(v);
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'tensorFile', state });
    const req = await answerHeatmap(v, rel, 0);
    assert.deepEqual(req, { key: 'logits', leading: state.tensors.find((t) => t.key === 'logits')!.initialLeading });
    // Three leading axes, the batch of 1 without a control; the middle depth slice for the picture.
    assert.equal(await v.page.locator('[data-testid^="heatmap-index-"]').count(), 2);
    assert.equal(await v.page.locator('[data-testid="heatmap-index-0"]').count(), 0);
    const since = v.posted.length;
    await v.page.locator('[data-testid="heatmap-index-2"] input').fill('12');
    assert.deepEqual((await answerHeatmap(v, rel, since)).leading, [0, req.leading[1], 12]);
    assert.deepEqual(await v.page.$eval('[data-testid="heatmap-canvas"]', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]), [16, 24]);
    await v.screenshot('tensorFile-dark');
    await v.setTheme('light');
    await v.screenshot('tensorFile-light');
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });
});
