// The webview host base shared by the comparison panel and the tensor-file editor: the ready handshake, gated
// posting, log lines, requests and cancels through the id-matched channel, disposal — driven through a fake
// panel in plain Node. The type checks at the end hold each view to its own protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebviewHost, type WebviewPanelLike } from '../../src/extension/webviewHost';
import type { RequestHandlers } from '../../src/extension/requestDispatcher';
import type { ComparisonProtocol, TensorFileProtocol, TensorFileRequests, TensorFileState, ToWebview } from '../../src/protocol/messages';

class FakePanel implements WebviewPanelLike {
  readonly posted: unknown[] = [];
  private receiveFn: ((m: unknown) => unknown) | undefined;
  private disposeFn: (() => unknown) | undefined;
  readonly webview = {
    postMessage: async (m: unknown) => (this.posted.push(m), true),
    onDidReceiveMessage: (fn: (m: unknown) => unknown) => ((this.receiveFn = fn), { dispose: () => (this.receiveFn = undefined) }),
  };
  onDidDispose(fn: () => unknown) {
    this.disposeFn = fn;
    return { dispose: () => (this.disposeFn = undefined) };
  }
  send(m: unknown): void {
    this.receiveFn?.(m);
  }
  close(): void {
    this.disposeFn?.();
  }
}

const state: TensorFileState = { uri: 'file:///a.npy', fileName: 'a.npy', format: 'npy', bytes: 8, tensors: [], nonTensors: [], header: [] };

class TestHost extends WebviewHost<TensorFileProtocol> {
  readyCalls = 0;
  aborted: string[] = [];
  constructor(
    panel: FakePanel,
    readonly lines: string[],
  ) {
    super(panel, 'test view', { info: (l) => lines.push(`info ${l}`), warn: (l) => lines.push(`warn ${l}`), isQuiet: (e) => e instanceof Error && e.message === 'quiet' });
  }
  protected onReady(): void {
    this.readyCalls++;
    this.post({ type: 'init', view: 'tensorFile', state });
  }
  send(m: ToWebview<TensorFileProtocol>) {
    return this.post(m);
  }
  protected handlers(): RequestHandlers<TensorFileRequests> {
    return {
      heatmap: (request, { signal }) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => resolve({ request, width: 1, height: 1, values: new Float32Array([request.leading.length]), min: 0, max: 0 }), 30);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            this.aborted.push(request.key);
            reject(new Error('quiet'));
          });
        }),
      openAsText: () => ({}),
      compareWith: () => {
        throw new Error('no pair here');
      },
      copy: () => ({}),
      save: () => ({ saved: false }),
    };
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('posts wait for ready; every ready (a reloaded webview) gets the state again; nothing after dispose', async () => {
  const panel = new FakePanel();
  const host = new TestHost(panel, []);
  assert.equal(host.send({ type: 'busy', busy: true }), undefined, 'dropped before ready');
  assert.deepEqual(panel.posted, []);
  panel.send({ type: 'ready' });
  host.send({ type: 'busy', busy: false });
  panel.send({ type: 'ready' });
  assert.equal(host.readyCalls, 2);
  assert.deepEqual(
    panel.posted.map((m) => (m as { type: string }).type),
    ['init', 'busy', 'init'],
  );
  panel.close();
  assert.ok(host.isDisposed, 'closing the panel disposes the host');
  assert.equal(host.send({ type: 'busy', busy: true }), undefined);
  assert.equal(panel.posted.length, 3);
});

test('log lines and malformed messages go to the log, named by the view', () => {
  const panel = new FakePanel();
  const lines: string[] = [];
  new TestHost(panel, lines);
  panel.send({ type: 'log', level: 'info', message: 'hello' });
  panel.send({ type: 'log', level: 'error', message: 'boom' });
  panel.send({ type: 'request', id: 'x' });
  assert.deepEqual(lines.slice(0, 2), ['info test view: hello', 'warn test view: boom']);
  assert.match(lines[2]!, /^warn test view: ignored a malformed message/);
});

test('requests are answered by id, a failing one is logged, a method of another view is refused, cancel stops one', async () => {
  const panel = new FakePanel();
  const lines: string[] = [];
  const host = new TestHost(panel, lines);
  panel.send({ type: 'ready' });
  panel.send({ type: 'request', id: 1, method: 'heatmap', params: { key: 'a', leading: [0, 0] } });
  panel.send({ type: 'request', id: 2, method: 'heatmap', params: { key: 'b', leading: [0] } });
  panel.send({ type: 'request', id: 3, method: 'compareWith', params: { key: '', role: 'logits' } });
  panel.send({ type: 'request', id: 4, method: 'recompute', params: { options: {} } });
  panel.send({ type: 'cancel', id: 2 });
  await tick(60);
  const replies = new Map(panel.posted.filter((m) => (m as { type: string }).type === 'response').map((m) => [(m as { id: number }).id, m]));
  assert.deepEqual((replies.get(1) as { result: { values: Float32Array } }).result.values, new Float32Array([2]));
  assert.deepEqual(replies.get(3), { type: 'response', id: 3, ok: false, error: 'no pair here' });
  assert.match((replies.get(4) as { error: string }).error, /"recompute" is not supported by this view/);
  assert.equal((replies.get(2) as { ok: boolean }).ok, false, 'the cancelled request is still answered');
  assert.deepEqual(host.aborted, ['b']);
  // The failure is logged, the cancelled request is not.
  assert.deepEqual(lines.filter((l) => l.includes('request')), ['warn test view request compareWith failed: no pair here', 'warn test view request recompute failed: request "recompute" is not supported by this view']);
});

test('closing the panel aborts the requests still running', async () => {
  const panel = new FakePanel();
  const host = new TestHost(panel, []);
  panel.send({ type: 'ready' });
  panel.send({ type: 'request', id: 1, method: 'heatmap', params: { key: 'slow', leading: [] } });
  await tick();
  panel.close();
  await tick();
  assert.deepEqual(host.aborted, ['slow']);
});

test('each view is held to its own protocol (checked by the type checker)', () => {
  class ComparisonOnly extends WebviewHost<ComparisonProtocol> {
    protected onReady(): void {
      // @ts-expect-error a comparison host cannot push the tensor editor's init
      this.post({ type: 'init', view: 'tensorFile', state });
    }
    protected handlers() {
      return {
        recompute: () => Promise.reject(new Error('unused')),
        slice: () => Promise.reject(new Error('unused')),
        classPage: () => Promise.reject(new Error('unused')),
        copy: () => ({}),
        save: () => ({ saved: false }),
        openAsText: () => ({}),
      };
    }
  }
  class TensorOnly extends WebviewHost<TensorFileProtocol> {
    protected onReady(): void {
      // @ts-expect-error the tensor editor's view takes no `update`
      this.post({ type: 'update', state: {} as never });
    }
    protected handlers(): RequestHandlers<TensorFileRequests> {
      // @ts-expect-error a tensor host must serve heatmap and compareWith
      return { copy: () => ({}), save: () => ({ saved: false }) };
    }
  }
  assert.ok(ComparisonOnly && TensorOnly);
});
