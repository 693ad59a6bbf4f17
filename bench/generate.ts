/**
 * Deterministic generation of the benchmark's data sets into bench/data/, with a JSON sidecar per data
 * set (generator version, spec, file sizes) so a later run reuses files whose parameters match.
 *
 * Segmentation data look like a network's output on a labelled volume: the label map is background plus
 * 1–2 random ellipsoids per class (later ones overwrite earlier ones, so class sizes are uneven); each
 * voxel's "winning" class (the true one, or a random one for a `flip` fraction of voxels) gets a logit
 * boost of `signal × h`, where h ∈ [0.3, 1] is a smooth confidence field, on top of N(0, noise²) noise
 * and a small background prior. That gives non-trivial confusion, calibration and per-class Dice.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './rng';
import { DATASETS, GENERATOR_VERSION, datasetFiles, type ClsSpec, type DatasetName, type SegSpec } from './workloads';
import { NpyStreamWriter, gzip, niftiUint8, writeFileAtomic } from './writers';

interface Sidecar {
  generatorVersion: number;
  spec: unknown;
  files: Record<string, number>;
  generatedMs: number;
}

export interface EnsureResult {
  name: DatasetName;
  files: { logits: string; target: string; targetRaw?: string };
  /** Bytes per file name. */
  sizes: Record<string, number>;
  /** Wall time spent generating now, or null when the cached files were reused. */
  generatedMs: number | null;
}

/** Returns the data set's paths, generating the files first unless matching cached ones exist. */
export function ensureDataset(dataDir: string, name: DatasetName, log: (s: string) => void = () => {}): EnsureResult {
  mkdirSync(dataDir, { recursive: true });
  const spec = DATASETS[name].spec;
  const rel = datasetFiles(name);
  const files = {
    logits: join(dataDir, rel.logits),
    target: join(dataDir, rel.target),
    ...(rel.targetRaw ? { targetRaw: join(dataDir, rel.targetRaw) } : {}),
  };
  const sidecarPath = join(dataDir, `${name}.json`);
  const cached = readSidecar(sidecarPath);
  if (cached && cached.generatorVersion === GENERATOR_VERSION && JSON.stringify(cached.spec) === JSON.stringify(spec)) {
    const ok = Object.entries(cached.files).every(([f, size]) => existsSync(join(dataDir, f)) && statSync(join(dataDir, f)).size === size);
    if (ok && Object.values(rel).every((f) => f in cached.files)) return { name, files, sizes: cached.files, generatedMs: null };
  }
  log(`generating ${name} (${describe(name)}) …`);
  const t0 = performance.now();
  if (spec.kind === 'seg') generateSeg(spec, files);
  else generateCls(spec, files);
  const generatedMs = performance.now() - t0;
  const sizes: Record<string, number> = {};
  for (const f of Object.values(rel)) sizes[f] = statSync(join(dataDir, f)).size;
  const sidecar: Sidecar = { generatorVersion: GENERATOR_VERSION, spec, files: sizes, generatedMs };
  writeFileSync(sidecarPath, JSON.stringify(sidecar, null, 2) + '\n');
  log(`  ${name} generated in ${(generatedMs / 1000).toFixed(1)} s`);
  return { name, files, sizes, generatedMs };
}

function readSidecar(path: string): Sidecar | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Sidecar;
  } catch {
    return null;
  }
}

function describe(name: DatasetName): string {
  const s = DATASETS[name].spec;
  return s.kind === 'seg' ? `${s.B}×${s.C}×${s.dims.join('×')}` : `${s.N}×${s.C}`;
}

/** Label map of one volume, C order (X, Y, Z): background 0 plus 1–2 ellipsoids per class 1…C−1. */
export function labelVolume(rng: Rng, C: number, dims: readonly [number, number, number]): Uint8Array {
  const [X, Y, Z] = dims;
  const out = new Uint8Array(X * Y * Z);
  for (let c = 1; c < C; c++) {
    const blobs = 1 + rng.int(2);
    for (let n = 0; n < blobs; n++) {
      const centre = dims.map((d) => d * (0.15 + 0.7 * rng.uniform()));
      const radius = dims.map((d) => d * (0.04 + 0.12 * rng.uniform()));
      const lo = centre.map((m, i) => Math.max(0, Math.floor(m - radius[i]!)));
      const hi = centre.map((m, i) => Math.min(dims[i]! - 1, Math.ceil(m + radius[i]!)));
      for (let i = lo[0]!; i <= hi[0]!; i++) {
        const di = (i - centre[0]!) / radius[0]!;
        for (let j = lo[1]!; j <= hi[1]!; j++) {
          const dj = (j - centre[1]!) / radius[1]!;
          const base = (i * Y + j) * Z;
          for (let k = lo[2]!; k <= hi[2]!; k++) {
            const dk = (k - centre[2]!) / radius[2]!;
            if (di * di + dj * dj + dk * dk <= 1) out[base + k] = c;
          }
        }
      }
    }
  }
  return out;
}

/** Smooth confidence field in [0.3, 1] (C order): a product of low-frequency cosines. */
function confidenceField(rng: Rng, dims: readonly [number, number, number]): Float32Array {
  const [X, Y, Z] = dims;
  const f = dims.map(() => 0.5 + 1.5 * rng.uniform());
  const ph = dims.map(() => 2 * Math.PI * rng.uniform());
  const cx = Float64Array.from({ length: X }, (_, i) => Math.cos((2 * Math.PI * f[0]! * i) / X + ph[0]!));
  const cy = Float64Array.from({ length: Y }, (_, j) => Math.cos((2 * Math.PI * f[1]! * j) / Y + ph[1]!));
  const cz = Float64Array.from({ length: Z }, (_, k) => Math.cos((2 * Math.PI * f[2]! * k) / Z + ph[2]!));
  const out = new Float32Array(X * Y * Z);
  let s = 0;
  for (let i = 0; i < X; i++) for (let j = 0; j < Y; j++) for (let k = 0; k < Z; k++) out[s++] = 0.65 + 0.35 * cx[i]! * cy[j]! * cz[k]!;
  return out;
}

function generateSeg(spec: SegSpec, files: { logits: string; target: string; targetRaw?: string }): void {
  const { B, C, dims } = spec;
  const S = dims[0] * dims[1] * dims[2];
  const rng = new Rng(spec.seed);
  const labels: Uint8Array[] = [];
  const winners: Uint8Array[] = [];
  const fields: Float32Array[] = [];
  for (let b = 0; b < B; b++) {
    const lab = labelVolume(rng, C, dims);
    const win = lab.slice();
    for (let s = 0; s < S; s++) if (rng.uniform() < spec.flip) win[s] = rng.int(C);
    labels.push(lab);
    winners.push(win);
    fields.push(confidenceField(rng, dims));
  }
  const logits = new NpyStreamWriter(files.logits, '<f4', [B, C, ...dims]);
  const chunk = new Float32Array(S);
  for (let b = 0; b < B; b++) {
    const win = winners[b]!;
    const h = fields[b]!;
    for (let c = 0; c < C; c++) {
      const prior = c === 0 ? 0.5 : 0;
      for (let s = 0; s < S; s++) chunk[s] = spec.noise * rng.normal() + prior + (win[s] === c ? spec.signal * h[s]! : 0);
      logits.write(chunk);
    }
  }
  logits.close();
  if (spec.target === 'npy-int64') {
    const t = new NpyStreamWriter(files.target, '<i8', [B, 1, ...dims]);
    const row = new BigInt64Array(S);
    for (let b = 0; b < B; b++) {
      const lab = labels[b]!;
      for (let s = 0; s < S; s++) row[s] = BigInt(lab[s]!);
      t.write(row);
    }
    t.close();
  } else {
    if (B !== 1) throw new Error('a NIfTI label map holds one volume: B must be 1');
    const nii = niftiUint8(dims, labels[0]!);
    writeFileAtomic(files.target, gzip(nii));
    if (files.targetRaw) writeFileAtomic(files.targetRaw, nii);
  }
}

function generateCls(spec: ClsSpec, files: { logits: string; target: string }): void {
  const { N, C } = spec;
  const rng = new Rng(spec.seed);
  const x = new Float32Array(N * C);
  const t = new BigInt64Array(N);
  for (let n = 0; n < N; n++) {
    const y = rng.int(C);
    t[n] = BigInt(y);
    const win = rng.uniform() < spec.flip ? rng.int(C) : y;
    const boost = spec.signal * rng.uniform();
    const row = n * C;
    for (let k = 0; k < C; k++) x[row + k] = spec.noise * rng.normal() + (k === win ? boost : 0);
  }
  const w = new NpyStreamWriter(files.logits, '<f4', [N, C]);
  w.write(x);
  w.close();
  const tw = new NpyStreamWriter(files.target, '<i8', [N]);
  tw.write(t);
  tw.close();
}
