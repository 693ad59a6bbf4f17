/**
 * The per-class table at vocabulary scale. A language model's report has one row per token (32k–152k); the
 * comparison view cannot take them in one message, nor draw them. Above {@link VIEW_ALL_CLASSES} classes the host
 * sends the view only the table's selection (the top classes by count and by contribution, the rest summed:
 * vocabulary.ts's `selectClasses`, as the CLI's text table) and answers `classPage` requests — one sorted page of
 * rows at a time — from the full list it keeps. Pure: the host and the tests use it; the webview imports its types.
 */
import { selectClasses, type ClassSelection } from '../engine/vocabulary';
import type { ClassReport, Report } from '../engine/types';

/** Above this many classes the view gets the selection and pages through the rest. */
export const VIEW_ALL_CLASSES = 1024;
/** Classes by count and by contribution in the view's selection (as the CLI's text table). */
export const VIEW_TOP_CLASSES = 50;
/** Rows per page (and the most a page request may ask for). */
export const CLASS_PAGE_ROWS = 50;
export const CLASS_PAGE_MAX_ROWS = 500;

/** Columns a page can be sorted by: the per-class table's (deltas are smoothed − hard). */
export type ClassSortKey =
  | 'class' | 'count'
  | 'ceHard' | 'ceSmoothed' | 'ceDelta'
  | 'diceHard' | 'diceSmoothed' | 'diceDelta'
  | 'focalHard' | 'focalSmoothed' | 'focalDelta'
  | 'contribution';
export type SortDirection = 'ascending' | 'descending';

const SORT_KEYS: ReadonlySet<string> = new Set<ClassSortKey>([
  'class', 'count', 'ceHard', 'ceSmoothed', 'ceDelta', 'diceHard', 'diceSmoothed', 'diceDelta', 'focalHard', 'focalSmoothed', 'focalDelta', 'contribution',
]);

/** What the view needs to know about a table it only has part of. */
export interface ClassTableInfo {
  /** Every class of the report (the pages cover them all). */
  total: number;
  /** The selection's size parameter: top `top` by count and top `top` by |contribution|. */
  top: number;
  /** The classes outside the selection, summed (count and contribution); null when none. */
  rest: ClassSelection['rest'];
}

export interface ClassPageRequest {
  sort: ClassSortKey;
  dir: SortDirection;
  offset: number;
  limit: number;
}

export interface ClassPage {
  /** The request's offset (clamped to the table). */
  offset: number;
  total: number;
  rows: ClassReport[];
  /** The names of the page's classes (when the comparison has names). */
  names: ClassNames | null;
}

/**
 * Class names by class index: every class's (a list), or with a vocabulary only those of the classes a message
 * carries (a record keyed by class index) — a tokenizer's 150k names never cross at once.
 */
export type ClassNames = readonly string[] | Readonly<Record<number, string>>;

/** The names of `classes` only (null without names). */
export function namesOf(names: readonly string[] | null, classes: Iterable<number>): Record<number, string> | null {
  if (!names) return null;
  const out: Record<number, string> = {};
  for (const c of classes) if (names[c] !== undefined) out[c] = names[c]!;
  return out;
}

const diff = (s: number | null, h: number | null) => (s === null || h === null ? null : s - h);

/** The value a class is sorted by for one column (null: not applicable). */
export function classSortValue(c: ClassReport, key: ClassSortKey): number | null {
  switch (key) {
    case 'ceDelta':
      return diff(c.ceSmoothed, c.ceHard);
    case 'diceDelta':
      return diff(c.diceSmoothed, c.diceHard);
    case 'focalDelta':
      return diff(c.focalSmoothed, c.focalHard);
    case 'contribution':
      return c.contribution.total;
    default:
      return c[key];
  }
}

/**
 * Every class in one column's order — the webview's `sortRows` order: null and NaN last in either direction, ties in
 * class order.
 */
export function sortedClassOrder(perClass: readonly ClassReport[], key: ClassSortKey, dir: SortDirection): Int32Array {
  const n = perClass.length;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = classSortValue(perClass[i]!, key);
    v[i] = x === null ? NaN : x;
  }
  const sign = dir === 'ascending' ? 1 : -1;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const x = v[a]!;
    const y = v[b]!;
    const xm = Number.isNaN(x);
    const ym = Number.isNaN(y);
    if (xm || ym) return xm === ym ? a - b : xm ? 1 : -1;
    return x === y ? a - b : (x < y ? -1 : 1) * sign;
  });
  return order;
}

/** Checks a page request from the view (a request that names no column or a negative offset is refused). */
export function checkPageRequest(p: unknown): ClassPageRequest {
  const r = (typeof p === 'object' && p !== null ? p : {}) as Partial<ClassPageRequest>;
  if (typeof r.sort !== 'string' || !SORT_KEYS.has(r.sort)) throw new Error(`classPage: unknown sort column ${JSON.stringify(r.sort)}`);
  if (r.dir !== 'ascending' && r.dir !== 'descending') throw new Error(`classPage: dir must be 'ascending' or 'descending', not ${JSON.stringify(r.dir)}`);
  if (!Number.isInteger(r.offset) || r.offset! < 0) throw new Error(`classPage: offset must be a non-negative integer, not ${JSON.stringify(r.offset)}`);
  if (!Number.isInteger(r.limit) || r.limit! < 1 || r.limit! > CLASS_PAGE_MAX_ROWS) {
    throw new Error(`classPage: limit must be an integer from 1 to ${CLASS_PAGE_MAX_ROWS}, not ${JSON.stringify(r.limit)}`);
  }
  return r as ClassPageRequest;
}

/** Pages of a full per-class list, in any column's order; each order is sorted once and kept. */
export class ClassPager {
  private readonly orders = new Map<string, Int32Array>();

  /** `names`: every class's name (the host's; pages carry those of their rows), or null. */
  constructor(
    readonly perClass: readonly ClassReport[],
    public names: readonly string[] | null = null,
  ) {}

  page(req: ClassPageRequest): ClassPage {
    const { sort, dir, limit } = checkPageRequest(req);
    const total = this.perClass.length;
    const offset = Math.min(req.offset, Math.max(0, total - 1));
    const k = `${sort}:${dir}`;
    let order = this.orders.get(k);
    if (!order) {
      order = sortedClassOrder(this.perClass, sort, dir);
      this.orders.set(k, order);
    }
    const rows: ClassReport[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) rows.push(this.perClass[order[i]!]!);
    return { offset, total, rows, names: namesOf(this.names, rows.map((r) => r.class)) };
  }
}

/**
 * A report as the view gets it: unchanged up to {@link VIEW_ALL_CLASSES} classes; above, `perClass` holds the
 * selection (in class order) and `table` says how many there are and what the rest sums to, with a pager over all
 * of them for the host to keep, and `names` only those of the classes the report shows (selection, confusions).
 */
export function reportForView(
  report: Report,
  names: readonly string[] | null = null,
): { report: Report; table: ClassTableInfo | null; pager: ClassPager | null; names: ClassNames | null } {
  const all = report.perClass;
  if (!all || all.length <= VIEW_ALL_CLASSES) return { report, table: null, pager: null, names };
  const sel = selectClasses(all, VIEW_TOP_CLASSES);
  const shown = sel.shown.sort((a, b) => a.class - b.class);
  return {
    report: { ...report, perClass: shown },
    table: { total: all.length, top: VIEW_TOP_CLASSES, rest: sel.rest },
    pager: new ClassPager(all, names),
    names: viewNames(report, shown, names),
  };
}

/** The names a vocabulary's view state carries: its shown classes' and its confusions'. */
export function viewNames(report: Report, shown: readonly ClassReport[], names: readonly string[] | null): Record<number, string> | null {
  return namesOf(names, [...shown.map((c) => c.class), ...(report.topConfusions ?? []).flatMap((c) => [c.target, c.predicted])]);
}
