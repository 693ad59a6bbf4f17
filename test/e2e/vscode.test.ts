/**
 * Loss Inspector end to end, in a real VS Code: code-server (installed by the harness, cached) with the
 * production .vsix installed (`npm run package`, never the source tree), driven by headless Chromium on a
 * copy of the demo workspace. Every scenario gets its own copy of demo/ (so no editor state or file edit leaks
 * between them) and its own page; a failing step names itself and its screenshot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { installedExtensionDir, startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { bundleHostTests, runInExtensionHost } from './helpers/extensionHost';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, expectedDiceFocalValues, expectedValues, waitForValues } from './helpers/comparison';
import {
  notificationTexts,
  openWorkbench,
  pickQuickItem,
  quickOpen,
  runCommand,
  webviewFrame,
} from './helpers/workbench';
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

/** A fresh copy of demo/ for one scenario, optionally with some of its workspace settings replaced. */
function workspace(settings?: Record<string, unknown>): string {
  const dir = join(scratch, `ws${++workspaces}`, 'demo');
  cpSync(join(repoRoot, 'demo'), dir, { recursive: true });
  if (settings) {
    const file = join(dir, '.vscode', 'settings.json');
    const current = JSON.parse(readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2) + '\n');
  }
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

/**
 * The comparison's ε text field, unfolding the Options first when the view is narrow enough to fold them
 * (webview/README.md: folded at ≤ 1200 px), as a user would.
 */
async function epsField(frame: Frame) {
  const input = frame.locator('[data-testid="opt-labelSmoothing"] input');
  if (!(await frame.locator('[data-testid="options-panel"]').isVisible())) {
    await frame.locator('[data-testid="options-toggle"]').click();
  }
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  return input;
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
      const input = await epsField(frame);
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

/** What make-demo.py wrote (see its docstring): the truth the tensor editor must show. */
const DEMO_TENSORS: Record<string, { key: string; dtype: string; shape: number[] }[]> = {
  'data/outputs.pt': [
    { key: 'logits', dtype: 'float32', shape: [1, 4, 16, 16, 8] },
    { key: 'labels', dtype: 'int64', shape: [1, 1, 16, 16, 8] },
  ],
  'data/labels.nii.gz': [{ key: '', dtype: 'uint8', shape: [16, 16, 8] }],
};

/** The tensors the tensor editor lists: key, dtype and shape (from its `1×4×16` text) per row. */
async function listedTensors(frame: Frame): Promise<{ key: string; dtype: string; shape: number[] }[]> {
  const rows = await frame.locator('[data-testid^="tensor-row-"]').count();
  const out: { key: string; dtype: string; shape: number[] }[] = [];
  for (let i = 0; i < rows; i++) {
    const text = async (id: string) => ((await frame.locator(`[data-testid="${id}-${i}"]`).textContent()) ?? '').trim();
    const shapeText = await text('tensor-shape');
    out.push({
      key: await text('tensor-key'),
      dtype: await text('tensor-dtype'),
      shape: shapeText === '' || /scalar|\(\)/.test(shapeText) ? [] : shapeText.split(/[^0-9]+/).filter(Boolean).map(Number),
    });
  }
  return out;
}

/** Opens a workspace file with Quick Open and returns the tensor editor's frame once it lists tensors. */
async function openTensorEditor(sc: Scenario, page: Page, rel: string): Promise<Frame> {
  const name = rel.split('/').pop()!;
  await sc.step(`open ${rel} with Quick Open`, () => quickOpen(page, rel));
  await sc.step(`${name} opens in the Loss Inspector tensor editor`, async () => {
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
  });
  return sc.step(`the editor lists the tensors of ${name}`, async () => {
    const frame = await webviewFrame(page, '[data-testid="file-name"]', 30_000, new RegExp(`^${name.replace(/\./g, '\\.')}$`));
    await frame.locator('[data-testid="tensor-row-0"]').waitFor({ timeout: 15_000 });
    return frame;
  });
}

test('3. opening a .pt and a .nii.gz shows the tensor editor with the right tensors, dtypes and shapes', async () => {
  assert.ok(ui);
  await withPage(async (page) => {
    const sc = new Scenario('3-tensor-editor', page);
    await sc.step('open the workbench on a copy of demo/', () => openWorkbench(page, ui!.url, workspace()));
    for (const rel of Object.keys(DEMO_TENSORS)) {
      const frame = await openTensorEditor(sc, page, rel);
      await sc.step(`${rel}: keys, dtypes and shapes are those make-demo.py wrote`, async () => {
        assert.deepEqual(await listedTensors(frame), DEMO_TENSORS[rel]);
      });
      if (rel.endsWith('.pt')) {
        await sc.step(`${rel}: the non-tensor value epoch = 12 is listed (read, never run)`, async () => {
          const rows = (await frame.locator('[data-testid^="non-tensor-"]').allTextContents()).join('\n');
          assert.match(rows, /epoch\s*int\s*12/);
        });
      }
      await sc.shot(rel.split('/').pop()!);
    }
    await sc.finish();
  });
});

/** The CodeLens summary the analysis must show for a literal ε and C (smoothed target and its entropy). */
function expectedLensSummary(eps: number, C: number): string {
  const on = 1 - eps + eps / C;
  const off = eps / C;
  const floor = -(on * Math.log(on) + (C - 1) * off * Math.log(off));
  return `ε ${eps} · C ${C} → target ${on.toFixed(4)} / ${off.toFixed(4)} · floor ${floor.toFixed(4)}`;
}

test('4. train.py: CodeLens on DiceCELoss, Inspect with these settings…, the post-hoc diagnostic and its quick fix', async () => {
  assert.ok(ui);
  // The user's settings say ε = 0: an ε of 0.1 in the comparison can only come from the code.
  const folder = workspace({ 'lossInspector.labelSmoothing': 0 });
  const trainPy = join(folder, 'train.py');
  const original = readFileSync(trainPy, 'utf8');
  const postHocCtor = 'criterion = DiceCELoss(to_onehot_y=True, softmax=True, lambda_ce=0.5)\n';
  const postHocLine = 'criterion.cross_entropy.label_smoothing = 0.1\n';
  assert.ok(original.includes(postHocCtor + postHocLine), 'demo/train.py no longer has the post-hoc assignment this scenario fixes');
  const fixed = original.replace(
    postHocCtor + postHocLine,
    'criterion = DiceCELoss(to_onehot_y=True, softmax=True, lambda_ce=0.5, label_smoothing=0.1)\n',
  );
  const report = cliReport(['demo/data/logits.npy', 'demo/data/labels.npy', ...DEMO_FLAGS, '--label-smoothing', '0.1']);
  const summary = expectedLensSummary(0.1, 4);

  await withPage(async (page) => {
    const sc = new Scenario('4-python-codelens', page);
    await sc.step('open the workbench on a copy of demo/ (settings: ε = 0)', () => openWorkbench(page, ui!.url, folder));
    await sc.step('open train.py', () => quickOpen(page, 'train.py'));
    const lens = await sc.step(`the CodeLens above DiceCELoss(…, label_smoothing=0.1) reads "${summary}"`, async () => {
      // One decoration per line; the post-hoc call's lens adds "ε set on line 30", so this one is unique.
      const deco = page
        .locator('.monaco-editor .codelens-decoration', { hasText: summary })
        .filter({ hasNotText: 'set on line' })
        .filter({ hasText: 'Inspect with these settings…' });
      await deco.first().waitFor({ timeout: 30_000 });
      assert.equal(await deco.count(), 1, 'expected exactly one such CodeLens (the one on line 23)');
      return deco;
    });
    await sc.shot('codelens');
    await sc.step('click "Inspect with these settings…"', () => lens.locator('a', { hasText: 'Inspect with these settings…' }).click());
    await sc.step('pick the proposed pair logits.npy ↔ labels.npy', () => pickQuickItem(page, 'logits.npy ↔ labels.npy'));
    const frame = await sc.step('the comparison opens', () => webviewFrame(page, '[data-testid="class-table"]', 30_000));
    await sc.step('its ε field says 0.1 (from the code, not the settings)', async () => {
      const input = await epsField(frame);
      assert.equal(Number(await input.inputValue()), 0.1);
    });
    await sc.step('its numbers equal the CLI report with the call\'s options (dicece, to_onehot_y, softmax, ε 0.1)', async () => {
      const r = await waitForValues(frame, expectedValues(report));
      assert.deepEqual(r.problems, [], `webview ≠ CLI:\n  ${r.problems.join('\n  ')}`);
    });
    await sc.shot('inspect');

    await sc.step('back to train.py', () => page.locator('.tabs-container .tab[data-resource-name="train.py"]').click());
    await sc.step('the Problems view shows the post-hoc assignment\'s diagnostic', async () => {
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'label_smoothing set after construction' });
      await row.first().waitFor({ timeout: 20_000 });
      const text = (await row.first().textContent()) ?? '';
      assert.match(text, /li-posthoc-eps/);
      assert.match(text, /\[Ln 30/);
    });
    await sc.shot('diagnostic');
    await sc.step('put the cursor on line 30 (Go to Line)', async () => {
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+G');
      await quickInputFill(page, ':30');
      await page.keyboard.press('Enter');
    });
    await sc.step('Quick Fix (Ctrl+.) offers "Move label_smoothing=0.1 into the DiceCELoss(…) call" and applies it', async () => {
      await page.keyboard.press('Control+.');
      const item = page.locator('.action-widget .monaco-list-row', { hasText: 'Move label_smoothing=0.1 into the DiceCELoss(…) call' });
      await item.first().waitFor({ timeout: 15_000 });
      await item.first().click();
    });
    await sc.step('save, and the file on disk is rewritten as expected', async () => {
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 10_000;
      while (readFileSync(trainPy, 'utf8') === original && Date.now() < deadline) await page.waitForTimeout(200);
      assert.equal(readFileSync(trainPy, 'utf8'), fixed);
    });
    await sc.step('the diagnostic is gone', async () => {
      await page
        .locator('.markers-panel .monaco-list-row', { hasText: 'label_smoothing set after construction' })
        .first()
        .waitFor({ state: 'detached', timeout: 15_000 });
    });
    await sc.step('the fixed call\'s CodeLens no longer says "ε set on line 30"', async () => {
      await page.locator('.monaco-editor .codelens-decoration', { hasText: 'set on line' }).first().waitFor({ state: 'detached', timeout: 15_000 });
      assert.equal(await page.locator('.monaco-editor .codelens-decoration', { hasText: summary }).count(), 2);
    });
    await sc.finish();
  });
});

test('4b. a DiceFocalLoss(…) call: its CodeLens, Inspect with these settings…, and the view\'s Dice and focal numbers equal loss-inspect report --json', async () => {
  assert.ok(ui);
  const folder = workspace();
  // DiceFocalLoss has no label_smoothing: Inspect starts from the defaults (ε 0) plus the call's options.
  writeFileSync(
    join(folder, 'focal_train.py'),
    'from monai.losses import DiceFocalLoss\n\ncriterion = DiceFocalLoss(to_onehot_y=True, softmax=True, gamma=1.5, lambda_focal=0.5)\n',
  );
  const report = cliReport(['demo/data/logits.npy', 'demo/data/labels.npy', '--loss', 'dicefocal', '--to-onehot-y', '--softmax', '--gamma', '1.5', '--lambda-focal', '0.5']);
  assert.equal(report.config.loss, 'dicefocal');
  await withPage(async (page) => {
    const sc = new Scenario('4b-dicefocal-codelens', page);
    await sc.step('open the workbench on a copy of demo/', () => openWorkbench(page, ui!.url, folder));
    await sc.step('open focal_train.py', () => quickOpen(page, 'focal_train.py'));
    const lens = await sc.step('a CodeLens above DiceFocalLoss(…) says it has no label smoothing and offers Inspect', async () => {
      const deco = page
        .locator('.monaco-editor .codelens-decoration', { hasText: 'DiceFocalLoss has no label smoothing' })
        .filter({ hasText: 'Inspect with these settings…' });
      await deco.first().waitFor({ timeout: 30_000 });
      assert.equal(await deco.count(), 1);
      return deco;
    });
    await sc.shot('codelens');
    await sc.step('click "Inspect with these settings…"', () => lens.locator('a', { hasText: 'Inspect with these settings…' }).click());
    await sc.step('pick the proposed pair logits.npy ↔ labels.npy', () => pickQuickItem(page, 'logits.npy ↔ labels.npy'));
    const frame = await sc.step('the comparison opens', () => webviewFrame(page, '[data-testid="class-table"]', 30_000));
    const res = await sc.step("its Dice and focal numbers equal the CLI report with the call's options", async () => {
      const r = await waitForValues(frame, expectedDiceFocalValues(report));
      assert.deepEqual(r.problems, [], `webview ≠ CLI:\n  ${r.problems.join('\n  ')}`);
      return r;
    });
    console.log(`# scenario 4b: ${res.compared} numbers equal the CLI's (largest relative difference ${res.maxRelErr.toExponential(2)})`);
    await sc.step('the summary names the loss and the γ sweep chart is drawn', async () => {
      assert.match((await frame.locator('[data-testid="summary-config"]').textContent()) ?? '', /DiceFocalLoss.*γ 1\.5/);
      await frame.locator('[data-testid="chart-sweep-gamma"]').waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await frame.locator('[data-testid="chart-sweep-gamma"]').evaluate((e) => e.classList.contains('is-empty')), false);
    });
    await sc.shot('inspect');
    // The Problems view is checked after Inspect, so the lens is clicked with its editor in focus (as in scenario 4).
    await sc.step('back to focal_train.py', () => page.locator('.tabs-container .tab[data-resource-name="focal_train.py"]').click());
    await sc.step('the editor shows the softmax warning on the call (li-focal-sigmoid)', async () => {
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'reaches the Dice term only' });
      await row.first().waitFor({ timeout: 20_000 });
      assert.match((await row.first().textContent()) ?? '', /li-focal-sigmoid/);
    });
    await sc.finish();
  });
});

/** Types into the open quick input (e.g. Go to Line's `:30`). */
async function quickInputFill(page: Page, text: string): Promise<void> {
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ timeout: 10_000 });
  await box.fill(text);
}

const HOSTILE_MARKER = '/tmp/loss-inspector-demo-PWNED';

test('5. opening the hostile .pt gives one clear error, in its editor, and nothing else happens', async () => {
  assert.ok(ui);
  rmSync(HOSTILE_MARKER, { force: true });
  await withPage(async (page) => {
    const sc = new Scenario('5-hostile-pt', page);
    const folder = workspace();
    const filesBefore = listFiles(folder);
    await sc.step('open the workbench on a copy of demo/', () => openWorkbench(page, ui!.url, folder));
    await sc.step('open data/hostile.pt with Quick Open', () => quickOpen(page, 'data/hostile.pt'));
    const frame = await sc.step('the tensor editor names the file and the refused global', () => webviewFrame(page, '[data-testid="load-error"]', 30_000, /posix\.system/));
    await sc.step('the error is an alert, shown once, with no tensors and no Open as Text (a refused pickle is a tensor file)', async () => {
      const texts = await frame.locator('[data-testid="load-error-text"]').allTextContents();
      assert.equal(texts.length, 1, `errors: ${JSON.stringify(texts)}`);
      assert.match(texts[0]!, /hostile\.pt/);
      assert.match(texts[0]!, /refuse|not allowed|unsafe/i);
      assert.equal(await frame.locator('[data-testid="load-error"]').getAttribute('role'), 'alert');
      assert.equal(await frame.locator('[data-testid^="tensor-row-"]').count(), 0);
      assert.equal(await frame.locator('[data-testid="waiting"]').count(), 0, 'still says "Reading the file…"');
      assert.equal(await frame.locator('[data-testid="open-as-text"]').count(), 0);
    });
    await sc.step('no notification repeats it', async () => {
      await page.waitForTimeout(1_500); // let any notification arrive
      const all = await notificationTexts(page);
      assert.deepEqual(all, [], `notifications: ${JSON.stringify(all)}`);
    });
    await sc.step('no comparison panel opened, no file was written, the payload never ran', async () => {
      assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Loss:' }).count(), 0);
      assert.deepEqual(listFiles(folder), filesBefore);
      assert.equal(existsSync(HOSTILE_MARKER), false, `${HOSTILE_MARKER} exists: the pickle payload ran`);
    });
    await sc.finish();
  });
});

/** Every file under `dir` (relative paths, sorted). */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Inside the extension host

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
