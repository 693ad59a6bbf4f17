/**
 * Warnings for the edges of torch's arithmetic, where the report's number is exactly torch's yet surprising:
 * cross-entropy over one class (always 0), and −inf logits (masked classes or vocabulary entries), which
 * torch turns into +inf or NaN depending on ε and the target. The numbers themselves come from
 * finalize.ts (`smoothMix`, `probabilityTerm`); this module only explains them.
 */
import type { Accumulators } from './accumulate';
import type { TargetKind } from './layout';
import type { EngineWarning, LossOptions, LossTriple } from './types';

export interface EdgeFacts {
  opts: LossOptions;
  C: number;
  acc: Accumulators;
  targetKind: TargetKind;
  /** The report's `loss` (at ε) and `hard` (ε = 0) triples. */
  loss: LossTriple;
  hard: LossTriple;
}

export function edgeWarnings(f: EdgeFacts): EngineWarning[] {
  const { opts, C, acc } = f;
  const out: EngineWarning[] = [];
  if (opts.loss === 'ce' && C === 1) {
    out.push({
      code: 'single-class-ce',
      message:
        'the logits have one class channel: log_softmax over a single value is 0, so cross-entropy is 0 for every ' +
        'input and nothing is learned (torch gives 0 too). A binary task needs either two logits per element with ' +
        'class-index targets 0/1, or BCEWithLogitsLoss on the one logit',
    });
  }
  const hasCe = opts.loss === 'ce' || (opts.loss === 'dicece' && C > 1);
  if (!hasCe || acc.infLogits === 0) return out;
  const eps = opts.labelSmoothing;
  const ce = f.loss.ce;
  const hardCe = f.hard.ce;
  if (hardCe === Infinity) {
    out.push({
      code: 'inf-logit-at-target',
      message:
        'a −inf logit sits at the target class of some element: that class gets probability 0 and −log q = +inf, ' +
        'so the cross-entropy is +inf, as torch computes it',
    });
  } else if (ce === Infinity && eps > 0) {
    out.push({
      code: 'masked-class-smoothed-inf',
      message:
        `−inf logits (masked classes) get probability 0 and add nothing at ε = 0 (the hard CE is finite), but label ` +
        `smoothing puts ε/C = ${eps}/${C} of the target on every class, masked ones included, where −log q = +inf: ` +
        `torch's smoothed cross-entropy is +inf too. Smoothing over the unmasked classes only needs a smoothed ` +
        `target built without them (a probability target), not label_smoothing`,
    });
  }
  let zeroInf = 0;
  for (let k = 0; k < acc.chanZeroInf.length; k++) zeroInf += acc.chanZeroInf[k]!;
  if (f.targetKind !== 'index' && zeroInf > 0 && (eps === 0 || hardCe !== hardCe)) {
    out.push({
      code: 'masked-class-zero-target',
      message:
        `${zeroInf} target entr${zeroInf === 1 ? 'y is' : 'ies are'} 0 where the logit is −inf: torch's probability-target ` +
        `path multiplies the target by log q, and 0·(−inf) is NaN, so torch's cross-entropy at ε = 0 is NaN here too ` +
        `(at ε > 0 the smoothed target is positive there and the loss is +inf)`,
    });
  }
  return out;
}
