/**
 * The correctness check of the benchmark: our report's numbers against torch's on the same files. A
 * benchmark that times a wrong computation is useless, so a mismatch on the headline numbers fails the run.
 *
 * Tolerances: `loss` / `hard` / `smoothed` terms within 1e-5 relative (torch computes in float32 with
 * pairwise sums, we in float64); counts and the confusion total exactly; per-class CE / Dice within 1e-5
 * relative (torch sums each class in float64 from float32 per-element losses, whose own rounding is ~1e-7);
 * ECE within 1e-4 absolute (an element whose float32 confidence sits on a bin edge may change bin).
 */
import type { ReportNumbers } from './child';

export interface TorchNumbers {
  loss: { total: number | null; dice: number | null; ce: number | null };
  hard: { total: number | null; dice: number | null; ce: number | null };
  smoothed: { total: number | null; dice: number | null; ce: number | null } | null;
  counts: number[];
  ceHard: (number | null)[];
  ceSmoothed: (number | null)[];
  diceHard: (number | null)[] | null;
  diceSmoothed: (number | null)[] | null;
  confusionTotal: number;
  confusionDiag: number[];
  ece: number;
  accuracy: number;
}

export interface CheckLine {
  what: string;
  ours: number | string | null;
  torch: number | string | null;
  /** Relative (or absolute, see `tolerance`) difference. */
  diff: number;
  tolerance: string;
  ok: boolean;
  /** Part of the required check (a failure fails the benchmark). */
  required: boolean;
}

export interface CheckResult {
  workload: string;
  ok: boolean;
  lines: CheckLine[];
}

const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300));

function scalar(lines: CheckLine[], what: string, a: number | null | undefined, b: number | null | undefined, tol: number, required: boolean): void {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return;
  if (a === null || a === undefined || b === null || b === undefined) {
    lines.push({ what, ours: a ?? null, torch: b ?? null, diff: Infinity, tolerance: `${tol} rel`, ok: false, required });
    return;
  }
  const d = rel(a, b);
  lines.push({ what, ours: a, torch: b, diff: d, tolerance: `${tol} rel`, ok: d <= tol, required });
}

/** A per-class array whose every entry is null carries no number: the same as null. */
const orNull = (v: (number | null)[] | null): (number | null)[] | null => (v && v.some((x) => x !== null && x !== undefined) ? v : null);

function vector(lines: CheckLine[], what: string, a0: (number | null)[] | null, b0: (number | null)[] | null, tol: number, exact = false): void {
  const a = orNull(a0);
  const b = orNull(b0);
  if (!a && !b) return;
  if (!a || !b || a.length !== b.length) {
    lines.push({ what, ours: a ? `${a.length} values` : null, torch: b ? `${b.length} values` : null, diff: Infinity, tolerance: 'same length', ok: false, required: false });
    return;
  }
  let worst = 0;
  let where = -1;
  let nullMismatch = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || x === undefined || y === null || y === undefined) {
      if ((x ?? null) !== (y ?? null)) nullMismatch = true;
      continue;
    }
    const d = exact ? (x === y ? 0 : Infinity) : rel(x, y);
    if (d > worst) {
      worst = d;
      where = i;
    }
  }
  lines.push({
    what: `${what} (max over ${a.length} classes${where >= 0 ? `, worst class ${where}` : ''})`,
    ours: where >= 0 ? (a[where] ?? null) : 'all equal',
    torch: where >= 0 ? (b[where] ?? null) : 'all equal',
    diff: nullMismatch ? Infinity : worst,
    tolerance: exact ? 'exact' : `${tol} rel`,
    ok: !nullMismatch && worst <= tol,
    required: false,
  });
}

export function checkReport(workload: string, ours: ReportNumbers, torch: TorchNumbers): CheckResult {
  const lines: CheckLine[] = [];
  const T = 1e-5;
  scalar(lines, 'loss.total', ours.loss.total, torch.loss.total, T, true);
  scalar(lines, 'hard.ce', ours.hard.ce, torch.hard.ce, T, true);
  scalar(lines, 'loss.ce', ours.loss.ce, torch.loss.ce, T, true);
  scalar(lines, 'loss.dice', ours.loss.dice, torch.loss.dice, T, true);
  scalar(lines, 'smoothed.dice', ours.smoothed?.dice, torch.smoothed?.dice, T, true);
  vector(lines, 'perClass.count', ours.counts, torch.counts, 0, true);
  vector(lines, 'perClass.ceHard', ours.ceHard, torch.ceHard, 1e-5);
  vector(lines, 'perClass.ceSmoothed', ours.ceSmoothed, torch.ceSmoothed, 1e-5);
  vector(lines, 'perClass.diceHard', ours.diceHard, torch.diceHard, 1e-5);
  vector(lines, 'perClass.diceSmoothed', ours.diceSmoothed, torch.diceSmoothed, 1e-5);
  vector(lines, 'confusion diagonal', ours.confusionDiag, torch.confusionDiag, 0, true);
  lines.push({
    what: 'confusion.total',
    ours: ours.confusionTotal,
    torch: torch.confusionTotal,
    diff: ours.confusionTotal === torch.confusionTotal ? 0 : Infinity,
    tolerance: 'exact',
    ok: ours.confusionTotal === torch.confusionTotal,
    required: false,
  });
  if (ours.ece !== null) {
    const d = Math.abs(ours.ece - torch.ece);
    lines.push({ what: 'calibration.ece', ours: ours.ece, torch: torch.ece, diff: d, tolerance: '1e-4 abs', ok: d <= 1e-4, required: false });
  }
  return { workload, ok: lines.every((l) => l.ok || !l.required), lines };
}
