// One esbuild script for every bundle: the extension, its worker, the CLI and the webviews.
// `--production` minifies and drops source maps (what `npm run package` ships); `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  logLevel: 'warning',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: production ? 'none' : 'inline',
  absWorkingDir: root,
};

/** Node-side bundles (CommonJS, `vscode` provided by the host). */
const nodeEntries = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js' },
  { in: 'src/worker/worker.ts', out: 'dist/worker.js' },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'src/parallel/accumulateWorker.ts', out: 'dist/accumulate-worker.js' },
  { in: 'src/parallel/caseWorker.ts', out: 'dist/case-worker.js' },
];
/** Browser bundles for the webviews (IIFE, loaded with a CSP nonce). */
const webEntries = [
  { in: 'webview/comparison/main.ts', out: 'dist/webview/comparison.js' },
  { in: 'webview/tensorFile/main.ts', out: 'dist/webview/tensorFile.js' },
  { in: 'webview/dataset/main.ts', out: 'dist/webview/dataset.js' },
];

const builds = [];
for (const e of nodeEntries) {
  if (!existsSync(join(root, e.in))) continue;
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
  if (!existsSync(join(root, e.in))) continue;
  builds.push({ ...common, entryPoints: [e.in], outfile: e.out, platform: 'browser', format: 'iife', target: 'chrome120' });
}

mkdirSync(join(root, 'dist'), { recursive: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log(`watching ${builds.length} bundles…`);
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
