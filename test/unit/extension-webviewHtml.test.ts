// The webview shell: strict CSP (no wildcard source, no unsafe-*), the nonce on the one script tag and in the
// csp-nonce meta, escaping of every interpolated value, and no data inlined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCsp, buildWebviewHtml, escapeHtml, makeNonce } from '../../src/extension/webviewHtml';

const base = {
  cspSource: 'vscode-webview://abc123',
  nonce: 'AbCdEfGhIjKlMnOpQrStUvWxYz012345',
  scriptUri: 'vscode-webview://abc123/dist/webview/comparison.js',
  styleUris: ['vscode-webview://abc123/media/comparison.css'],
  title: 'Loss Inspector',
  view: 'comparison' as const,
};

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'CSP meta present');
  return m[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

test('CSP is exactly the agreed policy', () => {
  const html = buildWebviewHtml(base);
  assert.equal(
    cspOf(html),
    "default-src 'none'; script-src 'nonce-AbCdEfGhIjKlMnOpQrStUvWxYz012345'; style-src vscode-webview://abc123 " +
      "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; img-src vscode-webview://abc123 data:; font-src vscode-webview://abc123",
  );
  assert.equal(cspOf(html), buildCsp(base.cspSource, base.nonce));
});

test('CSP has no wildcard source and no unsafe-eval / unsafe-inline', () => {
  const csp = cspOf(buildWebviewHtml(base));
  for (const directive of csp.split(';')) {
    const sources = directive.trim().split(/\s+/).slice(1);
    assert.ok(!sources.includes('*'), `wildcard in ${directive}`);
    assert.ok(!sources.some((s) => /^(https?|data|blob):?$/.test(s) && s !== 'data:'), `scheme-wide source in ${directive}`);
  }
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|unsafe-hashes|strict-dynamic/);
  assert.match(csp, /^default-src 'none';/);
});

test('the one script tag carries the nonce of the CSP and the csp-nonce meta', () => {
  const html = buildWebviewHtml(base);
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)];
  assert.equal(scripts.length, 1);
  const attrs = scripts[0]![1]!;
  const nonce = /nonce="([^"]+)"/.exec(attrs)?.[1];
  assert.equal(nonce, base.nonce);
  assert.match(attrs, new RegExp(`src="${base.scriptUri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
  assert.ok(cspOf(html).includes(`'nonce-${nonce}'`));
  assert.match(html, new RegExp(`<meta property="csp-nonce" content="${base.nonce}">`));
});

test('stylesheets become links, the root names the view, nothing else is inlined', () => {
  const html = buildWebviewHtml({ ...base, styleUris: ['a.css', 'b.css'], view: 'tensorFile' });
  assert.deepEqual([...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]), ['a.css', 'b.css']);
  assert.match(html, /<div id="root" data-view="tensorFile"><\/div>/);
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /style="/);
  // Only the script tag's own markup: no inline code between the tags.
  assert.match(html, /<script [^>]*><\/script>/);
});

test('every interpolated value is escaped', () => {
  const html = buildWebviewHtml({
    ...base,
    title: `<img src=x onerror="alert(1)"> & 'x'`,
    scriptUri: `x.js" onload="alert(1)`,
    styleUris: [`y.css"><script>alert(1)</script>`],
  });
  assert.doesNotMatch(html, /onerror="/);
  assert.doesNotMatch(html, /onload="/);
  assert.equal([...html.matchAll(/<script\b/g)].length, 1);
  assert.match(html, /<title>&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt; &amp; &#39;x&#39;<\/title>/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('a VS Code source list is kept; directive-breaking sources, bad nonces and views are refused', () => {
  const html = buildWebviewHtml({ ...base, cspSource: "'self' https://*.vscode-cdn.net" });
  assert.match(cspOf(html), /style-src 'self' https:\/\/\*\.vscode-cdn\.net 'sha256-/);
  assert.throws(() => buildWebviewHtml({ ...base, cspSource: "x; script-src 'unsafe-eval'" }), /cspSource/);
  assert.throws(() => buildWebviewHtml({ ...base, cspSource: '*' }), /cspSource/);
  assert.throws(() => buildWebviewHtml({ ...base, cspSource: "'unsafe-inline'" }), /cspSource/);
  assert.throws(() => buildWebviewHtml({ ...base, nonce: "abc' 'unsafe-inline" }), /nonce/);
  assert.throws(() => buildWebviewHtml({ ...base, nonce: 'short' }), /nonce/);
  assert.throws(() => buildWebviewHtml({ ...base, view: 'other' as never }), /view/);
});

test('makeNonce: 32 base64url characters, fresh each call', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = makeNonce();
    assert.match(n, /^[A-Za-z0-9_-]{32}$/);
    seen.add(n);
  }
  assert.equal(seen.size, 200);
  // Usable by the builder.
  assert.doesNotThrow(() => buildWebviewHtml({ ...base, nonce: makeNonce() }));
});
