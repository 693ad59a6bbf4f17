/**
 * Loss Inspector INSIDE the real extension host (code-server's, Node 24), installed from the .vsix: the
 * development path given to the workbench is the installed extension's folder. The workspace is a copy of
 * demo/. The extension must still be inactive when the suite starts (the first tests check it, then activate).
 * Deactivation is tested by lifecycleSuite.ts in its own extension host.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { metric, runHostTests } from './runner';
import {
  COMMANDS,
  COMPARISON_VIEW,
  SETTINGS,
  TENSOR_EDITOR,
  customEditorTabs,
  ext,
  ourCommands,
  waitFor,
  webviewTabs,
  ws,
} from './common';

export function run(): Promise<void> {
  return runHostTests([
    {
      name: 'activation events: own commands, custom editor, panel restore and python — never *',
      fn: () => {
        const events = (ext().packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
        assert.ok(!events.includes('*'), `activationEvents contains '*': ${JSON.stringify(events)}`);
        assert.ok(!events.includes('onStartupFinished'), 'activates on startup');
        for (const e of [
          ...COMMANDS.map((c) => `onCommand:${c}`),
          `onCustomEditor:${TENSOR_EDITOR}`,
          `onWebviewPanel:${COMPARISON_VIEW}`,
          'onLanguage:python',
        ]) {
          assert.ok(events.includes(e), `activationEvents lacks ${e}: ${JSON.stringify(events)}`);
        }
      },
    },
    {
      name: 'the extension is not active until the user does something',
      fn: async () => {
        assert.equal(ext().isActive, false, 'already active right after the workbench opened the workspace');
        assert.deepEqual(await ourCommands(), [], 'commands are registered before activation');
      },
    },
    {
      name: 'VS Code activates it (timed) and registers every contributed command',
      fn: async () => {
        const e = ext();
        const t0 = performance.now();
        await e.activate();
        metric('activation', Number((performance.now() - t0).toFixed(1)), 'ms');
        assert.equal(e.isActive, true);
        const contributed = ((e.packageJSON as { contributes: { commands?: { command: string }[] } }).contributes.commands ?? []).map(
          (c) => c.command,
        );
        assert.deepEqual([...contributed].sort(), [...COMMANDS].sort(), 'contributed commands differ from ARCHITECTURE.md');
        assert.deepEqual(await ourCommands(), COMMANDS);
      },
    },
    {
      name: 'every setting exists with a default of the declared type',
      fn: () => {
        const cfg = vscode.workspace.getConfiguration('lossInspector');
        const contributed = (ext().packageJSON as { contributes: { configuration: unknown } }).contributes.configuration;
        const declared: Record<string, { type?: string | string[]; default?: unknown }> = {};
        for (const section of Array.isArray(contributed) ? contributed : [contributed]) {
          Object.assign(declared, (section as { properties: typeof declared }).properties);
        }
        for (const key of SETTINGS) {
          const full = `lossInspector.${key}`;
          const decl = declared[full];
          assert.ok(decl, `setting ${full} is not contributed`);
          const info = cfg.inspect(key);
          assert.ok(info, `setting ${full} is unknown to the configuration service`);
          assert.deepEqual(info.defaultValue, decl.default, `${full}: default differs from the manifest`);
          const types = ([] as string[]).concat(decl.type ?? []);
          const v = info.defaultValue;
          const actual =
            v === null ? ['null'] : Array.isArray(v) ? ['array'] : typeof v === 'number' ? (Number.isInteger(v) ? ['integer', 'number'] : ['number']) : [typeof v];
          assert.ok(types.length === 0 || actual.some((t) => types.includes(t)), `${full}: default ${JSON.stringify(v)} is not of type ${types.join('|')}`);
        }
      },
    },
    {
      name: 'the custom editor opens tensor files by default (.pt and .nii.gz)',
      fn: async () => {
        for (const rel of ['data/outputs.pt', 'data/labels.nii.gz']) {
          await vscode.commands.executeCommand('vscode.open', ws(rel));
          await waitFor(`${rel} in the tensor editor`, () =>
            customEditorTabs(TENSOR_EDITOR).some((t) => (t.input as vscode.TabInputCustom).uri.path.endsWith(rel)),
          );
        }
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      },
    },
    {
      name: 'Compare Losses with {logits, target} opens one comparison panel',
      fn: async () => {
        await vscode.commands.executeCommand('lossInspector.compareLosses', {
          logits: ws('data/logits.npy').toString(),
          target: ws('data/labels.npy').toString(),
        });
        await waitFor('the comparison panel', () => webviewTabs(COMPARISON_VIEW).length === 1);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await waitFor('the comparison panel to close', () => webviewTabs(COMPARISON_VIEW).length === 0, 5_000);
      },
    },
    {
      name: 'the CodeLens and diagnostics providers serve Python files',
      timeoutMs: 45_000,
      fn: async () => {
        const uri = ws('train.py');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        let lenses: vscode.CodeLens[] = [];
        await waitFor('CodeLenses in train.py', async () => {
          lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
          return lenses.some((l) => l.command?.command === 'lossInspector.inspectWithOptions');
        });
        await waitFor('a diagnostic in train.py', () => vscode.languages.getDiagnostics(uri).length > 0);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      },
    },
    {
      name: 'Show Output runs',
      fn: async () => {
        await vscode.commands.executeCommand('lossInspector.showOutput');
      },
    },
  ]);
}
