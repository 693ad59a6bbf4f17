/**
 * The blocked fused pass: the same sums as the element-by-element pass (accumulateRows.ts) for C > 1, a block of
 * ≤ 512 positions at a time (rows mode: up to 128 rows of an (N, C) batch). Per block, in order:
 *   1. the hard class per position (`hardClasses`);
 *   2. the preparation: per position the row maximum and first argmax, Σx, Σw·x, NaN/Inf counts, exp(x − m), lse
 *      and 1/Σ — on the WebAssembly kernel when it takes the block, else the JS loops (one {@link BlockVariant});
 *   3. the focal term's sums while the block is in cache (focalSums.ts);
 *   4. per class: float-target CE sums, Dice sums and the ε sweep's;
 *   5. per position: CE by class, confusion, calibration;
 *   6. per-row values of a language-model report (`keepRows`).
 * The phases live in blockPhases.ts (JS) and blockVariants.ts (which variant, and the kernel's side).
 */
import type { PreparedLogits, PreparedTarget } from './layout';
import { addScalars, newPassScalars, type AccumulateConfig, type Accumulators } from './accumulators';
import { BLOCK, blockPlan, type BlockAt } from './blockPlan';
import { hardClasses } from './blockPhases';
import { JsBlocks, KernelBlocks, type BlockVariant } from './blockVariants';
import { focalBlock } from './focalSums';

/** Gathers the sums over elements [e0, e1) (element e = b·S + s) into `acc`, a block at a time (C > 1). */
export function accumulateBlocked(lg: PreparedLogits, tg: PreparedTarget, cfg: AccumulateConfig, e0: number, e1: number, acc: Accumulators): void {
  const p = blockPlan(lg, tg, cfg);
  const { C, S, focal } = p;
  // the JS loops' scratch (C × 512 values with softmax kept) only for a pass that has a block the kernel leaves
  let js: JsBlocks | null = null;
  const wasm = new KernelBlocks(p, e1 - e0);
  const rows = wasm.rowMode;
  const sc = newPassScalars();
  const at: BlockAt = { b: 0, e: e0, xb: 0, n: 0, rows };
  while (at.e < e1) {
    const e = at.e;
    const b = (e / S) | 0;
    const s0 = e - b * S;
    at.b = b;
    at.xb = b * C * S + s0;
    at.n = rows ? Math.min(wasm.rowsPerBlock, e1 - e) : Math.min(BLOCK, S - s0, e1 - e);
    const v: BlockVariant = wasm.take(at.n) ?? (js ??= new JsBlocks(p));
    hardClasses(p, v.yy, at);
    const blk = v.prepare(at, sc);
    if (focal) focalBlock(focal, p.x, at.xb, S, C, at.n, v.yy, p.kindIndex ? null : p.tdata, acc, v.focalKernel);
    v.classSums(at, blk, acc);
    v.positionSums(at, blk, sc, acc);
    if (acc.rowNll && S === 1) v.rowValues(at, blk, acc);
    at.e += at.n;
  }
  wasm.finish(acc, sc);
  addScalars(acc, e1 - e0, sc);
}
