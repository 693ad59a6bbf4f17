/**
 * The engine's one error type. Messages are one line and name the problem and, where shapes are
 * involved, both shapes, in the style of torch's and MONAI's own errors.
 */
export class LossInputError extends Error {
  override name = 'LossInputError';
  /** The option at fault (golden camelCase key), when the problem is an option. */
  readonly option?: string;
  /**
   * What kind of problem, where callers act on it: `label-out-of-range` (a class-index target holds a value
   * outside [0, C): the host then looks for a void label, see voidLabels.ts).
   */
  readonly code?: 'label-out-of-range';
  constructor(message: string, option?: string, code?: 'label-out-of-range') {
    super(message);
    if (option !== undefined) this.option = option;
    if (code !== undefined) this.code = code;
  }
}

/** A shape in messages, as torch and MONAI write them: `[3, 4]` (for display, `formatShape` in tensor.ts). */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
