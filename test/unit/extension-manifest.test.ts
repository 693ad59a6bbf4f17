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
  'evaluateFolder',
].map((c) => `lossInspector.${c}`);

test('activation: our commands, the custom editor, the panel restore and python — never *', () => {
  const ev: string[] = pkg.activationEvents;
  assert.ok(!ev.includes('*'));
  assert.ok(ev.every((e) => e !== '*' && !e.startsWith('onStartupFinished')));
  assert.deepEqual(
    [...ev].sort(),
    [
      ...COMMANDS.map((c) => `onCommand:${c}`), 'onCustomEditor:lossInspector.tensorFile', 'onLanguage:python', 'onWebviewPanel:lossInspector.comparison',
      'onFileSystem:loss-inspector-debug', 'onDebugResolve:debugpy', 'onDebugResolve:python',
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
  assert.equal(cmds.find((c) => c.command === 'lossInspector.evaluateFolder')!.title, 'Evaluate Folder…');
  const onFolder = pkg.contributes.menus['explorer/context'].find((m: { command: string }) => m.command === 'lossInspector.evaluateFolder');
  assert.equal(onFolder?.when, 'explorerResourceIsFolder', 'Evaluate Folder… on a folder in the explorer');
  const hidden = pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command);
  assert.ok(hidden.includes('lossInspector.inspectWithOptions'));
});

test('debugger commands: palette only while stopped, the Variables view menu, Refresh in a debugger view\'s title', () => {
  const palette: { command: string; when: string }[] = pkg.contributes.menus.commandPalette;
  const when = (c: string) => palette.find((m) => m.command === `lossInspector.${c}`)?.when;
  assert.match(when('compareFromDebugger')!, /debugState == 'stopped'/);
  assert.equal(when('compareLossWith'), 'false');
  const variables = pkg.contributes.menus['debug/variables/context'][0];
  assert.equal(variables.command, 'lossInspector.compareLossWith');
  assert.match(variables.when, /debugType in lossInspector\.pythonDebugTypes/);
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
  // Every file item (Evaluate Folder… is the one folder item) matches exactly the tensor patterns.
  for (const i of items.filter((x) => x.when !== 'explorerResourceIsFolder')) {
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

/** Width and height of a PNG (from its IHDR), or null when the bytes are not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 24 || bytes.readUInt32BE(0) !== 0x89504e47 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('marketplace listing: a 128×128 PNG icon, a gallery banner, the keywords and categories, a CHANGELOG entry', () => {
  assert.equal(pkg.icon, 'media/icon.png');
  assert.deepEqual(pngSize(readFileSync(join(repoRoot, pkg.icon))), { width: 128, height: 128 });
  assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
  const keywords = ['pytorch', 'monai', 'loss', 'label smoothing', 'dice', 'cross-entropy', 'segmentation', 'tensor', 'npy', 'nifti', 'safetensors'];
  assert.deepEqual([...pkg.keywords].sort(), [...keywords].sort());
  // The marketplace shows at most 30 keywords and these categories exist there.
  const known = ['Programming Languages', 'Snippets', 'Linters', 'Themes', 'Debuggers', 'Formatters', 'Keymaps', 'SCM Providers', 'Other', 'Extension Packs', 'Language Packs', 'Data Science', 'Machine Learning', 'Visualization', 'Notebooks', 'Education', 'Testing', 'AI', 'Chat'];
  assert.ok(pkg.categories.length > 0 && pkg.categories.every((c: string) => known.includes(c)), String(pkg.categories));
  assert.ok(pkg.displayName && pkg.description && pkg.publisher && pkg.license);
  const changelog = readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8');
  assert.match(changelog, /^## .+\n- /m, 'CHANGELOG.md has no entry');
});

test('Getting Started walkthrough: open a tensor file, compare a pair, the floor, the CodeLens — each with its command and an image', () => {
  const [wt, ...others] = pkg.contributes.walkthroughs as {
    id: string;
    title: string;
    description: string;
    steps: { id: string; title: string; description: string; media: { image?: string; markdown?: string; altText?: string }; completionEvents?: string[] }[];
  }[];
  assert.equal(others.length, 0);
  assert.ok(wt && wt.title && wt.description);
  assert.deepEqual(wt.steps.map((s) => s.id), ['openTensorFile', 'comparePair', 'readFloor', 'useCodeLens']);
  const commands = new Set<string>((pkg.contributes.commands as { command: string }[]).map((c) => c.command));
  const expected: Record<string, string> = {
    openTensorFile: 'lossInspector.openTensorFile',
    comparePair: 'lossInspector.compareLosses',
    readFloor: 'lossInspector.compareLosses',
    useCodeLens: 'workbench.action.quickOpen',
  };
  for (const s of wt.steps) {
    assert.ok(s.title && s.description, s.id);
    // A walkthrough renders links and plain text only: code spans or emphasis would show their backticks/asterisks.
    assert.doesNotMatch(s.description.replace(/\[[^\]]*\]\([^)]*\)/g, ''), /[`*]/, `${s.id}: markdown beyond links`);
    const links = [...s.description.matchAll(/\]\(command:([\w.]+)/g)].map((m) => m[1]!);
    assert.ok(links.includes(expected[s.id]!), `${s.id} links ${links.join(', ')}`);
    for (const c of links) assert.ok(c.startsWith('workbench.') || commands.has(c), `${s.id}: command ${c} is not contributed`);
    for (const e of s.completionEvents ?? []) {
      const c = /^onCommand:(.+)$/.exec(e)?.[1];
      assert.ok(c && commands.has(c), `${s.id}: completion event ${e}`);
    }
    // Each step shows an image under media/ that exists, is a PNG, has alt text and is small enough to ship.
    const image = s.media.image;
    assert.ok(image && image.startsWith('media/') && s.media.altText, `${s.id} has no image with alt text`);
    const bytes = readFileSync(join(repoRoot, image));
    assert.ok(pngSize(bytes), `${image} is not a PNG`);
    assert.ok(bytes.length < 300 * 1024, `${image} is ${bytes.length} bytes`);
  }
  assert.ok(wt.steps.find((s) => s.id === 'useCodeLens')!.completionEvents!.includes('onCommand:lossInspector.inspectWithOptions'));
});

test('README opens with the two set-up commands and then the picture of the comparison view', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  const demo = lines.findIndex((l) => l.startsWith('npm ci && npm run demo'));
  const test_ = lines.findIndex((l) => l.startsWith('npm ci && npm test'));
  const picture = lines.findIndex((l) => /^!\[[^\]]+\]\(media\/[\w-]+\.png\)/.test(l));
  assert.ok(demo >= 0 && demo < 15 && test_ >= 0 && test_ < 15, 'the set-up commands are not at the top');
  assert.ok(picture > test_ && picture < 25, 'no picture right after the set-up commands');
  const image = /\((media\/[\w-]+\.png)\)/.exec(lines[picture]!)![1]!;
  const bytes = readFileSync(join(repoRoot, image));
  assert.ok(pngSize(bytes) && bytes.length < 300 * 1024, `${image}: ${bytes.length} bytes`);
});
