/**
 * Analyses of Python documents, cached per document version: a `.py` file is analysed on its own (its
 * syntax tree kept, so that the next version re-parses only around the edit); a
 * notebook cell is analysed together with the notebook's other Python cells (imports and loss objects
 * carry across cells), keyed by every cell's version. The analysis itself is the pure
 * `src/analysis` (`analyzePython`, `analyzeCells`).
 */
import * as vscode from 'vscode';
import { analyzeCells, IncrementalPythonAnalyzer, stripMagics, type AnalysisDiagnostic, type LossCall, type NotebookAnalysis } from '../../analysis/index';

export interface DocumentAnalysis {
  /** Calls located in this document (for a notebook cell: this cell). */
  calls: LossCall[];
  /** Every call of the file or notebook: a post-hoc assignment in this cell may target an earlier cell's call. */
  allCalls: LossCall[];
  /** Diagnostics located in this document. */
  diagnostics: AnalysisDiagnostic[];
  /** The notebook cell index, or undefined for a plain file. */
  cellIndex: number | undefined;
}

const MAX_ENTRIES = 32;

export function isNotebookCell(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'vscode-notebook-cell';
}

/** The notebook a cell document belongs to, and the cell. */
export function notebookOf(document: vscode.TextDocument): { notebook: vscode.NotebookDocument; cell: vscode.NotebookCell } | undefined {
  if (!isNotebookCell(document)) return undefined;
  const key = document.uri.toString();
  for (const notebook of vscode.workspace.notebookDocuments) {
    for (const cell of notebook.getCells()) if (cell.document.uri.toString() === key) return { notebook, cell };
  }
  return undefined;
}

function pythonCells(notebook: vscode.NotebookDocument): vscode.NotebookCell[] {
  return notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python');
}

export class PythonAnalysisCache {
  private readonly files = new Map<string, { version: number; analysis: DocumentAnalysis; analyzer: IncrementalPythonAnalyzer }>();
  private readonly notebooks = new Map<string, { key: string; analysis: NotebookAnalysis }>();

  get(document: vscode.TextDocument): DocumentAnalysis {
    const nb = notebookOf(document);
    if (nb) {
      const analysis = this.notebook(nb.notebook);
      const cellIndex = nb.cell.index;
      return {
        calls: analysis.calls.filter((c) => c.cellIndex === cellIndex),
        allCalls: analysis.calls,
        diagnostics: analysis.diagnostics.filter((d) => d.cellIndex === cellIndex),
        cellIndex,
      };
    }
    const key = document.uri.toString();
    const hit = this.files.get(key);
    if (hit && hit.version === document.version) return hit.analysis;
    // Re-parse only around the edit: the analyzer keeps the previous version's syntax tree.
    const analyzer = hit?.analyzer ?? new IncrementalPythonAnalyzer();
    const a = analyzer.analyze(document.getText());
    const analysis: DocumentAnalysis = { calls: a.calls, allCalls: a.calls, diagnostics: a.diagnostics, cellIndex: undefined };
    this.remember(this.files, key, { version: document.version, analysis, analyzer });
    return analysis;
  }

  /** The whole notebook's analysis (all Python cells), cached on every cell's version. */
  notebook(notebook: vscode.NotebookDocument): NotebookAnalysis {
    const cells = pythonCells(notebook);
    const key = cells.map((c) => `${c.index}:${c.document.version}`).join(',');
    const id = notebook.uri.toString();
    const hit = this.notebooks.get(id);
    if (hit && hit.key === key) return hit.analysis;
    const sources: { cellIndex: number; source: string }[] = [];
    for (const c of cells) {
      const source = stripMagics(c.document.getText());
      if (source !== null) sources.push({ cellIndex: c.index, source });
    }
    const analysis = analyzeCells(sources);
    this.remember(this.notebooks, id, { key, analysis });
    return analysis;
  }

  forget(uri: vscode.Uri): void {
    this.files.delete(uri.toString());
    this.notebooks.delete(uri.toString());
  }

  clear(): void {
    this.files.clear();
    this.notebooks.clear();
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as string);
  }
}
