/**
 * The folder's summary from its evaluated cases: nnU-Net's `summary.json` fields with nnU-Net's meaning
 * (`metric_per_case`, `mean` = each metric's mean over cases ignoring NaN, `foreground_mean` = the plain mean
 * over labels ≠ 0 of `mean`, as `compute_metrics_on_folder` computes them), then ours: the per-case losses
 * (`cases`), the Dice and IoU pooled over every voxel of the set (`pooled`), the unmatched and failed files.
 * Pure: built from small per-case records, so a streaming run keeps only those.
 */
import type { LossOptions } from '../engine/types';
import type { CaseLoss, CaseEvaluation } from './evaluateCase';
import { labelMetrics, metricsFromCounts, METRIC_NAMES, type CaseCounts, type LabelMetrics, type MetricName } from './segMetrics';

/** One evaluated case as the runner keeps it (file names as given to the summary: paths or URIs). */
export interface CaseRecord {
  id: string;
  prediction_file: string;
  reference_file: string;
  kind: CaseEvaluation['kind'];
  numClasses: number;
  counts: CaseCounts;
  loss: CaseLoss | null;
}

export interface FailedCase {
  id: string;
  prediction_file: string;
  reference_file: string;
  /** One line: the file and the problem. */
  error: string;
}

export interface PooledMetrics {
  Dice: number;
  IoU: number;
  TP: number;
  FP: number;
  FN: number;
}

export interface DatasetSummary {
  metric_per_case: { reference_file: string; prediction_file: string; metrics: Record<string, LabelMetrics> }[];
  mean: Record<string, Record<MetricName, number>>;
  foreground_mean: Record<MetricName, number>;
  /** Per-case losses, for score predictions with a loss (in metric_per_case's order). */
  cases: ({ id: string } & CaseLoss)[];
  /** Per label: Dice and IoU from TP, FP and FN summed over all cases. */
  pooled: Record<string, PooledMetrics>;
  unmatched: { predictions: string[]; references: string[] };
  failed: FailedCase[];
  /** The labels evaluated, and what left voxels out. */
  labels: number[];
  ignore_label: number | null;
  /** The loss options of `cases` (null when no case had scores). */
  loss_options: LossOptions | null;
  /** Case ids in metric_per_case's order (nnU-Net's rows carry only file names). */
  case_ids: string[];
}

/** NaN-ignoring mean (numpy.nanmean): NaN when every value is NaN or there are none. */
export function nanMean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (Number.isNaN(x)) continue;
    s += x;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

/** Plain mean (numpy.mean): NaN propagates; NaN for no values. */
export function plainMean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The labels to evaluate: the given ones; else 1…C−1 when any prediction had C channels (the largest C);
 * else every non-zero value seen in a reference or a prediction. The ignore label is never one of them.
 */
export function chooseLabels(records: readonly CaseRecord[], given: readonly number[] | null, ignoreLabel: number | null): number[] {
  if (given) return [...given];
  const C = Math.max(0, ...records.map((r) => r.numClasses));
  let labels: number[];
  if (C > 0) labels = Array.from({ length: C - 1 }, (_, i) => i + 1);
  else {
    const seen = new Set<number>();
    for (const r of records) for (const v of r.counts.values) if (v.value !== 0 && Number.isFinite(v.value)) seen.add(v.value);
    labels = [...seen].sort((a, b) => a - b);
  }
  return labels.filter((l) => l !== ignoreLabel);
}

export interface SummaryInput {
  records: readonly CaseRecord[];
  failed: readonly FailedCase[];
  unmatched: { predictions: string[]; references: string[] };
  labels: readonly number[] | null;
  ignoreLabel: number | null;
  lossOptions: LossOptions | null;
}

export function summarize(input: SummaryInput): DatasetSummary {
  const records = [...input.records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const labels = chooseLabels(records, input.labels, input.ignoreLabel);
  const metric_per_case = records.map((r) => ({
    reference_file: r.reference_file,
    prediction_file: r.prediction_file,
    metrics: Object.fromEntries(labels.map((l) => [String(l), labelMetrics(r.counts, l)])),
  }));
  const mean: DatasetSummary['mean'] = {};
  const pooled: DatasetSummary['pooled'] = {};
  for (const l of labels) {
    const key = String(l);
    const per = metric_per_case.map((c) => c.metrics[key]!);
    mean[key] = Object.fromEntries(METRIC_NAMES.map((m) => [m, nanMean(per.map((x) => x[m]))])) as Record<MetricName, number>;
    let TP = 0;
    let FP = 0;
    let FN = 0;
    for (const x of per) {
      TP += x.TP;
      FP += x.FP;
      FN += x.FN;
    }
    const m = metricsFromCounts(TP, FP, FN, 0);
    pooled[key] = { Dice: m.Dice, IoU: m.IoU, TP, FP, FN };
  }
  const fgKeys = labels.filter((l) => l !== 0).map(String);
  const foreground_mean = Object.fromEntries(METRIC_NAMES.map((m) => [m, plainMean(fgKeys.map((k) => mean[k]![m]))])) as Record<MetricName, number>;
  const cases = records.filter((r) => r.loss).map((r) => ({ id: r.id, ...r.loss! }));
  return {
    metric_per_case,
    mean,
    foreground_mean,
    cases,
    pooled,
    unmatched: input.unmatched,
    failed: [...input.failed].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    labels,
    ignore_label: input.ignoreLabel,
    loss_options: cases.length ? input.lossOptions : null,
    case_ids: records.map((r) => r.id),
  };
}
