/**
 * A vocabulary's per-class numbers as two flat arrays, for crossing a thread boundary. Structured-cloning 32,000
 * `ClassReport` objects (each with a nested `contribution`) costs 0.3–0.5 s on each side of the worker's
 * `postMessage`; the same numbers as one Float64Array and one null mask are copied as bytes (≈ 3 MB at 32k classes)
 * and rebuilt into objects on the other side in ~20 ms. Lossless: every double (NaN and ±Infinity included) and
 * every null comes back as it was.
 */
import type { ClassReport } from '../engine/types';

/** Above this many classes a report's `perClass` crosses from the worker packed. */
export const PACK_CLASSES_ABOVE = 1024;

/** Numbers per class, in this order; `nulls[i]` = 1 where field i of a class is null. */
const FIELDS = 12;

export interface PackedClasses {
  count: number;
  values: Float64Array;
  nulls: Uint8Array;
}

export function packPerClass(perClass: readonly ClassReport[]): PackedClasses {
  const n = perClass.length;
  const values = new Float64Array(n * FIELDS);
  const nulls = new Uint8Array(n * FIELDS);
  for (let i = 0; i < n; i++) {
    const c = perClass[i]!;
    const o = i * FIELDS;
    const fields = [c.class, c.count, c.ceHard, c.ceSmoothed, c.diceHard, c.diceSmoothed, c.focalHard, c.focalSmoothed, c.contribution.total, c.contribution.ce, c.contribution.dice, c.contribution.focal];
    for (let f = 0; f < FIELDS; f++) {
      const v = fields[f]!;
      if (v === null) nulls[o + f] = 1;
      else values[o + f] = v;
    }
  }
  return { count: n, values, nulls };
}

export function unpackPerClass(p: PackedClasses): ClassReport[] {
  const { values: v, nulls: z } = p;
  const at = (i: number) => (z[i] ? null : v[i]!);
  const out: ClassReport[] = new Array(p.count);
  for (let i = 0; i < p.count; i++) {
    const o = i * FIELDS;
    out[i] = {
      class: v[o]!,
      count: v[o + 1]!,
      ceHard: at(o + 2),
      ceSmoothed: at(o + 3),
      diceHard: at(o + 4),
      diceSmoothed: at(o + 5),
      focalHard: at(o + 6),
      focalSmoothed: at(o + 7),
      contribution: { total: v[o + 8]!, ce: at(o + 9), dice: at(o + 10), focal: at(o + 11) },
    };
  }
  return out;
}
