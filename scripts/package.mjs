// `npm run package`: the production .vsix. A clean production build (minified, no source maps) into dist/,
// then @vscode/vsce packs what .vscodeignore keeps (dist bundles, media, README, LICENSE, CHANGELOG,
// package.json). Dependencies are bundled by esbuild, so vsce is told not to look at node_modules.
//   node scripts/package.mjs [--out file.vsix] [--no-build]
// Prints the .vsix path and size; exits non-zero when the build or vsce fails.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = outArg >= 0 ? resolve(process.argv[outArg + 1]) : join(root, `${pkg.name}-${pkg.version}.vsix`);

function run(args, what) {
  // No stdin: vsce must never wait on a question (e.g. a missing LICENSE) in CI.
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`package: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const t0 = Date.now();
if (!process.argv.includes('--no-build')) {
  // Start from an empty dist/ so nothing a development build left behind (maps, removed entries) is shipped.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  run(['scripts/build.mjs', '--production'], 'production build');
}
const t1 = Date.now();
run(
  [
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--out',
    out,
  ],
  'vsce package',
);
const bytes = statSync(out).size;
console.log(
  `package: ${out} ${(bytes / 1024).toFixed(1)} KiB (build ${((t1 - t0) / 1000).toFixed(1)} s, vsce ${((Date.now() - t1) / 1000).toFixed(1)} s)`,
);
