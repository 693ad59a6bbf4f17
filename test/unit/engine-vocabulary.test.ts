// A report that fits a vocabulary: no C×C confusion matrix above 1024 classes (the most frequent confusions
// instead), per-position / per-sequence loss and top-k accuracy for (B, T, V) logits, the table's class
// selection, the CLI's --top-classes, and Hugging Face's LabelSmoother giving torch's label_smoothing mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, computeReport, logSoftmaxRow, newAccumulators, resolveOptions, selectClasses, type Report } from '../../src/engine/index';
import { CONFUSION_MAX_CLASSES } from '../../src/engine/accumulate';
import { npyBytes } from './helpers/npyWrite';
import { rng, normal } from './helpers/random';
import { cliPath } from './helpers/paths';

/** (B, T, V) float32 logits with a boosted true token, and (B, T) labels with -100 padding at the ends. */
function lmPair(B: number, T: number, V: number, seed: number): { x: Tensor<'float32'>; y: Tensor<'int64'>; labels: number[] } {
  const r = rng(seed);
  const x = new Float32Array(B * T * V);
  for (let i = 0; i < x.length; i++) x[i] = normal(r);
  const labels: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const pad = t >= T - 3 - b;
      const lab = pad ? -100 : Math.floor(r() * V);
      labels.push(lab);
      // the model predicts the NEXT label well (a causal model), sometimes a frequent wrong token
      if (t > 0 && !pad) x[(b * T + t - 1) * V + (r() < 0.7 ? lab : 7)]! += 6;
    }
  }
  return { x: new Tensor('float32', [B, T, V], x), y: new Tensor('int64', [B, T], BigInt64Array.from(labels.map(BigInt))), labels };
}

/** Per-token −log q_y and Σ −log q, argmax and rank, by brute force with the simple path's log-softmax. */
function brute(x: Tensor<'float32'>, labels: number[], B: number, T: number, V: number, shift: boolean) {
  const rows: { b: number; t: number; y: number; nll: number; sum: number; argmax: number; above: number }[] = [];
  const lq = new Float64Array(V);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < (shift ? T - 1 : T); t++) {
      const y = labels[b * T + t + (shift ? 1 : 0)]!;
      if (y === -100) continue;
      const row = x.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      logSoftmaxRow(row, lq);
      let sum = 0;
      let argmax = 0;
      let above = 0;
      for (let k = 0; k < V; k++) {
        sum -= lq[k]!;
        if (row[k]! > row[argmax]!) argmax = k;
        if (row[k]! > row[y]!) above++;
      }
      rows.push({ b, t, y, nll: -lq[y]!, sum, argmax, above });
    }
  }
  return rows;
}

test('(2, 40, 20000) logits, class axis last, shift: no dense confusion, per-position loss, top-k and confusions match brute force', () => {
  const B = 2, T = 40, V = 20000, eps = 0.1;
  const { x, y, labels } = lmPair(B, T, V, 5);
  const o = resolveOptions({ loss: 'ce', classAxis: -1, shiftLabels: true, labelSmoothing: eps });
  assert.equal(newAccumulators(B * T, V, { opts: o, eps, dice: false, sweepEps: null, focal: null }).confusion.length, 0, 'no C×C array above the limit');
  assert.ok(V > CONFUSION_MAX_CLASSES);
  const r = computeReport(x, y, o);
  const rows = brute(x, labels, B, T, V, true);
  assert.equal(r.confusion, null);
  assert.equal(r.kept, rows.length);
  // per position and per sequence
  const s = r.sequence!;
  assert.equal(s.T, T - 1);
  assert.equal(s.perPosition!.length, T - 1);
  for (let t = 0; t < T - 1; t++) {
    const at = rows.filter((q) => q.t === t);
    const p = s.perPosition![t]!;
    assert.equal(p.count, at.length);
    if (!at.length) {
      assert.equal(p.hard, null);
      continue;
    }
    const hard = at.reduce((a, q) => a + q.nll, 0) / at.length;
    const sm = at.reduce((a, q) => a + (1 - eps) * q.nll + (eps / V) * q.sum, 0) / at.length;
    assert.ok(Math.abs(p.hard! - hard) <= 1e-9 * hard, `position ${t} hard`);
    assert.ok(Math.abs(p.smoothed! - sm) <= 1e-9 * sm, `position ${t} smoothed`);
  }
  for (let b = 0; b < B; b++) {
    const of = rows.filter((q) => q.b === b);
    const hard = of.reduce((a, q) => a + q.nll, 0) / of.length;
    assert.ok(Math.abs(s.perSequence![b]!.hard! - hard) <= 1e-9 * hard, `sequence ${b}`);
  }
  assert.equal(s.top1, rows.filter((q) => q.above === 0).length / rows.length);
  assert.equal(s.top5, rows.filter((q) => q.above < 5).length / rows.length);
  // the most frequent confusions
  const counts = new Map<string, number>();
  for (const q of rows) if (q.argmax !== q.y) counts.set(`${q.y}>${q.argmax}`, (counts.get(`${q.y}>${q.argmax}`) ?? 0) + 1);
  const want = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const top = r.topConfusions![0]!;
  assert.equal(top.count, want[1]);
  assert.equal(top.predicted, 7, 'the planted frequent wrong token');
  assert.ok(r.topConfusions!.every((c, i, a) => c.target !== c.predicted && (i === 0 || a[i - 1]!.count >= c.count)));
  // the floor at V
  assert.ok(r.floor! > 0 && r.floorCase!.target === 'index');
  // most of a vocabulary never occurs: the warning names 20 classes and counts the rest
  const empty = r.warnings.find((w) => w.code === 'empty-class')!;
  assert.match(empty.message, /and \d+ more \(\d+ of 20000\)/);
  assert.ok(empty.message.length < 400);
});

test('Hugging Face LabelSmoother (its formula) gives torch\'s label_smoothing mean, shifted and not', () => {
  const B = 3, T = 12, V = 37;
  const { x, y, labels } = lmPair(B, T, V, 9);
  for (const shift of [false, true]) {
    for (const eps of [0.1, 0.3]) {
      // transformers.trainer_pt_utils.LabelSmoother.__call__ with shift_labels: logits[..., :-1, :], labels[..., 1:];
      // log_probs = −log_softmax; nll = Σ_active −log q_y / n_active; smoothed = Σ_active Σ_k −log q_k / (n_active·V);
      // loss = (1 − ε)·nll + ε·smoothed
      const rows = brute(x, labels, B, T, V, shift);
      const n = rows.length;
      const nll = rows.reduce((a, q) => a + q.nll, 0) / n;
      const smoothed = rows.reduce((a, q) => a + q.sum, 0) / (n * V);
      const hf = (1 - eps) * nll + eps * smoothed;
      const r = computeReport(x, y, resolveOptions({ loss: 'ce', classAxis: -1, shiftLabels: shift, labelSmoothing: eps }));
      assert.ok(Math.abs(r.loss.ce! - hf) <= 1e-12 * hf, `shift ${shift} ε ${eps}: ${r.loss.ce} vs LabelSmoother ${hf}`);
    }
  }
});

test('the table\'s classes: top by count and by contribution, the rest summed', () => {
  const mk = (c: number, count: number, contribution: number) => ({
    class: c, count, ceHard: 1, ceSmoothed: 1, diceHard: null, diceSmoothed: null, focalHard: null, focalSmoothed: null,
    contribution: { total: contribution, ce: contribution, dice: null, focal: null },
  });
  const pcs = [mk(0, 100, 0.1), mk(1, 50, 0.05), mk(2, 1, 0.9), mk(3, 10, 0.01), mk(4, 5, 0.02)];
  const sel = selectClasses(pcs, 2);
  assert.deepEqual(sel.shown.map((p) => p.class), [0, 1, 2], 'two by count, plus the rare class that dominates the loss');
  assert.deepEqual(sel.rest, { classes: 2, count: 15, contribution: 0.03 });
  assert.equal(selectClasses(pcs, 5).rest, null);
});

test('CLI on a (1, 64, 3000) vocabulary: --top-classes cuts perClass in JSON, the text table sums the rest', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'li-vocab-'));
  try {
    const { x, y } = lmPair(1, 64, 3000, 3);
    const lp = join(tmp, 'logits.npy');
    const tp = join(tmp, 'labels.npy');
    writeFileSync(lp, npyBytes('float32', x.shape as number[], x.data));
    writeFileSync(tp, npyBytes('int64', y.shape as number[], y.data));
    const run = (...args: string[]) => spawnSync(process.execPath, [cliPath, 'report', lp, tp, '--loss', 'ce', '--label-smoothing', '0.1', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const all = run('--json');
    assert.equal(all.status, 0, all.stderr);
    const full = JSON.parse(all.stdout) as Report;
    assert.equal(full.perClass!.length, 3000, 'JSON keeps every class by default');
    assert.equal(full.confusion, null);
    assert.ok(full.warnings.some((w) => w.code === 'class-axis-last'), 'the class axis is taken as last from the shapes');
    const cut = JSON.parse(run('--json', '--top-classes', '5').stdout) as Report & { perClassRest: { classes: number; count: number } };
    assert.ok(cut.perClass!.length >= 5 && cut.perClass!.length <= 10);
    assert.equal(cut.perClassRest.classes, 3000 - cut.perClass!.length);
    assert.equal(cut.perClassRest.count + cut.perClass!.reduce((a, p) => a + p.count, 0), full.kept);
    const text = run();
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /… \d+ other classes/);
    assert.match(text.stdout, /top-1 0\.\d+, top-5/);
    assert.ok(text.stdout.split('\n').length < 200, 'the text stays short at V = 3000');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('bfloat16 and float16 logits are read as float32, exactly: the report equals the float64 one', () => {
  const r = rng(17);
  const [B, T, V] = [2, 30, 1500];
  const bits = new Uint16Array(B * T * V);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const asF64 = new Float64Array(B * T * V);
  for (let i = 0; i < bits.length; i++) {
    f[0] = normal(r) * 3;
    bits[i] = u[0]! >>> 16; // truncation: any 16 top bits are a bfloat16
    u[0] = bits[i]! << 16;
    asF64[i] = f[0]!;
  }
  bits[5] = 0xff80; // −inf, a masked entry
  asF64[5] = -Infinity;
  const y = new Tensor('int64', [B, T], BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 31) % V)));
  const o = resolveOptions({ loss: 'ce', classAxis: -1, shiftLabels: true, labelSmoothing: 0.1 });
  const want = computeReport(new Tensor('float64', [B, T, V], asF64), y, o);
  const got = computeReport(new Tensor('bfloat16', [B, T, V], bits), y, o);
  assert.ok(Math.abs(got.hard.ce! - want.hard.ce!) <= 1e-14 * want.hard.ce!, `bfloat16 ${got.hard.ce} vs ${want.hard.ce}`);
  assert.equal(got.loss.ce, Infinity, 'the masked entry at ε > 0, as torch');
  // float16: every value is a float32 too
  const h = Uint16Array.from({ length: B * T * V }, (_, i) => (i * 7919) & 0x7bff); // finite halves, some subnormal
  const hf = new Tensor('float16', [B, T, V], h);
  const hd = new Tensor('float64', [B, T, V], hf.toFloat64());
  const a = computeReport(hf, y, o);
  const b = computeReport(hd, y, o);
  assert.ok(Math.abs(a.loss.ce! - b.loss.ce!) <= 1e-14 * Math.abs(b.loss.ce!), `float16 ${a.loss.ce} vs ${b.loss.ce}`);
});

test('the table\'s classes equal the plain definition (sort by count, by |contribution|; ties by class) on random reports', () => {
  const r = rng(91);
  for (let trial = 0; trial < 20; trial++) {
    const N = 50 + Math.floor(r() * 400);
    const n = 1 + Math.floor(r() * 60);
    // few distinct values, so that ties at the cut are common
    const pcs = Array.from({ length: N }, (_, c) => {
      const count = Math.floor(r() ** 3 * 8);
      const total = trial % 5 === 0 && r() < 0.05 ? Number.NaN : (Math.floor(r() * 6) - 3) / 8;
      return { class: c, count, ceHard: null, ceSmoothed: null, diceHard: null, diceSmoothed: null, focalHard: null, focalSmoothed: null, contribution: { total, ce: total, dice: null, focal: null } };
    });
    const abs = (p: (typeof pcs)[number]) => (Number.isNaN(p.contribution.total) ? -Infinity : Math.abs(p.contribution.total));
    const byCount = [...pcs].sort((a, b) => b.count - a.count || a.class - b.class).slice(0, n);
    const byContribution = [...pcs].sort((a, b) => abs(b) - abs(a) || a.class - b.class).slice(0, n);
    const keep = new Set([...byCount, ...byContribution].map((p) => p.class));
    const sel = selectClasses(pcs, n);
    assert.deepEqual(sel.shown.map((p) => p.class), pcs.filter((p) => keep.has(p.class)).sort((a, b) => b.count - a.count || a.class - b.class).map((p) => p.class), `trial ${trial}`);
    assert.equal(sel.rest?.classes ?? 0, N - keep.size);
  }
});
