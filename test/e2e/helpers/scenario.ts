/**
 * Named steps for UI scenarios: a failure says which scenario and step failed, with the screenshot taken at
 * that moment; a success leaves `<scenario>.png`. Artifacts go to `.test-artifacts/e2e/`, timings to
 * `.test-artifacts/e2e/timings.json` (merged across scenarios of a run).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const artifactsDir = join(repoRoot, '.test-artifacts', 'e2e');

export function ensureArtifactsDir(): string {
  mkdirSync(artifactsDir, { recursive: true });
  return artifactsDir;
}

/** Records one named measurement (ms, bytes, …) into timings.json (with when it was taken) and prints it. */
export function recordMetric(name: string, value: number, unit: string): void {
  ensureArtifactsDir();
  const file = join(artifactsDir, 'timings.json');
  let all: Record<string, { value: number; unit: string; at: string }> = {};
  if (existsSync(file)) {
    try {
      all = JSON.parse(readFileSync(file, 'utf8')) as typeof all;
    } catch {
      all = {};
    }
  }
  all[name] = { value, unit, at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
  console.log(`# metric ${name}: ${unit === 'ms' ? value.toFixed(0) : value} ${unit}`);
}

export class Scenario {
  private readonly t0 = Date.now();
  private current = '(setup)';
  readonly steps: { name: string; ms: number }[] = [];

  constructor(
    readonly name: string,
    private readonly page: Page,
  ) {
    ensureArtifactsDir();
    // A failure screenshot left by an earlier run would point at a failure that did not happen in this one.
    rmSync(join(artifactsDir, `${name}-FAILED.png`), { force: true });
  }

  get screenshotPath(): string {
    return join(artifactsDir, `${this.name}.png`);
  }

  /** Runs one step; on failure screenshots the page and rethrows naming the scenario, step and screenshot. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.current = name;
    const t = Date.now();
    try {
      const v = await fn();
      this.steps.push({ name, ms: Date.now() - t });
      return v;
    } catch (e) {
      const shot = join(artifactsDir, `${this.name}-FAILED.png`);
      let saved = true;
      await this.page.screenshot({ path: shot }).catch(() => (saved = false));
      const msg = e instanceof Error ? e.message : String(e);
      const err = new Error(
        `scenario '${this.name}' failed at step '${name}': ${msg}\n  screenshot: ${saved ? shot : '(could not be taken)'}`,
      );
      err.stack = `${err.message}\n${e instanceof Error ? (e.stack ?? '') : ''}`;
      throw err;
    }
  }

  /** An intermediate screenshot, `<scenario>-<label>.png`. */
  async shot(label: string): Promise<string> {
    const path = join(artifactsDir, `${this.name}-${label}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Final screenshot and timing of a passing scenario. */
  async finish(): Promise<number> {
    await this.page.screenshot({ path: this.screenshotPath });
    const ms = Date.now() - this.t0;
    recordMetric(`scenario:${this.name}`, ms, 'ms');
    console.log(`# ${this.name}: ${this.steps.map((s) => `${s.name} ${s.ms} ms`).join(' · ')}`);
    return ms;
  }
}
