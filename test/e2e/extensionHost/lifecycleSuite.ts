/**
 * Activation and disposal of Loss Inspector INSIDE the real extension host (its own run: a fresh extension
 * host that VS Code never activates the extension in).
 *
 * VS Code deactivates an extension by calling its `deactivate()` and then disposing `context.subscriptions`,
 * but only when the extension host shuts down, which a test inside it cannot watch. So this suite does exactly
 * that itself: it loads the installed bundle, activates it with a stand-in context, checks what it registered,
 * deactivates it the way VS Code does, and checks that everything is gone — commands, and the custom editor
 * provider and panel serializer (the extension host refuses a second registration of either while the first
 * is alive, so registering them again here proves they were released).
 * Nothing here may run one of the extension's commands or open its editor: VS Code would fire the activation
 * event and activate its own instance next to the stand-in.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metric, runHostTests } from './runner';
import { COMMANDS, COMPARISON_VIEW, TENSOR_EDITOR, ext, ourCommands } from './common';

class MemoryMemento implements vscode.Memento {
  private readonly data = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.data.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return (this.data.has(key) ? this.data.get(key) : defaultValue) as T | undefined;
  }
  update(key: string, value: unknown): Thenable<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
    return Promise.resolve();
  }
  setKeysForSync(): void {}
}

/**
 * A stand-in ExtensionContext with the commonly used members; reading any other member fails the test naming
 * it (a new dependency of activate() on the context shows up as a clear message, not a wrong result).
 */
function standInContext(e: vscode.Extension<unknown>, subscriptions: { dispose(): unknown }[]): vscode.ExtensionContext {
  const storage = vscode.Uri.file(mkdtempSync(join(tmpdir(), 'loss-inspector-ehost-')));
  const base: Record<string, unknown> = {
    subscriptions,
    extension: e,
    extensionUri: e.extensionUri,
    extensionPath: e.extensionPath,
    extensionMode: vscode.ExtensionMode.Test,
    asAbsolutePath: (rel: string) => join(e.extensionPath, rel),
    globalState: new MemoryMemento(),
    workspaceState: new MemoryMemento(),
    storageUri: vscode.Uri.joinPath(storage, 'workspace'),
    globalStorageUri: vscode.Uri.joinPath(storage, 'global'),
    logUri: vscode.Uri.joinPath(storage, 'log'),
    storagePath: join(storage.fsPath, 'workspace'),
    globalStoragePath: join(storage.fsPath, 'global'),
    logPath: join(storage.fsPath, 'log'),
  };
  return new Proxy(base, {
    get(target, prop) {
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'toJSON') return undefined;
      if (!(prop in target)) throw new Error(`activate() read context.${prop}, which the disposal test's stand-in context lacks`);
      return target[prop];
    },
  }) as unknown as vscode.ExtensionContext;
}

interface ExtensionModule {
  activate(ctx: vscode.ExtensionContext): unknown;
  deactivate?(): unknown;
}

/** Registers and at once disposes a throwaway custom editor provider for our view type; throws while another lives. */
function claimEditor(): void {
  const provider: vscode.CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => {} }),
    resolveCustomEditor: () => {},
  };
  vscode.window.registerCustomEditorProvider(TENSOR_EDITOR, provider).dispose();
}

/** The same for the comparison panel's serializer. */
function claimSerializer(): void {
  vscode.window.registerWebviewPanelSerializer(COMPARISON_VIEW, { deserializeWebviewPanel: async () => {} }).dispose();
}

export function run(): Promise<void> {
  const subscriptions: { dispose(): unknown }[] = [];
  let mod: ExtensionModule | undefined;
  return runHostTests([
    {
      name: 'the extension is not active until the user does something',
      fn: async () => {
        assert.equal(ext().isActive, false, 'already active right after the workbench opened the workspace');
        assert.deepEqual(await ourCommands(), [], 'commands are registered before activation');
      },
    },
    {
      name: 'activate() registers every command and puts its registrations into context.subscriptions',
      fn: async () => {
        const e = ext();
        const main = require.resolve(join(e.extensionPath, (e.packageJSON as { main: string }).main));
        const t0 = performance.now();
        mod = require(main) as ExtensionModule;
        await mod.activate(standInContext(e, subscriptions));
        metric('activation-cold-standin', Number((performance.now() - t0).toFixed(1)), 'ms');
        assert.deepEqual(await ourCommands(), COMMANDS, 'not every command is registered by activate()');
        assert.ok(subscriptions.length > 0, 'activate() put nothing into context.subscriptions');
        assert.throws(claimEditor, /already registered/i, 'the custom editor provider is not registered');
        assert.throws(claimSerializer, /already registered/i, 'the comparison panel serializer is not registered');
        assert.equal(e.isActive, false, 'VS Code activated its own instance during the stand-in run');
      },
    },
    {
      name: 'deactivation (deactivate(), then the subscriptions disposed) releases commands, editor provider and serializer',
      fn: async () => {
        assert.ok(mod, 'activation failed');
        // What extHostExtensionService does on deactivation: deactivate(), then dispose the subscriptions.
        await mod.deactivate?.();
        for (const d of subscriptions.splice(0)) await d.dispose();
        assert.deepEqual(await ourCommands(), [], 'commands still registered after deactivation');
        assert.doesNotThrow(claimEditor, 'the custom editor provider outlived deactivation');
        assert.doesNotThrow(claimSerializer, 'the comparison panel serializer outlived deactivation');
      },
    },
  ]);
}
