/**
 * A failed comparison as the view shows it in place (see {@link ComparisonProblem}): the message in Python
 * parameter names, the chain of causes in words, and the one-click fixes for this panel — `ignore_index` for
 * a void label (voidLabels.ts), the flip of a boolean the engine asks for (`to_onehot_y`). Pure (no vscode).
 */
import { inPythonNames, lossLabel, pythonName } from '../engine/optionSchema';
import type { LossOptions } from '../engine/types';
import type { ComparisonProblem, ProblemFix } from '../protocol/messages';
import { oneLine } from './errorText';
import { causeChain } from '../protocol/errorLine';
import { suggestOptionFix } from './settingsModel';
import { WorkerFailure } from './workerClient';
import type { WorkerError } from '../worker/protocol';

/** Reader error kinds of a file that is no tensor file at all (the view offers to open it as text). */
export const NOT_A_TENSOR_FILE: ReadonlySet<string> = new Set(['unrecognized-format', 'git-lfs-pointer']);

/** The worker's view of an error, also for errors raised in the host (same fields, where they exist). */
function infoOf(e: unknown): Partial<WorkerError> {
  if (e instanceof WorkerFailure) return e.info;
  if (e instanceof Error) {
    const x = e as Error & { option?: unknown; kind?: unknown; fileUri?: unknown };
    const causes = causeChain(e);
    return {
      name: e.name,
      ...(typeof x.option === 'string' ? { option: x.option } : {}),
      ...(typeof x.kind === 'string' ? { kind: x.kind } : {}),
      ...(typeof x.fileUri === 'string' ? { fileUri: x.fileUri } : {}),
      causes,
    };
  }
  return {};
}

const python = (b: boolean) => (b ? 'True' : 'False');

/** The problem of a comparison that failed with `options` (the options it ran with). */
export function comparisonProblem(e: unknown, options: LossOptions): ComparisonProblem {
  const info = infoOf(e);
  const fixes: ProblemFix[] = [];
  const v = info.voidLabel;
  if (v) {
    const share = `${v.count.toLocaleString('en-US')} of ${v.total.toLocaleString('en-US')} target positions hold ${v.value}`;
    const switchLoss = options.loss !== 'ce';
    fixes.push({
      label: `Set ignore_index = ${v.value}`,
      detail:
        `${share}, a void label (no class): ignore_index = ${v.value} leaves them out of the loss, in this panel only` +
        (switchLoss ? `. ${lossLabel(options.loss)} has no ignore_index (MONAI's losses have none), so this computes F.cross_entropy` : '') +
        (v.otherValues.length ? `; the target also holds ${v.otherValues.join(', ')} outside the classes` : ''),
      options: { ignoreIndex: v.value, ...(switchLoss ? { loss: 'ce' as const } : {}) },
    });
  }
  const flip = suggestOptionFix(info.option, options);
  if (flip) {
    const name = pythonName(flip.option);
    fixes.push({
      label: `Set ${name} = ${python(flip.value)}`,
      detail: `Recompute this panel with ${name}=${python(flip.value)}, as the error asks`,
      options: { [flip.option]: flip.value },
    });
  }
  return {
    message: inPythonNames(oneLine(e)),
    ...(info.option ? { option: pythonName(info.option) } : {}),
    causes: (info.causes ?? []).map(inPythonNames),
    fixes,
    ...(info.kind && NOT_A_TENSOR_FILE.has(info.kind) && info.fileUri ? { notATensorFile: info.fileUri } : {}),
    ...(v ? { voidLabel: { value: v.value, count: v.count, total: v.total, otherValues: v.otherValues } } : {}),
  };
}
