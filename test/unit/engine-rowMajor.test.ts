// The kernel's row-major preparation (an (N, C) batch from 64 classes up, a language model's vocabulary): each row
// read as stored — float32, float64, and bfloat16 / float16 bits that are never decoded outside the row — against
// the same pass forced onto its JS loops over the decoded floats: every sum, the per-row values of a language-model
// report (−log q_y, Σ −log q_k, the target's rank), first-maximum ties across the kernel's lanes and its tail,
// NaN / ±Inf / all −Inf rows, class weights, ignored rows, and ranges that cut blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateBlocked, newAccumulators, type Accumulators } from '../../src/engine/accumulate';
import { passReadsStoredValues, ROW_MAJOR_MIN_CLASSES } from '../../src/engine/blockVariants';
import { accumulateConfig, preparePair } from '../../src/engine/report';
import { computeReport, resolveOptions, Tensor, type LossOptions } from '../../src/engine/index';
import { setWasmKernel, softmaxRowKernel } from '../../src/engine/wasm/softmaxBlock';
import { randomLabels, rng } from './helpers/random';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** bfloat16 bits of x, truncated (the value is then exactly a bfloat16). */
const bf16Bits = (x: number) => {
  f32[0] = x;
  return u32[0]! >>> 16;
};
/** float16 bits of a value that is exactly a float16 (small integers and halves here), NaN and ±Inf. */
function f16Bits(x: number): number {
  if (x !== x) return 0x7e00;
  if (x === Infinity) return 0x7c00;
  if (x === -Infinity) return 0xfc00;
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  const frac = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | frac;
}

type Dtype = 'float32' | 'float64' | 'bfloat16' | 'float16';

/** Logits (N, C) of `dtype` from values that every dtype holds exactly (multiples of 1/8 in [−16, 16]). */
function logits(values: number[], N: number, C: number, dtype: Dtype): Tensor {
  if (dtype === 'float32') return new Tensor('float32', [N, C], Float32Array.from(values));
  if (dtype === 'float64') return new Tensor('float64', [N, C], Float64Array.from(values));
  return new Tensor(dtype, [N, C], Uint16Array.from(values, dtype === 'bfloat16' ? bf16Bits : f16Bits));
}

function values(r: () => number, N: number, C: number): number[] {
  return Array.from({ length: N * C }, () => Math.round((r() - 0.5) * 64) / 8);
}

function same(a: Accumulators, b: Accumulators, what: string): number {
  let worst = 0;
  for (const k of Object.keys(a) as (keyof Accumulators)[]) {
    const x = a[k];
    const y = b[k];
    if (x instanceof Float64Array && y instanceof Float64Array) {
      for (let i = 0; i < x.length; i++) {
        if (x[i] === y[i]) continue;
        if (Number.isNaN(y[i]!)) {
          assert.ok(Number.isNaN(x[i]!), `${what}: ${k}[${i}] ${x[i]}, JS NaN`);
          continue;
        }
        const d = Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!));
        worst = Math.max(worst, d);
        assert.ok(d <= 1e-12, `${what}: ${k}[${i}] kernel ${x[i]} vs JS ${y[i]}`);
      }
    } else if (typeof x === 'number' && typeof y === 'number') {
      if (x === y) continue;
      if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what}: ${k}`);
      else assert.ok(Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(y)), `${what}: ${k} kernel ${x} vs JS ${y}`);
    } else if (x instanceof Map && y instanceof Map) {
      assert.deepEqual([...x].sort(), [...y].sort(), `${what}: ${k}`);
    } else assert.equal(x, y, `${what}: ${k}`);
  }
  return worst;
}

/** The pass with the kernel (row-major) and on the JS loops, with the per-row values, over ranges that cut blocks. */
function check(x: Tensor, t: Tensor, o: Partial<LossOptions>, what: string): number {
  const pair = preparePair(x, t, resolveOptions(o));
  const N = pair.logits.B;
  const cfg = { ...accumulateConfig(pair, null), rows: N };
  assert.ok(passReadsStoredValues(pair.logits, pair.target, cfg), `${what}: the pass reads the stored values`);
  const cuts = [...new Set([0, 1, Math.floor(N / 3), Math.floor(N / 3) + 5, N].map((c) => Math.min(c, N)))].sort((u, v) => u - v);
  const run = (wasm: boolean) => {
    setWasmKernel(wasm);
    const acc = newAccumulators(N, pair.logits.C, cfg);
    for (let i = 0; i + 1 < cuts.length; i++) accumulateBlocked(pair.logits, pair.target, cfg, cuts[i]!, cuts[i + 1]!, acc);
    return acc;
  };
  try {
    return same(run(true), run(false), what);
  } finally {
    setWasmKernel(true);
  }
}

test('row-major rows = the JS loops: every dtype, class counts around the lanes and the padding, weights, ignored rows', () => {
  const r = rng(91);
  let worst = 0;
  for (const dtype of ['float32', 'float64', 'bfloat16', 'float16'] as const) {
    for (const C of [ROW_MAJOR_MIN_CLASSES, 65, 71, 79, 100, 1000, 5003]) {
      const N = C > 1000 ? 9 : 37;
      const x = logits(values(r, N, C), N, C, dtype);
      const t = randomLabels(r, [N], C, { value: -100, rate: 0.15 });
      worst = Math.max(worst, check(x, t, { loss: 'ce', labelSmoothing: 0.1 }, `${dtype} (${N}, ${C})`));
      const weight = Array.from({ length: C }, (_, k) => 0.25 + (k % 5) / 2);
      worst = Math.max(worst, check(x, t, { loss: 'ce', labelSmoothing: 0.2, weight }, `${dtype} (${N}, ${C}) weighted`));
    }
  }
  console.log(`row-major kernel vs JS loops: max relative difference of any sum ${worst.toExponential(3)}`);
});

test('row-major rows: first maximum across lanes and tail, ±0, ties with the target (rank counts strictly larger), NaN / ±Inf / all −Inf rows', () => {
  const C = 75; // 9 whole steps of 8 and a tail of 3
  const rows: number[][] = [];
  const labels: number[] = [];
  const row = (f: (k: number) => number, y: number) => {
    rows.push(Array.from({ length: C }, (_, k) => f(k)));
    labels.push(y);
  };
  row((k) => (k === 13 || k === 10 || k === 70 ? 5 : 0), 10); // the maximum in three lanes: 10 wins; target at it: rank 0
  row((k) => (k === 74 || k === 73 ? 9 : k === 12 ? 9 : 1), 73); // the tail ties the lanes: 12 wins; rank of 73 is 0
  row((k) => (k === 73 ? 9 : 1), 0); // the maximum only in the tail
  row((k) => (k === 3 ? -0 : k === 5 ? 0 : -1), 5); // ±0: the first (−0 at 3) wins
  row((k) => (k % 2 ? 2 : 1), 0); // 37 classes above the target: rank 5 (counting stops there)
  row((k) => (k < 4 ? 3 : 1), 2); // ties with the target do not count: rank 0
  row((k) => (k === 40 ? NaN : k), 1); // NaN: NaN loss, counted
  row((k) => (k === 41 ? Infinity : k), 1); // +Inf
  row((k) => (k === 41 ? -Infinity : k), 41); // a masked target: infinite loss
  row(() => -Infinity, 3); // all −Inf: NaN, argmax 0
  row((k) => (k === 2 ? NaN : k), 2); // NaN target logit: rank NaN
  row((k) => k / 8, -100); // ignored
  const N = rows.length;
  const flat = rows.flat();
  for (const dtype of ['float32', 'float64', 'bfloat16', 'float16'] as const) {
    const x = logits(flat, N, C, dtype);
    const t = new Tensor('int64', [N], BigInt64Array.from(labels, (v) => BigInt(v)));
    check(x, t, { loss: 'ce', labelSmoothing: 0.1 }, `edge rows ${dtype}`);
    const pair = preparePair(x, t, resolveOptions({ loss: 'ce', labelSmoothing: 0.1 }));
    const cfg = { ...accumulateConfig(pair, null), rows: N };
    const acc = newAccumulators(N, C, cfg);
    accumulateBlocked(pair.logits, pair.target, cfg, 0, N, acc);
    assert.deepEqual(Array.from(acc.rowRank!.subarray(0, 6)), [0, 0, 1, 0, 5, 0], `${dtype}: ranks`);
    assert.ok(Number.isNaN(acc.rowRank![10]!), `${dtype}: a NaN target logit has no rank`);
    assert.equal(acc.nanLogits, 2, `${dtype}: NaN count`);
    assert.equal(acc.infLogits, 1 + 1 + C, `${dtype}: ±Inf count`);
  }
});

test('a bfloat16 language-model report from the bits = the JS loops over the decoded floats (loss, per position, top-1 / top-5)', () => {
  const r = rng(5);
  const [B, T, V] = [2, 33, 3000];
  const x = logits(values(r, B * T, V), B * T, V, 'bfloat16');
  const lg = new Tensor('bfloat16', [B, T, V], x.data as Uint16Array);
  const y = randomLabels(r, [B, T], V, { value: -100, rate: 0.1 });
  const o = resolveOptions({ loss: 'ce', classAxis: -1, shiftLabels: true, labelSmoothing: 0.1 });
  const kernel = computeReport(lg, y, o);
  setWasmKernel(false);
  let js;
  try {
    js = computeReport(lg, y, o);
  } finally {
    setWasmKernel(true);
  }
  assert.ok(Math.abs(kernel.loss.ce! - js.loss.ce!) <= 1e-12 * js.loss.ce!, `${kernel.loss.ce} vs ${js.loss.ce}`);
  assert.deepEqual(kernel.sequence!.top1, js.sequence!.top1);
  assert.deepEqual(kernel.sequence!.top5, js.sequence!.top5);
  const pos = kernel.sequence!.perPosition!;
  const posJs = js.sequence!.perPosition!;
  assert.equal(pos.length, posJs.length);
  for (let i = 0; i < pos.length; i++) {
    assert.equal(pos[i]!.count, posJs[i]!.count);
    for (const k of ['hard', 'smoothed'] as const) {
      const [a, b] = [pos[i]![k], posJs[i]![k]];
      assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))), `position ${i} ${k}: ${a} vs ${b}`);
    }
  }
  // the pair as the pass sees it: the bits, which the kernel takes as they are
  const pair = preparePair(lg, y, o);
  assert.equal(pair.logits.values.dtype, 'bfloat16');
  assert.ok(passReadsStoredValues(pair.logits, pair.target, accumulateConfig(pair, null)));
  assert.ok(softmaxRowKernel(V));
});
