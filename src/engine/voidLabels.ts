/**
 * Void labels: the value a segmentation set writes where a pixel has no class (255 in Pascal VOC, Cityscapes,
 * ADE20K; −1 in many detection and sequence pipelines). torch refuses them as class indices unless they are the
 * `ignore_index`, so a class-index target holding one fails with "class index 255 outside [0, C)". This module
 * tells such a value apart from a stray wrong label, so the view can offer `ignore_index = <value>` as the fix:
 * - 255 and −1 are void labels wherever they occur (that is what they are used for);
 * - any other value ≥ C is one only when it covers a block of the target: at least {@link VOID_MIN_RUN}
 *   consecutive positions along the last axis (void regions are drawn as areas and borders, a label off by one
 *   is scattered over a class's pixels as often as not, and is a wrong C rather than void).
 * Pure: reads the target once, allocates nothing proportional to it.
 */
import { elementToNumber, forEachStorageIndex, isFloatDType, type Tensor } from './tensor';

/** Consecutive positions along the last axis a value ≥ C must cover to count as a void label. */
export const VOID_MIN_RUN = 4;

/** The conventional void labels, recognised wherever they occur. */
export const CONVENTIONAL_VOID = [255, -1] as const;

export interface VoidLabel {
  /** The void value (the `ignore_index` that makes the target valid). */
  value: number;
  /** Positions holding it, out of `total`. */
  count: number;
  total: number;
  /** Longest run of consecutive positions along the last axis holding it. */
  longestRun: number;
  /**
   * Other values outside [0, C) (at most 8, ascending): with any, `ignore_index = value` alone does not make
   * the target valid, and the view says so.
   */
  otherValues: number[];
}

interface Seen {
  count: number;
  run: number;
  longest: number;
  last: number;
}

/** Distinct out-of-range values tracked; beyond it the target is not a label map with a void value. */
const MAX_DISTINCT = 64;

/**
 * The void label of a class-index `target` for logits with `numClasses` classes, or null when its
 * out-of-range values (if any) are not void-like. Non-integer and non-finite values are not class indices
 * and are left to the engine's own message.
 */
export function findVoidLabel(target: Tensor, numClasses: number): VoidLabel | null {
  const n = target.size;
  if (n === 0 || numClasses < 1) return null;
  const rowLength = target.rank === 0 ? 1 : target.shape[target.rank - 1]!;
  const float = isFloatDType(target.dtype);
  const seen = new Map<number, Seen>();
  let tooMany = false;
  forEachStorageIndex(target, (s, i) => {
    if (tooMany) return;
    const v = elementToNumber(target.dtype, target.data, s);
    if (v >= 0 && v < numClasses) return;
    if (float && (!Number.isFinite(v) || !Number.isInteger(v))) return;
    let e = seen.get(v);
    if (!e) {
      if (seen.size >= MAX_DISTINCT) {
        tooMany = true;
        return;
      }
      e = { count: 0, run: 0, longest: 0, last: -2 };
      seen.set(v, e);
    }
    e.count++;
    // A run continues only from the previous position of the same row.
    e.run = e.last === i - 1 && i % rowLength !== 0 ? e.run + 1 : 1;
    e.last = i;
    if (e.run > e.longest) e.longest = e.run;
  });
  if (tooMany || seen.size === 0) return null;
  let best: { value: number; e: Seen } | null = null;
  for (const [value, e] of seen) {
    const isVoid = (CONVENTIONAL_VOID as readonly number[]).includes(value) || (value >= numClasses && e.longest >= Math.min(VOID_MIN_RUN, rowLength));
    if (isVoid && (!best || e.count > best.e.count)) best = { value, e };
  }
  if (!best) return null;
  const chosen = best.value;
  const otherValues = [...seen.keys()].filter((v) => v !== chosen).sort((a, b) => a - b).slice(0, 8);
  return { value: chosen, count: best.e.count, total: n, longestRun: best.e.longest, otherValues };
}
