/**
 * The validation-set row of `npm run bench` (W5): 16 cases of (1, 4, 128, 128, 96) float32 logits as
 * compressed `.npz` (what nnU-Net's `--save_probabilities` and `np.savez_compressed` write) beside uint8
 * `.nii.gz` label maps, evaluated by the whole `loss-inspect dataset` run (a fresh process: pairing, reading,
 * metrics, DiceCE per case, summary) against a Python loop over the same folder (numpy + torch on 2 threads,
 * bench/dataset_loop.py). Both sides' numbers are compared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { labelVolume } from './generate';
import { Rng } from './rng';
import { gzip, niftiUint8, npyHeader, writeFileAtomic } from './writers';

export const FOLDER_SPEC = { cases: 16, C: 4, dims: [128, 128, 96] as [number, number, number], seed: 13, signal: 5, noise: 1, flip: 0.02, level: 6, version: 1 };
export const FOLDER_OPTIONS = ['--loss', 'dicece', '--softmax', '--to-onehot-y', '--label-smoothing', '0.1'];

/** A one-member zip (`name`, deflated), as numpy.savez_compressed writes it (no zip64 needed below 4 GiB). */
function zipOne(name: string, data: Uint8Array, level: number): Uint8Array {
  const comp = deflateRawSync(data, { level });
  const crc = crc32(data) >>> 0;
  const nameBytes = Buffer.from(name, 'utf8');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0, 10); // time/date
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(comp.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0, 12);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(comp.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42); // local header offset
  const cdOffset = local.length + nameBytes.length + comp.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBytes, comp, central, nameBytes, end]);
}

export interface FolderData {
  predictions: string;
  references: string;
  /** Bytes of all files, and of the largest case's two files. */
  totalBytes: number;
  largestCaseBytes: number;
  generatedMs: number | null;
}

/** Generates the folder once (seeded), reused while the spec in its sidecar matches. */
export function ensureFolder(dataDir: string, log: (s: string) => void): FolderData {
  const root = join(dataDir, 'folder16');
  const predictions = join(root, 'predictions');
  const references = join(root, 'references');
  const sidecar = join(root, 'spec.json');
  const sizesOf = () => {
    let total = 0;
    let largest = 0;
    for (let i = 0; i < FOLDER_SPEC.cases; i++) {
      const id = `case_${String(i).padStart(3, '0')}`;
      const n = statSync(join(predictions, `${id}.npz`)).size + statSync(join(references, `${id}.nii.gz`)).size;
      total += n;
      largest = Math.max(largest, n);
    }
    return { totalBytes: total, largestCaseBytes: largest };
  };
  if (existsSync(sidecar) && readFileSync(sidecar, 'utf8') === JSON.stringify(FOLDER_SPEC)) {
    try {
      return { predictions, references, ...sizesOf(), generatedMs: null };
    } catch {
      /* a file is missing: generate again */
    }
  }
  log(`generating folder16 (${FOLDER_SPEC.cases} cases of 1×${FOLDER_SPEC.C}×${FOLDER_SPEC.dims.join('×')} float32 .npz + .nii.gz) …`);
  const t0 = performance.now();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(predictions, { recursive: true });
  mkdirSync(references, { recursive: true });
  const { C, dims } = FOLDER_SPEC;
  const S = dims[0] * dims[1] * dims[2];
  const rng = new Rng(FOLDER_SPEC.seed);
  const header = npyHeader('<f4', [1, C, ...dims]);
  const npy = new Uint8Array(header.length + 4 * C * S);
  npy.set(header);
  const x = new Float32Array(npy.buffer, header.length, C * S);
  for (let i = 0; i < FOLDER_SPEC.cases; i++) {
    const id = `case_${String(i).padStart(3, '0')}`;
    const lab = labelVolume(rng, C, dims);
    for (let c = 0; c < C; c++) {
      const prior = c === 0 ? 0.5 : 0;
      const base = c * S;
      for (let s = 0; s < S; s++) {
        const win = rng.uniform() < FOLDER_SPEC.flip ? rng.int(C) : lab[s]!;
        x[base + s] = FOLDER_SPEC.noise * rng.normal() + prior + (win === c ? FOLDER_SPEC.signal : 0);
      }
    }
    writeFileAtomic(join(predictions, `${id}.npz`), zipOne('logits.npy', npy, FOLDER_SPEC.level));
    writeFileAtomic(join(references, `${id}.nii.gz`), gzip(niftiUint8(dims, lab)));
  }
  writeFileSync(sidecar, JSON.stringify(FOLDER_SPEC));
  const generatedMs = performance.now() - t0;
  log(`  folder16 generated in ${(generatedMs / 1000).toFixed(1)} s`);
  return { predictions, references, ...sizesOf(), generatedMs };
}

export interface FolderSideResult {
  wallMs: number[];
  peakRssMB: number;
  meanDice: Record<string, number>;
  pooledDice: Record<string, number>;
  caseLoss: number[];
}

export interface FolderOutcome {
  data: FolderData;
  ours: FolderSideResult;
  python: (FolderSideResult & { reader: string; threads: number }) | null;
  pythonSkipped?: string;
  maxLossRelDiff: number | null;
  maxDiceDiff: number | null;
}

/** Peak RSS in MB of a child via /usr/bin/time -f %M (kB), or NaN when GNU time is missing. */
function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { wallMs: number; rssMB: number; stdout: string; stderr: string; status: number | null } {
  const useTime = existsSync('/usr/bin/time');
  const marker = 'FOLDER_MAXRSS_KB=';
  const argv = useTime ? ['-f', `${marker}%M`, cmd, ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(useTime ? '/usr/bin/time' : cmd, argv, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 1_200_000, ...(env ? { env } : {}) });
  const wallMs = performance.now() - t0;
  const m = (r.stderr ?? '').match(new RegExp(`${marker}(\\d+)`));
  return { wallMs, rssMB: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(new RegExp(`${marker}\\d+\\n?`), ''), status: r.status };
}

/** Runs both sides `reps` times (best of); `cli` is the bundled CLI with dist-like worker scripts beside it. */
export function runFolderBench(o: { cli: string; data: FolderData; reps: number; threads: number; python: string | null; torchEnv: NodeJS.ProcessEnv; benchDir: string; log: (s: string) => void }): FolderOutcome {
  const ours: FolderSideResult = { wallMs: [], peakRssMB: 0, meanDice: {}, pooledDice: {}, caseLoss: [] };
  for (let r = 0; r < o.reps; r++) {
    o.log(`bench: W5 ours (${r + 1}/${o.reps}) …`);
    const run = timed(process.execPath, [o.cli, 'dataset', o.data.predictions, o.data.references, ...FOLDER_OPTIONS, '--json', '--threads', String(o.threads)]);
    if (run.status !== 0) throw new Error(`loss-inspect dataset exited ${run.status}: ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    ours.wallMs.push(run.wallMs);
    ours.peakRssMB = Math.max(ours.peakRssMB, run.rssMB);
    const s = JSON.parse(run.stdout);
    ours.meanDice = Object.fromEntries(Object.entries(s.mean).map(([k, v]) => [k, (v as { Dice: number }).Dice]));
    ours.pooledDice = Object.fromEntries(Object.entries(s.pooled).map(([k, v]) => [k, (v as { Dice: number }).Dice]));
    ours.caseLoss = s.cases.map((c: { loss: { total: number } }) => c.loss.total);
  }
  let python: FolderOutcome['python'] = null;
  let pythonSkipped: string | undefined;
  if (!o.python) pythonSkipped = 'no torch';
  else {
    const py: FolderSideResult & { reader: string; threads: number } = { wallMs: [], peakRssMB: 0, meanDice: {}, pooledDice: {}, caseLoss: [], reader: '', threads: 2 };
    for (let r = 0; r < o.reps; r++) {
      o.log(`bench: W5 python loop (${r + 1}/${o.reps}) …`);
      const run = timed(o.python, [join(o.benchDir, 'dataset_loop.py'), o.data.predictions, o.data.references, '--eps', '0.1', '--threads', '2'], o.torchEnv);
      const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (run.status !== 0 || !line) throw new Error(`dataset_loop.py exited ${run.status}: ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      const res = JSON.parse(line.slice('BENCH_RESULT '.length));
      py.wallMs.push(run.wallMs);
      py.peakRssMB = Math.max(py.peakRssMB, run.rssMB);
      Object.assign(py, { meanDice: res.meanDice, pooledDice: res.pooledDice, caseLoss: res.caseLoss, reader: res.reader, threads: res.threads });
    }
    python = py;
  }
  let maxLossRelDiff: number | null = null;
  let maxDiceDiff: number | null = null;
  if (python) {
    maxLossRelDiff = Math.max(...ours.caseLoss.map((v, i) => Math.abs(v - python!.caseLoss[i]!) / Math.abs(python!.caseLoss[i]!)));
    maxDiceDiff = Math.max(...Object.keys(python.meanDice).flatMap((k) => [Math.abs(ours.meanDice[k]! - python!.meanDice[k]!), Math.abs(ours.pooledDice[k]! - python!.pooledDice[k]!)]));
  }
  return { data: o.data, ours, python, ...(pythonSkipped ? { pythonSkipped } : {}), maxLossRelDiff, maxDiceDiff };
}
