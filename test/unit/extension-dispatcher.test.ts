// The request dispatcher: every request gets exactly one response with ok or error — also when the handler
// throws, rejects, is missing, or the post itself fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestDispatcher, type RequestHandlers } from '../../src/extension/requestDispatcher';
import { oneLine } from '../../src/protocol/errorLine';
import { isWebviewToHost, type RequestMap, type Response } from '../../src/protocol/messages';
import { Disposable, toDisposable } from '../../src/extension/dispose';

function harness(handlers: Partial<RequestHandlers<RequestMap>>) {
  const posted: Response[] = [];
  const errors: string[] = [];
  const d = new RequestDispatcher<RequestMap>(handlers, (m) => void posted.push(m as Response), (method, e) => errors.push(`${method}: ${oneLine(e)}`));
  return { d, posted, errors };
}

test('a successful handler replies ok with its result', async () => {
  const { d, posted, errors } = harness({ copy: async (p) => (assert.equal(p.text, 'x'), {}) });
  await d.dispatch({ type: 'request', id: 7, method: 'copy', params: { text: 'x' } });
  assert.deepEqual(posted, [{ type: 'response', id: 7, ok: true, result: {} }]);
  assert.deepEqual(errors, []);
});

test('a throwing handler replies ok:false with its one-line message', async () => {
  const { d, posted, errors } = harness({
    slice: () => {
      throw new Error('slice: batch item 5 is outside [0, 2)\n    at somewhere');
    },
  });
  await d.dispatch({ type: 'request', id: 1, method: 'slice', params: { batch: 5, axis: 0, index: 0, mode: 'hard' } });
  assert.deepEqual(posted, [{ type: 'response', id: 1, ok: false, error: 'slice: batch item 5 is outside [0, 2) at somewhere' }]);
  assert.equal(errors.length, 1);
});

test('a rejecting handler, a non-Error throw and a missing method all get replies', async () => {
  const { d, posted } = harness({
    recompute: async () => Promise.reject(new RangeError('option labelSmoothing: out of range')),
    save: () => {
      throw { code: 42 };
    },
  });
  await d.dispatch({ type: 'request', id: 1, method: 'recompute', params: { options: {} } });
  await d.dispatch({ type: 'request', id: 2, method: 'save', params: {} });
  await d.dispatch({ type: 'request', id: 3, method: 'heatmap', params: {} });
  await d.dispatch({ type: 'request', id: 4, method: 'constructor', params: {} });
  assert.deepEqual(posted.map((r) => [r.id, r.ok]), [[1, false], [2, false], [3, false], [4, false]]);
  assert.equal((posted[0] as { error: string }).error, 'option labelSmoothing: out of range');
  assert.equal((posted[1] as { error: string }).error, '{"code":42}');
  assert.match((posted[2] as { error: string }).error, /"heatmap" is not supported by this view/);
  assert.match((posted[3] as { error: string }).error, /"constructor" is not supported/);
});

test('concurrent requests each get their own reply, in completion order', async () => {
  const { d, posted } = harness({
    copy: async (p) => {
      await new Promise((r) => setTimeout(r, p.text === 'slow' ? 30 : 1));
      return {};
    },
  });
  await Promise.all([
    d.dispatch({ type: 'request', id: 10, method: 'copy', params: { text: 'slow' } }),
    d.dispatch({ type: 'request', id: 11, method: 'copy', params: { text: 'fast' } }),
  ]);
  assert.deepEqual(posted.map((r) => r.id), [11, 10]);
});

test('a cancel aborts the signal of that request only; the cancelled request is still answered', async () => {
  const seen: string[] = [];
  const { d, posted, errors } = harness({
    heatmap: async (p, { signal }) => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`${p.key}: ${signal.aborted ? 'aborted' : 'running'}`);
      if (signal.aborted) throw new Error('stopped');
      return { request: p, width: 0, height: 0, values: new Float32Array(0), min: 0, max: 0 };
    },
  });
  const a = d.dispatch({ type: 'request', id: 1, method: 'heatmap', params: { key: 'a', leading: [] } });
  const b = d.dispatch({ type: 'request', id: 2, method: 'heatmap', params: { key: 'b', leading: [] } });
  await d.dispatch({ type: 'cancel', id: 1 });
  await d.dispatch({ type: 'cancel', id: 99 }); // unknown: ignored
  await Promise.all([a, b]);
  assert.deepEqual(seen.sort(), ['a: aborted', 'b: running']);
  assert.deepEqual(posted.map((r) => [r.id, r.ok]).sort(), [[1, false], [2, true]]);
  assert.deepEqual(errors, [], 'a cancelled request is not reported as a failure');
});

test('dispose aborts every running request', async () => {
  let aborted = false;
  const { d, posted } = harness({ copy: (_p, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve({})))) });
  const job = d.dispatch({ type: 'request', id: 5, method: 'copy', params: { text: '' } });
  d.dispose();
  await job;
  assert.ok(aborted);
  assert.equal(posted.length, 1);
});

test('a failing post (webview gone) does not reject', async () => {
  const errors: string[] = [];
  const d = new RequestDispatcher<RequestMap>({ copy: () => ({}) }, () => Promise.reject(new Error('Webview is disposed')), (_m, e) => errors.push(oneLine(e)));
  await d.dispatch({ type: 'request', id: 1, method: 'copy', params: { text: '' } });
  assert.deepEqual(errors, ['Webview is disposed']);
});

test('message guard and Disposable base', () => {
  assert.ok(isWebviewToHost({ type: 'ready' }));
  assert.ok(isWebviewToHost({ type: 'request', id: 1, method: 'copy', params: {} }));
  assert.ok(!isWebviewToHost({ type: 'request', id: '1', method: 'copy' }));
  assert.ok(isWebviewToHost({ type: 'cancel', id: 3 }));
  assert.ok(!isWebviewToHost({ type: 'cancel' }));
  assert.ok(!isWebviewToHost(null));
  const order: string[] = [];
  class Owner extends Disposable {
    constructor() {
      super();
      this._register(toDisposable(() => order.push('a')));
      this._register(toDisposable(() => order.push('b')));
    }
    add(n: string) {
      return this._register(toDisposable(() => order.push(n)));
    }
  }
  const o = new Owner();
  o.dispose();
  o.dispose();
  assert.deepEqual(order, ['b', 'a']);
  o.add('late');
  assert.deepEqual(order, ['b', 'a', 'late']);
});

test('FileUsage with a grace period: a file taken up again in time is not released; one left alone is, once', async () => {
  const { FileUsage } = await import('../../src/extension/usage');
  // a manual clock: `tick(ms)` runs what falls due
  let now = 0;
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  const later = (fn: () => void, ms: number) => {
    const t = { at: now + ms, fn, live: true };
    timers.push(t);
    return () => void (t.live = false);
  };
  const t = {
    mock: {
      timers: {
        tick(ms: number) {
          now += ms;
          const due = timers.filter((x) => x.live && x.at <= now);
          timers = timers.filter((x) => !due.includes(x));
          for (const x of due) x.fn();
        },
      },
    },
  };
  const released: string[][] = [];
  const u = new FileUsage((uris) => released.push(uris), 1000, later);
  u.acquire(['l.npy', 't.npy']).dispose();
  assert.deepEqual(released, [], 'nothing released at once');
  t.mock.timers.tick(500);
  const again = u.acquire(['l.npy']);
  t.mock.timers.tick(1000);
  assert.deepEqual(released, [['t.npy']], 'the file taken up again stays');
  again.dispose();
  t.mock.timers.tick(999);
  assert.deepEqual(released, [['t.npy']]);
  t.mock.timers.tick(1);
  assert.deepEqual(released, [['t.npy'], ['l.npy']]);
  u.acquire(['x.npy']).dispose();
  u.dispose();
  assert.deepEqual(released, [['t.npy'], ['l.npy'], ['x.npy']], 'dispose releases what waits');
  t.mock.timers.tick(5000);
  assert.equal(released.length, 3, 'and nothing twice');
});

test('FileUsage releases a file when the last view using it closes', async () => {
  const { FileUsage } = await import('../../src/extension/usage');
  const released: string[][] = [];
  const u = new FileUsage((uris) => released.push(uris));
  const a = u.acquire(['l.npy', 't.npy']);
  const b = u.acquire(['l.npy', 'other.npy', 'other.npy']);
  a.dispose();
  assert.deepEqual(released, [['t.npy']]);
  assert.ok(u.isUsed('l.npy'));
  a.dispose();
  assert.equal(released.length, 1, 'disposing twice releases nothing more');
  b.dispose();
  assert.deepEqual(released, [['t.npy'], ['l.npy', 'other.npy']]);
  assert.ok(!u.isUsed('l.npy'));
});
