/**
 * The CLI's tensor loader: `path[#key]` → one tensor, read from disk in one buffer (the readers return
 * views over it, so a 500 MB float32 `.npy` costs ~500 MB, not twice that).
 *
 * `#key` is split off at the LAST '#' only when the part before it is an existing file, so paths that
 * contain '#' still work. Without a key, a file holding exactly one tensor gives it; a file with several
 * is an error listing the keys to choose from.
 */
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { nonRegularKind, notRegularMessage } from '../node/fileKind';
import { constants as bufferConstants } from 'node:buffer';
import type { Tensor } from '../engine/tensor';
import { readTensorFile } from '../readers/index';
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

/** Splits `path#key` at the last '#' when the part before it is an existing file. */
export function splitSpec(spec: string): { path: string; key: string | undefined } {
  const hash = spec.lastIndexOf('#');
  if (hash >= 0) {
    const before = spec.slice(0, hash);
    if (before !== '' && isFile(before)) return { path: before, key: spec.slice(hash + 1) };
  }
  return { path: spec, key: undefined };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads a whole file into one freshly allocated SharedArrayBuffer (offset 0, so 8-byte aligned data stay aligned).
 * Unlike fs.readFileSync this also works beyond 2 GiB. Errors name the path in one line.
 */
export function readFileBytes(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file`);
  // By kind, from stat alone: opening a FIFO blocks until a writer comes, a device never ends (/dev/zero).
  let kind: string | undefined;
  try {
    kind = nonRegularKind(statSync(path));
  } catch (e) {
    throw new UsageError(`${path}: cannot stat (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (kind !== undefined) throw new UsageError(notRegularMessage(path, kind));
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY);
  } catch (e) {
    throw new UsageError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const st = fstatSync(fd);
    const kindNow = nonRegularKind(st);
    if (kindNow !== undefined) throw new UsageError(notRegularMessage(path, kindNow));
    if (st.size > bufferConstants.MAX_LENGTH) {
      throw new UsageError(`${path}: ${st.size} bytes is larger than this Node.js can hold in memory (${bufferConstants.MAX_LENGTH})`);
    }
    // Shared memory, so the engine's worker threads read the tensors in place (no copy per thread).
    const buf = new Uint8Array(new SharedArrayBuffer(st.size));
    const CHUNK = 1 << 30;
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, Math.min(CHUNK, st.size - got), got);
      if (n === 0) break;
      got += n;
    }
    return got === st.size ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Files already read, by path: `report` often takes logits and target from one file (`ckpt.pt#logits`,
 * `ckpt.pt#labels`), which is then read and parsed once (its entries build their tensors on access).
 */
export type ReadCache = Map<string, { file: TensorFile; readMs: number }>;

/** Loads the tensor that `spec` (`path[#key]`) names. Throws UsageError / TensorFileError (one line). */
export function loadTensor(spec: string, limits?: Partial<ReadLimits>, cache?: ReadCache): LoadedTensor {
  const { path, key } = splitSpec(spec);
  const t0 = performance.now();
  let read = cache?.get(path);
  if (!read) {
    const bytes = readFileBytes(path);
    // With a key, an archive inflates only that member (another key of a cached archive inflates on access).
    const file = readNamed(path, () => readTensorFile(bytes, path, key === undefined ? limits : { ...limits, onlyKey: key }));
    read = { file, readMs: performance.now() - t0 };
    cache?.set(path, read);
  }
  const { file, readMs } = read;
  // Keys only for messages, and only as many as a message shows: a file can hold a million tensors.
  const keys = (max = 20) => file.tensors.slice(0, max).map((t) => t.key);
  if (key === undefined) {
    if (file.tensors.length === 1) {
      const only = file.tensors[0]!;
      return { tensor: only.tensor, fileName: path, key: only.key, file, readMs };
    }
    if (file.tensors.length === 0) throw new TensorFileError('unknown-key', path, 'holds no tensors');
    throw new TensorFileError('unknown-key', path, `holds ${file.tensors.length} tensors: choose one with ${path}#KEY; keys: ${listKeys(keys(), file.tensors.length)}`);
  }
  const entry = file.tensors.find((t) => t.key === key);
  if (!entry) {
    throw new TensorFileError(
      'unknown-key',
      path,
      `no tensor with key ${JSON.stringify(key)}; ${file.tensors.length ? `available keys: ${listKeys(keys(), file.tensors.length)}` : 'the file holds no tensors'}` +
        (file.warnings?.length ? ` (${file.warnings.join('; ')})` : ''),
    );
  }
  return { tensor: entry.tensor, fileName: path, key, file, readMs };
}

/**
 * Runs a read of `path`; an error that does not already name the file (a JavaScript RangeError from an input at
 * some limit) is re-thrown as a one-line UsageError that does.
 */
export function readNamed<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof TensorFileError || e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `'a', 'b', … (+N more)` — keys quoted so '' (a single unnamed tensor) is visible. */
export function listKeys(keys: string[], total = keys.length, max = 20): string {
  const shown = keys.slice(0, max).map((k) => JSON.stringify(k));
  return shown.join(', ') + (total > shown.length ? `, … (+${total - shown.length} more)` : '');
}
