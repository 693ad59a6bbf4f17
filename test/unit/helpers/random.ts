// Seeded random tensors for property tests (mulberry32: small, deterministic, good enough).
import { Tensor } from '../../../src/engine/index';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export function randomLogits(r: () => number, shape: number[], scale = 2): Tensor<'float32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = normal(r) * scale;
  return new Tensor('float32', shape, d);
}

export function randomLabels(r: () => number, shape: number[], C: number, ignore?: { value: number; rate: number }): Tensor<'int64'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new BigInt64Array(n);
  for (let i = 0; i < n; i++) d[i] = BigInt(ignore && r() < ignore.rate ? ignore.value : Math.floor(r() * C));
  return new Tensor('int64', shape, d);
}

/** One-hot float32 `(B, C, *spatial)` from labels `(B, 1, *spatial)`. */
export function oneHot(labels: Tensor, C: number): Tensor<'float32'> {
  const [B, , ...sp] = labels.shape as number[];
  const S = sp.reduce((a, b) => a * b, 1);
  const out = new Float32Array(B! * C * S);
  for (let b = 0; b < B!; b++) for (let s = 0; s < S; s++) out[(b * C + labels.get(b * S + s)) * S + s] = 1;
  return new Tensor('float32', [B!, C, ...sp], out);
}

/** Soft probabilities `(B, C, *spatial)`: a softmax of random values. */
export function randomProbs(r: () => number, shape: number[]): Tensor<'float32'> {
  const [B, C, ...sp] = shape;
  const S = sp.reduce((a, b) => a * b, 1);
  const out = new Float32Array(B! * C! * S);
  for (let b = 0; b < B!; b++)
    for (let s = 0; s < S; s++) {
      let z = 0;
      const v: number[] = [];
      for (let c = 0; c < C!; c++) {
        const e = Math.exp(normal(r));
        v.push(e);
        z += e;
      }
      for (let c = 0; c < C!; c++) out[(b * C! + c) * S + s] = v[c]! / z;
    }
  return new Tensor('float32', shape, out);
}

export const relClose = (a: number, b: number, rtol = 1e-9, atol = 1e-12) => Math.abs(a - b) <= atol + rtol * Math.abs(b);
