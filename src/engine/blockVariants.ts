/**
 * The two ways the blocked pass runs phases 2–4 of a block (preparation, per-class sums, per-position sums),
 * behind one interface, {@link BlockVariant}: the JS loops of blockPhases.ts ({@link JsBlocks}), and the
 * WebAssembly softmax block kernel ({@link KernelBlocks}, wasm/softmaxBlock.ts), which copies the block into its
 * memory once and falls back to the JS per-class or per-position loops, reading its own views, for the sums it
 * does not gather. Both give the same sums to a few 1e-16 (engine-wasm.test.ts).
 */
import type { Accumulators, AccumulateConfig, PassScalars } from './accumulators';
import { BLOCK, ROW_BLOCK, type BlockAt, type BlockPlan, type PreparedBlock } from './blockPlan';
import { classSumsJs, JsBlockScratch, keepRows, keepRowsRanked, positionSumsJs, prepareBlockJs } from './blockPhases';
import type { PreparedLogits, PreparedTarget } from './layout';
import { softmaxBlockKernel, softmaxRowKernel, WASM_MIN_POSITIONS, type SoftmaxBlockKernel } from './wasm/softmaxBlock';
import { DICE_SLOT, DICE_SLOTS } from './wasm/softmaxBlockLayout';

/** One way to run a block's phases. The pass writes the block's hard classes into {@link yy} first. */
export interface BlockVariant {
  readonly yy: Int32Array;
  /** The kernel holding the block, for the focal sums (null: the JS variant, or rows mode). */
  readonly focalKernel: SoftmaxBlockKernel | null;
  /** Phase 2: the block's per-position statistics (NaN/Inf counts into `sc`). */
  prepare(at: BlockAt, sc: PassScalars): PreparedBlock;
  /** Phase 3: float-target CE sums and Dice sums per class. */
  classSums(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void;
  /** Phase 4: CE by class, confusion, calibration (torch's weighted CE pieces as running sums in `sc`). */
  positionSums(at: BlockAt, blk: PreparedBlock, sc: PassScalars, acc: Accumulators): void;
  /** Phase 5, rows of `(N, C)` logits: the per-row values of a language-model report. */
  rowValues(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void;
}

/**
 * Classes from which the rows of an (N, C) batch are read row-major by the kernel (below, a block of rows is
 * transposed while copied in, and the kernel works positions side by side).
 */
export const ROW_MAJOR_MIN_CLASSES = 64;

/** What decides whether the pass reads rows row-major. */
type RowMajorCase = Pick<BlockPlan, 'C' | 'S' | 'kindIndex' | 'doDice' | 'focal'>;

/**
 * Whether a pass is one whose rows the kernel reads row-major (where it runs and C fits it): CE of an (N, C)
 * batch with class indices, no Dice or focal term, at least {@link ROW_MAJOR_MIN_CLASSES} classes. Its per-position
 * sums then run in the JS loop, which counts the confusion in either form (report.ts chooses pairs for it).
 */
export function rowMajorCase(c: RowMajorCase): boolean {
  return rowsOnlyCase(c) && c.C >= ROW_MAJOR_MIN_CLASSES;
}

/** CE of an (N, C) batch with class indices and no Dice or focal term: a block of the pass is consecutive rows. */
function rowsOnlyCase(c: RowMajorCase): boolean {
  return c.S === 1 && c.kindIndex && !c.doDice && !c.focal;
}

/** The kernel that reads this pass's rows row-major ({@link rowMajorCase}), or null: not such a pass, no kernel here, or C too large. */
function rowMajorKernel(c: RowMajorCase): SoftmaxBlockKernel | null {
  return rowMajorCase(c) ? softmaxRowKernel(c.C) : null;
}

/**
 * Whether the fused pass reads this pair's logits as stored (row-major, half-precision bits included) rather than
 * as float32/float64: the parallel runner decodes half-precision logits once before sharing them only when not.
 */
export function passReadsStoredValues(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig): boolean {
  if (lg.values.dtype === 'float32' || lg.values.dtype === 'float64') return true;
  return lg.C > 1 && rowMajorKernel({ C: lg.C, S: lg.S, kindIndex: tg.kind === 'index', doDice: cfg.dice, focal: cfg.focal }) !== null;
}

/** The JS loops. */
export class JsBlocks implements BlockVariant {
  private readonly scratch: JsBlockScratch;
  /** The prediction of the class being summed, per position (the ε sweep reads it again). */
  private readonly pk = new Float64Array(BLOCK);
  readonly focalKernel = null;
  constructor(private readonly p: BlockPlan) {
    this.scratch = new JsBlockScratch(p.C, p.keepExp);
  }
  get yy(): Int32Array {
    return this.scratch.yy;
  }
  prepare(at: BlockAt, sc: PassScalars): PreparedBlock {
    prepareBlockJs(this.p, this.scratch, at, sc);
    return this.scratch;
  }
  classSums(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void {
    if (this.p.doDice || !this.p.kindIndex) classSumsJs(this.p, blk, this.yy, at, acc, this.pk);
  }
  positionSums(at: BlockAt, blk: PreparedBlock, sc: PassScalars, acc: Accumulators): void {
    positionSumsJs(this.p, blk, this.yy, at, sc, acc);
  }
  rowValues(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void {
    keepRows(acc, this.p.x, this.p.C, at.e, at.n, this.yy, blk.lse, blk.sx);
  }
}

/** Float64 offsets, in a class's record of the kernel's Dice sums, of the slots the pass reads (two lanes each). */
const DICE_AT = {
  pred: 2 * DICE_SLOT.predSum,
  overlap: 2 * DICE_SLOT.overlapSum,
  target: 2 * DICE_SLOT.targetSum,
  predPow: 2 * DICE_SLOT.predPow,
  smoothTargetPow: 2 * DICE_SLOT.smoothTargetPow,
  smoothDiffPow: 2 * DICE_SLOT.smoothDiffPow,
  errorSq: 2 * DICE_SLOT.errorSq,
  shift: 2 * DICE_SLOT.shiftSum,
  errorShift: 2 * DICE_SLOT.errorShift,
  shiftSq: 2 * DICE_SLOT.shiftSq,
  targetShift: 2 * DICE_SLOT.targetShift,
} as const;

/**
 * The WebAssembly kernel, for the blocks it takes ({@link take}). It keeps between blocks the per-position sums
 * (in the kernel's memory for the whole pass) and the ε sweep's buckets (for one batch item), added into the
 * accumulators by {@link finish}.
 */
export class KernelBlocks implements BlockVariant {
  /**
   * (N, C) classification with class indices and no Dice or focal term: a block is consecutive rows (with S = 1 a
   * block of positions would hold a single row). From ROW_MAJOR_MIN_CLASSES classes the kernel reads the rows
   * as they are stored ({@link rowMajor}: half-precision bits included) and the JS loop gathers the per-position
   * sums from its per-row results; below, ROW_BLOCK rows are transposed while copied in and the kernel gathers
   * the per-position sums too.
   */
  readonly rowMode: boolean;
  readonly rowsPerBlock: number;
  private readonly rowKernel: SoftmaxBlockKernel | null;
  private readonly rowMajor: boolean;
  /** Class-index targets with softmax: the kernel also gathers the per-class Dice sums (and a uniform grid's buckets). */
  private readonly wasmDice: boolean;
  private readonly bucketKernel: SoftmaxBlockKernel | null = null;
  /** The batch item whose buckets the bucket kernel holds (−1: none yet). */
  private bucketB = -1;
  /** The kernel that holds this pass's per-position sums, if any block used it. */
  private posKernel: SoftmaxBlockKernel | null = null;
  private kernel!: SoftmaxBlockKernel;
  private readonly pk = new Float64Array(BLOCK);

  constructor(private readonly p: BlockPlan, positions: number) {
    const { C, kindIndex, doDice } = p;
    const rowsOnly = rowsOnlyCase(p);
    const major = rowMajorKernel(p);
    if (major) {
      this.rowKernel = major;
      this.rowsPerBlock = major.rowsFit(C, p.values.dtype);
      this.rowMajor = true;
      this.rowMode = true;
    } else {
      const rowKernel = rowsOnly && positions >= WASM_MIN_POSITIONS ? softmaxBlockKernel(BLOCK, C) : null;
      this.rowKernel = rowKernel;
      this.rowsPerBlock = ROW_BLOCK;
      this.rowMajor = false;
      this.rowMode = rowKernel !== null && rowKernel.positionsFit(C);
    }
    let wasmDice = kindIndex && doDice && p.softmax && (!p.grid || p.squared || p.fastIndexSweep);
    if (wasmDice && p.diceSweep === 'buckets') {
      this.bucketKernel = softmaxBlockKernel(BLOCK, C);
      if (this.bucketKernel && !this.bucketKernel.reserveBuckets(C, p.K1)) wasmDice = false;
    }
    this.wasmDice = wasmDice;
  }

  /** This variant for a block of n positions, or null when the JS loops take it (too short to pay for the call, or no kernel). */
  take(n: number): KernelBlocks | null {
    const k = this.rowMode ? this.rowKernel : n >= WASM_MIN_POSITIONS ? softmaxBlockKernel(BLOCK, this.p.C) : null;
    if (!k) return null;
    this.kernel = k;
    return this;
  }

  get yy(): Int32Array {
    return this.kernel.yy;
  }
  get focalKernel(): SoftmaxBlockKernel | null {
    return this.rowMode ? null : this.kernel;
  }

  prepare(at: BlockAt, sc: PassScalars): PreparedBlock {
    const { p, kernel } = this;
    const w = p.weighted ? p.wArr : null;
    if (this.rowMajor) kernel.prepareRowMajor(p.values, at.e, p.C, at.n, w);
    else if (at.rows) kernel.prepareRows(p.x, at.e, p.C, at.n, w, false);
    else kernel.prepare(p.x, at.xb, p.S, p.C, at.n, w, p.keepExp);
    sc.nanL += kernel.nan;
    sc.infL += kernel.inf;
    return kernel;
  }

  classSums(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void {
    const p = this.p;
    if (this.wasmDice) this.diceSums(at, acc);
    else if (p.doDice || !p.kindIndex) classSumsJs(p, blk, this.yy, at, acc, this.pk);
  }

  /** The kernel's per-class Dice sums of the block, added into the (b, c) accumulators by name. */
  private diceSums(at: BlockAt, acc: Accumulators): void {
    const p = this.p;
    const { C, K1, squared, grid } = p;
    const { kernel, bucketKernel } = this;
    const b = at.b;
    if (bucketKernel && b !== this.bucketB) {
      if (this.bucketB >= 0) bucketKernel.flushBuckets(C, K1, acc.sweepBucketError!, acc.sweepBucketShift!, this.bucketB * C * K1);
      this.bucketB = b;
    }
    kernel.diceIndex(C, at.n, squared, p.diceSweep, p.eps, p.scaleOn, p.scaleOff, K1);
    const r = kernel.diceSums;
    const A = DICE_AT;
    const record = 2 * DICE_SLOTS;
    for (let k = 0; k < C; k++) {
      const bc = b * C + k;
      const o = record * k;
      const target = r[o + A.target]! + r[o + A.target + 1]!;
      const predPow = r[o + A.predPow]! + r[o + A.predPow + 1]!;
      acc.dicePred[bc]! += r[o + A.pred]! + r[o + A.pred + 1]!;
      acc.diceOverlap[bc]! += r[o + A.overlap]! + r[o + A.overlap + 1]!;
      acc.diceTarget[bc]! += target;
      acc.dicePredPow[bc]! += predPow;
      acc.diceSmoothTargetPow[bc]! += r[o + A.smoothTargetPow]! + r[o + A.smoothTargetPow + 1]!;
      acc.diceSmoothDiffPow[bc]! += r[o + A.smoothDiffPow]! + r[o + A.smoothDiffPow + 1]!;
      const errorSq = squared ? r[o + A.errorSq]! + r[o + A.errorSq + 1]! : 0;
      if (squared) {
        acc.dicePredSq[bc]! += predPow; // p·p, as Σ|p|²
        acc.diceTargetSq[bc]! += target; // t·t = t
        acc.diceErrorSq[bc]! += errorSq;
      }
      if (!grid) continue;
      acc.sweepTarget![bc]! += target;
      acc.sweepShift![bc]! += r[o + A.shift]! + r[o + A.shift + 1]!;
      if (squared) {
        acc.sweepErrorSq![bc]! += errorSq;
        acc.sweepErrorShift![bc]! += r[o + A.errorShift]! + r[o + A.errorShift + 1]!;
        acc.sweepShiftSq![bc]! += r[o + A.shiftSq]! + r[o + A.shiftSq + 1]!;
        acc.sweepTargetSq![bc]! += target;
        acc.sweepTargetShift![bc]! += r[o + A.targetShift]! + r[o + A.targetShift + 1]!;
      }
    }
  }

  positionSums(at: BlockAt, blk: PreparedBlock, sc: PassScalars, acc: Accumulators): void {
    const { p, kernel } = this;
    if (this.rowMajor) return positionSumsJs(p, blk, this.yy, at, sc, acc, kernel.xy);
    if (!kernel.positionsFit(p.C)) return positionSumsJs(p, blk, this.yy, at, sc, acc);
    if (this.posKernel !== kernel) {
      kernel.resetPositions();
      this.posKernel = kernel;
    }
    kernel.positions(p.C, at.n, p.weighted, p.wTotal, p.kindIndex);
  }

  rowValues(at: BlockAt, blk: PreparedBlock, acc: Accumulators): void {
    const { p, kernel } = this;
    if (this.rowMajor) keepRowsRanked(acc, p.C, at.e, at.n, this.yy, blk.lse, blk.sx, kernel.xy, kernel.rank);
    else keepRows(acc, p.x, p.C, at.e, at.n, this.yy, blk.lse, blk.sx);
  }

  /** Adds what the kernels still hold (the last batch item's buckets, the per-position sums) into `acc` and `sc`. */
  finish(acc: Accumulators, sc: PassScalars): void {
    const { C, K1 } = this.p;
    if (this.bucketKernel && this.bucketB >= 0) this.bucketKernel.flushBuckets(C, K1, acc.sweepBucketError!, acc.sweepBucketShift!, this.bucketB * C * K1);
    if (!this.posKernel) return;
    const k = this.posKernel.flushPositions(C, acc);
    sc.kept += k.kept;
    sc.nllW += k.nllW;
    sc.smoothW += k.smoothW;
    sc.weightSum += k.weightSum;
  }
}
