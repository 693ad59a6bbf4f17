/**
 * `npm run demo:vscode`: Loss Inspector in a real VS Code, without installing VS Code. Builds the production
 * .vsix, installs it into a local code-server (installed on first use into the user cache, ~2 min), opens the
 * demo workspace and prints its URL on 127.0.0.1. Runs until Ctrl-C, then stops the server and removes its
 * temporary folders.
 *   npm run demo:vscode [-- --port 8080] [--folder path] [--no-package]
 * The demo workspace is the repository's demo/ folder itself: edits (e.g. a quick fix in train.py) land
 * there; `git checkout demo` restores it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureCodeServer } from './codeServer';
import { freePort, startServer } from './server';

const root = resolve(__dirname, '..', '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function portToUse(): Promise<number> {
  const asked = arg('--port') ?? process.env.PORT;
  if (asked) return Number(asked);
  return freePort();
}

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  const folder = resolve(arg('--folder') ?? join(root, 'demo'));
  if (!existsSync(folder)) throw new Error(`demo:vscode: folder ${folder} does not exist`);

  if (!process.argv.includes('--no-package')) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs'), '--out', vsix], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) throw new Error('demo:vscode: packaging failed (see above)');
  } else if (!existsSync(vsix)) {
    throw new Error(`demo:vscode: --no-package but ${vsix} does not exist; run npm run package first`);
  }

  const install = await ensureCodeServer((line) => console.log(line));
  const server = await startServer({
    install,
    vsix: [vsix],
    port: await portToUse(),
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
  console.log(`\nLoss Inspector ${pkg.version} in code-server, listening on 127.0.0.1 only:\n\n  ${url}\n`);
  console.log('Open it in a browser on this machine (or through an SSH tunnel: ssh -L PORT:127.0.0.1:PORT host).');
  console.log('Try: F1 → "Loss Inspector: Compare Losses…", open data/outputs.pt, or train.py for the CodeLens.');
  console.log(`Server log: ${server.logFile}\nPress Ctrl-C to stop.`);

  // Keep running; the server module stops the process group and removes its folders on Ctrl-C/SIGTERM.
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
