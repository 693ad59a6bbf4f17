/**
 * The text of an error notification. The readers' errors name their file and the engine's option errors name
 * the option, so they stand alone; anything else — a problem with the PAIR (shapes, labels), a file that cannot
 * be opened — gets what was being done ("Comparing logits.npy with labels.npy") in front, so the user always sees
 * which files the problem is about. Pure (no vscode): unit-tested.
 */
import { oneLine } from '../protocol/errorLine';
import { WorkerFailure } from './workerClient';

export { oneLine };

export function notificationText(e: unknown, doing: string): string {
  const message = oneLine(e);
  const name = e instanceof WorkerFailure ? e.info.name : e instanceof Error ? e.name : '';
  const option = e instanceof WorkerFailure ? e.info.option : (e as { option?: unknown } | null)?.option;
  const namesItsSubject = name === 'TensorFileError' || (name === 'LossInputError' && typeof option === 'string' && option !== '');
  return namesItsSubject ? message : `${doing}: ${message}`;
}
