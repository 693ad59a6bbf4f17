import { UsageError } from './errors';

/** `loss-inspect report` (being written). */
export async function runReport(_args: string[]): Promise<number> {
  throw new UsageError('report: not implemented yet');
}
