/**
 * What a report adds for a language-model layout (sequence.ts): the class axis taken as last on its own (a
 * warning), and the loss by sequence position and by sequence, hard and smoothed, with top-1 / top-5
 * accuracy over the kept tokens — the line users plot to find where a model fails.
 */
import type { Accumulators } from './accumulate';
import { fmtShape } from './errors';
import { smoothMix } from './finalize';
import type { SequenceLayout } from './sequence';
import type { EngineWarning } from './types';

/** Mean CE (unweighted, torch's `reduction='none'` values) over the kept tokens of one position or one sequence. */
export interface TokenLoss {
  /** Position t (0 = the first scored position) or sequence b. */
  index: number;
  /** Kept tokens (labels other than ignore_index). */
  count: number;
  hard: number | null;
  smoothed: number | null;
}

export interface SequenceReport extends SequenceLayout {
  /** Null where the pass kept no per-token values (a loss other than `ce`, or probability targets). */
  perPosition: TokenLoss[] | null;
  perSequence: TokenLoss[] | null;
  /** Fraction of kept tokens whose target is the argmax (ties: any class with a larger logit ranks above), or among the 5 largest. */
  top1: number | null;
  top5: number | null;
}

export function sequenceWarnings(s: { layout: SequenceLayout; logitsShape: number[]; targetShape: number[] }): EngineWarning[] {
  if (!s.layout.autoDetected) return [];
  const V = s.logitsShape[s.logitsShape.length - 1];
  return [
    {
      code: 'class-axis-last',
      message:
        `target ${fmtShape(s.targetShape)} is the logits' ${fmtShape(s.logitsShape)} without the last axis: the ${V} classes are ` +
        `read from the last axis (classAxis -1, as language models save (B, T, V) logits)` +
        (s.layout.shifted ? ', with the causal shift' : '; set classAxis -1 to say so, and shiftLabels for a causal model'),
    },
  ];
}

/** Per-position and per-sequence loss and top-k accuracy from the pass's per-row values (`cfg.rows`). */
export function sequenceReport(layout: SequenceLayout, acc: Accumulators, labels: Int32Array | null, ignore: number, eps: number): SequenceReport {
  if (!acc.rowNll || !acc.rowSmooth || !acc.rowRank || !labels) return { ...layout, perPosition: null, perSequence: null, top1: null, top5: null };
  const { B, T, rowsPerSequence } = layout;
  const C = acc.C;
  const pos = { n: new Float64Array(T), h: new Float64Array(T), s: new Float64Array(T) };
  const seq = { n: new Float64Array(B), h: new Float64Array(B), s: new Float64Array(B) };
  let kept = 0;
  let top1 = 0;
  let top5 = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = b * rowsPerSequence + t;
      if (labels[r] === ignore) continue;
      const h = acc.rowNll[r]!;
      const sm = smoothMix(h, acc.rowSmooth[r]!, eps, C);
      pos.n[t]!++;
      pos.h[t]! += h;
      pos.s[t]! += sm;
      seq.n[b]!++;
      seq.h[b]! += h;
      seq.s[b]! += sm;
      kept++;
      const rank = acc.rowRank[r]!;
      if (rank === 0) top1++;
      if (rank < 5) top5++;
    }
  }
  const rows = (g: typeof pos, n: number): TokenLoss[] =>
    Array.from({ length: n }, (_, i) => {
      const c = g.n[i]!;
      return { index: i, count: c, hard: c > 0 ? g.h[i]! / c : null, smoothed: c > 0 ? g.s[i]! / c : null };
    });
  return {
    ...layout,
    perPosition: rows(pos, T),
    perSequence: rows(seq, B),
    top1: kept > 0 ? top1 / kept : null,
    top5: kept > 0 ? top5 / kept : null,
  };
}
