/**
 * The engine's one error type. Messages are one line and name the problem and, where shapes are
 * involved, both shapes, in the style of torch's and MONAI's own errors.
 */
export class LossInputError extends Error {
  override name = 'LossInputError';
  /** The option at fault (golden camelCase key), when the problem is an option. */
  readonly option?: string;
  constructor(message: string, option?: string) {
    super(message);
    if (option !== undefined) this.option = option;
  }
}

/** A shape in messages, as torch and MONAI write them: `[3, 4]` (for display, `formatShape` in tensor.ts). */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
