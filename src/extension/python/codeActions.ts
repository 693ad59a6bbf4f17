/** The quick fix for `li-posthoc-eps` / `li-posthoc-eps-ignored`: move ε into the constructor call. */
import * as vscode from 'vscode';
import type { PythonAnalysisCache } from './analysisCache';
import { matchDiagnostic, toRange } from './convert';

export class LossQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly cache: PythonAnalysisCache) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const ours = context.diagnostics.filter((d) => d.source !== undefined);
    if (ours.length === 0) return [];
    const analysis = this.cache.get(document);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      const d = matchDiagnostic(document, diagnostic, analysis.diagnostics);
      if (!d || !d.fix) continue;
      const action = new vscode.CodeAction(d.fix.title, vscode.CodeActionKind.QuickFix);
      const edit = new vscode.WorkspaceEdit();
      for (const e of d.fix.edits) edit.replace(document.uri, toRange(document, e), e.newText);
      action.edit = edit;
      action.diagnostics = [diagnostic];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }
}
