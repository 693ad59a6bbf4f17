/**
 * Two comparison panels computing at once, in a real VS Code (code-server + headless Chromium, the production
 * .vsix): each view's numbers must be those of `loss-inspect report --json` for its own pair. Once, the thread
 * pool under the worker handed one report's sums to whichever report listened first, and two panels showed
 * each other's partial numbers. Two situations start two reports together:
 * - two comparisons opened back to back (two keybindings bound to Compare Losses… with different pairs);
 * - a window reload restoring both panels (side by side, so both are visible and revived at once).
 * The pairs are ≥ 1 Mi values, so the worker's reports split over the engine's thread pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { Scenario, recordMetric, repoRoot } from './helpers/scenario';
import { cliReport, expectedValues, waitForValues } from './helpers/comparison';
import { openWorkbench, runCommand, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';
import { npyBytes } from '../unit/helpers/npyWrite';
import { randomLabels, randomLogits, rng } from '../unit/helpers/random';

interface Pair {
  name: string;
  logits: string;
  target: string;
  /** The comparison's options (over the defaults) and the same as CLI flags. */
  options: Record<string, unknown>;
  flags: string[];
  key: string;
}

let scratch = '';
let folder = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;
const pairs: Pair[] = [];

/** A random pair as .npy files: float32 logits (1, C, *sp), int64 labels (1, 1, *sp). */
function writePair(dir: string, name: string, C: number, sp: number[], seed: number): { logits: string; target: string } {
  const r = rng(seed);
  const l = randomLogits(r, [1, C, ...sp]);
  const t = randomLabels(r, [1, 1, ...sp], C);
  const logits = join(dir, `${name}_logits.npy`);
  const target = join(dir, `${name}_labels.npy`);
  writeFileSync(logits, npyBytes('float32', [...l.shape], l.data));
  writeFileSync(target, npyBytes('int64', [...t.shape], t.data));
  return { logits, target };
}

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-concurrent-'));
  folder = join(scratch, 'demo');
  cpSync(join(repoRoot, 'demo'), folder, { recursive: true });
  // Beside demo/data (no classes.json here: the class counts differ from the demo's four).
  const big = join(folder, 'big');
  mkdirSync(big);
  const a = writePair(big, 'alpha', 5, [80, 80, 56], 1601);
  const b = writePair(big, 'beta', 3, [96, 96, 48], 1602);
  pairs.push(
    {
      name: 'alpha',
      ...a,
      options: { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 },
      flags: ['--loss', 'dicece', '--to-onehot-y', '--softmax', '--label-smoothing', '0.1'],
      key: 'ctrl+shift+alt+j',
    },
    {
      name: 'beta',
      ...b,
      options: { loss: 'ce', labelSmoothing: 0.05, weight: [1, 2, 0.5] },
      flags: ['--loss', 'ce', '--label-smoothing', '0.05', '--weight', '1,2,0.5'],
      key: 'ctrl+shift+alt+k',
    },
  );
  const inst = await ensureCodeServer((l) => console.log(`# ${l}`));
  const vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  server = await startServer({ install: inst, vsix: [vsix.path], parentDir: scratch });
  // Two keybindings, each running Compare Losses… on one pair (the command's documented argument).
  const bindings = pairs.map((p) => ({
    key: p.key,
    command: 'lossInspector.compareLosses',
    args: { logits: pathToFileURL(p.logits).toString(), target: pathToFileURL(p.target).toString(), options: p.options, optionsBase: 'defaults' },
  }));
  writeFileSync(join(server.userDataDir, 'User', 'keybindings.json'), JSON.stringify(bindings, null, 2) + '\n');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
});

const playwrightKey = (k: string) =>
  k
    .split('+')
    .map((p) => ({ ctrl: 'Control', shift: 'Shift', alt: 'Alt' })[p] ?? `Key${p.toUpperCase()}`)
    .join('+');

/** The frame of the comparison view showing `pair` (its logits label), once it has numbers. */
function pairFrame(page: Page, pair: Pair, timeoutMs = 60_000): Promise<Frame> {
  return webviewFrame(page, '[data-testid="pair-logits"]', timeoutMs, `${pair.name}_logits.npy`);
}

/** Shows the pair's tab, then checks that its view's numbers equal the CLI's report for that pair. */
async function checkPair(sc: Scenario, page: Page, pair: Pair, label: string, reveal: boolean): Promise<void> {
  const expected = expectedValues(cliReport([pair.logits, pair.target, ...pair.flags]));
  if (reveal) {
    await sc.step(`${label}: show the ${pair.name} tab`, () => page.locator('.tabs-container .tab', { hasText: `${pair.name}_logits.npy` }).first().click());
  }
  const frame = await sc.step(`${label}: the ${pair.name} view shows its pair`, () => pairFrame(page, pair));
  const res = await sc.step(`${label}: the ${pair.name} view's numbers equal loss-inspect report --json for ${pair.name}`, async () => {
    const r = await waitForValues(frame, expected, 60_000);
    assert.deepEqual(r.problems, [], `${pair.name} view ≠ CLI:\n  ${r.problems.join('\n  ')}`);
    return r;
  });
  const timings = (await frame.locator('[data-testid="timings"]').textContent().catch(() => null)) ?? '';
  console.log(`# ${label}, ${pair.name}: ${res.compared} numbers equal the CLI's (largest relative difference ${res.maxRelErr.toExponential(2)}) ${timings}`);
}

test('two comparison panels computing at once each show the CLI numbers of their own pair (opened together, then restored together)', async () => {
  assert.ok(server && browser);
  const page = await browser.context.newPage();
  try {
    const sc = new Scenario('concurrent-panels', page);
    await sc.step('open the workbench on a copy of demo/ with two large pairs in big/', () => openWorkbench(page, server!.url, folder));
    // A keybinding pressed before the extension host registered the command would do nothing; the output
    // channel (left open: its log says what each comparison read and computed) proves the extension runs.
    await sc.step('run "Loss Inspector: Show Output" (the extension is active)', () => runCommand(page, 'Loss Inspector: Show Output'));
    const t0 = Date.now();
    await sc.step('press both keybindings back to back: two comparisons start at once', async () => {
      await page.locator('.monaco-workbench').click({ position: { x: 600, y: 300 }, trial: true }).catch(() => {});
      for (const p of pairs) await page.keyboard.press(playwrightKey(p.key));
    });
    await sc.step('both panels open', async () => {
      for (const p of pairs) await page.locator('.tabs-container .tab', { hasText: `${p.name}_logits.npy` }).first().waitFor({ timeout: 60_000 });
    });
    recordMetric('concurrent panels: both open', Date.now() - t0, 'ms');
    // The panel opened last is in front; the other one shows its state when revealed.
    await checkPair(sc, page, pairs[1]!, 'opened together', false);
    await checkPair(sc, page, pairs[0]!, 'opened together', true);
    await sc.shot('opened');

    await sc.step('move the alpha panel into a group to the right (both visible)', async () => {
      await runCommand(page, 'View: Move Editor into Right Group');
      await page.locator('.editor-group-container').nth(1).locator('.tab', { hasText: 'alpha_logits.npy' }).waitFor({ timeout: 10_000 });
    });
    await sc.shot('side-by-side');
    await sc.step('reload the window: both panels are restored and compute at once', async () => {
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForEvent('load', { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    });
    for (const p of pairs) await checkPair(sc, page, p, 'restored together', false);
    await sc.finish();
  } finally {
    await page.close().catch(() => {});
  }
});
