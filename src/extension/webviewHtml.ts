/**
 * The HTML shell of both webviews (comparison panel and tensor-file editor), built by one pure function.
 * Pure on purpose: no `vscode` import, no DOM, so the Chromium harness (test/webview) loads the exact page
 * the extension serves. No data is inlined: the page carries only the bundle, the stylesheets and a root
 * element; the state arrives by message after the webview's `ready` (see src/protocol/messages.ts).
 *
 * CSP: `default-src 'none'`; scripts only with the per-load nonce; styles only
 * from the webview resource origin plus the hash of the empty string (the UI toolkit's FAST focus-visible
 * probe appends an empty `<style>`); images from the resource origin or `data:`; fonts from the origin.
 */

export type WebviewView = 'comparison' | 'tensorFile';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`, e.g. `'self' https://*.vscode-cdn.net` (a source list, used as given). */
  cspSource: string;
  /** Per-load nonce from {@link makeNonce}; base64url/alphanumeric. */
  nonce: string;
  /** `webview.asWebviewUri(dist/webview/<view>.js).toString()`. */
  scriptUri: string;
  /** Stylesheet URIs (already `asWebviewUri`'d), loaded in order as `<link rel="stylesheet">`. */
  styleUris: string[];
  /** Document title (shown by screen readers, not by VS Code's tab). */
  title: string;
  view: WebviewView;
}

/** SHA-256 of the empty string: the only inline `<style>` the page may hold (FAST's feature probe). */
export const EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

/** The exact Content-Security-Policy for a webview with this resource origin and nonce. */
export function buildCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} ${EMPTY_STYLE_HASH}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Escape for a double-quoted attribute value and for element text (`&`, `<`, `>`, `"`, `'`). */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const NONCE_RE = /^[A-Za-z0-9+/=_-]{16,}$/;
const VIEWS: readonly WebviewView[] = ['comparison', 'tensorFile'];

/** The webview page: CSP meta, csp-nonce meta, stylesheet links, `#root[data-view]`, one nonce'd script. */
export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  // A nonce with quotes or spaces would break out of the CSP source list; refuse it rather than escape it.
  if (!NONCE_RE.test(o.nonce)) throw new Error(`buildWebviewHtml: nonce must be ≥ 16 base64/alphanumeric characters, got "${o.nonce}"`);
  if (!VIEWS.includes(o.view)) throw new Error(`buildWebviewHtml: unknown view "${String(o.view)}"`);
  // VS Code's cspSource is a source list such as `'self' https://*.vscode-cdn.net`: keep it, but refuse anything
  // that could end the directive or relax it.
  const src = o.cspSource.trim().replace(/\s+/g, ' ');
  if (src === '' || /[;,"<>\\]/.test(src) || /'unsafe-|'nonce-|'sha|(^| )\*( |$)/.test(src)) {
    throw new Error(`buildWebviewHtml: cspSource is not a plain source list: "${o.cspSource}"`);
  }
  const csp = buildCsp(src, o.nonce);
  const e = escapeHtml;
  const links = o.styleUris.map((u) => `    <link rel="stylesheet" href="${e(u)}">`).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '  <head>',
    '    <meta charset="UTF-8">',
    `    <meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    `    <meta property="csp-nonce" content="${e(o.nonce)}">`,
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0">',
    ...(links ? [links] : []),
    `    <title>${e(o.title)}</title>`,
    '  </head>',
    '  <body>',
    `    <div id="root" data-view="${e(o.view)}"></div>`,
    `    <script nonce="${e(o.nonce)}" src="${e(o.scriptUri)}"></script>`,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * A fresh 32-character nonce from the platform CSPRNG (`crypto.getRandomValues`, present in Node ≥ 19 and
 * every browser), base64url without padding so it is valid in both the CSP and an attribute.
 */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  // 24 bytes = 192 bits = 32 base64 digits, no padding.
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  return out;
}
