// The one spec syntax for a tensor in a file, `<file>[#<key>]`, shared by the CLI and the extension: which `#`
// splits (paths and keys holding `#`), percent-decoding of the key, no key vs the empty key, subscript keys, and
// the one key-picking rule — through the pure functions and through the CLI's loader on real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTensor, parseFolderSpec, parsePathSpec } from '../../src/cli/loadTensor';
import { Tensor } from '../../src/engine/tensor';
import { formatTensorRef, parseTensorRef, pickTensor, tensorRefLabel, type TensorRef } from '../../src/readers/tensorRef';
import { TensorFileError, type TensorFile } from '../../src/readers/types';
import { npyBytes, npzBytes } from './helpers/npyWrite';
import { corpusDir } from './helpers/paths';

const corpus = (f: string) => join(corpusDir, f);

test('URI strings: the first # splits (a # of the path is %23), the rest is the key, percent-decoded', () => {
  assert.deepEqual(parseTensorRef('file:///w/a.npz#logits'), { uri: 'file:///w/a.npz', key: 'logits' });
  assert.deepEqual(parseTensorRef('file:///w/run%231/a%23b.npz#x'), { uri: 'file:///w/run%231/a%23b.npz', key: 'x' });
  // further #s belong to the key, raw or encoded
  assert.deepEqual(parseTensorRef('file:///w/a.npz#x#y'), { uri: 'file:///w/a.npz', key: 'x#y' });
  assert.deepEqual(parseTensorRef('file:///w/a.npz#x%23y'), { uri: 'file:///w/a.npz', key: 'x#y' });
  // text that is not valid percent-encoding is taken as written
  assert.deepEqual(parseTensorRef('file:///w/a.npz#50%'), { uri: 'file:///w/a.npz', key: '50%' });
  assert.deepEqual(parseTensorRef('file:///w/a.npz#%E0%A4%A'), { uri: 'file:///w/a.npz', key: '%E0%A4%A' });
  assert.deepEqual(parseTensorRef('file:///w/a.npz#%C3%A9'), { uri: 'file:///w/a.npz', key: 'é' });
  // no key ≠ the empty key
  assert.deepEqual(parseTensorRef('file:///w/a.npy'), { uri: 'file:///w/a.npy', key: null });
  assert.deepEqual(parseTensorRef('file:///w/a.npy#'), { uri: 'file:///w/a.npy', key: '' });
});

test('format then parse gives the reference back, for every kind of key, after a URI and after a path', () => {
  const keys = ['logits', '', 'a#b', '#', '%', '50%25', 'model.out/0', "['a.b']", "['a']['b'][0]", "['x#y']", 'é ü', '\u{1F600}', 'a b?c&d=e', 'x\ud800%41'];
  for (const key of keys) {
    for (const uri of ['file:///w/run%231/a.npz', 'vscode-remote://ssh-remote+box/h/a.pt', '/w/a.npz', 'C:\\w\\a.npz', 'a.npz']) {
      const ref: TensorRef = { uri, key };
      const spec = formatTensorRef(ref);
      assert.deepEqual(parseTensorRef(spec), ref, `${uri} ${JSON.stringify(key)} → ${spec}`);
      if (!uri.includes(':/')) assert.deepEqual(parseTensorRef(spec, (p) => p === uri), ref, `${spec} with a file system`);
    }
  }
  assert.equal(formatTensorRef({ uri: 'file:///w/a.npz', key: null }), 'file:///w/a.npz');
  // a URI's key is a valid fragment; after a path only % is escaped, so keys read as the readers print them
  assert.equal(formatTensorRef({ uri: 'file:///w/a.pt', key: "['a.b']" }), "file:///w/a.pt#%5B'a.b'%5D");
  assert.equal(formatTensorRef({ uri: '/w/a.pt', key: "['a.b']" }), "/w/a.pt#['a.b']");
  assert.equal(formatTensorRef({ uri: '/w/a.pt', key: '50%' }), '/w/a.pt#50%25');
  assert.equal(formatTensorRef({ uri: '/w/a.pt', key: '' }), '/w/a.pt#');
});

test('paths: the first # whose text before it names the file splits; a spec naming a file has no key', () => {
  const files = new Set(['run#3/a#b.npy', 'pair.npz', 'x#y.npz', 'x']);
  const names = (p: string) => files.has(p);
  assert.deepEqual(parseTensorRef('run#3/a#b.npy', names), { uri: 'run#3/a#b.npy', key: null });
  assert.deepEqual(parseTensorRef('run#3/a#b.npy#', names), { uri: 'run#3/a#b.npy', key: '' });
  assert.deepEqual(parseTensorRef('run#3/a#b.npy#k#1', names), { uri: 'run#3/a#b.npy', key: 'k#1' });
  assert.deepEqual(parseTensorRef('pair.npz#a#b', names), { uri: 'pair.npz', key: 'a#b' });
  assert.deepEqual(parseTensorRef("pair.npz#['a#b']", names), { uri: 'pair.npz', key: "['a#b']" });
  // the spec itself is a file: no key, even though a prefix is a file too
  assert.deepEqual(parseTensorRef('x#y.npz', names), { uri: 'x#y.npz', key: null });
  // nothing names a file: the whole spec is the path (the read then says "no such file")
  assert.deepEqual(parseTensorRef('missing.npz#k', names), { uri: 'missing.npz#k', key: null });
  // an empty text before a # never names a file
  assert.deepEqual(parseTensorRef('#k', () => true), { uri: '#k', key: null });
  // without a file system (a URI string), the first # splits
  assert.deepEqual(parseTensorRef('run#3/a#b.npy#k'), { uri: 'run', key: '3/a#b.npy#k' });
});

test('labels name the file and the key as written, nothing escaped', () => {
  assert.equal(tensorRefLabel({ uri: 'file:///w/my%20preds.pt', key: 'logits' }), 'my preds.pt#logits');
  assert.equal(tensorRefLabel({ uri: 'file:///w/a%23b.npz', key: 'x#y' }), 'a#b.npz#x#y');
  assert.equal(tensorRefLabel({ uri: '/w/run#1/a.npy', key: '' }), 'a.npy');
  assert.equal(tensorRefLabel({ uri: 'C:\\w\\a.pt', key: null }), 'a.pt');
  assert.equal(tensorRefLabel({ uri: '/w/100%25.pt', key: null }), '100%25.pt');
});

test('pickTensor: no key takes the only tensor, else lists the keys; a key must exist; the empty key is a key', () => {
  const t = (v: number) => new Tensor('float32', [1], new Float32Array([v]));
  const file = (keys: string[], warnings?: string[]): TensorFile => ({
    format: 'pt', tensors: keys.map((key, i) => ({ key, tensor: t(i) })), nonTensors: [], info: {}, ...(warnings ? { warnings } : {}),
  });
  assert.equal(pickTensor(file(['only']), 'a.pt', null).key, 'only');
  assert.equal(pickTensor(file(['', 'b']), 'a.pt', '').tensor.toFloat64()[0], 0);
  const err = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof TensorFileError && e.kind === 'unknown-key' && re.test(e.message));
  err(() => pickTensor(file(['a', 'b']), 'dir/a.pt', null), /^dir\/a\.pt: holds 2 tensors: choose one with dir\/a\.pt#KEY; keys: "a", "b"$/);
  err(() => pickTensor(file([]), 'a.pt', null), /^a\.pt: holds no tensors$/);
  err(() => pickTensor(file([]), 'a.pt', 'x'), /no tensor with key "x"; the file holds no tensors/);
  err(
    () => pickTensor(file(["['a.b']", "['a']['b']"], ["key 'a.b' names 2 values"]), 'a.pt', 'a.b'),
    /no tensor with key "a\.b"; available keys: "\['a\.b'\]", "\['a'\]\['b'\]" \(key 'a\.b' names 2 values\)$/,
  );
  const many = Array.from({ length: 25 }, (_, i) => `k${i}`);
  err(() => pickTensor(file(many), 'a.pt', null), /"k19", … \(\+5 more\)$/);
});

test('the CLI reaches every key: # and % in folder, file and key names, subscript keys, the empty key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-ref-'));
  try {
    const folder = join(dir, 'run#3');
    mkdirSync(folder);
    const npz = join(folder, 'pair#1.npz');
    // npz member `<key>.npy` is key `<key>`; the tensors are told apart by their length
    const withShape = (n: number) => npyBytes('float32', [n], new Float32Array(n));
    writeFileSync(npz, npzBytes({ 'a#b': withShape(1), '50%': withShape(2), '%41': withShape(3), 'x/y': withShape(4) }));
    const shapeOf = (spec: string | TensorRef) => [...loadTensor(spec).tensor.shape];
    assert.deepEqual(shapeOf(`${npz}#a#b`), [1]);
    assert.deepEqual(shapeOf(`${npz}#50%`), [2]);
    assert.deepEqual(shapeOf(`${npz}#50%25`), [2]);
    assert.deepEqual(shapeOf(`${npz}#%2541`), [3]);
    assert.deepEqual(shapeOf(`${npz}#x/y`), [4]);
    for (const key of ['a#b', '50%', '%41', 'x/y']) assert.equal(loadTensor(formatTensorRef({ uri: npz, key })).key, key);
    assert.deepEqual(shapeOf({ uri: npz, key: '%41' }), [3]);

    const single = join(folder, 'a#b.npy');
    copyFileSync(corpus('npy/dtype_float32.npy'), single);
    assert.equal(loadTensor(`${single}#`).key, '');
    assert.equal(loadTensor(single).key, '');
    assert.deepEqual(parsePathSpec(`${single}#k#1`), { uri: single, key: 'k#1' });

    const pt = join(folder, 'collide.pt');
    copyFileSync(corpus('pt/dotted_key_collision.pt'), pt);
    assert.deepEqual([...loadTensor(`${pt}#['a.b']`).tensor.toFloat64()], [1]);
    assert.deepEqual([...loadTensor(formatTensorRef({ uri: pt, key: "['a']['b']" })).tensor.toFloat64()], [2, 3]);

    // dataset's folder#key: the same rule, where the text before the # names a folder
    assert.deepEqual(parseFolderSpec(`${folder}#probs#2`), { uri: folder, key: 'probs#2' });
    assert.deepEqual(parseFolderSpec(folder), { uri: folder, key: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
