/**
 * One 2-D slice for the slice viewer: target class, argmax prediction and per-voxel loss on a plane of a
 * `(B, C, *spatial)` pair. Only this plane is computed and sent to the webview, never the volume.
 *
 * Per-voxel loss: torch's unweighted per-element CE, `(1−ε)·(−log q_y) + (ε/C)·Σ_k(−log q_k)` for index
 * targets (ε = 0 in `hard` mode, the configured ε in `smoothed` mode; 0 and target −1 where ignored),
 * `−Σ_k y'_k log q_k` for float targets, and BCE-with-logits for one channel.
 * A multi-label target (channels summing above 1 somewhere) also sends each channel's region and its per-channel
 * prediction (sigmoid > 0.5) as planes: its argmax would show an overlap as one region and background as the first.
 * Plane: with three spatial axes, `axis` is held at `index` and the other two (in order) are rows × columns;
 * with two, the image itself; with one, a single row.
 */
import { LossInputError, fmtShape } from './errors';
import { multiLabelStats } from './multiLabel';
import { preparePair, type PreparedPair } from './report';
import type { Tensor } from './tensor';
import type { LossOptions, SliceData, SliceRequest } from './types';

export function computeSlice(logits: Tensor, target: Tensor, options: LossOptions, req: SliceRequest): SliceData {
  return computeSliceFromPair(preparePair(logits, target, options), req);
}

export function computeSliceFromPair(pair: PreparedPair, req: SliceRequest): SliceData {
  const { logits: lg, target: tg, opts } = pair;
  const { B, C, S } = lg;
  const spatial = lg.shape.slice(2);
  const d = spatial.length;
  if (d < 1 || d > 3) throw new LossInputError(`the slice viewer needs 1 to 3 spatial axes, logits are ${fmtShape(lg.shape)}`);
  if (!Number.isInteger(req.batch) || req.batch < 0 || req.batch >= B) throw new LossInputError(`slice: batch item ${req.batch} is outside [0, ${B})`);
  const sstr: number[] = [];
  let acc = 1;
  for (let i = d - 1; i >= 0; i--) {
    sstr[i] = acc;
    acc *= spatial[i]!;
  }
  let rowsAxis: number;
  let colsAxis: number;
  let fixedOffset = 0;
  if (d === 3) {
    if (!Number.isInteger(req.axis) || req.axis < 0 || req.axis > 2) throw new LossInputError(`slice: axis ${req.axis} is outside [0, 3)`);
    if (!Number.isInteger(req.index) || req.index < 0 || req.index >= spatial[req.axis]!) {
      throw new LossInputError(`slice: index ${req.index} is outside [0, ${spatial[req.axis]}) on axis ${req.axis}`);
    }
    const rest = [0, 1, 2].filter((a) => a !== req.axis);
    rowsAxis = rest[0]!;
    colsAxis = rest[1]!;
    fixedOffset = req.index * sstr[req.axis]!;
  } else if (d === 2) {
    rowsAxis = 0;
    colsAxis = 1;
  } else {
    rowsAxis = -1;
    colsAxis = 0;
  }
  const height = rowsAxis < 0 ? 1 : spatial[rowsAxis]!;
  const width = spatial[colsAxis]!;
  const eps = req.mode === 'smoothed' ? opts.labelSmoothing : 0;
  const n = width * height;
  const target = new Int16Array(n);
  const prediction = new Int16Array(n);
  const ce = new Float32Array(n);
  const x = lg.data;
  const lq = new Float64Array(C);
  const multi = multiLabelStats(tg, B, C, S) !== null;
  const targetRegions = multi ? new Uint8Array(C * n) : null;
  const predictionRegions = multi ? new Uint8Array(C * n) : null;
  let ceMax = 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const s = fixedOffset + (rowsAxis < 0 ? 0 : r * sstr[rowsAxis]!) + c * sstr[colsAxis]!;
      const base = req.batch * C * S + s;
      let m = -Infinity;
      let am = 0;
      for (let k = 0; k < C; k++) {
        const v = x[base + k * S]!;
        if (v > m) {
          m = v;
          am = k;
        }
      }
      let se = 0;
      for (let k = 0; k < C; k++) se += Math.exp(x[base + k * S]! - m);
      const lse = m + Math.log(se);
      let sum = 0;
      for (let k = 0; k < C; k++) {
        lq[k] = x[base + k * S]! - lse;
        sum -= lq[k]!;
      }
      const o = r * width + c;
      let loss = 0;
      let y = -1;
      if (C === 1) {
        const xv = x[base]!;
        const tv = tg.kind === 'index' ? tg.labels![req.batch * S + s]! : tg.data![req.batch * S + s]!;
        const pw = opts.weight ? opts.weight[0]! : 1;
        loss = (1 - tv) * xv + (1 + (pw - 1) * tv) * (Math.log1p(Math.exp(-Math.abs(xv))) + Math.max(-xv, 0));
        y = tv > 0.5 ? 1 : 0;
        am = xv > 0 ? 1 : 0;
      } else if (tg.kind === 'index') {
        const lab = tg.labels![req.batch * S + s]!;
        if (lab !== (opts.loss === 'ce' ? opts.ignoreIndex : null)) {
          y = lab;
          loss = (1 - eps) * -lq[lab]! + (eps / C) * sum;
        }
      } else {
        let best = -Infinity;
        for (let k = 0; k < C; k++) {
          const tv = tg.data![base + k * S]!;
          loss -= ((1 - eps) * tv + eps / C) * lq[k]!;
          if (tv > best) {
            best = tv;
            y = k;
          }
          if (targetRegions && tv > 0.5) targetRegions[k * n + r * width + c] = 1;
          if (predictionRegions && x[base + k * S]! > 0) predictionRegions[k * n + r * width + c] = 1;
        }
      }
      target[o] = y;
      prediction[o] = am;
      ce[o] = loss;
      if (loss > ceMax) ceMax = loss;
    }
  }
  return { request: req, width, height, target, prediction, ce, ceMax, targetRegions, predictionRegions };
}
