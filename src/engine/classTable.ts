/**
 * A report's per-class rows as columns read on demand. A row kept as an object costs ~250 bytes, so a vocabulary of
 * 15.7 M classes would hold ~4 GB of rows nobody reads at once: above {@link LAZY_CLASSES_ABOVE} classes a
 * report's `perClass` is a read-only array whose rows are built when read ({@link lazyClassList}), and the
 * selection of the classes a table shows reads the two columns it ranks by without building rows
 * ({@link classColumnsOf}).
 */
import type { ClassReport } from './types';

/** Above this many classes `perClass` builds its rows on demand (below it, ~65 MB of rows at most). */
export const LAZY_CLASSES_ABOVE = 1 << 18;

/** Class c's row and the two values a table ranks the classes by, for c in [0, length). */
export interface ClassColumns {
  readonly length: number;
  /** A new row each call. */
  row(c: number): ClassReport;
  /** `row(c).count`, without the row. */
  count(c: number): number;
  /** `row(c).contribution.total`, without the row. */
  contribution(c: number): number;
}

const columnsOfList = new WeakMap<object, ClassColumns>();

/** The array index a property key names, or −1. */
function indexOf(key: string | symbol, n: number): number {
  if (typeof key !== 'string' || key.length === 0 || key.length > 16) return -1;
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57 || (c === 48 && key.length > 1)) return -1;
  const i = Number(key);
  return Number.isInteger(i) && i < n ? i : -1;
}

/**
 * A read-only array of `cols.length` rows built on demand: indexing, `length`, iteration, the array methods and
 * JSON.stringify see every row; writes are refused; each read of an index builds a new row object.
 */
export function lazyClassList(cols: ClassColumns): ClassReport[] {
  const n = cols.length;
  const sliceRows = (start?: number, end?: number): ClassReport[] => {
    const at = (v: number | undefined, d: number) => (v === undefined ? d : v < 0 ? Math.max(0, n + Math.trunc(v)) : Math.min(n, Math.trunc(v)));
    const a = at(start, 0);
    const b = at(end, n);
    const out: ClassReport[] = [];
    for (let c = a; c < b; c++) out.push(cols.row(c));
    return out;
  };
  const list = new Proxy([] as ClassReport[], {
    get(target, key, receiver) {
      if (key === 'length') return n;
      // slice builds its rows straight from the columns (the generic one reads each index through this trap)
      if (key === 'slice') return sliceRows;
      const i = indexOf(key, n);
      return i >= 0 ? cols.row(i) : Reflect.get(target, key, receiver);
    },
    has(target, key) {
      return indexOf(key, n) >= 0 || Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      if (key === 'length') return { value: n, writable: true, enumerable: false, configurable: false };
      const i = indexOf(key, n);
      return i >= 0 ? { value: cols.row(i), writable: false, enumerable: true, configurable: true } : Reflect.getOwnPropertyDescriptor(target, key);
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  columnsOfList.set(list, cols);
  return list;
}

/** The columns behind a {@link lazyClassList}, or columns reading the rows of a plain array. */
export function classColumnsOf(list: readonly ClassReport[]): ClassColumns {
  return (
    columnsOfList.get(list) ?? {
      length: list.length,
      row: (c) => list[c]!,
      count: (c) => list[c]!.count,
      contribution: (c) => list[c]!.contribution.total,
    }
  );
}

/** Whether `list` builds its rows on demand. */
export function isLazyClassList(list: readonly ClassReport[]): boolean {
  return columnsOfList.has(list);
}
