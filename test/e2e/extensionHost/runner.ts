/**
 * A tiny test runner for code that runs INSIDE the real extension host (bundled by esbuild into one CommonJS
 * file, loaded by VS Code through `extensionTestsPath`). No mocha: tests are async functions checked with
 * node:assert. Each result is one console line that the workbench forwards to the page, where the Playwright
 * side collects it:
 *   [ehost] ok <name> (<ms> ms)
 *   [ehost] FAIL <name>: <one-line message>
 *   [ehost] metric <name> <value> <unit>
 *   [ehost] done <passed> passed <failed> failed
 * `run()` rejects when a test failed, so the workbench exits with code 1 through `codeAutomationExit`.
 */

export interface HostTest {
  name: string;
  fn: () => unknown;
  timeoutMs?: number;
}

export const PREFIX = '[ehost]';

export function metric(name: string, value: number, unit: string): void {
  console.log(`${PREFIX} metric ${name} ${value} ${unit}`);
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ⏎ ');
}

async function withTimeout(p: unknown, ms: number, name: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve(p),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`'${name}' timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Runs the tests in order (they may depend on earlier ones' effects, e.g. activation first). */
export async function runHostTests(tests: HostTest[]): Promise<void> {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await withTimeout(t.fn(), t.timeoutMs ?? 30_000, t.name);
      passed++;
      console.log(`${PREFIX} ok ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.log(`${PREFIX} FAIL ${t.name}: ${oneLine(e)}`);
    }
  }
  console.log(`${PREFIX} done ${passed} passed ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} of ${tests.length} extension-host tests failed`);
}
