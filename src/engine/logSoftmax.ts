/**
 * Numerically stable log-softmax over one row: `log q_k = x_k − m − log Σ_j exp(x_j − m)` with `m = max x`,
 * so no exp overflows at logits of ±1e4 (the naive `log(exp(x)/Σexp)` gives NaN there).
 * A row holding NaN gives NaN; a row with +Inf gives NaN as torch does; −Inf entries give −Inf.
 */
export function logSoftmaxRow(x: ArrayLike<number>, out: Float64Array): Float64Array {
  const C = out.length;
  let m = -Infinity;
  for (let k = 0; k < C; k++) if (x[k]! > m) m = x[k]!;
  let se = 0;
  for (let k = 0; k < C; k++) se += Math.exp(x[k]! - m);
  const lse = m + Math.log(se);
  for (let k = 0; k < C; k++) out[k] = x[k]! - lse;
  return out;
}

/**
 * log-softmax over the class axis (axis 1) of contiguous `(B, C, S)` data, as `torch.log_softmax(x, dim=1)`.
 * Returns a new float64 array of the same layout.
 */
export function logSoftmax(data: ArrayLike<number>, B: number, C: number, S: number): Float64Array {
  const out = new Float64Array(B * C * S);
  const row = new Float64Array(C);
  const lq = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const base = b * C * S + s;
      for (let k = 0; k < C; k++) row[k] = data[base + k * S]!;
      logSoftmaxRow(row, lq);
      for (let k = 0; k < C; k++) out[base + k * S] = lq[k]!;
    }
  }
  return out;
}
