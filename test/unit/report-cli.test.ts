// `loss-inspect report`: the table, the JSON, the flags, and one clear line with exit status 2 for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/paths';

const sample = (f: string) => join(repoRoot, 'sample', f);
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A minimal .npy writer for test inputs (C order, little-endian). */
function writeNpy(path: string, descr: string, shape: number[], data: ArrayBufferView) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

test('the demo report: per-class table with names from classes.json, totals and the floor', () => {
  const r = cli('report', sample('logits.npy'), sample('labels.npy'), '--loss', 'dicece', '--to-onehot-y', '--softmax', '--label-smoothing', '0.1');
  assert.equal(r.code, 0, r.err);
  for (const s of ['0 background', '3 pancreas', 'CE hard', 'Dice smoothed', 'loss (what training sees)', 'label-smoothing floor at ε = 0.1, C = 4: 0.348780']) {
    assert.ok(r.out.includes(s), `output lacks ${s}`);
  }
});

test('--json carries the report, the effective config, warnings and timings; flags override --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-report-'));
  const cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.3, lambdaCe: 0.5 }));
  const r = cli('report', sample('logits.npy'), sample('labels.npy'), '--config', cfg, '--label-smoothing', '0.1', '--no-include-background', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.config.labelSmoothing, 0.1);
  assert.equal(j.config.lambdaCe, 0.5);
  assert.equal(j.config.includeBackground, false);
  assert.equal(j.perClass.length, 4);
  assert.equal(j.perClass[0].diceHard, null);
  assert.ok(Math.abs(j.loss.total - (j.loss.dice + 0.5 * j.loss.ce)) < 1e-12);
  assert.ok(j.timings.readMs >= 0 && j.timings.computeMs >= 0);
  assert.deepEqual(j.classNames, ['background', 'liver', 'spleen', 'pancreas']);
  assert.ok(Array.isArray(j.warnings));
});

test('a spatial label map beside (1, C, X, Y, Z) logits is accepted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-report-'));
  const logits = new Float32Array(1 * 3 * 4 * 3 * 2).map((_, i) => Math.sin(i));
  const labels = new Uint8Array(24).map((_, i) => i % 3);
  writeNpy(join(dir, 'l.npy'), '<f4', [1, 3, 4, 3, 2], logits);
  writeNpy(join(dir, 't.npy'), '|u1', [4, 3, 2], labels);
  writeNpy(join(dir, 't5.npy'), '|u1', [1, 1, 4, 3, 2], labels);
  const a = cli('report', join(dir, 'l.npy'), join(dir, 't.npy'), '--to-onehot-y', '--softmax', '--json');
  const b = cli('report', join(dir, 'l.npy'), join(dir, 't5.npy'), '--to-onehot-y', '--softmax', '--json');
  assert.equal(a.code, 0, a.err);
  assert.deepEqual(JSON.parse(a.out).loss, JSON.parse(b.out).loss);
});

test('bad input exits 2 with one line naming the file or option and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-report-'));
  writeNpy(join(dir, 'bad.npy'), '<i8', [1, 1, 32, 32, 16], new BigInt64Array(16384).fill(7n));
  const cases: [string[], RegExp][] = [
    [['report', join(dir, 'missing.npy'), sample('labels.npy')], /missing\.npy: no such file/],
    [['report', sample('logits.npy') + '#nope', sample('labels.npy')], /logits\.npy.*"nope"/],
    [['report', sample('logits.npy'), sample('logits.npy'), '--to-onehot-y'], /\[1, 4, 32, 32, 16\].*\[1, 4, 32, 32, 16\]/],
    [['report', sample('logits.npy'), join(dir, 'bad.npy'), '--to-onehot-y'], /logits\.npy vs .*bad\.npy: .*class index 7 outside \[0, 4\)/],
    [['report', sample('logits.npy'), sample('labels.npy'), '--label-smoothing', '1.5'], /labelSmoothing.*between 0\.0 and 1\.0/],
    [['report', sample('logits.npy'), sample('labels.npy'), '--reduction', 'median'], /reduction/],
    [['report', sample('logits.npy'), sample('labels.npy'), '--frobnicate'], /unknown option --frobnicate/],
    [['report', sample('logits.npy')], /expected <logits> and <target>/],
    [['report', sample('logits.npy'), sample('labels.npy'), '--config', join(dir, 'none.json')], /none\.json: cannot read/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.ok(!/\bat \S+:\d+:\d+/.test(r.err), 'no stack trace');
  }
});

test('the MONAI families: the table shows the family’s own terms; their flags and --config keys reach the engine', () => {
  const base = ['report', sample('logits.npy'), sample('labels.npy'), '--to-onehot-y', '--label-smoothing', '0.1'];
  const df = cli(...base, '--loss', 'dicefocal', '--softmax');
  assert.equal(df.code, 0, df.err);
  for (const s of ['DiceFocalLoss', 'Dice hard', 'Focal hard', 'Focal smoothed', 'Δ Focal', 'focal', 'warning [focal-sigmoid]']) assert.ok(df.out.includes(s), `dicefocal output lacks ${s}`);
  for (const s of ['CE hard', 'label-smoothing floor']) assert.ok(!df.out.includes(s), `dicefocal output has ${s}`);
  const tv = cli(...base, '--loss', 'tversky', '--softmax', '--tversky-alpha', '0.7', '--tversky-beta', '0.3');
  assert.equal(tv.code, 0, tv.err);
  assert.ok(tv.out.includes('Tversky hard') && tv.out.includes('tversky'), tv.out);
  const gd = cli(...base, '--loss', 'gdice', '--softmax');
  assert.ok(gd.out.includes('generalized dice') && gd.out.includes('no per-class value'), gd.out);

  const json = (...a: string[]) => {
    const r = cli(...base, '--json', ...a);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  };
  const ref = json('--loss', 'dicefocal', '--softmax');
  const flags: [string[], string][] = [
    [['--gamma', '0.5'], 'gamma'],
    [['--alpha', '0.25'], 'alpha'],
    [['--lambda-focal', '0.3'], 'lambdaFocal'],
  ];
  for (const [f, key] of flags) {
    const r = json('--loss', 'dicefocal', '--softmax', ...f);
    assert.equal(String(r.config[key]), f[1], key);
    assert.notEqual(r.loss.total, ref.loss.total, `${f[0]} changes the loss`);
  }
  const sm = json('--loss', 'focal', '--use-softmax');
  assert.equal(sm.config.useSoftmax, true);
  assert.notEqual(sm.loss.focal, json('--loss', 'focal').loss.focal);
  assert.notEqual(json('--loss', 'gdice', '--softmax', '--w-type', 'uniform').loss.dice, json('--loss', 'gdice', '--softmax').loss.dice);
  const dir = mkdtempSync(join(tmpdir(), 'li-report-families-'));
  const cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ loss: 'tversky', softmax: true, tverskyAlpha: 0.7, tverskyBeta: 0.3 }));
  const viaConfig = json('--config', cfg);
  assert.equal(viaConfig.loss.total, json('--loss', 'tversky', '--softmax', '--tversky-alpha', '0.7', '--tversky-beta', '0.3').loss.total);
  assert.notEqual(viaConfig.loss.total, json('--loss', 'tversky', '--softmax').loss.total);
  const bad = cli(...base, '--loss', 'gdice', '--w-type', 'cube');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /option wType: expected square, simple or uniform/);
});
