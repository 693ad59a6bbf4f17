// The engine, the readers, the Python analysis and the protocol are shared by the CLI, the workers, the
// tests and the extension: they must import neither `vscode` nor anything DOM-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PURE = ['src/engine', 'src/readers', 'src/analysis', 'src/protocol', 'src/dataset'];

function files(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('pure modules import neither vscode nor the DOM', () => {
  const offenders: string[] = [];
  for (const dir of PURE) {
    for (const f of files(dir)) {
      const src = readFileSync(f, 'utf8');
      if (/from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)/.test(src)) offenders.push(`${f}: imports vscode`);
      if (/\b(document|window|HTMLElement|acquireVsCodeApi)\b\s*[.(]/.test(src)) offenders.push(`${f}: uses the DOM`);
    }
  }
  assert.deepEqual(offenders, []);
});
