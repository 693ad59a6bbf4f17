/**
 * One workload of our side, run by bench/run.ts in a FRESH Node process so that its peak RSS is the cost
 * of reading these files and computing this report, nothing else. Reads the files with the CLI's loader
 * (`loadTensor`: one buffer per file, readers hand out views), computes with the engine, and prints one
 * line `BENCH_RESULT {json}` on stdout. Run with `--expose-gc` so that each series of repetitions starts
 * from a collected heap. The headline runner (parallel when there is one) runs first, and the peak RSS
 * right after its first report is the "read + one report" figure; the whole process's peak is kept too.
 *
 * argv[2]: JSON {@link ChildRequest}.
 */
import { loadTensor } from '../src/cli/loadTensor';
import { computeReport, computeReportAndSweep, resolveOptions, type EpsSweep, type LossOptions, type Report, type Tensor } from '../src/engine/index';
import { findParallelRunner, type ParallelRunner } from './parallel';

export interface ChildRequest {
  workload: string;
  mode: 'report' | 'sweep';
  logits: string;
  target: string;
  /** Another encoding of the same target (the raw `.nii` beside a `.nii.gz`): read only, timed. */
  targetAlt?: string;
  options: Partial<LossOptions>;
  /** Mode `sweep`: the ε grid the comparison view sends for this ε. */
  sweepEps?: number[];
  reps: number;
  /** Untimed runs before each series: until they have taken this long in all, at most WARMUP_MAX_RUNS. */
  warmupMs: number;
  /** Bundled src/parallel/accumulateWorker.ts: when given (and there are ≥ 2 cores), the parallel runner is timed too. */
  workerScript?: string;
  /** Threads of the parallel runner (default: the engine's default, all cores up to 8). */
  threads?: number;
}

export interface Timing {
  runs: number[];
  best: number;
  median: number;
}

export interface ChildResult {
  workload: string;
  /** RSS right after the modules loaded (the process's own baseline), MB. */
  baselineRssMB: number;
  /** Peak RSS right after reading both files, before any report, MB. */
  peakAfterReadMB: number;
  /** Peak RSS after the read and the headline runner's first report (or sweep): read + one report, MB. */
  peakFirstMB: number;
  /** Peak RSS of the whole process after every repetition of every runner, MB. */
  peakRssMB: number;
  readMs: { logits: number; target: number; total: number; targetAlt?: number };
  /** Single-thread `computeReport` (mode report) or `computeReportAndSweep` (mode sweep). */
  single: Timing;
  /** In sweep mode: one `computeReport` on the same data, same process. */
  reportForSweep?: Timing;
  /** The parallel runner: `computeReportParallel` (mode report) or `computeReportAndSweepParallel` (mode sweep). */
  parallel?: Timing & { name: string; threads: number };
  /** In sweep mode: one `computeReportParallel` on the same data, same process. */
  reportForSweepParallel?: Timing;
  numbers: ReportNumbers | SweepNumbers;
  node: string;
}

export interface ReportNumbers {
  kind: 'report';
  loss: Report['loss'];
  hard: Report['hard'];
  smoothed: Report['smoothed'];
  counts: number[] | null;
  ceHard: (number | null)[] | null;
  ceSmoothed: (number | null)[] | null;
  diceHard: (number | null)[] | null;
  diceSmoothed: (number | null)[] | null;
  confusionTotal: number | null;
  confusionDiag: number[] | null;
  ece: number | null;
  accuracy: number | null;
  /** Max |single − parallel| relative difference over loss/hard/smoothed, when a parallel runner ran. */
  parallelMaxRelDiff?: number;
}

export interface SweepNumbers {
  kind: 'sweep';
  sweep: EpsSweep;
}

const mb = (bytes: number) => bytes / 1024 ** 2;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

export function timing(runs: number[]): Timing {
  const s = [...runs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { runs, best: s[0]!, median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2 };
}

function reportNumbers(r: Report): ReportNumbers {
  const pc = r.perClass;
  return {
    kind: 'report',
    loss: r.loss,
    hard: r.hard,
    smoothed: r.smoothed,
    counts: pc ? pc.map((p) => p.count) : null,
    ceHard: pc ? pc.map((p) => p.ceHard) : null,
    ceSmoothed: pc ? pc.map((p) => p.ceSmoothed) : null,
    diceHard: pc ? pc.map((p) => p.diceHard) : null,
    diceSmoothed: pc ? pc.map((p) => p.diceSmoothed) : null,
    confusionTotal: r.confusion ? r.confusion.total : null,
    confusionDiag: r.confusion ? r.confusion.matrix.map((row, i) => row[i]!) : null,
    ece: r.calibration ? r.calibration.ece : null,
    accuracy: r.calibration ? r.calibration.accuracy : null,
  };
}

function maxRelDiff(a: Report, b: Report): number {
  let worst = 0;
  for (const key of ['loss', 'hard', 'smoothed'] as const) {
    const x = a[key];
    const y = b[key];
    if (!x || !y) continue;
    for (const k of ['total', 'dice', 'ce'] as const) {
      const u = x[k];
      const v = y[k];
      if (u === null || v === null) continue;
      worst = Math.max(worst, Math.abs(u - v) / Math.max(Math.abs(u), 1e-300));
    }
  }
  return worst;
}

/** At most this many untimed runs (the torch side has the same rule: torch_report.py). */
const WARMUP_MAX_RUNS = 20;

/**
 * `reps` timed runs of `fn`, back to back as the torch side runs its own, after one GC and untimed runs until
 * they have taken `warmupMs` in all (at most WARMUP_MAX_RUNS): the JIT's tiers and the kernel's compilation
 * otherwise land in the first runs, which for a 10 ms workload are most of a best of 5. `afterFirst` runs once,
 * right after the very first run (the peak after one report stays that). Not a forced GC before every run: it
 * leaves the collector's aftermath beside the timed run and wakes the parallel runner's worker late, which
 * neither the torch side nor a user's report sees (PERF-LOG.md has the figures).
 */
async function series<T>(reps: number, warmupMs: number, fn: () => T | Promise<T>, afterFirst?: (value: T) => void): Promise<{ timing: Timing; first: T }> {
  const runs: number[] = [];
  let first: { value: T } | undefined;
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    const v = await fn();
    const ms = performance.now() - t0;
    if (!first) {
      first = { value: v };
      afterFirst?.(v);
    }
    return ms;
  };
  gc();
  for (let spent = 0, n = 0; spent < warmupMs && n < WARMUP_MAX_RUNS; n++) spent += await run();
  for (let i = 0; i < reps; i++) runs.push(await run());
  return { timing: timing(runs), first: first!.value };
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  const runner: ParallelRunner | null = findParallelRunner(req.workerScript, req.threads);
  gc();
  const baselineRssMB = mb(process.memoryUsage().rss);

  const l = loadTensor(req.logits);
  const t = loadTensor(req.target);
  const readMs = { logits: l.readMs, target: t.readMs, total: l.readMs + t.readMs } as ChildResult['readMs'];
  const peakAfterReadMB = process.resourceUsage().maxRSS / 1024;
  const logits: Tensor = l.tensor;
  const target: Tensor = t.tensor;
  const opts = resolveOptions(req.options);
  const sweep = req.mode === 'sweep';
  const grid = req.sweepEps ?? [];
  if (sweep && grid.length === 0) throw new Error('mode sweep needs the ε grid (sweepEps)');

  // The headline runner goes first, so the peak after its first run is that of one read + one report.
  let peakFirstMB = 0;
  const notePeak = () => {
    peakFirstMB = process.resourceUsage().maxRSS / 1024;
  };
  let parallel: ChildResult['parallel'];
  let reportForSweepParallel: Timing | undefined;
  let parallelReport: Report | null = null;
  if (runner) {
    if (sweep) {
      parallel = { ...(await series(req.reps, req.warmupMs, () => runner.reportAndSweep(logits, target, opts, grid), notePeak)).timing, name: runner.name, threads: runner.threads };
      reportForSweepParallel = (await series(req.reps, req.warmupMs, () => runner.report(logits, target, opts))).timing;
    } else {
      const r = await series(req.reps, req.warmupMs, () => runner.report(logits, target, opts), notePeak);
      parallel = { ...r.timing, name: runner.name, threads: runner.threads };
      parallelReport = r.first;
    }
    await runner.close();
  }

  let numbers: ReportNumbers | SweepNumbers;
  let single: Timing;
  let reportForSweep: Timing | undefined;
  const afterFirst = runner ? undefined : notePeak;
  if (sweep) {
    const s = await series(req.reps, req.warmupMs, () => computeReportAndSweep(logits, target, opts, grid), afterFirst);
    single = s.timing;
    numbers = { kind: 'sweep', sweep: s.first.sweep };
    reportForSweep = (await series(req.reps, req.warmupMs, () => computeReport(logits, target, opts))).timing;
  } else {
    const r = await series(req.reps, req.warmupMs, () => computeReport(logits, target, opts), afterFirst);
    single = r.timing;
    const n = reportNumbers(r.first);
    if (parallelReport) n.parallelMaxRelDiff = maxRelDiff(r.first, parallelReport);
    numbers = n;
  }

  if (req.targetAlt) {
    gc();
    readMs.targetAlt = loadTensor(req.targetAlt).readMs;
  }

  const result: ChildResult = {
    workload: req.workload,
    baselineRssMB,
    peakAfterReadMB,
    peakFirstMB,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    readMs,
    single,
    ...(reportForSweep ? { reportForSweep } : {}),
    ...(parallel ? { parallel } : {}),
    ...(reportForSweepParallel ? { reportForSweepParallel } : {}),
    numbers,
    node: process.version,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
