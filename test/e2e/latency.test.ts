/**
 * How quick the extension answers, measured in a real VS Code (code-server + headless Chromium, the production
 * .vsix) on a 2×14×96³ pair generated here (float32 logits, a 94.5 MiB .npy, and int64 labels): pick → per-class
 * table, ε change → table, the 94.5 MiB .npy → statistics in the tensor editor, and the extension's activation
 * time as VS Code reports it (Developer: Show Running Extensions). Each is one warm-up, then the median of 5 with
 * the worker running ("warm worker": every pick opens a fresh panel on the pair the worker still holds — the
 * first, cold pick is recorded on its own — and the .npy's mtime is bumped before each tensor-editor open so that
 * the worker reads it again). The figures go to `.test-artifacts/e2e/timings.json` and are printed;
 * the targets (700, 300, 700, 50 ms) are recorded beside them, not asserted: wall-clock time depends on the machine.
 * What is asserted: every step reaches its result, and no progress notification is left once a result shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { openWorkbench, quickInput, runCommand } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';
import { npyBytes } from '../unit/helpers/npyWrite';
import { normal, rng } from '../unit/helpers/random';

const B = 2;
const C = 14;
const SIDE = 96;
const REPS = 5;
/** The targets the figures are held to (recorded, not asserted). */
const TARGETS = { pick: 700, eps: 300, stats: 700, activation: 50 };

let scratch = '';
let folder = '';
let logitsPath = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;

/** Float32 logits (B, C, 96³) leaning towards int64 labels (B, 1, 96³): the two .npy files of the pair. */
function writeVolumePair(dir: string): void {
  const r = rng(1806);
  const S = SIDE ** 3;
  const labels = new BigInt64Array(B * S);
  const logits = new Float32Array(B * C * S);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      // blocky regions, as a segmentation has, with some noise in the labels
      const z = Math.floor(s / (SIDE * SIDE));
      const y = Math.floor(s / SIDE) % SIDE;
      const x = s % SIDE;
      const region = (Math.floor(z / 24) * 7 + Math.floor(y / 24) * 3 + Math.floor(x / 32) + b) % C;
      const lab = r() < 0.1 ? Math.floor(r() * C) : region;
      labels[b * S + s] = BigInt(lab);
      for (let c = 0; c < C; c++) logits[(b * C + c) * S + s] = normal(r) + (c === region ? 3 : 0);
    }
  }
  logitsPath = join(dir, 'vol_logits.npy');
  writeFileSync(logitsPath, npyBytes('float32', [B, C, SIDE, SIDE, SIDE], logits));
  writeFileSync(join(dir, 'vol_labels.npy'), npyBytes('int64', [B, 1, SIDE, SIDE, SIDE], labels));
}

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-latency-'));
  folder = join(scratch, 'ws');
  mkdirSync(join(folder, 'vol'), { recursive: true });
  mkdirSync(join(folder, '.vscode'));
  // DiceCELoss as a segmentation run configures it (label map → to_onehot_y, softmax), ε 0.1
  writeFileSync(
    join(folder, '.vscode', 'settings.json'),
    JSON.stringify({ 'lossInspector.loss': 'dicece', 'lossInspector.toOnehotY': true, 'lossInspector.softmax': true, 'lossInspector.labelSmoothing': 0.1 }, null, 2),
  );
  writeVolumePair(join(folder, 'vol'));
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function record(name: string, samples: number[], target: number): number {
  const m = median(samples);
  recordMetric(`latency: ${name} (median of ${samples.length}, target ≤ ${target} ms)`, m, 'ms');
  console.log(`# ${name}: ${samples.map((x) => x.toFixed(0)).join(', ')} ms`);
  return m;
}

/** Polls every webview frame (tightly: this is a timing) until one holds `selector`; returns it. */
async function frameWith(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try {
        if (await f.$(selector)) return f;
      } catch {
        /* frame navigated or detached meanwhile */
      }
    }
    if (Date.now() > deadline) throw new Error(`no webview shows '${selector}' after ${timeoutMs} ms`);
    await page.waitForTimeout(10);
  }
}

/** Progress toasts of ours still on screen. */
async function ourProgressToasts(page: Page): Promise<string[]> {
  const texts = await page.locator('.notifications-toasts .notification-list-item').allTextContents();
  return texts.map((t) => t.trim()).filter((t) => /Loss Inspector/.test(t) && !/error|could not|failed/i.test(t));
}

/**
 * In the comparison view: sets ε on the slider as a drag does (an input event) and resolves with the ms until the
 * view rendered a new state at that ε with its per-class table. A string, so that the test's transpiler adds
 * nothing the page lacks.
 */
const EPS_IN_PAGE = `function (value, last) {
  return new Promise(function (resolve, reject) {
    function rendered() { var e = document.querySelector('[data-rendered]'); return Number(e ? e.dataset.rendered : 0); }
    var before = rendered();
    var range = document.querySelector('[data-testid="opt-labelSmoothing-range"]');
    if (!range) return reject(new Error('no ε slider'));
    var t0 = performance.now();
    range.value = String(value);
    range.dispatchEvent(new Event('input', { bubbles: true }));
    function poll() {
      var el = document.querySelector('[data-testid="summary-config"]');
      var config = el ? el.textContent : '';
      if (rendered() > before && config.indexOf('ε = ' + value) >= 0 && document.querySelector('[data-testid="class-row-' + last + '"]')) return resolve(performance.now() - t0);
      if (performance.now() - t0 > 30000) return reject(new Error('the table did not show ε = ' + value + '; summary says ' + config));
      requestAnimationFrame(poll);
    }
    requestAnimationFrame(poll);
  });
}`;

async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
}

test('latency on a 2×14×96³ pair: pick → table, ε → table, 94.5 MiB .npy → statistics, activation (median of 5)', async () => {
  assert.ok(server && browser);
  const page = await browser.context.newPage();
  const sc = new Scenario('latency', page);
  const results: Record<string, number> = {};
  try {
    await sc.step('open the workbench on the generated 2×14×96³ pair', () => openWorkbench(page, server!.url, folder));

    // pick → per-class table: from the click on the proposed pair to the table's last class row
    const pick: number[] = [];
    let frame: Frame | undefined;
    for (let rep = 0; rep <= REPS; rep++) {
      await sc.step(`pick ${rep}: run Compare Losses…`, () => runCommand(page, 'Loss Inspector: Compare Losses…'));
      // the proposed pair, filtered to the one row and highlighted: Enter picks it (a click's actionability
      // checks would add their own time to the measure)
      const row = quickInput(page).locator('.monaco-list-row.focused').filter({ hasText: /vol_logits\.npy ↔ .*vol_labels\.npy/ });
      await sc.step(`pick ${rep}: the pair is proposed`, async () => {
        await quickInput(page).locator('input').fill('↔ vol_labels');
        await row.waitFor({ timeout: 30_000 });
      });
      const t0 = Date.now();
      await page.keyboard.press('Enter');
      frame = await sc.step(`pick ${rep}: the per-class table shows class ${C - 1}`, () => frameWith(page, `[data-testid="class-row-${C - 1}"]`));
      const ms = Date.now() - t0;
      if (rep > 0) pick.push(ms);
      // the warm-up pick is the first read of the pair (the worker then keeps it while a view uses it, and 20 s after)
      else recordMetric('latency: pick → per-class table, first pick (reads the pair)', ms, 'ms');
      assert.deepEqual(await ourProgressToasts(page), [], `pick ${rep}: no progress notification outlives the result`);
      if (rep < REPS) await closeAllEditors(page);
    }
    results.pick = record('pick → per-class table', pick, TARGETS.pick);
    await sc.shot('table');

    // ε change → table: in the page, from the slider's input event to the table rendered at the new ε
    const eps: number[] = [];
    const values = [0.05, 0.15, 0.2, 0.25, 0.3, 0.35];
    for (let rep = 0; rep <= REPS; rep++) {
      const value = values[rep]!;
      const ms = await sc.step(`ε ${value}: the table follows`, () =>
        frame!.evaluate(`(${EPS_IN_PAGE})(${value}, ${C - 1})`) as Promise<number>,
      );
      if (rep > 0) eps.push(ms);
    }
    results.eps = record('ε change → table', eps, TARGETS.eps);
    assert.deepEqual(await ourProgressToasts(page), [], 'no progress notification outlives the ε results');

    // the 94.5 MiB .npy → statistics in the tensor editor (read again each time: its mtime changes)
    await closeAllEditors(page);
    const stats: number[] = [];
    for (let rep = 0; rep <= REPS; rep++) {
      const when = new Date(Date.now() - (REPS - rep + 1) * 60_000);
      utimesSync(logitsPath, when, when);
      await page.keyboard.press('Control+P');
      const box = quickInput(page).locator('input');
      await box.waitFor({ timeout: 10_000 });
      await box.fill('vol/vol_logits.npy');
      await quickInput(page).locator('.monaco-list-row').filter({ hasText: 'vol_logits.npy' }).first().waitFor({ timeout: 15_000 });
      const t0 = Date.now();
      await page.keyboard.press('Enter');
      await sc.step(`statistics ${rep}: the tensor editor shows the mean`, () => frameWith(page, '[data-testid="tensor-mean-0"][data-value]'));
      const ms = Date.now() - t0;
      if (rep > 0) stats.push(ms);
      assert.deepEqual(await ourProgressToasts(page), [], `statistics ${rep}: no progress notification outlives the result`);
      await closeAllEditors(page);
    }
    results.stats = record('94.5 MiB .npy → statistics', stats, TARGETS.stats);

    // activation, as VS Code reports it (code loading + activate()), in this window and after 4 reloads
    const activation: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      if (rep > 0) {
        await sc.step(`activation ${rep}: reload the window`, async () => {
          // listening before the command: a quick reload can fire `load` before runCommand returns
          const loaded = page.waitForEvent('load', { timeout: 60_000 });
          await runCommand(page, 'Developer: Reload Window');
          await loaded;
          await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
        });
        await sc.step(`activation ${rep}: run Loss Inspector: Show Output (activates the extension)`, () => runCommand(page, 'Loss Inspector: Show Output'));
      }
      await sc.step(`activation ${rep}: Developer: Show Running Extensions`, () => runCommand(page, 'Developer: Show Running Extensions'));
      const text = await sc.step(`activation ${rep}: read the activation time`, async () => {
        const cell = page.locator('.runtime-extensions-editor .extension').filter({ hasText: 'Loss Inspector' }).locator('.activation-time').first();
        await cell.waitFor({ timeout: 20_000 });
        for (let i = 0; i < 100; i++) {
          const t = (await cell.textContent()) ?? '';
          if (/\d+\s*ms/.test(t)) return t;
          await page.waitForTimeout(100);
        }
        throw new Error('no activation time shown');
      });
      activation.push(Number(/(\d+)\s*ms/.exec(text)![1]));
      console.log(`# activation ${rep}: ${activation[rep]} ms`);
      // Running Extensions opens as a modal editor: close it before the next command
      await page.keyboard.press('Escape');
      await page.locator('.runtime-extensions-editor').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    }
    results.activation = record('activation', activation, TARGETS.activation);
    await sc.finish();
    console.log(
      `# latency (median of ${REPS}): pick → table ${results.pick!.toFixed(0)} ms (target ${TARGETS.pick}), ε → table ${results.eps!.toFixed(0)} ms ` +
        `(target ${TARGETS.eps}), .npy → statistics ${results.stats!.toFixed(0)} ms (target ${TARGETS.stats}), activation ${results.activation!.toFixed(0)} ms (target ${TARGETS.activation})`,
    );
  } finally {
    await page.close().catch(() => {});
  }
});
