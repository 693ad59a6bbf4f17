/** What the Python features need from the rest of the extension (wired in extension.ts). */
import type * as vscode from 'vscode';

export interface PythonFeatureSettings {
  codeLensEnabled: boolean;
  diagnosticsEnabled: boolean;
  /** The `lossInspector.defaultNumClasses` setting, null when the user has not set it. */
  defaultNumClasses: number | null;
}

export interface PythonFeatureDeps {
  getSettings(): PythonFeatureSettings;
  /** C of the comparison last opened from this file (Inspect on one of its calls; `fileKey` from {@link fileKeyOf}), if any. */
  comparedNumClasses(fileKey: string): number | undefined;
  onDidChangeLastNumClasses: vscode.Event<void>;
}

/** The languages the features apply to: Python files and notebook cells (`file`, `untitled`, `vscode-notebook-cell`). */
export const PYTHON_SELECTOR: vscode.DocumentSelector = { language: 'python' };

export const INSPECT_COMMAND = 'lossInspector.inspectWithOptions';

/**
 * The file a document URI's calls belong to (a URI string): for a notebook cell
 * (`vscode-notebook-cell:/p/nb.ipynb#cell`) the notebook, whose cells share one C.
 */
export function fileKeyOf(uri: string): string {
  const cell = 'vscode-notebook-cell:';
  if (!uri.startsWith(cell)) return uri;
  const hash = uri.indexOf('#');
  return `file:${uri.slice(cell.length, hash < 0 ? uri.length : hash)}`;
}
