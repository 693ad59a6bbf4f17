/**
 * The dataset summary as CSV: one row per case (Dice and IoU per label, then the loss columns when the
 * predictions were scores), then the `mean`, `foreground_mean` and `pooled` rows and one row per failed case.
 * Non-finite numbers are written as `NaN` / `Infinity` (what numpy and pandas read back). Pure.
 */
import type { DatasetSummary } from './summary';

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : '-Infinity';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function summaryToCsv(s: DatasetSummary): string {
  const labels = s.labels.map(String);
  const lossCols = s.cases.length > 0;
  const header = ['row', 'case', 'prediction_file', 'reference_file', ...labels.flatMap((l) => [`Dice_${l}`, `IoU_${l}`])];
  if (lossCols) header.push('loss_total', 'loss_dice', 'loss_ce', 'hard_total', 'smoothed_total');
  header.push('error');
  const rows: (string | number | null)[][] = [];
  const lossById = new Map(s.cases.map((c) => [c.id, c]));
  const emptyLoss = lossCols ? [null, null, null, null, null] : [];
  s.metric_per_case.forEach((c, i) => {
    const id = s.case_ids[i]!;
    const l = lossById.get(id);
    rows.push([
      'case',
      id,
      c.prediction_file,
      c.reference_file,
      ...labels.flatMap((k) => [c.metrics[k]!.Dice, c.metrics[k]!.IoU]),
      ...(lossCols ? (l ? [l.loss.total, l.loss.dice, l.loss.ce, l.hard.total, l.smoothed?.total ?? null] : emptyLoss) : []),
      null,
    ]);
  });
  const meanOf = (k: 'total' | 'dice' | 'ce', pick: (c: DatasetSummary['cases'][number]) => number | null | undefined) => {
    const xs = s.cases.map(pick).filter((x): x is number => typeof x === 'number');
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : k === 'total' ? NaN : null;
  };
  rows.push([
    'mean',
    '',
    '',
    '',
    ...labels.flatMap((k) => [s.mean[k]!.Dice, s.mean[k]!.IoU]),
    ...(lossCols
      ? [
          meanOf('total', (c) => c.loss.total),
          meanOf('dice', (c) => c.loss.dice),
          meanOf('ce', (c) => c.loss.ce),
          meanOf('total', (c) => c.hard.total),
          meanOf('total', (c) => c.smoothed?.total),
        ]
      : []),
    null,
  ]);
  rows.push(['foreground_mean', '', '', '', ...labels.flatMap(() => [s.foreground_mean.Dice, s.foreground_mean.IoU]), ...emptyLoss, null]);
  rows.push(['pooled', '', '', '', ...labels.flatMap((k) => [s.pooled[k]!.Dice, s.pooled[k]!.IoU]), ...emptyLoss, null]);
  for (const f of s.failed) rows.push(['failed', f.id, f.prediction_file, f.reference_file, ...labels.flatMap(() => [null, null]), ...emptyLoss, f.error]);
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
