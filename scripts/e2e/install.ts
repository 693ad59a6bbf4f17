/**
 * `node --import tsx scripts/e2e/install.ts`: installs (or finds in the cache) code-server and its Node 24,
 * printing where and how long it took. The e2e suite and `npm run demo:vscode` call the same function.
 */
import { ensureCodeServer } from './codeServer';

async function main(): Promise<void> {
  const t0 = Date.now();
  const inst = await ensureCodeServer((line) => console.log(line));
  console.log(
    inst.installSeconds > 0
      ? `code-server installed in ${inst.installSeconds.toFixed(1)} s: ${inst.dir}`
      : `code-server found in the cache (${((Date.now() - t0) / 1000).toFixed(2)} s): ${inst.dir}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
