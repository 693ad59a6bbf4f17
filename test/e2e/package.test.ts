/**
 * The production .vsix (`npm run package`): under the 2 MB budget, holding the minified bundles, media, README,
 * LICENSE, CHANGELOG and package.json — no source maps, no sources, no node_modules, no tests or demo data —
 * and every file the manifest points at.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVsix, vsixEntries } from './helpers/vsix';
import { recordMetric, repoRoot } from './helpers/scenario';

const BUDGET = 2 * 1024 * 1024;
let scratch = '';
let vsix: { path: string; bytes: number; ms: number };
let entries: Map<string, Uint8Array>;
const text = (name: string): string => new TextDecoder().decode(entries.get(name));

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'loss-inspector-vsix-'));
  vsix = packageVsix(join(scratch, 'loss-inspector.vsix'));
  entries = vsixEntries(vsix.path);
  recordMetric('vsix size', vsix.bytes, 'bytes');
  recordMetric('npm run package', vsix.ms, 'ms');
});

after(() => rmSync(scratch, { recursive: true, force: true }));

test(`the .vsix is under the ${BUDGET / 1024 / 1024} MB budget`, () => {
  assert.ok(vsix.bytes < BUDGET, `${vsix.path} is ${vsix.bytes} bytes, over ${BUDGET}`);
});

test('the .vsix holds only the bundles, media, README, LICENSE, CHANGELOG and package.json', () => {
  const names = [...entries.keys()].filter((n) => !n.endsWith('/'));
  const allowed = [
    /^\[Content_Types\]\.xml$/,
    /^extension\.vsixmanifest$/,
    /^extension\/package\.json$/,
    /^extension\/readme\.md$/i,
    /^extension\/changelog\.md$/i,
    /^extension\/LICENSE(\.txt)?$/i,
    /^extension\/dist\/[\w.-]+\.js$/,
    /^extension\/dist\/webview\/[\w.-]+\.(js|css)$/,
    /^extension\/media\/[\w./-]+$/,
  ];
  const stray = names.filter((n) => !allowed.some((re) => re.test(n)));
  assert.deepEqual(stray, [], `unexpected files in the .vsix: ${stray.join(', ')}`);
  for (const n of names) {
    assert.ok(!n.endsWith('.map'), `source map shipped: ${n}`);
    assert.ok(!/\.(ts|tsx|mts|cts)$/.test(n) || n.endsWith('.d.ts'), `TypeScript source shipped: ${n}`);
    assert.ok(!/(^|\/)(src|node_modules|test|demo|sample)\//.test(n), `forbidden folder shipped: ${n}`);
    assert.ok(!n.includes('/cli.js'), `the CLI is not part of the extension: ${n}`);
  }
});

test('the shipped bundles are minified production builds without source-map references', () => {
  const bundles = [...entries.keys()].filter((n) => n.endsWith('.js'));
  assert.ok(bundles.length > 0, 'no JavaScript in the .vsix');
  for (const n of bundles) {
    const js = text(n);
    assert.ok(!js.includes('sourceMappingURL'), `${n} references a source map`);
    // esbuild's unminified output names each source module in a comment line ("// src/engine/…").
    const moduleComment = js.match(/^\s*\/\/ (?:src|webview|node_modules)\/\S+/m);
    assert.equal(moduleComment, null, `${n} is not minified (it has '${moduleComment?.[0].trim()}')`);
  }
});

test('every file the manifest points at is in the .vsix, and the manifest is the repository\'s', () => {
  const shipped = JSON.parse(text('extension/package.json')) as {
    name: string;
    version: string;
    main: string;
    contributes?: Record<string, unknown>;
    activationEvents?: string[];
  };
  const repo = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as typeof shipped;
  assert.equal(shipped.name, repo.name);
  assert.equal(shipped.version, repo.version);
  assert.deepEqual(shipped.contributes, repo.contributes);
  const main = `extension/${shipped.main.replace(/^\.\//, '')}${shipped.main.endsWith('.js') ? '' : '.js'}`;
  assert.ok(entries.has(main), `main ${shipped.main} is not in the .vsix`);
  for (const bundle of ['dist/worker.js', 'dist/case-worker.js', 'dist/webview/comparison.js', 'dist/webview/tensorFile.js', 'dist/webview/dataset.js']) {
    assert.ok(entries.has(`extension/${bundle}`), `${bundle} is not in the .vsix`);
  }
  // Files the bundles load at run time by path (worker entries, webview scripts and styles) must be shipped.
  const ext = text(main);
  for (const m of ext.matchAll(/["'`]([\w-]+\.(?:js|css))["'`]/g)) {
    const file = m[1]!;
    const hit = [...entries.keys()].some((n) => n.endsWith(`/${file}`));
    assert.ok(hit || file === 'extension.js', `${main} refers to '${file}', which is not in the .vsix`);
  }
  // Icons and other manifest paths.
  const paths = JSON.stringify(shipped.contributes ?? {}).match(/"(?:\.\/)?(?:media|dist)\/[^"]+"/g) ?? [];
  for (const p of paths) {
    const rel = p.slice(1, -1).replace(/^\.\//, '');
    assert.ok(entries.has(`extension/${rel}`), `the manifest refers to ${rel}, which is not in the .vsix`);
  }
});
