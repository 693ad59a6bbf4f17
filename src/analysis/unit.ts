/**
 * The analysis of one text (a `.py` file or one notebook cell) while it is being built, and the registry
 * that lets a later cell's post-hoc assignment find a loss constructed in an earlier one. Internal.
 */
import type { LineIndex, SyntaxNode } from './pyTree';
import type { WalkResult } from './walk';
import type { AnalysisDiagnostic, ClassCountHint, LossCall } from './types';

export interface Unit {
  /** The notebook cell index, or undefined for a plain file. */
  cellIndex: number | undefined;
  src: string;
  lines: LineIndex;
  walk: WalkResult;
  calls: LossCall[];
  classCounts: ClassCountHint[];
  diagnostics: AnalysisDiagnostic[];
}

export interface RegisteredCall {
  call: LossCall;
  node: SyntaxNode;
  unit: Unit;
}

/** Calls by `unitKey:callFrom` (the key a `call` binding carries). */
export type CallRegistry = Map<string, RegisteredCall>;

/** The cell index used in bindings and registry keys (-1 for a plain file). */
export function unitKey(cellIndex: number | undefined): number {
  return cellIndex ?? -1;
}

export function registryKey(unit: number, callFrom: number): string {
  return `${unit}:${callFrom}`;
}
