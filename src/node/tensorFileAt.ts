/**
 * A tensor file at a path, read by the one rule the CLI and the worker share: into one buffer of shared memory
 * (./fileBytes.ts) when it fits, else in parts (../readers/parts.ts: the header first, each tensor's data when
 * asked for).
 */
import { statSync } from 'node:fs';
import { readTensorFile } from '../readers/index';
import { readTensorFileInParts } from '../readers/parts';
import { DEFAULT_LIMITS, type ReadLimits, type TensorFile } from '../readers/types';
import { fileParts, PARTS_ABOVE, readFileShared, readFileSharedAsync } from './fileBytes';

export interface FileAtPath {
  file: TensorFile;
  /** The file's size in bytes. */
  size: number;
  /** Read in parts: its tensors' data are read when each is asked for, not yet. */
  inParts: boolean;
}

/** Whether the file at `path` is read in parts (a stat; a missing file is left to the read to report). */
function readsInParts(path: string): boolean {
  try {
    return statSync(path).size > PARTS_ABOVE;
  } catch {
    return false;
  }
}

function inParts(path: string, fileName: string, limits: Partial<ReadLimits> | undefined): FileAtPath {
  const parts = fileParts(path, fileName);
  return { file: readTensorFileInParts(parts, fileName, { ...DEFAULT_LIMITS, ...limits }), size: parts.size, inParts: true };
}

/** Reads and parses the tensor file at `path`; `fileName` is how messages name it. */
export function readTensorFileAt(path: string, fileName = path, limits?: Partial<ReadLimits>): FileAtPath {
  if (readsInParts(path)) return inParts(path, fileName, limits);
  const bytes = readFileShared(path, fileName);
  return { file: readTensorFile(bytes, fileName, limits), size: bytes.length, inParts: false };
}

/** {@link readTensorFileAt} without blocking the thread's event loop while a whole file is read. */
export async function readTensorFileAtAsync(path: string, fileName = path, limits?: Partial<ReadLimits>): Promise<FileAtPath> {
  if (readsInParts(path)) return inParts(path, fileName, limits);
  const bytes = await readFileSharedAsync(path, fileName);
  return { file: readTensorFile(bytes, fileName, limits), size: bytes.length, inParts: false };
}
