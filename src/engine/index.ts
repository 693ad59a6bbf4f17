/**
 * The engine's public API: pure TypeScript shared by the CLI, the worker, the tests and the extension.
 */
export * from './tensor';
export * from './types';
export { LossInputError } from './errors';
export { resolveOptions } from './options';
export {
  computeReport,
  computeSweep,
  computeReportAndSweep,
  preparePair,
  accumulateConfig,
  accumulateAll,
  finalizeReport,
  finalizeSweep,
  type PreparedPair,
} from './report';
export { sweepGrid, viewSweepGrid, DEFAULT_SWEEP_EPS, SWEEP_STEP, uniformStep } from './sweepGrid';
export { accumulate, newAccumulators, mergeAccumulators, type Accumulators, type AccumulateConfig } from './accumulate';
export { labelSmoothingFloor, smoothedTargetValues } from './finalize';
export { prepareLogits, prepareTarget, type PreparedLogits, type PreparedTarget, type TargetKind } from './layout';
export { computeSlice, computeSliceFromPair } from './slice';
export { crossEntropy, type CrossEntropyOptions } from './crossEntropy';
export { bceWithLogits } from './bce';
export { diceLoss, diceFromDense, diceInputs, type DiceOptions } from './dice';
export { diceCeLoss } from './diceCe';
export { logSoftmax, logSoftmaxRow } from './logSoftmax';
