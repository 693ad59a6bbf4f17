/**
 * `npm run bench`: the reference workloads W1–W6, our engine against PyTorch on the same files, in one run.
 *
 *   node --import tsx bench/run.ts [--reps N (default 5)] [--only W1,W3] [--no-torch] [--threads N (ours)]
 *                                  [--torch-threads N] [--runtime bundle|tsx] [--python PATH] [--eps E]
 *
 * 1. Generates the data sets deterministically into bench/data/ (reused while their spec matches).
 * 2. Bundles bench/child.ts with esbuild (as the product's dist/ is built) and runs every workload in a
 *    fresh Node process: read time (the CLI's `loadTensor`), compute time (`computeReport` / `computeSweep`,
 *    best and median of N), peak RSS.
 * 3. Where `/usr/bin/python3 -c "import torch"` works, runs bench/torch_report.py on the same files in a
 *    fresh Python process per workload (numpy.load + the idiomatic torch report + one F.cross_entropy call),
 *    with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from that process's environment only.
 * 4. Checks that both sides computed the same numbers, prints the tables and the goals, writes
 *    bench/results/<timestamp>.json. Exits 1 when a required correctness check fails or a step crashes.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildRequest, ChildResult, ReportNumbers, SweepNumbers, Timing } from './child';
import { checkReport, type CheckResult, type TorchNumbers } from './compare';
import { ensureDataset, type EnsureResult } from './generate';
import { fmtMB, fmtMs, fmtRatio, renderTable, type Cell } from './table';
import { viewSweepGrid } from '../src/engine/sweepGrid';
import { DATASETS, WORKLOADS, type DatasetName, type Workload, type WorkloadId } from './workloads';
import { ensureFolder, runFolderBench, type FolderOutcome } from './folder';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

interface Args {
  reps: number;
  /** Untimed runs before the timed ones, on both sides: until they have taken this long in all (at most 20). */
  warmupMs: number;
  /** Workload ids to run (W1–W4, W6, and W5: the validation-set folder). */
  only: Set<string> | null;
  torch: boolean;
  torchThreads: number;
  /** Threads of our parallel runner (1: single thread only). */
  threads: number;
  runtime: 'bundle' | 'tsx';
  python: string;
  /** Overrides every workload's label smoothing ε (e.g. to time the view at an ε off the old grid). */
  eps: number | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { reps: 5, warmupMs: 300, only: null, torch: true, torchThreads: cpus().length, threads: Math.min(cpus().length, 8), runtime: 'bundle', python: process.env['BENCH_PYTHON'] ?? '/usr/bin/python3', eps: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--reps') a.reps = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (flag === '--warmup-ms') a.warmupMs = Math.max(0, Number(value()) || 0);
    else if (flag === '--only') a.only = new Set(value().split(',').map((s) => s.trim().toUpperCase()));
    else if (flag === '--no-torch') a.torch = false;
    else if (flag === '--torch-threads') a.torchThreads = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (flag === '--threads') a.threads = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (flag === '--runtime') a.runtime = value() === 'tsx' ? 'tsx' : 'bundle';
    else if (flag === '--python') a.python = value();
    else if (flag === '--eps') {
      const e = Number(value());
      if (!(e >= 0 && e <= 1)) throw new Error('bench: --eps needs a number in [0, 1]');
      a.eps = e;
    }
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run bench -- [--reps N] [--warmup-ms MS] [--only W1,W2,W3,W4,W5,W6] [--no-torch] [--threads N] [--torch-threads N] [--runtime bundle|tsx] [--python PATH] [--eps E]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${argv[i]}`);
  }
  return a;
}

/** The environment of the torch process: this one without the OpenBLAS overrides (see .library/env). */
function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

interface TorchProbe {
  available: boolean;
  version?: string;
  reason?: string;
}

function probeTorch(python: string): TorchProbe {
  const r = spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], { env: torchEnv(), encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { available: false, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { available: false, reason: `${python} -c "import torch" failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { available: true, version: r.stdout.trim() };
}

/** Reads a file once so both sides read it from the page cache (the benchmark times parsing, not the disk). */
function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(64 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** The child's command line and the bundled worker script of the engine's parallel pool. */
async function buildChild(runtime: Args['runtime'], dataDir: string): Promise<{ argv: string[]; workerScript: string }> {
  const esbuild = await import('esbuild');
  const outDir = join(dataDir, '.build');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', absWorkingDir: repoRoot } as const;
  const workerScript = join(outDir, 'accumulate-worker.js');
  await esbuild.build({ ...common, entryPoints: [join(repoRoot, 'src', 'parallel', 'accumulateWorker.ts')], outfile: workerScript });
  // W5 runs the whole CLI: bundled here with its case worker beside it (never a stale dist/).
  await esbuild.build({ ...common, entryPoints: [join(repoRoot, 'src', 'cli', 'main.ts')], outfile: join(outDir, 'cli.js') });
  await esbuild.build({ ...common, entryPoints: [join(repoRoot, 'src', 'parallel', 'caseWorker.ts')], outfile: join(outDir, 'case-worker.js') });
  if (runtime === 'tsx') return { argv: ['--expose-gc', '--import', 'tsx', join(benchDir, 'child.ts')], workerScript };
  const outfile = join(outDir, 'child.cjs');
  await esbuild.build({ ...common, entryPoints: [join(benchDir, 'child.ts')], outfile });
  return { argv: ['--expose-gc', outfile], workerScript };
}

function parseResult<T>(what: string, stdout: string, stderr: string, status: number | null, error?: Error): T {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) {
    const why = error ? error.message : `exit ${status}`;
    throw new Error(`${what} produced no result (${why}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as T;
}

function runOurs(childArgv: string[], req: ChildRequest): ChildResult {
  const r = spawnSync(process.execPath, [...childArgv, JSON.stringify(req)], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  return parseResult<ChildResult>(`our ${req.workload} child`, r.stdout ?? '', r.stderr ?? '', r.status, r.error);
}

interface TorchResult {
  workload: string;
  baselineRssMB: number;
  peakAfterReadMB: number;
  peakRssMB: number;
  readMs: { logits: number; target: number; total: number; targetAlt?: number };
  targetReader: string;
  idiomatic: Timing;
  singleCall: Timing;
  singleCallValue: number;
  numbers: TorchNumbers;
  torch: string;
  numpy: string;
  python: string;
  threads: number;
  blas: unknown;
}

function runTorch(args: Args, w: Workload, files: EnsureResult['files']): TorchResult {
  const spec = DATASETS[w.dataset].spec;
  const argv = [
    join(benchDir, 'torch_report.py'),
    '--workload', w.id,
    '--kind', spec.kind,
    '--logits', files.logits,
    '--target', files.target,
    '--eps', String(w.options.labelSmoothing ?? 0),
    '--reps', String(args.reps),
    '--warmup-ms', String(args.warmupMs),
    '--threads', String(args.torchThreads),
    ...(files.targetRaw ? ['--target-alt', files.targetRaw] : []),
  ];
  const r = spawnSync(args.python, argv, { cwd: repoRoot, env: torchEnv(), encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  return parseResult<TorchResult>(`torch ${w.id}`, r.stdout ?? '', r.stderr ?? '', r.status, r.error);
}

interface WorkloadOutcome {
  workload: Workload;
  dataset: DatasetName;
  fileBytes: number;
  ours?: ChildResult;
  torch?: TorchResult;
  check?: CheckResult;
  error?: string;
}

const headline = (o: ChildResult): Timing => o.parallel ?? o.single;

function gitInfo(): { commit: string | null; engineDirty: string[] } {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  const st = spawnSync('git', ['status', '--porcelain', '--', 'src/engine', 'src/worker', 'src/readers'], { cwd: repoRoot, encoding: 'utf8' });
  return {
    commit: rev.status === 0 ? rev.stdout.trim() : null,
    engineDirty: st.status === 0 ? st.stdout.split('\n').filter(Boolean) : [],
  };
}

interface Goal {
  goal: string;
  target: number;
  best: number | null;
  median: number | null;
}

function goalsOf(out: Map<WorkloadId, WorkloadOutcome>): Goal[] {
  const goals: Goal[] = [];
  const w1 = out.get('W1');
  if (w1?.ours && w1.torch) {
    const o = headline(w1.ours);
    goals.push({ goal: 'W1 report / torch idiomatic', target: 0.5, best: o.best / w1.torch.idiomatic.best, median: o.median / w1.torch.idiomatic.median });
    goals.push({ goal: 'W1 report / torch single F.cross_entropy', target: 2, best: o.best / w1.torch.singleCall.best, median: o.median / w1.torch.singleCall.median });
    if (w1.ours.parallel) {
      // On a machine shared with other work the second thread may not get a core: show one thread too.
      const s = w1.ours.single;
      goals.push({ goal: '  (one thread) W1 report / torch idiomatic', target: 0.5, best: s.best / w1.torch.idiomatic.best, median: s.median / w1.torch.idiomatic.median });
      goals.push({ goal: '  (one thread) W1 report / torch single call', target: 2, best: s.best / w1.torch.singleCall.best, median: s.median / w1.torch.singleCall.median });
    }
  }
  const w3 = out.get('W3');
  if (w3?.ours && w3.torch) {
    const o = headline(w3.ours);
    goals.push({ goal: 'W3 report / torch idiomatic per-class report', target: 1, best: o.best / w3.torch.idiomatic.best, median: o.median / w3.torch.idiomatic.median });
  }
  const w2 = out.get('W2');
  if (w2?.ours) {
    const o = headline(w2.ours);
    if (w2.torch) {
      const tr = w2.torch.readMs.total;
      goals.push({
        goal: 'W2 read + report / numpy.load + torch idiomatic',
        target: 1.5,
        best: (w2.ours.readMs.total + o.best) / (tr + w2.torch.idiomatic.best),
        median: (w2.ours.readMs.total + o.median) / (tr + w2.torch.idiomatic.median),
      });
    }
    const fileMB = w2.fileBytes / 1024 ** 2;
    goals.push({ goal: 'W2 peak RSS (read + report) / files size', target: 1.3, best: w2.ours.peakFirstMB / fileMB, median: null });
  }
  const w6 = out.get('W6');
  if (w6?.ours && w1?.ours) {
    const a = headline(w6.ours);
    const b = headline(w1.ours);
    goals.push({ goal: 'W6 DiceFocal report / W1 DiceCE report (same run)', target: 1.5, best: a.best / b.best, median: a.median / b.median });
    goals.push({ goal: '  (one thread) W6 / W1', target: 1.5, best: w6.ours.single.best / w1.ours.single.best, median: w6.ours.single.median / w1.ours.single.median });
  }
  const w4 = out.get('W4');
  if (w4?.ours?.reportForSweep) {
    goals.push({
      goal: 'W4 the view\'s report + sweep / one W1 report',
      target: 1.2,
      best: w4.ours.single.best / w4.ours.reportForSweep.best,
      median: w4.ours.single.median / w4.ours.reportForSweep.median,
    });
    if (w4.ours.parallel && w4.ours.reportForSweepParallel) {
      goals.push({
        goal: 'W4 the view\'s report + sweep / one W1 report (parallel runner)',
        target: 1.2,
        best: w4.ours.parallel.best / w4.ours.reportForSweepParallel.best,
        median: w4.ours.parallel.median / w4.ours.reportForSweepParallel.median,
      });
    }
  }
  return goals;
}

function sweepCheck(out: Map<WorkloadId, WorkloadOutcome>): string | null {
  const w4 = out.get('W4')?.ours?.numbers as SweepNumbers | undefined;
  const w1 = out.get('W1')?.ours?.numbers as ReportNumbers | undefined;
  if (!w4 || !w1 || w4.kind !== 'sweep' || w1.kind !== 'report') return null;
  const eps = out.get('W1')!.workload.options.labelSmoothing ?? 0;
  const i = w4.sweep.eps.findIndex((e) => Math.abs(e - eps) < 1e-12);
  const s = i >= 0 ? w4.sweep.total[i] : null;
  const r = w1.smoothed?.total ?? null;
  if (s === null || s === undefined || r === null) return null;
  const d = Math.abs(s - r) / Math.abs(r);
  return `W4 sweep at ε = ${eps}: smoothed total ${s.toPrecision(10)} vs W1 report's smoothed.total ${r.toPrecision(10)} (rel diff ${d.toExponential(1)}) ${d <= 1e-9 ? 'OK' : 'MISMATCH'}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const dataDir = join(benchDir, 'data');
  const resultsDir = join(benchDir, 'results');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const cpuList = cpus();
  const machine = { cores: cpuList.length, cpuModel: cpuList[0]?.model ?? 'unknown', memoryGB: totalmem() / 1024 ** 3, loadavgStart: loadavg() };
  log(`bench: ${machine.cores} cores (${machine.cpuModel}), node ${process.version}, load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`);

  const workloads = WORKLOADS.filter((w) => !args.only || args.only.has(w.id)).map((w) =>
    args.eps === null ? w : { ...w, options: { ...w.options, labelSmoothing: args.eps } },
  );
  const datasets = new Map<DatasetName, EnsureResult>();
  for (const w of workloads) if (!datasets.has(w.dataset)) datasets.set(w.dataset, ensureDataset(dataDir, w.dataset, log));

  const wantFolder = !args.only || args.only.has('W5');
  const folderData = wantFolder ? ensureFolder(dataDir, log) : null;
  const torch: TorchProbe = args.torch ? probeTorch(args.python) : { available: false, reason: 'skipped (--no-torch)' };
  log(torch.available ? `bench: torch ${torch.version} via ${args.python}, ${args.torchThreads} thread(s)` : `bench: no torch comparison: ${torch.reason}`);

  const child = await buildChild(args.runtime, dataDir);
  for (const d of datasets.values()) for (const f of Object.values(d.files)) warmPageCache(f);

  const outcomes = new Map<WorkloadId, WorkloadOutcome>();
  let failed = false;
  for (const w of workloads) {
    const d = datasets.get(w.dataset)!;
    const fileBytes = (d.sizes[relative(dataDir, d.files.logits)] ?? 0) + (d.sizes[relative(dataDir, d.files.target)] ?? 0);
    const o: WorkloadOutcome = { workload: w, dataset: w.dataset, fileBytes };
    outcomes.set(w.id, o);
    try {
      log(`bench: ${w.id} ours …`);
      o.ours = runOurs(child.argv, {
        workload: w.id,
        mode: w.mode,
        logits: d.files.logits,
        target: d.files.target,
        ...(d.files.targetRaw ? { targetAlt: d.files.targetRaw } : {}),
        options: w.options,
        ...(w.mode === 'sweep' ? { sweepEps: viewSweepGrid(w.options.labelSmoothing ?? 0) } : {}),
        reps: args.reps,
        warmupMs: args.warmupMs,
        ...(args.threads > 1 ? { workerScript: child.workerScript, threads: args.threads } : {}),
      });
      if (torch.available && w.mode === 'report' && w.torch !== false) {
        log(`bench: ${w.id} torch …`);
        o.torch = runTorch(args, w, d.files);
        if (o.ours.numbers.kind === 'report') {
          o.check = checkReport(w.id, o.ours.numbers, o.torch.numbers);
          if (!o.check.ok) failed = true;
        }
      }
    } catch (e) {
      o.error = e instanceof Error ? e.message : String(e);
      log(`bench: ${w.id} failed: ${o.error}`);
      failed = true;
    }
  }

  let folder: FolderOutcome | null = null;
  let folderError: string | undefined;
  if (folderData) {
    try {
      folder = runFolderBench({
        cli: join(dataDir, '.build', 'cli.js'),
        data: folderData,
        reps: Math.min(args.reps, 3),
        threads: args.threads,
        python: torch.available ? args.python : null,
        torchEnv: torchEnv(),
        benchDir,
        log,
      });
      if ((folder.maxLossRelDiff ?? 0) > 1e-4 || (folder.maxDiceDiff ?? 0) > 1e-12) failed = true;
    } catch (e) {
      folderError = e instanceof Error ? e.message : String(e);
      log(`bench: W5 failed: ${folderError}`);
      failed = true;
    }
  }

  // ---- Tables ----
  const rows: Cell[][] = [];
  for (const o of outcomes.values()) {
    const ours = o.ours;
    const t = o.torch;
    const h = ours ? headline(ours) : null;
    const isSweep = o.workload.mode === 'sweep';
    rows.push([
      `${o.workload.id} ${o.workload.title}`,
      fmtMs(ours?.readMs.total),
      fmtMs(h?.best),
      fmtMs(ours?.single.best),
      fmtMB(ours?.peakFirstMB),
      fmtMB(o.fileBytes / 1024 ** 2),
      ours ? fmtRatio(ours.peakFirstMB / (o.fileBytes / 1024 ** 2)) : '—',
      fmtMs(t?.readMs.total),
      fmtMs(t?.idiomatic.best),
      fmtMs(t?.singleCall.best),
      fmtMB(t?.peakRssMB),
      isSweep || !h || !t ? '—' : fmtRatio(h.best / t.idiomatic.best),
      isSweep || !h || !t ? '—' : fmtRatio(h.best / t.singleCall.best),
      isSweep || !h || !t ? '—' : fmtRatio((ours!.readMs.total + h.best) / (t.readMs.total + t.idiomatic.best)),
    ]);
  }
  const parallelName = [...outcomes.values()].find((o) => o.ours?.parallel)?.ours?.parallel;
  console.log('');
  console.log(
    `Loss Inspector benchmark — ${machine.cores} cores (${machine.cpuModel}), node ${process.version}` +
      (torch.available ? `, torch ${torch.version} (${args.torchThreads} threads)` : ', no torch') +
      `; best of ${args.reps}; times in ms; memory in MB: peak RSS of a fresh process after the read and one report`,
  );
  console.log(
    parallelName
      ? `ours = parallel runner ${parallelName.name} (${parallelName.threads} threads); "ours 1-thr" = computeReport on one thread`
      : 'ours = computeReport / computeSweep on one thread (no parallel runner found)',
  );
  console.log('');
  console.log(
    renderTable(
      ['workload', 'ours read', 'ours compute', 'ours 1-thr', 'ours peak', 'files', 'peak/files', 'torch read', 'torch idiom.', 'torch 1-call', 'torch peak', 'ours/idiom.', 'ours/1-call', 'read+rep ratio'],
      rows,
    ),
  );

  const medRows: Cell[][] = [];
  for (const o of outcomes.values()) {
    if (!o.ours) continue;
    const h = headline(o.ours);
    medRows.push([
      o.workload.id,
      fmtMs(h.median),
      fmtMs(o.ours.single.median),
      fmtMs(o.torch?.idiomatic.median),
      fmtMs(o.torch?.singleCall.median),
      fmtMB(o.ours.baselineRssMB),
      fmtMB(o.ours.peakRssMB),
      fmtMB(o.torch?.baselineRssMB),
      o.ours.readMs.targetAlt !== undefined ? `${fmtMs(o.ours.readMs.target)} / ${fmtMs(o.ours.readMs.targetAlt)}` : '—',
      o.torch?.readMs.targetAlt !== undefined ? `${fmtMs(o.torch.readMs.target)} / ${fmtMs(o.torch.readMs.targetAlt)}` : '—',
    ]);
  }
  console.log('');
  console.log(
    renderTable(
      ['median of runs', 'ours compute', 'ours 1-thr', 'torch idiom.', 'torch 1-call', 'ours base RSS', 'ours peak, all reps', 'torch base RSS', 'ours label read .nii.gz / .nii', 'torch label read .nii.gz / .nii'],
      medRows,
    ),
  );

  const goals = goalsOf(outcomes);
  if (folder) {
    const ob = Math.min(...folder.ours.wallMs);
    const om = median(folder.ours.wallMs);
    const py = folder.python;
    console.log('');
    console.log(
      `W5 validation set: ${folderData!.predictions.split('/').slice(-2)[0]} — 16 cases of 1×4×128×128×96 float32 logits (.npz, compressed) + uint8 .nii.gz, ` +
        `${fmtMB(folder.data.totalBytes / 1024 ** 2)} MB of files; DiceCE (softmax, to_onehot_y, ε = 0.1) and nnU-Net metrics per case; best of ${folder.ours.wallMs.length}`,
    );
    console.log(
      renderTable(
        ['W5 whole run', 'best', 'median', 'CPU s (best)', 'peak RSS', 'largest case: files / decoded', 'peak / decoded case'],
        [
          [
            'loss-inspect dataset',
            fmtMs(ob),
            fmtMs(om),
            Math.min(...folder.ours.cpuS).toFixed(2),
            fmtMB(folder.ours.peakRssMB),
            `${fmtMB(folder.data.largestCaseBytes / 1024 ** 2)} / ${fmtMB(folder.data.caseTensorBytes / 1024 ** 2)}`,
            fmtRatio(folder.ours.peakRssMB / (folder.data.caseTensorBytes / 1024 ** 2)),
          ],
          py
            ? [`python loop (${py.reader}, torch ${py.threads} thr.)`, fmtMs(Math.min(...py.wallMs)), fmtMs(median(py.wallMs)), Math.min(...py.cpuS).toFixed(2), fmtMB(py.peakRssMB), '', '']
            : [`python loop: ${folder.pythonSkipped ?? 'skipped'}`, '—', '—', '—', '—', '', ''],
        ],
      ),
    );
    if (py) {
      console.log(`  W5 numbers: per-case DiceCE max rel diff ${folder.maxLossRelDiff!.toExponential(1)} (torch float32), mean/pooled Dice max abs diff ${folder.maxDiceDiff!.toExponential(1)}`);
      goals.push({ goal: 'W5 dataset run / Python loop', target: 0.5, best: ob / Math.min(...py.wallMs), median: om / median(py.wallMs) });
      goals.push({ goal: '  (CPU time) W5 dataset run / Python loop', target: 0.5, best: Math.min(...folder.ours.cpuS) / Math.min(...py.cpuS), median: median(folder.ours.cpuS) / median(py.cpuS) });
    }
  }
  if (folderError) console.log(`  W5: ERROR ${folderError}`);
  console.log('');
  console.log('Goals (ratios; lower is better)');
  console.log(
    renderTable(
      ['goal', 'best', 'median', 'target', 'met'],
      goals.map((g) => [g.goal, fmtRatio(g.best), fmtRatio(g.median), `≤ ${g.target}×`, g.best === null ? '—' : g.best <= g.target ? 'yes' : 'NO']),
    ),
  );
  if (!goals.length) console.log('  (none measured by this run: the goals need W1/W2 with torch, W2, or W4)');

  console.log('');
  console.log('Correctness: our report vs torch on the same files');
  const checks = [...outcomes.values()].filter((o) => o.check).map((o) => o.check!);
  if (!checks.length) console.log(torch.available ? '  (no workload compared)' : `  skipped: ${torch.reason}`);
  for (const c of checks) {
    console.log(`  ${c.workload}: ${c.ok ? 'OK' : 'MISMATCH'}`);
    for (const l of c.lines) {
      const v = (x: number | string | null) => (typeof x === 'number' ? x.toPrecision(10) : String(x));
      console.log(`    ${l.ok ? 'ok ' : l.required ? 'BAD' : 'off'} ${l.what}: ours ${v(l.ours)}, torch ${v(l.torch)}, diff ${Number.isFinite(l.diff) ? l.diff.toExponential(1) : '∞'} (tol ${l.tolerance})`);
    }
  }
  const sc = sweepCheck(outcomes);
  if (sc) console.log(`  ${sc}`);
  for (const o of outcomes.values()) {
    const d = o.ours?.numbers.kind === 'report' ? o.ours.numbers.parallelMaxRelDiff : undefined;
    if (d !== undefined) console.log(`  ${o.workload.id}: parallel vs single-thread report, max rel diff ${d.toExponential(1)}`);
  }
  for (const o of outcomes.values()) if (o.error) console.log(`  ${o.workload.id}: ERROR ${o.error}`);

  const finished = new Date();
  const machineEnd = { ...machine, loadavgEnd: loadavg() };
  console.log('');
  console.log(
    `Load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${machineEnd.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} at the end` +
      ` (other work on this machine skews single runs: compare best-of-${args.reps}); ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s in all.`,
  );

  const firstTorch = [...outcomes.values()].find((o) => o.torch)?.torch;
  const json = {
    date: started.toISOString(),
    durationS: (finished.getTime() - started.getTime()) / 1000,
    machine: machineEnd,
    node: process.version,
    torch: torch.available
      ? { version: torch.version, numpy: firstTorch?.numpy, python: firstTorch?.python, threads: firstTorch?.threads ?? args.torchThreads, blas: firstTorch?.blas }
      : { skipped: torch.reason },
    git: gitInfo(),
    args: { reps: args.reps, runtime: args.runtime, threads: args.threads, torchThreads: args.torchThreads, only: args.only ? [...args.only] : null },
    datasets: [...datasets.values()].map((d) => ({ name: d.name, spec: DATASETS[d.name].spec, sizes: d.sizes, generatedMs: d.generatedMs })),
    workloads: Object.fromEntries([...outcomes.entries()].map(([id, o]) => [id, { title: o.workload.title, options: o.workload.options, fileBytes: o.fileBytes, ours: o.ours, torch: o.torch, check: o.check, error: o.error }])),
    goals,
    folder: folder ?? (folderError ? { error: folderError } : null),
    sweepCheck: sc,
    ok: !failed,
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
  console.log(`Results: ${relative(repoRoot, out)}`);
  if (failed) {
    console.log('bench: FAILED (see above)');
    process.exitCode = 1;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
