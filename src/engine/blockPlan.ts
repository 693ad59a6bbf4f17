/**
 * The blocked fused pass's view of one pair and one set of options: everything its phases (blockPhases.ts) need,
 * worked out once per pass, and where a block sits.
 */
import { floatLogits, type FloatData, type LogitValues, type PreparedLogits, type PreparedTarget } from './layout';
import { classWeights, type AccumulateConfig } from './accumulators';
import { uniformStep } from './sweepGrid';
import type { FocalPlan } from './focalSums';
import type { DiceSweep } from './wasm/softmaxBlock';

/** Elements per block of the blocked pass: small enough for the block's scratch to stay in L1/L2. */
export const BLOCK = 512;
/** Rows per block for (N, C) classification batches (transposed into the kernel: small enough to stay in cache). */
export const ROW_BLOCK = 128;

export interface BlockPlan {
  C: number;
  S: number;
  /** The logits as float32/float64: read by the JS loops (half-precision logits are decoded on first read). */
  readonly x: FloatData;
  /** The logits as stored, for the kernel's row-major preparation (which reads half-precision bits itself). */
  values: LogitValues;
  labels: Int32Array | null;
  tdata: FloatData | null;
  /** The label ignored (cross-entropy's ignore_index), or null. */
  ignore: number | null;
  kindIndex: boolean;
  /** Probability targets: no hard class. */
  soft: boolean;
  /** Class weights (1 where none are given), whether any are given, and their sum. */
  wArr: Float64Array;
  weighted: boolean;
  wTotal: number;
  doDice: boolean;
  softmax: boolean;
  sigmoid: boolean;
  /** Keep exp(x − m) per class for the Dice term's softmax. */
  keepExp: boolean;
  squared: boolean;
  eps: number;
  invC: number;
  /** ε/C: the smoothed target where t = 0. */
  offTarget: number;
  /** The ε sweep's sorted grid (null: no sweep); K1 = K + 1 buckets. */
  grid: Float64Array | null;
  K: number;
  K1: number;
  /** 1/Δ of a uniform grid 0, Δ, 2Δ, … (bucket by one multiplication), else 0 (binary search). */
  invStep: number;
  /** Class-index targets on a uniform grid: v is 1/C or 1/C − 1, so u/v/Δ is u times scaleOff or scaleOn. */
  fastIndexSweep: boolean;
  scaleOn: number;
  scaleOff: number;
  /** |v| where t = 1. */
  vOnAbs: number;
  /** What the kernel gathers of the sweep when it gathers the Dice sums. */
  diceSweep: DiceSweep;
  focal: FocalPlan | null;
}

export function blockPlan(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig): BlockPlan {
  const { C, S } = lg;
  const opts = cfg.opts;
  const wArr = classWeights(opts.weight, C);
  let wTotal = 0;
  for (let c = 0; c < C; c++) wTotal += wArr[c]!;
  const kindIndex = tg.kind === 'index';
  const invC = 1 / C;
  const grid = cfg.sweepEps && cfg.dice ? Float64Array.from(cfg.sweepEps) : null;
  const K1 = grid ? grid.length + 1 : 0;
  // A grid 0, Δ, 2Δ, … (the view's, src/engine/sweepGrid.ts) finds its bucket by one division instead of a binary
  // search; a ratio within rounding of a grid value may land one bucket off, where its term |u − εv| is ~0 either way.
  const step = grid ? uniformStep(grid) : 0;
  const invStep = step > 0 ? 1 / step : 0;
  return {
    C,
    S,
    get x() {
      return floatLogits(lg);
    },
    values: lg.values,
    labels: tg.labels,
    tdata: tg.data,
    ignore: opts.loss === 'ce' ? opts.ignoreIndex : null,
    kindIndex,
    soft: tg.kind === 'probability',
    wArr,
    weighted: !!opts.weight,
    wTotal,
    doDice: cfg.dice,
    softmax: opts.softmax,
    sigmoid: opts.sigmoid,
    keepExp: cfg.dice && opts.softmax,
    squared: opts.squaredPred,
    eps: cfg.eps,
    invC,
    offTarget: cfg.eps * invC,
    grid,
    K: K1 - 1,
    K1,
    invStep,
    fastIndexSweep: kindIndex && invStep > 0 && C > 1,
    scaleOn: invStep / (invC - 1),
    scaleOff: C * invStep,
    vOnAbs: 1 - invC,
    diceSweep: !grid ? 'none' : opts.squaredPred ? 'moments' : 'buckets',
    focal: cfg.focal,
  };
}

/**
 * Where a block sits: batch item b, first element e (element e = b·S + s), n positions from logits offset
 * xb = (b, 0, s0); in rows mode n consecutive rows of `(N, C)` logits from row e (S = 1).
 */
export interface BlockAt {
  b: number;
  e: number;
  xb: number;
  n: number;
  rows: boolean;
}

/**
 * What every phase after the preparation reads, per position i < n of the block: the first argmax, Σ_k x_k,
 * Σ_k w_k·x_k, lse = m + log Σ exp(x − m), 1/Σ exp(x − m) (the top softmax probability), and exp(x_k − m) at
 * k·BLOCK + i when the Dice term needs softmax. The JS preparation's scratch arrays and the WebAssembly kernel's
 * views on its memory both have this shape.
 */
export interface PreparedBlock {
  readonly am: Int32Array;
  readonly sx: Float64Array;
  readonly sxw: Float64Array;
  readonly lse: Float64Array;
  readonly inv: Float64Array;
  readonly ex: Float64Array | null;
}
