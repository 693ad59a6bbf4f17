// The debugger feature's pure parts: the helper's answers (base64 JSON in a repr'd string) and the expressions,
// the Python probe and session check, messages, and the ranking of a frame's tensors into logits/target pairs by
// the file-pair heuristics. The real debugpy round trip is in test/integration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partnersFor, proposeFramePairs, rankFrameLogits } from '../../src/extension/debugger/candidates';
import {
  decodeBase64, describeExpression, isPythonProbeResult, parseAnswer, PROBE_EXPRESSION, saveExpression, unquote, type DescribedTensor,
} from '../../src/extension/debugger/pythonHelper';
import {
  fetchTensors, isPlainName, pythonErrorLine, pythonSessionProblem, refusalMessage, scopeKind, SessionEndedError, type DapSession,
} from '../../src/extension/debugger/transfer';

const t = (name: string, dtype: string, shape: number[], scope: 'locals' | 'globals' = 'locals'): DescribedTensor => ({
  name, dtype, shape, scope, kind: 'torch', saveDtype: dtype, bytes: 0,
});

test('answers: base64 JSON inside the quotes of a repr, parsed without a Python grammar', () => {
  const obj = { ok: true, info: { dtype: 'float32', shape: [2, 3], name: 'ünïcode' } };
  const b64 = Buffer.from(JSON.stringify(obj)).toString('base64');
  assert.deepEqual(parseAnswer(`'${b64}'`), obj);
  assert.deepEqual(parseAnswer(`"${b64}"\n`), obj);
  assert.throws(() => unquote("'abc\\n'"), /unexpected answer from the debugger/);
  assert.throws(() => unquote('<tensor>'), /unexpected answer from the debugger: <tensor>/);
  for (const n of [0, 1, 2, 3, 4, 5, 100, 1001]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
    assert.deepEqual(Buffer.from(decodeBase64(Buffer.from(bytes).toString('base64'))), Buffer.from(bytes), `n = ${n}`);
  }
});

test('the expressions run in a real Python: describe lists tensors/arrays only, save refuses non-tensors', () => {
  // Plain CPython with torch (Debian's python3-torch), evaluating the expressions the way an adapter does.
  const describe = describeExpression([{ scope: 'locals', name: 'x' }, { scope: 'locals', name: 'lst' }, { scope: 'globals', name: 'g' }]);
  const save = saveExpression('lst', null, 1000, 'tok');
  const script = [
    'import sys, torch, numpy',
    'def frame():',
    '    x = torch.zeros(2, 3, dtype=torch.bfloat16)',
    '    lst = [1, 2]',
    `    print(eval(sys.argv[1]))`,
    `    print(eval(sys.argv[2]))`,
    `    print(eval(sys.argv[3]))`,
    'g = numpy.ones((4,), dtype=numpy.uint8)',
    'frame()',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, describe, save, PROBE_EXPRESSION], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [d, s, probe] = r.stdout.trim().split('\n');
  const listed = parseAnswer<{ tensors: DescribedTensor[] }>(`'${d}'`).tensors;
  assert.deepEqual(
    listed.map((x) => [x.name, x.scope, x.dtype, x.saveDtype, x.shape, x.bytes]),
    [['x', 'locals', 'bfloat16', 'float32', [2, 3], 24], ['g', 'globals', 'uint8', 'uint8', [4], 4]],
  );
  assert.deepEqual(parseAnswer(`'${s}'`), { ok: false, reason: 'type', type: 'list' });
  assert.ok(isPythonProbeResult(`'${probe}'`), probe);
});

test('the probe tells Python from other debuggers', () => {
  assert.equal(isPythonProbeResult("'cpython|42'"), true);
  assert.equal(isPythonProbeResult('"pypy|42"'), true);
  assert.equal(isPythonProbeResult('42'), false);
  assert.equal(isPythonProbeResult('undefined'), false);
});

test('session check: a type that is not a Python debugger is refused by name; a listed one must pass the probe', async () => {
  const js: DapSession & { type: string; name: string } = {
    type: 'node', name: 'Launch app',
    customRequest: async () => {
      throw new Error('ReferenceError: __import__ is not defined');
    },
  };
  assert.match((await pythonSessionProblem(js, 1, [], 'lossInspector.debugger.debugTypes'))!, /“Launch app” is of type “node”, not a Python debugger \(“debugpy”, “python”; add a type to lossInspector\.debugger\.debugTypes/);
  assert.equal(await pythonSessionProblem(js, 1, ['node'], 'x'), 'the debug session “Launch app” (type “node”) does not evaluate Python expressions');
  const py = { ...js, type: 'my-py', customRequest: async () => ({ result: "'cpython|42'" }) };
  assert.equal(await pythonSessionProblem(py, 1, ['my-py'], 'x'), null);
  assert.equal(await pythonSessionProblem({ ...py, type: 'debugpy' }, 1, [], 'x'), null);
});

test('messages name the expression and the problem', () => {
  const info = { kind: 'torch' as const, dtype: 'bfloat16', saveDtype: 'float32', shape: [2, 4, 64, 64, 64], bytes: 2 * 4 * 64 ** 3 * 4 };
  assert.equal(refusalMessage('out["seg"]', { ok: false, reason: 'type', type: 'dict' }, 1, 'L'), '`out["seg"]` is a dict, not a torch tensor or numpy array');
  assert.equal(
    refusalMessage('logits', { ok: false, reason: 'size', info }, 4 * 1024 * 1024, 'lossInspector.debugger.maxTensorMB'),
    '`logits` is 8.0 MiB (float32, 2×4×64×64×64), over lossInspector.debugger.maxTensorMB (4.0 MiB): nothing was written',
  );
  // just over the default limit: the two sizes never read the same
  const big = { ...info, shape: [1, 4, 412, 412, 412], bytes: 4 * 412 ** 3 * 4 };
  assert.equal(
    refusalMessage('logits', { ok: false, reason: 'size', info: big }, 1024 * 1024 * 1024, 'lossInspector.debugger.maxTensorMB'),
    '`logits` is 1.04 GiB (float32, 1×4×412×412×412), over lossInspector.debugger.maxTensorMB (1.00 GiB): nothing was written',
  );
  // a byte over a byte-sized limit (the integration test's), and a size a few KiB over a MiB limit
  assert.match(refusalMessage('x', { ok: false, reason: 'size', info: { ...info, bytes: 480 } }, 479, 'L'), /is 480 bytes .* over L \(479 bytes\)/);
  assert.match(refusalMessage('x', { ok: false, reason: 'size', info: { ...info, bytes: 2 ** 20 + 5000 } }, 2 ** 20, 'L'), /is 1\.005 MiB .* over L \(1\.000 MiB\)/);
  assert.match(refusalMessage('z', { ok: false, reason: 'dtype', type: 'torch.Tensor', detail: 'a complex tensor (complex64)' }, 1, 'L'), /`z` is a complex tensor \(complex64\): Loss Inspector reads real and integer tensors only/);
  assert.equal(pythonErrorLine('Traceback (most recent call last):\n  File "<string>", line 1\nNameError: name \'x\' is not defined\n'), "NameError: name 'x' is not defined");
  assert.equal(scopeKind({ name: 'Locals', presentationHint: 'locals' }), 'locals');
  assert.equal(scopeKind({ name: 'Globals' }), 'globals');
  assert.equal(scopeKind({ name: 'Registers' }), null);
  assert.ok(isPlainName('logits') && !isPlainName('special variables') && !isPlainName('__name__') && !isPlainName('len()'));
});

test('fetch: a failure or the session ending leaves no temporary folder', async () => {
  const root = mkdtempSync(join(tmpdir(), 'li-debug-pure-'));
  try {
    let ended = false;
    const session: DapSession = {
      customRequest: async (_c, a) => {
        const e = String((a as { expression: string }).expression);
        if (e.includes('.can_read(')) return { result: `'${Buffer.from('{"ok": true}').toString('base64')}'` };
        ended = true;
        throw new Error('Debug adapter process has terminated unexpectedly');
      },
    };
    await assert.rejects(fetchTensors(session, ['logits', 'target'], { frameId: 1, maxBytes: 1e6, limitName: 'L', tempRoot: root, isEnded: () => ended }), (e: unknown) => {
      assert.ok(e instanceof SessionEndedError);
      assert.equal((e as Error).message, 'the debug session ended while reading `logits`');
      return true;
    });
    assert.deepEqual(readdirSync(root), []);
    // The "terminated" news may come a moment after the failed request: still told as the session ending.
    let late = false;
    const lateSession: DapSession = {
      customRequest: async (_c, a) => {
        const e = String((a as { expression: string }).expression);
        if (e.includes('.can_read(')) return { result: `'${Buffer.from('{"ok": false}').toString('base64')}'` };
        setTimeout(() => (late = true), 30);
        throw new Error('connection closed');
      },
    };
    await assert.rejects(fetchTensors(lateSession, ['target'], { frameId: 1, maxBytes: 1e6, limitName: 'L', tempRoot: root, isEnded: () => late }), SessionEndedError);
    // A plain evaluation error of a live session names the expression and Python's last line.
    const failing: DapSession = { customRequest: async () => Promise.reject(new Error("Traceback…\nTypeError: 'int' object is not subscriptable")) };
    await assert.rejects(
      fetchTensors(failing, ['x[0]'], { frameId: 1, maxBytes: 1e6, limitName: 'L', tempRoot: root, isEnded: () => false }),
      /^DebugReadError: `x\[0\]`: TypeError: 'int' object is not subscriptable$/,
    );
    assert.deepEqual(readdirSync(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ranking: the frame’s tensors paired like files (names, shapes, dtypes)', () => {
  const frame = [t('probs', 'float32', [2, 3, 4, 5]), t('target', 'int64', [2, 4, 5]), t('logits', 'float32', [2, 3, 4, 5]), t('weights', 'float32', [3], 'globals')];
  const pairs = proposeFramePairs(frame);
  assert.deepEqual([pairs[0]!.logits.id, pairs[0]!.target.id], ['logits', 'target']);
  assert.ok(pairs[0]!.reasons.includes('shapes fit'));
  assert.equal(rankFrameLogits(frame)[0]!.name, 'logits');
  assert.notEqual(rankFrameLogits(frame).at(-1)!.name, 'logits');
  // One chosen tensor: its role from its name, its partner ranked by fit.
  const forTarget = partnersFor(frame[1]!, frame);
  assert.equal(forTarget.chosenRole, 'target');
  assert.equal(forTarget.partners[0]!.name, 'logits');
  assert.ok(!forTarget.partners.some((p) => p.name === 'target'));
  const forLogits = partnersFor(frame[2]!, frame);
  assert.equal(forLogits.chosenRole, 'logits');
  assert.equal(forLogits.partners[0]!.name, 'target');
  // Names that say nothing: shapes and dtypes decide.
  const anon = [t('a', 'float32', [8, 4, 16]), t('b', 'int64', [8, 16]), t('c', 'float32', [7])];
  assert.equal(partnersFor(anon[1]!, anon).chosenRole, 'target');
  assert.equal(partnersFor(anon[1]!, anon).partners[0]!.name, 'a');
  assert.equal(partnersFor(anon[0]!, anon).partners[0]!.name, 'b');
});
