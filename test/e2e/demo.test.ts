/**
 * The demo workspace the end-to-end scenarios and `npm run demo:vscode` use: small, complete, and with a
 * hostile checkpoint that really is hostile (so scenario 5 proves something).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { repoRoot } from './helpers/scenario';

const demo = join(repoRoot, 'demo');

test('the demo workspace is complete and under 300 KB', () => {
  const files = (readdirSync(demo, { recursive: true }) as string[]).map(String).filter((f) => statSync(join(demo, f)).isFile());
  for (const f of [
    'data/logits.npy',
    'data/labels.npy',
    'data/labels.nii.gz',
    'data/outputs.pt',
    'data/batch2d.safetensors',
    'data/hostile.pt',
    'data/classes.json',
    'train.py',
    'notebook.ipynb',
    'make-demo.py',
    '.vscode/settings.json',
  ]) {
    assert.ok(files.includes(f), `demo/${f} is missing`);
  }
  const total = files.reduce((n, f) => n + statSync(join(demo, f)).size, 0);
  assert.ok(total < 300 * 1024, `demo/ holds ${total} bytes`);
});

test('train.py and the notebook configure the losses the CodeLens scenario relies on', () => {
  const py = readFileSync(join(demo, 'train.py'), 'utf8');
  assert.match(py, /DiceCELoss\(to_onehot_y=True, softmax=True, label_smoothing=0\.1\)/);
  assert.match(py, /nn\.CrossEntropyLoss\(label_smoothing=0\.05\)/);
  assert.match(py, /^criterion\.cross_entropy\.label_smoothing = 0\.1$/m);
  const nb = JSON.parse(readFileSync(join(demo, 'notebook.ipynb'), 'utf8')) as { cells: { cell_type: string; source: string[] }[] };
  const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join('')).join('\n');
  assert.match(code, /DiceCELoss\(/);
  assert.match(code, /label_smoothing=0\.1/);
  assert.match(code, /nn\.CrossEntropyLoss\(label_smoothing=/);
  assert.match(code, /\.cross_entropy\.label_smoothing = 0\.1/);
});

test('hostile.pt is a zip-format checkpoint whose pickle calls posix.system on the marker path', () => {
  const zip = unzipSync(new Uint8Array(readFileSync(join(demo, 'data', 'hostile.pt'))));
  const pklName = Object.keys(zip).find((n) => n.endsWith('/data.pkl'));
  assert.ok(pklName, `no data.pkl among ${Object.keys(zip).join(', ')}`);
  const pkl = Buffer.from(zip[pklName]!).toString('latin1');
  assert.ok(pkl.includes('cposix\nsystem\n'), 'no GLOBAL posix system');
  // GLOBAL posix system, [BINPUT], the command string, [BINPUT], TUPLE1, [BINPUT], REDUCE: system(command).
  assert.match(pkl, /cposix\nsystem\n(q[\s\S])?X[\s\S]{4}touch \/tmp\/loss-inspector-demo-PWNED(q[\s\S])?\x85(q[\s\S])?R/, 'no system(touch marker) call');
});
