// classes.json is found beside the tensor file when the file's folder holds a '#': by the CLI (`path#key`
// is split only where the part before the '#' is a file) and by the extension's lookup (siblingOf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findClassNames, parseReportArgs, type ReportArgs } from '../../src/cli/report';
import { siblingOf } from '../../src/extension/tensorSpec';

test('CLI: classes.json beside files whose folder contains #, with and without #key', () => {
  const root = mkdtempSync(join(tmpdir(), 'li-hash-'));
  try {
    const dir = join(root, 'run#1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'logits.npy'), '');
    writeFileSync(join(dir, 'pair.npz'), '');
    writeFileSync(join(dir, 'classes.json'), JSON.stringify(['bg', 'liver', 'tumour']));
    // a decoy where cutting at the first '#' would look
    writeFileSync(join(root, 'classes.json'), JSON.stringify(['wrong', 'wrong', 'wrong']));
    for (const [l, t] of [
      [join(dir, 'logits.npy'), join(dir, 'logits.npy')],
      [`${join(dir, 'pair.npz')}#logits`, `${join(dir, 'pair.npz')}#labels`],
    ] as const) {
      const a = parseReportArgs([l, t]) as ReportArgs;
      assert.deepEqual(findClassNames(a, 3), ['bg', 'liver', 'tumour'], `${l}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('extension: the classes.json URI beside a file keeps a # of the path', () => {
  const p = '/data/run#1/logits.npy';
  const u = pathToFileURL(p).toString();
  assert.equal(u, 'file:///data/run%231/logits.npy');
  assert.equal(siblingOf(u, 'classes.json'), 'file:///data/run%231/classes.json');
  // an unencoded '#' in a URI string is still part of the path (keys never travel inside these strings)
  assert.equal(siblingOf('file:///data/run#1/logits.npy', 'classes.json'), 'file:///data/run%231/classes.json');
  assert.equal(siblingOf('vscode-remote://ssh-remote+box/home/a#b/x.pt', 'classes.json'), 'vscode-remote://ssh-remote+box/home/a%23b/classes.json');
  assert.equal(siblingOf(p, 'classes.json'), '/data/run#1/classes.json');
  assert.equal(siblingOf('C:\\data\\run#1\\x.npy', 'classes.json'), 'C:\\data\\run#1\\classes.json');
  assert.equal(new URL(siblingOf(u, 'classes.json')).pathname, '/data/run%231/classes.json');
});
