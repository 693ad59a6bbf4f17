/**
 * Loss Inspector end to end, in a real VS Code: code-server (installed by the harness, cached) with the
 * production .vsix installed (`npm run package`, never the source tree), driven by headless Chromium on a
 * copy of the demo workspace. Every scenario gets its own copy of demo/ (so no editor state or file edit leaks
 * between them) and its own page; a failing step names itself and its screenshot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { installedExtensionDir, startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { bundleHostTests, runInExtensionHost } from './helpers/extensionHost';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, expectedValues, waitForValues } from './helpers/comparison';
import { openWorkbench, pickQuickItem, runCommand, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';

const EXTENSION_ID = 'loss-inspector.loss-inspector';

let scratch = '';
let vsixPath = '';
/** Plain server, as users run it (notification toasts show). */
let ui: RunningServer | undefined;
/** Server with the smoke-test driver, for tests inside the extension host. */
let driver: RunningServer | undefined;
let browser: Browser | undefined;
let workspaces = 0;

/** A fresh copy of demo/ for one scenario. */
function workspace(): string {
  const dir = join(scratch, `ws${++workspaces}`, 'demo');
  cpSync(join(repoRoot, 'demo'), dir, { recursive: true });
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
  // The CLI the scenarios compare against is the repository's own build (dist/cli.js).
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-'));
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  if (inst.installSeconds > 0) recordMetric('code-server install', inst.installSeconds * 1000, 'ms');
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  vsixPath = vsix.path;
  recordMetric('vsix size', vsix.bytes, 'bytes');
  [ui, driver] = await Promise.all([
    startServer({ install: inst, vsix: [vsixPath], parentDir: scratch }),
    startServer({ install: inst, vsix: [vsixPath], parentDir: scratch, smokeTestDriver: true }),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([ui?.stop(), driver?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

/**
 * Runs one extension-host suite in a fresh page (so a fresh extension host) of the driver server and returns
 * the problems found (empty when it passed).
 */
async function hostSuite(entryName: string, expectPassed: number): Promise<string[]> {
  assert.ok(driver);
  const entry = await bundleHostTests(entryName, scratch);
  const r = await withPage((page) =>
    runInExtensionHost(page, driver!, {
      folder: workspace(),
      extensionDevelopmentPath: installedExtensionDir(driver!, EXTENSION_ID),
      extensionTestsPath: entry,
      timeoutMs: 180_000,
    }),
  );
  for (const l of r.lines) console.log(`# ehost ${entryName}: ${l}`);
  for (const [name, m] of Object.entries(r.metrics)) recordMetric(`ehost ${name}`, m.value, m.unit);
  const problems = r.failed.map((f) => `${entryName} › ${f.name}: ${f.message}`);
  if (!r.lines.some((l) => l.startsWith('done '))) {
    problems.push(`${entryName}: the run never finished; last console lines:\n${r.console.slice(-25).join('\n')}`);
  }
  if (r.exitCode !== 0) problems.push(`${entryName}: codeAutomationExit(${r.exitCode})`);
  if (r.passed.length !== expectPassed) problems.push(`${entryName}: ${r.passed.length} of ${expectPassed} tests passed`);
  return problems;
}

test('6. extension-host tests: activation events, commands, settings, disposal on deactivate', async () => {
  const t0 = Date.now();
  const problems = [...(await hostSuite('lossInspectorSuite', 8)), ...(await hostSuite('lifecycleSuite', 3))];
  recordMetric('scenario:6-extension-host', Date.now() - t0, 'ms');
  assert.deepEqual(problems, [], `extension-host tests failed:\n  ${problems.join('\n  ')}`);
});

// ---------------------------------------------------------------------------------------------------------------
// UI scenarios

/** The demo's settings (demo/.vscode/settings.json) as CLI flags, so both sides compute the same thing. */
const DEMO_FLAGS = ['--loss', 'dicece', '--to-onehot-y', '--softmax'];

/** Collects CSP violations reported anywhere in the page (webview frames included). */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

/** Opens the workbench, runs Compare Losses… and picks the proposed logits.npy ↔ labels.npy pair. */
async function openComparisonFromPalette(sc: Scenario, page: Page, folder: string): Promise<Frame> {
  assert.ok(ui);
  await sc.step('open the workbench on a copy of demo/', () => openWorkbench(page, ui!.url, folder));
  await sc.step('run "Loss Inspector: Compare Losses…" from the command palette', () =>
    runCommand(page, 'Loss Inspector: Compare Losses…'),
  );
  await sc.step('pick the proposed pair logits.npy ↔ labels.npy', () => pickQuickItem(page, 'logits.npy ↔ labels.npy'));
  const frame = await sc.step('the comparison webview shows the per-class table', () =>
    webviewFrame(page, '[data-testid="class-table"]', 30_000),
  );
  await sc.step('the table has one row per class (4)', async () => {
    await frame.locator('[data-testid="class-row-3"]').waitFor({ timeout: 15_000 });
    assert.equal(await frame.locator('[data-testid^="class-row-"]').count(), 4);
  });
  return frame;
}

test('1. Compare Losses… from the palette: the per-class table equals loss-inspect report --json', async () => {
  const report = cliReport(['demo/data/logits.npy', 'demo/data/labels.npy', ...DEMO_FLAGS, '--label-smoothing', '0.1']);
  await withPage(async (page) => {
    const csp = watchCsp(page);
    const sc = new Scenario('1-compare-from-palette', page);
    const frame = await openComparisonFromPalette(sc, page, workspace());
    const res = await sc.step('its numbers (data-value) equal the CLI report at ε = 0.1', async () => {
      const r = await waitForValues(frame, expectedValues(report));
      assert.deepEqual(r.problems, [], `webview ≠ CLI:\n  ${r.problems.join('\n  ')}`);
      return r;
    });
    console.log(`# scenario 1: ${res.compared} numbers equal the CLI's (largest relative difference ${res.maxRelErr.toExponential(2)})`);
    await sc.step('the class names come from data/classes.json', async () => {
      const names = (await frame.locator('[data-testid^="cell-class-"]').allTextContents()).join(' ');
      for (const n of ['background', 'liver', 'spleen', 'pancreas']) assert.match(names, new RegExp(n));
    });
    await sc.step('no Content-Security-Policy violation was reported', () => {
      assert.deepEqual(csp, []);
      return Promise.resolve();
    });
    await sc.finish();
  });
});

test('2. changing ε in the webview updates the numbers to the CLI report at the new ε', async () => {
  const at = (eps: string) => cliReport(['demo/data/logits.npy', 'demo/data/labels.npy', ...DEMO_FLAGS, '--label-smoothing', eps]);
  const before = at('0.1');
  const after = at('0.25');
  await withPage(async (page) => {
    const sc = new Scenario('2-change-epsilon', page);
    const frame = await openComparisonFromPalette(sc, page, workspace());
    await sc.step('the numbers start at ε = 0.1', async () => {
      const r = await waitForValues(frame, expectedValues(before));
      assert.deepEqual(r.problems, [], r.problems.join('\n'));
    });
    await sc.step('type ε = 0.25 into the label_smoothing field', async () => {
      const input = frame.locator('[data-testid="opt-labelSmoothing"] input');
      await input.fill('0.25');
      await input.press('Enter');
    });
    const res = await sc.step('the numbers become the CLI report at ε = 0.25', async () => {
      const r = await waitForValues(frame, expectedValues(after));
      assert.deepEqual(r.problems, [], `webview ≠ CLI at ε = 0.25:\n  ${r.problems.join('\n  ')}`);
      return r;
    });
    console.log(`# scenario 2: ${res.compared} numbers equal the CLI's at ε = 0.25 (largest relative difference ${res.maxRelErr.toExponential(2)})`);
    await sc.step('the summary states ε = 0.25', async () => {
      const text = (await frame.locator('[data-testid="summary-config"]').textContent()) ?? '';
      assert.match(text, /0\.25/);
    });
    await sc.finish();
  });
});
