// The linter's job here is ARCHITECTURE.md's layers, checked on every import, plus a handful of rules that catch
// real bugs. It is deliberately not a style guide (formatting and naming are left to review).
//   engine    imports nothing else from src/ (it is the bottom layer)
//   pure      engine, readers, analysis, protocol: no `vscode`, no `node:`/Node built-ins, no Node-side or
//             extension folder (parallel, node, cli, worker, extension)
//   Node-side parallel, node, cli, worker: no `vscode`, no extension folder
//   webview   browser code: from src/ only the pure modules; no `vscode`, no Node
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = {
  paths: builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: 'a Node built-in: pure and browser code runs without Node' })),
  patterns: [{ regex: '^node:', message: 'a Node built-in: pure and browser code runs without Node' }],
};
const VSCODE = { name: 'vscode', message: 'only src/extension talks to VS Code' };

/** A pattern for relative imports that reach one of `folders` under src/, from anywhere inside src/. */
const srcFolders = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message });
/** The same from webview/ (which reaches src/ as ../…/src/<folder>). */
const srcFoldersFromOutside = (folders, message) => ({ regex: `^(\\.\\./)+src/(${folders.join('|')})(/|$)`, message });

const NODE_SIDE = ['parallel', 'node', 'cli', 'worker', 'extension'];
const restrict = (paths, patterns) => ['error', { paths, patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.test-artifacts/**', 'test/fixtures/**', 'bench/data/**', 'bench/results/**'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Bugs, not style.
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-duplicate-case': 'error',
      'no-unsafe-finally': 'error',
      'no-unreachable': 'error',
      'no-constant-binary-expression': 'error',
      'no-sparse-arrays': 'error',
      'use-isnan': 'error',
      'valid-typeof': 'error',
      'no-var': 'error',
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  // The layers. Later blocks override earlier ones for the same rule, so each folder gets one complete list.
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE, ...NODE_BUILTINS.paths],
        [...NODE_BUILTINS.patterns, srcFolders(['protocol', 'readers', 'analysis', ...NODE_SIDE], 'the engine is the bottom layer: it imports only the engine')],
      ),
    },
  },
  {
    files: ['src/readers/**/*.ts', 'src/analysis/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE, ...NODE_BUILTINS.paths],
        [...NODE_BUILTINS.patterns, srcFolders(NODE_SIDE, 'a pure module imports only pure modules (engine, readers, analysis, protocol)')],
      ),
    },
  },
  {
    files: ['src/parallel/**/*.ts', 'src/node/**/*.ts', 'src/cli/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([VSCODE], [srcFolders(['extension'], 'Node-side code runs without VS Code: it imports nothing from src/extension')]),
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE, ...NODE_BUILTINS.paths],
        [...NODE_BUILTINS.patterns, srcFoldersFromOutside(NODE_SIDE, 'the webview imports from src/ only the pure modules (engine, readers, analysis, protocol)')],
      ),
    },
  },
);
