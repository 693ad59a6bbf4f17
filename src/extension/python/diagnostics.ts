/**
 * The `Loss Inspector` diagnostics of Python files and notebook cells: computed when a document opens,
 * 300 ms after the last edit (per file, or per notebook: an edit in one cell can change what another
 * cell's names mean), and cleared when it closes or when `lossInspector.diagnostics.enabled` is off.
 */
import * as vscode from 'vscode';
import type { AnalysisDiagnostic } from '../../analysis/index';
import { isNotebookCell, notebookOf, type PythonAnalysisCache } from './analysisCache';
import { toDiagnostic, toRange } from './convert';
import type { PythonFeatureDeps } from './types';

const DEBOUNCE_MS = 300;

export class LossDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('lossInspector');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly cache: PythonAnalysisCache,
    private readonly deps: PythonFeatureDeps,
    /** Called after a notebook's diagnostics were recomputed (its other cells' lenses may have changed). */
    private readonly onNotebookAnalysed: () => void,
  ) {
    const ws = vscode.workspace;
    this.subscriptions.push(
      this.collection,
      ws.onDidOpenTextDocument((doc) => this.refresh(doc)),
      ws.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document);
      }),
      ws.onDidCloseTextDocument((doc) => {
        this.collection.delete(doc.uri);
        if (!isNotebookCell(doc)) this.cache.forget(doc.uri);
      }),
      ws.onDidOpenNotebookDocument((nb) => this.refreshNotebook(nb)),
      ws.onDidChangeNotebookDocument((e) => {
        if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.document !== undefined)) this.scheduleNotebook(e.notebook);
      }),
      ws.onDidCloseNotebookDocument((nb) => {
        for (const cell of nb.getCells()) this.collection.delete(cell.document.uri);
        this.cache.forget(nb.uri);
      }),
    );
    this.refreshAll();
  }

  /** Recomputes every open Python document (settings changed, or at start). */
  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) if (!isNotebookCell(doc)) this.refresh(doc);
    for (const nb of vscode.workspace.notebookDocuments) this.refreshNotebook(nb);
  }

  private enabled(): boolean {
    return this.deps.getSettings().diagnosticsEnabled;
  }

  private schedule(doc: vscode.TextDocument): void {
    if (doc.languageId !== 'python') return;
    const nb = notebookOf(doc);
    if (nb) return this.scheduleNotebook(nb.notebook);
    this.debounce(doc.uri.toString(), () => this.refresh(doc));
  }

  private scheduleNotebook(nb: vscode.NotebookDocument): void {
    this.debounce(nb.uri.toString(), () => this.refreshNotebook(nb));
  }

  private debounce(key: string, run: () => void): void {
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, DEBOUNCE_MS),
    );
  }

  private refresh(doc: vscode.TextDocument): void {
    if (doc.isClosed) return;
    if (isNotebookCell(doc)) {
      const nb = notebookOf(doc);
      if (nb) this.refreshNotebook(nb.notebook);
      return;
    }
    if (doc.languageId !== 'python' || !this.enabled()) {
      this.collection.delete(doc.uri);
      return;
    }
    const analysis = this.cache.get(doc);
    this.collection.set(doc.uri, analysis.diagnostics.map((d) => this.withRelated(doc, d, analysis.allCalls, undefined)));
  }

  private refreshNotebook(nb: vscode.NotebookDocument): void {
    if (nb.isClosed) return;
    const cells = nb.getCells();
    if (!this.enabled()) {
      for (const cell of cells) this.collection.delete(cell.document.uri);
      return;
    }
    const analysis = this.cache.notebook(nb);
    for (const cell of cells) {
      const doc = cell.document;
      const mine = analysis.diagnostics.filter((d) => d.cellIndex === cell.index);
      if (mine.length === 0 || doc.languageId !== 'python') this.collection.delete(doc.uri);
      else this.collection.set(doc.uri, mine.map((d) => this.withRelated(doc, d, analysis.calls, nb)));
    }
    this.onNotebookAnalysed();
  }

  /** The diagnostic, pointing post-hoc assignments at the constructor call they belong to. */
  private withRelated(doc: vscode.TextDocument, d: AnalysisDiagnostic, calls: readonly { id: number; start: number; end: number; cellIndex?: number }[], nb: vscode.NotebookDocument | undefined): vscode.Diagnostic {
    const diagnostic = toDiagnostic(doc, d);
    if (d.code !== 'li-posthoc-eps' && d.code !== 'li-posthoc-eps-ignored') return diagnostic;
    const call = calls.find((c) => c.id === d.callId);
    if (!call) return diagnostic;
    const target = nb && call.cellIndex !== undefined ? nb.cellAt(call.cellIndex).document : doc;
    diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(target.uri, toRange(target, call)), 'the loss is constructed here')];
    return diagnostic;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
