/**
 * The comparison webview on a classification output with many classes (N = 3000 rows, C = 150, plain
 * CE): the table shows the first 100 rows until asked for all, the confusion matrix becomes an image,
 * the Dice charts say why they are absent, and the slice viewer stays hidden (no volume).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReportAndSweep, resolveOptions } from '../../src/engine/index';
import type { ComparisonState } from '../../src/protocol/messages';
import { randomLabels, randomLogits, rng } from '../unit/helpers/random';
import { Harness, type ViewPage } from './harness';

function manyClassState(): ComparisonState {
  const r = rng(7);
  const logits = randomLogits(r, [3000, 150]);
  const target = randomLabels(r, [3000], 150);
  const options = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
  const { report, sweep } = computeReportAndSweep(logits, target, options);
  return {
    logits: { uri: 'file:///w/cls.pt', key: 'logits', label: 'cls.pt#logits' },
    target: { uri: 'file:///w/cls.pt', key: 'labels', label: 'cls.pt#labels' },
    options,
    report,
    sweep,
    classNames: null,
    volume: null,
    timings: { readMs: 1, computeMs: 1 },
  };
}

describe('comparison webview with 150 classes (Chromium)', () => {
  let h: Harness;
  let v: ViewPage;
  const state = manyClassState();

  before(async () => {
    h = await Harness.start();
    v = await h.open('comparison', 'dark');
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'comparison', state });
    await v.page.waitForSelector('[data-testid="class-row-99"]');
  });
  after(async () => {
    await v?.close();
    await h?.close();
  });

  test('100 rows until "Show all", then every class with its numbers', async () => {
    assert.equal(await v.page.locator('[data-testid^="class-row-"]').count(), 100);
    await v.page.click('[data-testid="show-all-classes"]');
    await v.page.waitForSelector('[data-testid="class-row-149"]');
    assert.equal(await v.page.locator('[data-testid^="class-row-"]').count(), 150);
    const c = state.report.perClass![123]!;
    assert.equal(Number(await v.page.getAttribute('[data-testid="cell-ceSmoothed-123"]', 'data-value')), c.ceSmoothed);
    assert.equal(await v.page.getAttribute('[data-testid="cell-diceHard-123"]', 'data-value'), 'null');
    assert.equal(await v.page.textContent('[data-testid="cell-class-123"] .class-name'), 'class 123');
  });

  test('confusion matrix as an image; absent charts say why; no slice viewer', async () => {
    const s = await v.canvasStats('chart-confusion-canvas');
    assert.deepEqual([s.width, s.height], [150, 150]);
    assert.ok(s.colors > 3);
    assert.match((await v.page.textContent('[data-testid="chart-confusion-note"]')) ?? '', /150 classes: one pixel per cell/);
    assert.match((await v.page.textContent('[data-testid="chart-dice-bars-note"]')) ?? '', /plain cross-entropy/);
    assert.match((await v.page.textContent('[data-testid="chart-sweep-dice-note"]')) ?? '', /No Dice term/);
    const ce = await v.canvasStats('chart-sweep-ce-canvas');
    assert.ok(ce.painted > 2000);
    assert.equal(await v.page.locator('[data-testid="slice-viewer"]').isHidden(), true);
    assert.equal(await v.page.getAttribute('[data-testid="summary-dice"]', 'data-value'), 'null');
    assert.equal(Number(await v.page.getAttribute('[data-testid="summary-ce"]', 'data-value')), state.report.loss.ce);
    assert.equal(v.requests('slice').length, 0);
    await v.screenshot('comparison-150-classes-dark');
  });

  test('no CSP violation or console error', async () => {
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });
});
