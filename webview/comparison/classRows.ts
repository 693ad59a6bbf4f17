/**
 * The per-class table's rows derived from a Report, their sorting, and their export as Markdown, CSV and
 * JSON (what "Copy as Markdown", "Save CSV" and "Save JSON" hand to the host). No DOM here.
 */
import type { ComparisonState } from '../../src/protocol/messages';
import type { Report } from '../../src/engine/types';
import { className, difference } from '../common/format';

export interface ClassRow {
  class: number;
  name: string;
  count: number;
  ceHard: number | null;
  ceSmoothed: number | null;
  /** ceSmoothed − ceHard. */
  ceDelta: number | null;
  diceHard: number | null;
  diceSmoothed: number | null;
  /** diceSmoothed − diceHard. */
  diceDelta: number | null;
  /** This class's share of `loss.total` at the configured ε (all classes add up to it). */
  contribution: number;
  contributionCe: number | null;
  contributionDice: number | null;
}

export type ColumnKey = Exclude<keyof ClassRow, 'name' | 'contributionCe' | 'contributionDice'>;

export interface Column {
  key: ColumnKey;
  label: string;
  /** Longer header text for tooltips and exports. */
  description: string;
  /** Which series colour the header shows. */
  series?: 'hard' | 'smoothed';
}

export const COLUMNS: readonly Column[] = [
  { key: 'class', label: 'Class', description: 'Class index and name' },
  { key: 'count', label: 'Count', description: 'Kept elements of the class (index targets) or the sum of its target channel' },
  { key: 'ceHard', label: 'CE hard', description: 'Mean CE over the class’s elements at ε = 0', series: 'hard' },
  { key: 'ceSmoothed', label: 'CE smoothed', description: 'Mean CE over the class’s elements at the configured ε', series: 'smoothed' },
  { key: 'ceDelta', label: 'Δ CE', description: 'CE smoothed − CE hard' },
  { key: 'diceHard', label: 'Dice hard', description: 'Dice loss of the class at ε = 0 (batch-averaged)', series: 'hard' },
  { key: 'diceSmoothed', label: 'Dice smoothed', description: 'Dice loss of the class against the smoothed target', series: 'smoothed' },
  { key: 'diceDelta', label: 'Δ Dice', description: 'Dice smoothed − Dice hard' },
  { key: 'contribution', label: 'Contribution', description: 'The class’s share of the total loss at the configured ε' },
];


export function classRows(report: Report, names: readonly string[] | null): ClassRow[] {
  return (report.perClass ?? []).map((c) => ({
    class: c.class,
    name: className(c.class, names),
    count: c.count,
    ceHard: c.ceHard,
    ceSmoothed: c.ceSmoothed,
    ceDelta: difference(c.ceSmoothed, c.ceHard),
    diceHard: c.diceHard,
    diceSmoothed: c.diceSmoothed,
    diceDelta: difference(c.diceSmoothed, c.diceHard),
    contribution: c.contribution.total,
    contributionCe: c.contribution.ce,
    contributionDice: c.contribution.dice,
  }));
}

export type SortDirection = 'ascending' | 'descending';

/** A stable sort by one column; null and NaN values go last in either direction. */
export function sortRows(rows: readonly ClassRow[], key: ColumnKey, dir: SortDirection): ClassRow[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const x = a.r[key];
      const y = b.r[key];
      const xm = x === null || Number.isNaN(x);
      const ym = y === null || Number.isNaN(y);
      if (xm || ym) return xm === ym ? a.i - b.i : xm ? 1 : -1;
      return (x as number) === (y as number) ? a.i - b.i : ((x as number) < (y as number) ? -1 : 1) * sign;
    })
    .map((e) => e.r);
}

/** Six significant digits for reading; exports for machines (CSV, JSON) keep full precision. */
function short(x: number | null): string {
  if (x === null) return '—';
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(6)).toString();
}

export function toMarkdown(rows: readonly ClassRow[], state: ComparisonState): string {
  const r = state.report;
  const head = COLUMNS.map((c) => c.label);
  const lines = [
    `Loss Inspector — ${state.logits.label} vs ${state.target.label}, loss ${r.config.loss}, ε = ${r.config.labelSmoothing}`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${COLUMNS.map((c) => (c.key === 'class' ? '---' : '---:')).join(' | ')} |`,
    ...rows.map(
      (row) =>
        `| ${COLUMNS.map((c) => (c.key === 'class' ? `${row.class} ${escapeMd(row.name)}` : c.key === 'count' ? String(row.count) : short(row[c.key]))).join(' | ')} |`,
    ),
    '',
    `Total ${short(r.loss.total)} (Dice ${short(r.loss.dice)}, CE ${short(r.loss.ce)}); hard total ${short(r.hard.total)}; smoothed total ${short(r.smoothed?.total ?? null)}; floor ${short(r.floor)}.`,
  ];
  return lines.join('\n') + '\n';
}

function escapeMd(s: string): string {
  return s.replace(/[|\\]/g, (c) => `\\${c}`);
}

const CSV_KEYS: readonly (keyof ClassRow)[] = [
  'class', 'name', 'count', 'ceHard', 'ceSmoothed', 'ceDelta', 'diceHard', 'diceSmoothed', 'diceDelta',
  'contribution', 'contributionCe', 'contributionDice',
];

export function toCsv(rows: readonly ClassRow[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [CSV_KEYS.join(','), ...rows.map((row) => CSV_KEYS.map((k) => cell(row[k])).join(','))].join('\n') + '\n';
}

/** The summary and the rows, with the inputs and options that produced them. */
export function toJson(rows: readonly ClassRow[], state: ComparisonState): string {
  const r = state.report;
  const doc = {
    logits: state.logits.label,
    target: state.target.label,
    options: state.options,
    numClasses: r.numClasses,
    logitsShape: r.logitsShape,
    targetShape: r.targetShape,
    targetKind: r.targetKind,
    loss: r.loss,
    hard: r.hard,
    smoothed: r.smoothed,
    floor: r.floor,
    warnings: r.warnings,
    perClass: rows,
  };
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/** `preds.pt#logits` → `preds-logits`: a file-name stem for saved exports. */
export function exportStem(state: ComparisonState): string {
  const base = state.logits.label.split(/[\\/]/).pop() ?? 'loss';
  const stem = base.replace(/\.(npy|npz|pt|pth|safetensors|nii\.gz|nii)(?=#|$)/i, '').replace(/[#:]/g, '-');
  return `${stem || 'loss'}-per-class`;
}
