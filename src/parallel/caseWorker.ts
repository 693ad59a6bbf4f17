/**
 * Worker-thread entry (bundled to dist/case-worker.js): evaluates one case of a folder per request and answers
 * with only its counts and loss; the tensors die with the job, so a worker holds at most one case. Requests and
 * replies go through the id-matched channel (src/protocol/channel.ts), like every thread boundary.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { installZlibInflate } from '../node/zlibInflate';
import { RequestServer } from '../protocol/channel';
import { runCaseJob, type CaseMethods } from './caseJob';
import { oneLine } from '../protocol/errorLine';

/**
 * A full collection between cases. A case's arrays (file bytes, the inflated tensor, the engine's labels) live
 * outside the JS heap, which V8 collects only when it feels heap pressure: without this, a worker kept the last
 * cases' ~150 MB each alive and two workers peaked at 450 MB on the benchmark folder instead of 260 MB.
 * `gc` is exposed for this context only, the way test runners do it (the flag is set back right away).
 */
function collector(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? gc : null;
  } catch {
    return null;
  }
}

/**
 * One reader at a time across the run's workers (a lock word in shared memory, from workerData): while a case is
 * read its compressed bytes and its inflated tensors coexist, and a collection right after the read drops the
 * compressed bytes before the case is computed. Reads are the shorter phase, so the lanes still overlap: one
 * reads while the others compute.
 */
const lock = (workerData as { readLock?: SharedArrayBuffer } | null)?.readLock;
const word = lock ? new Int32Array(lock) : null;
function oneReaderAtATime<T>(read: () => T): T {
  if (!word) return read();
  while (Atomics.compareExchange(word, 0, 0, 1) !== 0) Atomics.wait(word, 0, 1, 1000);
  try {
    const v = read();
    gc?.();
    return v;
  } finally {
    Atomics.store(word, 0, 0);
    Atomics.notify(word, 0, 1);
  }
}

installZlibInflate();
const gc = collector();
const port = parentPort;
if (port) {
  const server = new RequestServer<CaseMethods, string>(
    {
      evaluate: (job) => {
        const reply = runCaseJob(job, oneReaderAtATime);
        // In a later task: objects a WeakRef reached during this job (the readers' lazily built tensors) stay
        // alive until the job ends, so a collection here would keep the case's arrays.
        setImmediate(() => gc?.());
        return reply;
      },
    },
    { send: (m) => port.postMessage(m), toError: oneLine },
  );
  port.on('message', (m: unknown) => void server.receive(m));
}
