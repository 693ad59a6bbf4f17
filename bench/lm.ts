/**
 * `npm run bench:lm`: language-model logits at vocabulary scale, our report against torch's single call.
 *
 *   node --import tsx bench/lm.ts [--reps N (default 3)] [--only 32k,152k] [--no-torch] [--python PATH]
 *
 * Workloads (generated once, seeded, into bench/data/ as bfloat16 `.safetensors` + int64 `.npy` labels):
 *   - 32k:  (4, 1024, 32000) logits (a Llama-sized vocabulary), class axis last, causal shift, ε 0.1;
 *   - 152k: (1, 1024, 152064) logits (a Qwen-sized vocabulary), the same options — how the time grows with V.
 * Labels: uniform tokens with -100 on a padded tail of each sequence; logits: bfloat16 noise with the next
 * token boosted, as a half-trained causal model gives.
 * Ours: the CLI's loader, then `computeReportParallel` (2 threads on this machine): the first report (which
 * decodes bfloat16 once) and the best of the next N (the pair stays laid out, as in the view); peak RSS.
 * Torch (/usr/bin/python3, 2 threads): bench/lm_torch.py reads the same bytes, upcasts to float32 (not timed)
 * and times one `F.cross_entropy(x[:, :-1].reshape(-1, V), y[:, 1:].reshape(-1), label_smoothing=0.1)`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTensor } from '../src/cli/loadTensor';
import { resolveOptions } from '../src/engine/index';
import { AccumulatePool, computeReportParallel } from '../src/parallel/index';
import { Rng } from './rng';
import { fmtMB, fmtMs, fmtRatio, renderTable } from './table';
import { npyHeader } from './writers';

const benchDir = dirname(fileURLToPath(import.meta.url));
const dataDir = join(benchDir, 'data');

interface LmSpec {
  id: string;
  B: number;
  T: number;
  V: number;
  seed: number;
}
const SPECS: LmSpec[] = [
  { id: '32k', B: 4, T: 1024, V: 32000, seed: 41 },
  { id: '152k', B: 1, T: 1024, V: 152064, seed: 42 },
];

function files(s: LmSpec) {
  const stem = join(dataDir, `lm_${s.B}x${s.T}x${s.V}_s${s.seed}`);
  return { logits: `${stem}_logits.safetensors`, labels: `${stem}_labels.npy` };
}

/** bfloat16 bits of a float32 value (round to nearest even). */
function bf16(x: number, f: Float32Array, u: Uint32Array): number {
  f[0] = x;
  const b = u[0]!;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

function generate(s: LmSpec): void {
  const f = files(s);
  if (existsSync(f.logits) && existsSync(f.labels)) return;
  mkdirSync(dataDir, { recursive: true });
  const r = new Rng(s.seed);
  const { B, T, V } = s;
  const labels = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) {
    const pad = Math.floor(r.uniform() * 64);
    for (let t = 0; t < T; t++) labels[b * T + t] = t >= T - pad ? -100n : BigInt(Math.floor(r.uniform() * V));
  }
  const header = JSON.stringify({ logits: { dtype: 'BF16', shape: [B, T, V], data_offsets: [0, B * T * V * 2] } });
  const hb = new TextEncoder().encode(header + ' '.repeat((8 - (header.length % 8)) % 8));
  const out = new Uint8Array(8 + hb.length + B * T * V * 2);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  const vals = new Uint16Array(out.buffer, 8 + hb.length, B * T * V);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * V;
      for (let k = 0; k < V; k++) vals[o + k] = bf16((r.uniform() - 0.5) * 4, f32, u32);
      const next = t + 1 < T ? Number(labels[b * T + t + 1]) : -100;
      if (next >= 0 && r.uniform() < 0.6) vals[o + next] = bf16(8, f32, u32);
    }
  }
  writeFileSync(f.logits, out);
  const lh = npyHeader('<i8', [B, T]);
  const lb = new Uint8Array(lh.length + labels.byteLength);
  lb.set(lh);
  lb.set(new Uint8Array(labels.buffer), lh.length);
  writeFileSync(f.labels, lb);
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function ours(s: LmSpec, reps: number) {
  const f = files(s);
  const pool = new AccumulatePool(Math.min(cpus().length, 8));
  try {
    const l = loadTensor(f.logits);
    const y = loadTensor(f.labels);
    const o = resolveOptions({ loss: 'ce', classAxis: -1, shiftLabels: true, labelSmoothing: 0.1 });
    let t0 = performance.now();
    const first = await computeReportParallel(l.tensor, y.tensor, o, pool);
    const firstMs = performance.now() - t0;
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      gc();
      t0 = performance.now();
      await computeReportParallel(l.tensor, y.tensor, o, pool);
      best = Math.min(best, performance.now() - t0);
    }
    return { readMs: l.readMs + y.readMs, firstMs, bestMs: best, ce: first.loss.ce!, peakMB: process.resourceUsage().maxRSS / 1024, threads: pool.threads };
  } finally {
    await pool.dispose();
  }
}

function torch(s: LmSpec, reps: number, python: string): { bestMs: number; ce: number } | string {
  const f = files(s);
  const r = spawnSync(python, [join(benchDir, 'lm_torch.py'), f.logits, f.labels, String(reps), String(Math.min(cpus().length, 8))], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) return `torch failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let reps = 3;
  let only: Set<string> | null = null;
  let python = '/usr/bin/python3';
  let withTorch = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--reps') reps = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--only') only = new Set(argv[++i]!.split(','));
    else if (a === '--python') python = argv[++i]!;
    else if (a === '--no-torch') withTorch = false;
    else throw new Error(`bench:lm: unknown argument ${a}`);
  }
  const rows: string[][] = [];
  for (const s of SPECS.filter((x) => !only || only.has(x.id))) {
    process.stderr.write(`bench:lm: ${s.id} (${s.B}, ${s.T}, ${s.V}) …\n`);
    generate(s);
    const fileMB = statSync(files(s).logits).size / 2 ** 20;
    const o = await ours(s, reps);
    const t = withTorch ? torch(s, reps, python) : 'skipped (--no-torch)';
    const tt = typeof t === 'string' ? null : t;
    rows.push([
      `${s.id}: (${s.B}, ${s.T}, ${s.V}) bf16, shift, ε 0.1`,
      fmtMs(o.readMs),
      fmtMs(o.firstMs),
      fmtMs(o.bestMs),
      fmtMB(o.peakMB),
      fmtMB(fileMB),
      fmtRatio(o.peakMB / fileMB),
      tt ? fmtMs(tt.bestMs) : typeof t === 'string' ? t : '—',
      tt ? fmtRatio(o.bestMs / tt.bestMs) : '—',
      tt ? (Math.abs(o.ce - tt.ce) / Math.abs(tt.ce)).toExponential(1) : '—',
    ]);
  }
  console.log(
    renderTable(['workload', 'ours read', 'ours 1st report', 'ours report (best)', 'ours peak', 'file', 'peak/file', 'torch 1 call', 'ours/torch', 'CE rel diff'], rows),
  );
  console.log(`ours: computeReportParallel (${Math.min(cpus().length, 8)} threads), full report with per-position loss; torch: one F.cross_entropy on the float32 (N, V) view, upcast not timed`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:lm: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
