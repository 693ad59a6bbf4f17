/**
 * Files whose read failed in this session (URI string → the reader's one-line message): *Compare Losses…*
 * never proposes them as partners. A later successful read of the file (the user ran `git lfs pull`, or
 * replaced it) clears its entry. Pure (no vscode).
 */
export class FailedFiles {
  private readonly failures = new Map<string, string>();

  record(uri: string, message: string): void {
    this.failures.set(uri, message);
  }

  clear(...uris: string[]): void {
    for (const u of uris) this.failures.delete(u);
  }

  get(uri: string): string | undefined {
    return this.failures.get(uri);
  }
}
