// A causal language model's saved pair for tests that need one on disk: bfloat16 `(B, T, V)` logits as
// .safetensors (the class axis last) and int64 `(B, T)` labels as .npy, with -100 on a padded tail of each
// sequence and the next token boosted in 60 % of the rows (a half-trained model: the argmax is often right,
// so top-1/top-5 and the confusions are not degenerate). Seeded, deterministic.
import { npyBytes } from './npyWrite';
import { rng } from './random';

/** bfloat16 bits of a float32 value (round to nearest even). */
function bf16(x: number, f: Float32Array, u: Uint32Array): number {
  f[0] = x;
  const b = u[0]!;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A safetensors file holding one bfloat16 tensor `key` of `shape` (values filled by `fill`). */
export function bf16Safetensors(key: string, shape: number[], fill: (vals: Uint16Array, toBf16: (x: number) => number) => void): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const header = JSON.stringify({ [key]: { dtype: 'BF16', shape, data_offsets: [0, n * 2] } });
  const hb = new TextEncoder().encode(header + ' '.repeat((8 - (header.length % 8)) % 8));
  const out = new Uint8Array(8 + hb.length + n * 2);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  fill(new Uint16Array(out.buffer, 8 + hb.length, n), (x) => bf16(x, f32, u32));
  return out;
}

export function lmPairBytes(B: number, T: number, V: number, seed: number): { logits: Uint8Array; labels: Uint8Array } {
  const r = rng(seed);
  const labels = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) {
    const pad = Math.floor(r() * 32);
    for (let t = 0; t < T; t++) labels[b * T + t] = t >= T - pad ? -100n : BigInt(Math.floor(r() * V));
  }
  const logits = bf16Safetensors('logits', [B, T, V], (vals, toBf16) => {
    // 256 bfloat16 noise values reused at a random phase per row: generating 32M normals would take seconds.
    const noise = Array.from({ length: 4096 }, () => toBf16((r() - 0.5) * 4));
    const boost = toBf16(8);
    for (let row = 0; row < B * T; row++) {
      const o = row * V;
      const phase = Math.floor(r() * 4096);
      for (let k = 0; k < V; k++) vals[o + k] = noise[(phase + k * 7) & 4095]!;
      const t = row % T;
      const next = t + 1 < T ? Number(labels[row + 1]) : -100;
      if (next >= 0 && r() < 0.6) vals[o + next] = boost;
    }
  });
  return { logits, labels: npyBytes('int64', [B, T], labels) };
}
