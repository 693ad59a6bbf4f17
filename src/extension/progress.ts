/**
 * Long jobs (reads, reports) under a cancellable progress notification. The notification appears only when the
 * job outlasts `delayMs`, so a recompute on cached tensors does not flash one; cancelling it aborts the job's
 * signal (the worker client sends `cancel`; the worker stops the job and keeps its cache, see workerClient.ts).
 */
import * as vscode from 'vscode';
import type { CallOptions } from './workerClient';

export interface JobOptions {
  title: string;
  /** Show the notification only after this many ms (default 300; 0 shows it at once). */
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
  let report: ((message: string) => void) | undefined;
  let lastMessage: string | undefined;
  const onProgress = (message: string) => {
    lastMessage = message;
    report?.(message);
  };
  const job = fn({ signal: abort.signal, onProgress });
  let finished = false;
  const settled = job.then(
    () => undefined,
    () => undefined,
  ).finally(() => {
    finished = true;
  });
  const timer = setTimeout(() => {
    if (finished) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: o.title, cancellable: true },
      (progress, token) => {
        report = (message) => progress.report({ message });
        if (lastMessage) report(lastMessage);
        token.onCancellationRequested(() => abort.abort());
        return settled;
      },
    );
  }, o.delayMs ?? 300);
  try {
    return await job;
  } finally {
    clearTimeout(timer);
    outer?.dispose();
    o.signal?.removeEventListener('abort', onOuterAbort);
  }
}
