/**
 * A whole tensor file into one freshly allocated SharedArrayBuffer: the CLI's read (synchronous) and the
 * worker's (asynchronous, so a cancel can be heard between chunks) share every rule here.
 * - Shared memory, offset 0: the readers return views over it (8-byte aligned data stay aligned, a 500 MB float32
 *   `.npy` costs ~500 MB, not twice that) and the engine's worker threads read the tensors in place.
 * - Chunks of at most 1 GiB, which also works beyond fs.readFile's 2 GiB.
 * - Non-regular files are refused by kind from `stat` before opening (./fileKind.ts), and again from `fstat`
 *   after opening (the path may have been swapped in between).
 * - A file that shrinks while being read is an error, never a silently short tensor.
 * Every refusal is a {@link FileReadError} whose one-line message names the file.
 */
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileParts } from '../readers/parts';
import { nonRegularKind, notRegularMessage } from './fileKind';

/** A file that cannot be read as a whole (missing, not a regular file, too large, shrinking); one line. */
export class FileReadError extends Error {
  override name = 'FileReadError';
}

const CHUNK = 1 << 30;

/** Reads `path` into shared memory; `fileName` is how messages name it (default: the path). */
export function readFileShared(path: string, fileName = path): Uint8Array {
  checkKind(statOrFail(() => statSync(path), fileName), fileName);
  const fd = openOrFail(path, fileName);
  try {
    const size = checkKind(fstatSync(fd), fileName).size;
    const buf = allocate(size, fileName);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, Math.min(CHUNK, size - got), got);
      if (n === 0) break;
      got += n;
    }
    return complete(buf, got, fileName);
  } finally {
    closeSync(fd);
  }
}

/** {@link readFileShared}, without blocking the thread's event loop between chunks. */
export async function readFileSharedAsync(path: string, fileName = path): Promise<Uint8Array> {
  checkKind(await statOrFailAsync(() => stat(path), fileName), fileName);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new FileReadError(`${fileName}: cannot open (${errCode(e)})`);
  }
  try {
    const size = checkKind(await fh.stat(), fileName).size;
    const buf = allocate(size, fileName);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, Math.min(CHUNK, size - got), got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return complete(buf, got, fileName);
  } finally {
    await fh.close();
  }
}

/** Files larger than this are read in parts (../readers/parts.ts): one buffer cannot view more bytes. */
export const PARTS_ABOVE = bufferConstants.MAX_LENGTH;

/**
 * Random access to a file too large for one buffer: each call opens the file, reads its range in chunks into
 * fresh shared memory and closes it (the tensors of such a file are read when asked for, possibly later), and
 * refuses when the file's size is no longer the one first seen.
 */
export function fileParts(path: string, fileName = path): FileParts {
  const size = checkKind(statOrFail(() => statSync(path), fileName), fileName).size;
  const readInto = (target: ArrayBufferLike, start: number, length: number) => {
    const fd = openOrFail(path, fileName);
    try {
      if (checkKind(fstatSync(fd), fileName).size !== size) throw new FileReadError(`${fileName}: the file changed size while being read`);
      if (start < 0 || start + length > size) throw new FileReadError(`${fileName}: bytes [${start}, ${start + length}) are outside the ${size}-byte file`);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, new Uint8Array(target, got, Math.min(CHUNK, length - got)), 0, Math.min(CHUNK, length - got), start + got);
        if (n === 0) throw new FileReadError(`${fileName}: the file shrank while being read (${start + got} of ${size} bytes)`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
  };
  return {
    size,
    bytes(start, length) {
      const out = new Uint8Array(new SharedArrayBuffer(length));
      readInto(out.buffer, start, length);
      return out;
    },
    buffer(start, length) {
      const out = new SharedArrayBuffer(length);
      readInto(out, start, length);
      return out;
    },
  };
}

/** `b` itself when it already lives in shared memory, else one copy into a SharedArrayBuffer (offset 0). */
export function toSharedBytes(b: Uint8Array): Uint8Array {
  if (b.buffer instanceof SharedArrayBuffer) return b;
  const out = new Uint8Array(new SharedArrayBuffer(b.byteLength));
  out.set(b);
  return out;
}

function openOrFail(path: string, fileName: string): number {
  try {
    return openSync(path, fsConstants.O_RDONLY);
  } catch (e) {
    throw new FileReadError(`${fileName}: cannot open (${errCode(e)})`);
  }
}

function checkKind(st: Stats, fileName: string): Stats {
  const kind = nonRegularKind(st);
  if (kind !== undefined) throw new FileReadError(notRegularMessage(fileName, kind));
  return st;
}

function statOrFail(s: () => Stats, fileName: string): Stats {
  try {
    return s();
  } catch (e) {
    throw statError(e, fileName);
  }
}

async function statOrFailAsync(s: () => Promise<Stats>, fileName: string): Promise<Stats> {
  try {
    return await s();
  } catch (e) {
    throw statError(e, fileName);
  }
}

function statError(e: unknown, fileName: string): FileReadError {
  const code = errCode(e);
  return new FileReadError(code === 'ENOENT' || code === 'ENOTDIR' ? `${fileName}: no such file` : `${fileName}: cannot stat (${code})`);
}

function allocate(size: number, fileName: string): Uint8Array {
  if (size > bufferConstants.MAX_LENGTH) {
    throw new FileReadError(`${fileName}: ${size} bytes is larger than this Node.js can hold in memory (${bufferConstants.MAX_LENGTH})`);
  }
  return new Uint8Array(new SharedArrayBuffer(size));
}

function complete(buf: Uint8Array, got: number, fileName: string): Uint8Array {
  if (got < buf.length) throw new FileReadError(`${fileName}: the file shrank while being read (${got} of ${buf.length} bytes)`);
  return buf;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? String(e);
}
