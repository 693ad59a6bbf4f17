/**
 * A deliberately failing extension-host suite: the harness smoke test checks that a failure inside the
 * extension host comes back as a FAIL line and a non-zero exit code (so real failures cannot pass silently).
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { runHostTests } from './runner';

export function run(): Promise<void> {
  return runHostTests([
    { name: 'passes', fn: () => assert.ok(vscode.version) },
    { name: 'fails on purpose', fn: () => assert.equal(vscode.workspace.workspaceFolders?.length, 42) },
  ]);
}
