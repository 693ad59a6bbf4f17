/**
 * The worker-thread entry (bundled to dist/worker.js): the extension host posts requests of
 * src/worker/protocol.ts over the id-matched channel (src/protocol/channel.ts), {@link TensorWorkerService}
 * answers them. Reading and computing happen here so the extension host's main thread never waits on them.
 * One reply per request, `progress` messages before it; a `cancel` aborts that request's signal only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RequestServer } from '../protocol/channel';
import { transferablesOf, type WorkerError, type WorkerInit, type WorkerRequestMap } from './protocol';
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

const server = new RequestServer<WorkerRequestMap, WorkerError>(service.handlers(), {
  send: (m, transfer) => port.postMessage(m, transfer as ArrayBuffer[] | undefined),
  toError: toWorkerError,
  transferOf: resultTransferables,
});
port.on('message', (m: unknown) => void server.receive(m));
