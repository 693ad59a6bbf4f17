/**
 * The comparison webview on a MONAI family (DiceFocalLoss on the sample data), in real headless Chromium: the
 * family's terms in "What training sees", Dice and focal columns per class, the focal bars and the γ sweep next to
 * the ε sweep, the focal options in the Options panel — every number equal to the engine's report.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonState } from '../../src/protocol/messages';
import { Harness, type ViewPage } from './harness';
import { sampleState } from './fixtures';

const DICE_FOCAL = { loss: 'dicefocal', toOnehotY: true, softmax: true, labelSmoothing: 0.1, gamma: 2, lambdaFocal: 0.5 } as const;

function parseValue(s: string | null): number | null {
  assert.notEqual(s, null, 'element has no data-value');
  return s === 'null' ? null : Number(s);
}

describe('comparison webview, DiceFocalLoss (Chromium)', () => {
  let h: Harness;
  let v: ViewPage;
  const state: ComparisonState = sampleState(DICE_FOCAL);
  const r = state.report;
  const value = async (testid: string) => parseValue(await v.page.getAttribute(`[data-testid="${testid}"]`, 'data-value'));

  before(async () => {
    h = await Harness.start();
    v = await h.open('comparison', 'dark');
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'comparison', state });
    await v.page.waitForSelector('[data-testid="class-table"] [data-testid="class-row-3"]');
  });
  after(async () => {
    await v?.close();
    await h?.close();
  });

  test('what training sees: the total, the Dice and the focal term, hard vs smoothed, equal the report', async () => {
    assert.equal(await value('summary-total'), r.loss.total);
    assert.equal(await value('summary-dice'), r.loss.dice);
    assert.equal(await value('summary-focal'), r.loss.focal);
    assert.equal(await v.page.locator('[data-testid="summary-ce"]').count(), 0, 'no CE term in DiceFocalLoss');
    for (const k of ['total', 'dice', 'focal'] as const) {
      assert.equal(await value(`hard-${k}`), r.hard[k], `hard ${k}`);
      assert.equal(await value(`smoothed-${k}`), r.smoothed![k], `smoothed ${k}`);
    }
    assert.match((await v.page.textContent('[data-testid="summary-config"]')) ?? '', /DiceFocalLoss .*λ dice 1, λ focal 0\.5 .*γ 2/);
    const codes = await v.page.$$eval('[data-testid="warning"]', (els) => els.map((e) => (e as HTMLElement).dataset.code));
    assert.deepEqual(codes, r.warnings.map((w) => w.code));
    assert.ok(codes.includes('focal-sigmoid'));
  });

  test('per class: Dice and focal columns (no CE), equal to the report; the contributions add up to the total', async () => {
    for (const c of r.perClass!) {
      for (const k of ['diceHard', 'diceSmoothed', 'focalHard', 'focalSmoothed'] as const) {
        assert.equal(await value(`cell-${k}-${c.class}`), c[k], `${k} of class ${c.class}`);
      }
      assert.equal(await value(`cell-contribution-${c.class}`), c.contribution.total);
      assert.equal(await v.page.locator(`[data-testid="cell-ceHard-${c.class}"]`).count(), 0);
    }
    const heads = await v.page.$$eval('[data-testid^="sort-"]', (els) => els.map((e) => e.textContent?.replace(/[▲▼]/g, '').trim()));
    assert.deepEqual(heads, ['Class', 'Count', 'Dice hard', 'Dice smoothed', 'Δ Dice', 'Focal hard', 'Focal smoothed', 'Δ Focal', 'Contribution']);
    const sum = r.perClass!.reduce((s, c) => s + c.contribution.total, 0);
    assert.ok(Math.abs(sum - r.loss.total!) < 1e-12);
  });

  test('charts: Dice and focal bars, the ε sweep of the Dice term and the γ sweep; no CE charts', async () => {
    for (const id of ['chart-dice-bars', 'chart-focal-bars', 'chart-sweep-dice', 'chart-sweep-gamma']) {
      assert.equal(await v.page.isVisible(`[data-testid="${id}"]`), true, `${id} visible`);
      const s = await v.canvasStats(`${id}-canvas`);
      assert.ok(s.painted > 2000 && s.colors > 8, `${id} is drawn (${s.painted} painted pixels, ${s.colors} colours)`);
    }
    for (const id of ['chart-ce-bars', 'chart-sweep-ce']) assert.equal(await v.page.isVisible(`[data-testid="${id}"]`), false, `${id} hidden`);
    assert.match((await v.page.textContent('[data-testid="chart-sweep-gamma-note"]')) ?? '', /against γ at ε = 0\.1/);
    // the sweep the chart draws passes through the report at the configured γ
    const g = state.sweep!.gamma!;
    const j = g.gamma.indexOf(2);
    assert.ok(Math.abs(g.totalHard[j]! - r.hard.total!) <= 1e-12 * Math.abs(r.hard.total!));
  });

  test('Options panel: the family and its focal options; editing γ asks for one recompute with them', async () => {
    const toggle = v.page.locator('[data-testid="options-toggle"]');
    if (!(await v.page.locator('[data-testid="options-panel"]').isVisible())) await toggle.click();
    assert.equal(await v.page.locator('[data-testid="opt-loss"]').evaluate((e) => (e as HTMLInputElement).value), 'dicefocal');
    assert.equal(await v.page.locator('[data-testid="opt-gamma"]').evaluate((e) => (e as HTMLInputElement).value), '2');
    assert.equal(await v.page.locator('[data-testid="opt-lambdaFocal"]').evaluate((e) => (e as HTMLInputElement).value), '0.5');
    // options DiceFocal does not have are dimmed (use_softmax is FocalLoss's, w_type the generalized Dice's)
    for (const [id, dim] of [['opt-useSoftmax', true], ['opt-wType', true], ['opt-alpha', false], ['opt-squaredPred', false]] as const) {
      const irrelevant = await v.page.locator(`[data-testid="${id}"]`).evaluate((e) => ((e.closest('.field') as HTMLElement | null) ?? (e as HTMLElement)).classList.contains('is-irrelevant'));
      assert.equal(irrelevant, dim, id);
    }
    const since = v.posted.length;
    const input = v.page.locator('[data-testid="opt-gamma"] input');
    await input.click();
    await input.press('Control+A');
    await input.pressSequentially('1.5', { delay: 40 });
    const req = await v.nextRequest('recompute', since);
    assert.equal(req.params.options.loss, 'dicefocal');
    assert.equal(req.params.options.gamma, 1.5);
    assert.equal(req.params.options.lambdaFocal, 0.5);
    const next = sampleState({ ...DICE_FOCAL, gamma: 1.5 });
    await v.respond(req.id, next);
    await v.page.waitForFunction((want) => document.querySelector('[data-testid="summary-focal"]')?.getAttribute('data-value') === want, String(next.report.loss.focal));
    assert.equal(await value('cell-focalHard-1'), next.report.perClass![1]!.focalHard);
  });
});
