// The worker client round trip against the bundled worker (dist/worker.js): a report on the sample data equal
// to the engine's in-process numbers, a recompute with another ε that re-reads nothing, re-reading after the
// file changes, the need-bytes path (bytes read by the host and transferred), error messages naming the file
// or the problem, container keys, heat maps, tensor summaries, several views' reports at once, and cancellation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { computeReport, computeReportAndSweep, resolveOptions, type Tensor } from '../../src/engine/index';
import { PARALLEL_MIN_VALUES } from '../../src/parallel/index';
import { readTensorFile } from '../../src/readers/index';
import { viewSweepGrid as sweepGrid } from '../../src/engine/sweepGrid';
import { NodeFileAccess } from '../../src/extension/nodeFileAccess';
import { CancelledError, WorkerClient, WorkerFailure } from '../../src/extension/workerClient';
import { repoRoot } from './helpers/paths';
import { npyBytes, npzBytes } from './helpers/npyWrite';
import { assertDeepClose } from './helpers/deepClose';
import { randomLabels, randomLogits, rng } from './helpers/random';

const workerPath = join(repoRoot, 'dist', 'worker.js');
const sample = (n: string) => pathToFileURL(join(repoRoot, 'sample', n)).toString();
const options = resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 });
let tmp: string;
const clients: WorkerClient[] = [];

function client(o: Partial<ConstructorParameters<typeof WorkerClient>[0]> = {}): WorkerClient {
  const c = new WorkerClient({ workerPath, files: new NodeFileAccess(), ...o });
  clients.push(c);
  return c;
}

function inProcess(logits: string, target: string, opts = options) {
  const l = readTensorFile(readFileSync(join(repoRoot, 'sample', logits)), logits).tensors[0]!.tensor;
  const t = readTensorFile(readFileSync(join(repoRoot, 'sample', target)), target).tensors[0]!.tensor;
  return computeReportAndSweep(l, t, opts, sweepGrid(opts.labelSmoothing));
}

before(() => {
  if (!existsSync(workerPath)) {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
    assert.equal(r.status, 0, 'build failed');
  }
  tmp = mkdtempSync(join(tmpdir(), 'li-worker-'));
});

after(() => {
  for (const c of clients) c.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('report on the sample equals the in-process engine; a recompute re-reads nothing', async () => {
  const c = client();
  const spec = { logits: { uri: sample('logits.npy'), key: null }, target: { uri: sample('labels.npy'), key: null } };
  const r1 = await c.report({ ...spec, options, sweepEps: sweepGrid(0.1) });
  const want1 = inProcess('logits.npy', 'labels.npy');
  assert.deepEqual(r1.report, want1.report);
  assert.deepEqual(r1.sweep, want1.sweep);
  assert.deepEqual(r1.logitsShape, [1, 4, 32, 32, 16]);
  assert.equal(r1.logitsKey, '');
  assert.ok(r1.readMs > 0 && r1.computeMs > 0);
  assert.ok(r1.sweep!.eps[0] === 0 && r1.sweep!.eps.at(-1)! >= 0.3);
  assert.equal((await c.cacheInfo()).reads, 2);

  const opts2 = { ...options, labelSmoothing: 0.2 };
  const r2 = await c.report({ ...spec, options: opts2, sweepEps: sweepGrid(0.2) });
  assert.equal(r2.readMs, 0, 'tensors were reused');
  assert.equal((await c.cacheInfo()).reads, 2);
  assert.equal(r2.report.config.labelSmoothing, 0.2);
  assert.deepEqual(r2.report, inProcess('logits.npy', 'labels.npy', opts2).report);
  assert.notEqual(r2.report.loss.total, r1.report.loss.total);
  assert.equal(c.startCount, 1);
});

test('a changed file (mtime) is read again; evicted files too', async () => {
  const p = join(tmp, 'labels.npy');
  writeFileSync(p, readFileSync(join(repoRoot, 'sample', 'labels.npy')));
  const c = client();
  const spec = { logits: { uri: sample('logits.npy'), key: null }, target: { uri: pathToFileURL(p).toString(), key: null }, options, sweepEps: null };
  await c.report(spec);
  assert.equal((await c.cacheInfo()).reads, 2);
  const t = new Date(Date.now() + 5000);
  utimesSync(p, t, t);
  const r = await c.report(spec);
  assert.ok(r.readMs > 0);
  assert.equal((await c.cacheInfo()).reads, 3);
  assert.equal(await c.evict([sample('logits.npy')]), 1);
  await c.report(spec);
  assert.equal((await c.cacheInfo()).reads, 4);
});

test('need-bytes: without local reads, the host reads and transfers the bytes once', async () => {
  const files = new NodeFileAccess();
  const c = client({ files, readLocalFilesInWorker: false });
  const spec = { logits: { uri: sample('logits.npy'), key: null }, target: { uri: sample('labels.npy'), key: null }, options, sweepEps: null };
  const r = await c.report(spec);
  assert.deepEqual(r.report, inProcess('logits.npy', 'labels.npy').report);
  assert.equal(files.hostReads, 2);
  await c.report({ ...spec, options: { ...options, labelSmoothing: 0 } });
  assert.equal(files.hostReads, 2, 'cached in the worker: no second host read');
});

test('errors come back typed, one line, naming the file or the problem', async () => {
  const bad = join(tmp, 'broken.npy');
  writeFileSync(bad, Buffer.from('\x93NUMPY\x01\x00garbage'));
  const c = client();
  await assert.rejects(c.list(pathToFileURL(bad).toString()), (e: unknown) => {
    assert.ok(e instanceof WorkerFailure);
    assert.equal(e.name, 'TensorFileError');
    assert.match(e.message, /^broken\.npy: /);
    assert.doesNotMatch(e.message, /\n/);
    assert.ok(e.info.kind);
    return true;
  });
  // logits against logits: the engine refuses the shapes, naming both.
  await assert.rejects(
    c.report({ logits: { uri: sample('logits.npy'), key: null }, target: { uri: sample('logits.npy'), key: 'nope' }, options, sweepEps: null }),
    (e: unknown) => e instanceof WorkerFailure && e.name === 'TensorFileError' && /no tensor with key "nope"/.test(e.message),
  );
  await assert.rejects(
    c.report({ logits: { uri: sample('labels.npy'), key: null }, target: { uri: sample('logits.npy'), key: null }, options, sweepEps: null }),
    (e: unknown) => e instanceof WorkerFailure && e.name === 'LossInputError' && /\[1, 4, 32, 32, 16\]/.test(e.message),
  );
  await assert.rejects(c.list(pathToFileURL(join(tmp, 'missing.npy')).toString()), /ENOENT|no such file/);
  // The worker survived all of it.
  assert.equal(c.startCount, 1);
});

test('containers: listing, keys, pairs inside one file, heat map and summaries', async () => {
  const logits = new Float32Array(2 * 3 * 4 * 5).map((_, i) => Math.sin(i));
  const labels = new BigInt64Array(2 * 4 * 5).map((_, i) => BigInt(i % 3));
  const npz = join(tmp, 'batch.npz');
  writeFileSync(npz, npzBytes({ logits: npyBytes('float32', [2, 3, 4, 5], logits), labels: npyBytes('int64', [2, 4, 5], labels) }));
  const uri = pathToFileURL(npz).toString();
  const c = client();
  const listing = await c.list(uri);
  assert.equal(listing.format, 'npz');
  assert.deepEqual(listing.tensors.map((t) => [t.key, t.dtype, t.shape]).sort(), [['labels', 'int64', [2, 4, 5]], ['logits', 'float32', [2, 3, 4, 5]]]);
  await assert.rejects(c.report({ logits: { uri, key: null }, target: { uri, key: 'labels' }, options, sweepEps: null }), /holds 2 tensors: choose one with batch\.npz#KEY; keys: .*"logits"/);
  const r = await c.report({ logits: { uri, key: 'logits' }, target: { uri, key: 'labels' }, options: resolveOptions({ loss: 'ce' }), sweepEps: [0, 0.1] });
  assert.equal(r.report.numClasses, 3);
  assert.equal((await c.cacheInfo()).reads, 1, 'one file read once for both tensors');

  const hm = await c.heatmap(uri, { key: 'logits', leading: [1, 2] });
  assert.equal(hm.width, 5);
  assert.equal(hm.height, 4);
  assert.ok(hm.values instanceof Float32Array);
  // logits[1, 2, y, x] = sin(((1*3 + 2)*4 + y)*5 + x)
  assert.equal(hm.values[2 * 5 + 3], Math.fround(Math.sin((20 + 2) * 5 + 3)));
  await assert.rejects(c.heatmap(uri, { key: 'logits', leading: [2, 0] }), /out of range/);

  const state = await c.describe(uri);
  assert.equal(state.fileName, 'batch.npz');
  const lab = state.tensors.find((t) => t.key === 'labels')!;
  assert.equal(lab.min, 0);
  assert.equal(lab.max, 2);
  assert.equal(lab.histogram!.counts.reduce((a, b) => a + b, 0), 40);
  const lg = state.tensors.find((t) => t.key === 'logits')!;
  assert.ok(Math.abs(lg.mean! - Array.from(logits).reduce((a, b) => a + b, 0) / logits.length) < 1e-12);
});

/** A random pair written as .npy files: float32 logits (1, C, *sp) and int64 labels (1, 1, *sp). */
function writePair(name: string, C: number, sp: number[], seed: number): { logits: string; target: string; l: Tensor; t: Tensor } {
  const r = rng(seed);
  const l = randomLogits(r, [1, C, ...sp]);
  const t = randomLabels(r, [1, 1, ...sp], C);
  const lp = join(tmp, `${name}_logits.npy`);
  const tp = join(tmp, `${name}_labels.npy`);
  writeFileSync(lp, npyBytes('float32', l.shape as number[], l.data as Float32Array));
  writeFileSync(tp, npyBytes('int64', t.shape as number[], t.data as BigInt64Array));
  return { logits: pathToFileURL(lp).toString(), target: pathToFileURL(tp).toString(), l, t };
}

test('several views at once: each report equals the engine for its own pair; cancelling one keeps the others and the cache', async () => {
  // Pairs ≥ 1 Mi values, so the worker's reports split over the engine's thread pool (where sums once went to
  // whichever job listened first); different class counts and options, so mixed-up sums cannot pass.
  const pairs = [
    { ...writePair('cA', 4, [64, 64, 80], 11), options: resolveOptions({ loss: 'ce', labelSmoothing: 0.1 }) },
    { ...writePair('cB', 6, [48, 48, 96], 12), options: resolveOptions({ loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.05 }) },
    { ...writePair('cC', 3, [96, 96, 48], 13), options: resolveOptions({ loss: 'dice', softmax: true, toOnehotY: true }) },
  ];
  for (const p of pairs) assert.ok(p.l.data.length >= PARALLEL_MIN_VALUES);
  const want = pairs.map((p) => computeReportAndSweep(p.l, p.t, p.options, sweepGrid(p.options.labelSmoothing)));
  const request = (i: number) => {
    const p = pairs[i]!;
    return { logits: { uri: p.logits, key: null }, target: { uri: p.target, key: null }, options: p.options, sweepEps: sweepGrid(p.options.labelSmoothing) };
  };
  const c = client();
  for (let round = 0; round < 2; round++) {
    // Round 0 reads the files while the others compute; round 1 computes from the cache only.
    const order = round === 0 ? [0, 1, 2, 0, 1, 2] : [2, 1, 0, 2, 0, 1];
    const ac = new AbortController();
    const victim = c.report(request(1), { signal: ac.signal }).then(
      () => assert.fail('the cancelled report resolved'),
      (e: unknown) => assert.ok(e instanceof CancelledError, String(e)),
    );
    const jobs = order.map((i) => c.report(request(i)));
    setTimeout(() => ac.abort(), round === 0 ? 30 : 0);
    const got = await Promise.all(jobs);
    await victim;
    got.forEach((r, k) => {
      const i = order[k]!;
      assertDeepClose(r.report, want[i]!.report, 1e-12, `round ${round}, job ${k} (pair ${i}): report`);
      assertDeepClose(r.sweep, want[i]!.sweep, 1e-10, `round ${round}, job ${k} (pair ${i}): sweep`);
      if (round === 1) assert.equal(r.readMs, 0, 'every tensor came from the cache');
    });
  }
  // The cancellations neither restarted the worker nor dropped any view's tensors.
  assert.equal(c.startCount, 1);
  const info = await c.cacheInfo();
  assert.equal(info.reads, 6);
  assert.deepEqual(info.files.map((f) => f.uri).sort(), pairs.flatMap((p) => [p.logits, p.target]).sort());
});

test('cancellation rejects the job at once; the worker keeps running and the next job works', async () => {
  // Large enough that the report is still running when the abort arrives (the engine's pass runs at a few ns
  // per value: 12 M values keep it busy for tens of milliseconds even on two threads).
  const C = 14;
  const S = 96 * 96 * 64;
  const logits = new Float32Array(C * S).map((_, i) => Math.cos(i * 0.37));
  const labels = new BigInt64Array(S).map((_, i) => BigInt(i % C));
  const lp = join(tmp, 'big_logits.npy');
  const tp = join(tmp, 'big_labels.npy');
  writeFileSync(lp, npyBytes('float32', [1, C, 96, 96, 64], logits));
  writeFileSync(tp, npyBytes('int64', [1, 1, 96, 96, 64], labels));
  const c = client();
  const spec = { logits: { uri: pathToFileURL(lp).toString(), key: null }, target: { uri: pathToFileURL(tp).toString(), key: null }, options, sweepEps: sweepGrid(0.1) };
  const ac = new AbortController();
  const small = { logits: { uri: sample('logits.npy'), key: null }, target: { uri: sample('labels.npy'), key: null }, options, sweepEps: null };
  let other: Promise<unknown> | undefined;
  const job = c.report(spec, {
    signal: ac.signal,
    onProgress: (m) => {
      if (!m.startsWith('Computing') || other) return;
      // Another view's job starts while the report runs; it must be answered, never failed.
      other = c.report(small);
      setTimeout(() => ac.abort(), 0);
    },
  });
  await assert.rejects(job, (e: unknown) => e instanceof CancelledError);
  assert.ok(other);
  const r0 = (await other) as { report: { numClasses: number } };
  assert.equal(r0.report.numClasses, 4);
  const r = await c.report(small);
  assert.equal(r.report.numClasses, 4);
  assert.equal(r.readMs, 0, 'the cancelled job did not drop the cache');
  // The big pair stayed cached too: recomputing it reads nothing.
  const again = await c.report(spec);
  assert.equal(again.readMs, 0);
  assert.equal(c.startCount, 1);
});

test('a vocabulary\'s report crosses from the worker packed and arrives whole: every class equal to the engine\'s', async () => {
  const r = rng(77);
  const V = 3000;
  const logits = randomLogits(r, [2, 40, V]);
  const labels = randomLabels(r, [2, 40], V, { value: -100, rate: 0.1 });
  const lp = join(tmp, 'vocab_logits.npy');
  const tp = join(tmp, 'vocab_labels.npy');
  writeFileSync(lp, npyBytes('float32', [2, 40, V], logits.data));
  writeFileSync(tp, npyBytes('int64', [2, 40], labels.data));
  const opts = resolveOptions({ loss: 'ce', labelSmoothing: 0.1, classAxis: -1, shiftLabels: true });
  const got = await client().report({ logits: { uri: pathToFileURL(lp).toString(), key: null }, target: { uri: pathToFileURL(tp).toString(), key: null }, options: opts, sweepEps: null });
  assert.equal(got.perClassPacked, undefined);
  assert.equal(got.report.perClass!.length, V);
  assert.deepEqual(got.report, computeReport(logits, labels, opts));
});
