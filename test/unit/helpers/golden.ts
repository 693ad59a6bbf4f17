// The golden cases and the comparison rule of test/fixtures/golden/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenDir, requireFixture } from './paths';

export interface GoldenCase {
  id: string;
  about: string;
  logits: string;
  target: string;
  options: Record<string, unknown>;
  expected: {
    loss: Triple;
    hard: Triple;
    smoothed: Triple | null;
    perClass: ({ class: number; count: number } & Partial<Record<(typeof PER_CLASS_KEYS)[number], number | null>>)[] | null;
  };
  rtol: number;
  atol: number;
}
/** `{total, dice, ce}`, plus `focal` in the families set. */
type Triple = { total: number | null; dice: number | null; ce: number | null; focal?: number | null };
const TRIPLE_KEYS = ['total', 'dice', 'ce', 'focal'] as const;
/** The per-class numbers a case may give (the families set has no CE columns and adds the focal ones). */
const PER_CLASS_KEYS = ['ceHard', 'ceSmoothed', 'diceHard', 'diceSmoothed', 'focalHard', 'focalSmoothed'] as const;

/** The cases of `golden/cases.json`, or of a subset folder (`families`); their paths are relative to it. */
export function loadGolden(set?: 'families'): GoldenCase[] {
  const dir = set ? join(requireFixture(goldenDir), set) : requireFixture(goldenDir);
  const cases: GoldenCase[] = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases;
  if (!set) return cases;
  return cases.map((c) => ({ ...c, logits: join(set, c.logits), target: join(set, c.target) }));
}

export const goldenPath = (p: string) => join(goldenDir, p);

/** Every mismatch between a report-shaped object and a case's expected numbers (empty when it matches). */
export function compareToGolden(c: GoldenCase, got: any, stats?: { worst: number }): string[] {
  const errs: string[] = [];
  const num = (v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
  const chk = (name: string, g0: unknown, w: number | null) => {
    const g = num(g0);
    if (w === null) {
      if (g !== null) errs.push(`${name}: expected null, got ${String(g)}`);
      return;
    }
    if (typeof g !== 'number' || !(Math.abs(g - w) <= c.atol + c.rtol * Math.abs(w))) {
      errs.push(`${name}: expected ${w}, got ${String(g)}`);
      return;
    }
    if (stats && w !== 0) stats.worst = Math.max(stats.worst, Math.abs(g - w) / Math.abs(w));
  };
  for (const t of ['loss', 'hard', 'smoothed'] as const) {
    const want = c.expected[t];
    if (want === null) {
      if (got[t] !== null) errs.push(`${t}: expected null`);
      continue;
    }
    if (!got[t]) {
      errs.push(`${t}: missing`);
      continue;
    }
    for (const k of TRIPLE_KEYS) if (k in want) chk(`${t}.${k}`, got[t][k], want[k] ?? null);
  }
  const pc = c.expected.perClass;
  if (pc === null) {
    if (got.perClass !== null) errs.push('perClass: expected null');
  } else if (!Array.isArray(got.perClass) || got.perClass.length !== pc.length) {
    errs.push(`perClass: expected ${pc.length} entries`);
  } else {
    pc.forEach((p, i) => {
      const g = got.perClass[i];
      if (g.class !== p.class) errs.push(`perClass[${i}].class: expected ${p.class}, got ${g.class}`);
      chk(`perClass[${i}].count`, g.count, p.count);
      for (const k of PER_CLASS_KEYS) if (k in p) chk(`perClass[${i}].${k}`, g[k], p[k] ?? null);
    });
  }
  return errs;
}
