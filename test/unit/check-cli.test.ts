// `loss-inspect check` end to end: builds the CLI bundle, runs `node dist/cli.js check …` on the fixture
// corpus, and checks exit codes, the text report and the JSON.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const fixtures = path.join('test', 'fixtures', 'python');
const fx = (name: string) => path.join(fixtures, name);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'check', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(b.status, 0, `build failed: ${b.stderr}`);
});

test('text report: calls and diagnostics in order, exit 1 on errors', () => {
  const r = cli(fx('diagnostics.py'));
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const file = fx('diagnostics.py');
  assert.equal(lines[0], `${file}:6:11: torch.nn.CrossEntropyLoss(loss=ce, labelSmoothing=1.5)`);
  assert.equal(lines[1], `${file}:6:47: error li-eps-range: label_smoothing=1.5 is outside [0, 1]: torch rejects it when the loss is computed`);
  assert.ok(lines.includes(`${file}:21:6: torch.nn.CrossEntropyLoss(loss=ce, labelSmoothing=2)  [ce.label_smoothing = 0.1 on line 22; ce.label_smoothing = 2.0 on line 23]`));
  assert.ok(lines.includes(`${file}:19:26: monai.losses.DiceCELoss(loss=dicece, sigmoid=true, labelSmoothing=?)`));
  assert.ok(lines.includes(`${file}:27:1: warning li-posthoc-eps-ignored: BCEWithLogitsLoss has no label smoothing: setting bce.label_smoothing changes nothing`));
  assert.equal(lines[lines.length - 1], '1 file: 16 loss calls, 10 errors, 5 warnings, 3 notes');
  assert.equal(r.stderr, '');
});

test('exit 0 without error-level diagnostics; several files in one run', () => {
  const r = cli(fx('aliases.py'), fx('one_channel.py'), fx('shadowed.py'));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`${fx('aliases.py')}:19:15: monai.losses.DiceCELoss(loss=dicece, toOnehotY=true, softmax=true, labelSmoothing=0.05)\n`));
  assert.ok(r.stdout.includes(`${fx('one_channel.py')}:7:21: warning li-one-channel-eps:`));
  assert.ok(r.stdout.trimEnd().endsWith('3 files: 25 loss calls, 0 errors, 2 warnings, 0 notes'));
});

test('--json: the same data, notebook cells numbered from 1', () => {
  const r = cli('--json', fx('multiline_nested.py'), fx('notebook.ipynb'), fx('syntax_errors.py'));
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.summary, { files: 3, calls: 20, errors: 2, warnings: 1, information: 2 });
  const [py, nb, broken] = out.files;
  assert.equal(py.kind, 'python');
  assert.deepEqual(py.calls[0], {
    line: 9,
    column: 11,
    endLine: 19,
    endColumn: 2,
    name: 'monai.losses.DiceCELoss',
    callee: 'DiceCELoss',
    boundTo: 'loss_fn',
    options: { loss: 'dicece', toOnehotY: true, softmax: true, reduction: 'mean', weight: [0.5, 1, 0.2, 10], lambdaCe: 1, smoothNr: 1e-5, smoothDr: 0, labelSmoothing: 0.1 },
    unknownOptions: [],
    hasKwargs: false,
    hasStarArgs: false,
    numClasses: { value: 4, name: 'NUM_CLASSES', line: 6, column: 15 },
    postHoc: [],
  });
  assert.equal(nb.kind, 'notebook');
  assert.deepEqual(
    nb.calls.map((c: { cell: number; line: number; column: number; name: string }) => [c.cell, c.line, c.column, c.name]),
    [[3, 2, 11, 'monai.losses.DiceCELoss'], [5, 2, 12, 'torch.nn.functional.cross_entropy'], [7, 2, 7, 'monai.losses.DiceCELoss']],
  );
  assert.deepEqual(nb.calls[0].postHoc, [{ cell: 5, line: 1, column: 1, target: 'loss_fn.cross_entropy.label_smoothing', value: 0.1, valueText: '0.1', effective: true }]);
  assert.deepEqual(nb.calls[0].numClasses, { value: 14, name: 'out_channels', line: 1, column: 58, cell: 3 });
  assert.deepEqual(
    nb.diagnostics.map((d: { cell: number; line: number; column: number; severity: string; code: string; fix: unknown }) => [d.cell, d.line, d.column, d.severity, d.code, d.fix !== null]),
    [[5, 1, 1, 'information', 'li-posthoc-eps', false], [7, 2, 46, 'warning', 'li-ignore-index-dicece', false], [7, 3, 1, 'information', 'li-posthoc-eps', true]],
  );
  assert.ok(broken.syntaxErrors >= 4);
  assert.deepEqual(broken.diagnostics.map((d: { code: string }) => d.code), ['li-eps-range', 'li-eps-unsupported']);
});

test('bad usage and unreadable files: exit 2 with one line on stderr', () => {
  const cases: [string[], RegExp][] = [
    [[], /^loss-inspect: check: no files given/],
    [['--frobnicate', fx('aliases.py')], /^loss-inspect: check: unknown option '--frobnicate'/],
    [[fx('missing.py')], /^loss-inspect: check: cannot read test\/fixtures\/python\/missing\.py: no such file\n$/],
    [[fixtures], /^loss-inspect: check: test\/fixtures\/python: is a directory, not a regular file: refusing to read it\n$/],
    [[fx('broken.ipynb')], /^loss-inspect: test\/fixtures\/python\/broken\.ipynb: not a notebook: invalid JSON/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  }
});

test('--help prints the usage and exits 0; `--` ends the options', () => {
  const r = cli('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: loss-inspect check <file\.py\|file\.ipynb>\.\.\. \[--json\]/);
  const dashed = cli('--', fx('num_classes.py'));
  assert.equal(dashed.code, 0);
  assert.match(dashed.stdout, /3 loss calls, 0 errors/);
});
