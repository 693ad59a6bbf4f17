/**
 * Pairs that do not compute yet, end to end in a real VS Code (code-server, the production .vsix), on a copy of
 * test/fixtures/open (made by its make.py): a 2-D segmentation whose labels hold 255, a Git LFS pointer beside
 * its logits, and a text file with a `.pt` name.
 * - The 255-void pair: the quick pick shows workspace-relative rows with dtypes and shapes and never offers the
 *   pointer or the text file; the comparison opens with the problem in place (no toast), and "Set ignore_index
 *   = 255" recomputes it to the CLI's numbers (and torch's, from expected.json).
 * - The LFS pointer: the tensor editor says once what it is and what to run, and *Open as Text* opens it; step 2
 *   of the picker shows shapes and leaves the pointer out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { Scenario, repoRoot } from './helpers/scenario';
import { cliReport, expectedValues, waitForValues } from './helpers/comparison';
import { notificationTexts, openWorkbench, pickQuickItem, quickInput, quickOpen, quickPickLabels, runCommand, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';

const fixtures = join(repoRoot, 'test', 'fixtures', 'open');
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as { ce_ignore255: number; voidCount: number; total: number };

let scratch = '';
let ui: RunningServer | undefined;
let browser: Browser | undefined;
let workspaces = 0;

function workspace(): string {
  const dir = join(scratch, `ws${++workspaces}`, 'open');
  cpSync(fixtures, dir, { recursive: true });
  return dir;
}

async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  assert.ok(browser, 'the browser did not start');
  const page = await browser.context.newPage();
  try {
    return await fn(page);
  } finally {
    await page.close().catch(() => {});
  }
}

/** The rows of the picker's step `step` (`1/2`, `2/2`): label and description, as shown. */
async function rows(page: Page, step: '1/2' | '2/2'): Promise<string[]> {
  await quickInput(page).locator('.quick-input-title', { hasText: `(${step})` }).waitFor({ timeout: 20_000 });
  await quickInput(page).locator('.monaco-list-row').first().waitFor({ timeout: 20_000 });
  return quickPickLabels(page);
}

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-open-'));
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  ui = await startServer({ install: inst, vsix: [vsix.path], parentDir: scratch });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ui?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

test('a 255-void pair opens with the problem in place, and "Set ignore_index = 255" fixes it to the CLI’s numbers', async () => {
  assert.ok(ui);
  const ws = workspace();
  const report = cliReport([join(ws, 'void255', 'logits.npy'), join(ws, 'void255', 'labels.npy'), '--loss', 'ce', '--ignore-index', '255', '--to-onehot-y']);
  assert.ok(Math.abs(report.loss.total - expected.ce_ignore255) <= 1e-5 * expected.ce_ignore255, `CLI ${report.loss.total} vs torch ${expected.ce_ignore255}`);
  await withPage(async (page) => {
    const sc = new Scenario('open-void255', page);
    await sc.step('open the workbench on the fixtures', () => openWorkbench(page, ui!.url, ws));
    await sc.step('run Compare Losses…', () => runCommand(page, 'Loss Inspector: Compare Losses…'));
    const listed = await sc.step('step 1 lists pairs and files with dtypes and shapes, workspace-relative', async () => {
      const r = await rows(page, '1/2');
      const pair = r.find((x) => x.includes('logits.npy ↔ labels.npy'));
      assert.ok(pair, `no proposed void255 pair among ${JSON.stringify(r)}`);
      assert.match(pair, /float32 · 1×5×16×16 ↔ int64 · 1×16×16/);
      assert.match(pair, /void255/);
      assert.ok(r.some((x) => /seg_logits\.npy.*float32 · 1×5×16×16/.test(x)), 'a file row with its shape');
      for (const x of r) {
        assert.ok(!x.includes(scratch), `an absolute path in ${x}`);
        assert.ok(!/seg\.pt|notes\.pt/.test(x), `a file that is no tensor file is offered: ${x}`);
      }
      return r;
    });
    await sc.shot('picker-step1');
    console.log(`# step 1 rows: ${listed.length}`);
    await sc.step('pick the proposed pair', () => pickQuickItem(page, /logits\.npy ↔ labels\.npy/));
    const frame = await sc.step('the comparison opens with the problem in place', () => webviewFrame(page, '[data-testid="problem"]:not([hidden])', 30_000));
    await sc.step('it names 255 and offers ignore_index = 255; no error toast', async () => {
      assert.match((await frame.locator('[data-testid="problem-message"]').textContent()) ?? '', /class index 255 outside \[0, 5\)/);
      assert.equal(await frame.locator('[data-testid="problem-fix-0"]').textContent(), 'Set ignore_index = 255');
      assert.match((await frame.locator('[data-testid="problem-fix-detail-0"]').textContent()) ?? '', new RegExp(`${expected.voidCount} of ${expected.total} target positions hold 255`));
      const toasts = await notificationTexts(page);
      assert.ok(!toasts.some((t) => /255|Comparing/.test(t)), `error toast: ${JSON.stringify(toasts)}`);
      // The options are there to edit.
      assert.ok((await frame.locator('[data-testid="opt-loss"]').count()) === 1);
    });
    await sc.shot('problem');
    await sc.step('click "Set ignore_index = 255"', () => frame.locator('[data-testid="problem-fix-0"]').click());
    await sc.step('the numbers equal the CLI’s with ignore_index 255 (and torch’s within 1e-5)', async () => {
      const r = await waitForValues(frame, expectedValues(report), 30_000);
      assert.deepEqual(r.problems, [], `webview ≠ CLI:\n  ${r.problems.join('\n  ')}`);
      assert.equal(await frame.locator('[data-testid="problem"]').isVisible(), false, 'the problem is gone');
      assert.equal(await frame.locator('[data-testid="opt-ignoreIndex"]').evaluate((e) => (e as HTMLInputElement).value), '255');
    });
    await sc.finish();
  });
});

test('a Git LFS pointer: named once in its editor with Open as Text; the picker’s step 2 shows shapes and leaves it out', async () => {
  assert.ok(ui);
  const ws = workspace();
  await withPage(async (page) => {
    const sc = new Scenario('open-lfs-pointer', page);
    await sc.step('open the workbench on the fixtures', () => openWorkbench(page, ui!.url, ws));
    await sc.step('open lfs/seg.pt', () => quickOpen(page, 'lfs/seg.pt'));
    const frame = await sc.step('the tensor editor names the LFS pointer and what to run', () => webviewFrame(page, '[data-testid="load-error"]', 30_000));
    await sc.step('shown once, in the editor, not also as a toast', async () => {
      const texts = await frame.locator('[data-testid="load-error-text"]').allTextContents();
      assert.deepEqual(texts, ['seg.pt: this is a Git LFS pointer, not the tensor (the real file has 1,048,704 bytes): run `git lfs pull` to fetch it']);
      await page.waitForTimeout(1000);
      const toasts = await notificationTexts(page);
      assert.ok(!toasts.some((t) => /LFS|seg\.pt/.test(t)), `a toast repeats the error: ${JSON.stringify(toasts)}`);
    });
    await sc.shot('editor');
    await sc.step('Open as Text shows the pointer’s text', async () => {
      await frame.locator('[data-testid="open-as-text"]').click();
      await page.locator('.monaco-editor .view-lines', { hasText: 'git-lfs.github.com/spec/v1' }).first().waitFor({ timeout: 20_000 });
    });
    await sc.shot('as-text');
    await sc.step('run Compare Losses… and pick seg_logits.npy as the logits', async () => {
      await runCommand(page, 'Loss Inspector: Compare Losses…');
      const r = await rows(page, '1/2');
      assert.ok(!r.some((x) => x.includes('seg.pt')), `the pointer is offered: ${JSON.stringify(r)}`);
      const row = quickInput(page).locator('.monaco-list-row').filter({ hasText: /seg_logits\.npy/ }).filter({ hasNotText: '↔' }).first();
      await row.click();
    });
    await sc.step('step 2 lists targets with dtypes and shapes, without the pointer', async () => {
      const r = await rows(page, '2/2');
      assert.ok(r.some((x) => /labels\.npy.*int64 · 1×16×16/.test(x)), `no shapes in step 2: ${JSON.stringify(r)}`);
      assert.ok(!r.some((x) => /seg\.pt|notes\.pt/.test(x)), `step 2 offers a file that is no tensor file: ${JSON.stringify(r)}`);
      assert.ok(!r.some((x) => x.includes(scratch)), 'an absolute path in step 2');
    });
    await sc.shot('picker-step2');
    await page.keyboard.press('Escape');
    await sc.finish();
  });
});
