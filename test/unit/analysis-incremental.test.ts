// The incremental analyzer (what the editor uses on every keystroke) must give exactly what a fresh
// analysis gives: random edit sequences over the fixture corpus, compared version by version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePython, IncrementalPythonAnalyzer } from '../../src/analysis/index';
import { parseIncremental, parsePython } from '../../src/analysis/pyTree';
import { rng } from './helpers/random';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'python');


const SNIPPETS = ['label_smoothing=0.3', ', ', ')', '(', '\n', '    ', 'nn.CrossEntropyLoss(', '#', '"', 'x = 1\n', 'import torch.nn as nn\n', '.cross_entropy', '0.'];

function edit(src: string, r: () => number): string {
  const at = Math.floor(r() * (src.length + 1));
  if (r() < 0.4 && src.length > 0) {
    const len = 1 + Math.floor(r() * 12);
    return src.slice(0, at) + src.slice(Math.min(src.length, at + len));
  }
  return src.slice(0, at) + SNIPPETS[Math.floor(r() * SNIPPETS.length)] + src.slice(at);
}

test('incremental analysis equals a fresh analysis after every edit', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.py'));
  assert.ok(files.length >= 8);
  let versions = 0;
  for (const [k, f] of files.entries()) {
    const r = rng(1000 + k);
    let src = readFileSync(path.join(fixtures, f), 'utf8');
    const analyzer = new IncrementalPythonAnalyzer();
    for (let step = 0; step < 40; step++) {
      assert.deepStrictEqual(analyzer.analyze(src), analyzePython(src), `${f}, edit ${step}`);
      versions++;
      src = edit(src, r);
    }
  }
  assert.equal(versions, files.length * 40);
});

test('incremental parse gives the same tree as a fresh parse', () => {
  const r = rng(7);
  let src = readFileSync(path.join(fixtures, 'multiline_nested.py'), 'utf8');
  let previous = { source: src, tree: parsePython(src) };
  for (let step = 0; step < 60; step++) {
    src = edit(src, r);
    const tree = parseIncremental(src, previous);
    assert.equal(tree.toString(), parsePython(src).toString(), `edit ${step}`);
    previous = { source: src, tree };
  }
  assert.equal(parseIncremental(src, previous), previous.tree, 'an unchanged text reuses the tree');
});
