// `npm run package`: the production .vsix.
// The repository is copied (without node_modules, dist, tests, demo data, git) into a staging folder,
// `.cache/package/`, where a production build (minified, no source maps) fills an empty dist/ and @vscode/vsce
// packs what .vscodeignore keeps (dist bundles, media, README, LICENSE, CHANGELOG, package.json).
// Why a staging folder: the working dist/ holds development builds with source maps that other tools and
// tests use while this runs; packaging must neither disturb them nor ship anything stale from them.
// Dependencies are bundled by esbuild, so vsce is told not to look at node_modules.
//   node scripts/package.mjs [--out file.vsix]
// Prints the .vsix path and size; exits non-zero when the build or vsce fails.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = outArg >= 0 ? resolve(process.argv[outArg + 1]) : join(root, `${pkg.name}-${pkg.version}.vsix`);
const stage = join(root, '.cache', 'package');

/** Top-level entries never needed to build or package the extension. */
const SKIP = new Set(['.git', '.cache', '.test-artifacts', 'node_modules', 'dist', 'out', 'test', 'demo', 'sample', 'bench', '.ci', '.vscode']);

function run(args, what, cwd) {
  // No stdin: vsce must never wait on a question (e.g. a missing LICENSE) in CI.
  const r = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`package: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const t0 = Date.now();
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const name of readdirSync(root)) {
  if (SKIP.has(name) || name.endsWith('.vsix')) continue;
  cpSync(join(root, name), join(stage, name), { recursive: true });
}
symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
// package.json's `files` lists what `npm pack` puts in the CLI's tarball; the .vsix is chosen by .vscodeignore,
// and vsce refuses a package that has both.
const { files: _npmFiles, ...manifest } = pkg;
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
run([join(stage, 'scripts', 'build.mjs'), '--production'], 'production build', stage);
const t1 = Date.now();
mkdirSync(resolve(out, '..'), { recursive: true });
run(
  [
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '--out',
    out,
  ],
  'vsce package',
  stage,
);
const bytes = statSync(out).size;
console.log(
  `package: ${out} ${(bytes / 1024).toFixed(1)} KiB (stage + build ${((t1 - t0) / 1000).toFixed(1)} s, vsce ${((Date.now() - t1) / 1000).toFixed(1)} s)`,
);
