// package.json's extension manifest: activation (never '*'), capabilities, commands, menus, the custom editor's
// patterns, and settings that are exactly the option schema's (so the settings model sees no problem).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, LOSS_KINDS, OPTION_KEYS } from '../../src/engine/types';
import { OPTION_SCHEMA, settingContribution, type AnyOptionSpec } from '../../src/engine/optionSchema';
import { EXTRA_SETTING_DEFAULTS, resolveSettings } from '../../src/extension/settingsModel';
import { TENSOR_FILE_GLOBS, TENSOR_FILENAME_REGEX } from '../../src/extension/tensorSpec';
import { repoRoot } from './helpers/paths';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const COMMANDS = [
  'compareLosses', 'openTensorFile', 'compareWith', 'inspectWithOptions', 'showOutput', 'compareFromDebugger', 'compareLossWith', 'refreshFromDebugger',
].map((c) => `lossInspector.${c}`);

test('activation: our commands, the custom editor, the panel restore and python — never *', () => {
  const ev: string[] = pkg.activationEvents;
  assert.ok(!ev.includes('*'));
  assert.ok(ev.every((e) => e !== '*' && !e.startsWith('onStartupFinished')));
  assert.deepEqual(
    [...ev].sort(),
    [
      ...COMMANDS.map((c) => `onCommand:${c}`), 'onCustomEditor:lossInspector.tensorFile', 'onLanguage:python', 'onWebviewPanel:lossInspector.comparison',
      'onFileSystem:loss-inspector-debug',
    ].sort(),
  );
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.browser, undefined);
  assert.deepEqual(pkg.capabilities, { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true });
});

test('commands: all contributed with the category; CodeLens-only ones hidden from the palette', () => {
  const cmds: { command: string; title: string; category: string }[] = pkg.contributes.commands;
  assert.deepEqual(cmds.map((c) => c.command).sort(), [...COMMANDS].sort());
  for (const c of cmds) assert.equal(c.category, 'Loss Inspector');
  assert.equal(cmds.find((c) => c.command === 'lossInspector.compareLosses')!.title, 'Compare Losses…');
  assert.equal(cmds.find((c) => c.command === 'lossInspector.openTensorFile')!.title, 'Open Tensor File');
  const hidden = pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command);
  assert.ok(hidden.includes('lossInspector.inspectWithOptions'));
});

test('debugger commands: palette only while stopped, the Variables view menu, Refresh in a debugger view\'s title', () => {
  const palette: { command: string; when: string }[] = pkg.contributes.menus.commandPalette;
  const when = (c: string) => palette.find((m) => m.command === `lossInspector.${c}`)?.when;
  assert.match(when('compareFromDebugger')!, /debugState == 'stopped'/);
  assert.equal(when('compareLossWith'), 'false');
  assert.equal(pkg.contributes.menus['debug/variables/context'][0].command, 'lossInspector.compareLossWith');
  const title = pkg.contributes.menus['editor/title'].find((m: { command: string }) => m.command === 'lossInspector.refreshFromDebugger');
  assert.match(title.when, /activeWebviewPanelId == 'lossInspector\.comparison'/);
  const cmds: { command: string; title: string }[] = pkg.contributes.commands;
  assert.equal(cmds.find((c) => c.command === 'lossInspector.compareFromDebugger')!.title, 'Compare Losses from Debugger…');
  assert.equal(cmds.find((c) => c.command === 'lossInspector.compareLossWith')!.title, 'Compare Loss With…');
  assert.equal(cmds.find((c) => c.command === 'lossInspector.refreshFromDebugger')!.title, 'Refresh from Debugger');
});

test('explorer menu when-clause and the custom editor cover exactly the seven tensor patterns', () => {
  const items: { command: string; when: string }[] = pkg.contributes.menus['explorer/context'];
  assert.ok(items.some((i) => i.command === 'lossInspector.compareWith'));
  for (const i of items) {
    const m = /resourceFilename =~ \/(.+)\/i/.exec(i.when);
    assert.ok(m, i.when);
    assert.equal(m[1], TENSOR_FILENAME_REGEX);
    const re = new RegExp(m[1]!, 'i');
    for (const name of ['a.npy', 'a.NPZ', 'm.pt', 'm.pth', 'w.safetensors', 'v.nii', 'v.nii.gz']) assert.ok(re.test(name), name);
    for (const name of ['a.gz', 'a.json', 'a.npy.txt', 'pt', 'a.nii.gz.bak']) assert.ok(!re.test(name), name);
  }
  const [editor] = pkg.contributes.customEditors;
  assert.equal(editor.viewType, 'lossInspector.tensorFile');
  assert.deepEqual(editor.selector.map((s: { filenamePattern: string }) => s.filenamePattern), [...TENSOR_FILE_GLOBS]);
  assert.ok(['default', 'option'].includes(editor.priority));
});

test('settings: one per option key with the engine default, plus the extension settings', () => {
  const props: Record<string, { default: unknown; type: unknown; description?: string; markdownDescription?: string; enum?: unknown[] }> =
    pkg.contributes.configuration.properties;
  for (const k of OPTION_KEYS) {
    const p = props[`lossInspector.${k}`];
    assert.ok(p, `lossInspector.${k} missing`);
    assert.deepEqual(p.default, DEFAULT_OPTIONS[k], k);
  }
  // Each option's setting is exactly what the option schema contributes (run scripts/sync-settings.ts after a schema edit).
  (OPTION_SCHEMA as readonly AnyOptionSpec[]).forEach((spec, i) => {
    const { order, ...rest } = props[`lossInspector.${spec.key}`] as Record<string, unknown>;
    assert.deepEqual(rest, settingContribution(spec), `lossInspector.${spec.key} differs from the option schema: run node --import tsx scripts/sync-settings.ts`);
    assert.equal(order, i + 1, `lossInspector.${spec.key}: order`);
  });
  for (const [k, v] of Object.entries(EXTRA_SETTING_DEFAULTS)) assert.deepEqual(props[`lossInspector.${k}`]?.default, v, k);
  assert.deepEqual(Object.keys(props).sort(), [...OPTION_KEYS, ...Object.keys(EXTRA_SETTING_DEFAULTS)].map((k) => `lossInspector.${k}`).sort());
  for (const [k, p] of Object.entries(props)) {
    assert.ok(p.type, `${k} has a type`);
    assert.ok(p.description || p.markdownDescription, `${k} has a description`);
  }
  assert.deepEqual(props['lossInspector.loss']!.enum, [...LOSS_KINDS]);
  assert.deepEqual(props['lossInspector.wType']!.enum, ['square', 'simple', 'uniform']);
  assert.deepEqual(props['lossInspector.reduction']!.enum, ['mean', 'sum']);
  const ls = props['lossInspector.labelSmoothing'] as { minimum?: number; maximum?: number };
  assert.equal(ls.minimum, 0);
  assert.equal(ls.maximum, 1);
  // The contributed defaults are what VS Code hands the settings model when nothing is set.
  const r = resolveSettings((k) => props[`lossInspector.${k}`]?.default);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.settings.options, DEFAULT_OPTIONS);
});
