/** Builds the production .vsix exactly as `npm run package` does, into a given path, and lists its entries. */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { repoRoot } from './scenario';

export function packageVsix(out: string): { path: string; bytes: number; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs'), '--out', out], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`npm run package failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { path: out, bytes: statSync(out).size, ms: Date.now() - t0 };
}

/** Every entry of the .vsix (a zip) with its uncompressed bytes. */
export function vsixEntries(path: string): Map<string, Uint8Array> {
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  return new Map(Object.entries(files));
}
