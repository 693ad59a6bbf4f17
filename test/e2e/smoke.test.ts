/**
 * Harness smoke test, independent of Loss Inspector's own code: packages a one-command extension with vsce,
 * installs the .vsix into a throwaway code-server, opens the demo workspace in headless Chromium, runs the
 * command from the palette and sees its notification. If this fails, the e2e machinery is broken, not the
 * product.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { installedExtensionDir, startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { openWorkbench, runCommand, waitForNotification } from './helpers/workbench';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { bundleHostTests, runInExtensionHost } from './helpers/extensionHost';

/** The UI server: plain, as users run it. */
let server: RunningServer | undefined;
/** The extension-host test server: with the smoke-test driver, which also stops notification toasts. */
let driverServer: RunningServer | undefined;
let browser: Browser | undefined;
let scratch = '';

/** A minimal extension: one command that shows a notification. */
function packageSmokeExtension(dir: string): string {
  const ext = join(dir, 'ext');
  mkdirSync(ext, { recursive: true });
  writeFileSync(
    join(ext, 'package.json'),
    JSON.stringify(
      {
        name: 'e2e-smoke',
        displayName: 'E2E Smoke',
        publisher: 'loss-inspector-tests',
        version: '0.0.1',
        license: 'MIT',
        engines: { vscode: '^1.95.0' },
        main: './extension.js',
        activationEvents: [],
        contributes: { commands: [{ command: 'e2eSmoke.hello', title: 'E2E Smoke: Say Hello' }] },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(ext, 'extension.js'),
    `const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('e2eSmoke.hello', () =>
    vscode.window.showInformationMessage('e2e smoke: hello from ' + vscode.workspace.workspaceFolders.length + ' folder')));
};
exports.deactivate = () => {};
`,
  );
  writeFileSync(join(ext, 'README.md'), '# E2E smoke\n\nA one-command extension used by the harness smoke test.\n');
  cpSync(join(repoRoot, 'LICENSE'), join(ext, 'LICENSE'));
  const vsix = join(dir, 'e2e-smoke.vsix');
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix],
    { cwd: ext, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  assert.equal(r.status, 0, `vsce package of the smoke extension failed: ${r.stderr}${r.stdout}`);
  return vsix;
}

before(async () => {
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  if (inst.installSeconds > 0) recordMetric('code-server install', inst.installSeconds * 1000, 'ms');
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-smoke-'));
  const vsix = packageSmokeExtension(scratch);
  cpSync(join(repoRoot, 'demo'), join(scratch, 'workspace'), { recursive: true });
  server = await startServer({ install: inst, vsix: [vsix] });
  driverServer = await startServer({ install: inst, vsix: [vsix], smokeTestDriver: true });
  recordMetric('server ready', server.readyMs, 'ms');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await driverServer?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('smoke: a packaged extension runs from the command palette in code-server', async () => {
  assert.ok(server && browser);
  const page = await browser.context.newPage();
  const sc = new Scenario('smoke', page);
  try {
    const t0 = Date.now();
    await sc.step('open the workbench on the demo workspace', () =>
      openWorkbench(page, server!.url, join(scratch, 'workspace')),
    );
    recordMetric('workbench usable', Date.now() - t0, 'ms');
    await sc.step('run "E2E Smoke: Say Hello" from the palette', () => runCommand(page, 'E2E Smoke: Say Hello'));
    const text = await sc.step('see its notification', () => waitForNotification(page, 'e2e smoke: hello from 1 folder'));
    assert.match(text, /hello from 1 folder/);
    await sc.finish();
  } finally {
    await page.close();
  }
});

/** Bundles one of the smoke suites and runs it inside a real extension host on the driver server. */
async function runSmokeSuite(suite: string) {
  assert.ok(driverServer && browser);
  const entry = await bundleHostTests(suite, scratch);
  const page = await browser.context.newPage();
  try {
    return await runInExtensionHost(page, driverServer, {
      folder: join(scratch, 'workspace'),
      extensionDevelopmentPath: installedExtensionDir(driverServer, 'loss-inspector-tests.e2e-smoke'),
      extensionTestsPath: entry,
      timeoutMs: 60_000,
    });
  } finally {
    await page.close();
  }
}

test('smoke: tests run inside the real extension host and report back', async () => {
  const r = await runSmokeSuite('smokeSuite');
  assert.deepEqual(r.failed, [], r.lines.join('\n'));
  assert.equal(r.exitCode, 0, `exit ${r.exitCode}; console:\n${r.console.slice(-30).join('\n')}`);
  assert.equal(r.passed.length, 2, r.lines.join('\n'));
  assert.ok(r.metrics['smoke-activation'], 'no activation metric reported');
});

test('smoke: a failing extension-host test is reported as a failure', async () => {
  const r = await runSmokeSuite('smokeFailingSuite');
  assert.deepEqual(r.passed, ['passes'], r.lines.join('\n'));
  assert.equal(r.failed.length, 1, r.lines.join('\n'));
  assert.equal(r.failed[0]?.name, 'fails on purpose');
  assert.match(r.failed[0]?.message ?? '', /42/);
  assert.equal(r.exitCode, 1);
});
