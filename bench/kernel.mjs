// Dev-time measurement: the WebAssembly softmax block kernel (src/engine/wasm) against the JS loops it
// replaces, in CPU time (process.cpuUsage, best of N: the machine may be shared).
//   npm run bench -- --only W1 (once, to generate bench/data/seg96_*.npy), then
//   node --import tsx bench/kernel.mjs [reps=7] [--pass-only] [--root DIR]
// Prints: the exp and the log alone; the block preparation (row maximum, Σx, NaN/Inf counts, exp and its
// sum, lse and 1/Σ) on W1's blocks; and the whole single-thread fused pass (`accumulateAll`) on W1
// (2×14×96³ float32, int64 labels) for DiceCE softmax ε 0.1, the same weighted, CE only, and W4 (DiceCE with
// the default 16-value ε sweep grid), and W3 (4096×1000 CE rows) when its files exist, each with the largest
// relative difference between the two passes' sums.
// --root measures another checkout's engine (e.g. `git archive` of an earlier commit; whole pass only).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const here = fileURLToPath(new URL('..', import.meta.url));
const root = rootAt >= 0 ? resolve(args[rootAt + 1]) : here;
const passOnly = args.includes('--pass-only') || rootAt >= 0;
const reps = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--root') ?? 7);

const { loadTensor } = await import(join(here, 'src/cli/loadTensor.ts'));
const { preparePair, accumulateConfig, accumulateAll, sweepGrid } = await import(join(root, 'src/engine/report.ts'));
const { resolveOptions } = await import(join(root, 'src/engine/options.ts'));
// (an earlier checkout's kernel may still carry its first name, expSum)
const kernelModule = existsSync(join(root, 'src/engine/wasm/softmaxBlock.ts'))
  ? await import(join(root, 'src/engine/wasm/softmaxBlock.ts'))
  : await import(join(root, 'src/engine/wasm/expSum.ts')).then((m) => ({ softmaxBlockKernel: m.expSumKernel, setWasmKernel: m.setWasmExpSum, wasmKernelActive: m.wasmExpSumActive }));
const { softmaxBlockKernel, setWasmKernel, wasmKernelActive } = kernelModule;

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
if (!wasmKernelActive()) throw new Error('no WebAssembly SIMD here (or LOSS_INSPECTOR_NO_WASM is set)');

const logitsPath = join(here, 'bench/data/seg96_logits.npy');
const targetPath = join(here, 'bench/data/seg96_target.npy');
if (!existsSync(logitsPath) || !existsSync(targetPath)) throw new Error(`W1 data missing (${logitsPath}): run the benchmark once`);
const lg = loadTensor(logitsPath).tensor;
const tg = loadTensor(targetPath).tensor;

const dicece = { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 };

if (!passOnly) {
  // 1. exp and log alone, 2^20 values
  const N = 1 << 20;
  const k = softmaxBlockKernel(512, 14);
  const w = new Float64Array(N);
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) v[i] = -Math.random() * 40;
  let tw = best(() => k.exp(v, w));
  let tj = best(() => {
    for (let i = 0; i < N; i++) w[i] = Math.exp(v[i]);
  });
  console.log(`exp alone: Math.exp ${((tj * 1e6) / N).toFixed(2)} ns, kernel ${((tw * 1e6) / N).toFixed(2)} ns per value (with copies in and out)`);
  for (let i = 0; i < N; i++) v[i] = 1 + Math.random() * 13;
  tw = best(() => k.log(v, w));
  tj = best(() => {
    for (let i = 0; i < N; i++) w[i] = Math.log(v[i]);
  });
  console.log(`log alone on [1, 14): Math.log ${((tj * 1e6) / N).toFixed(2)} ns, kernel ${((tw * 1e6) / N).toFixed(2)} ns per value (with copies in and out)`);

  // 2. the block preparation over W1's blocks of 512: the engine's own JS phase against the kernel (unweighted)
  const { blockPlan, BLOCK } = await import(join(root, 'src/engine/blockPlan.ts'));
  const { JsBlockScratch, prepareBlockJs } = await import(join(root, 'src/engine/blockPhases.ts'));
  const { newPassScalars } = await import(join(root, 'src/engine/accumulators.ts'));
  const pair = preparePair(lg, tg, resolveOptions(dicece));
  const plan = blockPlan(pair.logits, pair.target, accumulateConfig(pair));
  const { C, S, x } = plan;
  const B = pair.logits.B;
  const kernel = softmaxBlockKernel(BLOCK, C);
  let sink = 0;
  for (const keep of [true, false]) {
    const blk = new JsBlockScratch(C, keep);
    const tj = best(() => {
      const sc = newPassScalars();
      for (let b = 0; b < B; b++) {
        for (let s0 = 0; s0 < S; s0 += BLOCK) prepareBlockJs(plan, blk, { b, e: b * S + s0, xb: b * C * S + s0, n: Math.min(BLOCK, S - s0), rows: false }, sc);
      }
      sink += sc.nanL + sc.infL;
    });
    const tw = best(() => {
      for (let b = 0; b < B; b++) {
        for (let s0 = 0; s0 < S; s0 += BLOCK) {
          kernel.prepare(x, b * C * S + s0, S, C, Math.min(BLOCK, S - s0), null, keep);
          sink += kernel.nan;
        }
      }
    });
    console.log(`W1 block preparation (${keep ? 'keeping exp' : 'sum only'}): JS ${tj.toFixed(0)} ms, WASM ${tw.toFixed(0)} ms, ${(tj / tw).toFixed(2)}x`);
  }
  if (sink) console.log(`(${sink} non-finite values)`);
}

// 3. the whole single-thread fused pass
const configs = {
  'W1 DiceCE softmax ε 0.1': [dicece, null],
  'W1 DiceCE weighted': [{ ...dicece, weight: Array.from({ length: lg.shape[1] }, (_, c) => 1 + c / 7) }, null],
  'W1 CE only ε 0.1': [{ loss: 'ce', labelSmoothing: 0.1 }, null],
  'W4 DiceCE, 16-value ε sweep': [dicece, sweepGrid()],
};
// W3 (4096×1000 classification rows, CE), when the benchmark has generated its files
const clsLogits = join(here, 'bench/data/cls_logits.npy');
const clsTarget = join(here, 'bench/data/cls_target.npy');
const cls = existsSync(clsLogits) && existsSync(clsTarget) ? [loadTensor(clsLogits).tensor, loadTensor(clsTarget).tensor] : null;
if (cls) configs['W3 CE 4096×1000 ε 0.1'] = [{ loss: 'ce', labelSmoothing: 0.1 }, null, cls];
for (const [name, [o, grid, tensors]] of Object.entries(configs)) {
  const pair = tensors ? preparePair(tensors[0], tensors[1], resolveOptions(o)) : preparePair(lg, tg, resolveOptions(o));
  const cfg = accumulateConfig(pair, grid);
  const t = { js: Infinity, wasm: Infinity };
  const acc = {};
  for (let r = 0; r < reps; r++) {
    for (const mode of ['js', 'wasm']) {
      setWasmKernel(mode === 'wasm');
      const t0 = cpu();
      acc[mode] = accumulateAll(pair, cfg);
      t[mode] = Math.min(t[mode], cpu() - t0);
    }
  }
  setWasmKernel(true);
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
  console.log(`${name}: JS ${t.js.toFixed(0)} ms, WASM ${t.wasm.toFixed(0)} ms, ${(t.js / t.wasm).toFixed(2)}x; sums agree to ${worst.toExponential(2)} relative`);
}
