// Runs every test suite with node's own test runner, in order: unit (pure code, golden cases, corpus,
// fuzz), integration (real debugpy over DAP), webview (real headless Chromium), e2e (real VS Code via
// code-server). Builds first.
// Prints one closing line `tests: N passed, N failed, N skipped` over all suites.
//   node scripts/test.mjs                 all suites
//   node scripts/test.mjs --only unit     one or more suites (comma-separated)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SUITES = ['unit', 'integration', 'webview', 'e2e'];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? process.argv[onlyArg + 1].split(',') : SUITES;

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('tests: 0 passed, 1 failed (build failed)');
  process.exit(1);
}

const totals = { pass: 0, fail: 0, skipped: 0 };
let failedSuites = [];
for (const suite of SUITES.filter((s) => only.includes(s))) {
  const files = findTests(join(root, 'test', suite));
  if (files.length === 0) continue;
  console.log(`\n=== ${suite}: ${files.length} test files`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28, env: { ...process.env, FORCE_COLOR: '0' } },
  );
  process.stdout.write(r.stdout ?? '');
  const count = (k) => Number((r.stdout ?? '').match(new RegExp(`^ℹ ${k} (\\d+)$`, 'm'))?.[1] ?? 0);
  totals.pass += count('pass');
  totals.fail += count('fail') + count('cancelled');
  totals.skipped += count('skipped') + count('todo');
  if (r.status !== 0) {
    failedSuites.push(suite);
    if (count('fail') + count('cancelled') === 0) totals.fail += 1; // the runner itself failed
  }
}
if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length || totals.fail ? 1 : 0);
