// Type-checks every TypeScript project in the repository (each tsconfig.json: the extension and CLI at the root,
// the webviews, the tests) and fails when a .ts file belongs to none of them — a new folder must not escape
// type-checking because no tsconfig includes it.
//   node scripts/typecheck.mjs
// Prints one line per project and exits non-zero on a type error or an uncovered file.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'out', '.git', '.cache', '.test-artifacts', 'fixtures']);
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

function walk(dir, out = { configs: [], sources: [] }) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name === 'tsconfig.json') out.configs.push(p);
    else if (/\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.sources.push(p);
  }
  return out;
}

const { configs, sources } = walk(root);
const covered = new Set();
let failed = false;
for (const config of configs.sort()) {
  const name = relative(root, config);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '--listFiles', '-p', config], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const lines = (r.stdout ?? '').split('\n');
  const errors = lines.filter((l) => /error TS\d+/.test(l));
  for (const l of lines) if (l.startsWith('/')) covered.add(resolve(l.trim()));
  if (r.status !== 0) {
    failed = true;
    console.log(`typecheck: ${name}: ${errors.length || 'tsc'} error(s)`);
    for (const l of errors.length ? errors : [r.stderr || r.stdout]) console.log(`  ${l}`);
  } else {
    console.log(`typecheck: ${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
const uncovered = sources.filter((s) => !covered.has(s)).map((s) => relative(root, s));
if (uncovered.length) {
  failed = true;
  console.log(`typecheck: ${uncovered.length} file(s) in no tsconfig (add them to one): ${uncovered.join(', ')}`);
}
if (configs.length === 0) {
  failed = true;
  console.log('typecheck: no tsconfig.json found');
}
process.exit(failed ? 1 : 0);
