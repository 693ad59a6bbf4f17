/**
 * The WebAssembly SIMD exp-and-sum kernel of the blocked fused pass. For one block of n ≤ `stride`
 * positions and C classes of `(B, C, S)` logits it writes `se[i] = Σ_k exp(x_k[i] − mx[i])` (k in order
 * 0…C−1, as the JS loop adds) and, when asked, `ex[k·stride + i] = exp(x_k[i] − mx[i])`, in float64 with
 * f64x2 lanes. The kernel's text is `expSumKernel.wat`, generated with its bytes by `generate.mjs`.
 *
 * Its exp: Cody–Waite reduction x = k·ln2 + r, a degree-11 polynomial for exp(r), 2^k applied as one
 * product; within a few 1e-16 relative of the exact value over (−745, 0] (≤ 1 unit of the last place in
 * the subnormal range), exactly 1 at 0, 0 at −Inf and below −745.14, NaN for NaN. Valid for x ≤ 640 (the
 * pass only calls it on x − max ≤ 0); larger x is clamped.
 *
 * Why: V8's Math.exp costs ~8 ns per call; this is ~1.9 ns per value, plus ~0.3 ns to copy a block in and
 * out (the logits live in an ArrayBuffer the module cannot see: each of the block's C rows is copied into
 * the module's memory with one `set`, and the results are read back through views on it).
 *
 * One module per thread, compiled synchronously on first use. {@link expSumKernel} returns null where
 * WebAssembly or its SIMD is missing, when the JS path is forced ({@link setWasmExpSum}, or the environment
 * variable `LOSS_INSPECTOR_NO_WASM=1` read once at load), or when C classes would not fit its memory.
 */
import { EXP_SUM_KERNEL_BASE64 } from './expSumKernelBytes';

type FloatData = Float32Array | Float64Array;

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

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** Positions per loop iteration: counts are rounded up to a multiple of it. */
  step: { readonly value: number };
  /** First byte of memory free for the caller (the constant table sits below). */
  heapBase: { readonly value: number };
  expSumF32: KernelFn;
  expSumF64: KernelFn;
  exp: (x: number, out: number, nr: number) => void;
}

const PAGE = 65536;

/** Blocks shorter than this take the JS loop: the call and the copies cost more than they save (crossover ~16). */
export const WASM_MIN_POSITIONS = 32;

/** Most classes the kernel takes: two C × stride float64 regions (C = 4096, stride 512: 32 MiB). */
export const WASM_MAX_CLASSES = 4096;

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

/** One instance of the kernel, its memory laid out for a block stride and a class count. */
export class ExpSumKernel {
  private readonly fns: KernelExports;
  /** Positions per block row (the fused pass's BLOCK). */
  readonly stride: number;
  private readonly step: number;
  private classes = 0;
  private mxOff = 0;
  private seOff = 0;
  private xOff = 0;
  private exOff = 0;
  private mem!: ArrayBuffer;
  private x32!: Float32Array;
  private x64!: Float64Array;
  private mxV!: Float64Array;
  private seV!: Float64Array;
  private exV!: Float64Array;

  constructor(module: WasmModule, stride: number) {
    this.fns = new wasmApi!.Instance(module, {}).exports as KernelExports;
    this.step = this.fns.step.value;
    if (!(stride > 0) || stride % this.step !== 0) throw new Error(`wasm exp kernel: block stride ${stride} is not a positive multiple of ${this.step}`);
    this.stride = stride;
    this.layout(1);
  }

  /**
   * Lays the memory out for C classes — mx, se (stride float64 each), x (C rows of stride float64, or
   * float32), ex (C rows of float64) — growing it when needed. False when it cannot grow.
   */
  reserve(C: number): boolean {
    if (C <= this.classes) return true;
    if (C > WASM_MAX_CLASSES) return false;
    try {
      this.layout(C);
      return true;
    } catch {
      return false;
    }
  }

  private layout(C: number): void {
    const row = this.stride * 8;
    this.mxOff = this.fns.heapBase.value;
    this.seOff = this.mxOff + row;
    this.xOff = this.seOff + row;
    this.exOff = this.xOff + C * row;
    const need = this.exOff + C * row;
    const memory = this.fns.memory;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    this.classes = C;
    this.views();
  }

  /** Views on the module's memory (again after a growth, which detaches the old buffer). */
  private views(): void {
    const buf = this.fns.memory.buffer;
    this.mem = buf;
    const s = this.stride;
    this.mxV = new Float64Array(buf, this.mxOff, s);
    this.seV = new Float64Array(buf, this.seOff, s);
    this.x32 = new Float32Array(buf, this.xOff, this.classes * s * 2);
    this.x64 = new Float64Array(buf, this.xOff, this.classes * s);
    this.exV = new Float64Array(buf, this.exOff, this.classes * s);
  }

  /**
   * One block: logits `x` `(B, C, S)` from offset `xb` = (b, 0, s0), n ≤ stride positions; `mx` the block's
   * row maxima; writes `se[0..n)` and, when `ex` is given, `ex[k·stride + i]` for k < C, i < n.
   * Call {@link reserve} for C first.
   */
  run(x: FloatData, xb: number, S: number, C: number, n: number, mx: Float64Array, se: Float64Array, ex: Float64Array | null): void {
    if (C > this.classes) throw new Error(`wasm exp kernel: ${C} classes, memory laid out for ${this.classes}`);
    if (this.mem !== this.fns.memory.buffer) this.views();
    const s = this.stride;
    const f32 = x instanceof Float32Array;
    if (f32) {
      const dst = this.x32;
      for (let k = 0; k < C; k++) {
        const o = xb + k * S;
        dst.set(x.subarray(o, o + n), k * s);
      }
    } else {
      const dst = this.x64;
      for (let k = 0; k < C; k++) {
        const o = xb + k * S;
        dst.set(x.subarray(o, o + n), k * s);
      }
    }
    this.mxV.set(mx.length === s && n === s ? mx : mx.subarray(0, n));
    const nr = Math.ceil(n / this.step) * this.step;
    const keep = ex ? 1 : 0;
    const fn = f32 ? this.fns.expSumF32 : this.fns.expSumF64;
    fn(this.xOff, f32 ? s * 4 : s * 8, this.mxOff, this.seOff, this.exOff, s * 8, C, nr, keep);
    se.set(n === s ? this.seV : this.seV.subarray(0, n));
    if (ex) {
      if (n === s) ex.set(this.exV.subarray(0, C * s));
      else for (let k = 0; k < C; k++) ex.set(this.exV.subarray(k * s, k * s + n), k * s);
    }
  }

  /** exp of every value, into `out` (to test and time the exp alone). */
  exp(values: Float64Array, out: Float64Array = new Float64Array(values.length)): Float64Array {
    const chunk = this.classes * this.stride;
    for (let o = 0; o < values.length; o += chunk) {
      const m = Math.min(chunk, values.length - o);
      if (this.mem !== this.fns.memory.buffer) this.views();
      this.x64.set(values.subarray(o, o + m));
      this.fns.exp(this.xOff, this.exOff, Math.ceil(m / this.step) * this.step);
      out.set(this.exV.subarray(0, m), o);
    }
    return out;
  }
}

/** undefined: not tried yet; null: no WebAssembly SIMD here (or the module failed to compile). */
let compiled: WasmModule | null | undefined;
const kernels = new Map<number, ExpSumKernel>();

function envForcesJs(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.LOSS_INSPECTOR_NO_WASM;
  return v !== undefined && v !== '' && v !== '0';
}

let enabled = !envForcesJs();

/** Turns the WebAssembly kernel on or off for this thread (off: the fused pass runs its Math.exp loop). */
export function setWasmExpSum(on: boolean): void {
  enabled = on;
}

/** Whether the fused pass would use the WebAssembly kernel on this thread. */
export function wasmExpSumActive(): boolean {
  return enabled && compiledModule() !== null;
}

function compiledModule(): WasmModule | null {
  if (compiled === undefined) {
    let m: WasmModule | null = null;
    if (wasmSimdSupported()) {
      try {
        m = new wasmApi!.Module(decodeBase64(EXP_SUM_KERNEL_BASE64));
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
export function expSumKernel(stride: number, C = 1): ExpSumKernel | null {
  if (!enabled) return null;
  let k = kernels.get(stride);
  if (!k) {
    const m = compiledModule();
    if (!m) return null;
    k = new ExpSumKernel(m, stride);
    kernels.set(stride, k);
  }
  return k.reserve(C) ? k : null;
}
