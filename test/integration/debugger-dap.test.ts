// Reading tensors out of a real paused debugpy session over DAP (src/extension/debugger/transfer.ts): the
// bytes that come back are the tensors the script saved itself, through the shared folder and through
// base64 chunks; the frame's tensors are listed with dtype and shape; bad cases fail with a message naming
// the expression and leave no temporary file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorFile } from '../../src/readers/index';
import { evaluatesPython, fetchTensors, listFrameTensors, SessionEndedError, type DapSession, type FetchOptions } from '../../src/extension/debugger/transfer';
import { launchDebuggee, type Debuggee } from './helpers/debuggee';

function tensorOf(bytes: Uint8Array, name: string) {
  const f = readTensorFile(bytes, name);
  assert.equal(f.tensors.length, 1);
  return f.tensors[0]!.tensor;
}

/** The fetched .npy holds exactly the tensor the script saved (dtype, shape, every value). */
function assertSameTensor(fetched: Uint8Array, savedPath: string): void {
  const a = tensorOf(fetched, 'fetched.npy');
  const b = tensorOf(new Uint8Array(readFileSync(savedPath)), savedPath);
  assert.equal(a.dtype, b.dtype);
  assert.deepEqual([...a.shape], [...b.shape]);
  assert.deepEqual(Array.from(a.data as ArrayLike<number | bigint>), Array.from(b.data as ArrayLike<number | bigint>));
}

describe('debugger transfer against debugpy', () => {
  let d: Debuggee;
  let temp: string;
  const session: DapSession = { customRequest: (c, a) => d.client.request(c, a) };
  const opts = (extra: Partial<FetchOptions> = {}): FetchOptions => ({
    frameId: d.frameId,
    maxBytes: 64 * 1024 * 1024,
    limitName: 'lossInspector.debugger.maxTensorMB',
    tempRoot: temp,
    isEnded: () => d.client.ended,
    ...extra,
  });
  const leftovers = () => readdirSync(temp);

  before(async () => {
    temp = mkdtempSync(join(tmpdir(), 'li-debug-temp-'));
    d = await launchDebuggee();
  });
  after(async () => {
    await d?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  test('the session evaluates Python', async () => {
    assert.equal(await evaluatesPython(session, d.frameId), true);
  });

  test('lists the frame’s tensors and arrays, locals first, with dtype and shape', async () => {
    const t = await listFrameTensors(session, d.frameId);
    const byName = Object.fromEntries(t.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(byName).sort(), ['logits', 'logits_bf16', 'probs', 'target']);
    assert.ok(t.every((x) => x.scope === 'locals'));
    assert.deepEqual(byName.logits!.shape, [2, 3, 4, 5]);
    assert.equal(byName.logits!.dtype, 'float32');
    assert.equal(byName.logits!.kind, 'torch');
    assert.equal(byName.target!.dtype, 'int64');
    assert.deepEqual(byName.target!.shape, [2, 4, 5]);
    assert.equal(byName.logits_bf16!.dtype, 'bfloat16');
    assert.equal(byName.logits_bf16!.saveDtype, 'float32');
    assert.equal(byName.probs!.kind, 'numpy');
    assert.equal(byName.probs!.bytes, 2 * 3 * 4 * 5 * 4);
  });

  test('through the shared folder: the bytes are the tensors the script saved (bfloat16 as float32)', async () => {
    const got = await fetchTensors(session, ['logits', 'target', 'logits_bf16'], opts());
    assert.deepEqual(got.map((g) => g.mode), ['file', 'file', 'file']);
    assertSameTensor(got[0]!.bytes, join(d.outDir, 'logits_0.npy'));
    assertSameTensor(got[1]!.bytes, join(d.outDir, 'target_0.npy'));
    assertSameTensor(got[2]!.bytes, join(d.outDir, 'logits_bf16_0.npy'));
    assert.deepEqual(leftovers(), []);
  });

  test('through base64 chunks (debuggee on another machine): the same bytes', async () => {
    const file = await fetchTensors(session, ['logits', 'target'], opts());
    const chunks = await fetchTensors(session, ['logits', 'target'], opts({ mode: 'chunks', chunkBytes: 100 }));
    assert.deepEqual(chunks.map((g) => g.mode), ['chunks', 'chunks']);
    assert.ok(Buffer.from(chunks[0]!.bytes).equals(file[0]!.bytes));
    assert.ok(Buffer.from(chunks[1]!.bytes).equals(file[1]!.bytes));
    assertSameTensor(chunks[0]!.bytes, join(d.outDir, 'logits_0.npy'));
    // The debuggee's buffers were dropped.
    const kept = await d.client.request<{ result: string }>('evaluate', {
      expression: "len(__import__('sys').modules['_loss_inspector_debug_v1'].buffers)", frameId: d.frameId, context: 'repl',
    });
    assert.equal(kept.result, '0');
  });

  test('an expression of any kind: numpy arrays as is, slices of tensors', async () => {
    const [probs, slice] = await fetchTensors(session, ['probs', 'logits[:, 1:]'], opts());
    const p = tensorOf(probs!.bytes, 'p.npy');
    assert.equal(p.dtype, 'float32');
    assert.deepEqual([...p.shape], [2, 3, 4, 5]);
    const s = tensorOf(slice!.bytes, 's.npy');
    assert.deepEqual([...s.shape], [2, 2, 4, 5]);
  });

  test('not a tensor: the message names the expression and its type; nothing left behind', async () => {
    await assert.rejects(fetchTensors(session, ['logits', 'labels_list'], opts()), /`labels_list` is a list, not a torch tensor or numpy array/);
    await assert.rejects(fetchTensors(session, ['shape'], opts({ mode: 'chunks' })), /`shape` is a tuple, not a torch tensor/);
    await assert.rejects(fetchTensors(session, ['no_such_name'], opts()), /`no_such_name`: NameError: name 'no_such_name' is not defined/);
    assert.deepEqual(leftovers(), []);
  });

  test('over the size limit: refused before anything is written', async () => {
    const limit = 2 * 3 * 4 * 5 * 4 - 1;
    await assert.rejects(
      fetchTensors(session, ['logits'], opts({ maxBytes: limit })),
      /`logits` is 480 bytes \(float32, 2×3×4×5\), over lossInspector\.debugger\.maxTensorMB \(479 bytes\): nothing was written/,
    );
    await assert.rejects(fetchTensors(session, ['logits'], opts({ maxBytes: limit, mode: 'chunks' })), /nothing was written/);
    assert.deepEqual(leftovers(), []);
  });

  test('the next stop gives the next step’s tensors', async () => {
    await d.next();
    const [l] = await fetchTensors(session, ['logits'], opts());
    assertSameTensor(l!.bytes, join(d.outDir, 'logits_1.npy'));
  });

  test('the session ends while reading: a clear message, no temporary file', async () => {
    let chunkCalls = 0;
    // Ends the session in the middle of the chunked transfer of `logits`.
    const ending: DapSession = {
      customRequest: async (c, a) => {
        const expr = String((a as { expression?: string })?.expression ?? '');
        if (c === 'evaluate' && expr.includes('.chunk(') && ++chunkCalls === 3) {
          await d.client.request('disconnect', { terminateDebuggee: true }).catch(() => undefined);
          d.client.ended = true;
        }
        return d.client.request(c, a);
      },
    };
    await assert.rejects(fetchTensors(ending, ['logits'], opts({ mode: 'chunks', chunkBytes: 64 })), (e: unknown) => {
      assert.ok(e instanceof SessionEndedError, String(e));
      assert.equal((e as Error).message, 'the debug session ended while reading `logits`');
      return true;
    });
    assert.deepEqual(leftovers(), []);
  });
});
