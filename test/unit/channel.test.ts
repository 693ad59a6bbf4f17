// The id-matched request channel (src/protocol/channel.ts) that every asynchronous boundary uses: many
// requests in flight, replies out of order, handlers that throw, cancellation, timeouts, close/dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChannelCancelledError, ChannelClosedError, ChannelTimeoutError, RequestChannel, RequestServer,
  type CallerMessage, type ServerMessage,
} from '../../src/protocol/channel';

type Methods = {
  echo: { params: { value: number; delayMs: number }; result: { value: number } };
  fail: { params: { message: string }; result: never };
  slow: { params: { ms: number }; result: { stoppedEarly: boolean } };
};

/** A caller and a server joined by asynchronous "posts" (each message a separate macrotask, like postMessage). */
function pair(handlers: ConstructorParameters<typeof RequestServer<Methods, string>>[0]) {
  const toServer: CallerMessage<Methods>[] = [];
  const toCaller: ServerMessage<Methods, string>[] = [];
  const errors: string[] = [];
  let server!: RequestServer<Methods, string>;
  const caller = new RequestChannel<Methods, string>({
    send: (m) => {
      toServer.push(m);
      setTimeout(() => void server.receive(m), 0);
    },
    toError: (e, method) => new Error(`${method}: ${e}`),
  });
  server = new RequestServer<Methods, string>(handlers, {
    send: (m) => {
      toCaller.push(m);
      setTimeout(() => caller.receive(m), 0);
    },
    toError: (e) => (e instanceof Error ? e.message : String(e)),
    onError: (method, e) => errors.push(`${method}: ${e instanceof Error ? e.message : String(e)}`),
  });
  return { caller, server, toServer, toCaller, errors };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('stopped'));
    });
  });

const echo = async (p: { value: number; delayMs: number }) => {
  await sleep(p.delayMs);
  return { value: p.value };
};

test('200 requests in flight, answered in reverse order, each get their own result', async () => {
  const { caller, toCaller } = pair({ echo });
  const n = 200;
  // Later requests answer first: delays fall as the index grows.
  const jobs = Array.from({ length: n }, (_, i) => caller.request('echo', { value: i * 3 + 1, delayMs: Math.floor((n - i) / 10) }));
  assert.equal(caller.pendingCount, n);
  const got = await Promise.all(jobs);
  got.forEach((r, i) => assert.equal(r.value, i * 3 + 1, `request ${i}`));
  assert.equal(caller.pendingCount, 0);
  const ids = toCaller.map((m) => m.id);
  assert.notDeepEqual(ids, [...ids].sort((a, b) => a - b), 'the replies did arrive out of order');
});

test('replies are matched by id, not by arrival: a scrambled batch of replies settles each request with its own', async () => {
  const sent: CallerMessage<Methods>[] = [];
  const caller = new RequestChannel<Methods, string>({ send: (m) => sent.push(m), toError: (e) => new Error(e) });
  const jobs = [10, 20, 30, 40].map((v) => caller.request('echo', { value: v, delayMs: 0 }));
  const reqs = sent.filter((m) => m.type === 'request') as { id: number; params: { value: number } }[];
  for (const r of [reqs[2]!, reqs[0]!, reqs[3]!, reqs[1]!]) caller.receive({ type: 'response', id: r.id, ok: true, result: { value: r.params.value * 2 } });
  assert.deepEqual((await Promise.all(jobs)).map((r) => r.value), [20, 40, 60, 80]);
  // A late duplicate or an unknown id is ignored, and says so.
  assert.equal(caller.receive({ type: 'response', id: reqs[0]!.id, ok: true, result: { value: -1 } }), false);
  assert.equal(caller.receive({ type: 'response', id: 999, ok: true, result: { value: -1 } }), false);
  assert.equal(caller.receive({ type: 'init' }), false);
});

test('a throwing handler, a rejecting one, a non-Error throw and an unknown method all get replies', async () => {
  const { caller, errors } = pair({
    echo,
    fail: (p) => {
      if (p.message === 'sync') throw new Error('sync failure');
      if (p.message === 'string') throw 'plain string';
      return Promise.reject(new RangeError('async failure'));
    },
  });
  await assert.rejects(caller.request('fail', { message: 'sync' }), /fail: sync failure/);
  await assert.rejects(caller.request('fail', { message: 'async' }), /fail: async failure/);
  await assert.rejects(caller.request('fail', { message: 'string' }), /fail: plain string/);
  await assert.rejects(caller.request('slow', { ms: 1 }), /slow: request "slow" is not supported here/);
  // The channel still works after failures, and the server reported each one.
  assert.equal((await caller.request('echo', { value: 7, delayMs: 0 })).value, 7);
  assert.equal(errors.length, 4);
  assert.equal(caller.pendingCount, 0);
});

test('a malformed request id is answered, not dropped', async () => {
  const replies: ServerMessage<Methods, string>[] = [];
  const server = new RequestServer<Methods, string>({ echo }, { send: (m) => replies.push(m), toError: (e) => String(e instanceof Error ? e.message : e) });
  await server.receive({ type: 'request', id: 1.5, method: 'echo', params: { value: 1, delayMs: 0 } });
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.type === 'response' && !replies[0]!.ok && replies[0]!.error, 'malformed request id 1.5');
  assert.equal(server.receive({ type: 'init' }), undefined);
});

test('cancelling one request rejects it at once, stops its handler, and leaves the others running', async () => {
  let stopped = 0;
  const { caller, server, toServer } = pair({
    echo,
    slow: async (p, { signal }) => {
      try {
        await sleep(p.ms, signal);
        return { stoppedEarly: false };
      } catch {
        stopped++;
        throw new Error('stopped');
      }
    },
  });
  const ac = new AbortController();
  const victim = caller.request('slow', { ms: 5_000 }, { signal: ac.signal });
  const others = [1, 2, 3].map((v) => caller.request('echo', { value: v, delayMs: 20 }));
  const beside = caller.request('slow', { ms: 30 });
  await sleep(5);
  assert.equal(server.runningCount, 5);
  const t0 = Date.now();
  ac.abort();
  await assert.rejects(victim, (e: unknown) => e instanceof ChannelCancelledError && /slow was cancelled/.test(e.message));
  assert.ok(Date.now() - t0 < 1000, 'the caller does not wait for the handler');
  assert.deepEqual((await Promise.all(others)).map((r) => r.value), [1, 2, 3]);
  assert.deepEqual(await beside, { stoppedEarly: false });
  assert.equal(stopped, 1, 'the cancelled handler saw its signal abort');
  assert.ok(toServer.some((m) => m.type === 'cancel'));
  // Already aborted: rejects without sending anything.
  const before = toServer.length;
  await assert.rejects(caller.request('echo', { value: 1, delayMs: 0 }, { signal: AbortSignal.abort() }), ChannelCancelledError);
  assert.equal(toServer.length, before);
});

test('a timeout rejects the request and cancels it on the other side', async () => {
  let aborted = false;
  const { caller } = pair({
    slow: async (p, { signal }) => {
      signal.addEventListener('abort', () => (aborted = true));
      await sleep(p.ms);
      return { stoppedEarly: signal.aborted };
    },
  });
  await assert.rejects(caller.request('slow', { ms: 200 }, { timeoutMs: 20 }), (e: unknown) => e instanceof ChannelTimeoutError);
  await sleep(40);
  assert.ok(aborted);
});

test('progress reaches only its own request', async () => {
  const { caller } = pair({
    slow: async (p, { progress }) => {
      progress(`step of ${p.ms}`);
      await sleep(p.ms);
      return { stoppedEarly: false };
    },
  });
  const a: string[] = [];
  const b: string[] = [];
  await Promise.all([caller.request('slow', { ms: 5 }, { onProgress: (m) => a.push(m) }), caller.request('slow', { ms: 6 }, { onProgress: (m) => b.push(m) })]);
  assert.deepEqual(a, ['step of 5']);
  assert.deepEqual(b, ['step of 6']);
});

test('close rejects every pending request and every later one; server dispose aborts running handlers', async () => {
  const { caller, server } = pair({ echo, slow: async (p, { signal }) => (await sleep(p.ms, signal).then(() => false, () => true), { stoppedEarly: signal.aborted }) });
  const pending = [caller.request('echo', { value: 1, delayMs: 50 }), caller.request('slow', { ms: 50 })];
  caller.close(new ChannelClosedError('the worker went away'));
  for (const p of pending) await assert.rejects(p, /the worker went away/);
  await assert.rejects(caller.request('echo', { value: 2, delayMs: 0 }), ChannelClosedError);
  assert.equal(caller.pendingCount, 0);

  const next = pair({ slow: async (p, { signal }) => (await sleep(p.ms, signal).catch(() => undefined), { stoppedEarly: signal.aborted }) });
  const job = next.caller.request('slow', { ms: 5_000 });
  await sleep(5);
  next.server.dispose();
  assert.deepEqual(await job, { stoppedEarly: true }, 'a disposed server still answers');
  server.dispose();
});

test('a send that throws rejects that request only', async () => {
  let n = 0;
  const caller = new RequestChannel<Methods, string>({
    send: (m) => {
      if (m.type === 'request' && ++n === 2) throw new Error('could not clone the parameters');
    },
    toError: (e) => new Error(e),
  });
  const a = caller.request('echo', { value: 1, delayMs: 0 });
  await assert.rejects(caller.request('echo', { value: 2, delayMs: 0 }), /could not clone/);
  assert.equal(caller.pendingCount, 1);
  caller.close();
  await assert.rejects(a, ChannelClosedError);
});
