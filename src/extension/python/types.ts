/** What the Python features need from the rest of the extension (wired in extension.ts). */
import type * as vscode from 'vscode';

export interface PythonFeatureSettings {
  codeLensEnabled: boolean;
  diagnosticsEnabled: boolean;
  defaultNumClasses: number;
}

export interface PythonFeatureDeps {
  getSettings(): PythonFeatureSettings;
  /** C of the last inspected tensors, if any. */
  lastNumClasses(): number | undefined;
  onDidChangeLastNumClasses: vscode.Event<void>;
}

/** The languages the features apply to: Python files and notebook cells (`file`, `untitled`, `vscode-notebook-cell`). */
export const PYTHON_SELECTOR: vscode.DocumentSelector = { language: 'python' };

export const INSPECT_COMMAND = 'lossInspector.inspectWithOptions';
