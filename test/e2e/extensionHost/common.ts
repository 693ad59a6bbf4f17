/** What the extension-host suites share: the contract from ARCHITECTURE.md and small workbench helpers. */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';

export const ID = 'loss-inspector.loss-inspector';
export const COMMANDS = [
  'lossInspector.compareLosses',
  'lossInspector.openTensorFile',
  'lossInspector.compareWith',
  'lossInspector.inspectWithOptions',
  'lossInspector.showOutput',
  'lossInspector.evaluateFolder',
  'lossInspector.compareFromDebugger',
  'lossInspector.compareLossWith',
  'lossInspector.refreshFromDebugger',
];
/** ARCHITECTURE.md: one setting per golden option key, plus the extension's own. */
export const SETTINGS = [
  'loss',
  'labelSmoothing',
  'weight',
  'ignoreIndex',
  'reduction',
  'includeBackground',
  'toOnehotY',
  'sigmoid',
  'softmax',
  'squaredPred',
  'jaccard',
  'smoothNr',
  'smoothDr',
  'batch',
  'lambdaDice',
  'lambdaCe',
  'classNames',
  'maxTensorMB',
  'codeLens.enabled',
  'diagnostics.enabled',
  'defaultNumClasses',
  'debugger.maxTensorMB',
  'debugger.debugTypes',
];
export const COMPARISON_VIEW = 'lossInspector.comparison';
export const TENSOR_EDITOR = 'lossInspector.tensorFile';

export function ext(): vscode.Extension<unknown> {
  const e = vscode.extensions.getExtension(ID);
  assert.ok(e, `${ID} is not loaded in the extension host`);
  return e;
}

/** A file of the (copied) demo workspace. */
export function ws(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder open');
  return vscode.Uri.joinPath(folder.uri, rel);
}

/** Our commands that are currently registered, in COMMANDS order. */
export async function ourCommands(): Promise<string[]> {
  const all = new Set(await vscode.commands.getCommands(true));
  return COMMANDS.filter((c) => all.has(c));
}

/** Tabs whose input is a webview panel of `viewType` (the workbench prefixes webview panel view types). */
export function webviewTabs(viewType: string): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
}

export function customEditorTabs(viewType: string): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === viewType);
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
