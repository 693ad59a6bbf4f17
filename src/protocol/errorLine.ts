/**
 * The one-line text of an error, wherever one leaves its layer: the CLI's stderr line, a reply over any channel
 * (worker, thread pool, webview), a notification, the log. The readers and the engine already write one line
 * naming the file or option and the problem; this keeps it so for everything else (a JavaScript error with a
 * newline, a thrown string or object) and never yields an empty line.
 */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : (() => {
    try {
      return JSON.stringify(e) ?? String(e);
    } catch {
      return String(e);
    }
  })();
  const line = msg.replace(/\s*\n\s*/g, ' ').trim();
  return line === '' ? (e instanceof Error ? e.name : 'unknown error') : line;
}
