/**
 * A validation set's evaluation, streamed: the two folders are paired by case id, and the cases go through
 * worker threads a few at a time (one case per worker, each read, evaluated and released before its worker
 * takes the next), so memory holds at most one case per lane and the set is never loaded whole. Only the small
 * per-case records (counts and loss) are kept for the summary. Node only; the extension and the CLI share it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pairCases, type CasePair } from '../dataset/pairing';
import { summarize, type CaseRecord, type DatasetSummary, type FailedCase } from '../dataset/summary';
import type { LossOptions } from '../engine/types';
import type { ReadLimits } from '../readers/types';
import { defaultThreads } from './pool';
import { RequestChannel } from '../protocol/channel';
import { runCaseJob, type CaseJob, type CaseMethods, type CaseReply } from './caseJob';

/**
 * At most this many cases are in memory at once, whatever the thread count: each lane holds one case (its file
 * bytes while inflating, then its tensors), and the peak must stay within a few cases.
 */
export const MAX_CASES_IN_FLIGHT = 3;

export interface FolderProgress {
  done: number;
  failed: number;
  total: number;
  elapsedMs: number;
}

export interface FolderRunOptions {
  predictions: string;
  references: string;
  /** The tensor to take from every prediction container (`folder#key`), or null for `report`'s rule. */
  predictionKey: string | null;
  /** The loss for score predictions, or null for metrics only. */
  loss: LossOptions | null;
  labels: number[] | null;
  ignoreLabel: number | null;
  threads?: number;
  limits?: Partial<ReadLimits>;
  signal?: AbortSignal;
  onProgress?: (p: FolderProgress) => void;
}

export interface FolderRun {
  summary: DatasetSummary;
  /** The largest case's tensors (bytes of prediction + reference data), for the memory figure. */
  largestCaseBytes: number;
  lanes: number;
  elapsedMs: number;
}

/** dist/case-worker.js beside the running bundle or under the repository. */
export function findCaseWorkerScript(): string | null {
  const candidates = [join(__dirname, 'case-worker.js'), join(__dirname, '..', '..', 'dist', 'case-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** The tensor file names in a folder (not recursive); errors name the folder. */
export function listFolder(dir: string, role: 'predictions' | 'references'): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new FolderError(`${role} folder ${dir}: no such folder`);
  }
  if (!st.isDirectory()) throw new FolderError(`${role} folder ${dir}: is a file, not a folder`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => e.name);
}

/** A problem with the folders themselves (missing, duplicate case ids): nothing can be evaluated. */
export class FolderError extends Error {
  override name = 'FolderError';
}

/** A loss option the engine refuses (e.g. MONAI's "set to_onehot_y"): every case would fail the same way. */
export class OptionError extends Error {
  override name = 'OptionError';
  constructor(
    message: string,
    readonly option: string,
  ) {
    super(message);
  }
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('the folder evaluation was cancelled');
  }
}

/** A case worker stopped with an error (out of memory, a crash): that case fails, the next one gets a new worker. */
class CaseWorkerFailed extends Error {}

/** One worker thread evaluating cases one after the other; requests and replies are matched by id. */
class Lane {
  private live: { worker: Worker; channel: RequestChannel<CaseMethods, string> } | null = null;
  constructor(
    private readonly script: string | null,
    /** The run's one-reader-at-a-time lock word (caseWorker.ts). */
    private readonly readLock: SharedArrayBuffer,
  ) {}

  run(job: CaseJob): Promise<CaseReply> {
    if (!this.script) return Promise.resolve().then(() => runCaseJob(job));
    const live = (this.live ??= this.start(this.script));
    return live.channel.request('evaluate', job).catch((e: unknown): CaseReply => {
      if (e instanceof CaseWorkerFailed) return { ok: false, error: `${job.prediction.uri}: the case worker failed (${e.message})` };
      throw e;
    });
  }

  private start(script: string): { worker: Worker; channel: RequestChannel<CaseMethods, string> } {
    const worker = new Worker(script, { workerData: { readLock: this.readLock } });
    const channel = new RequestChannel<CaseMethods, string>({ send: (m) => worker.postMessage(m), toError: (error) => new Error(error) });
    const live = { worker, channel };
    const gone = (reason: Error) => {
      if (this.live === live) this.live = null;
      channel.close(reason);
    };
    worker.on('message', (m: unknown) => channel.receive(m));
    // 'error' comes before 'exit': the pending case fails with the error; an exit alone is a cancellation.
    worker.on('error', (e: Error) => gone(new CaseWorkerFailed(e.message)));
    worker.on('exit', () => gone(new CancelledError()));
    return live;
  }

  async dispose(): Promise<void> {
    const w = this.live?.worker;
    this.live = null;
    if (w) await w.terminate();
  }
}

export async function evaluateFolder(o: FolderRunOptions): Promise<FolderRun> {
  const t0 = performance.now();
  const pairing = pairCases(listFolder(o.predictions, 'predictions'), listFolder(o.references, 'references'));
  const pairs = pairing.pairs;
  const script = findCaseWorkerScript();
  const lanes = Math.max(1, Math.min(o.threads ?? defaultThreads(), MAX_CASES_IN_FLIGHT, pairs.length || 1));
  const records: CaseRecord[] = [];
  const failed: FailedCase[] = [];
  let largestCaseBytes = 0;
  let next = 0;
  const total = pairs.length;
  const progress = () => o.onProgress?.({ done: records.length + failed.length, failed: failed.length, total, elapsedMs: performance.now() - t0 });
  const files = (p: CasePair) => ({ prediction_file: join(o.predictions, p.prediction), reference_file: join(o.references, p.reference) });

  const readLock = new SharedArrayBuffer(4);
  const workers = Array.from({ length: lanes }, () => new Lane(script, readLock));
  const onAbort = () => void Promise.all(workers.map((w) => w.dispose()));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) throw new CancelledError();
    await Promise.all(
      workers.map(async (lane) => {
        while (next < pairs.length) {
          if (o.signal?.aborted) throw new CancelledError();
          const pair = pairs[next++]!;
          const f = files(pair);
          const reply = await lane.run({
            prediction: { uri: f.prediction_file, key: o.predictionKey },
            reference: f.reference_file,
            loss: o.loss,
            ignoreLabel: o.ignoreLabel,
            limits: o.limits ?? null,
          });
          if (o.signal?.aborted) throw new CancelledError();
          if (!reply.ok && reply.option !== undefined) {
            next = pairs.length;
            throw new OptionError(reply.error, reply.option);
          }
          if (reply.ok) {
            largestCaseBytes = Math.max(largestCaseBytes, reply.bytes);
            records.push({ id: pair.id, ...f, kind: reply.evaluation.kind, numClasses: reply.evaluation.numClasses, counts: reply.evaluation.counts, loss: reply.evaluation.loss });
          } else failed.push({ id: pair.id, ...f, error: reply.error });
          progress();
        }
      }),
    );
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.dispose()));
  }
  const summary = summarize({
    records,
    failed,
    unmatched: {
      predictions: pairing.unmatchedPredictions.map((n) => join(o.predictions, n)),
      references: pairing.unmatchedReferences.map((n) => join(o.references, n)),
    },
    labels: o.labels,
    ignoreLabel: o.ignoreLabel,
    lossOptions: o.loss,
  });
  return { summary, largestCaseBytes, lanes, elapsedMs: performance.now() - t0 };
}
