// The WebAssembly SIMD block kernel of the fused pass: its exp against Math.exp and its log against Math.log
// (random and edge inputs), its block preparation (row maximum, first argmax, Σx, Σw·x, NaN/Inf counts, exp,
// lse, 1/Σ) against a JS reference (ties, ±0, NaN/±Inf rows, padding, float32 and float64), the whole blocked
// pass with the kernel against the same pass forced onto its JS loops (every target kind, weighted and not,
// non-finite logits, ranges that cut blocks), the fallbacks, and the committed kernel bytes against their
// generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accumulateBlocked, newAccumulators, type Accumulators } from '../../src/engine/accumulate';
import { preparePair, accumulateConfig, sweepGrid } from '../../src/engine/report';
import { resolveOptions, Tensor, type LossOptions } from '../../src/engine/index';
import { softmaxBlockKernel, softmaxRowKernel, WASM_MAX_VOCAB, setWasmKernel, wasmKernelActive, wasmSimdSupported, WASM_MAX_CLASSES, WASM_POS_MAX_CLASSES } from '../../src/engine/wasm/softmaxBlock';
import { DICE_SLOT } from '../../src/engine/wasm/softmaxBlockLayout';
import { SOFTMAX_BLOCK_BASE64 } from '../../src/engine/wasm/softmaxBlockBytes';
import { repoRoot } from './helpers/paths';
import { normal, oneHot, randomLabels, randomLogits, randomProbs, rng } from './helpers/random';

const MIN_NORMAL = 2.2250738585072014e-308;

/** How many doubles lie between a and b (both positive and finite): their distance in units of the last place. */
function ulpsApart(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = bits[0]! - bits[1]!;
  return Number(d < 0n ? -d : d);
}
const BLOCK = 512;

test('Node has WebAssembly SIMD, so the fused pass uses the kernel', () => {
  assert.ok(wasmSimdSupported(), 'WebAssembly.validate refused the SIMD probe module');
  assert.ok(wasmKernelActive());
  assert.ok(softmaxBlockKernel(BLOCK, 14));
});

test('kernel exp vs Math.exp: random and edge inputs', () => {
  const k = softmaxBlockKernel(BLOCK, 1)!;
  const r = rng(7);
  const xs: number[] = [];
  for (let i = 0; i < 200_000; i++) xs.push(-r() * 40); // the bulk of x − max
  for (let i = 0; i < 100_000; i++) xs.push(-r() * 746); // the whole range, subnormal results included
  for (let i = 0; i < 20_000; i++) xs.push(-r() * 1e-6, -r() * 1e-300, (r() - 0.5) * 1.4); // near 0, across reduction boundaries
  for (let j = -1076; j <= 2; j++) xs.push(j * Math.LN2, j * Math.LN2 * (1 + 1e-15), (j + 0.5) * Math.LN2); // k boundaries
  for (let i = 0; i < 1000; i++) xs.push(r() * 600); // positive values (the pass never has them; valid to 640)
  const edges = [0, -0, NaN, -Infinity, -745.13, -745.1332191019411, -745.14, -746, -800, -1e4, -1e300, -708.39641853226408, -708.4, -744.44007192138126];
  xs.push(...edges);
  const v = Float64Array.from(xs);
  const out = k.exp(v);
  let maxRel = 0;
  let at = 0;
  let maxSubUlps = 0;
  let maxUlps = 0;
  for (let i = 0; i < v.length; i++) {
    const a = out[i]!;
    const b = Math.exp(v[i]!);
    if (Number.isNaN(b)) {
      assert.ok(Number.isNaN(a), `exp(${v[i]}) = ${a}, want NaN`);
      continue;
    }
    if (b < MIN_NORMAL) {
      // subnormal (or 0) results: within 2 units of 2^-1074 (each side rounds once)
      const ulps = Math.abs(a - b) / 5e-324;
      maxSubUlps = Math.max(maxSubUlps, ulps);
      assert.ok(ulps <= 2, `exp(${v[i]}) = ${a}, Math.exp ${b}`);
      continue;
    }
    const rel = Math.abs(a - b) / b;
    if (rel > maxRel) {
      maxRel = rel;
      at = v[i]!;
    }
    maxUlps = Math.max(maxUlps, ulpsApart(a, b));
  }
  console.log(`kernel exp vs Math.exp over ${v.length} values: max relative error ${maxRel.toExponential(3)} (at x = ${at}), ${maxUlps} ulp; subnormal results within ${maxSubUlps} units of 2^-1074`);
  assert.ok(maxUlps <= 1, `${maxUlps} ulp from Math.exp (max relative error ${maxRel} at ${at})`);
  // exact values
  const e = k.exp(Float64Array.from(edges));
  assert.equal(e[0], 1, 'exp(0) is exactly 1');
  assert.equal(e[1], 1, 'exp(-0) is exactly 1');
  assert.ok(Number.isNaN(e[2]!), 'exp(NaN) is NaN');
  assert.equal(e[3], 0, 'exp(-Inf) is 0');
  assert.equal(e[4], Math.exp(-745.13), 'exp(-745.13) is the smallest subnormal, as Math.exp');
  for (let i = 6; i <= 10; i++) assert.equal(e[i], 0, `exp(${edges[i]}) is 0`);
});

test('kernel exp: the polynomial and the reduction hold on a dense sweep of one reduction interval', () => {
  // 2^17 points across [−ln2/2 − δ, ln2/2 + δ] shifted by a few k (512 points in each of the table's intervals,
  // both sides of each boundary): within one unit of the last place of Math.exp.
  const k = softmaxBlockKernel(BLOCK, 1)!;
  const n = 1 << 17;
  let maxRel = 0;
  let maxUlps = 0;
  for (const shift of [0, -1, -30, -700]) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = shift * Math.LN2 + (i / (n - 1) - 0.5) * (Math.LN2 + 1e-3);
    const out = k.exp(v);
    for (let i = 0; i < n; i++) {
      const b = Math.exp(v[i]!);
      if (b > 0 && b < Infinity) {
        maxRel = Math.max(maxRel, Math.abs(out[i]! - b) / b);
        maxUlps = Math.max(maxUlps, ulpsApart(out[i]!, b));
      }
    }
  }
  console.log(`dense sweep: max relative error ${maxRel.toExponential(3)}, ${maxUlps} ulp`);
  assert.ok(maxUlps <= 1, `${maxUlps} ulp from Math.exp (max relative error ${maxRel})`);
});

test('kernel exp table: the compiled module holds 2^(j/256)·2^-55, each entry correctly rounded', () => {
  // Read from the committed bytes, not from the generator: what the engine loads is what is checked.
  const bytes = Buffer.from(SOFTMAX_BLOCK_BASE64, 'base64');
  // the project's TypeScript libraries declare no WebAssembly (the engine reaches it the same way)
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: { memory: { buffer: ArrayBuffer } } } } }).WebAssembly;
  const memory = new wasm.Instance(new wasm.Module(bytes), {}).exports.memory;
  const N = 256;
  const table = new Float64Array(memory.buffer, 0, N);
  for (let j = 0; j < N; j++) {
    const t = table[j]! * 2 ** 55; // exact: a power of two
    assert.ok(t >= 1 && t < 2, `entry ${j}: ${t}`);
    // t = m·2^-52 is 2^(j/N) correctly rounded when (2m − 1)^N ≤ 2^(j + 53N) < (2m + 1)^N (no ties: 2^(j/N) is
    // irrational for 0 < j < N)
    const m = BigInt(t * 2 ** 52);
    const target = 1n << BigInt(j + 53 * N);
    assert.ok((2n * m - 1n) ** BigInt(N) <= target && target < (2n * m + 1n) ** BigInt(N), `entry ${j}: ${t} is not 2^(${j}/${N}) rounded`);
  }
  assert.equal(table[0]! * 2 ** 55, 1);
});

test('kernel log vs Math.log: within 1 ulp on [1, 4096] (what the pass gives it) and every positive normal', () => {
  const k = softmaxBlockKernel(BLOCK, 1)!;
  const r = rng(9);
  const xs: number[] = [];
  for (let i = 0; i < 200_000; i++) xs.push(1 + r() * 4095); // Σ exp(x − max) for C ≤ 4096
  for (let i = 0; i < 100_000; i++) xs.push(Math.exp((r() - 0.5) * 1400)); // the whole normal range
  for (let i = 0; i < 20_000; i++) xs.push(1 + r() * 1e-6, 1 - r() * 1e-6, 1 + (r() - 0.5) * 0.9, 1 + r() * 2 ** -40); // near 1 (results near 0)
  for (let e = -1022; e <= 1023; e++) {
    const p = 2 ** e;
    for (const y of [p, p * Math.SQRT2, p * Math.SQRT1_2, p * (1 + 2 ** -52), p * (1 - 2 ** -53)]) if (y >= MIN_NORMAL) xs.push(y); // reduction boundaries
  }
  xs.push(1, 2, 4096, Number.MAX_VALUE, MIN_NORMAL);
  const v = Float64Array.from(xs);
  const out = k.log(v);
  let maxRel = 0;
  let maxUlps = 0;
  let at = 0;
  for (let i = 0; i < v.length; i++) {
    const a = out[i]!;
    const b = Math.log(v[i]!);
    if (b === 0) {
      assert.equal(a, 0, `log(${v[i]}) = ${a}, want 0`);
      continue;
    }
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(b))) - 52);
    maxUlps = Math.max(maxUlps, Math.abs(a - b) / ulp);
    const rel = Math.abs(a - b) / Math.abs(b);
    if (rel > maxRel) {
      maxRel = rel;
      at = v[i]!;
    }
  }
  console.log(`kernel log vs Math.log over ${v.length} values: max relative difference ${maxRel.toExponential(3)} (at x = ${at}), ${maxUlps} ulp`);
  assert.ok(maxUlps <= 1, `${maxUlps} ulp`);
  assert.ok(maxRel <= 1e-15, `max relative difference ${maxRel} at ${at}`);
  const e = k.log(Float64Array.from([1, NaN, Infinity, 2]));
  assert.equal(e[0], 0, 'log(1) is exactly 0');
  assert.ok(Number.isNaN(e[1]!), 'log(NaN) is NaN');
  assert.equal(e[2], Infinity, 'log(Inf) is Inf');
  assert.ok(Math.abs(e[3]! - Math.LN2) <= 2 ** -53, 'log(2)');
});

/** The block preparation as the JS pass computes it: the reference for the kernel's. */
function referencePrepare(x: Float32Array | Float64Array, xb: number, S: number, C: number, n: number, w: Float64Array | null) {
  const mx = new Float64Array(n).fill(-Infinity);
  const am = new Int32Array(n);
  const sx = new Float64Array(n);
  const sxw = new Float64Array(n);
  const se = new Float64Array(n);
  const ex = new Float64Array(C * BLOCK);
  let nan = 0;
  let inf = 0;
  for (let k = 0; k < C; k++) {
    for (let i = 0; i < n; i++) {
      const v = x[xb + k * S + i]!;
      sx[i]! += v;
      if (w) sxw[i]! += w[k]! * v;
      if (Number.isNaN(v)) nan++;
      else if (!Number.isFinite(v)) inf++;
      if (v > mx[i]!) {
        mx[i] = v;
        am[i] = k;
      }
    }
  }
  for (let k = 0; k < C; k++) {
    for (let i = 0; i < n; i++) {
      const t = Math.exp(x[xb + k * S + i]! - mx[i]!);
      ex[k * BLOCK + i] = t;
      se[i]! += t;
    }
  }
  const lse = mx.map((m, i) => m + Math.log(se[i]!));
  const inv = se.map((t) => 1 / t);
  return { mx, am, sx, sxw, se, ex, lse, inv, nan, inf };
}

test('kernel block preparation = the JS loops: maxima, first argmax and sums bit for bit, exp/lse/1/Σ to 1e-15', () => {
  const r = rng(21);
  const C = 9;
  const S = 3 * BLOCK;
  const specials = [NaN, Infinity, -Infinity, 0, -0, 3e38, -3e38];
  const make = (mode: 'normal' | 'ties' | 'special', f64: boolean, huge: boolean) => {
    const d = f64 ? new Float64Array(C * S) : new Float32Array(C * S);
    for (let i = 0; i < d.length; i++) {
      if (mode === 'ties') d[i] = Math.floor(normal(r) * 1.5); // many equal maxima: the first must win
      else if (mode === 'special' && r() < 0.15) d[i] = specials[Math.floor(r() * specials.length)]!;
      else d[i] = normal(r) * 4;
      if (huge && r() < 0.05) d[i] = (r() < 0.5 ? -1 : 1) * 1.5e308; // finite, but Σx overflows
    }
    if (mode === 'special') {
      // whole rows: all −Inf, all NaN, +Inf with NaN, −0 and +0 only
      for (let k = 0; k < C; k++) {
        d[k * S + 5] = -Infinity;
        d[k * S + 6] = NaN;
        d[k * S + 7] = k === 3 ? Infinity : k === 4 ? NaN : 1;
        d[k * S + 8] = k % 2 ? 0 : -0;
      }
    }
    return d;
  };
  const weights = Float64Array.from({ length: C }, (_, k) => 0.5 + k / 3);
  const kernel = softmaxBlockKernel(BLOCK, C)!;
  const bits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  let worst = 0;
  let cases = 0;
  for (const f64 of [false, true]) {
    for (const mode of ['normal', 'ties', 'special'] as const) {
      for (const huge of f64 ? [false, true] : [false]) {
        const x = make(mode, f64, huge);
        for (const w of [null, weights]) {
          // a full block, then short ones that leave stale values (NaN among them) in the padding
          for (const [s0, n] of [
            [0, BLOCK],
            [BLOCK, 37],
            [2 * BLOCK + 3, 100],
            [7, 32],
          ] as const) {
            kernel.prepare(x, s0, S, C, n, w, true);
            const ref = referencePrepare(x, s0, S, C, n, w);
            const what = `${f64 ? 'float64' : 'float32'} ${mode}${huge ? ' huge' : ''} ${w ? 'weighted' : ''} block at ${s0}+${n}`;
            assert.equal(kernel.nan, ref.nan, `${what}: NaN count`);
            assert.equal(kernel.inf, ref.inf, `${what}: Inf count`);
            for (let i = 0; i < n; i++) {
              assert.ok(bits(kernel.mx[i]!, ref.mx[i]!), `${what}: mx[${i}] ${kernel.mx[i]} vs ${ref.mx[i]}`);
              assert.equal(kernel.am[i], ref.am[i], `${what}: am[${i}]`);
              assert.ok(bits(kernel.sx[i]!, ref.sx[i]!), `${what}: sx[${i}] ${kernel.sx[i]} vs ${ref.sx[i]}`);
              if (w) assert.ok(bits(kernel.sxw[i]!, ref.sxw[i]!), `${what}: sxw[${i}] ${kernel.sxw[i]} vs ${ref.sxw[i]}`);
              const close = (a: number, b: number, name: string) => {
                if (Number.isNaN(b)) return assert.ok(Number.isNaN(a), `${what}: ${name} ${a}, want NaN`);
                if (a === b) return;
                const d = Math.abs(a - b) / Math.abs(b);
                worst = Math.max(worst, d);
                assert.ok(d <= 1e-15, `${what}: ${name} ${a} vs ${b}`);
              };
              close(kernel.se[i]!, ref.se[i]!, `se[${i}]`);
              close(kernel.lse[i]!, ref.lse[i]!, `lse[${i}]`);
              close(kernel.inv[i]!, ref.inv[i]!, `inv[${i}]`);
              for (let k = 0; k < C; k++) {
                const a = kernel.ex[k * BLOCK + i]!;
                const b = ref.ex[k * BLOCK + i]!;
                if (b < MIN_NORMAL && b > 0) assert.ok(Math.abs(a - b) <= 2 * 5e-324, `${what}: ex`);
                else close(a, b, `ex[${k}, ${i}]`);
              }
            }
            cases++;
          }
        }
      }
    }
  }
  console.log(`block preparation, ${cases} blocks: maxima, argmax, Σx, Σw·x and counts identical; se, lse, 1/Σ, exp within ${worst.toExponential(3)} relative`);
});

/** Relative 1e-12 on every sum (NaN where the other is NaN). */
function same(a: Accumulators, b: Accumulators, what: string): number {
  let worst = 0;
  for (const key of Object.keys(a) as (keyof Accumulators)[]) {
    const x = a[key];
    const y = b[key];
    const cmp = (u: number, w: number, where: string) => {
      if (Number.isNaN(u) || Number.isNaN(w)) {
        assert.ok(Number.isNaN(u) && Number.isNaN(w), `${what}: ${where} ${u} vs ${w}`);
        return;
      }
      if (u === w) return;
      const d = Math.abs(u - w) / Math.max(Math.abs(w), 1e-300);
      worst = Math.max(worst, d);
      assert.ok(d <= 1e-12, `${what}: ${where} ${u} (wasm) vs ${w} (js)`);
    };
    if (x instanceof Float64Array && y instanceof Float64Array) {
      assert.equal(x.length, y.length);
      for (let i = 0; i < x.length; i++) cmp(x[i]!, y[i]!, `${key}[${i}]`);
    } else if (typeof x === 'number' && typeof y === 'number') cmp(x, y, key);
    else if (x instanceof Map && y instanceof Map) assert.deepEqual(x, y, `${what}: ${key} (confusion pairs above the dense limit)`);
    else assert.equal(x, y, `${what}: ${key}`);
  }
  return worst;
}

/** The blocked pass with the kernel and forced onto Math.exp, over ranges that cut blocks and batch items. */
function check(logits: Tensor, target: Tensor, o: Partial<LossOptions>, what: string): number {
  const pair = preparePair(logits, target, resolveOptions(o));
  let worst = 0;
  // no sweep; a grid that is not uniform (binary search, JS loop); the default uniform grid 0, 0.02, …, 0.3
  // (the kernel's buckets for class-index targets with softmax); a uniform grid up to 1
  for (const sweep of [null, sweepGrid([0, 0.1, 0.05, 0.3]), sweepGrid(), sweepGrid([0, 0.25, 0.5, 0.75, 1])]) {
    const cfg = accumulateConfig(pair, sweep);
    const n = pair.logits.B * pair.logits.S;
    // an 8-position range (JS loop), then ranges that start mid-block
    const cuts = [...new Set([0, 8, Math.floor(n / 3), Math.floor(n / 3) + 37, n].map((c) => Math.min(c, n)))].sort((u, v) => u - v);
    const run = (wasm: boolean) => {
      setWasmKernel(wasm);
      assert.equal(wasmKernelActive(), wasm);
      const acc = newAccumulators(pair.logits.B, pair.logits.C, cfg);
      for (let i = 0; i + 1 < cuts.length; i++) accumulateBlocked(pair.logits, pair.target, cfg, cuts[i]!, cuts[i + 1]!, acc);
      return acc;
    };
    try {
      const a = run(true);
      const b = run(false);
      worst = Math.max(worst, same(a, b, `${what} sweep=${sweep ? sweep.join(',') : 'none'}`));
    } finally {
      setWasmKernel(true);
    }
  }
  return worst;
}

function toFloat64(t: Tensor): Tensor<'float64'> {
  return new Tensor('float64', [...t.shape], Float64Array.from(t.data as Float32Array));
}

test('fused pass: WebAssembly kernel = Math.exp loop (every target kind, float32 and float64 logits)', () => {
  const r = rng(11);
  // S = 23·61 = 1403: two full blocks and a 379-position tail per batch item.
  const shape = [3, 6, 23, 61];
  const lab = randomLabels(r, [3, 1, 23, 61], 6);
  let worst = 0;
  const run = (logits: Tensor, target: Tensor, o: Partial<LossOptions>, what: string) => (worst = Math.max(worst, check(logits, target, o, what)));
  run(randomLogits(r, shape), lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, 'dicece softmax');
  const ties = randomLogits(r, shape);
  for (let i = 0; i < ties.data.length; i++) ties.data[i] = Math.round(ties.data[i]!); // equal maxima: the first wins (confusion, calibration)
  run(ties, lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [2, 1, 1, 3, 1, 1] }, 'integer logits (ties), weighted');
  run(randomLogits(r, shape), lab, { loss: 'ce', labelSmoothing: 0.1, weight: [0.2, 1, 1.5, 3, 1, 0.7] }, 'ce weighted');
  run(randomLogits(r, shape, 8), lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [1, 2, 3, 0.5, 1, 4] }, 'dicece softmax weighted, wide logits');
  run(toFloat64(randomLogits(r, shape)), lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.2, squaredPred: true }, 'float64 logits, squared');
  run(randomLogits(r, shape), lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, squaredPred: true }, 'float32 logits, squared');
  run(randomLogits(r, shape, 8), lab, { loss: 'dice', softmax: true, toOnehotY: true, labelSmoothing: 0 }, 'dice softmax, ε 0, wide logits');
  run(randomLogits(r, shape), lab, { loss: 'dice', softmax: true, toOnehotY: true, labelSmoothing: 0.3, squaredPred: true, weight: [1, 2, 3, 0.5, 1, 4] }, 'dice softmax squared weighted');
  run(randomLogits(r, shape), lab, { loss: 'dice', sigmoid: true, toOnehotY: true, labelSmoothing: 0.2 }, 'dice sigmoid');
  run(randomLogits(r, shape), lab, { loss: 'dice', toOnehotY: true, labelSmoothing: 0.2, squaredPred: true }, 'dice raw, squared');
  run(randomLogits(r, shape), randomLabels(r, [3, 23, 61], 6, { value: 5, rate: 0.1 }), { loss: 'ce', ignoreIndex: 5, labelSmoothing: 0.3 }, 'ce ignore');
  run(randomLogits(r, shape), oneHot(lab, 6), { loss: 'dicece', softmax: true, labelSmoothing: 0.1 }, 'one-hot');
  run(randomLogits(r, shape), randomProbs(r, shape), { loss: 'ce', labelSmoothing: 0.1 }, 'probabilities');
  run(toFloat64(randomLogits(r, [2, 3, 700])), randomLabels(r, [2, 700], 3), { loss: 'ce', labelSmoothing: 0.1 }, 'float64, (B, C, S)');
  run(randomLogits(r, [900, 7]), randomLabels(r, [900], 7), { loss: 'ce', labelSmoothing: 0.1 }, 'classification (S = 1: JS loop)');
  console.log(`fused pass, WebAssembly vs Math.exp: max relative difference of any sum ${worst.toExponential(3)}`);
});

test('fused pass over a vocabulary (more classes than the per-position sums take): kernel rows = Math.exp loop', () => {
  const r = rng(23);
  let worst = 0;
  for (const [N, C] of [[70, 5000], [41, 150000]] as const) {
    const x = randomLogits(r, [N, C]);
    x.data[3 * C + 17] = -Infinity; // a masked vocabulary entry
    const t = randomLabels(r, [N], C, { value: -100, rate: 0.1 });
    worst = Math.max(worst, check(x, t, { loss: 'ce', labelSmoothing: 0.1 }, `(${N}, ${C})`));
    worst = Math.max(worst, check(x, t, { loss: 'ce', labelSmoothing: 0.1, weight: Array.from({ length: C }, (_, k) => 0.5 + (k % 3)) }, `(${N}, ${C}) weighted`));
  }
  assert.ok(softmaxRowKernel(5000), 'the row-major kernel takes 5000 classes');
  assert.ok(softmaxRowKernel(150000), 'and 150000');
  assert.equal(softmaxRowKernel(WASM_MAX_VOCAB + 1), null);
  console.log(`vocabulary rows, WebAssembly vs Math.exp: max relative difference of any sum ${worst.toExponential(3)}`);
});

/** The per-class Dice sums and sweep buckets the kernel gathers for class-index targets, from its exp rows and 1/Σ. */
function referenceDice(k: ReturnType<typeof softmaxBlockKernel> & object, C: number, n: number, yy: Int32Array, eps: number, squared: boolean, K1: number, invStep: number) {
  const invC = 1 / C;
  const offYs = eps * invC;
  const sums = new Float64Array(C * 11);
  const su = new Float64Array(C * K1);
  const sv = new Float64Array(C * K1);
  const K = K1 - 1;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < n; i++) {
      const p = k.ex[c * BLOCK + i]! * k.inv[i]!;
      const t = yy[i] === c ? 1 : 0;
      const ys = (1 - eps) * t + offYs;
      const u = p - t;
      const v = invC - t;
      const o = squared ? 2 : 1;
      const D = DICE_SLOT;
      const add: [number, number][] = [
        [D.predSum, p],
        [D.overlapSum, p * t],
        [D.targetSum, t],
        [D.predPow, Math.abs(p) ** o],
        [D.smoothTargetPow, Math.abs(ys) ** o],
        [D.smoothDiffPow, Math.abs(p - ys) ** o],
        [D.errorSq, u * u],
        [D.shiftSum, v],
        [D.errorShift, u * v],
        [D.shiftSq, v * v],
        [D.targetShift, t * v],
      ];
      for (const [j, a] of add) sums[c * 11 + j]! += a;
      const f = Math.floor(u * (t ? invStep / (invC - 1) : C * invStep)) + 1;
      const j = c * K1 + (f <= 0 ? 0 : f < K ? f : K);
      su[j]! += t ? -u : u;
      sv[j]! += t ? 1 - invC : invC;
    }
  }
  return { sums, su, sv };
}

test('kernel Dice sums for class-index targets = a JS reference (softmax; plain, squared, sweep buckets and moments; padding, NaN rows)', () => {
  const r = rng(21);
  const k = softmaxBlockKernel(BLOCK, 7)!;
  const C = 7;
  const S = 1000;
  const x = new Float32Array(C * S);
  for (let i = 0; i < x.length; i++) x[i] = normal(r) * 4;
  for (let s = 0; s < 5; s++) x[2 * S + s] = NaN; // NaN rows: p NaN, bucket K
  const K1 = 16;
  const invStep = 50; // grid 0, 0.02, …, 0.3
  let worst = 0;
  for (const n of [512, 37, 33, 400]) {
    for (const squared of [false, true]) {
      for (const sweep of ['none', squared ? 'moments' : 'buckets'] as const) {
        const s0 = n === 400 ? 600 : 0;
        k.prepare(x, s0, S, C, n, null, true);
        const yy = new Int32Array(n);
        for (let i = 0; i < n; i++) yy[i] = r() < 0.1 ? -1 : Math.floor(r() * C);
        k.yy.set(yy);
        if (sweep === 'buckets') assert.ok(k.reserveBuckets(C, K1));
        const eps = 0.1;
        const invC = 1 / C;
        k.diceIndex(C, n, squared, sweep, eps, invStep / (invC - 1), C * invStep, K1);
        const ref = referenceDice(k, C, n, yy, eps, squared, K1, invStep);
        const cmp = (a: number, b: number, what: string) => {
          if (Number.isNaN(b)) return assert.ok(Number.isNaN(a), `${what}: ${a}, want NaN`);
          const d = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
          worst = Math.max(worst, d);
          assert.ok(d <= 1e-13, `${what}: kernel ${a}, reference ${b} (n ${n}, squared ${squared}, ${sweep})`);
        };
        const D = DICE_SLOT;
        const slots: number[] = [D.predSum, D.overlapSum, D.targetSum, D.predPow, D.smoothTargetPow, D.smoothDiffPow];
        if (squared) slots.push(D.errorSq);
        if (sweep !== 'none') slots.push(D.shiftSum);
        if (sweep === 'moments') slots.push(D.errorShift, D.shiftSq, D.targetShift);
        for (let c = 0; c < C; c++) {
          for (const j of slots) {
            const o = 2 * (c * k.diceSlots + j);
            cmp(k.diceSums[o]! + k.diceSums[o + 1]!, ref.sums[c * 11 + j]!, `class ${c} slot ${j}`);
          }
        }
        if (sweep === 'buckets') {
          const su = new Float64Array(C * K1 + 3);
          const sv = new Float64Array(C * K1 + 3);
          k.flushBuckets(C, K1, su, sv, 3);
          for (let j = 0; j < C * K1; j++) {
            cmp(su[3 + j]!, ref.su[j]!, `bucket ${j} Σsign(v)·u`);
            cmp(sv[3 + j]!, ref.sv[j]!, `bucket ${j} Σ|v|`);
          }
          // flushing zeroes them
          const again = new Float64Array(C * K1);
          k.flushBuckets(C, K1, again, new Float64Array(C * K1), 0);
          assert.ok(again.every((v) => v === 0));
        }
      }
    }
  }
  console.log(`kernel Dice sums vs JS reference: max relative difference ${worst.toExponential(3)}`);
});

test('fused pass: non-finite and huge logits give the same sums (NaN where JS has NaN)', () => {
  const r = rng(5);
  const [B, C, S] = [2, 4, 600];
  const d = new Float32Array(B * C * S);
  for (let i = 0; i < d.length; i++) d[i] = normal(r) * 3;
  // positions 0–59: NaN, +Inf, −Inf in one class; an all −Inf row; rows at ±1e4 and ±3e38
  for (let s = 0; s < 10; s++) d[1 * S + s] = NaN;
  for (let s = 10; s < 20; s++) d[2 * S + s] = Infinity;
  for (let s = 20; s < 30; s++) d[3 * S + s] = -Infinity;
  for (let s = 30; s < 40; s++) for (let c = 0; c < C; c++) d[c * S + s] = -Infinity;
  for (let s = 40; s < 50; s++) for (let c = 0; c < C; c++) d[c * S + s] = (c - 1.5) * 1e4;
  for (let s = 50; s < 60; s++) for (let c = 0; c < C; c++) d[c * S + s] = c === 0 ? 3e38 : -3e38;
  const logits = new Tensor('float32', [B, C, S], d);
  const lab = randomLabels(r, [B, 1, S], C);
  check(logits, lab, { loss: 'ce', labelSmoothing: 0.1 }, 'non-finite, ce');
  check(logits, lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, 'non-finite, dicece softmax');
  check(logits, lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, weight: [1, 2, 0.5, 3] }, 'non-finite, dicece softmax weighted');
  check(logits, lab, { loss: 'ce', labelSmoothing: 0.2, weight: [1, 2, 0.5, 3] }, 'non-finite, ce weighted');
  // float64: the same, plus finite values whose Σx overflows (the count pass runs and finds none)
  const d64 = Float64Array.from(d);
  for (let s = 60; s < 70; s++) for (let c = 0; c < C; c++) d64[c * S + s] = c < 2 ? 1.5e308 : -1.5e308;
  const logits64 = new Tensor('float64', [B, C, S], d64);
  check(logits64, lab, { loss: 'ce', labelSmoothing: 0.1, weight: [1, 2, 0.5, 3] }, 'non-finite float64, ce weighted');
  check(logits64, lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, 'non-finite float64, dicece softmax');
  check(logits, lab, { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1, squaredPred: true }, 'non-finite, dicece softmax squared');
});

test('fallbacks: the JS loop when switched off, for too many classes, and with LOSS_INSPECTOR_NO_WASM=1', () => {
  setWasmKernel(false);
  try {
    assert.equal(wasmKernelActive(), false);
    assert.equal(softmaxBlockKernel(BLOCK, 3), null);
  } finally {
    setWasmKernel(true);
  }
  assert.ok(softmaxBlockKernel(BLOCK, 300), 'memory grows for 300 classes');
  assert.equal(softmaxBlockKernel(BLOCK, WASM_MAX_CLASSES + 1), null);
  // 300 classes through the pass after the growth (views are rebuilt on the new buffer)
  const r = rng(3);
  check(randomLogits(r, [1, 300, 40]), randomLabels(r, [1, 1, 40], 300), { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, '300 classes');
  // weights copied into the regrown memory (a fresh layout forgets the old copy)
  const w = Array.from({ length: 500 }, (_, c) => 1 + (c % 7));
  check(randomLogits(r, [1, 500, 40]), randomLabels(r, [1, 1, 40], 500), { loss: 'ce', labelSmoothing: 0.1, weight: w }, '500 classes, weighted');
  // more classes than the per-position sums' region takes: those stay on the JS loop, the rest in the kernel;
  // then fewer classes again in the same (larger) memory
  const many = WASM_POS_MAX_CLASSES + 76;
  assert.ok(softmaxBlockKernel(BLOCK, many)!.positionsFit(WASM_POS_MAX_CLASSES));
  assert.equal(softmaxBlockKernel(BLOCK, many)!.positionsFit(many), false);
  check(randomLogits(r, [1, many, 40]), randomLabels(r, [1, 1, 40], many), { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, `${many} classes`);
  check(randomLogits(r, [2, 5, 300]), randomLabels(r, [2, 1, 300], 5), { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 }, '5 classes after many');

  const code = "process.stdout.write(String(require('./src/engine/wasm/softmaxBlock.ts').wasmKernelActive()));";
  const env = (v: string | undefined) => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    if (v === undefined) delete e.LOSS_INSPECTOR_NO_WASM;
    else e.LOSS_INSPECTOR_NO_WASM = v;
    const p = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: repoRoot, env: e, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    return p.stdout.trim();
  };
  assert.equal(env('1'), 'false');
  assert.equal(env(undefined), 'true');
});

test('the committed kernel text and bytes are what generate.mjs makes', () => {
  const p = spawnSync(process.execPath, ['src/engine/wasm/generate.mjs', '--check'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr || p.stdout);
});

/** log1p(e) correctly rounded, for a double e in (0, 1]: 2·atanh(e/(2 + e)) in 200-bit integers, rounded once. */
function log1pExact(e: number): number {
  const F = 200n;
  // e = num / 2^s exactly
  let s = 0n;
  let v = e;
  while (!Number.isInteger(v)) {
    v *= 2;
    s++;
  }
  const num = BigInt(v);
  const z = (num << F) / ((2n << s) + num);
  const z2 = (z * z) >> F;
  let term = z;
  let sum = 0n;
  for (let k = 1n; term > 0n; k += 2n) {
    sum += term / k;
    term = (term * z2) >> F;
  }
  const fixed = 2n * sum; // log1p(e)·2^F, within a few hundred units
  const drop = BigInt(Math.max(0, fixed.toString(2).length - 53));
  let m = fixed >> drop;
  const rest = fixed - (m << drop);
  const half = 1n << (drop - 1n);
  if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
  return Number(m) * 2 ** (Number(drop) - Number(F));
}

test('kernel log1p on [0, 1] (the focal term\'s softplus): within 1 ulp of Math.log1p, and of the correctly rounded value where the table switches entries', () => {
  const k = softmaxBlockKernel(BLOCK, 1)!;
  // where the table switches entries (e near j/128 ± 1/256), against the correctly rounded value: the band above
  // 1/256, where log1p(e) < 2^-8 lies a binade below the first entry's log, densely
  const band: number[] = [];
  for (let i = 0; i <= 4000; i++) band.push(1 / 256 + (i / 4000) * 1.2e-5);
  for (let j = 1; j <= 128; j++) for (let i = -40; i <= 40; i++) band.push(Math.min(1, (j - 0.5) / 128 + i * 1e-6));
  const got = k.log1p(Float64Array.from(band));
  let worst = 0;
  band.forEach((e, i) => (worst = Math.max(worst, ulpsApart(got[i]!, log1pExact(e)))));
  console.log(`kernel log1p vs the correctly rounded value over ${band.length} values at the table's switches: ${worst} ulp`);
  assert.ok(worst <= 1, `${worst} ulp from the correctly rounded log1p`);
  const r = rng(13);
  const xs: number[] = [0, 1, 2 ** -1074, 2 ** -60, 1e-300, 1e-17, 0.5, 1 - 2 ** -53];
  for (let i = 0; i < 200_000; i++) xs.push(r());
  for (let i = 0; i < 50_000; i++) xs.push(Math.exp(-r() * 40)); // exp(−|x|) as the focal term makes it
  for (let j = 0; j <= 128; j++) for (const d of [-1 / 256, -1e-12, 0, 1e-12, 1 / 256]) xs.push(Math.min(1, Math.max(0, j / 128 + d)));
  const v = Float64Array.from(xs);
  const out = k.log1p(v);
  let maxUlps = 0;
  let at = 0;
  for (let i = 0; i < v.length; i++) {
    const want = Math.log1p(v[i]!);
    if (want === 0) {
      assert.equal(out[i], 0, `log1p(${v[i]})`);
      continue;
    }
    const u = ulpsApart(out[i]!, want);
    if (u > maxUlps) {
      maxUlps = u;
      at = v[i]!;
    }
  }
  console.log(`kernel log1p vs Math.log1p over ${v.length} values: ${maxUlps} ulp (at ${at})`);
  assert.ok(maxUlps <= 1, `${maxUlps} ulp at ${at}`);
  assert.ok(Number.isNaN(k.log1p(Float64Array.from([NaN]))[0]!), 'NaN stays NaN');
});
