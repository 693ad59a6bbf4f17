import { UsageError } from './errors';

/** `loss-inspect info` (being written). */
export async function runInfo(_args: string[]): Promise<number> {
  throw new UsageError('info: not implemented yet');
}
