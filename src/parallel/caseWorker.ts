/**
 * Worker-thread entry (bundled to dist/case-worker.js): evaluates one case of a folder per message and posts
 * back only its counts and loss; the tensors die with the job, so a worker holds at most one case.
 */
import { parentPort } from 'node:worker_threads';
import { installZlibInflate } from '../node/zlibInflate';
import { runCaseJob, type CaseJob } from './caseJob';

installZlibInflate();
parentPort?.on('message', (job: CaseJob) => {
  parentPort!.postMessage(runCaseJob(job));
});
