// Compare Losses…'s quick-pick rows: workspace-relative places, dtype and shape from each file's first bytes
// only, best pairs first once shapes are known, and files that are no tensor files (or failed to read) never
// proposed as partners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { peekTensors, PEEK_BYTES, type PeekResult } from '../../src/readers/peek';
import { readTensorFile } from '../../src/readers/index';
import { fileCandidateOf, partitionFiles, peekText, relativeDir, rowDescription } from '../../src/extension/pickRows';
import { FailedFiles } from '../../src/extension/failedFiles';
import { proposePairs, rankTargets } from '../../src/extension/pairing';
import { corpusDir, fixturesDir } from './helpers/paths';

const openDir = join(fixturesDir, 'open');

function peekFile(path: string): PeekResult {
  const b = new Uint8Array(readFileSync(path));
  return peekTensors(b.subarray(0, PEEK_BYTES), path.split('/').pop()!, b.length);
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

test('a header peek gives the dtype and shape the full read gives (npy, safetensors, NIfTI incl. .nii.gz)', () => {
  let checked = 0;
  for (const dir of ['npy', 'st', 'nifti']) {
    for (const path of walk(join(corpusDir, dir))) {
      const peek = peekFile(path);
      if (peek.kind !== 'tensors') continue;
      let full;
      try {
        full = readTensorFile(new Uint8Array(readFileSync(path)), path);
      } catch {
        continue; // a file refused for its data (truncated, too large): the peek only answers for the header
      }
      assert.deepEqual(
        peek.tensors.map((t) => [t.key, t.dtype, t.shape.join(',')]).sort(),
        full.tensors.map((t) => [t.key, t.tensor.dtype, t.tensor.shape.join(',')]).sort(),
        path,
      );
      checked++;
    }
  }
  assert.ok(checked >= 30, `checked ${checked} corpus files`);
});

test('an LFS pointer and a text file are "not a tensor file" from their first bytes; archives are unknown until read', () => {
  const lfs = peekFile(join(openDir, 'lfs', 'seg.pt'));
  assert.equal(lfs.kind, 'not-tensor');
  assert.match((lfs as { message: string }).message, /Git LFS pointer, not the tensor .*git lfs pull/);
  assert.equal(peekFile(join(openDir, 'text', 'notes.pt')).kind, 'not-tensor');
  assert.deepEqual(peekTensors(new Uint8Array(0), 'e.npy', 0), { kind: 'not-tensor', errorKind: 'empty-file', message: 'e.npy: empty file (0 bytes)' });
  const zip = walk(join(corpusDir, 'npz'))[0]!;
  assert.equal(peekFile(zip).kind, 'unknown');
});

test('rows: workspace-relative folder, dtype and shape first', () => {
  assert.equal(relativeDir('logits.npy'), '');
  assert.equal(relativeDir('cases/a/logits.npy'), 'cases/a');
  assert.equal(relativeDir('cases\\a\\logits.npy'), 'cases/a');
  const peek = peekFile(join(openDir, 'void255', 'logits.npy'));
  assert.equal(peekText(peek), 'float32 · 1×5×16×16');
  assert.equal(rowDescription('void255/logits.npy', peek), 'float32 · 1×5×16×16  ·  void255');
  assert.equal(rowDescription('labels.npy', peekFile(join(openDir, 'void255', 'labels.npy'))), 'int64 · 1×16×16');
  assert.equal(rowDescription('x/notes.pt', peekFile(join(openDir, 'text', 'notes.pt'))), 'not a tensor file  ·  x');
});

test('never proposed as a partner: not tensor files, and files that failed to read this session', () => {
  const files = ['lfs/seg.pt', 'lfs/seg_logits.npy', 'void255/logits.npy', 'void255/labels.npy', 'text/notes.pt'];
  const peeks = new Map(files.map((f) => [f, peekFile(join(openDir, f))]));
  const failed = new FailedFiles();
  failed.record('void255/labels.npy', 'labels.npy: truncated');
  const { usable, skipped } = partitionFiles(files, (f) => f, (f) => peeks.get(f), (id) => failed.get(id));
  assert.deepEqual(usable, ['lfs/seg_logits.npy', 'void255/logits.npy']);
  assert.deepEqual(skipped.map((s) => s.file), ['lfs/seg.pt', 'void255/labels.npy', 'text/notes.pt']);
  assert.match(skipped[0]!.why, /git lfs pull/);
  // Without the partition, name matching alone would propose the pointer as seg_logits.npy's target.
  const all = files.map((f) => fileCandidateOf(f, f, peeks.get(f)));
  assert.ok(proposePairs(all).some((p) => p.target.id === 'lfs/seg.pt'), 'the pointer looks like a partner by name');
  const offered = usable.map((f) => fileCandidateOf(f, f, peeks.get(f)));
  assert.ok(!proposePairs(offered).some((p) => p.target.id === 'lfs/seg.pt' || p.logits.id === 'lfs/seg.pt'));
  // A later good read clears the failure.
  failed.clear('void255/labels.npy');
  assert.equal(partitionFiles(files, (f) => f, (f) => peeks.get(f), (id) => failed.get(id)).usable.length, 3);
});

test('best pairs first: with shapes from the headers, the target that fits the logits ranks first', () => {
  const names = ['void255/logits.npy', 'void255/labels.npy', 'lfs/seg_logits.npy'];
  const cands = names.map((f) => fileCandidateOf(f, f, peekFile(join(openDir, f))));
  assert.deepEqual(cands[1]!.shape, [1, 16, 16]);
  const ranked = rankTargets(cands[0]!, cands);
  assert.equal(ranked[0]!.target.id, 'void255/labels.npy');
  assert.ok(ranked[0]!.reasons.some((r) => /shape/i.test(r)), ranked[0]!.reasons.join(' · '));
});
