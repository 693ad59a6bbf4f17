/**
 * The webview's handle on VS Code. `acquireVsCodeApi` may be called only once per page, so every module
 * goes through {@link vscodeApi}. `getState`/`setState` survive the panel being hidden, and what is set
 * is handed to the host's serializer when VS Code restarts (see PersistedComparison in the protocol).
 */
export interface VsCodeApi<S = unknown> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState<T extends S>(state: T): T;
}

declare function acquireVsCodeApi<S = unknown>(): VsCodeApi<S>;

let api: VsCodeApi | undefined;

export function vscodeApi<S = unknown>(): VsCodeApi<S> {
  api ??= acquireVsCodeApi();
  return api as VsCodeApi<S>;
}
