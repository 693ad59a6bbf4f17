/**
 * CodeLens above every recognised loss call: the effective ε, C, smoothed target and floor, and
 * *Inspect with these settings…*, which runs `lossInspector.inspectWithOptions` with
 * `{options, notApplied?, invalid?, uri, line}` (`line` 0-based, the call's first line; `uri` the document's).
 */
import * as vscode from 'vscode';
import { lensesFor } from '../../analysis/index';
import type { PythonAnalysisCache } from './analysisCache';
import { fileKeyOf, INSPECT_COMMAND, type PythonFeatureDeps } from './types';

export class LossCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly cache: PythonAnalysisCache,
    private readonly deps: PythonFeatureDeps,
  ) {}

  /** Asks VS Code to request the lenses again (settings, C or another notebook cell changed). */
  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const settings = this.deps.getSettings();
    if (!settings.codeLensEnabled) return [];
    const analysis = this.cache.get(document);
    const uri = document.uri.toString();
    const lenses = lensesFor(analysis.calls, { lastNumClasses: this.deps.comparedNumClasses(fileKeyOf(uri)), defaultNumClasses: settings.defaultNumClasses });
    return lenses.map((l) => {
      const at = new vscode.Position(l.line - 1, l.column - 1);
      const command: vscode.Command = l.inspect
        ? { title: l.title, tooltip: l.tooltip, command: INSPECT_COMMAND, arguments: [{ ...l.inspect, uri, line: l.line - 1 }] }
        : { title: l.title, tooltip: l.tooltip, command: '' };
      return new vscode.CodeLens(new vscode.Range(at, at), command);
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
