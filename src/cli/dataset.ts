/**
 * `loss-inspect dataset <predictions>[#key] <references> [loss options] [--labels 1,2,3] [--ignore-label N]
 *  [--out summary.json] [--json] [--threads N] [--no-loss]`
 * Evaluates a validation set: pairs the folders by case id, streams the cases through worker threads, and
 * prints nnU-Net's per-case and mean metrics, the pooled Dice and the per-case losses (or the JSON summary).
 * Exit status: 0 every case evaluated; 1 some cases failed (listed, the rest computed); 2 nothing evaluated or
 * bad input.
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { classNamesIn } from './classNames';
import type { LossOptions } from '../engine/types';
import type { DatasetSummary } from '../dataset/summary';
import { evaluateFolder, type FolderProgress } from '../parallel/evaluateFolder';
import { UsageError } from './errors';
import { parseFolderSpec } from './loadTensor';
import { fmtNum, table, toJson } from './format';
import { effectiveOptions, parseReportArgs } from './report';
import { POOLED_NOTE, progressLine } from '../dataset/text';

export const DATASET_USAGE = `usage: loss-inspect dataset <predictions>[#key] <references> [loss options] [--labels 1,2,3] [--ignore-label N]
                            [--out summary.json] [--json] [--threads N] [--no-loss]

Pairs the two folders by case id (the file name without its extension, a trailing _0000 and one of
_logits, _probs, _pred, _seg, _label). Predictions are label maps (metrics only) or logits/probabilities
(1, C, *spatial) or (C, *spatial) (metrics on the argmax, plus the loss per case as 'report' computes it).
'#key' picks the tensor inside every prediction container (e.g. preds#probabilities).

  --labels L1,L2,...     labels to evaluate (default 1…C−1 for logits, else every non-zero value found)
  --ignore-label N       reference value whose voxels are left out of every count
  --out FILE.json        write the summary (nnU-Net's summary.json fields plus cases, pooled, unmatched)
  --json                 print the summary as JSON on stdout
  --no-loss              metrics only, also for logits
  --threads N            worker threads (cases in flight: at most 3)
  loss options           as for 'loss-inspect report' (--loss, --label-smoothing, --to-onehot-y, --softmax, …)

Exit status: 0 every case evaluated, 1 some cases failed, 2 nothing evaluated or a bad option.`;

export interface DatasetArgs {
  predictions: string;
  predictionKey: string | null;
  references: string;
  loss: LossOptions | null;
  labels: number[] | null;
  ignoreLabel: number | null;
  out: string | null;
  json: boolean;
  threads: number;
  maxTensorBytes: number | null;
  /** From --class-names, else a classes.json in either folder or the predictions' parent (found at run time). */
  classNames: string[] | null;
}

function parseInteger(flag: string, v: string): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isSafeInteger(n)) throw new UsageError(`dataset: ${flag} needs integers, got '${v}'`);
  return n;
}

export function parseDatasetArgs(args: string[]): DatasetArgs | 'help' {
  const rest: string[] = [];
  let labels: number[] | null = null;
  let ignoreLabel: number | null = null;
  let out: string | null = null;
  let noLoss = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`dataset: ${a} needs a value`);
      return v;
    };
    if (a === '--labels') {
      labels = value().split(',').map((s) => parseInteger('--labels', s));
      if (labels.length === 0 || new Set(labels).size !== labels.length) throw new UsageError('dataset: --labels needs distinct integers, e.g. 1,2,3');
    } else if (a === '--ignore-label') ignoreLabel = parseInteger('--ignore-label', value());
    else if (a === '--out') out = value();
    else if (a === '--no-loss') noLoss = true;
    else rest.push(a);
  }
  const r = parseReportArgs(rest, 'dataset');
  if (r === 'help') return 'help';
  const { uri: folder, key } = parseFolderSpec(r.logits);
  return {
    predictions: folder,
    predictionKey: key,
    references: r.target,
    loss: noLoss ? null : effectiveOptions(r),
    labels,
    ignoreLabel,
    out,
    json: r.json,
    threads: r.threads,
    maxTensorBytes: r.maxTensorBytes,
    classNames: r.classNames,
  };
}

/** A classes.json (a JSON array of strings) in either folder or the predictions' parent, as the folder view finds it. */
export function findFolderClassNames(a: DatasetArgs): string[] | null {
  return a.classNames ?? classNamesIn([a.predictions, a.references, dirname(a.predictions)]);
}

export function renderSummary(s: DatasetSummary, names: string[] | null = null): string {
  const out: string[] = [];
  const labels = s.labels.map(String);
  const title = (k: string) => (names?.[Number(k)] !== undefined ? `Dice ${k} ${names[Number(k)]}` : `Dice ${k}`);
  const loss = new Map(s.cases.map((c) => [c.id, c]));
  const hasLoss = s.cases.length > 0;
  const header = ['case', ...labels.map(title), ...(hasLoss ? ['loss', 'hard', 'smoothed'] : [])];
  const rows = s.metric_per_case.map((c, i) => {
    const id = s.case_ids[i]!;
    const l = loss.get(id);
    return [
      id,
      ...labels.map((k) => fmtNum(c.metrics[k]!.Dice, 4)),
      ...(hasLoss ? [fmtNum(l?.loss.total ?? null), fmtNum(l?.hard.total ?? null), fmtNum(l?.smoothed?.total ?? null)] : []),
    ];
  });
  const blank = hasLoss ? ['', '', ''] : [];
  rows.push(['mean', ...labels.map((k) => fmtNum(s.mean[k]!.Dice, 4)), ...blank]);
  rows.push(['pooled', ...labels.map((k) => fmtNum(s.pooled[k]!.Dice, 4)), ...blank]);
  out.push(table(header, rows));
  out.push('', `foreground mean Dice ${fmtNum(s.foreground_mean.Dice, 4)} · IoU ${fmtNum(s.foreground_mean.IoU, 4)}`);
  out.push(POOLED_NOTE);
  if (s.ignore_label !== null) out.push(`voxels whose reference is ${s.ignore_label} are left out of every count`);
  for (const f of s.failed) out.push(`failed ${f.id}: ${f.error}`);
  return out.join('\n');
}

export async function runDataset(args: string[]): Promise<number> {
  const a = parseDatasetArgs(args);
  if (a === 'help') {
    process.stdout.write(DATASET_USAGE + '\n');
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const run = await evaluateFolder({
    predictions: a.predictions,
    predictionKey: a.predictionKey,
    references: a.references,
    loss: a.loss,
    labels: a.labels,
    ignoreLabel: a.ignoreLabel,
    threads: a.threads,
    ...(a.maxTensorBytes ? { limits: { maxTensorBytes: a.maxTensorBytes } } : {}),
    ...(tty ? { onProgress: (p: FolderProgress) => process.stderr.write(`\r\x1b[K${progressLine(p)}`) } : {}),
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const s = run.summary;
  for (const f of s.unmatched.predictions) process.stderr.write(`warning: prediction ${f} has no reference (unmatched)\n`);
  for (const f of s.unmatched.references) process.stderr.write(`warning: reference ${f} has no prediction (unmatched)\n`);
  for (const f of s.failed) process.stderr.write(`error: case ${f.id}: ${f.error}\n`);
  if (a.out) {
    try {
      writeFileSync(a.out, toJson(s) + '\n');
    } catch (e) {
      throw new UsageError(`${a.out}: cannot write the summary (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  const evaluated = s.metric_per_case.length;
  if (a.json) process.stdout.write(toJson(s) + '\n');
  else if (evaluated > 0) {
    process.stdout.write(renderSummary(s, findFolderClassNames(a)) + '\n');
    process.stdout.write(`${evaluated} case(s) evaluated, ${s.failed.length} failed, in ${(run.elapsedMs / 1000).toFixed(2)} s on ${run.lanes} thread(s)\n`);
  }
  if (evaluated === 0) {
    process.stderr.write(`loss-inspect: dataset: no case could be evaluated (${s.failed.length} failed, ${s.unmatched.predictions.length + s.unmatched.references.length} unmatched)\n`);
    return 2;
  }
  return s.failed.length > 0 ? 1 : 0;
}
