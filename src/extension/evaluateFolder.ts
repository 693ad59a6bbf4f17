/**
 * *Loss Inspector: Evaluate Folder…* (`lossInspector.evaluateFolder`; palette, and the explorer's context menu on
 * a folder): picks the predictions and references folders and the loss options, then opens the folder view.
 *
 * Arguments: a folder `Uri` (explorer) — when it holds a predictions-like and a references-like subfolder both
 * are taken from it, else it is the predictions folder; or `{predictions, references, options?, labels?,
 * ignoreLabel?, metricsOnly?}` with URI strings (scripts, tests), which skips every question.
 */
import * as vscode from 'vscode';
import type { LossOptions } from '../engine/types';
import { resolveOptions } from '../engine/options';
import { isTensorFileName } from '../dataset/pairing';
import type { DatasetPanels, FolderRequest } from './datasetPanel';
import type { Logger } from './logging';
import type { Settings } from './settings';
import { TENSOR_FILES_EXCLUDE, TENSOR_FILES_INCLUDE } from './tensorSpec';

export const EVALUATE_FOLDER_COMMAND = 'lossInspector.evaluateFolder';

export interface EvaluateFolderArgs {
  predictions?: string;
  references?: string;
  options?: Partial<LossOptions>;
  metricsOnly?: boolean;
  labels?: number[];
  ignoreLabel?: number;
}

export interface EvaluateFolderDeps {
  panels: DatasetPanels;
  settings: Settings;
  logger: Logger;
}

const PRED_NAMES = /^(predictions?|preds?|outputs?|inference|seg(mentation)?s?|probabilities|logits)$/i;
const REF_NAMES = /^(references?|refs?|labels?(Tr|Ts)?|gt|ground[_-]?truth|targets?|masks?)$/i;

async function subfolders(dir: vscode.Uri): Promise<string[]> {
  try {
    return (await vscode.workspace.fs.readDirectory(dir)).filter(([, t]) => t & vscode.FileType.Directory).map(([n]) => n);
  } catch {
    return [];
  }
}

/** Folders of the workspace that hold tensor files, nearest the root first. */
async function tensorFolders(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(TENSOR_FILES_INCLUDE, TENSOR_FILES_EXCLUDE, 5000);
  const dirs = new Map<string, vscode.Uri>();
  for (const f of files) {
    if (!isTensorFileName(f.path.slice(f.path.lastIndexOf('/') + 1))) continue;
    const d = vscode.Uri.joinPath(f, '..');
    dirs.set(d.toString(), d);
  }
  return [...dirs.values()].sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path));
}

async function pickFolder(title: string, placeHolder: string, exclude?: vscode.Uri): Promise<vscode.Uri | undefined> {
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri; browse?: true };
  const items: Item[] = (await tensorFolders())
    .filter((u) => u.toString() !== exclude?.toString())
    .map((u) => ({ label: `$(folder) ${vscode.workspace.asRelativePath(u)}`, uri: u }));
  items.push({ label: '$(folder-opened) Browse…', browse: true });
  const choice = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  if (!choice) return undefined;
  if (choice.uri) return choice.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Select', title });
  return picked?.[0];
}

function describe(o: LossOptions): string {
  const name = o.loss === 'ce' ? 'cross-entropy' : o.loss === 'dice' ? 'DiceLoss' : 'DiceCELoss';
  const flags = (['softmax', 'sigmoid', 'toOnehotY', 'includeBackground'] as const).filter((k) => o[k]).join(', ');
  return `${name}, ε = ${o.labelSmoothing}${flags ? `, ${flags}` : ''}`;
}

/** The loss for score predictions: the settings' options (with softmax/to_onehot_y for Dice losses on label maps), or none. */
async function pickLoss(settings: LossOptions): Promise<LossOptions | null | undefined> {
  // Segmentation references are label maps: MONAI's Dice losses need to_onehot_y and a softmax for them.
  const seg = settings.loss === 'ce' ? settings : resolveOptions({ ...settings, toOnehotY: true, softmax: settings.sigmoid ? false : true });
  type Item = vscode.QuickPickItem & { value: LossOptions | null };
  const items: Item[] = [
    { label: '$(graph) Metrics and loss', description: describe(seg), detail: 'the loss settings (lossInspector.*), with to_onehot_y and softmax for label maps', value: seg },
    { label: '$(symbol-numeric) Metrics only', description: 'Dice, IoU, TP/FP/FN per case and class', value: null },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Evaluate Folder: what to compute' });
  return choice ? choice.value : undefined;
}

export async function runEvaluateFolder(deps: EvaluateFolderDeps, arg?: vscode.Uri | EvaluateFolderArgs): Promise<void> {
  try {
    let predictions: vscode.Uri | undefined;
    let references: vscode.Uri | undefined;
    let options: LossOptions | null | undefined;
    let labels: number[] | null = null;
    let ignoreLabel: number | null = null;
    if (arg instanceof vscode.Uri) {
      const subs = await subfolders(arg);
      const p = subs.find((n) => PRED_NAMES.test(n));
      const r = subs.find((n) => REF_NAMES.test(n));
      if (p && r) {
        predictions = vscode.Uri.joinPath(arg, p);
        references = vscode.Uri.joinPath(arg, r);
      } else predictions = arg;
    } else if (arg && typeof arg === 'object') {
      if (arg.predictions) predictions = vscode.Uri.parse(arg.predictions, true);
      if (arg.references) references = vscode.Uri.parse(arg.references, true);
      if (arg.metricsOnly) options = null;
      else if (arg.options) options = resolveOptions({ ...deps.settings.value.options, ...arg.options });
      if (Array.isArray(arg.labels)) labels = arg.labels.filter((l) => Number.isInteger(l));
      if (Number.isInteger(arg.ignoreLabel)) ignoreLabel = arg.ignoreLabel!;
    }
    predictions ??= await pickFolder('Evaluate Folder: predictions', 'The folder of predictions (label maps, logits or probabilities)');
    if (!predictions) return;
    references ??= await pickFolder('Evaluate Folder: references', 'The folder of reference label maps', predictions);
    if (!references) return;
    if (options === undefined) {
      options = await pickLoss(deps.settings.value.options);
      if (options === undefined) return;
    }
    const request: FolderRequest = { predictions, references, options, labels, ignoreLabel };
    await deps.panels.show(request);
  } catch (e) {
    void deps.logger.showError(e, 'Evaluate Folder');
  }
}

export function registerEvaluateFolder(deps: EvaluateFolderDeps): vscode.Disposable {
  return vscode.commands.registerCommand(EVALUATE_FOLDER_COMMAND, (arg?: vscode.Uri | EvaluateFolderArgs) => runEvaluateFolder(deps, arg));
}
