/**
 * The comparison webview in real headless Chromium, under the real CSP from buildWebviewHtml, fed real
 * engine reports for the sample data: numbers, charts, sorting, live options, exports, the slice viewer,
 * theme switches, and no CSP violation or console error anywhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonState, PersistedComparison, SliceData } from '../../src/protocol/messages';
import type { ClassReport } from '../../src/engine/types';
import { Harness, type ViewPage } from './harness';
import { DEMO_OPTIONS, sampleSlice, sampleState } from './fixtures';
import { classColor } from '../../webview/common/colormap';

const CLASS_KEYS = ['ceHard', 'ceSmoothed', 'diceHard', 'diceSmoothed'] as const;

/** `data-value` back to a number (`'null'` → null), exactly as the page wrote it. */
function parseValue(s: string | null): number | null {
  assert.notEqual(s, null, 'element has no data-value');
  return s === 'null' ? null : Number(s);
}

async function value(v: ViewPage, testid: string): Promise<number | null> {
  return parseValue(await v.page.getAttribute(`[data-testid="${testid}"]`, 'data-value'));
}

async function rowOrder(v: ViewPage): Promise<number[]> {
  return v.page.$$eval('[data-testid^="class-row-"]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.class)));
}

/** Smoothed − hard as the view must show it: exactly 0 where the two agree to 1e-12 relative (float noise). */
function delta(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) ? 0 : a - b;
}

async function expectTableMatches(v: ViewPage, state: ComparisonState): Promise<void> {
  const per = state.report.perClass!;
  for (const c of per) {
    for (const k of CLASS_KEYS) assert.equal(await value(v, `cell-${k}-${c.class}`), c[k], `${k} of class ${c.class}`);
    assert.equal(await value(v, `cell-count-${c.class}`), c.count, `count of class ${c.class}`);
    assert.equal(await value(v, `cell-ceDelta-${c.class}`), delta(c.ceSmoothed, c.ceHard), `Δ CE of class ${c.class}`);
    assert.equal(await value(v, `cell-diceDelta-${c.class}`), delta(c.diceSmoothed, c.diceHard), `Δ Dice of class ${c.class}`);
    assert.equal(await value(v, `cell-contribution-${c.class}`), c.contribution.total, `contribution of class ${c.class}`);
  }
}

describe('comparison webview (Chromium)', () => {
  let h: Harness;
  let v: ViewPage;
  const state = sampleState();
  const r = state.report;

  before(async () => {
    h = await Harness.start();
    v = await h.open('comparison', 'dark');
  });
  after(async () => {
    await v?.close();
    await h?.close();
  });

  test('says ready first, then renders the init state', async () => {
    const first = await v.waitFor(() => true);
    assert.deepEqual(first, { type: 'ready' });
    await v.push({ type: 'init', view: 'comparison', state });
    await v.page.waitForSelector('[data-testid="class-table"] [data-testid="class-row-3"]');
    assert.equal(await v.page.locator('[data-testid^="class-row-"]').count(), r.numClasses);
    assert.equal(await v.page.textContent('[data-testid="pair-logits"]'), 'logits.npy');
    assert.equal(await v.page.textContent('[data-testid="cell-class-1"] .class-name'), 'liver');
  });

  test('per-class table numbers equal the report', async () => {
    assert.equal(r.perClass?.length, 4);
    await expectTableMatches(v, state);
  });

  test('summary numbers equal the report', async () => {
    assert.equal(await value(v, 'summary-total'), r.loss.total);
    assert.equal(await value(v, 'summary-dice'), r.loss.dice);
    assert.equal(await value(v, 'summary-ce'), r.loss.ce);
    for (const k of ['total', 'dice', 'ce'] as const) {
      assert.equal(await value(v, `hard-${k}`), r.hard[k], `hard ${k}`);
      assert.equal(await value(v, `smoothed-${k}`), r.smoothed![k], `smoothed ${k}`);
      assert.equal(await value(v, `delta-${k}`), delta(r.smoothed![k], r.hard[k]), `Δ ${k}`);
    }
    assert.equal(await value(v, 'summary-floor'), r.floor);
    assert.ok(r.floor! > 0, 'ε = 0.1 has a positive floor');
    const warningCodes = await v.page.$$eval('[data-testid="warning"]', (els) => els.map((e) => (e as HTMLElement).dataset.code));
    assert.deepEqual(warningCodes, r.warnings.map((w) => w.code));
  });

  test('every chart renders', async () => {
    for (const id of ['chart-ce-bars', 'chart-dice-bars', 'chart-sweep-ce', 'chart-sweep-dice', 'chart-confusion', 'chart-reliability']) {
      assert.equal(await v.page.getAttribute(`[data-testid="${id}"]`, 'class').then((c) => c?.includes('is-empty')), false, `${id} shows a chart`);
      const s = await v.canvasStats(`${id}-canvas`);
      assert.ok(s.width > 100 && s.height > 100, `${id} has a size (${s.width}×${s.height})`);
      assert.ok(s.painted > 2000 && s.colors > 8, `${id} is drawn (${s.painted} painted pixels, ${s.colors} colours)`);
    }
    assert.equal(await value(v, 'ece'), r.calibration!.ece);
    // Dark theme: the hard series is --vscode-charts-blue #3794ff.
    assert.equal(await v.canvasHasColor('chart-ce-bars-canvas', [0x37, 0x94, 0xff]), true);
  });

  test('sorting by a column, by click and by keyboard', async () => {
    const per = r.perClass!;
    const by = (k: keyof ClassReport, dir: 1 | -1) => [...per].sort((a, b) => dir * (((a[k] as number) ?? 0) - ((b[k] as number) ?? 0))).map((c) => c.class);
    await v.page.click('[data-testid="sort-ceHard"]');
    assert.deepEqual(await rowOrder(v), by('ceHard', -1));
    assert.equal(await v.page.getAttribute('[data-testid="sort-ceHard"]', 'aria-sort'), 'descending');
    await v.page.click('[data-testid="sort-ceHard"]');
    assert.deepEqual(await rowOrder(v), by('ceHard', 1));
    assert.equal(await v.page.getAttribute('[data-testid="sort-ceHard"]', 'aria-sort'), 'ascending');
    await v.page.focus('[data-testid="sort-diceSmoothed"]');
    await v.page.keyboard.press('Enter');
    assert.deepEqual(await rowOrder(v), by('diceSmoothed', -1));
    // The activated header keeps the focus, so Enter again flips the order.
    await v.page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'sort-diceSmoothed');
    await v.page.keyboard.press('Enter');
    assert.deepEqual(await rowOrder(v), by('diceSmoothed', 1));
    await v.page.click('[data-testid="sort-class"]');
    assert.deepEqual(await rowOrder(v), [0, 1, 2, 3]);
    await expectTableMatches(v, state);
  });

  test('copy and save send requests with the table', async () => {
    let since = v.posted.length;
    await v.page.click('[data-testid="copy-markdown"]');
    const copy = await v.nextRequest('copy', since);
    assert.match(copy.params.text, /\| Class \| Count \| CE hard \|/);
    assert.match(copy.params.text, /\| 1 liver \| /);
    await v.respond(copy.id, {});
    await v.page.waitForFunction(() => document.querySelector('[data-testid="export-status"]')?.textContent?.includes('Copied'));

    since = v.posted.length;
    await v.page.click('[data-testid="save-csv"]');
    const csv = await v.nextRequest('save', since);
    assert.equal(csv.params.format, 'csv');
    assert.equal(csv.params.suggestedName, 'logits-per-class.csv');
    const lines = csv.params.content.trim().split('\n');
    assert.equal(lines.length, 1 + r.numClasses);
    const c2 = r.perClass![2]!;
    assert.equal(lines[3], ['2', 'spleen', c2.count, c2.ceHard, c2.ceSmoothed, c2.ceSmoothed! - c2.ceHard!, c2.diceHard, c2.diceSmoothed, c2.diceSmoothed! - c2.diceHard!, c2.contribution.total, c2.contribution.ce, c2.contribution.dice].join(','));
    await v.respond(csv.id, { saved: true });
    await v.page.waitForFunction(() => document.querySelector('[data-testid="export-status"]')?.textContent === 'Saved CSV.');

    since = v.posted.length;
    await v.page.click('[data-testid="save-json"]');
    const json = await v.nextRequest('save', since);
    assert.equal(json.params.format, 'json');
    const doc = JSON.parse(json.params.content) as { loss: unknown; perClass: { ceHard: number }[] };
    assert.deepEqual(doc.loss, r.loss);
    assert.deepEqual(doc.perClass.map((p) => p.ceHard), r.perClass!.map((p) => p.ceHard));
    await v.respondError(json.id, 'the disk is full');
    await v.page.waitForFunction(() => document.querySelector('[data-testid="export-status"]')?.textContent?.includes('the disk is full'));
  });

  test('the slice viewer asks for a slice and draws it', async () => {
    // The first slice request went out after init; answer it (and any later ones) with the engine's slice.
    const req = await v.nextRequest('slice');
    assert.deepEqual(req.params, { batch: 0, axis: 2, index: 8, mode: 'hard' });
    const slice = sampleSlice(state.options, req.params);
    await v.respond(req.id, slice);
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-drawn="0/2/8/hard"]');
    for (const id of ['slice-target', 'slice-prediction', 'slice-ce']) {
      const s = await v.canvasStats(id);
      assert.equal(s.width, slice.width, `${id} width`);
      assert.equal(s.height, slice.height, `${id} height`);
      assert.ok(s.colors >= 2, `${id} shows more than one colour`);
    }
    // A target pixel is painted in its class colour.
    const i = slice.target.findIndex((t) => t === 1);
    assert.ok(i >= 0, 'the middle slice shows class 1');
    const px = await v.page.evaluate(
      ({ x, y }) => Array.from(document.querySelector<HTMLCanvasElement>('[data-testid="slice-target"]')!.getContext('2d')!.getImageData(x, y, 1, 1).data),
      { x: i % slice.width, y: Math.floor(i / slice.width) },
    );
    assert.deepEqual(px.slice(0, 3), [...classColor(1)]);
    assert.equal(await value(v, 'slice-ce-max'), slice.ceMax);

    // Moving the slider asks for that slice, in the smoothed mode once chosen.
    let since = v.posted.length;
    await v.page.$eval('[data-testid="slice-index-range"]', (e) => {
      const input = e as HTMLInputElement;
      input.value = '3';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const next = await v.nextRequest('slice', since);
    assert.deepEqual(next.params, { batch: 0, axis: 2, index: 3, mode: 'hard' });
    await v.respond(next.id, sampleSlice(state.options, next.params));
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-drawn="0/2/3/hard"]');

    since = v.posted.length;
    await v.page.click('[data-testid="slice-mode"]');
    await v.page.click('[data-testid="slice-mode"] vscode-option[value="smoothed"]');
    const smoothed = await v.nextRequest('slice', since);
    assert.equal(smoothed.params.mode, 'smoothed');
    const sd: SliceData = sampleSlice(state.options, smoothed.params);
    await v.respond(smoothed.id, sd);
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-drawn="0/2/3/smoothed"]');
  });

  test('slice controls appear only where they choose something', async () => {
    // The sample is a 3-D volume with a batch of 1: axis and slice controls, no batch control.
    assert.equal(state.volume!.batch, 1);
    assert.equal(await v.page.isVisible('[data-testid="slice-axis"]'), true);
    assert.equal(await v.page.isVisible('[data-testid="slice-index-field"]'), true);
    assert.equal(await v.page.isVisible('[data-testid="slice-batch"]'), false);
    // A 2-D pair in a separate page: the plane is the whole image, so no axis and no slice controls.
    const w = await h.open('comparison', 'light');
    try {
      await w.waitFor((m) => m.type === 'ready');
      await w.push({ type: 'init', view: 'comparison', state: { ...state, volume: { batch: 2, spatial: [8, 8] } } });
      await w.page.waitForSelector('[data-testid="slice-viewer"]:not([hidden])');
      assert.equal(await w.page.isVisible('[data-testid="slice-batch"]'), true);
      assert.equal(await w.page.isVisible('[data-testid="slice-axis"]'), false);
      assert.equal(await w.page.isVisible('[data-testid="slice-index-field"]'), false);
    } finally {
      await w.close();
    }
  });

  test('changing ε sends one debounced recompute, and the answer re-renders everything', async () => {
    const since = v.posted.length;
    const input = v.page.locator('[data-testid="opt-labelSmoothing"] input');
    await input.click();
    await input.press('Control+A');
    await input.pressSequentially('0.2', { delay: 40 });
    const req = await v.nextRequest('recompute', since);
    assert.equal(req.params.options.labelSmoothing, 0.2);
    assert.equal(req.params.options.loss, 'dicece');
    assert.equal(req.params.options.toOnehotY, true);
    // Nothing else follows the one request (the debounce swallowed the intermediate keystrokes).
    await v.page.waitForTimeout(600);
    assert.equal(v.requests('recompute', since).length, 1);
    assert.equal(await v.page.getAttribute('[data-testid="busy"]', 'data-busy'), 'true');

    const next = sampleState({ ...DEMO_OPTIONS, labelSmoothing: 0.2 });
    assert.notEqual(next.report.loss.ce, r.loss.ce);
    await v.respond(req.id, next);
    await v.page.waitForFunction((want) => document.querySelector('[data-testid="summary-ce"]')?.getAttribute('data-value') === want, String(next.report.loss.ce));
    await expectTableMatches(v, next);
    assert.equal(await value(v, 'summary-floor'), next.report.floor);
    assert.equal(await v.page.getAttribute('[data-testid="busy"]', 'data-busy'), 'false');
    const saved = (await v.savedState()) as PersistedComparison;
    assert.equal(saved.view, 'comparison');
    assert.equal(saved.options.labelSmoothing, 0.2);
    assert.equal(saved.logits.label, 'logits.npy');
    // The CE map depends on the options: the viewer asks for its slice again.
    const again = await v.nextRequest('slice', since);
    await v.respond(again.id, sampleSlice(next.options, again.params));

    // A pushed update (e.g. settings changed on the host) re-renders as well, and the controls follow it.
    const pushed = sampleState({ ...DEMO_OPTIONS, labelSmoothing: 0.05, loss: 'dicece' });
    const beforePush = v.posted.length;
    await v.push({ type: 'update', state: pushed });
    await v.page.waitForFunction((want) => document.querySelector('[data-testid="summary-ce"]')?.getAttribute('data-value') === want, String(pushed.report.loss.ce));
    await expectTableMatches(v, pushed);
    assert.equal(await v.page.locator('[data-testid="opt-labelSmoothing"]').evaluate((e) => (e as HTMLInputElement).value), '0.05');
    const slice = await v.nextRequest('slice', beforePush);
    await v.respond(slice.id, sampleSlice(pushed.options, slice.params));
  });

  test('a checkbox change recomputes; a rejected recompute is shown', async () => {
    const since = v.posted.length;
    await v.page.click('[data-testid="opt-squaredPred"]');
    const req = await v.nextRequest('recompute', since);
    assert.equal(req.params.options.squaredPred, true);
    await v.respondError(req.id, 'weight: expected 4 values, got 3');
    await v.page.waitForFunction(() => document.querySelector('[data-testid="options-error"]')?.textContent?.includes('expected 4 values'));
    // An invalid number is flagged in place and not sent.
    const before = v.posted.length;
    const nr = v.page.locator('[data-testid="opt-smoothNr"] input');
    await nr.fill('abc');
    await v.page.waitForTimeout(400);
    assert.equal(v.requests('recompute', before).length, 0);
    assert.equal(await v.page.locator('[data-testid="opt-smoothNr"]').evaluate((e) => e.classList.contains('is-invalid')), true);
    await nr.fill('1e-5');
    const ok = await v.nextRequest('recompute', before);
    assert.equal(ok.params.options.smoothNr, 1e-5);
    await v.respond(ok.id, state);
    await v.page.waitForFunction((want) => document.querySelector('[data-testid="summary-ce"]')?.getAttribute('data-value') === want, String(state.report.loss.ce));
    const slice = await v.nextRequest('slice', before);
    await v.respond(slice.id, sampleSlice(state.options, slice.params));
    await v.page.waitForSelector('[data-testid="slice-viewer"]:not(.is-loading)');
  });

  test('a notice from the host is shown and can be dismissed', async () => {
    await v.push({ type: 'notice', level: 'warning', message: 'labels.npy changed on disk; recomputed.' });
    await v.page.waitForSelector('[data-testid="notice"][data-level="warning"]');
    await v.page.click('[data-testid="notice-dismiss"]');
    assert.equal(await v.page.locator('[data-testid="notice"]').count(), 0);
  });

  test('screenshots in dark, light and high contrast; charts follow the theme', async () => {
    // Back to the middle slice (the organs are there) for the pictures.
    const since = v.posted.length;
    await v.page.$eval('[data-testid="slice-index-range"]', (e) => {
      const input = e as HTMLInputElement;
      input.value = '8';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const slice = await v.nextRequest('slice', since);
    await v.respond(slice.id, sampleSlice(state.options, slice.params));
    await v.page.waitForSelector('[data-testid="slice-viewer"][data-drawn="0/2/8/smoothed"]:not(.is-loading)');
    await v.page.locator('[data-testid="export-status"]').evaluate((e) => (e.textContent = ''));
    await v.screenshot('comparison-dark');
    await v.setTheme('light');
    // Light theme: the hard series becomes #1a85ff, and the dark blue is gone.
    await v.page.waitForFunction(() => true);
    assert.equal(await v.canvasHasColor('chart-ce-bars-canvas', [0x1a, 0x85, 0xff]), true);
    assert.equal(await v.canvasHasColor('chart-ce-bars-canvas', [0x37, 0x94, 0xff]), false);
    await v.screenshot('comparison-light');
    await v.setTheme('high-contrast');
    await v.screenshot('comparison-high-contrast');
    await v.setTheme('dark');
  });

  test('readable at a narrow width', async () => {
    await v.page.setViewportSize({ width: 420, height: 900 });
    await v.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const overflow = await v.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal page scroll at 420 px (overflow ${overflow} px)`);
    await v.screenshot('comparison-narrow');
    await v.page.setViewportSize({ width: 1280, height: 900 });
  });

  test('an error before the first state replaces the waiting text; a later init still renders', async () => {
    const w = await h.open('comparison', 'light');
    try {
      await w.waitFor((m) => m.type === 'ready');
      assert.equal(await w.page.textContent('[data-testid="waiting"]'), 'Waiting for the extension…');
      const message = "hostile.pt: refuse to unpickle: 'posix.system' is not an allowed global (data.pkl, byte 184)";
      // Sent when the read fails and again when the view says ready: one error, in the waiting text's place.
      await w.push({ type: 'notice', level: 'error', message });
      await w.push({ type: 'notice', level: 'error', message });
      const alert = w.page.locator('[role="alert"][data-testid="load-error"]');
      await alert.waitFor({ state: 'visible' });
      assert.equal(await alert.count(), 1);
      assert.equal(await w.page.textContent('[data-testid="load-error-text"]'), message);
      assert.equal(await w.page.locator('[data-testid="waiting"]').count(), 0);
      // A warning before the state is a banner beside it.
      await w.push({ type: 'notice', level: 'warning', message: 'labels.npy: 3 values outside [0, 4) are ignored' });
      await w.page.waitForSelector('[data-testid="notices"] [data-testid="notice"][data-level="warning"]');
      await w.screenshot('comparison-load-error');
      assert.deepEqual(await w.cspViolations(), []);

      await w.push({ type: 'init', view: 'comparison', state });
      await w.page.waitForSelector('[data-testid="class-table"] [data-testid="class-row-3"]');
      assert.equal(await w.page.locator('[data-testid="load-error"]').count(), 0);
      assert.equal(await value(w, 'summary-total'), r.loss.total);
      assert.equal(await w.page.locator('[data-testid="notice"][data-level="warning"]').count(), 1, 'the banner stays after init');
      // The slice viewer asks for its slice once a state is shown.
      const slice = await w.nextRequest('slice');
      await w.respond(slice.id, sampleSlice(state.options, slice.params));
      await w.page.waitForSelector('[data-testid="slice-viewer"]:not(.is-loading)');
      assert.deepEqual(await w.cspViolations(), []);
      assert.deepEqual(w.errorLogs(), []);
      assert.deepEqual(w.consoleErrors, []);
      assert.deepEqual(w.pageErrors, []);
    } finally {
      await w.close();
    }
  });

  test('no CSP violation, no console error, no error logged to the host', async () => {
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });
});
