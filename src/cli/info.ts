/**
 * `loss-inspect info <file> [--json] [--max-tensor-bytes N]`: every tensor of a file with its key, dtype,
 * shape and statistics (min, max, sum, finiteSum, absSum, nanCount, infCount, first 8 values in logical
 * row-major order). `--json` prints one object with the same names and number encoding as the corpus
 * manifest (non-finite numbers as "NaN"/"Infinity"/"-Infinity", 64-bit integers exact); otherwise an
 * aligned table. A bad file throws (the dispatcher prints one line and exits 2).
 */
import { writeStdout } from './stdout';
import type { Tensor } from '../engine/tensor';
import { readTensorFileAt } from '../node/tensorFileAt';
import { tensorStats, toManifestJson, type Exact, type TensorStats } from '../readers/stats';
import type { ReadLimits, TensorEntry, TensorFile } from '../readers/types';
import { UsageError } from './errors';
import { isDecimal } from './numbers';
import { spliceStreams, table, tableLine } from './format';
import { readNamed } from './loadTensor';
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
  return readNamed(file, () => {
    const { file: tf, size } = readTensorFileAt(file, file, limits);
    return describeRead(file, size, tf);
  });
}

function describeRead(file: string, size: number, tf: TensorFile, tensors: InfoTensor[] = tf.tensors.map(describeEntry)): InfoResult {
  return {
    file,
    format: tf.format,
    bytes: size,
    info: tf.info,
    tensors,
    nonTensors: tf.nonTensors,
    ...(tf.warnings?.length ? { warnings: tf.warnings } : {}),
  };
}

function describeEntry(e: TensorEntry): InfoTensor {
  const d = describe(e.tensor) as InfoTensor;
  // Built in key order (key first, info last), without spreads: called once or twice per tensor of a file.
  const out: InfoTensor = { key: e.key, dtype: d.dtype, shape: d.shape, sum: d.sum, finiteSum: d.finiteSum, absSum: d.absSum, min: d.min, max: d.max, nanCount: d.nanCount, infCount: d.infCount, first: d.first };
  const info = e.info;
  if (info) out.info = info;
  return out;
}

/** One number as toManifestJson writes it. */
function numberJson(v: number | bigint | null): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (Object.is(v, -0)) return '-0.0';
  if (Math.abs(v) >= 2 ** 53) return v.toExponential();
  return String(v);
}

/**
 * A tensor's description as `toManifestJson(t, 1)` writes it, indented as an element of the top object's
 * `tensors` (two more spaces): the same text, written directly (JSON.stringify with a replacer for each of a
 * million tensors costs several seconds).
 */
function tensorJson(t: InfoTensor): string {
  const list = (xs: readonly (number | bigint | null)[]) => (xs.length ? `[\n    ${xs.map(numberJson).join(',\n    ')}\n   ]` : '[]');
  return (
    `{\n   "key": ${JSON.stringify(t.key)},\n   "dtype": ${JSON.stringify(t.dtype)},\n   "shape": ${list(t.shape)},` +
    `\n   "sum": ${numberJson(t.sum)},\n   "finiteSum": ${numberJson(t.finiteSum)},\n   "absSum": ${numberJson(t.absSum)},` +
    `\n   "min": ${numberJson(t.min)},\n   "max": ${numberJson(t.max)},\n   "nanCount": ${numberJson(t.nanCount)},` +
    `\n   "infCount": ${numberJson(t.infCount)},\n   "first": ${list(t.first)}` +
    (t.info === undefined ? '' : `,\n   "info": ${toManifestJson(t.info, 1).replace(/\n/g, '\n   ')}`) +
    '\n  }'
  );
}

/** Above this many tensors `info` writes its output as it goes, never holding a row object per tensor. */
export const STREAM_ABOVE = 4096;

/**
 * `info`'s output for `file`, given to `out` in pieces of about 64 KB: the same text as rendering
 * {@link fileInfo}'s result, but for a file of a million tensors (a 100 MB safetensors header) it holds
 * one tensor's description at a time. The table's column widths need every row first, so its rows are
 * described twice (the statistics of a million tiny tensors cost far less than keeping them).
 */
export function writeInfo(file: string, json: boolean, out: (text: string) => void, limits?: Partial<ReadLimits>): void {
  readNamed(file, () => {
    const { file: tf, size } = readTensorFileAt(file, file, limits);
    if (tf.tensors.length <= STREAM_ABOVE) {
      const r = describeRead(file, size, tf);
      out((json ? toManifestJson(r, 1) : renderInfo(r)) + '\n');
      return;
    }
    let buf = '';
    const put = (text: string) => {
      buf += text;
      if (buf.length >= 1 << 16) {
        out(buf);
        buf = '';
      }
    };
    if (json) {
      // The file's object with a marker for the tensors, then each tensor as JSON.stringify would nest it.
      const whole = toManifestJson(describeRead(file, size, tf, ['\u0000tensors' as unknown as InfoTensor]), 1);
      function* tensors(): Generator<string> {
        for (let i = 0; i < tf.tensors.length; i++) yield (i ? ',\n  ' : '') + tensorJson(describeEntry(tf.tensors[i]!));
      }
      for (const piece of spliceStreams(whole, [{ marker: '"\\u0000tensors"', pieces: tensors() }])) put(piece);
      put('\n');
    } else {
      put(headLines(describeRead(file, size, tf, []), tf.tensors.length).join('\n'));
      const widths = INFO_HEADER.map((h) => h.length);
      for (const e of tf.tensors) infoRow(describeEntry(e)).forEach((c, k) => (widths[k] = Math.max(widths[k]!, c.length)));
      put(['', '', tableLine(INFO_HEADER, widths), widths.map((w) => '─'.repeat(w)).join('  ')].join('\n'));
      for (const e of tf.tensors) put('\n' + tableLine(infoRow(describeEntry(e)), widths));
      put(nonTensorLines(tf.nonTensors).map((l) => '\n' + l).join('') + '\n');
    }
    out(buf);
  });
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

/** `out`: where the text goes (standard output, written through before each piece returns; tests capture it). */
export async function runInfo(args: string[], out: (text: string) => void = writeStdout): Promise<number> {
  const a = parseInfoArgs(args);
  if (a === 'help') {
    out(INFO_USAGE + '\n');
    return 0;
  }
  writeInfo(a.file, a.json, out, a.maxTensorBytes !== null ? { maxTensorBytes: a.maxTensorBytes } : undefined);
  return 0;
}

/** A stats value for the table: integers exact, floats with 6 significant digits. */
export function fmtValue(v: Exact | null): string {
  if (v === null) return '—';
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return Object.is(v, -0) ? '-0' : String(v);
  let text = shown.get(v);
  if (text === undefined) {
    const a = Math.abs(v);
    text = a !== 0 && (a >= 1e6 || a < 1e-4) ? v.toExponential(5).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(6)));
    if (shown.size >= MAX_SHOWN) shown.clear();
    shown.set(v, text);
  }
  return text;
}

/**
 * Floats already formatted: a listing formats each row twice (widths, then lines) and a file's tensors share
 * values (a million half-precision tensors have at most 65,536), and toPrecision was most of a long listing's time.
 */
const shown = new Map<number, string>();
const MAX_SHOWN = 1 << 16;

const INFO_HEADER = ['key', 'dtype', 'shape', 'min', 'max', 'sum', 'NaN', 'Inf', 'first values (row-major)'];

function infoRow(t: InfoTensor): string[] {
  return [
    t.key === '' ? "''" : t.key,
    t.dtype,
    fmtShape(t.shape),
    fmtValue(t.min),
    fmtValue(t.max),
    fmtValue(t.sum),
    String(t.nanCount),
    String(t.infCount),
    t.first.map(fmtValue).join(' '),
  ];
}

function nonTensorLines(values: TensorFile['nonTensors']): string[] {
  if (!values.length) return [];
  // Pushed one by one: a spread of a million values overflows the call stack.
  const out = ['', 'non-tensor values:'];
  for (const v of values) out.push(`  ${v.key === '' ? "''" : v.key} (${v.type}) = ${toManifestJson(v.value)}`);
  return out;
}

/** The lines before the table: the file, its format, size and tensor count, its info and warnings. */
function headLines(r: InfoResult, n: number): string[] {
  const out = [`${r.file}: ${r.format}, ${r.bytes} bytes, ${n} tensor${n === 1 ? '' : 's'}`];
  for (const [k, v] of Object.entries(r.info)) out.push(`  ${k}: ${toManifestJson(v)}`);
  for (const w of r.warnings ?? []) out.push(`  warning: ${w}`);
  return out;
}

export function renderInfo(r: InfoResult): string {
  const n = r.tensors.length;
  const out = headLines(r, n);
  if (n) out.push('', table(INFO_HEADER, r.tensors.map(infoRow)));
  for (const line of nonTensorLines(r.nonTensors)) out.push(line);
  return out.join('\n');
}
