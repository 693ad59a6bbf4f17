// The softmax block kernel's output layouts, declared once: the kernel's text is written from them (text/*.mjs)
// and generate.mjs writes them into softmaxBlockLayout.ts, which the engine reads by name. Each entry:
// [slot, what it sums] (the text becomes the slot's doc comment in the generated module).

/** Bins of the calibration table (confidence in [b/B, (b+1)/B)): the JS pass, the kernel and the report use these. */
export const CALIBRATION_BINS = 15;

/**
 * The per-class Dice sums of the `diceSums*` functions: one f64x2 per slot (two lane partial sums, the reader
 * adds them), DICE_SLOTS slots per class at out + k·16·DICE_SLOTS. p the softmax probability, t the hard target
 * (0/1), y_s = (1 − ε)·t + ε/C the smoothed one, o = 2 with squaredPred else 1; for the ε sweep u = p − t (the
 * error against the hard target) and v = 1/C − t (how far smoothing moves the target per unit of ε).
 */
export const DICE_SLOT = {
  predSum: [0, 'Σ p'],
  overlapSum: [1, 'Σ p·t'],
  targetSum: [2, 'Σ t'],
  predPow: [3, 'Σ |p|^o'],
  smoothTargetPow: [4, 'Σ |y_s|^o'],
  smoothDiffPow: [5, 'Σ |p − y_s|^o'],
  errorSq: [6, 'Σ (p − t)², with squaredPred'],
  shiftSum: [7, 'Σ v, with an ε sweep'],
  errorShift: [8, 'Σ u·v, squaredPred with an ε sweep'],
  shiftSq: [9, 'Σ v², squaredPred with an ε sweep'],
  targetShift: [10, 'Σ t·v, squaredPred with an ε sweep'],
};
/** The float64 constants the `diceSums*` functions read (written by the caller before each call; 8 slots). */
export const DICE_CONSTANT = {
  offTarget: [0, 'ε/C: the smoothed target where t = 0'],
  keep: [1, '1 − ε'],
  invC: [2, '1/C'],
  scaleOn: [5, 'the bucket scale where t = 1: (1/Δ)/(1/C − 1)'],
  scaleOff: [6, 'the bucket scale where t = 0: C/Δ'],
  lastBucket: [7, 'K, the last bucket (K + 1 buckets)'],
};
export const DICE_CONSTANT_SLOTS = 8;
export const DC = Object.fromEntries(Object.entries(DICE_CONSTANT).map(([k, [v]]) => [k, v]));

/** Slots per class of the Dice sums (11 used; even, so that a class's record is whole 32-byte lines). */
export const DICE_SLOTS = 12;
export const D = Object.fromEntries(Object.entries(DICE_SLOT).map(([k, [v]]) => [k, v]));

/**
 * The per-position sums region of the `positionSums*` functions (float64 slots): the scalars of class-index
 * targets, one record per calibration bin from CALIBRATION_FIRST, one record per class from CLASS_FIRST, and the
 * confusion matrix (t·C + p) after the C class records.
 */
export const POSITION_SLOT = {
  kept: [0, 'positions with a class (class-index targets)'],
  nllWeighted: [1, 'Σ w_y·(−log q_y)'],
  smoothWeighted: [2, 'Σ Σ_k w_k·(−log q_k)'],
  weightSum: [3, 'Σ w_y'],
};
export const CALIBRATION_FIRST = 4;
export const CALIBRATION_RECORD_SLOTS = 3;
export const CALIBRATION_RECORD = {
  count: [0, 'positions whose top probability falls in the bin'],
  confidence: [1, 'Σ top probability'],
  correct: [2, 'positions whose argmax is the target'],
};
/** First slot of the per-class records (a multiple of 4: 32-byte records). */
export const CLASS_FIRST = CALIBRATION_FIRST + CALIBRATION_RECORD_SLOTS * CALIBRATION_BINS + 3;
export const CLASS_RECORD = {
  elements: [0, 'positions of this hard class'],
  nll: [1, 'Σ −log q_y'],
  smooth: [2, 'Σ Σ_k −log q_k'],
  smoothWeighted: [3, 'Σ Σ_k w_k·(−log q_k)'],
};
export const CLASS_RECORD_SLOTS = 4;
export const P = Object.fromEntries(Object.entries(POSITION_SLOT).map(([k, [v]]) => [k, v]));
export const PC = Object.fromEntries(Object.entries(CALIBRATION_RECORD).map(([k, [v]]) => [k, v]));
export const PK = Object.fromEntries(Object.entries(CLASS_RECORD).map(([k, [v]]) => [k, v]));
if (CLASS_FIRST % 4 !== 0) throw new Error('the per-class records must start on a 32-byte line');

/** The focal sums of `focalSumsF32`: per class two f64x2 (two lane partial sums each) at out + k·32. */
export const FOCAL_SLOT = {
  hard: [0, 'Σ focal loss against the hard target'],
  smoothed: [1, 'Σ focal loss against the smoothed target'],
};
export const FOCAL_SLOTS = 2;
export const F = Object.fromEntries(Object.entries(FOCAL_SLOT).map(([k, [v]]) => [k, v]));
