/**
 * The Python features — CodeLens, hover, diagnostics and the quick fix on loss configuration calls — on
 * Python files and notebook cells (`{language: 'python'}`). `registerPythonFeatures` wires them and
 * returns one Disposable that owns every provider, listener and timer.
 */
import * as vscode from 'vscode';
import { PythonAnalysisCache } from './analysisCache';
import { LossQuickFixProvider } from './codeActions';
import { LossCodeLensProvider } from './codeLens';
import { LossDiagnostics } from './diagnostics';
import { LossHoverProvider } from './hover';
import { PYTHON_SELECTOR, type PythonFeatureDeps } from './types';

export type { PythonFeatureDeps, PythonFeatureSettings } from './types';

export function registerPythonFeatures(context: vscode.ExtensionContext, deps: PythonFeatureDeps): vscode.Disposable {
  const cache = new PythonAnalysisCache();
  const lenses = new LossCodeLensProvider(cache, deps);
  const diagnostics = new LossDiagnostics(cache, deps, () => lenses.refresh());
  let disposed = false;
  const all = vscode.Disposable.from(
    lenses,
    diagnostics,
    vscode.languages.registerCodeLensProvider(PYTHON_SELECTOR, lenses),
    vscode.languages.registerHoverProvider(PYTHON_SELECTOR, new LossHoverProvider(cache, deps)),
    vscode.languages.registerCodeActionsProvider(PYTHON_SELECTOR, new LossQuickFixProvider(cache), LossQuickFixProvider.metadata),
    deps.onDidChangeLastNumClasses(() => lenses.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('lossInspector')) return;
      // After every listener of this event ran, so that the extension's settings object is up to date.
      queueMicrotask(() => {
        if (disposed) return;
        lenses.refresh();
        diagnostics.refreshAll();
      });
    }),
    { dispose: () => cache.clear() },
  );
  const owner = new vscode.Disposable(() => {
    if (disposed) return;
    disposed = true;
    all.dispose();
  });
  context.subscriptions.push(owner);
  return owner;
}
