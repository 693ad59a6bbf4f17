/**
 * Extension-host tests of the harness smoke extension (`loss-inspector-tests.e2e-smoke`): proves that the
 * payload mechanism loads a development extension and a tests module, and that results come back.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { metric, runHostTests } from './runner';

const ID = 'loss-inspector-tests.e2e-smoke';

export function run(): Promise<void> {
  return runHostTests([
    {
      name: 'the smoke extension is present and not yet active',
      fn: () => {
        const ext = vscode.extensions.getExtension(ID);
        assert.ok(ext, `${ID} is not loaded`);
        assert.equal(ext.isActive, false);
      },
    },
    {
      name: 'activating it registers its command',
      fn: async () => {
        const ext = vscode.extensions.getExtension(ID)!;
        const t0 = performance.now();
        await ext.activate();
        metric('smoke-activation', Number((performance.now() - t0).toFixed(2)), 'ms');
        const all = await vscode.commands.getCommands(true);
        assert.ok(all.includes('e2eSmoke.hello'), 'e2eSmoke.hello is not registered');
      },
    },
  ]);
}
