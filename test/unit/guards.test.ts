// The guards that keep the code honest fail when they should: the linter's layer rules (ARCHITECTURE.md), the
// type-check over every tsconfig, the build on a missing entry point, the test runner on an unknown or empty
// suite. The scripts are copied into a scratch repository (node_modules linked) so each can be shown a broken tree.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from './helpers/paths';

const scratchRoots: string[] = [];
after(() => {
  for (const d of scratchRoots) rmSync(d, { recursive: true, force: true });
});

/** A scratch repository holding `files` (path → content; `null` copies the repository's file). */
function scratch(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'loss-inspector-guard-'));
  scratchRoots.push(dir);
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    if (content === null) copyFileSync(join(repoRoot, rel), join(dir, rel));
    else writeFileSync(join(dir, rel), content);
  }
  return dir;
}

function run(cwd: string, args: string[]) {
  // Without NODE_TEST_CONTEXT the runner under test behaves as from a shell, not as a child of this test file.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000, env });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

// --- the linter's layers -------------------------------------------------------------------------------------

const eslint = new ESLint({ cwd: repoRoot });

/** The restricted-import messages ESLint gives `code` as if it were the file at `filePath`. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: { file: string; imports: string; allowed: boolean }[] = [
  // The engine is the bottom layer.
  { file: 'src/engine/probe.ts', imports: './types', allowed: true },
  { file: 'src/engine/probe.ts', imports: '../protocol/messages', allowed: false },
  { file: 'src/engine/probe.ts', imports: '../worker/protocol', allowed: false },
  { file: 'src/engine/probe.ts', imports: '../extension/settings', allowed: false },
  { file: 'src/engine/probe.ts', imports: '../cli/report', allowed: false },
  { file: 'src/engine/probe.ts', imports: '../readers/index', allowed: false },
  { file: 'src/engine/wasm/probe.ts', imports: '../../protocol/messages', allowed: false },
  // Pure modules: no Node, no vscode, no Node-side folder.
  { file: 'src/engine/probe.ts', imports: 'node:fs', allowed: false },
  { file: 'src/readers/probe.ts', imports: 'fs', allowed: false },
  { file: 'src/readers/probe.ts', imports: 'node:zlib', allowed: false },
  { file: 'src/readers/probe.ts', imports: '../engine/tensor', allowed: true },
  { file: 'src/readers/probe.ts', imports: 'fflate', allowed: true },
  { file: 'src/analysis/probe.ts', imports: 'vscode', allowed: false },
  { file: 'src/analysis/probe.ts', imports: '../extension/python/lens', allowed: false },
  { file: 'src/analysis/probe.ts', imports: '../engine/types', allowed: true },
  { file: 'src/protocol/probe.ts', imports: '../worker/protocol', allowed: false },
  { file: 'src/protocol/probe.ts', imports: 'node:path', allowed: false },
  // Node-side code runs without VS Code.
  { file: 'src/cli/probe.ts', imports: 'vscode', allowed: false },
  { file: 'src/worker/probe.ts', imports: '../extension/workerClient', allowed: false },
  { file: 'src/cli/probe.ts', imports: 'node:fs', allowed: true },
  { file: 'src/extension/probe.ts', imports: 'vscode', allowed: true },
  // The webview: pure modules only.
  { file: 'webview/comparison/probe.ts', imports: '../../src/protocol/messages', allowed: true },
  { file: 'webview/comparison/probe.ts', imports: '../../src/engine/types', allowed: true },
  { file: 'webview/comparison/probe.ts', imports: '../../src/extension/webviewHtml', allowed: false },
  { file: 'webview/comparison/probe.ts', imports: '../../src/worker/service', allowed: false },
  { file: 'webview/probe.ts', imports: '../src/parallel/pool', allowed: false },
  { file: 'webview/common/probe.ts', imports: 'vscode', allowed: false },
  { file: 'webview/common/probe.ts', imports: 'node:path', allowed: false },
];

test('lint: the import rules encode the layers (each forbidden import is reported, each allowed one is not)', async () => {
  const wrong: string[] = [];
  for (const c of cases) {
    for (const code of [`import { x } from '${c.imports}';\nexport const y = x;\n`, `export type { T } from '${c.imports}';\n`]) {
      const errors = await layerErrors(c.file, code);
      if (c.allowed !== (errors.length === 0)) wrong.push(`${c.file} → ${c.imports}: ${errors.length ? errors.join('; ') : 'not reported'}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('lint: a type-only import of the protocol from the engine is still a layer violation', async () => {
  const errors = await layerErrors('src/engine/slice.ts', "import type { ComparisonState } from '../protocol/messages';\nexport type S = ComparisonState;\n");
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /bottom layer/);
});

// --- type-check over every tsconfig ---------------------------------------------------------------------------

const TSCONFIG = JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', types: [] }, include: ['src'] });

test('typecheck: passes on a covered, correct tree', () => {
  const dir = scratch({ 'package.json': '{}', 'scripts/typecheck.mjs': null, 'tsconfig.json': TSCONFIG, 'src/a.ts': 'export const a: number = 1;\n' });
  const r = run(dir, ['scripts/typecheck.mjs']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /tsconfig\.json: ok/);
});

test('typecheck: fails on a type error and on a .ts file no tsconfig includes', () => {
  const dir = scratch({
    'package.json': '{}',
    'scripts/typecheck.mjs': null,
    'tsconfig.json': TSCONFIG,
    'src/a.ts': "export const a: number = 'one';\n",
    'tools/stray.ts': 'export const b = 2;\n',
  });
  const r = run(dir, ['scripts/typecheck.mjs']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /src\/a\.ts\(1,14\): error TS2322/);
  assert.match(r.out, /in no tsconfig.*tools\/stray\.ts/);
});

test('typecheck: a second tsconfig is checked too (its error fails the run)', () => {
  const dir = scratch({
    'package.json': '{}',
    'scripts/typecheck.mjs': null,
    'tsconfig.json': TSCONFIG,
    'src/a.ts': 'export const a = 1;\n',
    'web/tsconfig.json': JSON.stringify({ extends: '../tsconfig.json', include: ['.'] }),
    'web/b.ts': 'export const b: string = 2;\n',
  });
  const r = run(dir, ['scripts/typecheck.mjs']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /web\/tsconfig\.json: 1 error/);
  assert.match(r.out, /b\.ts\(1,14\): error TS2322/);
});

// --- the build ------------------------------------------------------------------------------------------------

test('build: a missing entry point fails the build and is named', () => {
  const entries = [
    'src/extension/extension.ts',
    'src/cli/main.ts',
    'src/parallel/accumulateWorker.ts',
    'src/parallel/caseWorker.ts',
    'webview/comparison/main.ts',
    'webview/tensorFile/main.ts',
  ]; // src/worker/worker.ts left out
  const dir = scratch({ 'scripts/build.mjs': null, ...Object.fromEntries(entries.map((e) => [e, 'export {};\n'])) });
  const r = run(dir, ['scripts/build.mjs']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /entry point src\/worker\/worker\.ts \(for dist\/worker\.js\) does not exist/);
  assert.ok(!existsSync(join(dir, 'dist', 'extension.js')), 'nothing is built when an entry is missing');
});

test('build: a bundle that does not compile fails the build', () => {
  const entries = ['src/extension/extension.ts', 'src/worker/worker.ts', 'src/cli/main.ts', 'src/parallel/accumulateWorker.ts', 'src/parallel/caseWorker.ts', 'webview/tensorFile/main.ts'];
  const dir = scratch({
    'scripts/build.mjs': null,
    ...Object.fromEntries(entries.map((e) => [e, 'export {};\n'])),
    'webview/comparison/main.ts': "import { el } from './shared/dom';\nel();\n",
  });
  const r = run(dir, ['scripts/build.mjs']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /Could not resolve "\.\/shared\/dom"/);
  assert.match(r.out, /1 of 7 bundles failed/);
});

// --- the test runner ------------------------------------------------------------------------------------------

const okBuild = { 'scripts/build.mjs': 'process.exit(0);\n' };

test('test runner: an unknown suite, or --only without a suite, fails before anything runs', () => {
  const dir = scratch({ 'scripts/test.mjs': null, ...okBuild, 'test/unit/a.test.ts': "import { test } from 'node:test';\ntest('a', () => {});\n" });
  const r = run(dir, ['scripts/test.mjs', '--only', 'unit,unti']);
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /unknown suite 'unti'/);
  assert.match(r.out, /tests: 0 passed, 1 failed/);
  const r2 = run(dir, ['scripts/test.mjs', '--only']);
  assert.equal(r2.status, 2, r2.out);
  assert.match(r2.out, /--only needs/);
});

test('test runner: a selected suite without test files fails', () => {
  const dir = scratch({ 'scripts/test.mjs': null, ...okBuild, 'test/unit/helper.ts': 'export {};\n' });
  const r = run(dir, ['scripts/test.mjs', '--only', 'unit']);
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /no \*\.test\.ts files in test\/unit/);
});

test('test runner: a test file that registers no test fails the suite; one real test passes', () => {
  const dir = scratch({ 'scripts/test.mjs': null, ...okBuild, 'test/unit/none.test.ts': 'export {};\n' });
  const r = run(dir, ['scripts/test.mjs', '--only', 'unit']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /unit: no test ran in test\/unit\/none\.test\.ts/);
  assert.match(r.out, /tests: 0 passed, 1 failed/);
  writeFileSync(join(dir, 'test/unit/none.test.ts'), "import { test } from 'node:test';\ntest('one', () => {});\n");
  const ok = run(dir, ['scripts/test.mjs', '--only', 'unit']);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /tests: 1 passed, 0 failed, 0 skipped/);
});

test('test runner: a failing build fails the run', () => {
  const dir = scratch({ 'scripts/test.mjs': null, 'scripts/build.mjs': 'process.exit(1);\n', 'test/unit/a.test.ts': "import { test } from 'node:test';\ntest('a', () => {});\n" });
  const r = run(dir, ['scripts/test.mjs', '--only', 'unit']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /build failed/);
});
