/**
 * The softmax block kernel: WebAssembly SIMD for the blocked fused pass. For one block of n ≤ `stride` positions and
 * C classes of `(B, C, S)` logits, copied once into the module's memory, it computes per position i:
 *   - the row maximum `mx[i]` and the first class reaching it `am[i]` (NaN never becomes the maximum; an all
 *     −Inf/NaN row keeps −Inf and class 0), `sx[i] = Σ_k x_k[i]`, `sxw[i] = Σ_k w_k·x_k[i]` (k in order 0…C−1,
 *     as the JS loop adds: the same bits), and the block's NaN and ±Inf counts;
 *   - `se[i] = Σ_k exp(x_k[i] − mx[i])` and, when asked, `ex[k·stride + i] = exp(x_k[i] − mx[i])`;
 *   - `lse[i] = mx[i] + log se[i]` and `inv[i] = 1 / se[i]` (NaN when the row holds NaN or +Inf, or is all −Inf).
 * From what it then holds it also gathers, per block, the per-position sums of the pass (CE by class,
 * confusion, calibration: {@link SoftmaxBlockKernel.positions}), for class-index targets with softmax the
 * per-class Dice sums and the ε sweep's buckets ({@link SoftmaxBlockKernel.diceIndex}), and for the sigmoid
 * focal term with γ = 2 its per-class sums ({@link SoftmaxBlockKernel.focalIndex}).
 * For cross-entropy of an (N, C) batch from 64 classes up it reads rows row-major instead, in their stored dtype
 * ({@link SoftmaxBlockKernel.prepareRowMajor}, on the thread's {@link softmaxRowKernel}).
 * All in float64 with f64x2 lanes (the maximum of float32 logits in f32x4 lanes: exact). The caller reads the
 * results through views on the module's memory (no copy out), the output slots by the names that
 * `softmaxBlockLayout.ts` declares. The kernel's text is `softmaxBlock.wat`, generated with its bytes and its
 * layout by `generate.mjs`.
 *
 * Its exp: x = (k·256 + j)·ln2/256 + r, a table of 2^(j/256), a degree-4 polynomial for exp(r), 2^k applied as
 * one product; within a few 1e-16 relative of the exact value over (−745, 0] (≤ 1 unit of the last place in
 * the subnormal range), exactly 1 at 0, 0 at −Inf and below −745.14, NaN for NaN. The standalone `exp` is
 * valid for x ≤ 640 (larger x is clamped); in the pass x − max ≤ 0 by construction.
 * Its log: fdlibm's algorithm in musl's branch-free form, within 1 ulp (≤ 2.2e-16 relative) for positive
 * normal inputs; the pass gives it se ∈ [1, C] or NaN.
 *
 * Why: V8's Math.exp costs ~8 ns per call and Math.log ~6 ns; the kernel's exp ~1.4 ns per value, its
 * lse and inverse ~2.5 ns per position, its maximum pass ~0.3 ns per value, plus ~0.6 ns per value to
 * copy the block in (the logits live in an ArrayBuffer the module cannot see: each of the block's C rows is
 * copied with one `set`; mostly the first read of the logits from RAM, which the JS loops paid too).
 *
 * One module per thread, compiled synchronously on first use. {@link softmaxBlockKernel} returns null where
 * WebAssembly or its SIMD is missing, when the JS path is forced ({@link setWasmKernel}, or the environment
 * variable `LOSS_INSPECTOR_NO_WASM=1` read once at load), or when C classes would not fit its memory.
 */
import { SOFTMAX_BLOCK_BASE64 } from './softmaxBlockBytes';
import {
  BUCKET_COPIES,
  CALIBRATION_BINS,
  CALIBRATION_FIRST,
  CALIBRATION_RECORD,
  CALIBRATION_RECORD_SLOTS,
  CLASS_FIRST,
  CLASS_RECORD,
  CLASS_RECORD_SLOTS,
  DICE_CONSTANT,
  DICE_CONSTANT_SLOTS,
  DICE_SLOTS,
  FOCAL_SLOT,
  FOCAL_SLOTS,
  FOCAL_STEP,
  HEAP_BASE,
  KERNEL_STEP,
  POSITION_SLOT,
  ROW_PAD,
} from './softmaxBlockLayout';
import { float16Table } from '../tensor';
import type { LogitValues } from '../layout';

type FloatData = Float32Array | Float64Array;

type RowFn = (
  x: number, rowBytes: number, C: number, n: number, yy: number, w: number,
  mx: number, am: number, sx: number, sxw: number, se: number, xy: number, rank: number, cnt: number,
) => void;

type KernelFn = (x: number, xStride: number, mx: number, se: number, ex: number, exStride: number, C: number, nr: number, keep: number) => void;

/**
 * The part of the WebAssembly JS API used here, typed locally: the project's `lib` (ES2022, no DOM) does not
 * declare it, and the engine may not depend on Node's or the DOM's typings.
 */
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The module's exports (generate.mjs describes each function). */
interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  expRowsF32: KernelFn;
  expRowsF64: KernelFn;
  rowMaxF32: MaxFn;
  rowMaxF32W: MaxFn;
  rowMaxF64: MaxFn;
  rowMaxF64W: MaxFn;
  lseInv: (mx: number, se: number, lse: number, inv: number, nr: number) => void;
  exp: (x: number, out: number, nr: number) => void;
  diceSums: DiceFn;
  diceSumsSquared: DiceFn;
  diceSumsBuckets: DiceFn;
  diceSumsMoments: DiceFn;
  positionSumsF32: PosFn;
  positionSumsF64: PosFn;
  log: (x: number, out: number, nr: number) => void;
  log1p: (x: number, out: number, nr: number) => void;
  focalSumsF32: (
    x: number, xStride: number, yy: number, kFirst: number, C: number, n: number, out: number,
    kOn: number, kOff: number, tOn: number, tOff: number, aT1: number, aT0: number, aTOn: number, aTOff: number,
  ) => void;
  rowStatsF32: RowFn;
  rowStatsF32W: RowFn;
  rowStatsBf16: RowFn;
  rowStatsBf16W: RowFn;
  rowStatsF64: RowFn;
  rowStatsF64W: RowFn;
}

/** Positions per iteration of the focal function: it takes n rounded down to a multiple of this. */
export const WASM_FOCAL_STEP = FOCAL_STEP;

/** The constants of the focal function (focalSums.ts `focalIndexSigmoid` names them). */
export interface FocalConstants {
  kOn: number;
  kOff: number;
  on: number;
  off: number;
  a1: number;
  a0: number;
  aOn: number;
  aOff: number;
}

type DiceFn = (ex: number, exStride: number, inv: number, yy: number, C: number, n: number, nr: number, out: number, cst: number, bkt: number, K1: number) => void;


/** The ε sweep of {@link SoftmaxBlockKernel.diceIndex}: none, the squared moments, or the uniform grid's buckets. */
export type DiceSweep = 'none' | 'moments' | 'buckets';

type PosFn = (x: number, xStride: number, yy: number, lse: number, sx: number, sxw: number, inv: number, am: number, n: number, C: number, w: number, weighted: number, wTotal: number, index: number, acc: number) => void;

/** The per-position sums of a pass that {@link SoftmaxBlockKernel.flushPositions} adds into (the Accumulators' fields). */
export interface PositionSums {
  classElems: Float64Array;
  classNll: Float64Array;
  classSmooth: Float64Array;
  classSmoothW: Float64Array;
  confusion: Float64Array;
  calCount: Float64Array;
  calConf: Float64Array;
  calCorrect: Float64Array;
}

type MaxFn = (x: number, xStride: number, C: number, nr: number, w: number, mx: number, am: number, sx: number, sxw: number, cnt: number) => void;

const PAGE = 65536;

/** Blocks shorter than this take the JS loop: the call and the copies cost more than they save (crossover ~16). */
export const WASM_MIN_POSITIONS = 32;

/**
 * Most classes for which the kernel also gathers the per-position sums: their region holds the C × C
 * confusion matrix in float64 (1024 classes: 8 MiB); above it the pass keeps its JS loop for them.
 */
export const WASM_POS_MAX_CLASSES = 1024;

/** Most classes the kernel takes: two C × stride float64 regions (C = 4096, stride 512: 32 MiB), plus C weights. */
export const WASM_MAX_CLASSES = 4096;

/**
 * Most classes the row-major kernel ({@link softmaxRowKernel}) takes: one float64 row of them is 32 MiB (a
 * vocabulary of 152k classes takes 1.2 MiB).
 */
export const WASM_MAX_VOCAB = 1 << 22;
/** Bytes of rows the row-major kernel holds at once: a few rows, so that each stays in cache between its maximum and exp passes. */
export const ROW_BLOCK_BYTES = 1 << 18;
/** Rows per call of the row-major kernel at most (its per-row results). */
const ROW_KERNEL_ROWS = 128;

function decodeBase64(s: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const val = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) val[alphabet.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let nbits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    bits = ((bits << 6) | val[clean.charCodeAt(i)]!) & 0xffffff;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (bits >> nbits) & 0xff;
    }
  }
  return out;
}

/**
 * The smallest module using a SIMD instruction (`(func (result v128) (v128.const i64x2 0 0))`):
 * `WebAssembly.validate` on it says whether this engine has fixed-width SIMD.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this JS engine runs WebAssembly with fixed-width SIMD. */
export function wasmSimdSupported(): boolean {
  try {
    return typeof wasmApi === 'object' && wasmApi !== null && typeof wasmApi.validate === 'function' && wasmApi.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * One instance of the kernel, its memory laid out for a block stride and a class count. After
 * {@link prepare}, the block's results are read through the views `am`, `sx`, `sxw`, `lse`, `inv`, `ex`
 * (indices as the JS pass's scratch arrays: position i, and k·stride + i for `ex`) and the counts `nan`, `inf`.
 */
export class SoftmaxBlockKernel {
  private readonly fns: KernelExports;
  /** Positions per block row (the fused pass's BLOCK). */
  readonly stride: number;
  private readonly step: number;
  private classes = 0;
  private off = { mx: 0, se: 0, lse: 0, inv: 0, sx: 0, sxw: 0, am: 0, xy: 0, rank: 0, cnt: 0, w: 0, x: 0, ex: 0, yy: 0, dice: 0, cst: 0, bkt: 0, pos: 0 };
  /** Bytes of the logits region (C rows of `stride` float64, plus room for the row-major rows' padding). */
  private xBytes = 0;
  private posV!: Float64Array;
  /** Whether the block last prepared had float32 logits (the per-position sums read its rows). */
  private lastF32 = true;
  /** (class, bucket) pairs the bucket region holds per lane copy. */
  private bucketSlots = 0;
  /** f64x2 slots per class in {@link diceSums} (see `DICE_SLOT` in softmaxBlockLayout.ts). */
  readonly diceSlots = DICE_SLOTS;
  private readonly bucketCopies = BUCKET_COPIES;
  private cstV!: Float64Array;
  private bktV!: Float64Array;
  /** The hard class per position of the block for {@link diceIndex} (−1 ignored); the caller writes [0, n). */
  yy!: Int32Array;
  /** Per-class Dice sums after {@link diceIndex}: class k's slot s at 2·(k·slots + s) and the next (two lanes). */
  diceSums!: Float64Array;
  private mem!: ArrayBuffer;
  private x16!: Uint16Array;
  private x32!: Float32Array;
  private x64!: Float64Array;
  private cntV!: Int32Array;
  private wV!: Float64Array;
  /** The weights last copied into the module (copied again when another array is passed). */
  private lastW: Float64Array | null = null;
  /** Row maximum and Σ_k exp(x_k − max) per position (after {@link prepare}). */
  mx!: Float64Array;
  se!: Float64Array;
  /** First maximum's class per position. */
  am!: Int32Array;
  /** Σ_k x_k and Σ_k w_k·x_k per position. */
  sx!: Float64Array;
  sxw!: Float64Array;
  /** log Σ_k exp(x_k) = m + log Σ_k exp(x_k − m), and 1 / Σ_k exp(x_k − m), per position. */
  lse!: Float64Array;
  inv!: Float64Array;
  /** exp(x_k − m) at k·stride + i (when asked for). */
  ex!: Float64Array;
  /** After {@link prepareRowMajor}: per row the target's logit x_y and how many classes lie strictly above it (0 without a target). */
  xy!: Float64Array;
  rank!: Int32Array;
  /** NaN and ±Inf logits in the block. */
  nan = 0;
  inf = 0;

  /**
   * `rowsOnly`: an instance for {@link prepareRowMajor} alone — its memory holds the per-row results, the
   * weights and {@link ROW_BLOCK_BYTES} of rows (or one row), and none of the regions the block functions use.
   */
  constructor(module: WasmModule, stride: number, private readonly rowsOnly = false) {
    this.fns = new wasmApi!.Instance(module, {}).exports as KernelExports;
    this.step = KERNEL_STEP;
    if (!(stride > 0) || stride % this.step !== 0) throw new Error(`softmax block kernel: block stride ${stride} is not a positive multiple of ${this.step}`);
    this.stride = stride;
    this.layout(1, 0);
  }

  /**
   * Lays the memory out for C classes — per position mx, se, lse, inv, sx, sxw (float64) and am (int32), the
   * two counts, C weights, C rows of logits (float64 or float32) and C rows of exp — growing it when needed.
   * False when it cannot grow.
   */
  reserve(C: number): boolean {
    if (C <= this.classes) return true;
    if (C > (this.rowsOnly ? WASM_MAX_VOCAB : WASM_MAX_CLASSES)) return false;
    try {
      this.layout(C, this.bucketSlots);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Room for the ε-sweep buckets of C classes and K1 buckets (two lane copies of C·K1 pairs of float64),
   * zeroed. False when the memory cannot grow.
   */
  reserveBuckets(C: number, K1: number): boolean {
    if (!this.reserve(C)) return false;
    if (C * K1 > this.bucketSlots) {
      try {
        this.layout(this.classes, C * K1);
      } catch {
        return false;
      }
    }
    this.bktV.fill(0);
    return true;
  }

  private layout(C: number, bucketSlots: number): void {
    const s = this.stride;
    const line = (bytes: number) => Math.ceil(bytes / 64) * 64;
    let at = HEAP_BASE;
    const take = (bytes: number) => {
      const o = at;
      at += line(bytes);
      return o;
    };
    const o = this.off;
    o.mx = take(s * 8);
    o.se = take(s * 8);
    o.lse = take(s * 8);
    o.inv = take(s * 8);
    o.sx = take(s * 8);
    o.sxw = take(s * 8);
    o.am = take(s * 4);
    o.xy = take(s * 8);
    o.rank = take(s * 4);
    o.cnt = take(8);
    o.w = take(C * 8);
    // block functions: C rows of `stride` float64; row-major rows: padded to ROW_PAD values
    this.xBytes = this.rowsOnly ? Math.max(ROW_BLOCK_BYTES, (C + ROW_PAD) * 8) : (C + ROW_PAD) * s * 8;
    o.x = take(this.xBytes);
    o.yy = take(s * 4);
    const blocks = this.rowsOnly ? 0 : 1;
    o.ex = take(blocks * C * s * 8);
    o.dice = take(blocks * C * this.diceSlots * 16);
    o.cst = take(blocks * DICE_CONSTANT_SLOTS * 8);
    o.bkt = take(blocks * bucketSlots * 16 * this.bucketCopies);
    const pc = blocks * Math.min(C, WASM_POS_MAX_CLASSES);
    o.pos = take(blocks * (CLASS_FIRST + CLASS_RECORD_SLOTS * pc + pc * pc) * 8);
    const memory = this.fns.memory;
    if (memory.buffer.byteLength < at) memory.grow(Math.ceil((at - memory.buffer.byteLength) / PAGE));
    this.classes = C;
    this.bucketSlots = bucketSlots;
    this.lastW = null;
    this.views();
  }

  /** Views on the module's memory (again after a growth, which detaches the old buffer). */
  private views(): void {
    const buf = this.fns.memory.buffer;
    this.mem = buf;
    const s = this.stride;
    const o = this.off;
    const C = this.classes;
    this.mx = new Float64Array(buf, o.mx, s);
    this.se = new Float64Array(buf, o.se, s);
    this.lse = new Float64Array(buf, o.lse, s);
    this.inv = new Float64Array(buf, o.inv, s);
    this.sx = new Float64Array(buf, o.sx, s);
    this.sxw = new Float64Array(buf, o.sxw, s);
    this.am = new Int32Array(buf, o.am, s);
    this.xy = new Float64Array(buf, o.xy, s);
    this.rank = new Int32Array(buf, o.rank, s);
    this.cntV = new Int32Array(buf, o.cnt, 2);
    this.wV = new Float64Array(buf, o.w, C);
    this.x16 = new Uint16Array(buf, o.x, this.xBytes / 2);
    this.x32 = new Float32Array(buf, o.x, this.xBytes / 4);
    this.x64 = new Float64Array(buf, o.x, this.xBytes / 8);
    this.yy = new Int32Array(buf, o.yy, s);
    const blocks = this.rowsOnly ? 0 : 1;
    this.ex = new Float64Array(buf, o.ex, blocks * C * s);
    this.diceSums = new Float64Array(buf, o.dice, blocks * C * this.diceSlots * 2);
    this.cstV = new Float64Array(buf, o.cst, blocks * DICE_CONSTANT_SLOTS);
    this.bktV = new Float64Array(buf, o.bkt, blocks * this.bucketSlots * 2 * this.bucketCopies);
    const pc = blocks * Math.min(C, WASM_POS_MAX_CLASSES);
    this.posV = new Float64Array(buf, o.pos, blocks * (CLASS_FIRST + CLASS_RECORD_SLOTS * pc + pc * pc));
  }

  /**
   * The per-class Dice sums of the block last {@link prepare}d (with `keepEx`) for class-index targets with
   * softmax: p = ex_k·inv, t = (yy == k), y_s = (1 − ε)·t + ε/C, over n positions; results in
   * {@link diceSums}. `sweep` 'buckets' (not squared; uniform grid of K + 1 = K1 buckets, after
   * {@link reserveBuckets}) adds each value's (sign(v)·u, |v|) into its bucket floor(u·scale) + 1 clamped to
   * [0, K] (scale: scaleOn where t = 1, else scaleOff), kept in the module until {@link flushBuckets}.
   * The caller fills {@link yy} for [0, n) first.
   */
  diceIndex(C: number, n: number, squared: boolean, sweep: DiceSweep, eps: number, scaleOn: number, scaleOff: number, K1: number): void {
    if (this.mem !== this.fns.memory.buffer) this.views();
    const nr = Math.ceil(n / this.step) * this.step;
    this.yy.fill(-2, n, nr);
    const c = this.cstV;
    const invC = 1 / C;
    c[DICE_CONSTANT.offTarget] = eps * invC;
    c[DICE_CONSTANT.keep] = 1 - eps;
    c[DICE_CONSTANT.invC] = invC;
    c[DICE_CONSTANT.scaleOn] = scaleOn;
    c[DICE_CONSTANT.scaleOff] = scaleOff;
    c[DICE_CONSTANT.lastBucket] = K1 - 1;
    const f = this.fns;
    const fn = sweep === 'buckets' ? f.diceSumsBuckets : sweep === 'moments' ? f.diceSumsMoments : squared ? f.diceSumsSquared : f.diceSums;
    const o = this.off;
    fn(o.ex, this.stride * 8, o.inv, o.yy, C, n, nr, o.dice, o.cst, o.bkt, K1);
  }

  /**
   * Adds the buckets gathered since {@link reserveBuckets} (C classes, K1 buckets, every copy) into
   * `su`/`sv` from index `at` (class k's bucket j at at + k·K1 + j), and zeroes them.
   */
  flushBuckets(C: number, K1: number, su: Float64Array, sv: Float64Array, at: number): void {
    if (this.mem !== this.fns.memory.buffer) this.views();
    const b = this.bktV;
    const m = C * K1;
    const copies = this.bucketCopies;
    for (let j = 0; j < m; j++) {
      let u = b[2 * j]!;
      let v = b[2 * j + 1]!;
      for (let c = 1; c < copies; c++) {
        u += b[2 * (c * m + j)]!;
        v += b[2 * (c * m + j) + 1]!;
      }
      su[at + j]! += u;
      sv[at + j]! += v;
    }
    b.fill(0, 0, 2 * copies * m);
  }

  /**
   * One block: logits `x` `(B, C, S)` from offset `xb` = (b, 0, s0), n ≤ stride positions; `w` the class
   * weights (null: unweighted, `sxw` is not written); `keepEx`: write `ex`. Copies the block's C rows into the
   * module's memory once, then runs the maximum pass, the exp-and-sum and the lse/inverse there.
   * Call {@link reserve} for C first.
   */
  prepare(x: FloatData, xb: number, S: number, C: number, n: number, w: Float64Array | null, keepEx: boolean): void {
    const { dst, s, nr, f32 } = this.destination(x, C, n);
    for (let k = 0; k < C; k++) {
      const o = xb + k * S;
      dst.set(x.subarray(o, o + n), k * s);
    }
    this.compute(C, n, nr, w, keepEx, f32);
  }

  /**
   * {@link prepare} for n consecutive ROWS of `(N, C)` logits starting at row `e0` (one position each, classes
   * side by side): the block is transposed into the kernel's class-major layout while it is copied in, so
   * classification batches get the kernel too (their (B, C, S) view has S = 1: one position per block).
   */
  prepareRows(x: FloatData, e0: number, C: number, n: number, w: Float64Array | null, keepEx: boolean): void {
    const { dst, s, nr, f32 } = this.destination(x, C, n);
    for (let i = 0; i < n; i++) {
      const row = (e0 + i) * C;
      for (let k = 0; k < C; k++) dst[k * s + i] = x[row + k]!;
    }
    this.compute(C, n, nr, w, keepEx, f32);
  }

  /**
   * Rows of C values of this dtype that one {@link prepareRowMajor} call takes (each padded to a multiple of
   * ROW_PAD values): as many as {@link ROW_BLOCK_BYTES} hold, at least one.
   */
  rowsFit(C: number, dtype: LogitValues['dtype']): number {
    return Math.max(1, Math.min(this.stride, Math.floor(Math.min(this.xBytes, ROW_BLOCK_BYTES) / rowBytesOf(C, dtype))));
  }

  /**
   * The preparation for n consecutive ROWS of `(N, C)` logits from row `e0`, read row-major in their own dtype:
   * each row is copied in with one `set` (float16 widened to float32 on the way), padded with −Inf, and the
   * kernel computes per row the maximum and first argmax, Σx, Σw·x, the target's logit ({@link xy}) and rank
   * ({@link rank}) for the classes the caller wrote into {@link yy}, Σ exp(x − max), then lse and 1/Σ. Bfloat16
   * rows are widened inside the kernel, so bfloat16 logits never take float32 room outside one block.
   * n ≤ {@link rowsFit}; call {@link reserve} for C first.
   */
  prepareRowMajor(v: LogitValues, e0: number, C: number, n: number, w: Float64Array | null): void {
    if (C > this.classes) throw new Error(`softmax block kernel: ${C} classes, memory laid out for ${this.classes}`);
    if (n > this.rowsFit(C, v.dtype)) throw new Error(`softmax block kernel: ${n} rows of ${C} classes do not fit its memory`);
    if (this.mem !== this.fns.memory.buffer) this.views();
    const rowBytes = rowBytesOf(C, v.dtype);
    switch (v.dtype) {
      case 'bfloat16':
        copyRows(v.data, this.x16, e0, C, n, rowBytes / 2, 0xff80); // 0xff80: bfloat16 −Inf
        break;
      case 'float16': {
        const tab = float16Table();
        const src = v.data;
        const dst = this.x32;
        const row = rowBytes / 4;
        for (let i = 0; i < n; i++) {
          const s0 = (e0 + i) * C;
          const d0 = i * row;
          for (let k = 0; k < C; k++) dst[d0 + k] = tab[src[s0 + k]!]!;
          dst.fill(-Infinity, d0 + C, d0 + row);
        }
        break;
      }
      case 'float32':
        copyRows(v.data, this.x32, e0, C, n, rowBytes / 4, -Infinity);
        break;
      default:
        copyRows(v.data, this.x64, e0, C, n, rowBytes / 8, -Infinity);
    }
    const f = this.fns;
    const o = this.off;
    const bf16 = v.dtype === 'bfloat16';
    const f64 = v.dtype === 'float64';
    if (w && w !== this.lastW) {
      this.wV.set(w.length === C ? w : w.subarray(0, C));
      this.lastW = w;
    }
    const fn = w ? (bf16 ? f.rowStatsBf16W : f64 ? f.rowStatsF64W : f.rowStatsF32W) : bf16 ? f.rowStatsBf16 : f64 ? f.rowStatsF64 : f.rowStatsF32;
    fn(o.x, rowBytes, C, n, o.yy, o.w, o.mx, o.am, o.sx, o.sxw, o.se, o.xy, o.rank, o.cnt);
    this.nan = this.cntV[0]!;
    this.inf = this.cntV[1]!;
    const nr = Math.ceil(n / this.step) * this.step;
    if (n < nr) {
      this.mx.fill(0, n, nr);
      this.se.fill(1, n, nr);
    }
    f.lseInv(o.mx, o.se, o.lse, o.inv, nr);
  }

  /** Where a block of C classes × n positions goes in the module's memory, for the dtype of `x`. */
  private destination(x: FloatData, C: number, n: number): { dst: Float32Array | Float64Array; s: number; nr: number; f32: boolean } {
    if (C > this.classes) throw new Error(`softmax block kernel: ${C} classes, memory laid out for ${this.classes}`);
    if (this.mem !== this.fns.memory.buffer) this.views();
    const f32 = x instanceof Float32Array;
    this.lastF32 = f32;
    return { dst: f32 ? this.x32 : this.x64, s: this.stride, nr: Math.ceil(n / this.step) * this.step, f32 };
  }

  /** The maximum pass, exp-and-sum and lse/inverse over the block in memory (n positions, padded to nr). */
  private compute(C: number, n: number, nr: number, w: Float64Array | null, keepEx: boolean, f32: boolean): void {
    const s = this.stride;
    // the padding up to nr is read: zeros count as finite and their results are ignored
    if (n < nr) {
      const dst = f32 ? this.x32 : this.x64;
      for (let k = 0; k < C; k++) dst.fill(0, k * s + n, k * s + nr);
    }
    const o = this.off;
    const fns = this.fns;
    const xStride = s * (f32 ? 4 : 8);
    if (w) {
      if (w !== this.lastW) {
        this.wV.set(w.length === C ? w : w.subarray(0, C));
        this.lastW = w;
      }
      (f32 ? fns.rowMaxF32W : fns.rowMaxF64W)(o.x, xStride, C, nr, o.w, o.mx, o.am, o.sx, o.sxw, o.cnt);
    } else (f32 ? fns.rowMaxF32 : fns.rowMaxF64)(o.x, xStride, C, nr, o.w, o.mx, o.am, o.sx, o.sxw, o.cnt);
    this.nan = this.cntV[0]!;
    this.inf = this.cntV[1]!;
    (f32 ? fns.expRowsF32 : fns.expRowsF64)(o.x, xStride, o.mx, o.se, o.ex, s * 8, C, nr, keepEx ? 1 : 0);
    fns.lseInv(o.mx, o.se, o.lse, o.inv, nr);
  }

  /** Whether the block last {@link prepare}d holds float32 logits (what {@link focalIndex} reads). */
  get preparedF32(): boolean {
    return this.lastF32;
  }

  /**
   * The sigmoid focal sums (γ = 2) of the block last {@link prepare}d from float32 logits, for the class-index
   * targets in {@link yy}, over positions [0, n) with n a multiple of {@link WASM_FOCAL_STEP}: adds, per class
   * k in [c0, C), the hard and the smoothed sums into focalH[k] and focalS[k].
   */
  focalIndex(c0: number, C: number, n: number, c: FocalConstants, focalH: Float64Array, focalS: Float64Array): void {
    if (this.mem !== this.fns.memory.buffer) this.views();
    const o = this.off;
    this.fns.focalSumsF32(o.x, this.stride * 4, o.yy, c0, C, n, o.dice, c.kOn, c.kOff, c.on, c.off, c.a1, c.a0, c.aOn, c.aOff);
    const r = this.diceSums; // the Dice sums' region, free until diceIndex
    const hard = 2 * FOCAL_SLOT.hard;
    const smoothed = 2 * FOCAL_SLOT.smoothed;
    for (let k = c0; k < C; k++) {
      const o = 2 * FOCAL_SLOTS * k;
      focalH[k]! += r[o + hard]! + r[o + hard + 1]!;
      focalS[k]! += r[o + smoothed]! + r[o + smoothed + 1]!;
    }
  }

  /** Whether {@link positions} takes C classes (its region is laid out for up to {@link WASM_POS_MAX_CLASSES}). */
  positionsFit(C: number): boolean {
    return C <= Math.min(this.classes, WASM_POS_MAX_CLASSES);
  }

  /** Zeroes the per-position sums (before the first {@link positions} of a pass). */
  resetPositions(): void {
    if (this.mem !== this.fns.memory.buffer) this.views();
    this.posV.fill(0);
  }

  /**
   * The per-position sums of the block last {@link prepare}d, for the hard classes in {@link yy} [0, n)
   * (−1: none): per class the count, Σ −log q_y, Σ Σ_k −log q_k and its weighted form (W·lse − Σw·x,
   * W = `wTotal`, when `weighted`), the confusion matrix and the calibration bins; with `index` also kept,
   * Σ w_y·(−log q_y), Σ (smoothed, weighted), Σ w_y. Kept in the module until {@link flushPositions}.
   */
  positions(C: number, n: number, weighted: boolean, wTotal: number, index: boolean): void {
    if (this.mem !== this.fns.memory.buffer) this.views();
    const o = this.off;
    const f32 = this.lastF32;
    (f32 ? this.fns.positionSumsF32 : this.fns.positionSumsF64)(o.x, this.stride * (f32 ? 4 : 8), o.yy, o.lse, o.sx, o.sxw, o.inv, o.am, n, C, o.w, weighted ? 1 : 0, wTotal, index ? 1 : 0, o.pos);
  }

  /**
   * Adds the per-position sums gathered since {@link resetPositions} into `acc` (C classes) and returns the
   * scalars: kept, Σ w_y·(−log q_y), Σ Σ_k w_k·(−log q_k), Σ w_y.
   */
  flushPositions(C: number, acc: PositionSums): { kept: number; nllW: number; smoothW: number; weightSum: number } {
    if (this.mem !== this.fns.memory.buffer) this.views();
    const v = this.posV;
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      const r = CALIBRATION_FIRST + CALIBRATION_RECORD_SLOTS * b;
      acc.calCount[b]! += v[r + CALIBRATION_RECORD.count]!;
      acc.calConf[b]! += v[r + CALIBRATION_RECORD.confidence]!;
      acc.calCorrect[b]! += v[r + CALIBRATION_RECORD.correct]!;
    }
    for (let y = 0; y < C; y++) {
      const r = CLASS_FIRST + CLASS_RECORD_SLOTS * y;
      acc.classElems[y]! += v[r + CLASS_RECORD.elements]!;
      acc.classNll[y]! += v[r + CLASS_RECORD.nll]!;
      acc.classSmooth[y]! += v[r + CLASS_RECORD.smooth]!;
      acc.classSmoothW[y]! += v[r + CLASS_RECORD.smoothWeighted]!;
    }
    const cf = CLASS_FIRST + CLASS_RECORD_SLOTS * C;
    for (let j = 0; j < C * C; j++) acc.confusion[j]! += v[cf + j]!;
    return { kept: v[POSITION_SLOT.kept]!, nllW: v[POSITION_SLOT.nllWeighted]!, smoothW: v[POSITION_SLOT.smoothWeighted]!, weightSum: v[POSITION_SLOT.weightSum]! };
  }

  /** exp of every value, into `out` (to test and time the exp alone). */
  exp(values: Float64Array, out: Float64Array = new Float64Array(values.length)): Float64Array {
    return this.elementwise(this.fns.exp, values, out);
  }

  /** log of every value, into `out` (to test and time the log alone; valid for positive normal values and NaN). */
  log(values: Float64Array, out: Float64Array = new Float64Array(values.length)): Float64Array {
    return this.elementwise(this.fns.log, values, out);
  }

  /** log1p of every value, into `out` (to test the focal term's log1p alone; valid on [0, 1] and NaN). */
  log1p(values: Float64Array, out: Float64Array = new Float64Array(values.length)): Float64Array {
    return this.elementwise(this.fns.log1p, values, out);
  }

  private elementwise(fn: (x: number, out: number, nr: number) => void, values: Float64Array, out: Float64Array): Float64Array {
    const chunk = this.classes * this.stride;
    for (let o = 0; o < values.length; o += chunk) {
      const m = Math.min(chunk, values.length - o);
      if (this.mem !== this.fns.memory.buffer) this.views();
      this.x64.set(values.subarray(o, o + m));
      fn(this.off.x, this.off.ex, Math.ceil(m / this.step) * this.step);
      out.set(this.ex.subarray(0, m), o);
    }
    return out;
  }
}

/** Bytes of one row-major row of C values in the kernel: padded to a multiple of ROW_PAD values (float16 held as float32). */
function rowBytesOf(C: number, dtype: LogitValues['dtype']): number {
  const item = dtype === 'bfloat16' ? 2 : dtype === 'float64' ? 8 : 4;
  return Math.ceil(C / ROW_PAD) * ROW_PAD * item;
}

/** n rows of C values from row e0 of `src` into `dst` at `row` values apart, each padded with `pad`. */
function copyRows<T extends Uint16Array | Float32Array | Float64Array>(src: T, dst: T, e0: number, C: number, n: number, row: number, pad: number): void {
  for (let i = 0; i < n; i++) {
    const s0 = (e0 + i) * C;
    const d0 = i * row;
    dst.set(src.subarray(s0, s0 + C) as never, d0);
    dst.fill(pad, d0 + C, d0 + row);
  }
}

/** undefined: not tried yet; null: no WebAssembly SIMD here (or the module failed to compile). */
let compiled: WasmModule | null | undefined;
const kernels = new Map<number, SoftmaxBlockKernel>();
let rowKernel: SoftmaxBlockKernel | null = null;

function envForcesJs(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.LOSS_INSPECTOR_NO_WASM;
  return v !== undefined && v !== '' && v !== '0';
}

let enabled = !envForcesJs();

/** Turns the WebAssembly kernel on or off for this thread (off: the fused pass runs its Math.exp loop). */
export function setWasmKernel(on: boolean): void {
  enabled = on;
}

/** Whether the fused pass would use the WebAssembly kernel on this thread. */
export function wasmKernelActive(): boolean {
  return enabled && compiledModule() !== null;
}

function compiledModule(): WasmModule | null {
  if (compiled === undefined) {
    let m: WasmModule | null = null;
    if (wasmSimdSupported()) {
      try {
        m = new wasmApi!.Module(decodeBase64(SOFTMAX_BLOCK_BASE64));
      } catch {
        m = null;
      }
    }
    compiled = m;
  }
  return compiled;
}

/**
 * The kernel for this block stride with room for C classes, or null: no WebAssembly SIMD here, the JS path
 * is forced, or C classes do not fit.
 */
export function softmaxBlockKernel(stride: number, C = 1): SoftmaxBlockKernel | null {
  if (!enabled) return null;
  let k = kernels.get(stride);
  if (!k) {
    const m = compiledModule();
    if (!m) return null;
    k = new SoftmaxBlockKernel(m, stride);
    kernels.set(stride, k);
  }
  return k.reserve(C) ? k : null;
}

/**
 * The row-major kernel of this thread ({@link SoftmaxBlockKernel.prepareRowMajor} only) with room for C classes,
 * or null: no WebAssembly SIMD here, the JS path is forced, or C is above {@link WASM_MAX_VOCAB}.
 */
export function softmaxRowKernel(C: number): SoftmaxBlockKernel | null {
  if (!enabled) return null;
  if (!rowKernel) {
    const m = compiledModule();
    if (!m) return null;
    rowKernel = new SoftmaxBlockKernel(m, ROW_KERNEL_ROWS, true);
  }
  return rowKernel.reserve(C) ? rowKernel : null;
}
