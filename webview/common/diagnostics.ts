/**
 * Reports what goes wrong inside the page to the host's output channel: CSP violations (a blocked style
 * or script fails silently otherwise), uncaught errors and unhandled promise rejections.
 */
import type { HostClient } from './client';
import type { ViewProtocol } from '../../src/protocol/messages';

export function reportPageProblems(client: Pick<HostClient<ViewProtocol>, 'log'>): void {
  document.addEventListener('securitypolicyviolation', (e) => {
    client.log(
      'error',
      `CSP violation: ${e.effectiveDirective || e.violatedDirective} blocked ${e.blockedURI || 'inline content'}` +
        (e.sourceFile ? ` (${e.sourceFile}:${e.lineNumber})` : ''),
    );
  });
  window.addEventListener('error', (e) => {
    client.log('error', `webview error: ${e.message}${e.filename ? ` (${e.filename}:${e.lineno})` : ''}`);
  });
  window.addEventListener('unhandledrejection', (e) => {
    const r: unknown = e.reason;
    client.log('error', `webview unhandled rejection: ${r instanceof Error ? r.message : String(r)}`);
  });
}
