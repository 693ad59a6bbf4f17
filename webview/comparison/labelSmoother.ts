/**
 * What Hugging Face's `LabelSmoother` (the Trainer's `label_smoothing_factor`) gives for a comparison's options, in
 * one sentence: the view's statement of README's claim that it equals torch's `label_smoothing` mean without
 * weights (test/unit/engine-vocabulary.test.ts holds the two formulas together). No DOM here.
 */
import type { Report } from '../../src/engine/types';
import { formatCount, formatNumber } from '../common/format';

/** What Hugging Face's Trainer computes for this comparison, in one sentence (the view's and the README's claim). */
export function labelSmootherNote(r: Report): string {
  const c = r.config;
  const hf = `Hugging Face's LabelSmoother(epsilon=${c.labelSmoothing}) — what the Trainer uses for label_smoothing_factor — computes (1 − ε)·NLL + ε·mean over the ${formatCount(r.numClasses)} logits of −log q over the tokens whose label is not −100`;
  if (c.loss !== 'ce') return `${hf}: a cross-entropy only, to compare with loss ce.`;
  if (c.weight) return `${hf}: it takes no class weights, so with the weights set here torch's number differs from it.`;
  if (c.reduction !== 'mean') return `${hf}, averaged: the mean, not this ${c.reduction}.`;
  if (c.ignoreIndex !== -100) return `${hf}; this comparison ignores ${c.ignoreIndex}: with ignore_index −100 it is torch's label_smoothing mean without weights.`;
  return `${hf}: the same number as torch's label_smoothing mean without weights shown here (${formatNumber(r.loss.ce)}).`;
}
