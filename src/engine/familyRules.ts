/**
 * Which terms each loss kind has, and the warnings for MONAI behaviours a user would not expect from the options
 * (options a family does not have, the sigmoid focal term inside DiceFocal/GeneralizedDiceFocal, α dropped).
 */
import { OPTION_SCHEMA, lossLabel, optionApplies, type AnyOptionSpec, type LossKind } from './optionSchema';
import type { EngineWarning, LossOptions } from './types';

/** The overlap term of a kind: MONAI's DiceLoss, GeneralizedDiceLoss or TverskyLoss (null: none). */
export function overlapKind(loss: LossKind): 'dice' | 'gdice' | 'tversky' | null {
  switch (loss) {
    case 'dice':
    case 'dicece':
    case 'dicefocal':
      return 'dice';
    case 'gdice':
    case 'gdicefocal':
      return 'gdice';
    case 'tversky':
      return 'tversky';
    default:
      return null;
  }
}

export function hasOverlap(loss: LossKind): boolean {
  return overlapKind(loss) !== null;
}

/** The kinds this engine had before the families: their warnings are unchanged (ignore_index has its own). */
const ORIGINAL_KINDS: readonly LossKind[] = ['ce', 'dice', 'dicece'];
const FAMILY_OPTIONS = new Set(['gamma', 'alpha', 'useSoftmax', 'lambdaFocal', 'tverskyAlpha', 'tverskyBeta', 'wType']);

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** Warnings about the options of the MONAI families (none for ce / dice / dicece with their own options). */
export function familyWarnings(opts: LossOptions, C: number): EngineWarning[] {
  const out: EngineWarning[] = [];
  const values = opts as unknown as Record<string, unknown>;
  const label = lossLabel(opts.loss);
  const unused: string[] = [];
  for (const spec of OPTION_SCHEMA as readonly AnyOptionSpec[]) {
    if (spec.key === 'labelSmoothing' || spec.key === 'ignoreIndex' || spec.key === 'loss') continue;
    if (optionApplies(spec, opts.loss) || !differs(values[spec.key], spec.default)) continue;
    if (ORIGINAL_KINDS.includes(opts.loss) && !FAMILY_OPTIONS.has(spec.key)) continue;
    unused.push(spec.key);
  }
  if (unused.length) {
    out.push({ code: 'option-unused', message: `${label} has no ${unused.join(', ')}: ${unused.length > 1 ? 'these options have' : 'this option has'} no effect` });
  }
  if ((opts.loss === 'dicefocal' || opts.loss === 'gdicefocal') && opts.softmax) {
    out.push({
      code: 'focal-sigmoid',
      message: `${label}'s focal term is the sigmoid focal loss on the raw logits: softmax=True reaches the ${opts.loss === 'dicefocal' ? 'Dice' : 'generalized Dice'} term only`,
    });
  }
  if (opts.loss === 'focal' && opts.useSoftmax && !opts.includeBackground && opts.alpha !== null && C > 1) {
    out.push({ code: 'alpha-dropped', message: `FocalLoss(use_softmax=True, include_background=False) drops alpha=${opts.alpha}: MONAI sets it to None` });
  }
  if (!ORIGINAL_KINDS.includes(opts.loss) && opts.labelSmoothing > 0) {
    out.push({
      code: 'eps-comparison-only',
      message: `${label} has no label_smoothing: ε = ${opts.labelSmoothing} only sets the smoothed comparison, training sees the hard target`,
    });
  }
  return out;
}

/** One term of a loss as the report names it: its key in `{total, dice, ce, focal}` and its label. */
export interface LossTerm {
  key: 'ce' | 'dice' | 'focal';
  label: string;
}

/**
 * The terms of a loss kind, in the order the CLI table and the view show them: the overlap term named after the
 * family (Dice, generalized Dice, Tversky), CE (BCE for DiceCE with one channel), focal.
 */
export function lossTerms(loss: LossKind, C: number): LossTerm[] {
  const out: LossTerm[] = [];
  const ov = overlapKind(loss);
  if (ov) out.push({ key: 'dice', label: ov === 'dice' ? 'Dice' : ov === 'gdice' ? 'Generalized Dice' : 'Tversky' });
  if (loss === 'ce' || loss === 'dicece') out.push({ key: 'ce', label: loss === 'dicece' && C === 1 ? 'BCE' : 'CE' });
  if (loss === 'focal' || loss === 'dicefocal' || loss === 'gdicefocal') out.push({ key: 'focal', label: 'Focal' });
  return out;
}
