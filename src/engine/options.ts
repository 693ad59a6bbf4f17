/**
 * Turns a partial, untrusted configuration (CLI flags, a JSON config, VS Code settings, a CodeLens) into a
 * complete, validated {@link LossOptions}. Each value is parsed by its entry of the option schema
 * (optionSchema.ts), so every error names the option and says what was wrong, as torch/MONAI would refuse it
 * (ε outside [0, 1] is torch's "label_smoothing must be between 0.0 and 1.0"); the checks that involve two
 * options live here.
 */
import { LossInputError } from './errors';
import { OPTION_KEYS, OPTION_SCHEMA, schemaDefaults, type AnyOptionSpec, type LossOptions } from './optionSchema';

/** Validates and completes options; unknown keys are refused (a typo must not silently do nothing). */
export function resolveOptions(partial: Partial<LossOptions> | Record<string, unknown> = {}): LossOptions {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new LossInputError('options must be an object with the golden option keys');
  }
  const src = partial as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) {
      throw new LossInputError(`unknown option '${k}' (known: ${OPTION_KEYS.join(', ')})`, k);
    }
  }
  const o = schemaDefaults() as unknown as Record<string, unknown>;
  for (const spec of OPTION_SCHEMA as readonly AnyOptionSpec[]) {
    const v = src[spec.key];
    if (v !== undefined) o[spec.key] = spec.parse(v);
  }
  const r = o as unknown as LossOptions;
  // MONAI's Dice losses: "Incompatible values: more than 1 of [sigmoid=True, softmax=True, other_act is not None]."
  if (r.sigmoid && r.softmax) {
    throw new LossInputError('options sigmoid and softmax: incompatible values, at most one of them may be true', 'softmax');
  }
  return r;
}
