/**
 * The rows of *Compare Losses…*'s quick picks, from what each file's header says (readers/peek.ts): where the
 * file is (workspace-relative), its dtype and shape, and which files may be proposed at all — a file that is
 * no tensor file (a Git LFS pointer, a text file) or that failed to read in this session is never proposed as
 * a partner. Pure (no vscode): unit-tested.
 */
import { formatShape } from '../engine/tensor';
import type { PeekResult } from '../readers/peek';
import type { Candidate } from './pairing';

/** The folder part of a workspace-relative path (`cases/a/logits.npy` → `cases/a`; a top-level file → ''). */
export function relativeDir(relPath: string): string {
  const norm = relPath.replace(/\\/g, '/');
  const i = norm.lastIndexOf('/');
  return i <= 0 ? '' : norm.slice(0, i);
}

/** `float32 · 1×5×16×16`; several tensors by count; a file whose header is not at its start by its format. */
export function peekText(peek: PeekResult | undefined): string {
  if (!peek) return '';
  if (peek.kind === 'not-tensor') return 'not a tensor file';
  if (peek.kind === 'unknown') return peek.format === 'zip' ? 'archive (.pt or .npz)' : peek.format === 'pt' ? 'PyTorch pickle' : '';
  if (peek.tensors.length === 1) return `${peek.tensors[0]!.dtype} · ${formatShape(peek.tensors[0]!.shape)}`;
  return `${peek.tensors.length} tensors`;
}

/** A row's description: the dtype and shape first (what tells the pair apart), then the folder. */
export function rowDescription(relPath: string, peek: PeekResult | undefined): string {
  return [peekText(peek), relativeDir(relPath)].filter((s) => s !== '').join('  ·  ');
}

/** A whole file as a pairing candidate, with its dtype and shape when its header gave exactly one tensor. */
export function fileCandidateOf(id: string, path: string, peek: PeekResult | undefined): Candidate {
  const only = peek?.kind === 'tensors' && peek.tensors.length === 1 ? peek.tensors[0]! : undefined;
  return { id, path, key: null, ...(only ? { shape: only.shape, dtype: only.dtype } : {}) };
}

export interface Partitioned<T> {
  /** Files that may be proposed and picked. */
  usable: T[];
  /** Files left out, with why (one line each, for the placeholder and the log). */
  skipped: { file: T; why: string }[];
}

/**
 * Splits files into those the picker offers and those it never proposes: not tensor files by their first bytes,
 * and files whose read failed in this session (`failure(id)` gives the message).
 */
export function partitionFiles<T>(files: readonly T[], idOf: (f: T) => string, peekOf: (f: T) => PeekResult | undefined, failure: (id: string) => string | undefined): Partitioned<T> {
  const usable: T[] = [];
  const skipped: { file: T; why: string }[] = [];
  for (const f of files) {
    const peek = peekOf(f);
    const failed = failure(idOf(f));
    if (peek?.kind === 'not-tensor') skipped.push({ file: f, why: peek.message });
    else if (failed !== undefined) skipped.push({ file: f, why: failed });
    else usable.push(f);
  }
  return { usable, skipped };
}
