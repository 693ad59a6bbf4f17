/**
 * The folder view end to end, in a real VS Code (code-server with the production .vsix, headless Chromium):
 * *Evaluate Folder…* from the palette on a copy of sample/dataset (five small cases of logits + label maps),
 * the folder's picks, the case × class view (numbers equal `loss-inspect dataset --json` on the same folders),
 * a screenshot of the view, and a click through to one case's comparison.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCodeServer } from '../../scripts/e2e/codeServer';
import { startServer, type RunningServer } from '../../scripts/e2e/server';
import { launchBrowser, type Browser } from '../../scripts/e2e/browser';
import { Scenario, repoRoot } from './helpers/scenario';
import { openWorkbench, pickQuickItem, runCommand, webviewFrame } from './helpers/workbench';
import { packageVsix } from './helpers/vsix';

let scratch = '';
let server: RunningServer | undefined;
let browser: Browser | undefined;

before(async () => {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed: ${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-e2e-dataset-'));
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

/** `loss-inspect dataset --json` on the copy, with the options the view's "Metrics and loss" uses at default settings. */
function cliSummary(folder: string): { mean: Record<string, { Dice: number }>; pooled: Record<string, { Dice: number }>; cases: { id: string; loss: { total: number } }[] } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'dataset', join(folder, 'predictions'), join(folder, 'references'), '--softmax', '--to-onehot-y', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('Evaluate Folder…: the case × class view equals loss-inspect dataset, and a case opens its comparison', async () => {
  assert.ok(browser && server);
  const folder = join(scratch, 'ws', 'dataset');
  cpSync(join(repoRoot, 'sample', 'dataset'), folder, { recursive: true });
  const expected = cliSummary(folder);
  const page = await browser.context.newPage();
  try {
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) csp.push(m.text());
    });
    const sc = new Scenario('dataset-folder', page);
    await sc.step('open the workbench on a copy of sample/dataset', () => openWorkbench(page, server!.url, folder));
    await sc.step('run "Loss Inspector: Evaluate Folder…"', () => runCommand(page, 'Loss Inspector: Evaluate Folder…'));
    await sc.step('pick the predictions folder', () => pickQuickItem(page, 'predictions'));
    await sc.step('pick the references folder', () => pickQuickItem(page, 'references'));
    await sc.step('pick "Metrics and loss"', () => pickQuickItem(page, 'Metrics and loss'));
    const frame = await sc.step('the folder view shows the case table', () => webviewFrame(page, '[data-testid="case-table"]', 60_000));
    await sc.step('one row per case (5), the worst loss first', async () => {
      await frame.locator('[data-testid="row-pooled"]').waitFor({ timeout: 15_000 });
      const ids = await frame.locator('[data-testid="case-rows"] tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.case));
      const worst = [...expected.cases].sort((a, b) => b.loss.total - a.loss.total).map((c) => c.id);
      assert.deepEqual(ids, worst);
    });
    await sc.step('mean, pooled and per-case numbers equal the CLI summary', async () => {
      const value = async (testid: string) => Number(await frame.locator(`[data-testid="${testid}"]`).getAttribute('data-value'));
      for (const l of ['1', '2', '3']) {
        const mean = await value(`mean-dice-${l}`);
        assert.ok(Math.abs(mean - expected.mean[l]!.Dice) <= 1e-12, `mean Dice ${l}: ${mean} vs ${expected.mean[l]!.Dice}`);
        const pooled = await value(`pooled-dice-${l}`);
        assert.ok(Math.abs(pooled - expected.pooled[l]!.Dice) <= 1e-12, `pooled Dice ${l}`);
      }
      for (const c of expected.cases) {
        const v = await value(`loss-${c.id}`);
        assert.ok(Math.abs(v - c.loss.total) <= 1e-12 * Math.abs(c.loss.total), `loss of ${c.id}: ${v} vs ${c.loss.total}`);
      }
      assert.match((await frame.locator('[data-testid="pooled-note"]').textContent()) ?? '', /pooled = TP, FP, FN summed/);
    });
    const shot = await sc.step('screenshot of the folder view', () => sc.shot('view'));
    console.log(`# folder view screenshot: ${shot}`);
    const first = await frame.locator('[data-testid="case-rows"] tr').first().getAttribute('data-case');
    await sc.step(`click case ${first}: its comparison opens`, async () => {
      await frame.locator(`[data-testid="case-${first}"]`).click();
      const cmp = await webviewFrame(page, '[data-testid="pair-logits"]', 60_000, `${first}.npz`);
      await cmp.locator('[data-testid="pair-target"]', { hasText: `${first}.nii.gz` }).waitFor({ timeout: 30_000 });
    });
    await sc.step('no Content-Security-Policy violation on the way', async () => assert.deepEqual(csp, []));
    await sc.finish();
  } finally {
    await page.close().catch(() => {});
  }
});
