// Dev-time measurement (Node, not part of the engine): the WebAssembly exp-and-sum kernel against the
// Math.exp loop it replaces, in CPU time (process.cpuUsage, best of N: the machine may be shared).
//   npm run bench -- --only W1 (once, to generate bench/data/seg96_*.npy), then
//   node --import tsx src/engine/wasm/measure.mjs [reps=7]
// Prints: the exp alone, the exp-and-sum section on W1's blocks, and the whole single-thread fused pass
// (`accumulateAll`) on W1 (2×14×96³ float32, int64 labels) for DiceCE softmax ε 0.1 and CE only, with the
// largest relative difference between the two passes' sums.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { loadTensor } = await import(join(root, 'src/cli/loadTensor.ts'));
const { preparePair, accumulateConfig, accumulateAll } = await import(join(root, 'src/engine/report.ts'));
const { resolveOptions } = await import(join(root, 'src/engine/options.ts'));
const { expSumKernel, setWasmExpSum, wasmExpSumActive } = await import(join(root, 'src/engine/wasm/expSum.ts'));

const reps = Number(process.argv[2] ?? 7);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const best = (f) => {
  let b = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = cpu();
    f();
    b = Math.min(b, cpu() - t);
  }
  return b;
};
if (!wasmExpSumActive()) throw new Error('no WebAssembly SIMD here (or LOSS_INSPECTOR_NO_WASM is set)');

// 1. exp alone, 2^20 values in (−40, 0]
{
  const N = 1 << 20;
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) v[i] = -Math.random() * 40;
  const w = new Float64Array(N);
  const k = expSumKernel(512, 14);
  const tw = best(() => k.exp(v, w));
  const tj = best(() => {
    for (let i = 0; i < N; i++) w[i] = Math.exp(v[i]);
  });
  console.log(`exp alone: Math.exp ${((tj * 1e6) / N).toFixed(2)} ns, kernel ${((tw * 1e6) / N).toFixed(2)} ns per value (with copies in and out)`);
}

const logitsPath = join(root, 'bench/data/seg96_logits.npy');
const targetPath = join(root, 'bench/data/seg96_target.npy');
if (!existsSync(logitsPath) || !existsSync(targetPath)) throw new Error(`W1 data missing (${logitsPath}): run the benchmark once`);
const lg = loadTensor(logitsPath).tensor;
const tg = loadTensor(targetPath).tensor;

// 2. the exp-and-sum section alone over W1's blocks of 512 (row maxima computed beforehand)
{
  const x = lg.data;
  const [B, C] = lg.shape;
  const S = x.length / B / C;
  const BLOCK = 512;
  const blocks = [];
  for (let b = 0; b < B; b++) {
    for (let s0 = 0; s0 < S; s0 += BLOCK) {
      const n = Math.min(BLOCK, S - s0);
      const xb = b * C * S + s0;
      const mx = new Float64Array(BLOCK);
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let k = 0; k < C; k++) m = Math.max(m, x[xb + k * S + i]);
        mx[i] = m;
      }
      blocks.push({ xb, n, mx });
    }
  }
  const se = new Float64Array(BLOCK);
  const ex = new Float64Array(C * BLOCK);
  const kernel = expSumKernel(BLOCK, C);
  for (const keep of [true, false]) {
    const tj = best(() => {
      for (const { xb, n, mx } of blocks) {
        se.fill(0, 0, n);
        for (let k = 0; k < C; k++) {
          const o = xb + k * S;
          if (keep) {
            const eo = k * BLOCK;
            for (let i = 0; i < n; i++) {
              const t = Math.exp(x[o + i] - mx[i]);
              ex[eo + i] = t;
              se[i] += t;
            }
          } else for (let i = 0; i < n; i++) se[i] += Math.exp(x[o + i] - mx[i]);
        }
      }
    });
    const tw = best(() => {
      for (const { xb, n, mx } of blocks) kernel.run(x, xb, S, C, n, mx, se, keep ? ex : null);
    });
    console.log(`W1 exp-and-sum section (${keep ? 'keeping exp' : 'sum only'}): JS ${tj.toFixed(0)} ms, WASM ${tw.toFixed(0)} ms, ${(tj / tw).toFixed(2)}x`);
  }
}

// 3. the whole single-thread fused pass
const configs = {
  'DiceCE softmax ε 0.1': { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 },
  'CE only ε 0.1': { loss: 'ce', labelSmoothing: 0.1 },
};
for (const [name, o] of Object.entries(configs)) {
  const pair = preparePair(lg, tg, resolveOptions(o));
  const cfg = accumulateConfig(pair);
  const t = { js: Infinity, wasm: Infinity };
  const acc = {};
  for (let r = 0; r < reps; r++) {
    for (const mode of ['js', 'wasm']) {
      setWasmExpSum(mode === 'wasm');
      const t0 = cpu();
      acc[mode] = accumulateAll(pair, cfg);
      t[mode] = Math.min(t[mode], cpu() - t0);
    }
  }
  setWasmExpSum(true);
  let worst = 0;
  for (const key of Object.keys(acc.js)) {
    const a = acc.wasm[key];
    const b = acc.js[key];
    const cmp = (u, w) => {
      if (u !== w && !(Number.isNaN(u) && Number.isNaN(w))) worst = Math.max(worst, Math.abs(u - w) / Math.max(Math.abs(w), 1e-300));
    };
    if (b instanceof Float64Array) for (let i = 0; i < b.length; i++) cmp(a[i], b[i]);
    else if (typeof b === 'number') cmp(a, b);
  }
  console.log(`W1 fused pass, ${name}: JS ${t.js.toFixed(0)} ms, WASM ${t.wasm.toFixed(0)} ms, ${(t.js / t.wasm).toFixed(2)}x; sums agree to ${worst.toExponential(2)} relative`);
}
