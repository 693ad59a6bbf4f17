// The kernel's arithmetic written as WebAssembly text: the constant table (loaded once per loop iteration: V8
// rebuilds a `v128.const` at every use), the exp and the log for several f64x2 vectors at once, and small helpers.
// Module state: the constant table fills as the functions are written; generate.mjs lays it out at address 0.

/**
 * exp(d) = 2^k · 2^(j/N) · exp(r) with k·N + j = round(d·N/ln2) and |r| ≤ ln2/(2N): 2^(j/N) from a table of
 * N = 256 doubles, exp(r) from its Taylor polynomial of degree 4 (truncation ≤ r⁵/5! < 3.9e-17 relative). A
 * table read and a short polynomial take half the multiplies and adds of a degree-11 polynomial on |r| ≤ ln2/2,
 * which is what bounds the exp (no fused multiply-add in Node 20's WebAssembly); the table reads use the load
 * and shuffle units, which the exp otherwise leaves idle.
 */
const TABLE_BITS = 8;
const N = 1 << TABLE_BITS;
/** Taylor coefficients c0…c4 of exp(r) (c0 = 1 enters as the table entry itself). */
const POLY = [1, 1, 1 / 2, 1 / 6, 1 / 24];
/**
 * The table holds 2^(j/N)·2^-BIAS, and 2^(k+BIAS) is applied last as one product: for k ≥ −1077 (what the
 * clamp at LO leaves) the factor is a normal double, so results in the subnormal range are rounded once,
 * and exp(0) = 1·2^-55·2^55 = 1.
 */
const BIAS = 55;
/** Exact in double: 1.5·2^52; adding it rounds |y| < 2^51 to an integer held in the low mantissa bits. */
const SHIFT = 6755399441055744;
const SHIFT_BITS = 0x4338000000000000n;
/** ln 2 split so that i·LN2_HI is exact for |i| < 2^21 (fdlibm's constants: the high part has 32 significant bits). */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** ln 2 / N in the same two parts (N a power of two: exact). */
const LN2N_HI = LN2_HI / N;
const LN2N_LO = LN2_LO / N;
/**
 * Clamp range: exp(−746) rounds to 0 (and keeps 2^(k+BIAS) normal); the top keeps k + BIAS + 1023 < 2047.
 * The fused pass only calls it on x − max ≤ 0.
 */
const LO = -746;
const HI = 640;

/**
 * 2^(j/N) for j < N, each correctly rounded: Math.pow's answer m·2^-52, checked (and moved by an ulp where it
 * is off) against the exact test (2m − 1)^N ≤ 2^(j + 53N) < (2m + 1)^N in integers.
 */
function exp2Table() {
  const out = new Float64Array(N);
  const big = BigInt(N);
  for (let j = 0; j < N; j++) {
    let m = BigInt(Math.round(Math.pow(2, j / N) * 2 ** 52));
    const target = 1n << BigInt(j + 53 * N);
    for (;;) {
      if ((2n * m - 1n) ** big > target) m -= 1n;
      else if ((2n * m + 1n) ** big <= target) m += 1n;
      else break;
    }
    out[j] = Number(m) * 2 ** -52;
  }
  return out;
}

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

/** The constant table at address 0: text → byte offset and its bytes (16 per constant; the exp's table). */
export const table = new Map();
let tableBytes = 0;
function place(text, bytes) {
  if (!table.has(text)) {
    table.set(text, { off: tableBytes, bytes });
    tableBytes += bytes.length;
  }
  return table.get(text).off;
}
/** First byte above the constant table. */
export const tableEnd = () => tableBytes;
function constant(text, bytes) {
  return `(v128.load (i32.const ${place(text, bytes)}))`;
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

/** Byte offset of the exp's table of 2^(j/N)·2^-BIAS (placed on first use). */
function expTable() {
  const t = exp2Table();
  const bytes = Buffer.alloc(8 * N);
  for (let j = 0; j < N; j++) bytes.writeDoubleLE(t[j] * 2 ** -BIAS, 8 * j);
  return place(`2^(j/${N})·2^-${BIAS}, j < ${N}`, bytes);
}

/**
 * `exp` of the f64x2 locals `$d0…$d{U−1}`, left in `$e0…` (`$d` is overwritten): i = round(d·N/ln2) (by adding
 * SHIFT), r = d − i·ln2/N in two parts, the polynomial for exp(r), times the table's 2^(j/N)·2^-BIAS for
 * j = i mod N (one double per lane, read by address), times 2^(k+BIAS) for k = ⌊i/N⌋ (built in the exponent
 * bits). Each step is written for all U vectors before the next, with its constant in the local `$c`. NaN stays
 * NaN (pmin/pmax return their first operand when the comparison is false, and NaN's index bits only pick
 * some table entry); −Inf and anything below −745.14 give 0. `clampHigh` false drops the clamp at HI where
 * x ≤ 0 by construction (x − max in the pass, NaN included).
 */
export function expBody(indent, clampHigh = true, count = U) {
  const out = [];
  const step = (cText, f) => {
    out.push(`(local.set $c ${cText})`);
    for (let j = 0; j < count; j++) out.push(f(j));
  };
  const at = expTable();
  step(fc(LO), (j) => `(local.set $d${j} (f64x2.pmax (local.get $d${j}) (local.get $c)))`);
  if (clampHigh) step(fc(HI), (j) => `(local.set $d${j} (f64x2.pmin (local.get $d${j}) (local.get $c)))`);
  step(fc(N / Math.LN2), (j) => `(local.set $t${j} (f64x2.mul (local.get $d${j}) (local.get $c)))`);
  step(fc(SHIFT), (j) => `(local.set $t${j} (f64x2.add (local.get $t${j}) (local.get $c)))`);
  // i = t − SHIFT (an integer-valued double), kept in $r for the reduction
  for (let j = 0; j < count; j++) out.push(`(local.set $r${j} (f64x2.sub (local.get $t${j}) (local.get $c)))`);
  step(fc(LN2N_HI), (j) => `(local.set $p${j} (f64x2.sub (local.get $d${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  step(fc(LN2N_LO), (j) => `(local.set $r${j} (f64x2.sub (local.get $p${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  // q = exp(r) − 1 = r·(c1 + r·(c2 + …)): the table entry T is then scaled as T + T·q, one rounding on top of
  // the entry's own (T·q is ~r·T, so its rounding is a few hundred times smaller)
  step(fc(POLY[POLY.length - 1]), (j) => `(local.set $p${j} (local.get $c))`);
  for (let c = POLY.length - 2; c >= 1; c--) {
    step(fc(POLY[c]), (j) => `(local.set $p${j} (f64x2.add (f64x2.mul (local.get $p${j}) (local.get $r${j})) (local.get $c)))`);
  }
  for (let j = 0; j < count; j++) out.push(`(local.set $p${j} (f64x2.mul (local.get $p${j}) (local.get $r${j})))`);
  // j = i mod N from the low bits of t; the table's entries for both lanes into $e
  step(ic(BigInt(N - 1), 'N − 1'), (j) => `(local.set $d${j} (v128.and (local.get $t${j}) (local.get $c)))`);
  const lane = (j, l) => `(i32.shl (i32.wrap_i64 (i64x2.extract_lane ${l} (local.get $d${j}))) (i32.const 3))`;
  for (let j = 0; j < count; j++) {
    out.push(`(local.set $e${j} (v128.load64_zero offset=${at} ${lane(j, 0)}))`);
    out.push(`(local.set $e${j} (v128.load64_lane offset=${at} 1 ${lane(j, 1)} (local.get $e${j})))`);
  }
  // 2^(k + BIAS) as bits: i + (1023 + BIAS)·N = bits(t) − (bits(SHIFT) − (1023 + BIAS)·N) ≥ 0, whose bits above
  // the low TABLE_BITS are k + 1023 + BIAS: masked, then shifted into the exponent field.
  step(ic(SHIFT_BITS - BigInt((1023 + BIAS) * N), `bits(SHIFT) − (1023 + ${BIAS})·${N}`), (j) => `(local.set $t${j} (i64x2.sub (local.get $t${j}) (local.get $c)))`);
  step(ic(~BigInt(N - 1), '¬(N − 1)'), (j) => `(local.set $t${j} (i64x2.shl (v128.and (local.get $t${j}) (local.get $c)) (i32.const ${52 - TABLE_BITS})))`);
  for (let j = 0; j < count; j++) {
    out.push(`(local.set $e${j} (f64x2.mul (f64x2.add (local.get $e${j}) (f64x2.mul (local.get $e${j}) (local.get $p${j}))) (local.get $t${j})))`);
  }
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

/**
 * log1p(e) for e in [0, 1] (NaN stays NaN), f64x2 — the softplus of the focal term, where e = exp(−|x|). With
 * j = round(128·e − δ) and c = 1 + j/128: log1p(e) = log c + log1p(u), u = (e − j/128)/c, |u| < 0.0040 (e − j/128
 * is exact: the two are within a factor of two, or j = 0). log c and 1/c come from two tables of 129 doubles (each
 * correctly rounded), log1p(u) from its Taylor polynomial of degree 7 (truncation < 2e-18 relative). The bias δ
 * keeps the result in log c's binade: without it, e just above 1/256 took j = 1 and a result below 2^-8, where
 * the roundings of log c and of u were each worth an ulp (2 ulp off). No division and a third of the log's
 * multiplies and adds. Input `$d0…`, output `$e0…` (`count` vectors); `$d`, `$t`, `$r`, `$p` are overwritten.
 */
const LOG1P_BITS = 7;
const LOG1P_N = 1 << LOG1P_BITS;
/** δ above: ≥ 128·(e^(1/256) − 1) − 1/2 ≈ 0.00098, so that j = 1 only where log1p(e) ≥ 2^-8. */
const LOG1P_BIAS = 0.001;
/** Taylor coefficients c1…c7 of log1p(u): (−1)^(k+1)/k. */
const LOG1P_POLY = [1, -1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6, 1 / 7];

/** Fixed-point bits of the tables' exact computation. */
const FIXED = 160n;
/**
 * log(1 + j/N) · 2^FIXED as 2·atanh(j/(2N + j)) = 2·Σ z^(2k+1)/(2k+1) in integers: each truncated term costs at most
 * a unit, so within ~100 units of 2^-FIXED, far below half an ulp of any entry.
 */
function log1pFixed(j) {
  const one = 1n << FIXED;
  const z = (BigInt(j) * one) / BigInt(2 * LOG1P_N + j); // z ≤ 1/3
  const z2 = (z * z) >> FIXED;
  let term = z;
  let sum = 0n;
  for (let k = 1n; term > 0n; k += 2n) {
    sum += term / k;
    term = (term * z2) >> FIXED;
  }
  return 2n * sum;
}
/** A positive fixed-point value v·2^-FIXED rounded to the nearest double (its error of a few units of 2^-FIXED is far below half an ulp). */
function fixedToDouble(v) {
  if (v === 0n) return 0;
  const bits = v.toString(2).length;
  const drop = BigInt(Math.max(0, bits - 53));
  let m = v >> drop;
  const rest = v - (m << drop);
  const half = drop > 0n ? 1n << (drop - 1n) : 0n;
  if (drop > 0n && (rest > half || (rest === half && (m & 1n) === 1n))) m += 1n;
  return Number(m) * 2 ** (Number(drop) - Number(FIXED));
}

function log1pTables() {
  const logs = Buffer.alloc(8 * (LOG1P_N + 1));
  const invs = Buffer.alloc(8 * (LOG1P_N + 1));
  for (let j = 0; j <= LOG1P_N; j++) {
    logs.writeDoubleLE(fixedToDouble(log1pFixed(j)), 8 * j);
    invs.writeDoubleLE(LOG1P_N / (LOG1P_N + j), 8 * j); // one IEEE division: correctly rounded
  }
  return { logAt: place(`log(1 + j/${LOG1P_N}), j ≤ ${LOG1P_N}`, logs), invAt: place(`1/(1 + j/${LOG1P_N}), j ≤ ${LOG1P_N}`, invs) };
}

export function log1pUnitBody(indent, count) {
  const out = [];
  const step = (cText, f) => {
    out.push(`(local.set $c ${cText})`);
    for (let j = 0; j < count; j++) out.push(f(j));
  };
  const { logAt, invAt } = log1pTables();
  // j = round(N·e − δ) in the low bits of t (adding SHIFT is what rounds; δ is far below SHIFT's ulp, so it is
  // subtracted first); j as a double in $r
  step(fc(LOG1P_N), (j) => `(local.set $t${j} (f64x2.mul (local.get $d${j}) (local.get $c)))`);
  step(fc(-LOG1P_BIAS), (j) => `(local.set $t${j} (f64x2.add (local.get $t${j}) (local.get $c)))`);
  step(fc(SHIFT), (j) => `(local.set $t${j} (f64x2.add (local.get $t${j}) (local.get $c)))`);
  for (let j = 0; j < count; j++) out.push(`(local.set $r${j} (f64x2.sub (local.get $t${j}) (local.get $c)))`);
  // e − j/N (exact)
  step(fc(1 / LOG1P_N), (j) => `(local.set $p${j} (f64x2.sub (local.get $d${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  // the tables' entries j for both lanes: 1/c into $e, log c into $r (an index past N only comes from a NaN, whose
  // result stays NaN whatever it reads: the mask keeps it inside the module's memory)
  step(ic(BigInt(2 * LOG1P_N - 1), `2·${LOG1P_N} − 1`), (j) => `(local.set $d${j} (v128.and (local.get $t${j}) (local.get $c)))`);
  const lane = (j, l) => `(i32.shl (i32.wrap_i64 (i64x2.extract_lane ${l} (local.get $d${j}))) (i32.const 3))`;
  for (let j = 0; j < count; j++) {
    out.push(`(local.set $e${j} (v128.load64_zero offset=${invAt} ${lane(j, 0)}))`);
    out.push(`(local.set $e${j} (v128.load64_lane offset=${invAt} 1 ${lane(j, 1)} (local.get $e${j})))`);
    out.push(`(local.set $r${j} (v128.load64_zero offset=${logAt} ${lane(j, 0)}))`);
    out.push(`(local.set $r${j} (v128.load64_lane offset=${logAt} 1 ${lane(j, 1)} (local.get $r${j})))`);
  }
  // u = (e − j/N)/c into $p; the polynomial in $t; log c + u·P(u)
  for (let j = 0; j < count; j++) out.push(`(local.set $p${j} (f64x2.mul (local.get $p${j}) (local.get $e${j})))`);
  step(fc(LOG1P_POLY[LOG1P_POLY.length - 1]), (j) => `(local.set $t${j} (local.get $c))`);
  for (let k = LOG1P_POLY.length - 2; k >= 0; k--) {
    step(fc(LOG1P_POLY[k]), (j) => `(local.set $t${j} (f64x2.add (f64x2.mul (local.get $t${j}) (local.get $p${j})) (local.get $c)))`);
  }
  for (let j = 0; j < count; j++) out.push(`(local.set $e${j} (f64x2.add (local.get $r${j}) (f64x2.mul (local.get $t${j}) (local.get $p${j}))))`);
  return out.map((l) => `${indent}${l}`).join('\n');
}
