/**
 * *Inspect with these settings…* end to end in a real VS Code (code-server, the production .vsix), on a copy
 * of demo/ holding the analysis's fixture training script: inside the extension host (inspectSuite.ts: every
 * call's payload, a panel of its own, a file's C from its comparison), and through the UI — the CodeLens of a
 * call whose weights come from `torch.load` opens a comparison whose banner names exactly that, whose heading
 * says its numbers are for the options shown, and whose numbers equal the CLI's with those options.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { installedExtensionDir, startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { bundleHostTests, runInExtensionHost } from './helpers/extensionHost';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, expectedValues, waitForValues } from './helpers/comparison';
import { openWorkbench, pickQuickItem, quickOpen, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';

const EXTENSION_ID = 'loss-inspector.loss-inspector';

let scratch = '';
let ui: RunningServer | undefined;
let driver: RunningServer | undefined;
let browser: Browser | undefined;
let workspaces = 0;

/** A fresh copy of demo/ with the fixture training script and two scripts that state no class count. */
function workspace(): string {
  const dir = join(scratch, `ws${++workspaces}`, 'demo');
  cpSync(join(repoRoot, 'demo'), dir, { recursive: true });
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'python', 'inspect_train.py'), join(dir, 'inspect_train.py'));
  writeFileSync(join(dir, 'no_count.py'), 'import torch.nn as nn\n\nce = nn.CrossEntropyLoss(label_smoothing=0.1)\n');
  writeFileSync(join(dir, 'no_count_either.py'), 'import torch.nn as nn\n\nce = nn.CrossEntropyLoss(label_smoothing=0.2)\n');
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

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-inspect-'));
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  [ui, driver] = await Promise.all([
    startServer({ install: inst, vsix: [vsix.path], parentDir: scratch }),
    startServer({ install: inst, vsix: [vsix.path], parentDir: scratch, smokeTestDriver: true }),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([ui?.stop(), driver?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

test('inside the extension host: each call’s Inspect payload, a panel of its own, C from the file’s comparison', async () => {
  assert.ok(driver);
  const entry = await bundleHostTests('inspectSuite', scratch);
  const r = await withPage((page) =>
    runInExtensionHost(page, driver!, { folder: workspace(), extensionDevelopmentPath: installedExtensionDir(driver!, EXTENSION_ID), extensionTestsPath: entry, timeoutMs: 300_000 }),
  );
  for (const l of r.lines) console.log(`# ehost inspectSuite: ${l}`);
  const problems = r.failed.map((f) => `${f.name}: ${f.message}`);
  if (!r.lines.some((l) => l.startsWith('done '))) problems.push(`the run never finished; last console lines:\n${r.console.slice(-25).join('\n')}`);
  if (r.exitCode !== 0) problems.push(`codeAutomationExit(${r.exitCode})`);
  if (r.passed.length !== 4) problems.push(`${r.passed.length} of 4 tests passed`);
  assert.deepEqual(problems, [], `extension-host tests failed:\n  ${problems.join('\n  ')}`);
});

test('the UI: Inspect on `weight=class_weights` shows "not applied: weight", the heading and the CLI’s numbers; on `label_smoothing=1.5`, torch’s error', async () => {
  assert.ok(ui);
  const report = cliReport(['demo/data/logits.npy', 'demo/data/labels.npy', '--loss', 'ce', '--ignore-index', '255', '--label-smoothing', '0.1']);
  const t0 = Date.now();
  await withPage(async (page) => {
    const sc = new Scenario('inspect-not-applied', page);
    await sc.step('open the workbench on a copy of demo/ with inspect_train.py', () => openWorkbench(page, ui!.url, workspace()));
    await sc.step('open inspect_train.py', () => quickOpen(page, 'inspect_train.py'));
    const lens = await sc.step('the second call’s CodeLens (line 17, weight=class_weights)', async () => {
      const decos = page.locator('.monaco-editor .codelens-decoration', { hasText: 'Inspect with these settings…' });
      await decos.nth(7).waitFor({ timeout: 30_000 });
      // One decoration per line; order them by their place on screen (the DOM order is not the line order).
      const boxes = await decos.evaluateAll((l) => l.map((e, i) => ({ i, y: e.getBoundingClientRect().top })));
      boxes.sort((a, b) => a.y - b.y);
      return decos.nth(boxes[1]!.i);
    });
    await sc.step('click its "Inspect with these settings…"', () => lens.locator('a', { hasText: 'Inspect with these settings…' }).click());
    await sc.step('pick the proposed pair logits.npy ↔ labels.npy', () => pickQuickItem(page, 'logits.npy ↔ labels.npy'));
    const frame = await sc.step('the comparison opens with the banner', () => webviewFrame(page, '[data-testid="inspect-banner"]', 30_000));
    await sc.step('the banner names the call and exactly what was not applied', async () => {
      assert.equal(await frame.locator('[data-testid="inspect-source"]').textContent(), 'Options of the loss call at inspect_train.py:17. The numbers below are for the options shown, not what training sees:');
      assert.deepEqual(await frame.locator('[data-testid="inspect-note"]').allTextContents(), ['not applied: weight (`class_weights`, not a literal)']);
      assert.equal(await frame.locator('[data-testid="summary-title"]').textContent(), 'For the options shown — not what training sees');
    });
    await sc.step('its numbers equal the CLI report with the options shown (ce, ignore_index 255, ε 0.1)', async () => {
      const r = await waitForValues(frame, expectedValues(report));
      assert.deepEqual(r.problems, [], `webview ≠ CLI:\n  ${r.problems.join('\n  ')}`);
    });
    await sc.shot('inspect-banner');

    await sc.step('back to inspect_train.py', () => page.locator('.tabs-container .tab[data-resource-name="inspect_train.py"]').click());
    const invalidLens = await sc.step('the fourth call’s CodeLens (line 19, label_smoothing=1.5)', async () => {
      const decos = page.locator('.monaco-editor .codelens-decoration', { hasText: 'Inspect with these settings…' });
      await decos.nth(7).waitFor({ timeout: 30_000 });
      const boxes = await decos.evaluateAll((l) => l.map((e, i) => ({ i, y: e.getBoundingClientRect().top })));
      boxes.sort((a, b) => a.y - b.y);
      const deco = decos.nth(boxes[3]!.i);
      assert.match((await deco.textContent()) ?? '', /ε 1\.5 \(outside \[0, 1\]\)/);
      return deco;
    });
    await sc.step('click its "Inspect with these settings…" and pick the same pair', async () => {
      await invalidLens.locator('a', { hasText: 'Inspect with these settings…' }).click();
      await pickQuickItem(page, 'logits.npy ↔ labels.npy');
    });
    const errorFrame = await sc.step('a panel of its own shows torch’s error instead of numbers', () => webviewFrame(page, '[data-testid="load-error"]', 30_000));
    await sc.step('the error names the call, the value and torch’s message; no table', async () => {
      const text = (await errorFrame.locator('[data-testid="load-error-text"]').textContent()) ?? '';
      assert.equal(
        text,
        'Not computed: the loss call at inspect_train.py:19 has a value torch rejects when it runs — label_smoothing=1.5: torch raises "label_smoothing must be between 0.0 and 1.0. Got: 1.5". Fix the code and inspect again.',
      );
      assert.equal(await errorFrame.locator('[data-testid="class-table"]').count(), 0);
    });
    await sc.shot('inspect-invalid');
    await sc.finish();
  });
  recordMetric('scenario:inspect-not-applied', Date.now() - t0, 'ms');
});
