/**
 * *Inspect with these settings…* inside the real extension host, on a copy of demo/ holding the analysis's
 * fixture training script (`inspect_train.py`) and a script that states no class count (`no_count.py`):
 * each call's CodeLens carries the options training uses or exactly what it cannot apply; Inspect opens
 * a panel of its own next to the user's panel of the same pair (never changing it), also for a value torch
 * rejects; and a comparison opened from a file gives that file's lenses their C.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { runHostTests } from './runner';
import { COMPARISON_VIEW, ext, waitFor, webviewTabs, ws } from './common';

const INSPECT = 'lossInspector.inspectWithOptions';

async function lenses(uri: vscode.Uri, want: (l: vscode.CodeLens[]) => boolean): Promise<vscode.CodeLens[]> {
  let got: vscode.CodeLens[] = [];
  await waitFor(`CodeLenses in ${uri.path}`, async () => {
    got = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
    return want(got);
  });
  return got;
}

type InspectArg = { options: Record<string, unknown>; notApplied?: { param: string; text: string; reason: string }[]; invalid?: { param: string; reason: string }[]; uri: string; line: number };

const inspectArgs = (ls: vscode.CodeLens[]) =>
  ls.filter((l) => l.command?.command === INSPECT).sort((a, b) => a.range.start.line - b.range.start.line).map((l) => l.command!.arguments![0] as InspectArg);

const pair = () => ({ logits: ws('data/logits.npy').toString(), target: ws('data/labels.npy').toString() });

export function run(): Promise<void> {
  return runHostTests([
    {
      name: 'activate',
      fn: async () => {
        await ext().activate();
      },
    },
    {
      name: "inspect_train.py: every call's Inspect carries the options training uses, or names what it cannot apply",
      timeoutMs: 45_000,
      fn: async () => {
        const uri = ws('inspect_train.py');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        const args = inspectArgs(await lenses(uri, (l) => l.filter((x) => x.command?.command === INSPECT).length === 8));
        const brief = args.map((a) => ({
          options: a.options,
          notApplied: (a.notApplied ?? []).map((n) => `${n.param} (\`${n.text}\`, ${n.reason})`),
          invalid: (a.invalid ?? []).map((n) => n.param),
        }));
        assert.deepEqual(brief, [
          { options: { loss: 'ce', weight: [1, 2, 0.5, 1.5], ignoreIndex: 255, labelSmoothing: 0.2 }, notApplied: [], invalid: [] },
          { options: { loss: 'ce', ignoreIndex: 255, labelSmoothing: 0.1 }, notApplied: ['weight (`class_weights`, not a literal)'], invalid: [] },
          { options: { loss: 'dicece', toOnehotY: true, softmax: true, includeBackground: false, labelSmoothing: 0.1 }, notApplied: [], invalid: [] },
          { options: { loss: 'ce' }, notApplied: [], invalid: ['label_smoothing'] },
          { options: { loss: 'dicece', softmax: true }, notApplied: ['**kwargs (`**cfg`, may set any option; not read)'], invalid: [] },
          {
            options: { loss: 'ce' },
            notApplied: ['label_smoothing (`eps`, a function parameter)', "reduction (`\"none\"`, the inspector shows the 'mean' and 'sum' reductions)"],
            invalid: [],
          },
          { options: { loss: 'ce', labelSmoothing: 0.05 }, notApplied: ['weight (`[1.0] * len(CLASS_NAMES)`, not a literal)'], invalid: [] },
          { options: { loss: 'ce' }, notApplied: ['label_smoothing (`CONFIG["missing"]`, `CONFIG` has no key "missing")'], invalid: [] },
        ]);
        assert.ok(args.every((a) => a.uri === uri.toString()));
        assert.deepEqual(args.map((a) => a.line), [15, 16, 17, 18, 19, 20, 21, 22]);
      },
    },
    {
      name: "Inspect opens a panel of its own beside the user's panel of the same pair; again: the same one; a rejected value: its own too",
      timeoutMs: 90_000,
      fn: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await waitFor('no comparison panel', () => webviewTabs(COMPARISON_VIEW).length === 0, 10_000);
        await vscode.commands.executeCommand('lossInspector.compareLosses', pair());
        await waitFor("the user's comparison panel", () => webviewTabs(COMPARISON_VIEW).length === 1, 30_000);
        const args = inspectArgs(await lenses(ws('inspect_train.py'), (l) => l.some((x) => x.command?.command === INSPECT)));
        await vscode.commands.executeCommand(INSPECT, { ...args[1], ...pair() });
        await waitFor("the Inspect panel beside the user's", () => webviewTabs(COMPARISON_VIEW).length === 2, 30_000);
        await vscode.commands.executeCommand(INSPECT, { ...args[1], ...pair() });
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(webviewTabs(COMPARISON_VIEW).length, 2, 'the same call inspected again reuses its panel');
        await vscode.commands.executeCommand(INSPECT, { ...args[3], ...pair() });
        await waitFor('the panel of the call with label_smoothing=1.5', () => webviewTabs(COMPARISON_VIEW).length === 3, 30_000);
        assert.deepEqual(webviewTabs(COMPARISON_VIEW).map((t) => t.label).sort(), [
          'Loss: logits.npy ↔ labels.npy',
          'Loss: logits.npy ↔ labels.npy · inspect_train.py:17',
          'Loss: logits.npy ↔ labels.npy · inspect_train.py:19',
        ]);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await waitFor('the panels to close', () => webviewTabs(COMPARISON_VIEW).length === 0, 10_000);
      },
    },
    {
      name: 'no_count.py: "C ?" until a comparison is opened from it, then that C; other files keep theirs',
      timeoutMs: 90_000,
      fn: async () => {
        const uri = ws('no_count.py');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        const summary = (ls: vscode.CodeLens[]) => ls.find((l) => l.command && l.command.command !== INSPECT)?.command?.title ?? '';
        const before = await lenses(uri, (l) => summary(l) !== '');
        assert.equal(summary(before), 'ε 0.1 · C ? → target 0.9 + 0.1/C / 0.1/C');
        const [args] = inspectArgs(before);
        await vscode.commands.executeCommand(INSPECT, { ...args, ...pair() });
        await waitFor('the Inspect panel', () => webviewTabs(COMPARISON_VIEW).length === 1, 30_000);
        const after = await lenses(uri, (l) => summary(l).startsWith('ε 0.1 · C 4 '));
        assert.match(summary(after), /^ε 0\.1 · C 4 → target 0\.9250 \/ 0\.0250 · floor /);
        const either = ws('no_count_either.py');
        await vscode.workspace.openTextDocument(either);
        const other = await lenses(either, (l) => summary(l) !== '');
        assert.equal(summary(other), 'ε 0.2 · C ? → target 0.8 + 0.2/C / 0.2/C');
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      },
    },
  ]);
}
