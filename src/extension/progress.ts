/**
 * Long jobs (reads, reports) with progress that appears only when the job lasts, and goes with its result.
 *
 * - After `delayMs` (default {@link PROGRESS_DELAY_MS}, 500 ms) a status-bar progress shows the title: VS Code
 *   removes it within ~150 ms of the job settling, so it never outlives the result.
 * - After {@link NOTIFY_AFTER_MS} (10 s: a read of several GB) a cancellable notification joins it. Not earlier: a
 *   progress notification that an extension opens stays at least 800 ms on screen (VS Code's minimum for
 *   notifications without a delay, which the extension API cannot pass), so one opened after 500 ms outlived every
 *   result that took between 0.5 and 1.3 s — a recompute's toast stayed after the numbers changed. Shorter work shows
 *   its progress in its own view too (the views' busy line).
 * Cancelling the notification aborts the job's signal (the worker client sends `cancel`; the worker stops the job
 * and keeps its cache, see workerClient.ts).
 */
import * as vscode from 'vscode';
import type { CallOptions } from './workerClient';

/** Work shorter than this shows no progress outside its view. */
export const PROGRESS_DELAY_MS = 500;
/** Work longer than this also gets a cancellable notification. */
export const NOTIFY_AFTER_MS = 10_000;

export interface JobOptions {
  title: string;
  /** Show the status-bar progress only after this many ms (default {@link PROGRESS_DELAY_MS}; 0 shows it at once). */
  delayMs?: number;
  /** An outer cancellation (e.g. a quick pick's token, a custom editor's token). */
  token?: vscode.CancellationToken;
  /** An outer abort (e.g. the webview cancelled or gave up on the request this job answers). */
  signal?: AbortSignal;
}

export async function runJob<T>(o: JobOptions, fn: (call: CallOptions) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const outer = o.token?.onCancellationRequested(() => abort.abort());
  const onOuterAbort = () => abort.abort();
  if (o.signal?.aborted) abort.abort();
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const reporters: ((message: string) => void)[] = [];
  let lastMessage: string | undefined;
  const onProgress = (message: string) => {
    lastMessage = message;
    for (const r of reporters) r(message);
  };
  const job = fn({ signal: abort.signal, onProgress });
  let finished = false;
  const settled = job.then(
    () => undefined,
    () => undefined,
  ).finally(() => {
    finished = true;
  });
  const show = (location: vscode.ProgressLocation, cancellable: boolean) => () => {
    if (finished) return;
    void vscode.window.withProgress({ location, title: o.title, cancellable }, (progress, token) => {
      const report = (message: string) => progress.report({ message });
      reporters.push(report);
      if (lastMessage) report(lastMessage);
      token.onCancellationRequested(() => abort.abort());
      return settled;
    });
  };
  const delay = o.delayMs ?? PROGRESS_DELAY_MS;
  const timers = [setTimeout(show(vscode.ProgressLocation.Window, false), delay), setTimeout(show(vscode.ProgressLocation.Notification, true), Math.max(delay, NOTIFY_AFTER_MS))];
  try {
    return await job;
  } finally {
    for (const t of timers) clearTimeout(t);
    outer?.dispose();
    o.signal?.removeEventListener('abort', onOuterAbort);
  }
}
