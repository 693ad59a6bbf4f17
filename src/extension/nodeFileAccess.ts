/**
 * {@link FileAccess} over node:fs for `file:` URIs and plain paths: what the worker client uses outside VS Code
 * (the unit tests, the event-loop stall harness). The extension itself uses WorkspaceFileAccess.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nonRegularKind, notRegularMessage } from '../node/fileKind';
import type { FileAccess } from './workerClient';

function toPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

export class NodeFileAccess implements FileAccess {
  /** Files read by the host (the bytes path); the worker's own reads are not counted here. */
  hostReads = 0;

  async stat(uri: string): Promise<{ mtime: number; size: number }> {
    const s = await stat(toPath(uri));
    const kind = nonRegularKind(s);
    if (kind !== undefined) throw new Error(notRegularMessage(this.fileName(uri), kind));
    return { mtime: s.mtimeMs, size: s.size };
  }

  async readFile(uri: string): Promise<Uint8Array> {
    this.hostReads++;
    return readFile(toPath(uri));
  }

  localPath(uri: string): string | undefined {
    return toPath(uri);
  }

  fileName(uri: string): string {
    return basename(toPath(uri));
  }
}
