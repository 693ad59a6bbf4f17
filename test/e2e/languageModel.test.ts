/**
 * A language model's pair in a real VS Code (code-server + headless Chromium, the production .vsix): (2, 512, 32000)
 * bfloat16 logits in a .safetensors (65 MB, class axis last) and int64 (2, 512) labels with -100 on padding, the
 * workspace set to CE with the causal shift and ε 0.1, a classes.json of 32,000 token names beside them.
 * *Compare Losses…* → the proposed pair: the view shows the top classes with the rest summed, the per-position
 * chart, the per-sequence numbers and top-1/top-5, the most frequent confusions — every number equal to
 * `loss-inspect report --json` on the same files — and pages through all 32,000 classes. The time from the pick to
 * the rendered view is recorded (not asserted: wall-clock on a shared machine is not a test), after a first webview
 * (the tensor editor) so that the browser profile's one-time webview set-up is not counted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { selectClasses } from '../../src/engine/vocabulary';
import type { ClassReport, Report } from '../../src/engine/types';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, compareValues, shownValues } from './helpers/comparison';
import { openWorkbench, quickOpen, runCommand, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';
import { lmPairBytes } from '../unit/helpers/lmPair';

const B = 2;
const T = 512;
const V = 32000;
const FLAGS = ['--loss', 'ce', '--label-smoothing', '0.1', '--class-axis', '-1', '--shift-labels'];

let scratch = '';
let folder = '';
let logits = '';
let labels = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-lm-'));
  folder = join(scratch, 'lm');
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  const pair = lmPairBytes(B, T, V, 1404);
  logits = join(folder, 'lm_logits.safetensors');
  labels = join(folder, 'lm_labels.npy');
  writeFileSync(logits, pair.logits);
  writeFileSync(labels, pair.labels);
  // A tokenizer's vocabulary as class names beside the data: the view gets only those of the classes it shows.
  writeFileSync(join(folder, 'classes.json'), JSON.stringify(Array.from({ length: V }, (_, c) => `tok${c}`)));
  writeFileSync(
    join(folder, '.vscode', 'settings.json'),
    JSON.stringify({ 'lossInspector.loss': 'ce', 'lossInspector.labelSmoothing': 0.1, 'lossInspector.classAxis': -1, 'lossInspector.shiftLabels': true }, null, 2) + '\n',
  );
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  server = await startServer({ install: inst, vsix: [vsix.path], parentDir: scratch });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

type CliLm = Report & { perClass: ClassReport[] };

/** data-testid → value for the numbers the view shows of a language model's report, for the classes `shown`. */
function expected(r: CliLm, shown: readonly ClassReport[]): Map<string, number | null> {
  const m = new Map<string, number | null>();
  const d = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  for (const k of ['total', 'ce'] as const) {
    m.set(`summary-${k}`, r.loss[k]);
    m.set(`hard-${k}`, r.hard[k]);
    m.set(`smoothed-${k}`, r.smoothed![k]);
  }
  m.set('summary-floor', r.floor);
  m.set('ece', r.calibration!.ece);
  for (const c of shown) {
    m.set(`cell-count-${c.class}`, c.count);
    m.set(`cell-ceHard-${c.class}`, c.ceHard);
    m.set(`cell-ceSmoothed-${c.class}`, c.ceSmoothed);
    m.set(`cell-ceDelta-${c.class}`, d(c.ceSmoothed, c.ceHard));
    m.set(`cell-contribution-${c.class}`, c.contribution.total);
  }
  const s = r.sequence!;
  m.set('seq-top1', s.top1);
  m.set('seq-top5', s.top5);
  for (const p of s.perSequence!) {
    m.set(`seq-count-${p.index}`, p.count);
    m.set(`seq-hard-${p.index}`, p.hard);
    m.set(`seq-smoothed-${p.index}`, p.smoothed);
  }
  const worst = s.perPosition!.filter((p) => p.count > 0).reduce((w, p) => (p.hard! > w.hard! ? p : w));
  m.set('seq-worst-position', worst.hard);
  r.topConfusions!.forEach((c, i) => m.set(`confusion-count-${i}`, c.count));
  return m;
}

async function check(frame: Frame, want: Map<string, number | null>): Promise<{ compared: number; maxRelErr: number }> {
  const res = compareValues(await shownValues(frame), want);
  assert.deepEqual(res.problems, [], `webview ≠ CLI:\n  ${res.problems.join('\n  ')}`);
  return res;
}

test('a (2, 512, 32000) bfloat16 language-model pair: the view equals loss-inspect report --json, with the per-position chart and the paged class table', async () => {
  assert.ok(server && browser);
  const cli = cliReport([logits, labels, ...FLAGS]) as unknown as CliLm;
  assert.equal(cli.perClass.length, V);
  const sel = selectClasses(cli.perClass, 50);
  const page = await browser.context.newPage();
  try {
    const sc = new Scenario('language-model', page);
    await sc.step('open the workbench on a folder with lm_logits.safetensors and lm_labels.npy', () => openWorkbench(page, server!.url, folder));
    // A fresh browser profile installs the workbench's webview service worker with its first webview (~2 s here), which
    // a user's VS Code did long ago: the tensor editor on the labels opens first, so the timing below is the view's.
    await sc.step('open lm_labels.npy in the tensor editor (the first webview of this browser profile)', async () => {
      await quickOpen(page, 'lm_labels.npy');
      const f = await webviewFrame(page, '[data-testid="file-name"]', 30_000, /^lm_labels\.npy$/);
      await f.locator('[data-testid="tensor-row-0"]').waitFor({ timeout: 15_000 });
    });
    await sc.step('run "Loss Inspector: Compare Losses…"', () => runCommand(page, 'Loss Inspector: Compare Losses…'));
    const row = await sc.step('the proposed pair lm_logits.safetensors ↔ lm_labels.npy is listed', async () => {
      const r = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'lm_logits.safetensors ↔ lm_labels.npy' }).first();
      await r.waitFor({ timeout: 30_000 });
      return r;
    });
    const t0 = Date.now();
    await sc.step('pick it', () => row.click());
    // The panel's tab appears when the extension creates the webview (after reading the pair's listings).
    await page.locator('.tabs-container .tab', { hasText: 'lm_logits.safetensors' }).first().waitFor({ timeout: 30_000 });
    const tabMs = Date.now() - t0;
    const frame = await sc.step('the view renders: the top classes with the rest summed, and the per-position chart', async () => {
      const f = await webviewFrame(page, '[data-testid="class-row-rest"]', 60_000);
      await f.waitForFunction(() => {
        const c = document.querySelector<HTMLCanvasElement>('[data-testid="chart-positions-canvas"]');
        return c !== null && c.width > 0 && c.dataset.seriesColors !== undefined;
      }, undefined, { timeout: 30_000 });
      return f;
    });
    const renderMs = Date.now() - t0;
    recordMetric('language model: pick → rendered view (2×512×32000 bfloat16)', renderMs, 'ms');
    const timings = (await frame.locator('[data-testid="timings"]').textContent()) ?? '';
    // When the webview's document started (its clock is this machine's): what of the time is the workbench's.
    const frameStart = Math.round((await frame.evaluate(() => performance.timeOrigin)) - t0);
    console.log(`# language model: pick → panel tab ${tabMs} ms, → webview document ${frameStart} ms, → rendered ${renderMs} ms (${timings}; load average ${loadavg()[0]!.toFixed(1)})`);

    const first = await sc.step('its numbers equal the CLI report: summary, the top classes, the rest, per sequence, top-1/top-5, confusions', async () => {
      const shownClasses = (await frame.locator('[data-testid^="class-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-class')).filter((c) => c !== null))).map(Number);
      assert.deepEqual([...shownClasses].sort((a, b) => a - b), sel.shown.map((c) => c.class).sort((a, b) => a - b), 'the top 50 by count and by contribution');
      const res = await check(frame, expected(cli, sel.shown));
      const c = sel.shown[0]!.class;
      assert.equal(await frame.locator(`[data-testid="cell-class-${c}"] .class-name`).textContent(), `tok${c}`);
      assert.equal(Number(await frame.getAttribute('[data-testid="cell-count-rest"]', 'data-value')), sel.rest!.count);
      const rest = Number(await frame.getAttribute('[data-testid="cell-contribution-rest"]', 'data-value'));
      assert.ok(Math.abs(rest - sel.rest!.contribution) <= 1e-12 * Math.max(1, Math.abs(rest)), `rest contribution ${rest} vs ${sel.rest!.contribution}`);
      return res;
    });
    await sc.step('the per-position chart is drawn and the layout line names the shift', async () => {
      const painted = await frame.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('[data-testid="chart-positions-canvas"]')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      assert.ok(painted > 3000, `painted ${painted} px`);
      assert.match((await frame.locator('[data-testid="seq-layout"]').textContent()) ?? '', /^2 sequences × 511 scored positions \(causal shift/);
      assert.match((await frame.locator('[data-testid="hf-note"]').textContent()) ?? '', /the same number as torch's label_smoothing mean without weights/);
    });
    await sc.shot('top-classes');
    const paged = await sc.step('"Page through all 32 000 classes": classes 0–49, then 50–99, each equal to the CLI', async () => {
      await frame.locator('[data-testid="class-pages-open"]').click();
      await frame.locator('[data-testid="class-pager-status"][data-offset="0"]').waitFor({ timeout: 15_000 });
      const a = await check(frame, expected(cli, cli.perClass.slice(0, 50)));
      await frame.locator('[data-testid="class-page-next"]').click();
      await frame.locator('[data-testid="class-pager-status"][data-offset="50"]').waitFor({ timeout: 15_000 });
      const b = await check(frame, expected(cli, cli.perClass.slice(50, 100)));
      assert.equal(await frame.locator('[data-testid="cell-class-73"] .class-name').textContent(), 'tok73');
      assert.equal(await frame.locator('[data-testid="class-row-49"]').count(), 0);
      assert.match((await frame.locator('[data-testid="class-pager-status"]').textContent()) ?? '', /^Classes 51–100 of 32\u2009000/);
      return a.compared + b.compared;
    });
    console.log(`# language model: ${first.compared} + ${paged} numbers equal the CLI's (largest relative difference ${first.maxRelErr.toExponential(2)})`);
    await sc.finish();
  } finally {
    await page.close().catch(() => {});
  }
});
