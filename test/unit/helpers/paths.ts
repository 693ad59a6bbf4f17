// Where the repository and the shared reference data are. CI clones the repo into another folder with
// shared/ beside it; a missing shared/ must fail the tests that need it, never skip them.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const goldenDir = join(sharedDir, 'golden');
export const corpusDir = join(sharedDir, 'corpus');
export const cliPath = join(repoRoot, 'dist', 'cli.js');

export function requireShared(dir: string): string {
  if (!existsSync(dir)) throw new Error(`reference data missing: ${dir} (expected shared/ beside the repository)`);
  return dir;
}
