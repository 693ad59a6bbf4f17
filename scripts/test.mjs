// Runs every test suite, in order: static (each tsconfig type-checked, the linter's layer rules; each counts as
// one test), then with node's own test runner unit (pure code, golden cases, corpus, fuzz), integration (real
// debugpy over DAP), webview (real headless Chromium), e2e (real VS Code via code-server). Builds first.
// Prints one closing line `tests: N passed, N failed, N skipped` over all suites.
//   node scripts/test.mjs                 all suites
//   node scripts/test.mjs --only unit     one or more suites (comma-separated)
// An unknown suite name, or a selected suite with no test files or no test run, fails: a typo or a moved folder
// must not turn into a green run that tested nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SUITES = ['static', 'unit', 'integration', 'webview', 'e2e'];
const onlyArg = process.argv.indexOf('--only');
const onlyValue = onlyArg >= 0 ? process.argv[onlyArg + 1] : SUITES.join(',');
if (!onlyValue || onlyValue.startsWith('--')) usage('--only needs a comma-separated list of suites');
const only = onlyValue.split(',').map((s) => s.trim());
const unknown = only.filter((s) => !SUITES.includes(s));
if (unknown.length) usage(`unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `'${s}'`).join(', ')}`);

function usage(problem) {
  console.error(`test: ${problem} (suites: ${SUITES.join(', ')})`);
  console.log('tests: 0 passed, 1 failed');
  process.exit(2);
}

/** The static checks: one "test" each. */
const STATIC = [
  ['typecheck (every tsconfig)', ['scripts/typecheck.mjs']],
  ['lint (layers and bug rules)', [join('node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', '.']],
];

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

// Every selected test suite must have test files before anything is built or run.
const selected = SUITES.filter((s) => only.includes(s));
const filesBySuite = new Map(selected.filter((s) => s !== 'static').map((s) => [s, findTests(join(root, 'test', s))]));
const empty = [...filesBySuite].filter(([, files]) => files.length === 0).map(([s]) => `test/${s}`);
if (empty.length) usage(`no *.test.ts files in ${empty.join(', ')}`);

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('tests: 0 passed, 1 failed (build failed)');
  process.exit(1);
}

const totals = { pass: 0, fail: 0, skipped: 0 };
let failedSuites = [];
for (const suite of selected) {
  if (suite === 'static') {
    console.log(`\n=== static: ${STATIC.length} checks`);
    for (const [name, args] of STATIC) {
      const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
      console.log(`${r.status === 0 ? '✔' : '✖'} ${name}`);
      if (r.status === 0) totals.pass += 1;
      else {
        totals.fail += 1;
        if (!failedSuites.includes(suite)) failedSuites.push(suite);
      }
    }
    continue;
  }
  const files = filesBySuite.get(suite);
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
  } else {
    // node's runner reports a file that registered no test as one passing "test" named by the file's path.
    const out = r.stdout ?? '';
    const idle = files.filter((f) => out.includes(`✔ ${join(root, f)} (`));
    if (count('tests') === 0 || idle.length) {
      console.log(`${suite}: no test ran in ${idle.length ? idle.join(', ') : `its ${files.length} test files`}`);
      failedSuites.push(suite);
      totals.fail += Math.max(1, idle.length);
      totals.pass -= idle.length;
    }
  }
}
if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length || totals.fail ? 1 : 0);
