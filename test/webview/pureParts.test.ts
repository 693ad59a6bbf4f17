/**
 * The webviews' pure parts, in plain Node: the typed host client (one promise per request id, errors and
 * timeouts), table rows/sorting/exports, option parsing, number formatting and the debounce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonPush, RequestMap, TensorFilePush, ViewProtocol, WebviewToHost } from '../../src/protocol/messages';
import { HostClient, RequestError } from '../../webview/common/client';
import { debounce } from '../../webview/common/debounce';
import { contrastRatio, legible } from '../../webview/common/contrast';
import { difference, formatCount, formatDelta, formatNumber, formatShape } from '../../webview/common/format';
import { classRows, exportStem, sortRows, toCsv, toMarkdown } from '../../webview/comparison/classRows';
import { labelSmootherNote } from '../../webview/comparison/labelSmoother';
import { parseNumber, parseWeight } from '../../webview/comparison/optionValues';
import { sampleState } from './fixtures';

function client(timeouts: Partial<Record<string, number>> = {}) {
  const sent: WebviewToHost[] = [];
  // Both views' requests, to exercise every method's timeout through one client.
  const c = new HostClient<ViewProtocol<RequestMap, ComparisonPush | TensorFilePush>>((m) => sent.push(m as WebviewToHost), { recompute: 1000, slice: 1000, heatmap: 1000, copy: 1000, save: 0, compareWith: 0, openAsText: 1000, classPage: 1000, ...timeouts });
  return { c, sent };
}

test('client: ids are distinct, each response settles its own request, others are ignored', async () => {
  const { c, sent } = client();
  const a = c.request('copy', { text: 'a' });
  const b = c.request('save', { content: 'x', format: 'csv', suggestedName: 'x.csv' });
  assert.equal(sent.length, 2);
  const [ra, rb] = sent as Extract<WebviewToHost, { type: 'request' }>[];
  assert.notEqual(ra!.id, rb!.id);
  assert.deepEqual(ra, { type: 'request', id: ra!.id, method: 'copy', params: { text: 'a' } });
  c.receive({ type: 'response', id: 9999, ok: true, result: {} }); // not ours
  c.receive({ type: 'response', id: rb!.id, ok: true, result: { saved: true } });
  c.receive({ type: 'response', id: ra!.id, ok: false, error: 'clipboard unavailable' });
  assert.deepEqual(await b, { saved: true });
  await assert.rejects(a, (e: unknown) => e instanceof RequestError && e.method === 'copy' && e.message === 'clipboard unavailable');
  assert.equal(c.pendingCount, 0);
});

test('client: a request without an answer times out with an error naming the method', async () => {
  const { c, sent } = client({ slice: 30 });
  const p = c.request('slice', { batch: 0, axis: 0, index: 0, mode: 'hard' });
  await assert.rejects(p, (e: unknown) => e instanceof RequestError && e.timedOut && /slice: no answer/.test(e.message));
  // A late answer is ignored, not thrown.
  c.receive({ type: 'response', id: (sent[0] as { id: number }).id, ok: true, result: {} });
  assert.equal(c.pendingCount, 0);
});

test('client: a timeout or an aborted signal rejects at once and tells the host to stop; dispose rejects the rest', async () => {
  const { c, sent } = client({ slice: 20 });
  const timedOut = c.request('slice', { batch: 0, axis: 0, index: 0, mode: 'hard' });
  await assert.rejects(timedOut, (e: unknown) => e instanceof RequestError && e.timedOut);
  const ac = new AbortController();
  const aborted = c.request('heatmap', { key: 'x', leading: [] }, 0, ac.signal);
  ac.abort();
  await assert.rejects(aborted, (e: unknown) => e instanceof RequestError && e.method === 'heatmap' && /cancelled/.test(e.message));
  const reqs = sent.filter((m) => m.type === 'request') as { id: number }[];
  assert.deepEqual(
    sent.filter((m) => m.type === 'cancel'),
    reqs.map((r) => ({ type: 'cancel', id: r.id })),
  );
  const left = c.request('copy', { text: '' });
  c.dispose();
  await assert.rejects(left, /the view was closed/);
  assert.equal(c.pendingCount, 0);
});

test('client: pushed messages reach listeners; junk is ignored', () => {
  const { c } = client();
  const got: string[] = [];
  const off = c.onPush((m) => got.push(m.type));
  c.receive({ type: 'busy', busy: true });
  c.receive(null);
  c.receive('update');
  c.receive({ kind: 'update' });
  off();
  c.receive({ type: 'busy', busy: false });
  assert.deepEqual(got, ['busy']);
});

test('classRows: deltas, contributions, names; sorting keeps nulls last', () => {
  const state = sampleState();
  const rows = classRows(state.report, state.classNames);
  assert.equal(rows.length, 4);
  const c3 = state.report.perClass![3]!;
  assert.equal(rows[3]!.name, 'pancreas');
  assert.equal(rows[3]!.ceDelta, c3.ceSmoothed! - c3.ceHard!);
  assert.equal(rows[3]!.contribution, c3.contribution.total);
  const sum = rows.reduce((a, r) => a + r.contribution, 0);
  assert.ok(Math.abs(sum - state.report.loss.total!) < 1e-9, 'contributions add up to the total');
  const withNull = [{ ...rows[0]!, ceHard: null }, rows[1]!, rows[2]!];
  assert.deepEqual(sortRows(withNull, 'ceHard', 'ascending').map((r) => r.class), [1, 2, 0]);
  assert.deepEqual(sortRows(withNull, 'ceHard', 'descending').map((r) => r.class), [2, 1, 0]);
  assert.deepEqual(sortRows(rows, 'class', 'descending').map((r) => r.class), [3, 2, 1, 0]);
});

test('exports: CSV keeps full precision and quotes names; Markdown has one row per class', () => {
  const state = sampleState();
  const rows = classRows(state.report, ['back,ground', 'li"ver', 'spleen', 'pancreas']);
  const csv = toCsv(rows).trim().split('\n');
  assert.equal(csv[0], 'class,name,count,ceHard,ceSmoothed,ceDelta,diceHard,diceSmoothed,diceDelta,contribution,contributionCe,contributionDice');
  assert.ok(csv[1]!.startsWith(`0,"back,ground",${rows[0]!.count},${rows[0]!.ceHard},`));
  assert.ok(csv[2]!.startsWith('1,"li""ver",'));
  const md = toMarkdown(rows, state).trim().split('\n');
  assert.equal(md.filter((l) => /^\| \d /.test(l)).length, 4);
  assert.equal(exportStem(state), 'logits-per-class');
  assert.equal(exportStem({ ...state, logits: { ...state.logits, label: 'run/preds.pt#out.seg' } }), 'preds-out.seg-per-class');
});

test('option fields: weights and numbers', () => {
  assert.deepEqual(parseWeight('0.5, 1,2 ; 3'), [0.5, 1, 2, 3]);
  assert.deepEqual(parseWeight('[1, 2]'), [1, 2]);
  assert.equal(parseWeight('  '), null);
  assert.equal(parseWeight('None'), null);
  assert.match(parseWeight('1, two') as string, /weight: expected numbers/);
  assert.equal(parseNumber('1e-5'), 1e-5);
  assert.equal(parseNumber(''), null);
  assert.equal(parseNumber('1.5', true), null);
  assert.equal(parseNumber('-100', true), -100);
});

test('formatting', () => {
  assert.equal(formatNumber(0.4270036893554001), '0.4270');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(-0.25), '−0.2500');
  assert.equal(formatNumber(1.2e-7), '1.20e-7');
  assert.equal(formatNumber(Number.NaN), 'NaN');
  assert.equal(formatDelta(0.01), '+0.0100');
  assert.equal(formatDelta(-0.01), '−0.0100');
  assert.equal(formatDelta(0), '±0.0000');
  assert.equal(formatCount(14881), '14\u2009881');
  assert.equal(formatCount(2.5), '2.50');
  assert.equal(formatShape([1, 4, 32]), '1×4×32');
});

test('difference: float noise at ε 0 is exactly 0, a real change is kept with its sign', () => {
  const hard = 0.1 + 0.2; // 0.30000000000000004
  assert.equal(difference(0.3, hard), 0);
  assert.equal(difference(1.2068, 1.2068 + 1e-16), 0);
  assert.equal(difference(0, 0), 0);
  assert.equal(difference(0.31, 0.3), 0.31 - 0.3);
  assert.equal(difference(1e-14, 0), 1e-14); // a tiny loss against 0 is still a change
  assert.equal(difference(null, 1), null);
  // ε 0: smoothed and hard differ only by float noise, and every class row shows Δ 0.
  const report = structuredClone(sampleState().report);
  for (const c of report.perClass!) if (c.ceHard !== null) c.ceSmoothed = c.ceHard * (1 + 1e-15);
  for (const r of classRows(report, null)) if (r.ceHard !== null) assert.equal(r.ceDelta, 0, `class ${r.class}`);
});

test('debounce: one call with the last arguments', async () => {
  const calls: number[] = [];
  const d = debounce((x: number) => calls.push(x), 20);
  d(1);
  d(2);
  d(3);
  assert.equal(d.pending, true);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(calls, [3]);
  d(4);
  d.cancel();
  d(5);
  d.flush();
  assert.deepEqual(calls, [3, 5]);
});

test('contrast: WCAG ratios, and legible() reaches the threshold with the least mix toward the foreground', () => {
  assert.equal(Number(contrastRatio([0, 0, 0], [255, 255, 255]).toFixed(2)), 21);
  assert.equal(contrastRatio([113, 113, 113], [113, 113, 113]), 1);
  // VS Code's orange on Light Modern's white: 2.9:1, too pale for a line; nudged toward the foreground.
  const orange = [209, 134, 22] as const;
  assert.ok(contrastRatio(orange, [255, 255, 255]) < 3);
  const fixed = legible(orange, [255, 255, 255], [59, 59, 59], 3);
  assert.ok(contrastRatio(fixed, [255, 255, 255]) >= 3);
  assert.ok(contrastRatio(legible(orange, [255, 255, 255], [59, 59, 59], 2.5), [255, 255, 255]) < 3, 'no more mix than needed');
  // Already legible: unchanged.
  assert.deepEqual(legible([55, 148, 255], [31, 31, 31], [204, 204, 204], 3), [55, 148, 255]);
});

test('labelSmootherNote: the same number as torch only for CE, mean, no weights, ignore_index −100', () => {
  const base = sampleState({ loss: 'ce', labelSmoothing: 0.1, ignoreIndex: -100 }).report;
  const with_ = (o: Partial<typeof base.config>) => labelSmootherNote({ ...base, config: { ...base.config, ...o } });
  assert.match(labelSmootherNote(base), new RegExp(`LabelSmoother\\(epsilon=0\\.1\\).*over the 4 logits.*: the same number as torch's label_smoothing mean without weights shown here \\(${formatNumber(base.loss.ce).replace('.', '\\.')}\\)\\.$`));
  assert.match(with_({ weight: [1, 2, 1, 1] }), /takes no class weights, so with the weights set here torch's number differs from it\.$/);
  assert.match(with_({ reduction: 'sum' }), /averaged: the mean, not this sum\.$/);
  assert.match(with_({ ignoreIndex: 255 }), /this comparison ignores 255: with ignore_index −100 it is torch's label_smoothing mean without weights\.$/);
  assert.match(with_({ loss: 'dicece' }), /a cross-entropy only, to compare with loss ce\.$/);
});
