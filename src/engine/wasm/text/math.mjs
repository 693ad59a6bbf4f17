// The kernel's arithmetic written as WebAssembly text: the constant table (loaded once per loop iteration: V8
// rebuilds a `v128.const` at every use), the exp and the log for several f64x2 vectors at once, and small helpers.
// Module state: the constant table fills as the functions are written; generate.mjs lays it out at address 0.

/**
 * exp(r) ≈ Σ c_j r^j on |r| ≤ ln2/2, degree 11: Chebyshev fit (mpmath `chebyfit(exp, [−ln2/2, ln2/2], 12)`,
 * coefficients rounded to double; truncation ≤ 1.7e-17 relative). c0 = c1 = 1 exactly, so exp(0) = 1.
 */
const COEFFS = [
  1.0, 1.0, 0.5000000000000019, 0.1666666666666668, 0.0416666666664881, 0.008333333333319601, 0.0013888888952314775,
  0.00019841269890047113, 2.4801485482328494e-5, 2.755724091857897e-6, 2.763263963904103e-7, 2.5110037605963777e-8,
];
/**
 * The polynomial is evaluated with every coefficient times 2^-54 (exact: a power of two, no underflow),
 * and 2^(k+54) applied last as one product: for k ≥ −1076 the factor is a normal double, so results in
 * the subnormal range are rounded once, and exp(0) = 2^-54 · 2^54 = 1.
 */
const BIAS = 54;
/** Exact in double: 1.5·2^52; adding it rounds |y| < 2^51 to an integer held in the low mantissa bits. */
const SHIFT = 6755399441055744;
const SHIFT_BITS = 0x4338000000000000n;
/** ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (fdlibm's constants). */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/**
 * Clamp range: exp(−746) rounds to 0 (k = −1076 keeps 2^(k+54) normal); the top keeps k + 54 + 1023 < 2047.
 * The fused pass only calls it on x − max ≤ 0.
 */
const LO = -746;
const HI = 640;

/** `e · n` in i32, as a shift when n is a power of two. */
export const times = (e, n) => (Number.isInteger(Math.log2(n)) ? `(i32.shl ${e} (i32.const ${Math.log2(n)}))` : `(i32.mul ${e} (i32.const ${n}))`);

const hex = (x) => {
  const s = x.toString();
  return s.includes('e') || s.includes('.') ? s : `${s}.0`;
};

/**
 * f64x2 vectors per loop iteration: 8 (16 positions). V8 rebuilds a constant at every use in a loop (three
 * instructions), so each constant is loaded once per iteration from a table in memory and shared by all
 * vectors. Measured (Node 20, x64, exp alone): 2 / 4 / 8 vectors 2.0 / 1.8 / 1.6 ns per value (with
 * `v128.const` constants instead: 2.7 / 2.0 / 1.7 ns).
 */
export const U = 8;

/** The constant table at address 0: text → byte offset and its 16 bytes. */
export const table = new Map();
function constant(text, bytes) {
  if (!table.has(text)) table.set(text, { off: table.size * 16, bytes });
  return `(v128.load (i32.const ${table.get(text).off}))`;
}
const f64Bytes = (x) => {
  const b = Buffer.alloc(16);
  b.writeDoubleLE(x, 0);
  b.writeDoubleLE(x, 8);
  return b;
};
const i64Bytes = (x) => {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(x, 0);
  b.writeBigInt64LE(x, 8);
  return b;
};
export const fc = (x) => constant(`f64 ${hex(x)}`, f64Bytes(x));
export const ic = (x, label) => constant(`i64 ${x} (${label})`, i64Bytes(x));

/**
 * `exp` of the f64x2 locals `$d0…$d{U−1}`, left in `$e0…`: Cody–Waite reduction x = k·ln2 + r with
 * k = round(x/ln2) (by adding SHIFT), the polynomial for exp(r), then 2^k. Each step is written for all U
 * vectors before the next, with its constant in the local `$c`. NaN stays NaN (pmin/pmax return their
 * first operand when the comparison is false); −Inf and anything below −745.14 give 0. `clampHigh` false
 * drops the clamp at HI where x ≤ 0 by construction (x − max in the pass, NaN included): one instruction of
 * ~45 per vector, 3 % of the exp (W1: 48 → 46.5 ms).
 */
export function expBody(indent, clampHigh = true, count = U) {
  const out = [];
  const step = (cText, f) => {
    out.push(`(local.set $c ${cText})`);
    for (let j = 0; j < count; j++) out.push(f(j));
  };
  step(fc(LO), (j) => `(local.set $d${j} (f64x2.pmax (local.get $d${j}) (local.get $c)))`);
  if (clampHigh) step(fc(HI), (j) => `(local.set $d${j} (f64x2.pmin (local.get $d${j}) (local.get $c)))`);
  step(fc(Math.LOG2E), (j) => `(local.set $t${j} (f64x2.mul (local.get $d${j}) (local.get $c)))`);
  step(fc(SHIFT), (j) => `(local.set $t${j} (f64x2.add (local.get $t${j}) (local.get $c)))`);
  // kf = t − SHIFT (an integer-valued double), kept in $r for the reduction
  for (let j = 0; j < count; j++) out.push(`(local.set $r${j} (f64x2.sub (local.get $t${j}) (local.get $c)))`);
  step(fc(LN2_HI), (j) => `(local.set $p${j} (f64x2.sub (local.get $d${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  step(fc(LN2_LO), (j) => `(local.set $r${j} (f64x2.sub (local.get $p${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  const scaled = COEFFS.map((c) => c * 2 ** -BIAS);
  step(fc(scaled[scaled.length - 1]), (j) => `(local.set $p${j} (local.get $c))`);
  for (let c = scaled.length - 2; c >= 0; c--) {
    step(fc(scaled[c]), (j) => `(local.set $p${j} (f64x2.add (f64x2.mul (local.get $p${j}) (local.get $r${j})) (local.get $c)))`);
  }
  // 2^(k + BIAS) as bits: k = bits(t) − bits(SHIFT), plus the exponent bias 1023, shifted into place.
  step(ic(SHIFT_BITS - BigInt(1023 + BIAS), `bits(SHIFT) − 1023 − ${BIAS}`), (j) => `(local.set $t${j} (i64x2.shl (i64x2.sub (local.get $t${j}) (local.get $c)) (i32.const 52)))`);
  for (let j = 0; j < count; j++) out.push(`(local.set $e${j} (f64x2.mul (local.get $p${j}) (local.get $t${j})))`);
  return out.map((l) => `${indent}${l}`).join('\n');
}

export const vecLocals = () =>
  ['d', 'e', 't', 'r', 'p'].map((n) => Array.from({ length: U }, (_, j) => `(local $${n}${j} v128)`).join(' ')).join(' ') + ' (local $c v128) (local $v v128)';


/**
 * log(x) for positive normal x (NaN stays NaN, +Inf stays +Inf), f64x2: fdlibm's e_log algorithm in the
 * branch-free form musl uses — x = 2^k·(1+f) with 1+f in [√2/2, √2), s = f/(2+f), a degree-14 even
 * polynomial in s, and k·ln2 added in two parts; within 1 ulp. Input `$d0…`, output `$e0…`.
 */
const LG = [6.666666666666735130e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1, 1.818357216161805012e-1, 1.531383769920937332e-1, 1.479819860511658591e-1];
/** f64x2 vectors per iteration of the log (1 / 2 / 4: 2.6 / 2.5 / 2.5 ns per position for lse and 1/Σ). */
export const LOG_U = 2;
export function logBody(indent) {
  const out = [];
  const all = (f) => {
    for (let j = 0; j < LOG_U; j++) out.push(f(j));
  };
  // hx += 0x3ff00000 − 0x3fe6a09e in the high word: 1+f's exponent moves up where the mantissa is ≥ √2's
  all((j) => `(local.set $t${j} (i64x2.add (local.get $d${j}) ${ic(0x00095f6200000000n, '(0x3ff00000 − 0x3fe6a09e) << 32')}))`);
  // k as a double: the exponent field (logical shift: x > 0) or'ed into 2^52's mantissa, minus 2^52 + 1023
  all((j) => `(local.set $r${j} (f64x2.sub (v128.or (i64x2.shr_u (local.get $t${j}) (i32.const 52)) ${fc(2 ** 52)}) ${fc(2 ** 52 + 1023)}))`);
  // 1 + f: the mantissa bits under the exponent of √2/2
  all((j) => `(local.set $t${j} (f64x2.sub (i64x2.add (v128.and (local.get $t${j}) ${ic(0x000fffffffffffffn, 'mantissa mask')}) ${ic(0x3fe6a09e00000000n, 'bits(√2/2) high word')}) ${fc(1)}))`);
  // s = f / (2 + f), z = s², w = z²
  all((j) => `(local.set $p${j} (f64x2.div (local.get $t${j}) (f64x2.add (local.get $t${j}) ${fc(2)})))`);
  all((j) => `(local.set $e${j} (f64x2.mul (local.get $p${j}) (local.get $p${j})))`); // z
  all((j) => `(local.set $c${j} (f64x2.mul (local.get $e${j}) (local.get $e${j})))`); // w
  // R = z·(Lg1 + w·(Lg3 + w·(Lg5 + w·Lg7))) + w·(Lg2 + w·(Lg4 + w·Lg6))
  const add = (a, b) => `(f64x2.add ${a} ${b})`;
  const mul = (a, b) => `(f64x2.mul ${a} ${b})`;
  all((j) => {
    const z = `(local.get $e${j})`;
    const w = `(local.get $c${j})`;
    const t2 = mul(z, add(fc(LG[0]), mul(w, add(fc(LG[2]), mul(w, add(fc(LG[4]), mul(w, fc(LG[6]))))))));
    const t1 = mul(w, add(fc(LG[1]), mul(w, add(fc(LG[3]), mul(w, fc(LG[5]))))));
    return `(local.set $h${j} ${add(t2, t1)})`;
  });
  // hfsq = f²/2; log = s·(hfsq + R) + k·ln2_lo − hfsq + f + k·ln2_hi (left to right)
  all((j) => `(local.set $e${j} (f64x2.mul ${fc(0.5)} (f64x2.mul (local.get $t${j}) (local.get $t${j}))))`);
  all((j) => {
    const [t, p, e, h, r] = ['t', 'p', 'e', 'h', 'r'].map((n) => `(local.get $${n}${j})`);
    const a = add(mul(p, add(e, h)), mul(r, fc(LN2_LO)));
    return `(local.set $h${j} ${add(add(`(f64x2.sub ${a} ${e})`, t), mul(r, fc(LN2_HI)))})`;
  });
  // NaN and +Inf (and anything not below +Inf) pass through
  all((j) => `(local.set $e${j} (v128.bitselect (local.get $h${j}) (local.get $d${j}) (f64x2.lt (local.get $d${j}) ${fc(Infinity)})))`);
  return out.map((l) => `${indent}${l}`).join('\n');
}
export const logLocals = () => ['d', 'e', 't', 'r', 'p', 'c', 'h'].map((n) => Array.from({ length: LOG_U }, (_, j) => `(local $${n}${j} v128)`).join(' ')).join(' ');
