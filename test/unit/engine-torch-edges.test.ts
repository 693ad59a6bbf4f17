// torch's arithmetic at the edges and the label-smoothing floor, against numbers torch computed:
// test/fixtures/torch-edges/cases.json, made by make_cases.py beside it (/usr/bin/python3 with torch).
// Every edge case runs on the WebAssembly kernel, on the JS loops and through the parallel runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Tensor,
  computeReport,
  computeReportAndSweep,
  crossEntropy,
  resolveOptions,
  uniformStep,
  viewSweepGrid,
  type LossOptions,
  type Report,
} from '../../src/engine/index';
import { setWasmKernel, wasmSimdSupported } from '../../src/engine/wasm/softmaxBlock';
import { AccumulatePool, computeReportParallel, PARALLEL_MIN_VALUES } from '../../src/parallel/index';
import { fixturesDir, requireFixture } from './helpers/paths';

type Num = number | 'inf' | '-inf' | 'nan';
interface Base {
  about: string;
  logitsShape: number[];
  targetShape: number[];
  target: unknown[];
  targetDtype: 'int64' | 'uint8' | 'float64';
  options: Record<string, unknown>;
}
interface EdgeCase extends Base {
  logits: unknown[];
  torch: Num;
  torchHard: Num;
}
interface RejectedCase extends Base {
  logits: unknown[];
  torchError: string;
}
interface FloorCase extends Base {
  minimiserLogits: unknown[];
  closedForm: number;
  torchAtMinimiser: number;
}

const file = join(requireFixture(join(fixturesDir, 'torch-edges')), 'cases.json');
const cases = JSON.parse(readFileSync(file, 'utf8')) as { edges: EdgeCase[]; rejected: RejectedCase[]; floors: FloorCase[] };

const dec = (v: unknown): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : (v as number));
const flat = (a: unknown[]): number[] => (a.flat(Infinity) as unknown[]).map(dec);

function logitsOf(c: { logitsShape: number[] }, values: unknown[]): Tensor {
  return new Tensor('float64', c.logitsShape, Float64Array.from(flat(values)));
}

function targetOf(c: Base): Tensor {
  const v = flat(c.target);
  if (c.targetDtype === 'int64') return new Tensor('int64', c.targetShape, BigInt64Array.from(v.map((x) => BigInt(x))));
  if (c.targetDtype === 'uint8') return new Tensor('uint8', c.targetShape, Uint8Array.from(v));
  return new Tensor('float64', c.targetShape, Float64Array.from(v));
}

function optionsOf(c: Base): LossOptions {
  const o = { ...c.options };
  if (o['weight'] === null) delete o['weight'];
  return resolveOptions(o);
}

/** Same value: non-finite exactly (NaN is NaN, +inf is +inf), finite within 1e-12 relative. */
function same(got: number | null | undefined, want: number, what: string, rtol = 1e-12): void {
  assert.equal(typeof got, 'number', `${what}: got ${got}`);
  const g = got as number;
  if (!Number.isFinite(want)) {
    assert.ok(Object.is(g, want) || (Number.isNaN(g) && Number.isNaN(want)), `${what}: got ${g}, torch ${want}`);
    return;
  }
  assert.ok(Math.abs(g - want) <= rtol * Math.max(1, Math.abs(want)), `${what}: got ${g}, torch ${want}`);
}

/** Runs `fn` on the WebAssembly kernel (where this machine has it) and on the JS loops. */
function bothPaths(fn: (path: string) => void): void {
  const paths = wasmSimdSupported() ? [true, false] : [false];
  try {
    for (const wasm of paths) {
      setWasmKernel(wasm);
      fn(wasm ? 'wasm' : 'js');
    }
  } finally {
    setWasmKernel(true);
  }
}

/** `rtol`: a pair tiled 10⁵ times sums 10⁵ times more terms (float64 rounding grows to ~1e-11). */
function checkEdge(c: EdgeCase, r: Report, path: string, rtol = 1e-12): void {
  same(r.loss.ce, dec(c.torch), `${c.about} [${path}] loss.ce`, rtol);
  same(r.hard.ce, dec(c.torchHard), `${c.about} [${path}] hard.ce`, rtol);
  const codes = r.warnings.map((w) => w.code);
  const eps = r.config.labelSmoothing;
  if (dec(c.torchHard) === Infinity) assert.ok(codes.includes('inf-logit-at-target'), `${c.about}: ${codes}`);
  else if (dec(c.torch) === Infinity && eps > 0) assert.ok(codes.includes('masked-class-smoothed-inf'), `${c.about}: ${codes}`);
  if (r.numClasses === 1) {
    assert.ok(codes.includes('single-class-ce'), `${c.about}: ${codes}`);
    assert.ok(!codes.includes('all-ignored'), `${c.about}: no false ignore_index warning: ${codes}`);
    assert.match(r.warnings.find((w) => w.code === 'single-class-ce')!.message, /two logits|BCEWithLogits/);
  }
}

test('−inf logits, one class, probability targets: the report gives torch\'s number (kernel and JS paths)', () => {
  assert.ok(cases.edges.length >= 40);
  for (const c of cases.edges) {
    const x = logitsOf(c, c.logits);
    const t = targetOf(c);
    const o = optionsOf(c);
    bothPaths((path) => checkEdge(c, computeReport(x, t, o), path));
    // the simple path agrees, element by element reduced as torch reduces
    const simple = crossEntropy(x, t, { weight: o.weight, labelSmoothing: o.labelSmoothing, reduction: o.reduction, ignoreIndex: o.ignoreIndex });
    same(simple as number, dec(c.torch), `${c.about} simple path`);
  }
});

test('the ε sweep around −inf logits: the hard CE stays finite, the smoothed one +inf as torch gives', () => {
  const c = cases.edges.find((e) => e.about === 'masked non-target classes, eps 0.1, mean, weighted')!;
  const { report, sweep } = computeReportAndSweep(logitsOf(c, c.logits), targetOf(c), optionsOf(c), viewSweepGrid(0.1));
  same(sweep.ceHard, dec(c.torchHard), 'sweep hard CE');
  same(sweep.ce[0], dec(c.torchHard), 'ε = 0 on the grid is the hard CE, not 0·inf');
  for (let i = 1; i < sweep.eps.length; i++) assert.equal(sweep.ce[i], Infinity);
  same(report.loss.ce, Infinity, 'report');
});

test('the edge cases through the parallel runner (the pair tiled above the threshold): torch\'s mean', async () => {
  const pool = new AccumulatePool(2);
  assert.equal(pool.threads, 2, 'dist/accumulate-worker.js must be built');
  try {
    const picked = cases.edges.filter((c) => c.logitsShape.length === 4 || (c.about.startsWith('masked') && c.options['reduction'] === 'mean'));
    assert.ok(picked.length >= 8);
    for (const c of picked) {
      const x0 = flat(c.logits);
      const t0 = flat(c.target);
      const reps = Math.ceil((PARALLEL_MIN_VALUES + 1) / x0.length);
      // tiled along the batch axis: every element repeated `reps` times, so torch's mean is unchanged
      const [B, ...rest] = c.logitsShape;
      const x = new Float64Array(new SharedArrayBuffer(x0.length * reps * 8));
      for (let r = 0; r < reps; r++) x.set(x0, r * x0.length);
      const t = new BigInt64Array(t0.length * reps);
      for (let r = 0; r < reps; r++) t.set(t0.map((v) => BigInt(v)), r * t0.length);
      const xt = new Tensor('float64', [B! * reps, ...rest], x);
      const tt = new Tensor('int64', [c.targetShape[0]! * reps, ...c.targetShape.slice(1)], t);
      const o = optionsOf(c);
      for (const path of wasmSimdSupported() ? ['wasm', 'js'] : ['js']) {
        // the kernel and the JS loops on this thread; the pool's threads (below) check the split
        setWasmKernel(path === 'wasm');
        try {
          const single = computeReport(xt, tt, o);
          checkEdge(c, single, `tiled ${path}`, 1e-9);
        } finally {
          setWasmKernel(true);
        }
      }
      checkEdge(c, await computeReportParallel(xt, tt, o, pool), 'parallel', 1e-9);
    }
  } finally {
    await pool.dispose();
  }
});

test('combinations torch rejects are rejected with torch\'s message', () => {
  assert.ok(cases.rejected.length >= 7);
  for (const c of cases.rejected) {
    assert.throws(
      () => computeReport(logitsOf(c, c.logits), targetOf(c), optionsOf(c)),
      (e: Error) => e.message.includes(c.torchError),
      `${c.about}: expected torch's "${c.torchError}"`,
    );
  }
});

test('the floor: the closed form and torch\'s CE at the minimiser (weighted, ignore_index, probability, multi-hot)', () => {
  assert.ok(cases.floors.length >= 10);
  const seen = new Set<string>();
  for (const c of cases.floors) {
    const t = targetOf(c);
    const o = optionsOf(c);
    const xMin = logitsOf(c, c.minimiserLogits);
    // The floor depends on the target only: any logits give the same one.
    const r = computeReport(new Tensor('float64', c.logitsShape, new Float64Array(c.logitsShape.reduce((a, b) => a * b, 1))), t, o);
    same(r.floor, c.closedForm, `${c.about}: floor vs closed form`);
    same(r.floor, c.torchAtMinimiser, `${c.about}: floor vs torch's CE at the minimiser`);
    seen.add(`${r.floorCase!.target}${r.floorCase!.weighted ? '+w' : ''}`);
    assert.ok(r.floorCase!.text.length > 20);
    // Our CE at the minimiser is torch's there, and no other prediction does better.
    const atMin = computeReport(xMin, t, o);
    same(atMin.loss.ce, c.torchAtMinimiser, `${c.about}: our CE at the minimiser`);
    const x0 = flat(c.minimiserLogits);
    for (const delta of [0.05, -0.2, 1]) {
      const moved = x0.map((v, i) => (Number.isFinite(v) ? v + delta * Math.sin(i * 1.7) : v));
      const other = computeReport(new Tensor('float64', c.logitsShape, Float64Array.from(moved)), t, o);
      assert.ok(other.loss.ce! >= r.floor! - 1e-12, `${c.about}: CE ${other.loss.ce} below the floor ${r.floor}`);
    }
  }
  for (const k of ['index', 'index+w', 'probability+w', 'multi-hot+w', 'multi-hot', 'one-hot+w']) assert.ok(seen.has(k), `case ${k} covered`);
});

test('the sweep\'s floor line is the report\'s floor at each ε (weighted index and multi-hot targets)', () => {
  for (const about of ['class indices, weighted, ignore_index -100 on 3 elements', 'multi-hot (overlapping regions), weighted']) {
    const c = cases.floors.find((f) => f.about === about)!;
    const t = targetOf(c);
    const x = logitsOf(c, c.minimiserLogits);
    const { sweep } = computeReportAndSweep(x, t, optionsOf(c), viewSweepGrid(0.13));
    sweep.eps.forEach((e, i) => {
      const r = computeReport(x, t, optionsOf({ ...c, options: { ...c.options, labelSmoothing: e } }));
      same(sweep.floor[i], r.floor!, `${about}: sweep floor at ε ${e}`);
    });
  }
});

test('one ε grid: the view\'s grid is uniform at any ε (the fast paths\' grid) and the sweep still hits ε exactly', () => {
  for (const eps of [0, 0.05, 0.1, 0.13, 0.37, 0.4, 0.41, 0.93, 1]) {
    const g = viewSweepGrid(eps);
    assert.ok(uniformStep(Float64Array.from(g)) > 0, `grid at ε ${eps} is uniform`);
    assert.equal(g[0], 0);
    assert.ok(g[g.length - 1]! >= Math.max(0.4, eps) - 1e-12 && g[g.length - 1]! <= 1, `grid at ε ${eps} reaches it`);
  }
  const c = cases.floors.find((f) => f.about === 'class indices, weighted')!;
  const x = logitsOf(c, c.minimiserLogits).contiguous();
  const noisy = new Tensor('float64', c.logitsShape, Float64Array.from(flat(c.minimiserLogits).map((v, i) => v + Math.cos(i))));
  for (const eps of [0.05, 0.13]) {
    const o = resolveOptions({ loss: 'ce', labelSmoothing: eps, weight: [1, 3, 0.5, 2] });
    const { report, sweep } = computeReportAndSweep(noisy, targetOf(c), o, viewSweepGrid(eps));
    const i = sweep.eps.indexOf(eps);
    assert.ok(i > 0, `ε ${eps} is a point of the sweep`);
    assert.equal(sweep.ce[i], report.loss.ce);
    assert.equal(sweep.floor[i], report.floor);
    assert.ok(x.size > 0);
  }
});

test('dicece: the sweep at an ε off the grid takes the report\'s smoothed Dice exactly', () => {
  const B = 2, C = 3, S = 40;
  const x = new Float64Array(B * C * S).map((_, i) => Math.sin(i * 0.37) * 2);
  const t = new BigInt64Array(B * S).map((_, i) => BigInt((i * 7) % C));
  const o = resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.13 });
  const xt = new Tensor('float64', [B, C, S], x);
  const tt = new Tensor('int64', [B, 1, S], t);
  const { report, sweep } = computeReportAndSweep(xt, tt, o, viewSweepGrid(0.13));
  const i = sweep.eps.indexOf(0.13);
  assert.ok(i > 0);
  assert.equal(sweep.dice[i], report.smoothed!.dice);
  assert.equal(sweep.total[i], report.smoothed!.total);
  const at12 = computeReport(xt, tt, { ...o, labelSmoothing: 0.12 });
  const j = sweep.eps.indexOf(0.12);
  assert.ok(Math.abs(sweep.dice[j]! - at12.smoothed!.dice!) <= 1e-10, 'grid values stay exact');
});
