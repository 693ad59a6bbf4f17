// Where the repository and its reference data are. The golden cases and the tensor corpus are kept in the
// repository (test/fixtures, re-copied by scripts/sync-reference-data.mjs); a missing folder must fail the tests
// that need it, never skip them.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const goldenDir = join(fixturesDir, 'golden');
export const corpusDir = join(fixturesDir, 'corpus');
export const cliPath = join(repoRoot, 'dist', 'cli.js');

export function requireFixture(dir: string): string {
  if (!existsSync(dir)) throw new Error(`reference data missing: ${dir} (the repository's test/fixtures)`);
  return dir;
}
