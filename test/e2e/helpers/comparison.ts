/**
 * The comparison webview's numbers against `loss-inspect report --json` on the same files: every number the
 * webview shows carries its full-precision value in `data-value` (webview/README.md), keyed by data-testid.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { repoRoot } from './scenario';

/** The subset of the CLI's JSON report the scenarios compare. */
type Terms = { total: number; dice: number | null; ce: number | null; focal?: number | null };
export interface CliReport {
  loss: Terms;
  hard: Terms;
  smoothed: Terms;
  perClass: {
    class: number;
    count: number;
    ceHard: number | null;
    ceSmoothed: number | null;
    diceHard: number | null;
    diceSmoothed: number | null;
    focalHard?: number | null;
    focalSmoothed?: number | null;
    contribution: { total: number };
  }[];
  floor: number | null;
  calibration?: { ece: number };
  config: Record<string, unknown>;
}

/** Runs the built CLI (`node dist/cli.js report … --json`) and parses its report. */
export function cliReport(args: string[]): CliReport {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'report', ...args, '--json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    // a vocabulary's report lists every class: tens of MB of JSON
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`loss-inspect report ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as CliReport;
}

/** data-testid → the number the webview states for it, as the webview helper defines them. */
export function expectedValues(r: CliReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  const d = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  for (const k of ['total', 'dice', 'ce'] as const) {
    m.set(`summary-${k}`, r.loss[k]);
    m.set(`hard-${k}`, r.hard[k]);
    m.set(`smoothed-${k}`, r.smoothed[k]);
    m.set(`delta-${k}`, d(r.smoothed[k], r.hard[k]));
  }
  if (r.floor !== null) m.set('summary-floor', r.floor);
  if (r.calibration) m.set('ece', r.calibration.ece);
  for (const c of r.perClass) {
    m.set(`cell-count-${c.class}`, c.count);
    m.set(`cell-ceHard-${c.class}`, c.ceHard);
    m.set(`cell-ceSmoothed-${c.class}`, c.ceSmoothed);
    m.set(`cell-ceDelta-${c.class}`, d(c.ceSmoothed, c.ceHard));
    m.set(`cell-diceHard-${c.class}`, c.diceHard);
    m.set(`cell-diceSmoothed-${c.class}`, c.diceSmoothed);
    m.set(`cell-diceDelta-${c.class}`, d(c.diceSmoothed, c.diceHard));
    m.set(`cell-contribution-${c.class}`, c.contribution.total);
  }
  return m;
}

/**
 * The same for a DiceFocalLoss comparison: the view shows the family's own terms (Dice and focal, no CE) in the
 * summary and per class (webview/README.md), and no CE floor.
 */
export function expectedDiceFocalValues(r: CliReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  const d = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a - b);
  for (const k of ['total', 'dice', 'focal'] as const) {
    m.set(`summary-${k}`, r.loss[k] ?? null);
    m.set(`hard-${k}`, r.hard[k] ?? null);
    m.set(`smoothed-${k}`, r.smoothed[k] ?? null);
    m.set(`delta-${k}`, d(r.smoothed[k], r.hard[k]));
  }
  if (r.calibration) m.set('ece', r.calibration.ece);
  for (const c of r.perClass) {
    m.set(`cell-count-${c.class}`, c.count);
    m.set(`cell-diceHard-${c.class}`, c.diceHard);
    m.set(`cell-diceSmoothed-${c.class}`, c.diceSmoothed);
    m.set(`cell-diceDelta-${c.class}`, d(c.diceSmoothed, c.diceHard));
    m.set(`cell-focalHard-${c.class}`, c.focalHard ?? null);
    m.set(`cell-focalSmoothed-${c.class}`, c.focalSmoothed ?? null);
    m.set(`cell-focalDelta-${c.class}`, d(c.focalSmoothed, c.focalHard));
    m.set(`cell-contribution-${c.class}`, c.contribution.total);
  }
  return m;
}

/** Every `[data-value]` in the frame, by data-testid (an empty data-value reads as null). */
export async function shownValues(frame: Frame): Promise<Map<string, number | null>> {
  const pairs = await frame.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid][data-value]')].map((e) => [e.dataset.testid!, e.dataset.value!] as const),
  );
  return new Map(pairs.map(([k, v]) => [k, v === '' || v === 'null' ? null : Number(v)]));
}

/**
 * Differences between what the webview shows and the CLI's report. Numbers are equal when they agree to
 * 1e-12 relative (the webview's worker and the CLI may split the fused pass over different thread counts,
 * which can change the last bits of a float64 sum); nulls must match exactly.
 */
export function compareValues(
  shown: Map<string, number | null>,
  expected: Map<string, number | null>,
): { problems: string[]; maxRelErr: number; compared: number } {
  const problems: string[] = [];
  let maxRelErr = 0;
  let compared = 0;
  for (const [id, want] of expected) {
    if (!shown.has(id)) {
      problems.push(`${id}: not shown (no [data-testid="${id}"][data-value])`);
      continue;
    }
    const got = shown.get(id)!;
    compared++;
    if (want === null || got === null || Number.isNaN(got)) {
      if (want !== got) problems.push(`${id}: shows ${got}, CLI says ${want}`);
      continue;
    }
    const rel = Math.abs(got - want) / Math.max(1e-300, Math.abs(want));
    if (Math.abs(got - want) > 1e-12 * Math.max(1, Math.abs(want))) problems.push(`${id}: shows ${got}, CLI says ${want}`);
    else if (Number.isFinite(rel)) maxRelErr = Math.max(maxRelErr, want === 0 ? Math.abs(got) : rel);
  }
  return { problems, maxRelErr, compared };
}

/** Polls the frame until its numbers equal the CLI's (or `timeoutMs` passes), returning the last comparison. */
export async function waitForValues(
  frame: Frame,
  expected: Map<string, number | null>,
  timeoutMs = 20_000,
): Promise<{ problems: string[]; maxRelErr: number; compared: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = compareValues(await shownValues(frame), expected);
    if (res.problems.length === 0 || Date.now() > deadline) return res;
    await frame.waitForTimeout(250);
  }
}
