/**
 * The first bytes of workspace files, peeked for the quick picks (readers/peek.ts: dtype, shape, or "not a
 * tensor file") without reading any file whole. Local files are read through `node:fs` (64 KiB each); other
 * schemes only when small. Results are kept per (URI, mtime, size), so a second *Compare Losses…* costs a
 * `stat` per file.
 */
import { open } from 'node:fs/promises';
import * as vscode from 'vscode';
import { peekTensors, PEEK_BYTES, type PeekResult } from '../readers/peek';
import { baseName } from './tensorSpec';

/** Files peeked per pick, and at most this long: beyond, rows show what is known without a shape. */
const MAX_FILES = 400;
const BUDGET_MS = 1500;
const PARALLEL = 8;

export class FilePeeks {
  private readonly cache = new Map<string, { mtime: number; size: number; result: PeekResult }>();

  /** Peeks `uris` (the first MAX_FILES, within BUDGET_MS); the map holds the ones answered in time. */
  async peekAll(uris: readonly vscode.Uri[]): Promise<Map<string, PeekResult>> {
    const out = new Map<string, PeekResult>();
    const queue = uris.slice(0, MAX_FILES);
    let next = 0;
    const deadline = Date.now() + BUDGET_MS;
    const work = async () => {
      while (next < queue.length && Date.now() < deadline) {
        const u = queue[next++]!;
        const r = await this.peek(u).catch(() => undefined);
        if (r) out.set(u.toString(), r);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((ok) => (timer = setTimeout(ok, BUDGET_MS)));
    await Promise.race([Promise.all(Array.from({ length: PARALLEL }, work)), timeout]);
    clearTimeout(timer);
    return new Map(out);
  }

  async peek(uri: vscode.Uri): Promise<PeekResult | undefined> {
    const key = uri.toString();
    if (uri.scheme === 'file') {
      const fh = await open(uri.fsPath, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile()) return undefined;
        const hit = this.cache.get(key);
        if (hit && hit.mtime === st.mtimeMs && hit.size === st.size) return hit.result;
        const buf = new Uint8Array(Math.min(PEEK_BYTES, st.size));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        const result = peekTensors(buf.subarray(0, bytesRead), baseName(uri.path), st.size);
        this.cache.set(key, { mtime: st.mtimeMs, size: st.size, result });
        return result;
      } finally {
        await fh.close();
      }
    }
    const st = await vscode.workspace.fs.stat(uri);
    if (st.size > 16 * PEEK_BYTES) return undefined;
    const hit = this.cache.get(key);
    if (hit && hit.mtime === st.mtime && hit.size === st.size) return hit.result;
    const bytes = await vscode.workspace.fs.readFile(uri);
    const result = peekTensors(bytes.subarray(0, PEEK_BYTES), baseName(uri.path), st.size);
    this.cache.set(key, { mtime: st.mtime, size: st.size, result });
    return result;
  }
}
