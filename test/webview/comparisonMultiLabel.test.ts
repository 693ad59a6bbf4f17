/**
 * A multi-label target (BraTS-style nested regions, three overlapping float channels) in the comparison webview
 * in real headless Chromium: the note says what the CE term computes on it and shows BCE-with-logits beside it
 * (numbers equal to the report's), and the slice viewer outlines each region instead of drawing the argmax (which
 * paints the background and every overlap as the first region). Then an ordinary label map: no note, argmax drawn.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReportAndSweep, computeSlice, resolveOptions, Tensor } from '../../src/engine/index';
import type { ComparisonState, SliceData, SliceRequest } from '../../src/protocol/messages';
import { classColor } from '../../webview/common/colormap';
import { Harness, type ViewPage } from './harness';
import { sampleSlice, sampleState } from './fixtures';

const H = 24;
const W = 24;
const C = 3;
const CENTRE = [12, 11] as const;
/** Squared radii of whole tumour ⊇ tumour core ⊇ enhancing tumour. */
const RADII2 = [64, 25, 6];

function multiLabelPair(): { logits: Tensor; target: Tensor } {
  const n = H * W;
  const y = new Float32Array(C * n);
  const x = new Float32Array(C * n);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const d2 = (r - CENTRE[0]) ** 2 + (c - CENTRE[1]) ** 2;
      for (let k = 0; k < C; k++) {
        const i = k * n + r * W + c;
        y[i] = d2 <= RADII2[k]! ? 1 : 0;
        // a fair prediction: positive inside a slightly shifted disc, with a deterministic ripple
        x[i] = (RADII2[k]! - ((r - CENTRE[0] - 1) ** 2 + (c - CENTRE[1]) ** 2)) / 8 + Math.sin(0.7 * i) * 0.5;
      }
    }
  }
  return { logits: new Tensor('float32', [1, C, H, W], x), target: new Tensor('float32', [1, C, H, W], y) };
}

const pair = multiLabelPair();
const options = resolveOptions({ loss: 'dicece', sigmoid: true, labelSmoothing: 0.1 });

function multiLabelState(): ComparisonState {
  const { report, sweep } = computeReportAndSweep(pair.logits, pair.target, options);
  return {
    logits: { uri: 'file:///workspace/brats/pred.pt', key: '', label: 'pred.pt' },
    target: { uri: 'file:///workspace/brats/regions.pt', key: '', label: 'regions.pt' },
    options,
    report,
    sweep,
    classNames: ['WT', 'TC', 'ET'],
    volume: { batch: 1, spatial: [H, W] },
    timings: { readMs: 1, computeMs: 1 },
  };
}

async function value(v: ViewPage, testid: string): Promise<number | null> {
  const s = await v.page.getAttribute(`[data-testid="${testid}"]`, 'data-value');
  assert.notEqual(s, null, `${testid} has a data-value`);
  return s === 'null' ? null : Number(s);
}

async function pixel(v: ViewPage, testid: string, r: number, c: number): Promise<number[]> {
  const px = await v.page.evaluate(
    ({ id, x, y }) => Array.from(document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`)!.getContext('2d')!.getImageData(x, y, 1, 1).data),
    { id: testid, x: c, y: r },
  );
  return px.slice(0, 3);
}

function hexRgb(s: string): number[] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(s.trim());
  assert.ok(m, `a hex colour: ${s}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

describe('comparison webview, multi-label target (Chromium)', () => {
  let h: Harness;
  let v: ViewPage;
  const state = multiLabelState();
  const r = state.report;
  let slice: SliceData;

  before(async () => {
    h = await Harness.start();
    v = await h.open('comparison', 'dark');
  });
  after(async () => {
    await v?.close();
    await h?.close();
  });

  test('the note says what the CE term computes and shows BCE-with-logits beside it, with the report\'s numbers', async () => {
    const m = r.multiLabel;
    assert.ok(m, 'the engine flags the target');
    await v.waitFor((msg) => msg.type === 'ready');
    await v.push({ type: 'init', view: 'comparison', state });
    await v.page.waitForSelector('[data-testid="multi-label-note"]:not([hidden])');
    const overlap = (await v.page.textContent('[data-testid="multi-label-overlap"]')) ?? '';
    assert.match(overlap, new RegExp(`on ${m.overlapping} of ${m.elements} voxels`));
    assert.match(overlap, /up to 3 regions/);
    const explain = (await v.page.locator('[data-testid="multi-label-explain"]').allTextContents()).join(' ');
    assert.match(explain, /DiceCELoss passes the C-channel float target unchanged to torch’s cross_entropy/);
    assert.match(explain, /class probabilities/);
    assert.match(explain, /binary_cross_entropy_with_logits/);
    assert.equal(await value(v, 'multi-label-ce-hard'), r.hard.ce);
    assert.equal(await value(v, 'multi-label-ce-smoothed'), r.smoothed!.ce);
    assert.equal(await value(v, 'multi-label-bce-hard'), m.bce.hard);
    assert.equal(await value(v, 'multi-label-bce-smoothed'), m.bce.smoothed);
    assert.notEqual(m.bce.hard, r.hard.ce, 'two different numbers side by side');
    assert.ok(await v.page.isVisible('[data-testid="warning"][data-code="multi-label-target"]'));
  });

  test('the slice viewer outlines each region over the image, not the argmax', async () => {
    const req = await v.nextRequest('slice');
    slice = computeSlice(pair.logits, pair.target, options, req.params as SliceRequest);
    assert.ok(slice.targetRegions, 'the engine sends the region planes');
    await v.respond(req.id, slice);
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-regions="outlines"]');
    assert.equal(await v.page.textContent('[data-testid="slice-viewer"] .slice-panel:first-child figcaption'), 'Target regions (one outline each)');

    const bg = hexRgb(await v.page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background')));
    // a pixel outside every region: the background (the argmax painted it as region 0)
    assert.deepEqual(await pixel(v, 'slice-target', 0, 0), bg, 'background stays background');
    assert.notDeepEqual(bg, [...classColor(0)]);
    // each region's outline in its own colour: on the row through the centre, walking right from the centre, the
    // last pixel of region k is on its outline (regions nest, so the argmax painted all three as region 0)
    for (let k = 0; k < C; k++) {
      let c = CENTRE[1];
      while ((CENTRE[1] - c - 1) ** 2 <= RADII2[k]! && (c + 1 - CENTRE[1]) ** 2 <= RADII2[k]!) c++;
      for (const id of ['slice-target', 'slice-ce']) {
        assert.deepEqual(await pixel(v, id, CENTRE[0], c), [...classColor(k)], `${id}: outline of region ${k} at column ${c}`);
      }
    }
    // the centre lies in all three regions, inside every outline: a fill blended from the background, not a region colour
    const centre = await pixel(v, 'slice-target', CENTRE[0], CENTRE[1]);
    for (let k = 0; k < C; k++) assert.notDeepEqual(centre, [...classColor(k)]);
    assert.notDeepEqual(centre, bg);
    assert.equal(await v.page.textContent('[data-testid="slice-viewer"] .slice-panel:nth-child(2) figcaption'), 'Prediction (sigmoid > 0.5 per channel)');
    await v.screenshot('comparison-multi-label');
  });

  test('an ordinary label map: no note, the argmax drawn as before', async () => {
    const plain = sampleState();
    const since = v.posted.length;
    await v.push({ type: 'update', state: plain });
    await v.page.waitForSelector('[data-testid="multi-label-note"][hidden]', { state: 'attached' });
    const req = await v.nextRequest('slice', since);
    const s = sampleSlice(plain.options, req.params as SliceRequest);
    assert.equal(s.targetRegions, null);
    await v.respond(req.id, s);
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-regions="argmax"]');
    assert.deepEqual(v.pageErrors, []);
    assert.deepEqual(v.consoleErrors, []);
  });
});
