// The per-class rows of a report with very many classes, built on demand (classTable.ts), and the selection of
// the classes a table shows (vocabulary.ts's selectClasses) over them: the same rows, selection and JSON as a
// plain array gives, with writes refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classColumnsOf, isLazyClassList, lazyClassList, LAZY_CLASSES_ABOVE, type ClassColumns } from '../../src/engine/classTable';
import { Tensor, accumulateAll, accumulateConfig, computeReport, finalizeReport, newAccumulators, preparePair, resolveOptions, selectClasses, topConfusions, TOP_CONFUSIONS, type ClassReport } from '../../src/engine/index';
import { toJson, toJsonChunks, JSON_STREAM_ITEMS } from '../../src/cli/format';
import { rng as mulberry32 } from './helpers/random';

/** Columns of made-up rows: counts with ties, contributions of both signs, a NaN. */
function columns(n: number, seed = 1): { cols: ClassColumns; rows: ClassReport[] } {
  const rnd = mulberry32(seed);
  const rows: ClassReport[] = [];
  for (let c = 0; c < n; c++) {
    const count = Math.floor(rnd() * 20);
    const total = c === 7 ? NaN : (rnd() - 0.5) * (c % 13 === 0 ? 100 : 1);
    rows.push({ class: c, count, ceHard: count ? rnd() : null, ceSmoothed: null, diceHard: null, diceSmoothed: null, focalHard: null, focalSmoothed: null, contribution: { total, ce: total, dice: null, focal: null } });
  }
  const cols: ClassColumns = { length: n, row: (c) => structuredClone(rows[c]!), count: (c) => rows[c]!.count, contribution: (c) => rows[c]!.contribution.total };
  return { cols, rows };
}

/** The selection as a full sort defines it: top n by count and by |contribution| (ties: the lower class), NaN last. */
function selectBySort(rows: ClassReport[], n: number) {
  const top = (key: (r: ClassReport) => number) => {
    const v = (r: ClassReport) => (Number.isNaN(key(r)) ? -Infinity : key(r));
    return [...rows].sort((a, b) => v(b) - v(a) || a.class - b.class).slice(0, n).map((r) => r.class);
  };
  const keep = new Set([...top((r) => r.count), ...top((r) => Math.abs(r.contribution.total))]);
  const shown = rows.filter((r) => keep.has(r.class)).sort((a, b) => b.count - a.count || a.class - b.class);
  let count = 0;
  let contribution = 0;
  for (const r of rows) if (!keep.has(r.class)) (count += r.count), (contribution += r.contribution.total);
  return { shown, rest: { classes: rows.length - shown.length, count, contribution } };
}

test('a lazy list reads as the array of its rows: index, length, iteration, slice, array methods, JSON', () => {
  const { cols, rows } = columns(1000);
  const list = lazyClassList(cols);
  assert.ok(Array.isArray(list) && isLazyClassList(list) && !isLazyClassList(rows));
  assert.equal(list.length, 1000);
  assert.deepEqual(list[5], rows[5]);
  assert.equal(list[1000], undefined);
  assert.equal(list[-1 as number], undefined);
  assert.ok(0 in list && !(1000 in list));
  assert.deepEqual([...list], rows);
  assert.deepEqual(list.slice(990), rows.slice(990));
  assert.deepEqual(list.slice(-3, -1), rows.slice(-3, -1));
  assert.deepEqual(list.slice(), rows);
  assert.deepEqual(list.filter((r) => r.count === 0).map((r) => r.class), rows.filter((r) => r.count === 0).map((r) => r.class));
  assert.equal(list.some((r) => r.diceHard !== null), false);
  assert.equal(JSON.stringify(list), JSON.stringify(rows));
  assert.equal(toJson({ perClass: list }), toJson({ perClass: rows }));
  assert.throws(() => {
    'use strict';
    (list as ClassReport[])[0] = rows[1]!;
  }, TypeError);
  assert.throws(() => list.push(rows[0]!), TypeError);
  assert.equal(classColumnsOf(list), cols);
});

test('selectClasses: the heap selection over the columns equals the full sort, for a lazy list and a plain array', () => {
  for (const [n, top] of [[1000, 50], [300, 7], [60, 50], [51, 50]] as const) {
    const { cols, rows } = columns(n, n);
    const want = selectBySort(rows, top);
    assert.deepEqual(selectClasses(rows, top), want, `array, ${n} classes, top ${top}`);
    assert.deepEqual(selectClasses(lazyClassList(cols), top), want, `lazy, ${n} classes, top ${top}`);
  }
  const { rows } = columns(20);
  assert.deepEqual(selectClasses(rows, 50), { shown: rows, rest: null });
});

test('toJsonChunks writes the text toJson writes, long arrays a batch at a time', () => {
  const { cols, rows } = columns(2 * JSON_STREAM_ITEMS + 17);
  const value = { a: 1, perClass: lazyClassList(cols), b: [Infinity, -Infinity, NaN], c: rows.map((r) => r.count), d: 'x' };
  const chunks = [...toJsonChunks(value)];
  assert.ok(chunks.length > 5);
  assert.equal(chunks.join(''), toJson({ ...value, perClass: rows }));
  assert.equal([...toJsonChunks({ e: [], f: [1] })].join(''), toJson({ e: [], f: [1] }));
  assert.equal(toJson({ big: 123456789012345678901234567890n }), '{\n  "big": 123456789012345678901234567890\n}');
});

test(`above ${LAZY_CLASSES_ABOVE} classes a report builds its rows on demand: rows that add up to the loss, a selection over all classes`, () => {
  const C = LAZY_CLASSES_ABOVE + 5;
  const rnd = mulberry32(3);
  const x = new Tensor('float32', [C], Float32Array.from({ length: C }, () => rnd() * 4 - 2));
  const t = new Float32Array(C);
  for (let i = 0; i < C; i++) t[i] = rnd();
  const sum = t.reduce((a, b) => a + b, 0);
  for (let i = 0; i < C; i++) t[i]! /= sum;
  const r = computeReport(x, new Tensor('float32', [C], t), resolveOptions({ loss: 'ce', labelSmoothing: 0.1 }));
  assert.ok(isLazyClassList(r.perClass!));
  // the same pair split in two halves of classes is not the same loss; check the rows against their definition
  let total = 0;
  for (const row of r.perClass!) total += row.contribution.total;
  assert.ok(Math.abs(total - r.loss.total!) <= 1e-9 * Math.abs(r.loss.total!), `${total} vs ${r.loss.total}`);
  const row = r.perClass![12345]!;
  assert.equal(row.count, t[12345]);
  assert.equal(row.ceHard, null);
  const sel = selectClasses(r.perClass!, 50);
  assert.ok(sel.shown.length >= 50 && sel.shown.length <= 100);
  assert.equal(sel.rest!.classes + sel.shown.length, C);
});

test('topConfusions: the heap keeps what a full sort by count, target and predicted class keeps, dense or in pairs', () => {
  const rnd = mulberry32(9);
  for (const C of [30, 2000]) {
    const acc = newAccumulators(1, C, { opts: resolveOptions({ loss: 'ce' }), eps: 0, dice: false, sweepEps: null, focal: null });
    const cells = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(rnd() * Math.min(C, 40));
      const p = rnd() < 0.3 ? t : Math.floor(rnd() * Math.min(C, 40));
      cells.set(t * C + p, (cells.get(t * C + p) ?? 0) + 1);
    }
    for (const [key, n] of cells) {
      if (acc.confusionPairs) acc.confusionPairs.set(key, n);
      else acc.confusion[key] = n;
    }
    const want = [...cells]
      .map(([key, count]) => ({ target: Math.floor(key / C), predicted: key % C, count }))
      .filter((c) => c.target !== c.predicted)
      .sort((a, b) => b.count - a.count || a.target - b.target || a.predicted - b.predicted);
    assert.deepEqual(topConfusions(acc), want.slice(0, TOP_CONFUSIONS), `${C} classes`);
    assert.deepEqual(topConfusions(acc, 7), want.slice(0, 7));
  }
});

test('(N, C) rows with a mostly empty C×C matrix count their confusion in pairs: the matrix and top confusions of a brute-force argmax', () => {
  const rnd = mulberry32(21);
  const N = 512;
  const C = 300;
  const x = new Float32Array(N * C);
  const y = new BigInt64Array(N);
  const want = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < N; i++) {
    const label = Math.floor(rnd() * 40);
    y[i] = BigInt(label);
    let best = 0;
    for (let k = 0; k < C; k++) {
      x[i * C + k] = Math.round((rnd() * 4 + (k === label ? 2 : 0)) * 8) / 8; // ties: the first maximum wins
      if (x[i * C + k]! > x[i * C + best]!) best = k;
    }
    want[label]![best]!++;
  }
  const logits = new Tensor('float32', [N, C], x);
  const target = new Tensor('int64', [N], y);
  const opts = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
  const pair = preparePair(logits, target, opts);
  const cfg = accumulateConfig(pair);
  assert.equal(cfg.confusionPairs, true);
  const acc = accumulateAll(pair, cfg);
  assert.equal(acc.confusion.length, 0, 'no C×C array');
  const r = finalizeReport(pair, acc);
  // the matrix is built when first read, and reads, clones and serializes as a plain property
  assert.deepEqual(structuredClone(r.confusion), { matrix: want, total: N });
  assert.equal(JSON.stringify(r.confusion), JSON.stringify({ matrix: want, total: N }));
  assert.equal(r.confusion!.matrix, r.confusion!.matrix, 'built once');
  r.confusion!.matrix = [];
  assert.deepEqual(r.confusion!.matrix, []);
  assert.deepEqual(finalizeReport(pair, acc).confusion, { matrix: want, total: N });
  const top = want.flatMap((row, t) => row.map((count, p) => ({ target: t, predicted: p, count }))).filter((c) => c.count > 0 && c.target !== c.predicted);
  top.sort((a, b) => b.count - a.count || a.target - b.target || a.predicted - b.predicted);
  assert.deepEqual(r.topConfusions, top.slice(0, TOP_CONFUSIONS));
  // a cell the pass did not count where the sums look fails loudly
  const [first] = acc.confusionPairs!.keys();
  acc.confusionPairs!.delete(first!);
  assert.throws(() => finalizeReport(pair, acc), /internal: the pass counted \d+ confusion cells for 512 elements/);
});
