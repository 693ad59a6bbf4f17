/**
 * What the report says about a language-model layout (sequence.ts): the class axis taken as last on its own.
 */
import { fmtShape } from './errors';
import type { SequenceLayout } from './sequence';
import type { EngineWarning } from './types';

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
