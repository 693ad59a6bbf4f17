/**
 * The folder view's rows: one per evaluated case (Dice per label, the case's mean Dice over labels, the loss
 * columns), sorted by any column with NaN and missing values last, worst cases first by default (highest loss
 * when there is a loss, else lowest mean Dice). Pure (no DOM): the Node tests import it.
 */
import type { DatasetSummary } from '../../src/dataset/summary';
import { nanMean } from '../../src/dataset/summary';

export interface CaseRow {
  id: string;
  /** Dice per label, in `labels` order (NaN where the label is absent from both). */
  dice: number[];
  /** The case's Dice averaged over its labels, NaN ignored. */
  meanDice: number;
  loss: number | null;
  hard: number | null;
  smoothed: number | null;
}

export type SortKey = 'case' | 'meanDice' | 'loss' | 'hard' | 'smoothed' | `dice:${number}`;
export type SortDirection = 'ascending' | 'descending';

export function caseRows(s: DatasetSummary): CaseRow[] {
  const loss = new Map(s.cases.map((c) => [c.id, c]));
  return s.metric_per_case.map((c, i) => {
    const id = s.case_ids[i]!;
    const dice = s.labels.map((l) => c.metrics[String(l)]!.Dice);
    const l = loss.get(id);
    return { id, dice, meanDice: nanMean(dice), loss: l?.loss.total ?? null, hard: l?.hard.total ?? null, smoothed: l?.smoothed?.total ?? null };
  });
}

/** Worst first: the highest loss when the cases have one, else the lowest mean Dice. */
export function defaultSort(s: DatasetSummary): { key: SortKey; dir: SortDirection } {
  return s.cases.length > 0 ? { key: 'loss', dir: 'descending' } : { key: 'meanDice', dir: 'ascending' };
}

function value(r: CaseRow, key: SortKey): number | string | null {
  if (key === 'case') return r.id;
  if (key.startsWith('dice:')) return r.dice[Number(key.slice(5))] ?? null;
  return r[key as 'meanDice' | 'loss' | 'hard' | 'smoothed'];
}

/** A stable sort by `key`; NaN and null go last in either direction, ties keep case-id order. */
export function sortRows(rows: readonly CaseRow[], key: SortKey, dir: SortDirection): CaseRow[] {
  const sign = dir === 'ascending' ? 1 : -1;
  const missing = (v: number | string | null) => v === null || (typeof v === 'number' && Number.isNaN(v));
  return [...rows].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    if (missing(va) || missing(vb)) return missing(va) === missing(vb) ? (a.id < b.id ? -1 : 1) : missing(va) ? 1 : -1;
    if (va! < vb!) return -sign;
    if (va! > vb!) return sign;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/**
 * A heat-map colour for a Dice in [0, 1]: red (0) through amber to green (1), as an `rgb()` string. Light enough
 * everywhere for the cells' dark text (#111) to keep WCAG's 4.5:1 in every theme (the cell sets both).
 */
export function diceColor(d: number): string | null {
  if (!Number.isFinite(d)) return null;
  const t = Math.min(1, Math.max(0, d));
  // Two linear segments: (230, 110, 100) → (225, 180, 60) → (90, 175, 100).
  const mix = (a: number, b: number, u: number) => Math.round(a + (b - a) * u);
  if (t < 0.5) {
    const u = t / 0.5;
    return `rgb(${mix(230, 225, u)}, ${mix(110, 180, u)}, ${mix(100, 60, u)})`;
  }
  const u = (t - 0.5) / 0.5;
  return `rgb(${mix(225, 90, u)}, ${mix(180, 175, u)}, ${mix(60, 100, u)})`;
}
