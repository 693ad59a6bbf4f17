/**
 * Which files open views still use, so that the worker can drop a file from its cache as soon as the last
 * view showing it closes (the LRU budget bounds memory anyway; this frees a large volume promptly).
 * Pure (no `vscode`).
 */
import type { IDisposable } from './dispose';

export class FileUsage {
  private readonly counts = new Map<string, number>();

  /** `release` gets the URIs no view uses any more. */
  constructor(private readonly release: (uris: string[]) => void) {}

  /** Marks the URIs as used until the returned disposable is disposed. */
  acquire(uris: readonly string[]): IDisposable {
    const held = [...new Set(uris)];
    for (const u of held) this.counts.set(u, (this.counts.get(u) ?? 0) + 1);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const freed: string[] = [];
        for (const u of held) {
          const n = (this.counts.get(u) ?? 1) - 1;
          if (n <= 0) {
            this.counts.delete(u);
            freed.push(u);
          } else this.counts.set(u, n);
        }
        if (freed.length) this.release(freed);
      },
    };
  }

  isUsed(uri: string): boolean {
    return (this.counts.get(uri) ?? 0) > 0;
  }
}
