/**
 * `npm run screenshots`: the README's picture and the Getting Started walkthrough's images, taken from the real
 * extension — the production .vsix installed into code-server (the e2e harness), driven by headless Chromium on
 * a copy of the demo workspace, as a user would:
 *   media/screenshot-comparison.png        the comparison view on the demo pair (README)
 *   media/walkthrough/open-tensor.png      a tensor file in the tensor-file editor
 *   media/walkthrough/compare-pair.png     Compare Losses…' pair picker
 *   media/walkthrough/floor.png            the summary card: what training sees, hard vs smoothed, the floor
 *   media/walkthrough/codelens.png         train.py with its CodeLens
 *   media/readme-walkthrough.png           the walkthrough itself, as VS Code shows it (README)
 * Each image must stay under 300 KB (the .vsix carries them); the script fails otherwise.
 *   npm run screenshots [-- --only comparison,open-tensor,compare-pair,floor,codelens]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { launchBrowser } from './browser';
import { ensureCodeServer } from './codeServer';
import { startServer } from './server';

const root = resolve(__dirname, '..', '..');
const MAX_BYTES = 300 * 1024;
const VIEWPORT = { width: 1280, height: 800 };
/** The editor group beside the explorer: the walkthrough's image column is narrow, so its images show only that. */
const EDITOR_AREA = { x: 352, y: 30, width: 928, height: 738 };

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : null;
const wanted = (name: string) => !only || only.has(name);

// The workbench helpers are the e2e suite's: one way to drive VS Code.
type Workbench = typeof import('../../test/e2e/helpers/workbench');

async function save(target: Page | ReturnType<Frame['locator']>, file: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void> {
  mkdirSync(resolve(file, '..'), { recursive: true });
  if ('mainFrame' in target) await target.screenshot({ path: file, clip, animations: 'disabled' });
  else await target.screenshot({ path: file, animations: 'disabled' });
  const bytes = statSync(file).size;
  if (bytes > MAX_BYTES) throw new Error(`screenshots: ${relative(root, file)} is ${bytes} bytes, over ${MAX_BYTES}`);
  console.log(`screenshots: ${relative(root, file)} (${(bytes / 1024).toFixed(0)} KB)`);
}

async function main(): Promise<void> {
  const wb: Workbench = await import('../../test/e2e/helpers/workbench');
  const scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-screenshots-'));
  const vsix = join(scratch, 'loss-inspector.vsix');
  const pack = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs'), '--out', vsix], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (pack.status !== 0) throw new Error('screenshots: packaging failed (see above)');
  const folder = join(scratch, 'demo');
  cpSync(join(root, 'demo'), folder, { recursive: true });

  const install = await ensureCodeServer((line) => console.log(line));
  const server = await startServer({
    install,
    vsix: [vsix],
    parentDir: scratch,
    settings: { 'workbench.colorTheme': 'Default Dark Modern', 'editor.minimap.enabled': false, 'window.commandCenter': false },
  });
  const browser = await launchBrowser({ viewport: VIEWPORT });
  try {
    const page = await browser.context.newPage();
    await wb.openWorkbench(page, server.url, folder);

    if (wanted('open-tensor')) {
      await wb.quickOpen(page, 'data/logits.npy');
      const f = await wb.webviewFrame(page, '[data-testid="heatmap"][data-drawn]', 45_000);
      await f.locator('[data-testid="tensor-row-0"]').waitFor();
      await page.waitForTimeout(500);
      await save(page, join(root, 'media', 'walkthrough', 'open-tensor.png'), EDITOR_AREA);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('W'); // close all editors
    }

    await wb.runCommand(page, 'Loss Inspector: Compare Losses…');
    await wb.quickInput(page).locator('.monaco-list-row').filter({ hasText: 'logits.npy ↔ labels.npy' }).first().waitFor({ timeout: 30_000 });
    if (wanted('compare-pair')) {
      await page.waitForTimeout(300);
      await save(page, join(root, 'media', 'walkthrough', 'compare-pair.png'), { x: 336, y: 28, width: 608, height: 320 });
    }
    await wb.pickQuickItem(page, 'logits.npy ↔ labels.npy');
    const frame = await wb.webviewFrame(page, '[data-testid="class-row-3"]', 45_000);
    await frame.locator('[data-testid="summary-floor"]').waitFor({ timeout: 30_000 });
    await frame.locator('[data-testid="busy"][data-busy="false"]').waitFor({ state: 'attached', timeout: 30_000 }).catch(() => {});
    // Give the explorer's space to the view, as a user comparing would.
    await page.keyboard.press('Control+B');
    await page.waitForTimeout(1_500); // charts lay out again after the resize
    if (wanted('comparison')) await save(page, join(root, 'media', 'screenshot-comparison.png'));
    if (wanted('floor')) await save(frame.locator('[data-testid="summary"]'), join(root, 'media', 'walkthrough', 'floor.png'));
    await page.keyboard.press('Control+B');

    if (wanted('codelens')) {
      await wb.quickOpen(page, 'train.py');
      await page.locator('.monaco-editor .codelens-decoration').first().waitFor({ timeout: 45_000 });
      // The loss calls (from line 23) in the middle of the editor, their lenses above them.
      await page.keyboard.press('Control+G');
      await wb.quickInput(page).locator('input').fill(':30');
      await page.keyboard.press('Enter');
      await page.waitForTimeout(800);
      await save(page, join(root, 'media', 'walkthrough', 'codelens.png'), { ...EDITOR_AREA, y: 60, height: 560 });
    }

    if (wanted('walkthrough')) {
      // Opening it through its command also proves VS Code accepted the contribution (its id, steps and media).
      await page.keyboard.press('Control+B'); // the walkthrough shows its images only when wide enough
      await wb.runCommand(page, 'Welcome: Open Walkthrough...');
      await wb.pickQuickItem(page, 'Get Started with Loss Inspector');
      const step = page.locator('.gettingStartedContainer .getting-started-step').first();
      await step.waitFor({ timeout: 30_000 });
      await page.locator('.gettingStartedContainer .getting-started-media img:visible').first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_000);
      await save(page, join(root, 'media', 'readme-walkthrough.png'));
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
