/**
 * The per-class table's rows derived from a Report, their sorting, and their export as Markdown, CSV and
 * JSON (what "Copy as Markdown", "Save CSV" and "Save JSON" hand to the host). No DOM here.
 */
import type { ComparisonState } from '../../src/protocol/messages';
import type { ClassReport, LossKind, Report } from '../../src/engine/types';
import type { ClassNames, ClassSortKey } from '../../src/protocol/classPage';
import { lossTerms } from '../../src/engine/familyRules';
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
  /** The focal term's per-class mean (focal families), hard and smoothed target. */
  focalHard: number | null;
  focalSmoothed: number | null;
  /** focalSmoothed − focalHard. */
  focalDelta: number | null;
  /** This class's share of `loss.total` at the configured ε (all classes add up to it). */
  contribution: number;
  contributionCe: number | null;
  contributionDice: number | null;
  contributionFocal: number | null;
}

export type ColumnKey = Exclude<keyof ClassRow, 'name' | 'contributionCe' | 'contributionDice' | 'contributionFocal'>;
/** The host sorts pages by the same columns (src/protocol/classPage.ts): the two lists must not drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const columnsMatchPages: Same<ColumnKey, ClassSortKey> = true;
void columnsMatchPages;

export interface Column {
  key: ColumnKey;
  label: string;
  /** Longer header text for tooltips and exports. */
  description: string;
  /** Which series colour the header shows. */
  series?: 'hard' | 'smoothed';
  /**
   * The grid track. Minimums in em follow the font size and hold each header's longest word plus the cell
   * padding ("smoothed" is 5.6 em in bold DejaVu Sans); the numbers (≈ 4.2 em) fit every numeric column.
   */
  track: string;
}

const termColumns = (term: 'ce' | 'dice' | 'focal', label: string, what: string): Column[] => [
  { key: `${term}Hard`, label: `${label} hard`, description: `${what} at ε = 0`, series: 'hard', track: 'minmax(5.6em, 1fr)' },
  { key: `${term}Smoothed`, label: `${label} smoothed`, description: `${what} against the smoothed target`, series: 'smoothed', track: 'minmax(6.8em, 1fr)' },
  { key: `${term}Delta`, label: `Δ ${label}`, description: `${label} smoothed − ${label} hard`, track: 'minmax(5.8em, 1fr)' },
];

const CLASS_COLUMN: Column = { key: 'class', label: 'Class', description: 'Class index and name', track: 'minmax(9em, 2fr)' };
const COUNT_COLUMN: Column = { key: 'count', label: 'Count', description: 'Kept elements of the class (index targets) or the sum of its target channel', track: 'minmax(5.5em, 1fr)' };
const CONTRIBUTION_COLUMN: Column = { key: 'contribution', label: 'Contribution', description: 'The class’s share of the total loss at the configured ε', track: 'minmax(8.8em, 1.5fr)' };

/** The columns of CE, Dice and DiceCE comparisons. */
export const COLUMNS: readonly Column[] = [
  CLASS_COLUMN,
  COUNT_COLUMN,
  { key: 'ceHard', label: 'CE hard', description: 'Mean CE over the class’s elements at ε = 0', series: 'hard', track: 'minmax(5.6em, 1fr)' },
  { key: 'ceSmoothed', label: 'CE smoothed', description: 'Mean CE over the class’s elements at the configured ε', series: 'smoothed', track: 'minmax(6.8em, 1fr)' },
  { key: 'ceDelta', label: 'Δ CE', description: 'CE smoothed − CE hard', track: 'minmax(5.8em, 1fr)' },
  { key: 'diceHard', label: 'Dice hard', description: 'Dice loss of the class at ε = 0 (batch-averaged)', series: 'hard', track: 'minmax(5.6em, 1fr)' },
  { key: 'diceSmoothed', label: 'Dice smoothed', description: 'Dice loss of the class against the smoothed target', series: 'smoothed', track: 'minmax(6.8em, 1fr)' },
  { key: 'diceDelta', label: 'Δ Dice', description: 'Dice smoothed − Dice hard', track: 'minmax(5.8em, 1fr)' },
  CONTRIBUTION_COLUMN,
];

/**
 * The columns for a report: the original losses keep COLUMNS; a MONAI family shows its overlap term named after it
 * (none per class for the generalized Dice, which mixes the classes) and its focal term, and the contribution
 * except for the generalized Dice losses (their overlap term has no per-class share).
 */
export function columnsFor(report: Report): readonly Column[] {
  const loss = report.config.loss;
  if (loss === 'ce' || loss === 'dice' || loss === 'dicece') return COLUMNS;
  const out: Column[] = [CLASS_COLUMN, COUNT_COLUMN];
  for (const t of lossTerms(loss, report.numClasses)) {
    if (t.key === 'dice' && (loss === 'gdice' || loss === 'gdicefocal')) continue;
    out.push(...termColumns(t.key, t.label, t.key === 'focal' ? 'Mean focal loss of the class’s channel over every item and position' : `${t.label} loss of the class (batch-averaged)`));
  }
  if (loss !== 'gdice' && loss !== 'gdicefocal') out.push(CONTRIBUTION_COLUMN);
  return out;
}


export function classRows(report: Report, names: ClassNames | null): ClassRow[] {
  return rowsOf(report.perClass ?? [], names);
}

/** Table rows of per-class numbers (a report's, or one page of them). */
export function rowsOf(perClass: readonly ClassReport[], names: ClassNames | null): ClassRow[] {
  return perClass.map((c) => ({
    class: c.class,
    name: className(c.class, names),
    count: c.count,
    ceHard: c.ceHard,
    ceSmoothed: c.ceSmoothed,
    ceDelta: difference(c.ceSmoothed, c.ceHard),
    diceHard: c.diceHard,
    diceSmoothed: c.diceSmoothed,
    diceDelta: difference(c.diceSmoothed, c.diceHard),
    focalHard: c.focalHard,
    focalSmoothed: c.focalSmoothed,
    focalDelta: difference(c.focalSmoothed, c.focalHard),
    contribution: c.contribution.total,
    contributionCe: c.contribution.ce,
    contributionDice: c.contribution.dice,
    contributionFocal: c.contribution.focal,
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
  const COLUMNS = columnsFor(r);
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
    `Total ${short(r.loss.total)} (${termsText(r)}); hard total ${short(r.hard.total)}; smoothed total ${short(r.smoothed?.total ?? null)}; floor ${short(r.floor)}.`,
  ];
  return lines.join('\n') + '\n';
}

/** `Dice 0.4, CE 0.8` for the original losses, the family's own terms for the others. */
function termsText(r: Report): string {
  const loss = r.config.loss;
  const terms = loss === 'ce' || loss === 'dice' || loss === 'dicece' ? [{ key: 'dice' as const, label: 'Dice' }, { key: 'ce' as const, label: 'CE' }] : lossTerms(loss, r.numClasses);
  return terms.map((t) => `${t.label} ${short(r.loss[t.key])}`).join(', ');
}

function escapeMd(s: string): string {
  return s.replace(/[|\\]/g, (c) => `\\${c}`);
}

const ORIGINAL_CSV_KEYS: readonly (keyof ClassRow)[] = [
  'class', 'name', 'count', 'ceHard', 'ceSmoothed', 'ceDelta', 'diceHard', 'diceSmoothed', 'diceDelta',
  'contribution', 'contributionCe', 'contributionDice',
];
/** The MONAI families: their overlap and focal columns (no CE term), and the focal part of the contribution. */
const FAMILY_CSV_KEYS: readonly (keyof ClassRow)[] = [
  'class', 'name', 'count', 'diceHard', 'diceSmoothed', 'diceDelta', 'focalHard', 'focalSmoothed', 'focalDelta',
  'contribution', 'contributionDice', 'contributionFocal',
];

export function toCsv(rows: readonly ClassRow[], loss: LossKind = 'dicece'): string {
  const CSV_KEYS = loss === 'ce' || loss === 'dice' || loss === 'dicece' ? ORIGINAL_CSV_KEYS : FAMILY_CSV_KEYS;
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
