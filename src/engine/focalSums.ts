/**
 * The focal term's sums, gathered inside the fused pass ({@link accumulate} calls {@link focalBlock} on each
 * block of positions it reads, so the logits are read once for every term).
 *
 * MONAI's `FocalLoss` (monai/losses/focal_loss.py, MONAI 1.5), per element of channel k, on `x.float()` and
 * `t.float()` (it computes in float32 whatever the input: the inputs are rounded to float32 here, the arithmetic
 * and the sums then run in float64, so the result is the float32 computation's exact value):
 * - sigmoid (the default, and ALWAYS inside DiceFocalLoss / GeneralizedDiceFocalLoss):
 *   `bce = x − x·t − log σ(x)`, `l = σ(−x·(2t − 1))^γ · bce`, times `t·α + (1 − t)·(1 − α)` when α is given;
 * - softmax (`FocalLoss(use_softmax=True)`): `l = −(1 − q_k)^γ · log q_k · t_k` with `q = softmax` over the KEPT
 *   channels (without background channel 0 is dropped before the softmax), times `1 − α` on channel 0 and α on
 *   the others when α is given (MONAI drops α without background).
 * Without background channel 0 is skipped. The sums are unweighted per class (`Σ_b Σ_s l`), against the hard
 * target and against the smoothed target `(1 − ε)·t + ε/C`; finalize applies the class weight and reduction.
 * The γ sweep gathers the same sums at γ = 0, Δ, 2Δ, … (`q^{jΔ}` by repeated products of `q^Δ`).
 */
import type { FloatData } from './layout';
import type { LossOptions } from './types';
import { WASM_FOCAL_STEP, type SoftmaxBlockKernel, type FocalConstants } from './wasm/softmaxBlock';

/** The γ grid of the sweep chart: 0, 0.25, …, 5. */
export const GAMMA_SWEEP_STEP = 0.25;
export const GAMMA_SWEEP_POINTS = 21;

export interface FocalPlan {
  softmax: boolean;
  gamma: number;
  /** α as MONAI applies it (null where it has none or drops it). */
  alpha: number | null;
  /** First channel kept (1 without background when C > 1). */
  c0: number;
  /** ε/C and 1 − ε of the smoothed target, or null when there is no smoothed target (C == 1). */
  smooth: { off: number; keep: number } | null;
  /** γ sweep points (0 = no sweep). */
  sweep: number;
}

/** Whether a loss kind has a focal term. */
export function hasFocal(loss: LossOptions['loss']): boolean {
  return loss === 'focal' || loss === 'dicefocal' || loss === 'gdicefocal';
}

/** How the focal term of these options is computed, or null when the loss has none. */
export function focalPlan(opts: LossOptions, C: number, eps: number, gammaSweep: boolean): FocalPlan | null {
  if (!hasFocal(opts.loss)) return null;
  // DiceFocalLoss and GeneralizedDiceFocalLoss never pass use_softmax to their FocalLoss.
  const softmax = opts.loss === 'focal' && opts.useSoftmax;
  const c0 = !opts.includeBackground && C > 1 ? 1 : 0;
  // GeneralizedDiceFocalLoss has no alpha; FocalLoss(use_softmax) drops it without background.
  let alpha = opts.loss === 'gdicefocal' ? null : opts.alpha;
  if (softmax && c0 === 1) alpha = null;
  return {
    softmax,
    gamma: opts.gamma,
    alpha,
    c0,
    smooth: C > 1 ? { off: eps / C, keep: 1 - eps } : null,
    sweep: gammaSweep ? GAMMA_SWEEP_POINTS : 0,
  };
}

/** q^γ: products for the usual small integer γ (exactly what exp(γ·log q) is, to rounding), pow otherwise. */
function powGamma(q: number, g: number): number {
  if (g === 2) return q * q;
  if (g === 0) return 1;
  if (g === 1) return q;
  if (g === 3) return q * q * q;
  if (g === 4) {
    const q2 = q * q;
    return q2 * q2;
  }
  return Math.pow(q, g);
}

/** Adds `v·q^{jΔ}` for j = 0 … n−1 into `out[o + j]`. */
function addSweep(out: Float64Array, o: number, n: number, v: number, q: number): void {
  const r = Math.sqrt(Math.sqrt(q)); // q^Δ with Δ = 0.25
  let f = v;
  for (let j = 0; j < n; j++) {
    out[o + j]! += f;
    f *= r;
  }
}

/** The accumulator arrays the focal term adds to (length C, and C × sweep points). */
export interface FocalSums {
  focalH: Float64Array;
  focalS: Float64Array;
  focalSwH: Float64Array;
  focalSwS: Float64Array;
}

/**
 * One sigmoid focal element against target t: writes the base of the γ power `q = σ(−x·(2t − 1))` in `out[0]` and
 * the loss per unit of `q^γ` (bce times the α factor) in `out[1]`. `lsp` = log σ(x), `e` = exp(−|x|) (shared by
 * the hard and the smoothed target of one logit; for t = 0 or 1, |z| = |x| and e serves σ(z) too).
 */
function sigmoidFocal(x: number, t: number, lsp: number, e: number, alpha: number | null, out: Float64Array): void {
  const bce = x - x * t - lsp;
  const z = -x * (2 * t - 1);
  // σ(z) without cancellation: 1/(1+e) or e/(1+e) with e = exp(−|z|)
  const ez = t === 0 || t === 1 ? e : Math.exp(-Math.abs(z));
  out[0] = z >= 0 ? 1 / (1 + ez) : ez / (1 + ez);
  out[1] = alpha === null ? bce : bce * (t * alpha + (1 - t) * (1 - alpha));
}

const scratch = new Float64Array(2);

/**
 * Gathers the focal sums of one block: positions i < n of batch item b at logits offset `xb` (element (b, k, s0 + i)
 * at `xb + k·S + i`). Targets: class indices in `yy` (`dense` null), or the dense target at the same offsets as the
 * logits (one-hot, probabilities, or the one-channel mask).
 */
export function focalBlock(
  plan: FocalPlan,
  x: FloatData,
  xb: number,
  S: number,
  C: number,
  n: number,
  yy: Int32Array,
  dense: FloatData | null,
  sums: FocalSums,
  kernel: SoftmaxBlockKernel | null = null,
): void {
  const { gamma, alpha, c0, smooth, sweep } = plan;
  const { focalH, focalS, focalSwH, focalSwS } = sums;
  const f32 = Math.fround;
  const base = scratch;
  if (!plan.softmax && !dense && !sweep && smooth) {
    // The WebAssembly kernel takes the block it prepared (float32 logits, γ = 2) in steps of WASM_FOCAL_STEP.
    let done = 0;
    if (kernel && gamma === 2 && kernel.preparedF32 && x instanceof Float32Array) {
      done = n - (n % WASM_FOCAL_STEP);
      if (done > 0) kernel.focalIndex(c0, C, done, focalConstants(plan), sums.focalH, sums.focalS);
    }
    if (done < n) focalIndexSigmoid(plan, x, xb, S, C, n, yy, sums, done);
    return;
  }
  if (!plan.softmax) {
    const offS = smooth ? f32(smooth.off) : 0;
    const onS = smooth ? f32(smooth.keep + smooth.off) : 0;
    for (let k = c0; k < C; k++) {
      const o = xb + k * S;
      let aH = 0;
      let aS = 0;
      for (let i = 0; i < n; i++) {
        const xv = f32(x[o + i]!);
        const t = dense ? f32(dense[o + i]!) : yy[i] === k ? 1 : 0;
        // log σ(x) = −(max(−x, 0) + log1p(exp(−|x|)))
        const e = Math.exp(-Math.abs(xv));
        const lsp = -((xv < 0 ? -xv : 0) + Math.log1p(e));
        sigmoidFocal(xv, t, lsp, e, alpha, base);
        aH += powGamma(base[0]!, gamma) * base[1]!;
        if (sweep) addSweep(focalSwH, k * sweep, sweep, base[1]!, base[0]!);
        if (smooth) {
          const ts = dense ? f32(smooth.keep * t + smooth.off) : t === 1 ? onS : offS;
          sigmoidFocal(xv, ts, lsp, e, alpha, base);
          aS += powGamma(base[0]!, gamma) * base[1]!;
          if (sweep) addSweep(focalSwS, k * sweep, sweep, base[1]!, base[0]!);
        }
      }
      focalH[k]! += aH;
      if (smooth) focalS[k]! += aS;
    }
    return;
  }
  // Softmax over the kept channels [c0, C), per position.
  const offS = smooth ? f32(smooth.off) : 0;
  const onS = smooth ? f32(smooth.keep + smooth.off) : 0;
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = c0; k < C; k++) {
      const v = f32(x[xb + k * S + i]!);
      if (v > m) m = v;
    }
    let se = 0;
    for (let k = c0; k < C; k++) se += Math.exp(f32(x[xb + k * S + i]!) - m);
    const lse = m + Math.log(se);
    for (let k = c0; k < C; k++) {
      const o = xb + k * S + i;
      const ls = f32(x[o]!) - lse;
      const q = 1 - Math.exp(ls);
      const a = alpha === null ? 1 : k === 0 ? 1 - alpha : alpha;
      const unit = -ls * a; // the loss per unit of target, before (1 − q)^γ
      const pw = powGamma(q, gamma);
      const t = dense ? f32(dense[o]!) : yy[i] === k ? 1 : 0;
      focalH[k]! += pw * unit * t;
      if (sweep && t !== 0) addSweep(focalSwH, k * sweep, sweep, unit * t, q);
      if (smooth) {
        const ts = dense ? f32(smooth.keep * t + smooth.off) : t === 1 ? onS : offS;
        focalS[k]! += pw * unit * ts;
        if (sweep) addSweep(focalSwS, k * sweep, sweep, unit * ts, q);
      }
    }
  }
}

/**
 * The common case on its own (class-index targets, sigmoid focal, no γ sweep: DiceFocalLoss on a label map), inlined
 * for speed: t is 0 or 1 (hard) and `off` or `on` (smoothed), so σ(x), σ(−x) and both softplus values come from
 * one e = exp(−|x|) and one log1p(e); the smoothed target needs one more exp for σ(x·(1 − 2t)). Same arithmetic as
 * {@link sigmoidFocal} (the tests hold the two paths together).
 */
/** The constants of the class-index sigmoid focal pass: the smoothed target values (float32), |2t − 1|, α factors. */
function focalConstants(plan: FocalPlan): FocalConstants {
  const { alpha } = plan;
  const smooth = plan.smooth!;
  const f32 = Math.fround;
  const off = f32(smooth.off);
  const on = f32(smooth.keep + smooth.off);
  // the α factor t·α + (1 − t)·(1 − α) for the four target values
  return {
    on,
    off,
    kOn: 2 * on - 1, // |z| = |x|·|2t − 1|
    kOff: 1 - 2 * off,
    a1: alpha === null ? 1 : alpha,
    a0: alpha === null ? 1 : 1 - alpha,
    aOn: alpha === null ? 1 : on * alpha + (1 - on) * (1 - alpha),
    aOff: alpha === null ? 1 : off * alpha + (1 - off) * (1 - alpha),
  };
}

function focalIndexSigmoid(plan: FocalPlan, x: FloatData, xb: number, S: number, C: number, n: number, yy: Int32Array, sums: FocalSums, i0 = 0): void {
  const { gamma, c0 } = plan;
  const f32 = Math.fround;
  const rounds = !(x instanceof Float32Array); // float32 data are float32 already
  const { on, off, kOn, kOff, a1, a0, aOn, aOff } = focalConstants(plan);
  const g2 = gamma === 2;
  const { focalH, focalS } = sums;
  for (let k = c0; k < C; k++) {
    const o = xb + k * S;
    let aH = 0;
    let aS = 0;
    for (let i = i0; i < n; i++) {
      const xv = rounds ? f32(x[o + i]!) : x[o + i]!;
      const neg = xv < 0;
      const ax = neg ? -xv : xv;
      const e = Math.exp(-ax);
      const lp = Math.log1p(e);
      const r = 1 / (1 + e);
      const spPos = (neg ? 0 : xv) + lp; // softplus(x) = −log σ(−x)
      const spNeg = spPos - xv; // softplus(−x) = −log σ(x)
      if (yy[i] === k) {
        // t = 1: bce = softplus(−x), q = σ(−x); smoothed t = on: bce = x·(1 − on) + softplus(−x), z = −x·(2·on − 1)
        const q = neg ? r : e * r;
        aH += (g2 ? q * q : powGamma(q, gamma)) * spNeg * a1;
        const z = -xv * kOn;
        const es = Math.exp(-(z < 0 ? -z : z));
        const qs = z >= 0 ? 1 / (1 + es) : es / (1 + es);
        aS += (g2 ? qs * qs : powGamma(qs, gamma)) * (xv - xv * on + spNeg) * aOn;
      } else {
        // t = 0: bce = softplus(x), q = σ(x); smoothed t = off: bce = x·(1 − off) + softplus(−x), z = x·(1 − 2·off)
        const q = neg ? e * r : r;
        aH += (g2 ? q * q : powGamma(q, gamma)) * spPos * a0;
        const z = xv * kOff;
        const es = Math.exp(-(z < 0 ? -z : z));
        const qs = z >= 0 ? 1 / (1 + es) : es / (1 + es);
        aS += (g2 ? qs * qs : powGamma(qs, gamma)) * (xv - xv * off + spNeg) * aOff;
      }
    }
    focalH[k]! += aH;
    focalS[k]! += aS;
  }
}
