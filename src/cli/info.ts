/**
 * `loss-inspect info <file> [--json] [--max-tensor-bytes N]`: every tensor of a file with its key, dtype,
 * shape and statistics (min, max, sum, finiteSum, absSum, nanCount, infCount, first 8 values in logical
 * row-major order). `--json` prints one object with the same names and number encoding as the corpus
 * manifest (non-finite numbers as "NaN"/"Infinity"/"-Infinity", 64-bit integers exact); otherwise an
 * aligned table. A bad file throws (the dispatcher prints one line and exits 2).
 */
import type { Tensor } from '../engine/tensor';
import { readTensorFile } from '../readers/index';
import { tensorStats, toManifestJson, type Exact, type TensorStats } from '../readers/stats';
import type { ReadLimits, TensorFile } from '../readers/types';
import { UsageError } from './errors';
import { isDecimal } from './numbers';
import { table } from './format';
import { readFileBytes, readNamed } from './loadTensor';
import { fmtShape } from '../engine/errors';

export const INFO_USAGE = `usage: loss-inspect info <file> [--json] [--max-tensor-bytes N]

Lists every tensor in a .npy, .npz, .pt/.pth, .safetensors, .nii or .nii.gz file (format detected by content):
key, dtype, shape, min, max, sum, NaN/Inf counts and the first values in row-major order.
  --json                 one JSON object {file, format, bytes, info, tensors, nonTensors} (corpus manifest encoding)
  --max-tensor-bytes N   refuse tensors larger than N bytes (default 4 GiB)`;

export interface InfoArgs {
  file: string;
  json: boolean;
  maxTensorBytes: number | null;
}

export function parseInfoArgs(args: string[]): InfoArgs | 'help' {
  let file: string | null = null;
  let json = false;
  let maxTensorBytes: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--json') json = true;
    else if (a === '--max-tensor-bytes' || a.startsWith('--max-tensor-bytes=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v === undefined) throw new UsageError('info: --max-tensor-bytes needs a value');
      maxTensorBytes = parseByteCount(v);
    } else if (a.startsWith('--')) throw new UsageError(`info: unknown option '${a}'`);
    else if (file === null) file = a;
    else throw new UsageError(`info: one file at a time (got '${file}' and '${a}')`);
  }
  if (file === null) throw new UsageError(`info: missing <file>\n${INFO_USAGE}`);
  return { file, json, maxTensorBytes };
}

/** A non-negative integer byte count; accepts plain integers and `1e9`-style literals. */
export function parseByteCount(v: string): number {
  const n = isDecimal(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`info: --max-tensor-bytes must be a non-negative integer number of bytes, got '${v}'`);
  }
  return n;
}

export interface InfoTensor {
  key: string;
  dtype: string;
  shape: number[];
  sum: number;
  finiteSum: number;
  absSum: number;
  min: Exact | null;
  max: Exact | null;
  nanCount: number;
  infCount: number;
  first: Exact[];
  info?: Record<string, unknown>;
}

export interface InfoResult {
  file: string;
  format: string;
  bytes: number;
  info: Record<string, unknown>;
  tensors: InfoTensor[];
  nonTensors: TensorFile['nonTensors'];
  /** The reader's warnings (colliding keys, …), when there are any. */
  warnings?: string[];
}

/** Reads `file` and computes the info object (what `--json` prints, before encoding). */
export function fileInfo(file: string, limits?: Partial<ReadLimits>): InfoResult {
  const bytes = readFileBytes(file);
  return readNamed(file, () => describeFile(file, bytes, limits));
}

function describeFile(file: string, bytes: Uint8Array, limits: Partial<ReadLimits> | undefined): InfoResult {
  const tf = readTensorFile(bytes, file, limits);
  return {
    file,
    format: tf.format,
    bytes: bytes.length,
    info: tf.info,
    tensors: tf.tensors.map((e) => ({ key: e.key, ...describe(e.tensor), ...(e.info ? { info: e.info } : {}) })),
    nonTensors: tf.nonTensors,
    ...(tf.warnings?.length ? { warnings: tf.warnings } : {}),
  };
}

function describe(t: Tensor): Omit<InfoTensor, 'key' | 'info'> {
  const s: TensorStats = tensorStats(t);
  return {
    dtype: t.dtype,
    shape: [...t.shape],
    sum: s.sum,
    finiteSum: s.finiteSum,
    absSum: s.absSum,
    min: s.min,
    max: s.max,
    nanCount: s.nanCount,
    infCount: s.infCount,
    first: s.first,
  };
}

export async function runInfo(args: string[]): Promise<number> {
  const a = parseInfoArgs(args);
  if (a === 'help') {
    process.stdout.write(INFO_USAGE + '\n');
    return 0;
  }
  const result = fileInfo(a.file, a.maxTensorBytes !== null ? { maxTensorBytes: a.maxTensorBytes } : undefined);
  process.stdout.write((a.json ? toManifestJson(result, 1) : renderInfo(result)) + '\n');
  return 0;
}

/** A stats value for the table: integers exact, floats with 6 significant digits. */
export function fmtValue(v: Exact | null): string {
  if (v === null) return '—';
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return Object.is(v, -0) ? '-0' : String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(5).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(6)));
}

export function renderInfo(r: InfoResult): string {
  const out: string[] = [];
  const n = r.tensors.length;
  out.push(`${r.file}: ${r.format}, ${r.bytes} bytes, ${n} tensor${n === 1 ? '' : 's'}`);
  for (const [k, v] of Object.entries(r.info)) out.push(`  ${k}: ${toManifestJson(v)}`);
  for (const w of r.warnings ?? []) out.push(`  warning: ${w}`);
  if (n) {
    const rows = r.tensors.map((t) => [
      t.key === '' ? "''" : t.key,
      t.dtype,
      fmtShape(t.shape),
      fmtValue(t.min),
      fmtValue(t.max),
      fmtValue(t.sum),
      String(t.nanCount),
      String(t.infCount),
      t.first.map(fmtValue).join(' '),
    ]);
    out.push('', table(['key', 'dtype', 'shape', 'min', 'max', 'sum', 'NaN', 'Inf', 'first values (row-major)'], rows));
  }
  if (r.nonTensors.length) {
    out.push('', 'non-tensor values:');
    for (const v of r.nonTensors) out.push(`  ${v.key === '' ? "''" : v.key} (${v.type}) = ${toManifestJson(v.value)}`);
  }
  return out.join('\n');
}
