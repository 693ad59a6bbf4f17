/**
 * The extension's commands (ids and titles in package.json and ARCHITECTURE.md):
 * - `lossInspector.compareLosses` — *Compare Losses…*, optional `{logits?, target?, options?}`;
 * - `lossInspector.openTensorFile` — *Open Tensor File* in the read-only custom editor;
 * - `lossInspector.compareWith` — explorer context menu on one or two tensor files;
 * - `lossInspector.inspectWithOptions` — from a CodeLens: `{options, uri, line}`, the compare flow with the
 *   call's options prefilled;
 * - `lossInspector.showOutput` — the "Loss Inspector" output channel.
 */
import * as vscode from 'vscode';
import type { LossOptions } from '../engine/types';
import type { InspectCaveats, InspectNote } from '../protocol/messages';
import { argsForSelection, CompareFlow, findTensorFiles, type CompareArgs, type CompareDeps } from './comparePicker';
import { baseName, dirName, TENSOR_FILE_GLOBS, tensorExtension } from './tensorSpec';
import { TENSOR_FILE_VIEW_TYPE } from './tensorFileEditor';

export const COMMANDS = {
  compareLosses: 'lossInspector.compareLosses',
  openTensorFile: 'lossInspector.openTensorFile',
  compareWith: 'lossInspector.compareWith',
  inspectWithOptions: 'lossInspector.inspectWithOptions',
  showOutput: 'lossInspector.showOutput',
} as const;

/** The CodeLens argument (analysis/lens.ts `InspectPayload` plus where the call is). */
export interface InspectArgs {
  options?: Partial<LossOptions>;
  notApplied?: InspectNote[];
  invalid?: InspectNote[];
  uri?: string;
  /** 0-based. */
  line?: number;
}

/** The notes of an Inspect argument, checked (it may come from anywhere through `executeCommand`). */
export function inspectCaveats(args: InspectArgs): InspectCaveats | undefined {
  if (typeof args.uri !== 'string') return undefined;
  const line = typeof args.line === 'number' && Number.isInteger(args.line) && args.line >= 0 ? args.line + 1 : 1;
  const notes = (l: unknown): InspectNote[] =>
    Array.isArray(l)
      ? l
          .filter((n): n is InspectNote => typeof n === 'object' && n !== null && typeof n.param === 'string' && typeof n.text === 'string' && typeof n.reason === 'string')
          .map((n) => ({ param: n.param, key: typeof n.key === 'string' ? n.key : null, text: n.text, reason: n.reason }))
      : [];
  const path = args.uri.replace(/[?#].*$/, '');
  return { sourceUri: args.uri, line, label: `${baseName(decodeURIComponent(path))}:${line}`, notApplied: notes(args.notApplied), invalid: notes(args.invalid) };
}

export function registerCommands(deps: CompareDeps): vscode.Disposable {
  const flow = new CompareFlow(deps);
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMANDS.compareLosses, (args?: CompareArgs) => flow.run(args ?? {})),
    vscode.commands.registerCommand(COMMANDS.compareWith, (uri?: vscode.Uri, selected?: vscode.Uri[]) => {
      const picked = (selected && selected.length > 0 ? selected : uri ? [uri] : []).filter((u) => u instanceof vscode.Uri);
      return flow.run(argsForSelection(picked.slice(0, 2)));
    }),
    vscode.commands.registerCommand(COMMANDS.inspectWithOptions, (args?: InspectArgs) => {
      const options = args && typeof args === 'object' && args.options && typeof args.options === 'object' ? args.options : undefined;
      if (args?.uri) deps.logger.info(`CodeLens at ${args.uri}:${(args.line ?? 0) + 1}: inspecting with ${JSON.stringify(options ?? {})}`);
      // The call's own options over torch/MONAI defaults (not over the settings): what that code computes,
      // in a panel of its own that lists what it could not apply.
      const inspect = args && typeof args === 'object' ? inspectCaveats(args) : undefined;
      return flow.run({ ...(options ? { options } : {}), optionsBase: 'defaults', ...(inspect ? { inspect } : {}) });
    }),
    vscode.commands.registerCommand(COMMANDS.openTensorFile, async (uri?: vscode.Uri) => {
      try {
        const target = uri instanceof vscode.Uri ? uri : await pickTensorFile();
        if (target) await vscode.commands.executeCommand('vscode.openWith', target, TENSOR_FILE_VIEW_TYPE);
      } catch (e) {
        deps.logger.showError(e, 'Open Tensor File');
      }
    }),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => deps.logger.show()),
  );
}

/** A tensor file of the workspace (or, with none or on request, from the open dialog). */
async function pickTensorFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeUri = active && typeof active === 'object' && 'uri' in active && active.uri instanceof vscode.Uri ? active.uri : undefined;
  const files = await findTensorFiles();
  const browse = async () =>
    (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Open', filters: { 'Tensor files': TENSOR_FILE_GLOBS.map((g) => g.slice(2)) } }))?.[0];
  if (files.length === 0) return browse();
  type V = vscode.Uri | 'browse';
  const items: (vscode.QuickPickItem & { value?: V })[] = files.map((u) => ({
    label: `$(file-binary) ${baseName(u.path)}`,
    description: vscode.workspace.asRelativePath(u.with({ path: dirName(u.path) }), true),
    value: u,
  }));
  if (activeUri && tensorExtension(activeUri.path)) {
    const i = items.findIndex((it) => it.value instanceof vscode.Uri && it.value.toString() === activeUri.toString());
    if (i > 0) items.unshift(...items.splice(i, 1));
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Browse…', value: 'browse' });
  const choice = await vscode.window.showQuickPick(items, { title: 'Open Tensor File', placeHolder: 'A tensor file to inspect', matchOnDescription: true });
  if (!choice?.value) return undefined;
  return choice.value === 'browse' ? browse() : choice.value;
}
