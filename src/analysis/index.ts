/**
 * Python / notebook analysis for Loss Inspector: recognised loss calls with their options in the golden
 * keys, diagnostics with quick fixes, CodeLens and hover text. Pure (no `vscode`, no DOM, no Node-only
 * modules): it takes source text and returns data.
 */
export { analyzePython, analyzeCells, IncrementalPythonAnalyzer } from './analyze';
export { analyzeNotebookText, readNotebook, stripMagics, NotebookFormatError, type NotebookCell } from './notebook';
export { applyEdits } from './quickFix';
export {
  lensesFor,
  summaryTitle,
  classCountFor,
  epsOf,
  inspectableOptions,
  inspectPayload,
  smoothingFormulas,
  type InspectPayload,
  type LensModel,
  type ClassCountContext,
  type ResolvedClassCount,
  type EpsState,
} from './lens';
export { hoverAt, type HoverResult } from './hover';
export * from './types';
export { sizeVerdict, firstLossName, tooDeep, MAX_BRACKET_DEPTH, MAX_PARSED_CHARS, type SizeVerdict } from './sizeGate';
