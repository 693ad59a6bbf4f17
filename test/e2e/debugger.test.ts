/**
 * Inspecting the loss from a paused Python debugger, end to end in code-server: a test-only extension
 * (test/e2e/fixtures/debug-adapters) registers a debugger type that runs Debian's `python3 -m debugpy.adapter`
 * (code-server has no Python extension) and one that does not evaluate Python. The workspace's train.py
 * (test/integration/fixtures/train_step.py) saves each step's logits and target as .npy before the breakpoint,
 * so the view's numbers are checked against `loss-inspect report` on those copies, step after step.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, expectedValues, waitForValues } from './helpers/comparison';
import { openWorkbench, pickQuickItem, quickInput, quickOpen, runCommand, waitForNotification, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';

/** The timing workload: a 2×4×64×64×64 float32 logits volume and its int64 label map. */
const SHAPE = [2, 4, 64, 64, 64];
const FLAGS = ['--loss', 'dicece', '--to-onehot-y', '--softmax', '--label-smoothing', '0.1'];
const SETTINGS = {
  'lossInspector.loss': 'dicece',
  'lossInspector.toOnehotY': true,
  'lossInspector.softmax': true,
  'lossInspector.labelSmoothing': 0.1,
  'lossInspector.debugger.debugTypes': ['li-test-debugpy', 'li-test-not-python', 'li-test-ends'],
};

let scratch = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;
let workspaces = 0;

function packageTestAdapters(dir: string): string {
  const ext = join(dir, 'debug-adapters');
  cpSync(join(repoRoot, 'test', 'e2e', 'fixtures', 'debug-adapters'), ext, { recursive: true });
  cpSync(join(repoRoot, 'LICENSE'), join(ext, 'LICENSE'));
  const vsix = join(dir, 'debug-adapters.vsix');
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix],
    { cwd: ext, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  assert.equal(r.status, 0, `vsce package of the test debug adapters failed: ${r.stderr}${r.stdout}`);
  return vsix;
}

/** A workspace with train.py, its launch configurations and the settings; `saved/` receives the script's copies. */
function workspace(extraSettings: Record<string, unknown> = {}): string {
  const dir = join(scratch, `ws${++workspaces}`, 'train');
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  mkdirSync(join(dir, 'saved'));
  cpSync(join(repoRoot, 'test', 'integration', 'fixtures', 'train_step.py'), join(dir, 'train.py'));
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({ ...SETTINGS, ...extraSettings }, null, 2));
  const launch = {
    version: '0.2.0',
    configurations: [
      {
        name: 'Train (debugpy)',
        type: 'li-test-debugpy',
        request: 'launch',
        program: '${workspaceFolder}/train.py',
        args: ['${workspaceFolder}/saved'],
        python: ['/usr/bin/python3'],
        console: 'internalConsole',
        justMyCode: true,
        cwd: '${workspaceFolder}',
        env: { LI_SHAPE: SHAPE.join(',') },
      },
      { name: 'Not Python', type: 'li-test-not-python', request: 'launch' },
      { name: 'Ends while reading', type: 'li-test-ends', request: 'launch' },
    ],
  };
  writeFileSync(join(dir, '.vscode', 'launch.json'), JSON.stringify(launch, null, 2));
  return dir;
}

/** The 1-based line marked BREAK in train.py. */
function breakLine(): number {
  const src = spawnSync('grep', ['-n', '# BREAK', join(repoRoot, 'test', 'integration', 'fixtures', 'train_step.py')], { encoding: 'utf8' }).stdout;
  return Number(src.split(':')[0]);
}

/** Temporary folders the extension host left (its TMPDIR is the server's tmp/). */
function leftovers(): string[] {
  const tmp = join(server!.runDir, 'tmp');
  return existsSync(tmp) ? readdirSync(tmp).filter((n) => n.startsWith('loss-inspector-debug-')) : [];
}

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-debug-'));
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix')).path;
  server = await startServer({ install: inst, vsix: [vsix, packageTestAdapters(scratch)], parentDir: scratch });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  assert.ok(browser, 'the browser did not start');
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  try {
    return await fn(page);
  } finally {
    await page.close().catch(() => {});
  }
}

/** Stops the debug session (the toolbar's Stop) and waits until the toolbar is gone. */
async function stopDebugging(page: Page): Promise<void> {
  await page.locator('.debug-toolbar .codicon-debug-stop').first().click();
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
}

/** Waits until the debug toolbar offers Continue: the session is stopped. */
async function waitStopped(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.debug-toolbar .codicon-debug-continue').first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Opens train.py, sets a breakpoint on its BREAK line (Ctrl+G, F9) and starts the named configuration. */
async function startDebugging(sc: Scenario, page: Page, folder: string, config: string): Promise<void> {
  await sc.step('open the workbench on the training workspace', () => openWorkbench(page, server!.url, folder));
  if (config === 'Train (debugpy)') {
    await sc.step(`set a breakpoint on train.py:${breakLine()}`, async () => {
      await quickOpen(page, 'train.py');
      await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Control+G');
      await quickInput(page).locator('input').fill(`:${breakLine()}`);
      await page.keyboard.press('Enter');
      await page.keyboard.press('F9');
      await page.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
    });
  }
  await sc.step(`start "${config}" (Debug: Select and Start Debugging)`, async () => {
    await runCommand(page, 'Debug: Select and Start Debugging');
    await pickQuickItem(page, config);
  });
  await sc.step('the session stops', () => waitStopped(page));
}

/** Continues to the next stop: the toolbar's Continue, then stopped again (and the step's copies are saved). */
async function continueToNextStop(page: Page, folder: string, step: number): Promise<void> {
  await page.locator('.debug-toolbar .codicon-debug-continue').first().click();
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(folder, 'saved', `target_${step}.npy`))) {
    if (Date.now() > deadline) throw new Error(`step ${step} did not save its tensors`);
    await page.waitForTimeout(100);
  }
  await waitStopped(page);
}

/** The view's numbers equal `loss-inspect report` on the step's saved copies. */
async function assertStepNumbers(frame: Frame, folder: string, step: number): Promise<void> {
  const report = cliReport([join(folder, 'saved', `logits_${step}.npy`), join(folder, 'saved', `target_${step}.npy`), ...FLAGS]);
  const r = await waitForValues(frame, expectedValues(report), 30_000);
  assert.deepEqual(r.problems, [], `view ≠ loss-inspect report at step ${step}:\n  ${r.problems.join('\n  ')}`);
  console.log(`# step ${step}: ${r.compared} numbers equal the CLI's (largest relative difference ${r.maxRelErr.toExponential(2)})`);
}

/** The extension's own log line for a debugger read ("… read in N ms (file), view ready M ms after the command"). */
function extensionLogLines(pattern: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log') && /Loss Inspector/.test(e.name)) out.push(...readFileSync(p, 'utf8').split('\n').filter((l) => pattern.test(l)));
    }
  };
  walk(join(server!.userDataDir, 'logs'));
  return out;
}

/** Runs *Compare Loss With…* from the context menu of a local variable in the Variables view. */
async function variableMenu(page: Page, name: string): Promise<void> {
  const row = page.locator('.debug-view-content .monaco-list-row', { hasText: new RegExp(`^${name} =`) }).first();
  const locals = page.locator('.debug-view-content .monaco-list-row', { hasText: /^Locals$/ }).first();
  await locals.waitFor({ timeout: 30_000 });
  if (!(await row.isVisible())) await locals.click();
  await row.waitFor({ timeout: 30_000 });
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .action-menu-item', { hasText: 'Compare Loss With…' }).first();
  await item.hover({ timeout: 10_000 });
  // The workbench's menu takes a hovered item with Enter (a synthetic click right after opening is ignored).
  await page.keyboard.press('Enter');
}

/** Polls until the comparison view's class table shows (the view is ready); the elapsed ms. */
async function timeToView(page: Page, t0: number): Promise<{ frame: Frame; ms: number }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try {
        if ((await f.locator('[data-testid="class-row-0"]').count()) > 0) return { frame: f, ms: Date.now() - t0 };
      } catch {
        /* frame navigated meanwhile */
      }
    }
    if (Date.now() > deadline) throw new Error('the comparison view did not show its class table within 60 s');
    await page.waitForTimeout(20);
  }
}

test('Compare Losses from Debugger: the view equals loss-inspect report at each stop, Refresh follows the next step', async () => {
  await withPage(async (page) => {
    const sc = new Scenario('debugger-compare', page);
    const folder = workspace();
    await startDebugging(sc, page, folder, 'Train (debugpy)');
    await sc.shot('1-stopped');
    const t0 = Date.now();
    await sc.step('run "Loss Inspector: Compare Losses from Debugger…"', () => runCommand(page, 'Loss Inspector: Compare Losses from Debugger…'));
    await sc.step('the frame’s tensors are listed, the pair logits ↔ target proposed first', async () => {
      await quickInput(page).locator('.monaco-list-row', { hasText: 'logits ↔ target' }).first().waitFor({ timeout: 30_000 });
      const first = (await quickInput(page).locator('.monaco-list-row').first().textContent()) ?? '';
      assert.match(first, /logits ↔ target/);
      assert.match(first, /float32 · 2×4×64×64×64 ↔ int64 · 2×64×64×64/);
    });
    const listMs = Date.now() - t0;
    await sc.shot('2-pairs');
    const tPick = Date.now();
    await sc.step('pick it', () => pickQuickItem(page, 'logits ↔ target'));
    const { frame, ms } = await sc.step('the comparison view opens', () => timeToView(page, tPick));
    recordMetric('debugger: command → pair list (2×4×64³)', listMs, 'ms');
    recordMetric('debugger: pick → view (2×4×64³)', ms, 'ms');
    recordMetric('debugger: command → view, without the user’s pick (2×4×64³)', listMs + ms, 'ms');
    await sc.step('its numbers equal loss-inspect report on the copies step 0 saved', () => assertStepNumbers(frame, folder, 0));
    for (const l of extensionLogLines(/debugger: logits ↔ target read in/)) console.log(`# extension log: ${l.trim()}`);
    await sc.shot('3-view-step0');

    await sc.step('continue to the next iteration’s stop', () => continueToNextStop(page, folder, 1));
    const tRefresh = Date.now();
    await sc.step('Refresh from Debugger in the view’s title bar', async () => {
      // The stop reveals train.py a moment after the toolbar settles, which can take the tab back: retry.
      const action = page.locator('.editor-actions .action-label[aria-label="Refresh from Debugger"]').first();
      for (let attempt = 1; ; attempt++) {
        await page.locator('.tabs-container .tab', { hasText: 'Loss: logits ↔ target' }).first().click();
        try {
          await action.click({ timeout: 3_000 });
          break;
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
    });
    const frame1 = await sc.step('the view’s frame after the refresh', () => webviewFrame(page, '[data-testid="class-row-0"]', 30_000));
    await sc.step('its numbers changed to loss-inspect report on step 1’s copies', () => assertStepNumbers(frame1, folder, 1));
    recordMetric('debugger: refresh → new numbers (2×4×64³)', Date.now() - tRefresh, 'ms');
    assert.deepEqual(leftovers(), [], 'no temporary folder is left');
    await sc.finish();
    await sc.step('stop the session', () => stopDebugging(page));
  });
});

test('Compare Loss With… in the Variables view; not a tensor, over the size limit, not Python, the session ending — a clear message each, no temporary file', async () => {
  await withPage(async (page) => {
    const sc = new Scenario('debugger-bad-cases', page);
    const folder = workspace();
    await startDebugging(sc, page, folder, 'Train (debugpy)');
    await sc.step('Compare Loss With… on target in the Variables view: logits proposed first, the view opens', async () => {
      await variableMenu(page, 'target');
      await quickInput(page).locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
      const first = (await quickInput(page).locator('.monaco-list-row').first().textContent()) ?? '';
      assert.match(first, /^logits/);
      await pickQuickItem(page, /^logits/);
      const frame = await webviewFrame(page, '[data-testid="class-row-0"]', 60_000);
      await assertStepNumbers(frame, folder, 0);
    });
    await sc.shot('compare-loss-with');
    await sc.step('Compare Loss With… on labels_list in the Variables view: not a tensor', async () => {
      await variableMenu(page, 'labels_list');
      await waitForNotification(page, '`labels_list` is a list, not a torch tensor or numpy array');
    });
    await sc.shot('not-a-tensor');
    await sc.step('set lossInspector.debugger.maxTensorMB to 4 in the workspace settings', async () => {
      writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ ...SETTINGS, 'lossInspector.debugger.maxTensorMB': 4 }, null, 2));
      // The workbench notices the file through its watcher (≈ 0.1 s); leave it time under load.
      await page.waitForTimeout(3_000);
    });
    await sc.step('the pair over lossInspector.debugger.maxTensorMB (4 MiB): refused before anything is written', async () => {
      await runCommand(page, 'Loss Inspector: Compare Losses from Debugger…');
      await pickQuickItem(page, 'logits ↔ target', 30_000);
      await waitForNotification(page, /`logits` is 8\.0 MiB \(float32, 2×4×64×64×64\), over lossInspector\.debugger\.maxTensorMB \(4\.0 MiB\): nothing was written/);
      assert.deepEqual(leftovers(), []);
    });
    await sc.shot('over-the-limit');
    await sc.step('stop the session', () => stopDebugging(page));
    await sc.step('start "Not Python" and run the command: the session is refused', async () => {
      await runCommand(page, 'Debug: Select and Start Debugging');
      await pickQuickItem(page, 'Not Python');
      await waitStopped(page);
      await runCommand(page, 'Loss Inspector: Compare Losses from Debugger…');
      await waitForNotification(page, 'the debug session “Not Python” (type “li-test-not-python”) does not evaluate Python expressions');
    });
    await sc.shot('not-python');
    await sc.step('stop the session', () => stopDebugging(page));
    await sc.step('start "Ends while reading", type logits and target: the session ends while reading', async () => {
      await runCommand(page, 'Debug: Select and Start Debugging');
      await pickQuickItem(page, 'Ends while reading');
      await waitStopped(page);
      await runCommand(page, 'Loss Inspector: Compare Losses from Debugger…');
      // The frame lists no tensor: the logits are typed, then the target.
      const typeInto = async (title: string, text: string) => {
        await quickInput(page).filter({ hasText: title }).waitFor({ timeout: 30_000 });
        await quickInput(page).locator('input').fill(text);
        await page.keyboard.press('Enter');
      };
      await typeInto('No torch tensor or numpy array in this frame', 'logits');
      await pickQuickItem(page, 'Type an expression…');
      await typeInto('Loss Inspector: the target', 'target');
      await waitForNotification(page, 'the debug session ended while reading `logits`');
    });
    assert.deepEqual(leftovers(), []);
    await sc.finish();
  });
});
