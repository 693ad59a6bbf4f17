// The per-class table's pages at vocabulary scale (src/protocol/classPage.ts): what the host sends the view and
// the pages it answers — every class exactly once over the pages, in the webview's own sort order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReport, resolveOptions, selectClasses } from '../../src/engine/index';
import { checkPageRequest, ClassPager, reportForView, sortedClassOrder, VIEW_ALL_CLASSES, VIEW_TOP_CLASSES, type ClassSortKey } from '../../src/protocol/classPage';
import { packPerClass, unpackPerClass } from '../../src/protocol/packedClasses';
import type { ClassReport } from '../../src/engine/types';
import { rowsOf, sortRows } from '../../webview/comparison/classRows';
import { randomLabels, randomLogits, rng } from './helpers/random';

function report(C: number, N = 600) {
  const r = rng(C);
  return computeReport(randomLogits(r, [N, C]), randomLabels(r, [N], C, { value: -100, rate: 0.1 }), resolveOptions({ loss: 'ce', labelSmoothing: 0.1 }));
}

test('up to VIEW_ALL_CLASSES classes the view gets the report as it is', () => {
  const r = report(VIEW_ALL_CLASSES);
  const v = reportForView(r);
  assert.equal(v.report, r);
  assert.equal(v.table, null);
  assert.equal(v.pager, null);
});

test('above, the selection (as the CLI\'s table) in class order, the rest summed, and a pager over every class', () => {
  const r = report(VIEW_ALL_CLASSES + 1);
  const v = reportForView(r);
  const sel = selectClasses(r.perClass!, VIEW_TOP_CLASSES);
  assert.deepEqual(v.report.perClass!.map((c) => c.class), sel.shown.map((c) => c.class).sort((a, b) => a - b));
  assert.deepEqual(v.table, { total: VIEW_ALL_CLASSES + 1, top: VIEW_TOP_CLASSES, rest: sel.rest });
  assert.equal(v.pager!.perClass, r.perClass);
  assert.equal(r.perClass!.length, VIEW_ALL_CLASSES + 1, 'the report itself keeps every class');
  // Everything else of the report is the report's.
  assert.deepEqual({ ...v.report, perClass: null }, { ...r, perClass: null });
});

test('pages cover every class once, in the webview\'s sortRows order, for every column and direction', () => {
  const r = report(1500, 900);
  const all = r.perClass!;
  const pager = new ClassPager(all);
  const keys: ClassSortKey[] = ['class', 'count', 'ceHard', 'ceSmoothed', 'ceDelta', 'diceHard', 'contribution'];
  for (const sort of keys) {
    for (const dir of ['ascending', 'descending'] as const) {
      const seen: number[] = [];
      for (let offset = 0; offset < all.length; offset += 128) {
        const p = pager.page({ sort, dir, offset, limit: 128 });
        assert.equal(p.offset, offset);
        assert.equal(p.total, all.length);
        seen.push(...p.rows.map((c) => c.class));
      }
      const want = sortRows(rowsOf(all, null), sort, dir).map((row) => row.class);
      assert.deepEqual(seen, want, `${sort} ${dir}`);
    }
  }
});

test('null values go last in both directions; ties keep class order', () => {
  const mk = (cls: number, ce: number | null, count: number): ClassReport => ({
    class: cls, count, ceHard: ce, ceSmoothed: ce, diceHard: null, diceSmoothed: null, focalHard: null, focalSmoothed: null,
    contribution: { total: 0, ce: 0, dice: null, focal: null },
  });
  const rows = [mk(0, null, 0), mk(1, 2, 5), mk(2, 1, 5), mk(3, Number.NaN, 1), mk(4, 2, 3)];
  assert.deepEqual([...sortedClassOrder(rows, 'ceHard', 'descending')], [1, 4, 2, 0, 3]);
  assert.deepEqual([...sortedClassOrder(rows, 'ceHard', 'ascending')], [2, 1, 4, 0, 3]);
  assert.deepEqual([...sortedClassOrder(rows, 'count', 'descending')], [1, 2, 4, 3, 0]);
  assert.deepEqual([...sortedClassOrder(rows, 'ceDelta', 'ascending')], [1, 2, 4, 0, 3]);
});

test('an offset past the end gives the last row; bad requests are refused naming the field', () => {
  const pager = new ClassPager(report(1100).perClass!);
  const p = pager.page({ sort: 'class', dir: 'ascending', offset: 5000, limit: 50 });
  assert.deepEqual([p.offset, p.rows.length, p.rows[0]!.class], [1099, 1, 1099]);
  assert.throws(() => checkPageRequest({ sort: 'name', dir: 'ascending', offset: 0, limit: 5 }), /unknown sort column "name"/);
  assert.throws(() => checkPageRequest({ sort: 'count', dir: 'up', offset: 0, limit: 5 }), /dir must be/);
  assert.throws(() => checkPageRequest({ sort: 'count', dir: 'ascending', offset: -1, limit: 5 }), /offset must be a non-negative integer/);
  assert.throws(() => checkPageRequest({ sort: 'count', dir: 'ascending', offset: 0, limit: 100_000 }), /limit must be an integer from 1 to 500/);
  assert.throws(() => checkPageRequest(null), /unknown sort column/);
});

test('an empty per-class list pages to nothing', () => {
  const p = new ClassPager([]).page({ sort: 'class', dir: 'ascending', offset: 0, limit: 10 });
  assert.deepEqual(p, { offset: 0, total: 0, rows: [], names: null });
});



test('a vocabulary\'s per-class numbers cross the worker boundary packed and come back exactly (NaN, ±Infinity, null)', () => {
  const r = report(1500, 900);
  const all = r.perClass!.map((c, i) =>
    i === 3 ? { ...c, ceHard: Number.NaN, contribution: { ...c.contribution, total: Number.POSITIVE_INFINITY } } : i === 4 ? { ...c, ceSmoothed: Number.NEGATIVE_INFINITY, diceHard: -0 } : c,
  );
  const packed = structuredClone(packPerClass(all));
  assert.equal(packed.count, all.length);
  const back = unpackPerClass(packed);
  assert.deepEqual(back, all);
  assert.ok(Object.is(back[4]!.diceHard, -0));
  assert.equal(back[10]!.diceHard, null);
  assert.equal(back[10]!.contribution.dice, null);
  assert.deepEqual(unpackPerClass(packPerClass([])), []);
});

test('a vocabulary\'s names: the state carries its shown classes\' and confusions\', each page its rows\'', () => {
  const r = report(1100, 700);
  const names = Array.from({ length: 1100 }, (_, c) => `tok${c}`);
  const v = reportForView(r, names);
  const want = new Set([...v.report.perClass!.map((c) => c.class), ...r.topConfusions!.flatMap((c) => [c.target, c.predicted])]);
  assert.deepEqual(Object.keys(v.names!).map(Number).sort((a, b) => a - b), [...want].sort((a, b) => a - b));
  for (const c of want) assert.equal((v.names as Record<number, string>)[c], `tok${c}`);
  const p = v.pager!.page({ sort: 'count', dir: 'descending', offset: 100, limit: 20 });
  assert.deepEqual(p.names, Object.fromEntries(p.rows.map((c) => [c.class, `tok${c.class}`])));
  // Without names, none; at most VIEW_ALL_CLASSES classes the list as it is.
  assert.equal(reportForView(r).names, null);
  assert.deepEqual(reportForView(report(20), names.slice(0, 20)).names, names.slice(0, 20));
});
