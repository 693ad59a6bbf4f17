/**
 * The engine's public data shapes: loss options (exactly the golden `options` keys, camelCase) and the
 * report that the CLI prints as JSON, the workers send to the extension, and the webview renders.
 * Pure types: no `vscode`, no DOM. See test/fixtures/golden/README.md for the meaning of every number.
 */

import { schemaDefaults, type LossOptions } from './optionSchema';

import type { SequenceReport } from './sequenceReport';
import type { Confusion } from './vocabulary';

export { LOSS_KINDS, OPTION_KEYS, type LossKind, type LossOptions, type OptionKey, type Reduction, type WType } from './optionSchema';

/** MONAI / torch defaults (each option's constructor default; `loss` defaults to `dicece`), from the option schema. */
export const DEFAULT_OPTIONS: Readonly<LossOptions> = Object.freeze(schemaDefaults());

/**
 * `{total, dice, ce, focal}` as in the golden READMEs; a term that does not apply is null. `dice` is the overlap term
 * of the family (DiceLoss, GeneralizedDiceLoss or TverskyLoss), `focal` the focal term.
 */
export interface LossTriple {
  total: number | null;
  dice: number | null;
  ce: number | null;
  focal: number | null;
}

/** One class of the golden `perClass`, plus what the comparison view needs. */
export interface ClassReport {
  class: number;
  /** Kept elements of this class (index targets) or the sum of the target's channel (float targets). */
  count: number;
  ceHard: number | null;
  ceSmoothed: number | null;
  /** The overlap term's per-class value (null for the generalized Dice losses, which mix the classes). */
  diceHard: number | null;
  diceSmoothed: number | null;
  /** Mean focal loss of this class's channel over every item and position (unweighted), hard / smoothed target. */
  focalHard: number | null;
  focalSmoothed: number | null;
  /**
   * This class's share of `loss.total` (the configured ε): the CE part (lambdaCe × this class's share of
   * the CE reduction) plus the Dice part (lambdaDice × this class's share of the Dice reduction) plus the focal
   * part (lambdaFocal × its share of the focal reduction). The contributions of all classes add up to `loss.total`,
   * except for the generalized Dice losses, whose overlap term is one ratio over all classes (its part is null).
   */
  contribution: { total: number; ce: number | null; dice: number | null; focal: number | null };
}

export interface ConfusionMatrix {
  /** `matrix[t][p]`: kept elements whose target class is t and whose argmax prediction is p. */
  matrix: number[][];
  /** Elements counted (kept elements with a hard class). */
  total: number;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean max-softmax confidence of the elements in the bin (null when empty). */
  confidence: number | null;
  /** Fraction of them whose argmax equals the target (null when empty). */
  accuracy: number | null;
}

export interface Calibration {
  bins: CalibrationBin[];
  /** Expected calibration error over 15 equal-width bins: Σ (n_b / n) · |acc_b − conf_b|. */
  ece: number;
  /** Mean confidence and accuracy over all counted elements. */
  confidence: number;
  accuracy: number;
}

/** Which form of the floor applies (what the view and the CLI say about it). */
export interface FloorCase {
  /** How the CE term reads the target: class indices, or torch's probability path for one-hot / multi-hot / soft targets. */
  target: 'index' | 'one-hot' | 'multi-hot' | 'probability';
  weighted: boolean;
  reduction: 'mean' | 'sum';
  /** One line: the per-element minimum and how it is reduced. */
  text: string;
}

export interface EngineWarning {
  /** Stable code, e.g. `nan-in-logits`, `inf-in-target`, `empty-class`, `eps-ignored-bce`. */
  code: string;
  message: string;
}

export interface Report {
  loss: LossTriple;
  hard: LossTriple;
  /** Null when C == 1. */
  smoothed: LossTriple | null;
  /** Null when C == 1. */
  perClass: ClassReport[] | null;
  confusion: ConfusionMatrix | null;
  calibration: Calibration | null;
  /**
   * The label-smoothing floor: the least value the configured CE term can take for this target over all
   * possible predictions, reduced as torch reduces it (src/engine/floor.ts defines it; for unweighted one-hot
   * targets the entropy of the smoothed target). 0 at ε = 0 for one-hot targets. Null when C == 1.
   */
  floor: number | null;
  /** Which form of the floor applies (index / one-hot / multi-hot / probability, weighted, reduction). Null when C == 1. */
  floorCase: FloorCase | null;
  config: LossOptions;
  numClasses: number;
  logitsShape: number[];
  targetShape: number[];
  /** How the target was interpreted. */
  targetKind: 'index' | 'onehot' | 'probability' | 'binary';
  /**
   * Language-model layout (class axis last, shift) when the pair came that way, with the loss by position and by
   * sequence and top-1/top-5 accuracy (sequenceReport.ts); else null.
   */
  sequence: SequenceReport | null;
  /**
   * The most frequent (target → predicted) confusions, off the diagonal (at most 50); null for probability
   * targets and one channel. Above 1024 classes `confusion` is null and this is the confusion summary.
   */
  topConfusions: Confusion[] | null;
  /** Elements (positions apart from the channel) and how many were kept (not ignore_index). */
  elements: number;
  kept: number;
  /**
   * A multi-label target (float, shaped like the logits, channels summing above 1 somewhere: overlapping
   * regions): how it overlaps, what the configured loss computes on it, and BCE-with-logits beside it
   * (multiLabel.ts); null otherwise.
   */
  multiLabel: MultiLabelReport | null;
  warnings: EngineWarning[];
}

/** A multi-label target's overlap and the per-channel BCE-with-logits alternative (src/engine/multiLabel.ts). */
export interface MultiLabelReport {
  /** Elements (positions, channel apart) whose target channels sum above 1, of `elements`. */
  overlapping: number;
  elements: number;
  /** The largest channel sum (regions on one element). */
  maxChannelSum: number;
  /**
   * torch `F.binary_cross_entropy_with_logits(logits, y, reduction)`, unweighted: `hard` against the target as
   * given, `smoothed` against y_s = (1 − ε)·y + ε/C at the configured ε.
   */
  bce: { hard: number; smoothed: number; reduction: 'mean' | 'sum' };
  /** What the configured loss computes on this target, in words (one sentence per term). */
  notes: string[];
}

/**
 * Hard vs smoothed CE and Dice as functions of ε (for the sweep chart), at the report's other options.
 * `ce[i]`, `dice[i]`, `total[i]` and `floor[i]` are the smoothed numbers at `eps[i]`; the hard numbers do
 * not depend on ε and are given once. A term that does not apply is null.
 */
export interface EpsSweep {
  eps: number[];
  ceHard: number | null;
  diceHard: number | null;
  ce: (number | null)[];
  dice: (number | null)[];
  total: (number | null)[];
  floor: number[];
  /** The focal term against γ (focal families only, else null). */
  gamma: GammaSweep | null;
}

/**
 * The loss against the focal exponent γ at the report's other options, from the same pass: the focal term and the
 * total (overlap term unchanged) against the hard target and against the smoothed target at the configured ε.
 */
export interface GammaSweep {
  gamma: number[];
  focalHard: number[];
  focalSmoothed: (number | null)[];
  totalHard: number[];
  totalSmoothed: (number | null)[];
}

export interface SliceRequest {
  batch: number;
  /** Spatial axis (0-based, among the spatial axes) that is held fixed. */
  axis: number;
  index: number;
  mode: 'hard' | 'smoothed';
}

/** One 2-D slice for the viewer; only this crosses to the webview, never the volume. Row-major, `height × width`. */
export interface SliceData {
  request: SliceRequest;
  width: number;
  height: number;
  /** Target class per pixel (−1 where ignored). */
  target: Int16Array;
  /** Argmax prediction per pixel. */
  prediction: Int16Array;
  /** Per-voxel CE at the requested mode (hard: ε = 0; smoothed: the configured ε). */
  ce: Float32Array;
  ceMax: number;
  /**
   * Multi-label targets only (else null): the regions, one plane per channel, `targetRegions[k·n + i]` = 1 where
   * target channel k is above 0.5 at pixel i (n = width·height), so overlapping regions are drawn each on its own.
   */
  targetRegions: Uint8Array | null;
  /** With `targetRegions`: 1 where channel k's sigmoid is above 0.5 (logit > 0), the per-channel prediction. */
  predictionRegions: Uint8Array | null;
}
