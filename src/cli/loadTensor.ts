/**
 * The CLI's tensor loader: a spec `path[#key]` (the one syntax of ../readers/tensorRef.ts: the first `#` whose
 * text before it names a file splits, so paths and keys holding `#` both work) → one tensor, read from disk in
 * one buffer of shared memory (../node/fileBytes.ts; the readers return views over it). Without a key, a file
 * holding exactly one tensor gives it; a file with several is an error listing the keys to choose from.
 */
import { statSync } from 'node:fs';
import type { Tensor } from '../engine/tensor';
import { FileReadError } from '../node/fileBytes';
import { readTensorFileAt } from '../node/tensorFileAt';
import { parseTensorRef, pickTensor, type TensorRef } from '../readers/tensorRef';
import { TensorFileError, type ReadLimits, type TensorFile } from '../readers/types';
import { UsageError } from './errors';

export interface LoadedTensor {
  tensor: Tensor;
  /** The path as given (without `#key`); reader errors name the file by it. */
  fileName: string;
  /** The tensor's key ('' for a file's single unnamed tensor). */
  key: string;
  file: TensorFile;
  /** Wall time to read the file and parse it, in milliseconds. */
  readMs: number;
}

/** Reads a CLI spec `path[#key]`: a prefix names the file when it exists and is not a folder. */
export function parsePathSpec(spec: string): TensorRef {
  return parseTensorRef(spec, (p) => statKind(p) === 'file');
}

/** `dataset`'s `folder[#key]`: the same rule, where a prefix names the folder. */
export function parseFolderSpec(spec: string): TensorRef {
  return parseTensorRef(spec, (p) => statKind(p) === 'folder');
}

/** A FIFO or device counts as a file here, so that the read refuses it by its kind rather than as missing. */
function statKind(p: string): 'file' | 'folder' | undefined {
  try {
    return statSync(p).isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

/**
 * Files already read, by path: `report` often takes logits and target from one file (`ckpt.pt#logits`,
 * `ckpt.pt#labels`), which is then read and parsed once (its entries build their tensors on access).
 */
export type ReadCache = Map<string, { file: TensorFile; readMs: number }>;

/** Loads the tensor that `spec` (`path[#key]`, or a reference already split) names. Throws UsageError / TensorFileError (one line). */
export function loadTensor(spec: string | TensorRef, limits?: Partial<ReadLimits>, cache?: ReadCache): LoadedTensor {
  const { uri: path, key } = typeof spec === 'string' ? parsePathSpec(spec) : spec;
  const t0 = performance.now();
  let read = cache?.get(path);
  if (!read) {
    // With a key, an archive inflates only that member (another key of a cached archive inflates on access).
    const { file } = readNamed(path, () => readTensorFileAt(path, path, key === null ? limits : { ...limits, onlyKey: key }));
    read = { file, readMs: performance.now() - t0 };
    cache?.set(path, read);
  }
  const { file, readMs } = read;
  // a file read in parts reads the tensor's data here
  const { entry, tensor } = readNamed(path, () => {
    const e = pickTensor(file, path, key);
    return { entry: e, tensor: e.tensor };
  });
  return { tensor, fileName: path, key: entry.key, file, readMs };
}

/**
 * Runs a read of `path`; an error that does not already name the file (a JavaScript RangeError from an input at
 * some limit) is re-thrown as a one-line UsageError that does.
 */
export function readNamed<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof FileReadError) throw new UsageError(e.message);
    if (e instanceof TensorFileError || e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
