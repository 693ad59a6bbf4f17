/**
 * Chromium harness for the webviews: serves `dist/webview` and `media` from a local HTTP server on
 * 127.0.0.1 (random port), builds each page with the extension's own `buildWebviewHtml` (so the CSP under
 * test is the real one), and drives Debian's Chromium through playwright-core. A stub `acquireVsCodeApi`
 * (installed before any page script) records what the page posts and lets the test push host messages;
 * theme variables are applied the way VS Code applies them.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebviewHtml } from '../../src/extension/webviewHtml';
import type { HostToWebview, RequestMethod, WebviewToHost } from '../../src/protocol/messages';
import { THEMES, type ThemeName } from './themes';

export const repoRoot = resolve(__dirname, '..', '..');
export const artifactsDir = join(repoRoot, '.test-artifacts', 'webview');
export const TEST_NONCE = 'harnessNonce0123456789abcdefABCDEF';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export type View = 'comparison' | 'tensorFile';

/** The CSS files each view loads, in order (what the host passes as styleUris). */
export const VIEW_STYLES: Record<View, string[]> = {
  comparison: ['media/common.css', 'media/comparison.css'],
  tensorFile: ['media/common.css', 'media/tensorFile.css'],
};

export class Harness {
  private constructor(
    readonly server: Server,
    readonly origin: string,
    readonly browser: Browser,
  ) {}

  static async start(): Promise<Harness> {
    for (const f of ['dist/webview/comparison.js', 'dist/webview/tensorFile.js']) {
      if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
    }
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package chromium)`);
    let origin = '';
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      const page = /^\/page\/(comparison|tensorFile)\.html$/.exec(url.pathname);
      if (page) {
        const view = page[1] as View;
        const html = buildWebviewHtml({
          cspSource: origin,
          nonce: TEST_NONCE,
          scriptUri: `${origin}/dist/webview/${view}.js`,
          styleUris: VIEW_STYLES[view].map((s) => `${origin}/${s}`),
          title: view === 'comparison' ? 'Loss comparison' : 'Tensor file',
          view,
        });
        res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' });
        res.end(html);
        return;
      }
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
      const allowed = rel.startsWith(`dist${sep}webview${sep}`) || rel.startsWith(`media${sep}`);
      const file = join(repoRoot, rel);
      if (!allowed || !file.startsWith(repoRoot + sep) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return new Harness(server, origin, browser);
  }

  async open(view: View, theme: ThemeName, viewport = { width: 1280, height: 900 }): Promise<ViewPage> {
    const context = await this.browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const vp = new ViewPage(context, page, view);
    await vp.install(theme);
    await page.goto(`${this.origin}/page/${view}.html`);
    return vp;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

type Waiter = { pred: (m: WebviewToHost) => boolean; resolve: (m: WebviewToHost) => void };

/** One webview page: what it posted, and how to talk to it as the host would. */
export class ViewPage {
  /** Every message the page posted, in order. */
  readonly posted: WebviewToHost[] = [];
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  private waiters: Waiter[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly view: View,
  ) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
  }

  async install(theme: ThemeName): Promise<void> {
    // tsx compiles this file with esbuild's keepNames, which wraps functions in `__name(…)`; the functions
    // handed to the page below are serialised as source, so the page needs that helper too.
    await this.page.addInitScript('window.__name = (fn) => fn;');
    this.page.setDefaultTimeout(8_000);
    await this.page.exposeBinding('__hostReceive', (_src, m: WebviewToHost) => {
      this.posted.push(m);
      const w = this.waiters.find((x) => x.pred(m));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      }
    });
    await this.page.addInitScript((spec) => {
      const w = window as unknown as Record<string, unknown>;
      let acquired = false;
      let state: unknown;
      w.__csp = [] as string[];
      document.addEventListener('securitypolicyviolation', (e) => {
        (w.__csp as string[]).push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
      });
      w.acquireVsCodeApi = () => {
        if (acquired) throw new Error('acquireVsCodeApi may be called only once');
        acquired = true;
        return {
          // VS Code structured-clones what is posted: a message that cannot be cloned must fail here too.
          postMessage: (m: unknown) => void (w.__hostReceive as (m: unknown) => Promise<void>)(structuredClone(m)),
          getState: () => state,
          setState: (s: unknown) => {
            state = structuredClone(s);
            w.__savedState = state;
            return s;
          },
        };
      };
      const applyVars = () => {
        for (const [k, v] of Object.entries(spec.variables)) document.documentElement.style.setProperty(k, v);
      };
      const applyBody = () => {
        document.body.classList.add(spec.bodyClass);
        document.body.dataset.vscodeThemeKind = spec.kind;
      };
      const ready = () => Boolean(document.documentElement && document.body);
      if (document.documentElement) applyVars();
      if (ready()) applyBody();
      else {
        const obs = new MutationObserver(() => {
          if (document.documentElement) applyVars();
          if (ready()) {
            applyBody();
            obs.disconnect();
          }
        });
        obs.observe(document, { childList: true, subtree: true });
      }
    }, THEMES[theme]);
  }

  /** Resolves with the next posted message matching `pred` (or an already-posted one after `since`). */
  waitFor(pred: (m: WebviewToHost) => boolean, timeoutMs = 10_000, since = 0): Promise<WebviewToHost> {
    const seen = this.posted.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pred, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; posted: ${JSON.stringify(this.posted.map((m) => (m.type === 'request' ? `${m.type}:${m.method}` : m.type)))}`));
      }, timeoutMs);
    });
  }

  /** The next request of `method` posted after index `since`. */
  async nextRequest<M extends RequestMethod>(method: M, since = 0, timeoutMs = 10_000): Promise<Extract<WebviewToHost, { type: 'request'; method: M }>> {
    return (await this.waitFor((m) => m.type === 'request' && m.method === method, timeoutMs, since)) as Extract<WebviewToHost, { type: 'request'; method: M }>;
  }

  requests(method?: RequestMethod, since = 0): Extract<WebviewToHost, { type: 'request' }>[] {
    return this.posted.slice(since).filter((m): m is Extract<WebviewToHost, { type: 'request' }> => m.type === 'request' && (!method || m.method === method));
  }

  /** Posts a host message into the page (typed arrays survive, as with VS Code's postMessage). */
  async push(msg: HostToWebview): Promise<void> {
    await this.page.evaluate((encoded) => {
      const revive = (x: unknown): unknown => {
        if (Array.isArray(x)) return x.map(revive);
        if (x && typeof x === 'object') {
          const o = x as Record<string, unknown>;
          if (typeof o.__typed === 'string' && Array.isArray(o.data)) {
            const ctor = (globalThis as unknown as Record<string, { from(a: unknown[]): unknown }>)[o.__typed]!;
            return ctor.from(o.data as unknown[]);
          }
          return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revive(v)]));
        }
        return x;
      };
      window.postMessage(revive(encoded), '*');
    }, encodeTyped(msg) as never);
  }

  respond(id: number, result: unknown): Promise<void> {
    return this.push({ type: 'response', id, ok: true, result } as HostToWebview);
  }

  respondError(id: number, error: string): Promise<void> {
    return this.push({ type: 'response', id, ok: false, error });
  }

  async setTheme(theme: ThemeName): Promise<void> {
    await this.page.evaluate((spec) => {
      const style = document.documentElement.style;
      for (const name of Array.from(style)) if (name.startsWith('--vscode-')) style.removeProperty(name);
      for (const [k, v] of Object.entries(spec.variables)) style.setProperty(k, v);
      document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast', 'vscode-high-contrast-light');
      document.body.classList.add(spec.bodyClass);
      document.body.dataset.vscodeThemeKind = spec.kind;
    }, THEMES[theme]);
    // The views redraw canvases on the next animation frame after the class change.
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  }

  savedState(): Promise<unknown> {
    return this.page.evaluate(() => (window as unknown as { __savedState: unknown }).__savedState);
  }

  /** Error logs the page sent to the host (CSP violations, uncaught errors). */
  errorLogs(): string[] {
    return this.posted.filter((m) => m.type === 'log' && m.level === 'error').map((m) => (m as { message: string }).message);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(artifactsDir, { recursive: true });
    const path = join(artifactsDir, `${name}.png`);
    // From the top, so sticky parts sit where a person sees them first.
    await this.page.evaluate(() => window.scrollTo(0, 0));
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Pixel statistics of a canvas: how many pixels are painted, and how many distinct colours. */
  canvasStats(testid: string): Promise<{ width: number; height: number; painted: number; colors: number }> {
    return this.page.evaluate((id) => {
      const c = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`);
      if (!c) throw new Error(`no canvas ${id}`);
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) return { width: c.width, height: c.height, painted: 0, colors: 0 };
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      const colors = new Set<number>();
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! > 0) {
          painted++;
          if (colors.size < 5000) colors.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        }
      }
      return { width: c.width, height: c.height, painted, colors: colors.size };
    }, testid);
  }

  /** Whether a canvas holds a pixel of exactly this colour (within ±2 per channel). */
  canvasHasColor(testid: string, rgb: readonly [number, number, number]): Promise<boolean> {
    return this.page.evaluate(
      ({ id, rgb }) => {
        const c = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`);
        const ctx = c?.getContext('2d');
        if (!c || !ctx) return false;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] === 255 && Math.abs(d[i]! - rgb[0]) <= 2 && Math.abs(d[i + 1]! - rgb[1]) <= 2 && Math.abs(d[i + 2]! - rgb[2]) <= 2) return true;
        }
        return false;
      },
      { id: testid, rgb },
    );
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Typed arrays → `{__typed, data}` so they cross `page.evaluate` and are rebuilt in the page. */
function encodeTyped(x: unknown): unknown {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    return { __typed: x.constructor.name, data: Array.from(x as unknown as ArrayLike<number>) };
  }
  if (Array.isArray(x)) return x.map(encodeTyped);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, encodeTyped(v)]));
  return x;
}
