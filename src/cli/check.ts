import { UsageError } from './errors';

/** `loss-inspect check` (being written). */
export async function runCheck(_args: string[]): Promise<number> {
  throw new UsageError('check: not implemented yet');
}
