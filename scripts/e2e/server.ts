/**
 * A throwaway code-server: its own user-data, extensions, XDG and temp folders under one run folder, bound to
 * 127.0.0.1 on a free port, no auth, no gallery, no telemetry, no update check. Started in its own session and
 * process group (Node's `detached` is setsid(2)) so `stop()` can end code-server and every child it spawned
 * (extension hosts, file watchers, pty hosts) with one `kill -- -PGID`. Every server still running when this
 * process exits is killed the same way, also on failures, Ctrl-C and SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node24Env, type CodeServerInstall } from './codeServer';

/** User settings that keep the workbench quiet and offline (see scripts/e2e/README.md). */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface ServerOptions {
  install: CodeServerInstall;
  /** `.vsix` files installed into the server's extensions folder before it starts. */
  vsix?: string[];
  /** Extra user settings merged over QUIET_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Pass `--vscode-option enable-smoke-test-driver` (needed for extensionTestsPath payloads). */
  smokeTestDriver?: boolean;
  /** Fixed port (default: a free one). */
  port?: number;
  /** Parent of the run folder (default: the OS temp folder). */
  parentDir?: string;
  /** Keep the run folder after stop() (for debugging). */
  keep?: boolean;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  pgid: number;
  /** The run folder: `user-data/`, `extensions/`, `xdg-*`, `tmp/`, `server.log`. */
  runDir: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  /** Milliseconds from spawn to a healthy `/healthz`. */
  readyMs: number;
  /** Milliseconds spent installing the `.vsix` files. */
  installMs: number;
  stop(): Promise<void>;
}

/** Servers still running, by process group: killed (and their run folders removed) if this process exits. */
const live = new Map<number, { child: ChildProcess; runDir: string; keep: boolean }>();
let exitHooked = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is already gone */
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => {
    for (const [pgid, s] of live) {
      killGroup(pgid, 'SIGKILL');
      if (!s.keep) rmSync(s.runDir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function runToEnd(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(log, `$ ${args.slice(1).join(' ')}\n${out}\n`, { flag: 'a' });
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.slice(1).join(' ')} exited with ${code}: ${out.trim().split('\n').pop()}`));
    });
  });
}

/** Environment that keeps code-server's files inside the run folder and its gallery switched off. */
function serverEnv(install: CodeServerInstall, runDir: string): NodeJS.ProcessEnv {
  const env = node24Env(install.nodeDir);
  for (const k of Object.keys(env)) {
    // Never let the caller's VS Code (F5 loop, terminals) leak its IPC hooks into the throwaway server.
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'NODE_OPTIONS') delete env[k];
  }
  return {
    ...env,
    XDG_CONFIG_HOME: join(runDir, 'xdg-config'),
    XDG_DATA_HOME: join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: join(runDir, 'xdg-cache'),
    TMPDIR: join(runDir, 'tmp'),
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
  };
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`code-server exited with ${exited} before it was ready; log: ${logFile}`);
    }
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`code-server not healthy after ${timeoutMs} ms at ${url}/healthz; log: ${logFile}`);
}

/** Starts a throwaway code-server and waits until it answers `/healthz`. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  hookExit();
  const { install } = opts;
  const parent = opts.parentDir ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const runDir = mkdtempSync(join(parent, 'loss-inspector-cs-'));
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  for (const d of [join(userDataDir, 'User'), extensionsDir, ...['xdg-config', 'xdg-data', 'xdg-cache', 'tmp'].map((x) => join(runDir, x))]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2) + '\n',
  );
  const logFile = join(runDir, 'server.log');
  const env = serverEnv(install, runDir);
  const dirs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  const tInstall = Date.now();
  for (const vsix of opts.vsix ?? []) {
    await runToEnd(install.nodeBin, [install.entry, ...dirs, '--install-extension', vsix, '--force'], env, logFile);
  }
  const installMs = Date.now() - tInstall;

  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    install.entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    ...dirs,
    '--config',
    join(runDir, 'xdg-config', 'config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ];
  writeFileSync(join(runDir, 'xdg-config', 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const t0 = Date.now();
  const child = spawn(install.nodeBin, args, { env, cwd: runDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('code-server did not start (no pid)');
  live.set(pgid, { child, runDir, keep: !!opts.keep });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const gone = new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r();
      else child.once('exit', () => r());
    });
    killGroup(pgid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
    if ((await Promise.race([gone, timer])) === 'timeout') killGroup(pgid, 'SIGKILL');
    // Children that ignored SIGTERM (extension hosts) go with the group.
    killGroup(pgid, 'SIGKILL');
    live.delete(pgid);
    if (!opts.keep) rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    await waitHealthy(url, child, logFile, 60_000);
  } catch (e) {
    const tail = safeTail(logFile);
    await stop().catch(() => {});
    throw new Error(`${(e as Error).message}${tail ? `\n${tail}` : ''}`);
  }
  return { url, port, pgid, runDir, userDataDir, extensionsDir, logFile, readyMs: Date.now() - t0, installMs, stop };
}

function safeTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** The folder of an installed extension (`publisher.name-version`) inside a server's extensions dir. */
export function installedExtensionDir(server: RunningServer, id: string): string {
  const registry = join(server.extensionsDir, 'extensions.json');
  const entries = JSON.parse(readFileSync(registry, 'utf8')) as { identifier: { id: string }; relativeLocation: string }[];
  const hit = entries.find((e) => e.identifier.id.toLowerCase() === id.toLowerCase());
  if (!hit) throw new Error(`extension ${id} is not installed in ${server.extensionsDir}`);
  return join(server.extensionsDir, hit.relativeLocation);
}
