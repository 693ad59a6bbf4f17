/**
 * One 2-D slice for the slice viewer: target class, argmax prediction and per-voxel loss on a plane of a
 * `(B, C, *spatial)` pair. Only this plane is computed and sent to the webview, never the volume.
 *
 * Per-voxel loss, from the fused pass's own per-row routine ({@link logSoftmaxRow}) and terms: torch's unweighted
 * per-element CE, `(1−ε)·(−log q_y) + (ε/C)·Σ_k(−log q_k)` ({@link smoothMix}, as the report mixes its per-class
 * sums) for index targets (ε = 0 in `hard` mode, the configured ε in `smoothed` mode; 0 and target −1 where
 * ignored), `−Σ_k y'_k log q_k` for float targets, and BCE-with-logits ({@link bceWithLogitsTerm}) for one channel.
 * A multi-label target (channels summing above 1 somewhere) also sends each channel's region and its per-channel
 * prediction (sigmoid > 0.5) as planes: its argmax would show an overlap as one region and background as the first.
 * Plane: with three spatial axes, `axis` is held at `index` and the other two (in order) are rows × columns;
 * with two, the image itself; with one, a single row.
 */
import { LossInputError, fmtShape } from './errors';
import { multiLabelStats } from './multiLabel';
import { preparePair, type PreparedPair } from './report';
import { bceWithLogitsTerm, logSoftmaxRow, newRowSoftmax, type RowSoftmax } from './accumulateRows';
import { smoothMix } from './finalize';
import { floatLogits, type PreparedTarget } from './layout';
import type { Tensor } from './tensor';
import type { LossOptions, SliceData, SliceRequest } from './types';

/**
 * Whether a target is multi-label, per target tensor: the viewer asks for many slices of one pair, and each
 * prepares the pair again (a new prepared target), so the prepared target's own cache would not hold.
 */
const multiLabelTargets = new WeakMap<Tensor, boolean>();

export function computeSlice(logits: Tensor, target: Tensor, options: LossOptions, req: SliceRequest): SliceData {
  const pair = preparePair(logits, target, options);
  let multi = multiLabelTargets.get(target);
  if (multi === undefined) {
    multi = multiLabelStats(pair.target, pair.logits.B, pair.logits.C, pair.logits.S) !== null;
    multiLabelTargets.set(target, multi);
  }
  return computeSliceFromPair(pair, req, multi);
}

/** A plane of the spatial axes: height × width positions, position (r, c) at offset + r·rowStride + c·colStride. */
interface Plane {
  height: number;
  width: number;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** The plane a request asks for, in positions of one batch item (errors name the batch, axis or index out of range). */
function slicePlane(spatial: number[], B: number, req: SliceRequest, logitsShape: number[]): Plane {
  const d = spatial.length;
  if (d < 1 || d > 3) throw new LossInputError(`the slice viewer needs 1 to 3 spatial axes, logits are ${fmtShape(logitsShape)}`);
  if (!Number.isInteger(req.batch) || req.batch < 0 || req.batch >= B) throw new LossInputError(`slice: batch item ${req.batch} is outside [0, ${B})`);
  const stride: number[] = [];
  let acc = 1;
  for (let i = d - 1; i >= 0; i--) {
    stride[i] = acc;
    acc *= spatial[i]!;
  }
  if (d === 1) return { height: 1, width: spatial[0]!, offset: 0, rowStride: 0, colStride: 1 };
  if (d === 2) return { height: spatial[0]!, width: spatial[1]!, offset: 0, rowStride: stride[0]!, colStride: 1 };
  if (!Number.isInteger(req.axis) || req.axis < 0 || req.axis > 2) throw new LossInputError(`slice: axis ${req.axis} is outside [0, 3)`);
  if (!Number.isInteger(req.index) || req.index < 0 || req.index >= spatial[req.axis]!) {
    throw new LossInputError(`slice: index ${req.index} is outside [0, ${spatial[req.axis]}) on axis ${req.axis}`);
  }
  const [rows, cols] = [0, 1, 2].filter((a) => a !== req.axis) as [number, number];
  return { height: spatial[rows]!, width: spatial[cols]!, offset: req.index * stride[req.axis]!, rowStride: stride[rows]!, colStride: stride[cols]! };
}

/** `multi`: whether the target is multi-label, when the caller knows it (else one pass over the target finds out). */
export function computeSliceFromPair(pair: PreparedPair, req: SliceRequest, multiLabel?: boolean): SliceData {
  const { logits: lg, target: tg, opts } = pair;
  const { B, C, S } = lg;
  const x = floatLogits(lg);
  const plane = slicePlane(lg.shape.slice(2), B, req, lg.shape);
  const { width, height } = plane;
  const eps = req.mode === 'smoothed' ? opts.labelSmoothing : 0;
  const ignore = opts.loss === 'ce' ? opts.ignoreIndex : null;
  const n = width * height;
  const target = new Int16Array(n);
  const prediction = new Int16Array(n);
  const ce = new Float32Array(n);
  const row = newRowSoftmax(C);
  const multi = multiLabel ?? multiLabelStats(tg, B, C, S) !== null;
  const targetRegions = multi ? new Uint8Array(C * n) : null;
  const predictionRegions = multi ? new Uint8Array(C * n) : null;
  let ceMax = 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const s = plane.offset + r * plane.rowStride + c * plane.colStride;
      const base = req.batch * C * S + s;
      const e = req.batch * S + s;
      logSoftmaxRow(x, base, S, C, null, row);
      const o = r * width + c;
      let loss: number;
      if (C === 1) {
        const xv = row.xk[0]!;
        const tv = tg.kind === 'index' ? tg.labels![e]! : tg.data![e]!;
        loss = bceWithLogitsTerm(xv, tv, opts.weight ? opts.weight[0]! : 1);
        target[o] = tv > 0.5 ? 1 : 0;
        prediction[o] = xv > 0 ? 1 : 0;
      } else {
        const y = tg.kind === 'index' ? indexTarget(tg, e, ignore) : denseTarget(tg, base, S, C);
        loss = tg.kind === 'index' ? (y >= 0 ? smoothMix(-row.lq[y]!, row.sumNll, eps, C) : 0) : floatTargetCe(tg, base, S, C, eps, row);
        target[o] = y;
        prediction[o] = row.argmax;
        if (targetRegions && predictionRegions) markRegions(tg.data!, x, base, S, C, n, o, targetRegions, predictionRegions);
      }
      ce[o] = loss;
      if (loss > ceMax) ceMax = loss;
    }
  }
  return { request: req, width, height, target, prediction, ce, ceMax, targetRegions, predictionRegions };
}

/** A class-index target's class at element e (−1 where ignored). */
function indexTarget(tg: PreparedTarget, e: number, ignore: number | null): number {
  const lab = tg.labels![e]!;
  return lab === ignore ? -1 : lab;
}

/** A float target's shown class: the channel with the largest value (the first of equal ones). */
function denseTarget(tg: PreparedTarget, base: number, S: number, C: number): number {
  let best = -Infinity;
  let y = -1;
  for (let k = 0; k < C; k++) {
    const tv = tg.data![base + k * S]!;
    if (tv > best) {
      best = tv;
      y = k;
    }
  }
  return y;
}

/** torch's CE of a float target at one position: −Σ_k ((1 − ε)·t_k + ε/C)·log q_k. */
function floatTargetCe(tg: PreparedTarget, base: number, S: number, C: number, eps: number, row: RowSoftmax): number {
  let loss = 0;
  for (let k = 0; k < C; k++) loss -= ((1 - eps) * tg.data![base + k * S]! + eps / C) * row.lq[k]!;
  return loss;
}

/** A multi-label position's planes: each channel's target region (> 0.5) and predicted region (logit > 0, sigmoid > 0.5). */
function markRegions(t: ArrayLike<number>, x: ArrayLike<number>, base: number, S: number, C: number, n: number, o: number, targetRegions: Uint8Array, predictionRegions: Uint8Array): void {
  for (let k = 0; k < C; k++) {
    if (t[base + k * S]! > 0.5) targetRegions[k * n + o] = 1;
    if (x[base + k * S]! > 0) predictionRegions[k * n + o] = 1;
  }
}
