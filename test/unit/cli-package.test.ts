// The CLI as its own npm package: `npm pack` builds (prepack) and packs only the CLI's bundles; installed into an
// empty folder, offline (the tarball has no dependencies), `loss-inspect` works — on the sample, and on a pair
// large enough to run on worker threads (so dist/accumulate-worker.js must be in the tarball), and on the sample
// folder of cases (dist/case-worker.js) — and gives the engine's numbers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeReport, resolveOptions } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import { npyBytes } from './helpers/npyWrite';
import { repoRoot } from './helpers/paths';

let scratch = '';
let tarball = '';
let packed: { files: { path: string }[]; size: number; unpackedSize: number };
let bin = '';

function npm(cwd: string, args: string[]) {
  // A private cache: offline installs must not depend on (or fill) the user's npm cache.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const env = { ...inherited, npm_config_cache: join(scratch, 'npm-cache'), npm_config_update_notifier: 'false' };
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env, timeout: 300_000, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspect-pack-'));
  const out = npm(repoRoot, ['pack', '--json', '--pack-destination', scratch]);
  packed = (JSON.parse(out.slice(out.indexOf('['))) as (typeof packed)[])[0]!;
  const [name] = readdirSync(scratch).filter((f) => f.endsWith('.tgz'));
  assert.ok(name, 'npm pack wrote no tarball');
  tarball = join(scratch, name);
  const app = join(scratch, 'app');
  mkdirSync(app);
  npm(app, ['install', '--offline', '--no-audit', '--no-fund', tarball]);
  bin = join(app, 'node_modules', '.bin', 'loss-inspect');
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the installed CLI with a preloaded probe that names every worker thread it starts on stderr (the pools
 *  would otherwise fall back to the main thread without a word when a worker bundle is missing). */
function lossWithProbe(...args: string[]) {
  const probe = join(scratch, 'probe.cjs');
  writeFileSync(
    probe,
    "const wt = require('node:worker_threads'); const W = wt.Worker;\n" +
      "wt.Worker = class extends W { constructor(f, o) { process.stderr.write('worker thread: ' + f + '\\n'); super(f, o); } };\n",
  );
  const cliJs = join(scratch, 'app', 'node_modules', 'loss-inspector', 'dist', 'cli.js');
  const r = spawnSync(process.execPath, ['--require', probe, cliJs, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const workers = r.stderr.split('\n').filter((l) => l.startsWith('worker thread: ')).map((l) => l.slice('worker thread: '.length));
  return { code: r.status, out: r.stdout, err: r.stderr, workers };
}

function loss(...args: string[]) {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the tarball holds the CLI bundles, README, LICENSE and package.json — no sources, tests or data', () => {
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, ['LICENSE', 'README.md', 'dist/accumulate-worker.js', 'dist/case-worker.js', 'dist/cli.js', 'package.json']);
  assert.ok(packed.size < 400 * 1024, `tarball is ${packed.size} bytes`);
  // prepack's production build: minified, no source-map reference to a file the tarball does not have.
  const cli = readFileSync(join(scratch, 'app', 'node_modules', 'loss-inspector', 'dist', 'cli.js'), 'utf8');
  assert.ok(cli.startsWith('#!/usr/bin/env node'));
  assert.ok(!cli.includes('sourceMappingURL'));
});

test('installed offline into an empty folder: one package, no dependencies, a loss-inspect bin', () => {
  const modules = readdirSync(join(scratch, 'app', 'node_modules')).filter((n) => !n.startsWith('.'));
  assert.deepEqual(modules, ['loss-inspector']);
  assert.ok(existsSync(bin));
  const manifest = JSON.parse(readFileSync(join(scratch, 'app', 'node_modules', 'loss-inspector', 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined, 'the CLI package must not need dependencies at run time');
});

test('`loss-inspect report` on the sample: the table, and --json equal to the engine in this process', () => {
  const logits = join(repoRoot, 'sample', 'logits.npy');
  const labels = join(repoRoot, 'sample', 'labels.npy');
  const flags = ['--loss', 'dicece', '--to-onehot-y', '--softmax', '--label-smoothing', '0.1'];
  const table = loss('report', logits, labels, ...flags);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /3 pancreas/);
  assert.match(table.out, /label-smoothing floor at ε = 0\.1, C = 4/);

  const r = loss('report', logits, labels, ...flags, '--json');
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out);
  const read = (p: string) => readTensorFile(new Uint8Array(readFileSync(p)), p).tensors[0]!.tensor;
  const want = computeReport(read(logits), read(labels), resolveOptions({ loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 }));
  for (const k of ['total', 'dice', 'ce'] as const) {
    assert.ok(Math.abs(got.loss[k] - want.loss[k]!) <= 1e-12 * Math.abs(want.loss[k]!), `loss.${k}: ${got.loss[k]} vs ${want.loss[k]}`);
  }
  assert.equal(got.perClass.length, 4);
});

test('a pair above the threading threshold runs on the packed worker threads with the same numbers', () => {
  // 2 × 4 × 64³ ≈ 2.1 M logits, above the pool's 1 Mi-value threshold: split over threads.
  const [B, C, S] = [2, 4, 64 ** 3];
  const lg = new Float32Array(B * C * S);
  const tg = new Uint8Array(B * S);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < lg.length; i++) lg[i] = rnd() * 6 - 3;
  for (let i = 0; i < tg.length; i++) tg[i] = Math.floor(rnd() * C);
  const lp = join(scratch, 'big-logits.npy');
  const tp = join(scratch, 'big-target.npy');
  writeFileSync(lp, npyBytes('float32', [B, C, 64, 64, 64], lg));
  writeFileSync(tp, npyBytes('uint8', [B, 1, 64, 64, 64], tg));
  const flags = ['--loss', 'dicece', '--to-onehot-y', '--softmax', '--label-smoothing', '0.1', '--json'];
  const one = loss('report', lp, tp, ...flags, '--threads', '1');
  const two = lossWithProbe('report', lp, tp, ...flags, '--threads', '2');
  assert.equal(one.code, 0, one.err);
  assert.equal(two.code, 0, two.err);
  assert.ok(two.workers.length >= 1, `expected a worker thread, stderr: ${two.err}`);
  for (const f of two.workers) assert.ok(f.endsWith(join('node_modules', 'loss-inspector', 'dist', 'accumulate-worker.js')), f);
  const [a, b] = [JSON.parse(one.out), JSON.parse(two.out)];
  for (const k of ['total', 'dice', 'ce'] as const) {
    assert.ok(Math.abs(a.loss[k] - b.loss[k]) <= 1e-12 * Math.abs(a.loss[k]), `loss.${k}: ${a.loss[k]} (1 thread) vs ${b.loss[k]} (2 threads)`);
  }
});

test('`loss-inspect dataset` on the sample folder evaluates every case on the packed case workers', () => {
  const d = (sub: string) => join(repoRoot, 'sample', 'dataset', sub);
  const r = lossWithProbe('dataset', d('predictions'), d('references'), '--softmax', '--to-onehot-y', '--threads', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.ok(s.metric_per_case.length >= 2, 'cases evaluated');
  assert.ok(r.workers.length >= 1, `expected a case worker, stderr: ${r.err}`);
  for (const f of r.workers) assert.ok(f.endsWith(join('node_modules', 'loss-inspector', 'dist', 'case-worker.js')), f);
});
