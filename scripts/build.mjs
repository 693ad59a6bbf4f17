// One esbuild script for every bundle: the extension, its worker, the CLI and the webviews.
// `--production` minifies and drops source maps (what `npm run package` ships); `--watch` rebuilds;
// `--cli` builds only the CLI's bundles (what `npm pack` ships: `prepack` is `--production --cli`).
// A missing entry point is an error (it names the entry), never a silently smaller dist/: the manifest, the
// worker clients and the package all rely on every bundle below.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const cliOnly = process.argv.includes('--cli');

const common = {
  bundle: true,
  logLevel: 'warning',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: production ? 'none' : 'inline',
  absWorkingDir: root,
};

/** Node-side bundles (CommonJS, `vscode` provided by the host). */
const allNodeEntries = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js' },
  { in: 'src/worker/worker.ts', out: 'dist/worker.js' },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'src/parallel/accumulateWorker.ts', out: 'dist/accumulate-worker.js' },
  { in: 'src/parallel/caseWorker.ts', out: 'dist/case-worker.js' },
];
/** Browser bundles for the webviews (IIFE, loaded with a CSP nonce). */
const allWebEntries = [
  { in: 'webview/comparison/main.ts', out: 'dist/webview/comparison.js' },
  { in: 'webview/tensorFile/main.ts', out: 'dist/webview/tensorFile.js' },
];
/** The CLI runs dist/cli.js and its worker threads: dist/accumulate-worker.js (large inputs) and dist/case-worker.js (folders of cases). */
const CLI_BUNDLES = ['dist/cli.js', 'dist/accumulate-worker.js', 'dist/case-worker.js'];
const nodeEntries = cliOnly ? allNodeEntries.filter((e) => CLI_BUNDLES.includes(e.out)) : allNodeEntries;
const webEntries = cliOnly ? [] : allWebEntries;

const missing = [...nodeEntries, ...webEntries].filter((e) => !existsSync(join(root, e.in)));
if (missing.length) {
  for (const e of missing) console.error(`build: entry point ${e.in} (for ${e.out}) does not exist`);
  process.exit(1);
}

const builds = [];
for (const e of nodeEntries) {
  builds.push({
    ...common,
    entryPoints: [e.in],
    outfile: e.out,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    banner: e.banner ? { js: e.banner } : undefined,
  });
}
for (const e of webEntries) {
  builds.push({ ...common, entryPoints: [e.in], outfile: e.out, platform: 'browser', format: 'iife', target: 'chrome120' });
}

mkdirSync(join(root, 'dist'), { recursive: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log(`watching ${builds.length} bundles…`);
} else {
  const results = await Promise.allSettled(builds.map((b) => esbuild.build(b)));
  const failed = results.filter((r) => r.status === 'rejected');
  // esbuild has already printed each error with its file and line (logLevel 'warning').
  if (failed.length) {
    console.error(`build: ${failed.length} of ${builds.length} bundles failed`);
    process.exit(1);
  }
}
