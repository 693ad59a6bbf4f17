/**
 * The text of an error notification. The readers' errors name their file and the engine's option errors name
 * the option, so they stand alone; anything else — a problem with the PAIR (shapes, labels), a file that cannot
 * be opened — gets what was being done ("Comparing logits.npy with labels.npy") in front, so the user always sees
 * which files the problem is about. Pure (no vscode): unit-tested.
 */
import { inPythonNames } from '../engine/optionSchema';
import { causeChain, oneLine as plainLine } from '../protocol/errorLine';
import { WorkerFailure } from './workerClient';

/**
 * The message as one line (the readers and the engine already write one line naming file/option and problem),
 * with options by their Python names (`to_onehot_y`, never the engine's `toOnehotY`).
 */
export function oneLine(e: unknown): string {
  return inPythonNames(plainLine(e));
}

/**
 * What *Show details* shows: the kind of error and the chain of causes, in words (the worker's causes, or
 * `Error.cause` of a host error) — never a stack, which in the bundled extension is minified noise.
 */
export function errorDetails(e: unknown): string {
  const parts: string[] = [];
  let causes: string[] = [];
  if (e instanceof WorkerFailure) {
    const i = e.info;
    const what = i.name === 'TensorFileError' ? 'reading the file' : i.name === 'LossInputError' ? 'the loss inputs or options' : i.name;
    parts.push(`  problem with ${what}${i.kind ? ` (${i.kind})` : ''}${i.option ? ` (option ${inPythonNames(i.option)})` : ''}`);
    causes = (i.causes ?? []).map(inPythonNames);
  } else if (e instanceof Error) {
    parts.push(`  error: ${e.name}`);
    causes = causeChain(e).map(inPythonNames);
  }
  causes.forEach((c, i) => parts.push(`  ${i === 0 ? 'because' : 'which was because'}: ${c}`));
  return parts.join('\n');
}

export function notificationText(e: unknown, doing: string): string {
  const message = oneLine(e);
  const name = e instanceof WorkerFailure ? e.info.name : e instanceof Error ? e.name : '';
  const option = e instanceof WorkerFailure ? e.info.option : (e as { option?: unknown } | null)?.option;
  const namesItsSubject = name === 'TensorFileError' || (name === 'LossInputError' && typeof option === 'string' && option !== '');
  return namesItsSubject ? message : `${doing}: ${message}`;
}
