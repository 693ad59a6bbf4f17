/**
 * Worker-thread entry (bundled to dist/case-worker.js): evaluates one case of a folder per request and answers
 * with only its counts and loss; the tensors die with the job, so a worker holds at most one case. Requests and
 * replies go through the id-matched channel (src/protocol/channel.ts), like every thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import { installZlibInflate } from '../node/zlibInflate';
import { RequestServer } from '../protocol/channel';
import { runCaseJob, type CaseMethods } from './caseJob';

installZlibInflate();
const port = parentPort;
if (port) {
  const server = new RequestServer<CaseMethods, string>(
    { evaluate: (job) => runCaseJob(job) },
    { send: (m) => port.postMessage(m), toError: (e) => (e instanceof Error ? e.message : String(e)) },
  );
  port.on('message', (m: unknown) => void server.receive(m));
}
