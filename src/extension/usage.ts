/**
 * Which files open views still use, so that the worker can drop a file from its cache soon after the last view
 * showing it closes (the LRU budget bounds memory anyway; this frees a large volume promptly). With `graceMs`, a
 * file is released only when no view has taken it up again within that time: closing a comparison and opening it
 * again (or the tensor editor on its logits) reads nothing twice.
 * Pure (no `vscode`).
 */
import type { IDisposable } from './dispose';

export class FileUsage {
  private readonly counts = new Map<string, number>();
  /** Files no view uses, waiting out the grace period: the cancel of their timer. */
  private readonly waiting = new Map<string, () => void>();

  /**
   * `release` gets the URIs no view uses any more (after `graceMs` without a view, 0: at once); `later` runs a
   * function after a delay and returns its cancel (a test passes its own clock).
   */
  constructor(
    private readonly release: (uris: string[]) => void,
    private readonly graceMs = 0,
    private readonly later: (fn: () => void, ms: number) => () => void = (fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  ) {}

  /** Marks the URIs as used until the returned disposable is disposed. */
  acquire(uris: readonly string[]): IDisposable {
    const held = [...new Set(uris)];
    for (const u of held) {
      this.counts.set(u, (this.counts.get(u) ?? 0) + 1);
      const cancel = this.waiting.get(u);
      if (cancel) {
        cancel();
        this.waiting.delete(u);
      }
    }
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
        if (!freed.length) return;
        if (this.graceMs <= 0) {
          this.release(freed);
          return;
        }
        // one timer for the files freed together; each file's own cancel only forgets that file
        const mine = new Map<string, () => void>();
        const cancelAll = this.later(() => {
          const now = freed.filter((u) => this.waiting.get(u) === mine.get(u));
          for (const u of now) this.waiting.delete(u);
          if (now.length) this.release(now);
        }, this.graceMs);
        let left = freed.length;
        for (const u of freed) {
          const cancel = () => {
            if (--left === 0) cancelAll();
          };
          mine.set(u, cancel);
          this.waiting.set(u, cancel);
        }
      },
    };
  }

  isUsed(uri: string): boolean {
    return (this.counts.get(uri) ?? 0) > 0;
  }

  /** Releases every file waiting out its grace period now (deactivation). */
  dispose(): void {
    const uris = [...this.waiting.keys()];
    for (const cancel of this.waiting.values()) cancel();
    this.waiting.clear();
    if (uris.length) this.release(uris);
  }
}
