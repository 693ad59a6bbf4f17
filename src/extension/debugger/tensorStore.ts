/**
 * Tensors read from a debugger live in memory under `loss-inspector-debug:` URIs, served by this read-only
 * file system provider: the comparison panel, the worker client and the worker read them exactly like files
 * (through `vscode.workspace.fs`), while the temporary `.npy` the debuggee wrote is deleted as soon as it was
 * read. Replacing a tensor (Refresh from debugger) bumps its mtime, so the worker's cache, keyed by
 * (URI, mtime, size), reads the new bytes. Entries are dropped when the view showing them closes.
 */
import * as vscode from 'vscode';

export const DEBUG_TENSOR_SCHEME = 'loss-inspector-debug';

interface Entry {
  bytes: Uint8Array;
  mtime: number;
  ctime: number;
}

export class DebugTensorStore implements vscode.FileSystemProvider {
  private readonly entries = new Map<string, Entry>();
  private lastMtime = 0;
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  static register(store: DebugTensorStore): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.workspace.registerFileSystemProvider(DEBUG_TENSOR_SCHEME, store, { isCaseSensitive: true, isReadonly: true }),
      store.changed,
    );
  }

  /** Stores (or replaces) the bytes of one tensor. */
  put(uri: vscode.Uri, bytes: Uint8Array): void {
    const now = Math.max(Date.now(), this.lastMtime + 1);
    this.lastMtime = now;
    const key = uri.toString();
    const old = this.entries.get(key);
    this.entries.set(key, { bytes, mtime: now, ctime: old?.ctime ?? now });
    this.changed.fire([{ type: old ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  remove(uri: vscode.Uri): void {
    if (this.entries.delete(uri.toString())) this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  has(uri: vscode.Uri): boolean {
    return this.entries.has(uri.toString());
  }

  /** Bytes held (for the log). */
  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes.byteLength;
    return n;
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const e = this.get(uri);
    return { type: vscode.FileType.File, ctime: e.ctime, mtime: e.mtime, size: e.bytes.byteLength, permissions: vscode.FilePermission.Readonly };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    // A copy: the worker client transfers (detaches) the buffer it is given.
    return this.get(uri).bytes.slice();
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  private get(uri: vscode.Uri): Entry {
    const e = this.entries.get(uri.toString());
    if (!e) {
      throw vscode.FileSystemError.FileNotFound(
        `${decodeURIComponent(uri.path.slice(uri.path.lastIndexOf('/') + 1))}: the debugger's tensor is no longer held (its view was closed or restored after a reload); run Compare Losses from Debugger again`,
      );
    }
    return e;
  }
}
