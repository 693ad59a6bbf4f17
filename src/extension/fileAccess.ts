/**
 * {@link FileAccess} over `vscode.workspace.fs`, so remote and virtual workspaces work: the worker client
 * stats and (when the worker cannot read a path itself) reads files through it. Local `file:` URIs are read by
 * the worker from their path, which costs the extension host's main thread nothing.
 */
import * as vscode from 'vscode';
import type { FileAccess } from './workerClient';

export class WorkspaceFileAccess implements FileAccess {
  async stat(uri: string): Promise<{ mtime: number; size: number }> {
    const s = await vscode.workspace.fs.stat(vscode.Uri.parse(uri, true));
    if (s.type & vscode.FileType.Directory) throw new Error(`${this.fileName(uri)}: is a folder, not a tensor file`);
    // FIFOs, devices and sockets stat as neither file nor folder (FileType.Unknown): refused before any read.
    if (!(s.type & vscode.FileType.File)) throw new Error(`${this.fileName(uri)}: is not a regular file (a pipe, device or socket): refusing to read it`);
    return { mtime: s.mtime, size: s.size };
  }

  async readFile(uri: string): Promise<Uint8Array> {
    return vscode.workspace.fs.readFile(vscode.Uri.parse(uri, true));
  }

  localPath(uri: string): string | undefined {
    const u = vscode.Uri.parse(uri, true);
    return u.scheme === 'file' ? u.fsPath : undefined;
  }

  fileName(uri: string): string {
    const p = vscode.Uri.parse(uri, true).path;
    return p.slice(p.lastIndexOf('/') + 1);
  }
}
