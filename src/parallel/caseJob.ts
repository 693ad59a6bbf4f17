/**
 * One case of a folder evaluation, from paths to its small result: read both files, evaluate, return the counts
 * and the loss (kilobytes), and let the tensors go. Runs in a case worker (caseWorker.ts) or, without the built
 * worker script, on the calling thread.
 */
import { loadTensor } from '../cli/loadTensor';
import { evaluateCase, type CaseEvaluation } from '../dataset/evaluateCase';
import type { LossOptions } from '../engine/types';
import { LossInputError } from '../engine/errors';
import type { ReadLimits } from '../readers/types';
import { oneLine } from '../protocol/errorLine';
import type { TensorRef } from '../readers/tensorRef';

export interface CaseJob {
  /** Absolute or working-directory-relative paths; the prediction's key picks a tensor inside a container. */
  prediction: TensorRef;
  reference: string;
  loss: LossOptions | null;
  ignoreLabel: number | null;
  limits: Partial<ReadLimits> | null;
}

/** `option`: the failure is a loss option the engine refuses (the same for every case: the run stops). */
export type CaseReply = { ok: true; evaluation: Omit<CaseEvaluation, 'spatial'>; bytes: number } | { ok: false; error: string; option?: string };

/** The one request a case worker serves, over the id-matched channel (src/protocol/channel.ts). */
export type CaseMethods = { evaluate: { params: CaseJob; result: CaseReply } };

/**
 * `aroundRead` wraps the reading of both files: the case workers take a lock there, so that only one case at a
 * time holds its compressed bytes and its inflated tensors together (the peak of a case).
 */
export function runCaseJob(job: CaseJob, aroundRead: <T>(read: () => T) => T = (read) => read()): CaseReply {
  try {
    const limits = job.limits ?? undefined;
    const { pred, ref } = aroundRead(() => ({
      pred: loadTensor(job.prediction, limits),
      ref: loadTensor(job.reference, limits),
    }));
    const bytes = pred.tensor.data.byteLength + ref.tensor.data.byteLength;
    try {
      const { spatial: _spatial, ...evaluation } = evaluateCase(pred.tensor, ref.tensor, { loss: job.loss, ignoreLabel: job.ignoreLabel });
      return { ok: true, evaluation, bytes };
    } catch (e) {
      // A bad option names the option already; a problem with the pair names both files.
      if (e instanceof LossInputError && e.option !== undefined) throw e;
      // The ignore label leaves the metrics' counts, not the loss: say how to keep it out of the loss too.
      const hint =
        e instanceof LossInputError && job.ignoreLabel !== null
          ? ` (the loss sees the ignore label ${job.ignoreLabel} too: for cross-entropy pass --ignore-index ${job.ignoreLabel}, or evaluate metrics only with --no-loss)`
          : '';
      throw new Error(`${job.prediction.uri} vs ${job.reference}: ${oneLine(e)}${hint}`);
    }
  } catch (e) {
    const option = e instanceof LossInputError ? e.option : undefined;
    return { ok: false, error: oneLine(e), ...(option !== undefined ? { option } : {}) };
  }
}
