/**
 * Loss Inspector end to end, in a real VS Code: code-server (installed by the harness, cached) with the
 * production .vsix installed (`npm run package`, never the source tree), driven by headless Chromium on a
 * copy of the demo workspace. Every scenario gets its own copy of demo/ (so no editor state or file edit leaks
 * between them) and its own page; a failing step names itself and its screenshot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { installedExtensionDir, startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { bundleHostTests, runInExtensionHost } from './helpers/extensionHost';
import { recordMetric, repoRoot } from './helpers/scenario';
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
