/**
 * The per-class table's layout in Chromium: at the default window (1280 px, options beside the content)
 * and in a ~900 px editor column (options folded above), each column header ("CE smoothed", "Δ CE",
 * "Dice smoothed", …) stays inside its own cell: its text lies within the cell's padding box, no two
 * headers' text boxes intersect, and no word is broken across lines. The table fits without sideways
 * scrolling at both widths, and with a larger font it scrolls rather than overlapping.
 * Screenshots of the table go to .test-artifacts/webview/comparison-per-class-<width>.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir, Harness, type ViewPage } from './harness';
import { sampleSlice, sampleState } from './fixtures';

interface HeaderLayout {
  /** Everything wrong with the header row, one line each (empty when clean). */
  problems: string[];
  /** Text lines of each header, by testid. */
  lines: Record<string, number>;
}

/** Measures every header cell of the per-class grid in the page. */
function headerLayout(v: ViewPage): Promise<HeaderLayout> {
  return v.page.$$eval('[data-testid="class-table-header"] vscode-data-grid-cell', (cells) => {
    const problems: string[] = [];
    const lines: Record<string, number> = {};
    const boxes: { id: string; left: number; right: number; top: number; bottom: number }[] = [];
    for (const cell of cells as HTMLElement[]) {
      const id = cell.dataset.testid ?? '(no testid)';
      const box = cell.getBoundingClientRect();
      const cs = getComputedStyle(cell);
      const inner = {
        left: box.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft),
        right: box.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight),
      };
      const all = document.createRange();
      all.selectNodeContents(cell);
      const text = all.getBoundingClientRect();
      if (text.width === 0) problems.push(`${id}: no visible text`);
      if (text.left < inner.left - 0.5 || text.right > inner.right + 0.5) {
        problems.push(`${id}: text spans [${text.left.toFixed(1)}, ${text.right.toFixed(1)}] px, outside the cell's content box [${inner.left.toFixed(1)}, ${inner.right.toFixed(1)}]`);
      }
      if (cell.scrollWidth > cell.clientWidth) problems.push(`${id}: content ${cell.scrollWidth} px wider than the cell (${cell.clientWidth} px)`);
      boxes.push({ id, left: text.left, right: text.right, top: text.top, bottom: text.bottom });
      const tops = new Set<number>();
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of (node.textContent ?? '').matchAll(/\S+/g)) {
          const word = document.createRange();
          word.setStart(node, m.index);
          word.setEnd(node, m.index + m[0].length);
          const rows = new Set(Array.from(word.getClientRects()).map((r) => Math.round(r.top)));
          if (rows.size > 1) problems.push(`${id}: the word "${m[0]}" is broken over ${rows.size} lines`);
          for (const r of rows) tops.add(r);
        }
      }
      lines[id] = tops.size;
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) problems.push(`${a.id} and ${b.id}: header texts overlap`);
      }
    }
    return { problems, lines };
  });
}

/** Width of the table's scroll box and of what it holds. */
function tableScroll(v: ViewPage): Promise<{ client: number; scroll: number }> {
  return v.page.$eval('[data-testid="per-class"] .table-scroll', (s) => ({ client: s.clientWidth, scroll: s.scrollWidth }));
}

function frames(v: ViewPage): Promise<unknown> {
  return v.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

describe('per-class table layout (Chromium)', () => {
  let h: Harness;
  const state = sampleState();

  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    await h?.close();
  });

  for (const width of [1280, 900]) {
    test(`${width} px: headers wrap between words inside their cells; the table fits`, async () => {
      const v = await h.open('comparison', 'dark', { width, height: 900 });
      try {
        await v.waitFor((m) => m.type === 'ready');
        await v.push({ type: 'init', view: 'comparison', state });
        await v.page.waitForSelector('[data-testid="class-row-3"]');
        await frames(v);
        // Options beside the content at 1280 px, folded above it at 900 px.
        assert.equal(await v.page.$eval('.options-details', (d) => (d as HTMLDetailsElement).open), width > 1200);

        const layout = await headerLayout(v);
        assert.deepEqual(layout.problems, []);
        for (const id of ['sort-ceSmoothed', 'sort-ceDelta', 'sort-diceSmoothed']) {
          assert.ok((layout.lines[id] ?? 0) >= 1 && (layout.lines[id] ?? 0) <= 2, `${id} takes 1–2 lines (${layout.lines[id]})`);
        }
        const scroll = await tableScroll(v);
        assert.ok(scroll.scroll <= scroll.client, `no sideways scrolling at ${width} px (${scroll.scroll} > ${scroll.client})`);
        // Class names are shown whole, not cut to "back…".
        const cut = await v.page.$$eval('[data-testid="class-table"] .class-name', (names) => names.filter((n) => n.scrollWidth > n.clientWidth).map((n) => n.textContent));
        assert.deepEqual(cut, []);
        // Numbers stay inside their cells too.
        const spilled = await v.page.$$eval('[data-testid="class-table"] vscode-data-grid-cell.numeric', (cs) => cs.filter((c) => c.scrollWidth > c.clientWidth).map((c) => (c as HTMLElement).dataset.testid));
        assert.deepEqual(spilled, []);

        // Sorted by a smoothed column: its arrow joins the header and still nothing overlaps.
        await v.page.click('[data-testid="sort-ceSmoothed"]');
        await v.page.waitForSelector('[data-testid="sort-ceSmoothed"][aria-sort="descending"] .sort-indicator');
        await frames(v);
        assert.deepEqual((await headerLayout(v)).problems, []);
        await v.page.click('[data-testid="sort-class"]');
        await v.page.waitForSelector('[data-testid="sort-class"][aria-sort="ascending"]');
        // The slice viewer's picture too, and no focus ring left from the clicks, for a clean screenshot.
        const slice = await v.nextRequest('slice');
        await v.respond(slice.id, sampleSlice(state.options, slice.params));
        await v.page.waitForSelector('[data-testid="slice-viewer"]:not(.is-loading)');
        await v.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await frames(v);

        mkdirSync(artifactsDir, { recursive: true });
        await v.page.locator('[data-testid="per-class"]').screenshot({ path: join(artifactsDir, `comparison-per-class-${width}.png`) });
        await v.screenshot(`comparison-${width}`);
        assert.deepEqual(await v.cspViolations(), []);
        assert.deepEqual(v.consoleErrors, []);
        assert.deepEqual(v.pageErrors, []);
      } finally {
        await v.close();
      }
    });
  }

  test('a larger UI font (16 px) in a 900 px column: the table scrolls sideways, headers still do not overlap', async () => {
    const v = await h.open('comparison', 'dark', { width: 900, height: 900 });
    try {
      await v.waitFor((m) => m.type === 'ready');
      // As VS Code does on a font change: new variables, then a body class change (the toolkit re-reads its tokens then).
      await v.page.evaluate(() => {
        document.documentElement.style.setProperty('--vscode-font-size', '16px');
        document.body.classList.add('font-changed');
      });
      await frames(v);
      await v.push({ type: 'init', view: 'comparison', state });
      await v.page.waitForSelector('[data-testid="class-row-3"]');
      await frames(v);
      assert.equal(await v.page.$eval('[data-testid="sort-ceSmoothed"]', (c) => getComputedStyle(c).fontSize), '16px');
      assert.deepEqual((await headerLayout(v)).problems, []);
      const scroll = await tableScroll(v);
      assert.ok(scroll.scroll > scroll.client, `the grid keeps its minimum width and scrolls (${scroll.scroll} ≤ ${scroll.client})`);
      await v.page.locator('[data-testid="per-class"]').screenshot({ path: join(artifactsDir, 'comparison-per-class-900-16px.png') });
      assert.deepEqual(await v.cspViolations(), []);
    } finally {
      await v.close();
    }
  });
});
