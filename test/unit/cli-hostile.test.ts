// The CLI at the edges of its inputs: non-regular files refused by kind without opening them, numeric flags
// decimal only, colliding keys reachable by their subscript keys, and stack-depth failures named with a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadTensor, readNamed } from '../../src/cli/loadTensor';
import { readTensorFileAt } from '../../src/node/tensorFileAt';

/** What `report` and `info` do with a path: read and parse it, any refusal one UsageError naming it. */
const readPath = (p: string) => readNamed(p, () => readTensorFileAt(p));
import { parseReportArgs, effectiveOptions } from '../../src/cli/report';
import { parseByteCount } from '../../src/cli/info';
import { checkFile } from '../../src/cli/check';
import { UsageError } from '../../src/cli/errors';
import { corpusDir } from './corpus-manifest';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n');

test('a FIFO, a character device and a directory are refused by kind, without blocking on open', { timeout: 10_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kinds-'));
  try {
    const fifo = path.join(dir, 'pipe.npy');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    // Opening a FIFO with no writer would block this process forever: the test's timeout would catch it.
    assert.throws(() => readPath(fifo), usage(/pipe\.npy: is a FIFO \(named pipe\), not a regular file/));
    assert.throws(() => checkFile(fifo), usage(/pipe\.npy: is a FIFO/));
    assert.throws(() => readPath('/dev/zero'), usage(/^\/dev\/zero: is a character device/));
    assert.throws(() => readPath(dir), usage(/is a directory, not a regular file/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('numeric flags take decimal numbers only', () => {
  const args = (...extra: string[]) => parseReportArgs(['a.npy', 'b.npy', ...extra]);
  assert.throws(() => args('--label-smoothing', '0x1'), usage(/--label-smoothing needs a decimal number, got '0x1'/));
  assert.throws(() => args('--label-smoothing=0b1'), usage(/decimal/));
  assert.throws(() => args('--ignore-index', 'Infinity'), usage(/decimal/));
  assert.throws(() => args('--weight', '1,0x2'), usage(/--weight needs decimal numbers/));
  assert.throws(() => args('--threads', '0x2'), usage(/--threads needs a decimal number/));
  assert.throws(() => parseByteCount('0x10'), usage(/--max-tensor-bytes/));
  const ok = args('--label-smoothing', '0.1', '--ignore-index', '-100', '--weight', '1,2.5e-1', '--loss', 'ce');
  assert.ok(ok !== 'help');
  const o = effectiveOptions(ok);
  assert.deepEqual([o.labelSmoothing, o.ignoreIndex, o.weight], [0.1, -100, [1, 0.25]]);
  assert.equal(parseByteCount('1e9'), 1e9);
});

test('colliding dotted keys: each tensor is reached by its subscript key; the dotted one says why it is gone', () => {
  const f = path.join(corpusDir, 'pt', 'dotted_key_collision.pt');
  assert.deepEqual([...loadTensor(`${f}#['a.b']`).tensor.toFloat64()], [1]);
  assert.deepEqual([...loadTensor(`${f}#['a']['b']`).tensor.toFloat64()], [2, 3]);
  assert.deepEqual([...loadTensor(`${f}#c`).tensor.toFloat64()], [4]);
  assert.throws(() => loadTensor(`${f}#a.b`), (e: unknown) => e instanceof Error && /key 'a\.b' names 2 values/.test(e.message));
});

test('a deeply nested --config and a deeply nested script are named in one line, not a bare stack overflow', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deep-'));
  try {
    const cfg = path.join(dir, 'deep.json');
    writeFileSync(cfg, `{"weight": ${'['.repeat(100000)}${']'.repeat(100000)}}`);
    const a = parseReportArgs(['a.npy', 'b.npy', '--config', cfg]);
    assert.ok(a !== 'help');
    assert.throws(() => effectiveOptions(a), (e: unknown) => e instanceof Error && e.message.startsWith(cfg + ': ') && !e.message.includes('\n'));
    const py = path.join(dir, 'deep.py');
    writeFileSync(py, `x = ${'f('.repeat(20000)}1${')'.repeat(20000)}\n`);
    try {
      checkFile(py);
    } catch (e) {
      assert.ok(e instanceof UsageError && e.message.includes(py) && !e.message.includes('\n'), String(e));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
