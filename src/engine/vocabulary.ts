/**
 * A report that fits a vocabulary: the most frequent (target → predicted) confusions instead of a C×C matrix,
 * and the classes worth showing (top by count and by contribution, the rest summed) for a table that cannot
 * list 150k classes. Pure selection over the report's numbers; the JSON keeps every class unless asked.
 */
import { CONFUSION_MAX_CLASSES, type Accumulators } from './accumulate';
import type { ClassReport } from './types';
import { classColumnsOf } from './classTable';

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
  // the cell t·C + p names the pair and orders the ties by target, then predicted class
  const top = new TopK(n);
  if (acc.confusionPairs) {
    for (const [key, count] of acc.confusionPairs) if (count > 0 && Math.floor(key / C) !== key % C) top.offer(count, key);
  } else if (C <= CONFUSION_MAX_CLASSES) {
    const m = acc.confusion;
    for (let t = 0, o = 0; t < C; t++, o += C) {
      for (let p = 0; p < C; p++) {
        const count = m[o + p]!;
        if (count > 0 && p !== t) top.offer(count, o + p);
      }
    }
  }
  return top.sorted().map(({ value, id }) => ({ target: Math.floor(id / C), predicted: id % C, count: value }));
}

/**
 * The classes among the `n` largest by count and the `n` largest by |contribution| (so a rare class that
 * dominates the loss is shown), ordered by count; the rest summed. Every class when there are at most `n`.
 * Reads the two columns only (classTable.ts): a report that builds its rows on demand builds the shown ones.
 */
export function selectClasses(perClass: readonly ClassReport[], n: number): ClassSelection {
  if (perClass.length <= n) return { shown: [...perClass], rest: null };
  const cols = classColumnsOf(perClass);
  const N = cols.length;
  const kept = new Set([...topIndices(N, n, cols.count), ...topIndices(N, n, (c) => Math.abs(cols.contribution(c)))]);
  const order = Int32Array.from(kept).sort();
  const shown = Array.from(order, (i) => cols.row(i)).sort((a, b) => b.count - a.count || a.class - b.class);
  // the others summed in class order, as a loop over the rows would add them
  let count = 0;
  let contribution = 0;
  for (let i = 0, j = 0; i < N; i++) {
    if (j < order.length && order[j] === i) {
      j++;
      continue;
    }
    count += cols.count(i);
    contribution += cols.contribution(i);
  }
  return { shown, rest: { classes: N - shown.length, count, contribution } };
}

/**
 * The indices of the `n` largest values of key(0 … N−1) (ties: the earlier index first; NaN as the smallest), in
 * one pass with a heap of n: no sort and no array of N values, so the cost stays linear at millions of classes.
 */
function topIndices(N: number, n: number, key: (i: number) => number): number[] {
  const top = new TopK(n);
  for (let i = 0; i < N; i++) {
    const x = key(i);
    top.offer(x === x ? x : -Infinity, i);
  }
  return top.sorted().map((e) => e.id);
}

/**
 * The k best of a stream of (value, id): the larger value, the smaller id on a tie. A min-heap whose root is the
 * worst kept, so an offer that does not make it costs one comparison.
 */
class TopK {
  private readonly v: Float64Array;
  private readonly id: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.v = new Float64Array(k);
    this.id = new Float64Array(k);
  }

  offer(value: number, id: number): void {
    const { v } = this;
    if (this.size < this.k) {
      let at = this.size++;
      v[at] = value;
      this.id[at] = id;
      while (at > 0) {
        const up = (at - 1) >> 1;
        if (!this.worse(at, up)) break;
        this.swap(at, up);
        at = up;
      }
    } else if (this.k > 0 && (value > v[0]! || (value === v[0] && id < this.id[0]!))) {
      v[0] = value;
      this.id[0] = id;
      this.down(0);
    }
  }

  /** The kept entries, best first. */
  sorted(): { value: number; id: number }[] {
    const out: { value: number; id: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ value: this.v[i]!, id: this.id[i]! });
    return out.sort((a, b) => b.value - a.value || a.id - b.id);
  }

  private worse(a: number, b: number): boolean {
    const { v, id } = this;
    return v[a]! < v[b]! || (v[a] === v[b] && id[a]! > id[b]!);
  }

  private swap(a: number, b: number): void {
    const { v, id } = this;
    const tv = v[a]!;
    const ti = id[a]!;
    v[a] = v[b]!;
    id[a] = id[b]!;
    v[b] = tv;
    id[b] = ti;
  }

  private down(at: number): void {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= this.size) return;
      const r = l + 1;
      const m = r < this.size && this.worse(r, l) ? r : l;
      if (!this.worse(m, at)) return;
      this.swap(m, at);
      at = m;
    }
  }
}
