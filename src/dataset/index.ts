/**
 * Validation-set evaluation, the pure part: pairing files by case id, nnU-Net's metrics in one pass per case,
 * the per-case loss through the engine, and the folder summary (JSON and CSV). The streaming runner over
 * worker threads is src/parallel/evaluateFolder.ts (Node).
 */
export { caseId, pairCases, isTensorFileName, DuplicateCaseError, type CasePair, type Pairing } from './pairing';
export {
  countLabelMaps,
  countScores,
  labelMetrics,
  labelValues,
  metricsFromCounts,
  METRIC_NAMES,
  type CaseCounts,
  type LabelMetrics,
  type MetricName,
  type ValueCount,
} from './segMetrics';
export { evaluateCase, predictionKind, squeezeLeading, type CaseEvaluation, type CaseLoss, type EvaluateOptions } from './evaluateCase';
export { summarize, chooseLabels, nanMean, plainMean, type CaseRecord, type DatasetSummary, type FailedCase, type PooledMetrics, type SummaryInput } from './summary';
export { summaryToCsv } from './csv';
