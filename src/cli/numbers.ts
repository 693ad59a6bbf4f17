/**
 * Numbers typed on the command line: decimal only. `Number()` also takes `0x1`, `0b1`, `0o7`, `Infinity` and
 * surrounding blanks, so `--label-smoothing 0x1` would quietly mean 1; a flag's value must read as the decimal
 * literal a user means (`0.1`, `-100`, `1e-5`).
 */
import { UsageError } from './errors';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** True when `text` is a plain decimal literal. */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** The decimal number `text` spells, or a UsageError naming `what` (the flag). */
export function decimal(text: string, what: string): number {
  if (!DECIMAL.test(text)) throw new UsageError(`${what} needs a decimal number, got '${text}'`);
  return Number(text);
}
