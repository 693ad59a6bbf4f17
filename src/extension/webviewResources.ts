/**
 * Everything a webview needs from the extension's files: the options (scripts on, `localResourceRoots` limited to
 * `dist/webview` and `media`) and the HTML from the pure {@link buildWebviewHtml} with a fresh nonce.
 * Stylesheets: `dist/webview/<view>.css` (CSS the bundle imports, emitted by esbuild) when present, then every
 * `media/*.css` except the other view's own (`<other>.css`, `<other>-*.css`), shared ones first.
 */
import * as vscode from 'vscode';
import { buildWebviewHtml, makeNonce, type WebviewView } from './webviewHtml';

const VIEWS: WebviewView[] = ['comparison', 'tensorFile', 'dataset'];

export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewRoots(extensionUri) };
}

async function listCss(dir: vscode.Uri): Promise<string[]> {
  try {
    const entries = await vscode.workspace.fs.readDirectory(dir);
    return entries.filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.css')).map(([n]) => n).sort();
  } catch {
    return [];
  }
}

/** Stylesheet files (relative to the extension) for a view, in load order. */
export async function stylesFor(extensionUri: vscode.Uri, view: WebviewView): Promise<string[][]> {
  const media = await listCss(vscode.Uri.joinPath(extensionUri, 'media'));
  const ownedBy = (n: string) => VIEWS.find((v) => n === `${v}.css` || n.startsWith(`${v}-`));
  const shared = media.filter((n) => !ownedBy(n));
  const own = media.filter((n) => ownedBy(n) === view);
  const out = [...shared, ...own].map((n) => ['media', n]);
  const bundleCss = await listCss(vscode.Uri.joinPath(extensionUri, 'dist', 'webview'));
  if (bundleCss.includes(`${view}.css`)) out.unshift(['dist', 'webview', `${view}.css`]);
  return out;
}

/** Sets a webview's options and HTML for `view`. */
export async function initWebview(webview: vscode.Webview, extensionUri: vscode.Uri, view: WebviewView, title: string): Promise<void> {
  webview.options = webviewOptions(extensionUri);
  const styles = await stylesFor(extensionUri, view);
  webview.html = buildWebviewHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${view}.js`)).toString(),
    styleUris: styles.map((parts) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString()),
    title,
    view,
  });
}
