/**
 * Runs a test entry INSIDE the real extension host of a code-server workbench (scripts/e2e/README.md): the
 * server runs with `--vscode-option enable-smoke-test-driver`, the page opens with a `payload` naming the
 * extension under development and the tests module; the workbench calls `window.codeAutomationExit(code)`
 * when the module's `run()` settles, and the extension host's console lines arrive as page console messages.
 */
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../../../scripts/e2e/server';
import { repoRoot } from './scenario';
import { PREFIX } from '../extensionHost/runner';

export interface HostRunResult {
  exitCode: number;
  /** Every `[ehost] …` line, in order, without the prefix. */
  lines: string[];
  passed: string[];
  failed: { name: string; message: string }[];
  metrics: Record<string, { value: number; unit: string }>;
  /** All console text seen, for diagnosing a run that never reported. */
  console: string[];
  ms: number;
}

/** Bundles `test/e2e/extensionHost/<entry>.ts` into one CommonJS file (vscode external) in `outDir`. */
export async function bundleHostTests(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${entry}.js`);
  await esbuild.build({
    entryPoints: [join(repoRoot, 'test', 'e2e', 'extensionHost', `${entry}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
    absWorkingDir: repoRoot,
  });
  return outfile;
}

/**
 * Opens `folder` with the given development extension and tests module, waits for the run to end (or
 * `timeoutMs`), and parses the runner's lines.
 */
export async function runInExtensionHost(
  page: Page,
  server: RunningServer,
  opts: { folder: string; extensionDevelopmentPath: string; extensionTestsPath: string; timeoutMs?: number },
): Promise<HostRunResult> {
  const t0 = Date.now();
  const consoleLines: string[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationExit', (code: number) => {
    resolveExit(Number(code));
  });
  page.on('console', (msg) => consoleLines.push(msg.text()));

  const authority = `127.0.0.1:${server.port}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', `vscode-remote://${authority}${opts.extensionDevelopmentPath}`],
    ['extensionTestsPath', `vscode-remote://${authority}${opts.extensionTestsPath}`],
  ]);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(opts.folder)}&payload=${encodeURIComponent(payload)}`);

  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exitCode = await Promise.race([
    exited,
    new Promise<number>((r) => (timer = setTimeout(() => r(-1), timeoutMs))),
  ]);
  if (timer) clearTimeout(timer);

  const lines: string[] = [];
  for (const text of consoleLines) {
    // The workbench may prefix forwarded lines (e.g. "%c[Extension Host] …"): find the runner's prefix anywhere.
    for (const part of text.split('\n')) {
      const at = part.indexOf(PREFIX);
      if (at >= 0) lines.push(part.slice(at + PREFIX.length).trim().replace(/\s*(color:.*)?$/, ''));
    }
  }
  const passed: string[] = [];
  const failed: { name: string; message: string }[] = [];
  const metrics: HostRunResult['metrics'] = {};
  for (const l of lines) {
    let m: RegExpMatchArray | null;
    if ((m = l.match(/^ok (.*) \(\d+ ms\)$/))) passed.push(m[1]!);
    else if ((m = l.match(/^FAIL (.*?): (.*)$/))) failed.push({ name: m[1]!, message: m[2]! });
    else if ((m = l.match(/^metric (\S+) (\S+) (\S+)$/))) metrics[m[1]!] = { value: Number(m[2]), unit: m[3]! };
  }
  return { exitCode, lines, passed, failed, metrics, console: consoleLines, ms: Date.now() - t0 };
}
