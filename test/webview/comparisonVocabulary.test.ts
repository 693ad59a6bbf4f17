/**
 * The comparison webview on a language model's pair at vocabulary scale ((2, 96, 3000) logits, class axis last,
 * causal shift, CE with ε 0.1, -100 on padding), shaped as the host sends it (classPage.ts's `reportForView`):
 * the table shows the top classes by count and by contribution with the rest summed in one row, pages through all
 * 3000 classes by asking the host (`classPage`, answered here by the host's own pager), and sorts pages on the
 * host; the most frequent confusions replace the matrix; the per-position chart, the per-sequence numbers, top-1 /
 * top-5 and the LabelSmoother statement are shown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReportAndSweep, resolveOptions, Tensor } from '../../src/engine/index';
import { CLASS_PAGE_ROWS, reportForView, sortedClassOrder, VIEW_TOP_CLASSES, type ClassPager } from '../../src/protocol/classPage';
import type { ComparisonState } from '../../src/protocol/messages';
import { randomLogits, rng } from '../unit/helpers/random';
import { Harness, type ViewPage } from './harness';

const B = 2;
const T = 96;
const V = 3000;

function vocabularyState(): { state: ComparisonState; pager: ClassPager; full: NonNullable<ComparisonState['report']['perClass']> } {
  const r = rng(31);
  const logits = randomLogits(r, [B, T, V]);
  const labels = new BigInt64Array(B * T);
  for (let i = 0; i < B * T; i++) {
    // A Zipf-like token distribution (a few frequent tokens, a long tail), -100 on the last 10 positions of sequence 1.
    labels[i] = i >= B * T - 10 ? -100n : BigInt(Math.floor(V * r() ** 3));
    // The model often puts its largest logit on the next token: confusions and top-1 are not all chance.
    const next = (i % T) + 1 < T ? i + 1 : -1;
    if (next >= 0 && r() < 0.5) logits.data[i * V + Math.floor(V * r() ** 3)] = 9;
  }
  const target = new Tensor('int64', [B, T], labels);
  const options = resolveOptions({ loss: 'ce', labelSmoothing: 0.1, classAxis: -1, shiftLabels: true });
  const { report, sweep } = computeReportAndSweep(logits, target, options);
  // A tokenizer's vocabulary as class names: the state carries only those of the classes it shows.
  const names = Array.from({ length: V }, (_, c) => `tok${c}`);
  const view = reportForView(report, names);
  assert.ok(view.pager && view.table, 'a 3000-class report is paged');
  return {
    full: report.perClass!,
    pager: view.pager,
    state: {
      logits: { uri: 'file:///w/lm.safetensors', key: 'logits', label: 'lm.safetensors#logits' },
      target: { uri: 'file:///w/labels.npy', key: '', label: 'labels.npy' },
      options,
      classTable: view.table,
      report: view.report,
      sweep,
      classNames: view.names,
      volume: null,
      timings: { readMs: 1, computeMs: 1 },
    },
  };
}

describe('comparison webview at vocabulary scale (Chromium)', () => {
  let h: Harness;
  let v: ViewPage;
  const { state, pager, full } = vocabularyState();
  const report = state.report;
  const seq = report.sequence!;

  /** Answers the next classPage request as the host does; returns its params. */
  async function answerPage(since: number) {
    const req = await v.nextRequest('classPage', since);
    await v.respond(req.id, pager.page(req.params));
    return req.params;
  }
  const rowClasses = () => v.page.locator('[data-testid^="class-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-class')));

  before(async () => {
    h = await Harness.start();
    v = await h.open('comparison', 'dark');
    await v.waitFor((m) => m.type === 'ready');
    await v.push({ type: 'init', view: 'comparison', state });
    await v.page.waitForSelector('[data-testid="class-row-rest"]');
  });
  after(async () => {
    await v?.close();
    await h?.close();
  });

  test('the state is small: the selection and its names, not 3000 rows', () => {
    assert.ok(report.perClass!.length <= 2 * VIEW_TOP_CLASSES && report.perClass!.length >= VIEW_TOP_CLASSES);
    assert.equal(state.classTable!.total, V);
    const named = Object.keys(state.classNames!).map(Number);
    const wanted = new Set([...report.perClass!.map((c) => c.class), ...report.topConfusions!.flatMap((c) => [c.target, c.predicted])]);
    assert.deepEqual(named.sort((a, b) => a - b), [...wanted].sort((a, b) => a - b));
    assert.ok(JSON.stringify(state).length < 200_000, `state of ${JSON.stringify(state).length} characters`);
  });

  test('top classes by count and by contribution, the rest summed in one row', async () => {
    const shown = report.perClass!;
    assert.equal(await v.page.locator('[data-testid^="class-row-"]:not([data-testid="class-row-rest"])').count(), shown.length);
    const rest = state.classTable!.rest!;
    assert.equal(rest.classes, V - shown.length);
    assert.equal(Number(await v.page.getAttribute('[data-testid="cell-count-rest"]', 'data-value')), rest.count);
    assert.equal(Number(await v.page.getAttribute('[data-testid="cell-contribution-rest"]', 'data-value')), rest.contribution);
    // The shown classes and the rest add up to every class's count and to the total.
    const keptCount = shown.reduce((a, c) => a + c.count, 0) + rest.count;
    assert.equal(keptCount, report.kept);
    const contribution = shown.reduce((a, c) => a + c.contribution.total, 0) + rest.contribution;
    assert.ok(Math.abs(contribution - report.loss.total!) <= 1e-9 * report.loss.total!);
    // The most frequent class and the largest contributor are both shown.
    const byCount = [...full].sort((a, b) => b.count - a.count || a.class - b.class)[0]!;
    const byContribution = [...full].sort((a, b) => Math.abs(b.contribution.total) - Math.abs(a.contribution.total))[0]!;
    assert.equal(Number(await v.page.getAttribute(`[data-testid="cell-count-${byCount.class}"]`, 'data-value')), byCount.count);
    assert.equal(Number(await v.page.getAttribute(`[data-testid="cell-contribution-${byContribution.class}"]`, 'data-value')), byContribution.contribution.total);
    assert.match((await v.page.textContent('[data-testid="class-pager-status"]')) ?? '', /top 50 classes by count and the top 50 by contribution .* of 3\u2009000\); the other 2\u20099\d\d summed/);
    assert.equal(await v.page.locator('[data-testid="show-all-classes"]').count(), 0);
  });

  test('paging through all 3000 classes: each page asked of the host, sorted there', async () => {
    let since = v.posted.length;
    await v.page.click('[data-testid="class-pages-open"]');
    assert.deepEqual(await answerPage(since), { sort: 'class', dir: 'ascending', offset: 0, limit: CLASS_PAGE_ROWS });
    await v.page.waitForSelector('[data-testid="class-pager-status"][data-offset="0"]');
    await v.page.waitForSelector('[data-testid="class-row-49"]');
    assert.deepEqual(await rowClasses(), Array.from({ length: CLASS_PAGE_ROWS }, (_, i) => String(i)));
    assert.equal(await v.page.locator('[data-testid="class-row-rest"]').count(), 0);
    const present = full.slice(0, CLASS_PAGE_ROWS).find((c) => c.count > 0)!;
    assert.equal(Number(await v.page.getAttribute(`[data-testid="cell-ceSmoothed-${present.class}"]`, 'data-value')), present.ceSmoothed);
    const absent = full.slice(0, CLASS_PAGE_ROWS).find((c) => c.count === 0)!;
    assert.equal(await v.page.getAttribute(`[data-testid="cell-ceSmoothed-${absent.class}"]`, 'data-value'), 'null');
    assert.match((await v.page.textContent('[data-testid="class-pager-status"]')) ?? '', /^Classes 1–50 of 3\u2009000, by Class \(ascending\)/);
    // Names come with the page (the state had only the shown classes').
    assert.equal(await v.page.textContent('[data-testid="cell-class-2"] .class-name'), 'tok2');

    since = v.posted.length;
    await v.page.click('[data-testid="class-page-next"]');
    assert.equal((await answerPage(since)).offset, 50);
    await v.page.waitForSelector('[data-testid="class-row-99"]');
    assert.deepEqual(await rowClasses(), Array.from({ length: CLASS_PAGE_ROWS }, (_, i) => String(50 + i)));

    // Sorting while paging: the host orders all 3000 classes, the view shows the first page of that order.
    since = v.posted.length;
    await v.page.click('[data-testid="sort-ceHard"]');
    assert.deepEqual(await answerPage(since), { sort: 'ceHard', dir: 'descending', offset: 0, limit: CLASS_PAGE_ROWS });
    const order = sortedClassOrder(full, 'ceHard', 'descending');
    const want = Array.from(order.slice(0, CLASS_PAGE_ROWS), (i) => String(full[i]!.class));
    await v.page.waitForSelector(`[data-testid="class-row-${want[0]}"]`);
    assert.deepEqual(await rowClasses(), want);
    const values = await v.page.locator('[data-testid^="cell-ceHard-"]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
    assert.deepEqual(values, [...values].sort((a, b) => b - a), 'a page in descending CE order');
    assert.equal(values[0], Math.max(...full.map((c) => c.ceHard ?? -Infinity)));

    // Next and back in that order; Previous is disabled on the first page.
    since = v.posted.length;
    await v.page.click('[data-testid="class-page-next"]');
    assert.deepEqual(await answerPage(since), { sort: 'ceHard', dir: 'descending', offset: 50, limit: CLASS_PAGE_ROWS });
    await v.page.waitForSelector('[data-testid="class-pager-status"][data-offset="50"]');
    assert.deepEqual(await rowClasses(), Array.from(order.slice(50, 100), (i) => String(full[i]!.class)));
    since = v.posted.length;
    await v.page.click('[data-testid="class-page-prev"]');
    assert.equal((await answerPage(since)).offset, 0);
    await v.page.waitForSelector('[data-testid="class-pager-status"][data-offset="0"]');
    assert.equal(await v.page.locator('[data-testid="class-page-prev"]').evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
    await v.screenshot('comparison-vocabulary-pages-dark');

    await v.page.click('[data-testid="class-pages-close"]');
    await v.page.waitForSelector('[data-testid="class-row-rest"]');
    assert.equal(await v.page.locator('[data-testid^="class-row-"]:not([data-testid="class-row-rest"])').count(), report.perClass!.length);
  });

  test('a page the host refuses says why, under the table', async () => {
    const since = v.posted.length;
    await v.page.click('[data-testid="class-pages-open"]');
    const req = await v.nextRequest('classPage', since);
    await v.respondError(req.id, 'no comparison loaded yet');
    await v.page.waitForFunction(() => /Could not get the classes: no comparison loaded yet/.test(document.querySelector('[data-testid="class-pager-status"]')?.textContent ?? ''));
    await v.page.click('[data-testid="class-pages-close"]');
  });

  test('the most frequent confusions instead of a 3000×3000 matrix', async () => {
    const top = report.topConfusions!;
    assert.ok(top.length > 0);
    assert.equal(report.confusion, null);
    assert.equal(await v.page.locator('[data-testid^="confusion-count-"]').count(), top.length);
    for (const i of [0, top.length - 1]) {
      const item = v.page.locator(`[data-testid="confusion-${i}"]`);
      assert.equal(Number(await item.getAttribute('data-target')), top[i]!.target);
      assert.equal(Number(await item.getAttribute('data-predicted')), top[i]!.predicted);
      assert.equal(Number(await v.page.getAttribute(`[data-testid="confusion-count-${i}"]`, 'data-value')), top[i]!.count);
      assert.equal((await item.locator('.confusion-pair').textContent())?.trim(), `tok${top[i]!.target} → tok${top[i]!.predicted}`);
    }
    assert.equal(await v.page.textContent('[data-testid="chart-confusion"] h3'), 'Most frequent confusions');
    assert.equal(await v.page.locator('[data-testid="chart-confusion-canvas"]').isVisible(), false);
  });

  test('per-position chart, per-sequence numbers, top-1 / top-5 and the LabelSmoother statement', async () => {
    assert.equal(Number(await v.page.getAttribute('[data-testid="seq-top1"]', 'data-value')), seq.top1);
    assert.equal(Number(await v.page.getAttribute('[data-testid="seq-top5"]', 'data-value')), seq.top5);
    assert.ok(seq.top5! >= seq.top1! && seq.top1! > 0);
    const positions = await v.canvasStats('chart-positions-canvas');
    assert.ok(positions.painted > 3000, `the per-position chart is drawn (${positions.painted} px)`);
    const chart = await v.page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="chart-positions-canvas"]') as HTMLCanvasElement & { $chartjs?: unknown };
      const colors = JSON.parse(canvas.dataset.seriesColors ?? '[]') as string[];
      return { colors: colors.length };
    });
    assert.ok(chart.colors >= 2, 'hard and smoothed series');
    const worst = seq.perPosition!.filter((p) => p.count > 0).reduce((w, p) => (p.hard! > w.hard! ? p : w));
    assert.equal(Number(await v.page.getAttribute('[data-testid="seq-worst-position"]', 'data-value')), worst.hard);
    assert.equal(await v.page.getAttribute('[data-testid="seq-worst-position"]', 'data-position'), String(worst.index));
    for (const s of seq.perSequence!) {
      assert.equal(Number(await v.page.getAttribute(`[data-testid="seq-hard-${s.index}"]`, 'data-value')), s.hard);
      assert.equal(Number(await v.page.getAttribute(`[data-testid="seq-smoothed-${s.index}"]`, 'data-value')), s.smoothed);
      assert.equal(Number(await v.page.getAttribute(`[data-testid="seq-count-${s.index}"]`, 'data-value')), s.count);
    }
    assert.ok((await v.canvasStats('chart-sequences-canvas')).painted > 1000);
    assert.match((await v.page.textContent('[data-testid="seq-layout"]')) ?? '', /^2 sequences × 95 scored positions \(causal shift/);
    assert.match((await v.page.textContent('[data-testid="hf-note"]')) ?? '', /LabelSmoother\(epsilon=0\.1\).*the same number as torch's label_smoothing mean without weights/);
    await v.screenshot('comparison-vocabulary-dark');
  });

  test('the bars show the table\'s classes, not 3000', async () => {
    const n = await v.page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="chart-ce-bars-canvas"]') as HTMLCanvasElement;
      return canvas.width;
    });
    assert.ok(n > 0);
    assert.match((await v.page.textContent('[data-testid="chart-ce-bars-note"]')) ?? '', /The \d+ classes of the table \(top by count and by contribution of 3000\)/);
  });

  test('no CSP violation or console error', async () => {
    assert.deepEqual(await v.cspViolations(), []);
    assert.deepEqual(v.errorLogs(), []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.pageErrors, []);
  });
});
