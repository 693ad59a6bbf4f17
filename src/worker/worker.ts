/**
 * The worker-thread entry (bundled to dist/worker.js): the extension host posts requests of
 * src/worker/protocol.ts, {@link TensorWorkerService} answers them. Reading and computing happen here so the
 * extension host's main thread never waits on them. One reply per request, `progress` messages before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transferablesOf, type HostToWorker, type WorkerInit, type WorkerToHost } from './protocol';
import { DEFAULT_CACHE_BYTES, TensorWorkerService, toWorkerError } from './service';
import { installZlibInflate } from '../node/zlibInflate';

if (!parentPort) throw new Error('dist/worker.js must run as a worker thread');
installZlibInflate();
const port = parentPort;
const init = (workerData ?? {}) as WorkerInit;
const service = new TensorWorkerService(init.cacheBytes ?? DEFAULT_CACHE_BYTES);

/** Typed arrays of a result that own their buffer (slice and heat-map planes): moved, not copied. */
function resultTransferables(result: unknown): ArrayBuffer[] {
  if (typeof result !== 'object' || result === null) return [];
  return transferablesOf(Object.values(result));
}

port.on('message', (msg: HostToWorker) => {
  const { id } = msg;
  const progress = (message: string) => port.postMessage({ type: 'progress', id, message } satisfies WorkerToHost);
  service.handle(msg.method, msg.params as never, progress).then(
    (result) => {
      const reply: WorkerToHost = { type: 'response', id, ok: true, result: result as never };
      port.postMessage(reply, resultTransferables(result));
    },
    (e: unknown) => {
      port.postMessage({ type: 'response', id, ok: false, error: toWorkerError(e) } satisfies WorkerToHost);
    },
  );
});
