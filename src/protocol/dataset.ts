/**
 * The folder view's protocol (`lossInspector.dataset`, webview/dataset): the host pushes the evaluation's
 * state, the page asks for a case's comparison and for saving the summary. Requests and replies go through the
 * id-matched channel (./channel.ts: `request {id, method, params}` → exactly one `response {id, ok, …}`);
 * pushed messages carry `view: 'dataset'` so they never mix with another protocol's. Pure: no `vscode`, no DOM.
 */
import type { DatasetSummary } from '../dataset/summary';

export interface DatasetViewState {
  /** Display paths (workspace-relative) of the two folders. */
  predictions: string;
  references: string;
  summary: DatasetSummary;
  /** Names of classes 0…C−1 from the setting or a classes.json in either folder, else null. */
  classNames: string[] | null;
  elapsedMs: number;
  threads: number;
  /** What produced the loss columns, e.g. "DiceCELoss, ε = 0.1", or null for metrics only. */
  lossLabel: string | null;
}

/** The page's requests. */
export type DatasetRequestMap = {
  /** Open the comparison view on this case's prediction and reference. */
  openCase: { params: { id: string }; result: Record<string, never> };
  /** Save the summary through the host's save dialog. */
  saveSummary: { params: { format: 'json' | 'csv' }; result: { saved: boolean } };
};

/** What the host pushes besides replies. */
export type DatasetPush =
  | { type: 'init'; view: 'dataset'; state: DatasetViewState }
  | { type: 'evaluating'; view: 'dataset'; done: number; failed: number; total: number; message: string }
  | { type: 'notice'; view: 'dataset'; level: 'info' | 'warning' | 'error'; message: string };

/** The page's only non-request message. */
export type DatasetPageMessage = { type: 'ready'; view: 'dataset' } | { type: 'log'; level: 'info' | 'error'; message: string };

export function isDatasetPush(m: unknown): m is DatasetPush {
  return typeof m === 'object' && m !== null && (m as { view?: unknown }).view === 'dataset' && typeof (m as { type?: unknown }).type === 'string';
}
