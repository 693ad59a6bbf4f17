/**
 * A report that fits a vocabulary: the most frequent (target → predicted) confusions instead of a C×C matrix,
 * and the classes worth showing (top by count and by contribution, the rest summed) for a table that cannot
 * list 150k classes. Pure selection over the report's numbers; the JSON keeps every class unless asked.
 */
import { CONFUSION_MAX_CLASSES, type Accumulators } from './accumulate';
import type { ClassReport } from './types';

export interface Confusion {
  target: number;
  predicted: number;
  count: number;
}

/** Rows of a table: the classes kept and the others summed into one row (null when none are left out). */
export interface ClassSelection {
  shown: ClassReport[];
  rest: { classes: number; count: number; contribution: number } | null;
}

/** How many confusions a report lists. */
export const TOP_CONFUSIONS = 50;

/** The `n` most frequent off-diagonal (target ≠ predicted) pairs, by count, then by target and predicted class. */
export function topConfusions(acc: Accumulators, n = TOP_CONFUSIONS): Confusion[] {
  const C = acc.C;
  if (C < 2) return [];
  const out: Confusion[] = [];
  const consider = (target: number, predicted: number, count: number) => {
    if (target !== predicted && count > 0) out.push({ target, predicted, count });
  };
  if (acc.confusionPairs) {
    for (const [key, count] of acc.confusionPairs) consider(Math.floor(key / C), key % C, count);
  } else if (C <= CONFUSION_MAX_CLASSES) {
    const m = acc.confusion;
    for (let t = 0; t < C; t++) for (let p = 0; p < C; p++) consider(t, p, m[t * C + p]!);
  }
  out.sort((a, b) => b.count - a.count || a.target - b.target || a.predicted - b.predicted);
  return out.slice(0, n);
}

/**
 * The classes among the `n` largest by count and the `n` largest by |contribution| (so a rare class that
 * dominates the loss is shown), ordered by count; the rest summed. Every class when there are at most `n`.
 */
export function selectClasses(perClass: readonly ClassReport[], n: number): ClassSelection {
  if (perClass.length <= n) return { shown: [...perClass], rest: null };
  const keep = new Set<number>();
  for (const i of topIndices(perClass, n, (p) => p.count)) keep.add(perClass[i]!.class);
  for (const i of topIndices(perClass, n, (p) => Math.abs(p.contribution.total))) keep.add(perClass[i]!.class);
  const shown = perClass.filter((p) => keep.has(p.class)).sort((a, b) => b.count - a.count || a.class - b.class);
  let count = 0;
  let contribution = 0;
  for (const p of perClass) {
    if (keep.has(p.class)) continue;
    count += p.count;
    contribution += p.contribution.total;
  }
  return { shown, rest: { classes: perClass.length - shown.length, count, contribution } };
}

/**
 * The indices of the `n` largest values (ties: the earlier index first; NaN as the smallest), without sorting the
 * objects: one typed-array sort finds the n-th largest value, one pass keeps what is above it and the first ties at
 * it. At 152k classes that is ~15 ms where sorting the objects took ~180 ms.
 */
function topIndices(items: readonly ClassReport[], n: number, key: (p: ClassReport) => number): number[] {
  const N = items.length;
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const x = key(items[i]!);
    v[i] = x === x ? x : -Infinity;
  }
  const threshold = v.slice().sort()[N - n]!;
  const out: number[] = [];
  let ties = n;
  for (let i = 0; i < N; i++) if (v[i]! > threshold) ties--;
  for (let i = 0; i < N; i++) {
    if (v[i]! > threshold) out.push(i);
    else if (v[i] === threshold && ties > 0) {
      out.push(i);
      ties--;
    }
  }
  return out;
}
