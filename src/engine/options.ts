/**
 * Turns a partial, untrusted configuration (CLI flags, a JSON config, VS Code settings, a CodeLens) into a
 * complete, validated {@link LossOptions}. Every error names the option and says what was wrong, as
 * torch/MONAI would refuse it (ε outside [0, 1] is torch's "label_smoothing must be between 0.0 and 1.0").
 */
import { LossInputError } from './errors';
import { DEFAULT_OPTIONS, OPTION_KEYS, type LossOptions } from './types';

const BOOL_KEYS = ['includeBackground', 'toOnehotY', 'sigmoid', 'softmax', 'squaredPred', 'jaccard', 'batch'] as const;

function num(key: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new LossInputError(`option ${key}: expected a finite number, got ${JSON.stringify(v)}`, key);
  }
  return n;
}

function bool(key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1) return true;
  if (v === 'false' || v === 0) return false;
  throw new LossInputError(`option ${key}: expected true or false, got ${JSON.stringify(v)}`, key);
}

/** Validates and completes options; unknown keys are refused (a typo must not silently do nothing). */
export function resolveOptions(partial: Partial<LossOptions> | Record<string, unknown> = {}): LossOptions {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new LossInputError('options must be an object with the golden option keys');
  }
  const src = partial as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    if (!(OPTION_KEYS as string[]).includes(k)) {
      throw new LossInputError(`unknown option '${k}' (known: ${OPTION_KEYS.join(', ')})`, k);
    }
  }
  const o: LossOptions = { ...DEFAULT_OPTIONS, weight: DEFAULT_OPTIONS.weight };
  const has = (k: string) => src[k] !== undefined;

  if (has('loss')) {
    const v = src.loss;
    if (v !== 'ce' && v !== 'dice' && v !== 'dicece') {
      throw new LossInputError(`option loss: expected ce, dice or dicece, got ${JSON.stringify(v)}`, 'loss');
    }
    o.loss = v;
  }
  if (has('labelSmoothing')) {
    const e = num('labelSmoothing', src.labelSmoothing);
    if (e < 0 || e > 1) {
      throw new LossInputError(`option labelSmoothing: label_smoothing must be between 0.0 and 1.0. Got: ${e}`, 'labelSmoothing');
    }
    o.labelSmoothing = e;
  }
  if (has('weight') && src.weight !== null) {
    let w = src.weight;
    if (typeof w === 'string') w = w.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (!Array.isArray(w) || w.length === 0) {
      throw new LossInputError(`option weight: expected a non-empty list of numbers or null, got ${JSON.stringify(src.weight)}`, 'weight');
    }
    const ws = w.map((x) => num('weight', x));
    if (ws.some((x) => x < 0)) {
      throw new LossInputError(`option weight: class weights must be non-negative, got [${ws.join(', ')}]`, 'weight');
    }
    o.weight = ws;
  }
  if (has('ignoreIndex')) {
    const ii = num('ignoreIndex', src.ignoreIndex);
    if (!Number.isInteger(ii)) throw new LossInputError(`option ignoreIndex: expected an integer, got ${ii}`, 'ignoreIndex');
    o.ignoreIndex = ii;
  }
  if (has('reduction')) {
    const r = src.reduction;
    if (r !== 'mean' && r !== 'sum') {
      throw new LossInputError(`option reduction: expected mean or sum, got ${JSON.stringify(r)}`, 'reduction');
    }
    o.reduction = r;
  }
  for (const k of BOOL_KEYS) if (has(k)) o[k] = bool(k, src[k]);
  if (has('smoothNr')) o.smoothNr = num('smoothNr', src.smoothNr);
  if (has('smoothDr')) o.smoothDr = num('smoothDr', src.smoothDr);
  if (has('lambdaDice')) o.lambdaDice = num('lambdaDice', src.lambdaDice);
  if (has('lambdaCe')) o.lambdaCe = num('lambdaCe', src.lambdaCe);
  // MONAI's DiceCELoss: "lambda_dice should be no less than 0.0", same for lambda_ce.
  if (o.lambdaDice < 0) throw new LossInputError(`option lambdaDice: lambda_dice should be no less than 0.0, got ${o.lambdaDice}`, 'lambdaDice');
  if (o.lambdaCe < 0) throw new LossInputError(`option lambdaCe: lambda_ce should be no less than 0.0, got ${o.lambdaCe}`, 'lambdaCe');
  // MONAI's DiceLoss: "Incompatible values: more than 1 of [sigmoid=True, softmax=True, other_act is not None]."
  if (o.sigmoid && o.softmax) {
    throw new LossInputError('options sigmoid and softmax: incompatible values, at most one of them may be true', 'softmax');
  }
  return o;
}
