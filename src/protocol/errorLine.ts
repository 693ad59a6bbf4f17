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

/** `e.cause`, its cause, …: one line each (at most 8; a cycle ends the chain). */
export function causeChain(e: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>([e]);
  let c = e instanceof Error ? e.cause : undefined;
  while (c !== undefined && c !== null && !seen.has(c) && out.length < 8) {
    seen.add(c);
    out.push(oneLine(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  return out;
}
