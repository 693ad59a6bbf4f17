// Dev-time generator (Node, not part of the engine): writes the block kernel's text (`expSumKernel.wat`,
// for reading and review) and its compiled bytes (`expSumKernelBytes.ts`, what the engine loads), so that
// neither the bundles nor CI need a WebAssembly toolchain at run time.
//   node src/engine/wasm/generate.mjs           regenerate both files
//   node src/engine/wasm/generate.mjs --check   exit 1 if the committed files are out of date
// Why generated: the exp and log bodies are written out inline for several vectors at once (V8 does not
// reliably inline small wasm functions into loops, and the unrolled text is long), and their constants are
// computed here. Functions: expSumF32/F64 (exp(x − m) and its sum), maxF32/F64[W] (the row-maximum pass),
// countF32/F64 (its NaN/Inf counts, internal), lseInv (m + log Σ and 1/Σ), diceIdx[Sq][Sw] (per-class Dice
// sums and the ε sweep's sums for class-index targets with softmax), posF32/F64 (the per-position CE,
// confusion and calibration sums), focalIdxF32 (the sigmoid focal sums, γ = 2, for class-index targets), and
// exp / log alone for the tests.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));

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
const U = 8;

/** The constant table at address 0: text → byte offset and its 16 bytes. */
const table = new Map();
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
const fc = (x) => constant(`f64 ${hex(x)}`, f64Bytes(x));
const ic = (x, label) => constant(`i64 ${x} (${label})`, i64Bytes(x));

/**
 * `exp` of the f64x2 locals `$d0…$d{U−1}`, left in `$e0…`: Cody–Waite reduction x = k·ln2 + r with
 * k = round(x/ln2) (by adding SHIFT), the polynomial for exp(r), then 2^k. Each step is written for all U
 * vectors before the next, with its constant in the local `$c`. NaN stays NaN (pmin/pmax return their
 * first operand when the comparison is false); −Inf and anything below −745.14 give 0. `clampHigh` false
 * drops the clamp at HI where x ≤ 0 by construction (x − max in the pass, NaN included): one instruction of
 * ~45 per vector, 3 % of the exp (W1: 48 → 46.5 ms).
 */
function expBody(indent, clampHigh = true, count = U) {
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

const vecLocals = () =>
  ['d', 'e', 't', 'r', 'p'].map((n) => Array.from({ length: U }, (_, j) => `(local $${n}${j} v128)`).join(' ')).join(' ') + ' (local $c v128) (local $v v128)';

/**
 * One kernel per input type. Arguments are byte offsets into the module's memory:
 *   x    C rows of the block's logits (float32 or float64), row k at x + k·xStride
 *   mx   the block's row maxima (float64)
 *   se   out: Σ_k exp(x_k − m) per position (float64; overwritten)
 *   ex   out when keep ≠ 0: exp(x_k − m), row k at ex + k·exStride (float64)
 *   nr   positions, rounded up to a multiple of 2·U (the rows' padding is read and its results ignored)
 * Sums run over k in order 0…C−1 per position, as the JS loop does. x − m ≤ 0 (or NaN) by construction.
 */
function kernel(name, f32) {
  const ind = '            ';
  const load = [];
  for (let j = 0; j < U; j++) {
    const mx = `(v128.load offset=${16 * j} (local.get $mp))`;
    if (!f32) {
      load.push(`(local.set $d${j} (f64x2.sub (v128.load offset=${16 * j} (local.get $xp)) ${mx}))`);
    } else if (j % 2 === 0) {
      load.push(`(local.set $v (v128.load offset=${8 * j} (local.get $xp)))`);
      load.push(`(local.set $d${j} (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) ${mx}))`);
    } else {
      load.push(
        `(local.set $d${j} (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) ${mx}))`,
      );
    }
  }
  const keep = [];
  const sum = [];
  for (let j = 0; j < U; j++) {
    keep.push(`(v128.store offset=${16 * j} (local.get $ep) (local.get $e${j}))`);
    sum.push(`(v128.store offset=${16 * j} (local.get $sp) (f64x2.add (v128.load offset=${16 * j} (local.get $sp)) (local.get $e${j})))`);
  }
  const zero = Array.from({ length: U }, (_, j) => `(v128.store offset=${16 * j} (local.get $sp) (v128.const i64x2 0 0))`);
  const body = expBody(ind, false);
  const pos = 2 * U; // positions per iteration
  return `  (func (export "${name}") (param $x i32) (param $xStride i32) (param $mx i32) (param $se i32) (param $ex i32) (param $exStride i32) (param $C i32) (param $nr i32) (param $keep i32)
    (local $k i32) (local $i i32) (local $xp i32) (local $mp i32) (local $sp i32) (local $ep i32)
    ${vecLocals()}
    ;; se := 0
    (local.set $sp (local.get $se))
    (local.set $i (i32.const 0))
    (block $zdone
      (loop $zero
        (br_if $zdone (i32.ge_u (local.get $i) (local.get $nr)))
        ${zero.join('\n        ')}
        (local.set $sp (i32.add (local.get $sp) (i32.const ${16 * U})))
        (local.set $i (i32.add (local.get $i) (i32.const ${pos})))
        (br $zero)))
    (local.set $k (i32.const 0))
    (block $kdone
      (loop $rows
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $C)))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $k) (local.get $xStride))))
        (local.set $ep (i32.add (local.get $ex) (i32.mul (local.get $k) (local.get $exStride))))
        (local.set $mp (local.get $mx))
        (local.set $sp (local.get $se))
        (local.set $i (i32.const 0))
        (block $idone
          (loop $cols
            (br_if $idone (i32.ge_u (local.get $i) (local.get $nr)))
${load.map((l) => ind + l).join('\n')}
${body}
            (if (local.get $keep)
              (then
${keep.map((l) => ind + '    ' + l).join('\n')}))
${sum.map((l) => ind + l).join('\n')}
            (local.set $xp (i32.add (local.get $xp) (i32.const ${f32 ? 8 * U : 16 * U})))
            (local.set $mp (i32.add (local.get $mp) (i32.const ${16 * U})))
            (local.set $sp (i32.add (local.get $sp) (i32.const ${16 * U})))
            (local.set $ep (i32.add (local.get $ep) (i32.const ${16 * U})))
            (local.set $i (i32.add (local.get $i) (i32.const ${pos})))
            (br $cols)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
  )`;
}

/** exp over nr float64 values at `x`, into `out` (nr a multiple of 2·U; to test the exp alone). */
function expOnly() {
  const ind = '        ';
  const load = Array.from({ length: U }, (_, j) => `(local.set $d${j} (v128.load offset=${16 * j} (local.get $xp)))`);
  const store = Array.from({ length: U }, (_, j) => `(v128.store offset=${16 * j} (local.get $op) (local.get $e${j}))`);
  return `  (func (export "exp") (param $x i32) (param $out i32) (param $nr i32)
    (local $i i32) (local $xp i32) (local $op i32)
    ${vecLocals()}
    (local.set $xp (local.get $x))
    (local.set $op (local.get $out))
    (local.set $i (i32.const 0))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $nr)))
${load.map((l) => ind + l).join('\n')}
${expBody(ind)}
${store.map((l) => ind + l).join('\n')}
        (local.set $xp (i32.add (local.get $xp) (i32.const ${16 * U})))
        (local.set $op (i32.add (local.get $op) (i32.const ${16 * U})))
        (local.set $i (i32.add (local.get $i) (i32.const ${2 * U})))
        (br $cols)))
  )`;
}


/**
 * Groups of 4 positions per iteration of the row-maximum pass (a group: one f32x4, or two f64x2, of logits
 * per class, so that its argmax lanes are one i32x4). Measured on W1's blocks (float32, C = 14): 1 / 2 / 4
 * groups 9.3 / 8.0 / 9.0 ms, weighted 11.2 / 10.2 / 12.6 ms (more spill registers).
 */
const MAXG = 2;

/**
 * The row-maximum pass over a block, position groups outside and classes inside (every running value lives in
 * a register for the whole class loop):
 *   mx[i]  = max_k x_k[i] (f64; −Inf when every x is −Inf or NaN: NaN never becomes the maximum)
 *   am[i]  = the first k reaching it (i32; 0 when none does), as the JS `if (v > m)` loop keeps it
 *   sx[i]  = Σ_k x_k[i], sxw[i] = Σ_k w_k·x_k[i] (f64, k in order 0…C−1, as the JS loop adds; sxw only
 *            when weighted, w at `w`, one f64 per class)
 *   cnt    = [NaN count, ±Inf count] over the C·nr values (i32 each)
 * The counts: Σx of a position is finite exactly when its values are (for float32 logits; float64 ones may
 * also overflow, which only costs the count pass), so the values are counted only when some Σx is not.
 * nr is a multiple of 4·MAXG; the caller zero-fills the rows' padding so that it counts nothing.
 */
function maxKernel(name, f32, weighted) {
  const G = MAXG;
  const ind = '            ';
  const locals = [];
  for (let g = 0; g < G; g++) {
    locals.push(`(local $am${g} v128) (local $sa${g} v128) (local $sb${g} v128) (local $ma${g} v128)`);
    if (!f32) locals.push(`(local $mb${g} v128)`);
    if (weighted) locals.push(`(local $wa${g} v128) (local $wb${g} v128)`);
  }
  const init = [];
  for (let g = 0; g < G; g++) {
    init.push(`(local.set $ma${g} (local.get $ninf))`);
    if (!f32) init.push(`(local.set $mb${g} (local.get $ninf))`);
    init.push(`(local.set $am${g} (v128.const i64x2 0 0))`, `(local.set $sa${g} (v128.const i64x2 0 0))`, `(local.set $sb${g} (v128.const i64x2 0 0))`);
    if (weighted) init.push(`(local.set $wa${g} (v128.const i64x2 0 0))`, `(local.set $wb${g} (v128.const i64x2 0 0))`);
  }
  const body = [];
  if (weighted) body.push(`(local.set $wv (v128.load64_splat (local.get $wp)))`);
  for (let g = 0; g < G; g++) {
    if (f32) {
      body.push(`(local.set $va (v128.load offset=${16 * g} (local.get $xp)))`);
      body.push(`(local.set $am${g} (v128.bitselect (local.get $kv) (local.get $am${g}) (f32x4.lt (local.get $ma${g}) (local.get $va))))`);
      body.push(`(local.set $ma${g} (f32x4.pmax (local.get $ma${g}) (local.get $va)))`);
      body.push(`(local.set $vb (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $va) (local.get $va))))`);
      body.push(`(local.set $va (f64x2.promote_low_f32x4 (local.get $va)))`);
    } else {
      body.push(`(local.set $va (v128.load offset=${32 * g} (local.get $xp)))`);
      body.push(`(local.set $vb (v128.load offset=${32 * g + 16} (local.get $xp)))`);
      body.push(
        `(local.set $am${g} (v128.bitselect (local.get $kv) (local.get $am${g}) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (f64x2.lt (local.get $ma${g}) (local.get $va)) (f64x2.lt (local.get $mb${g}) (local.get $vb)))))`,
      );
      body.push(`(local.set $ma${g} (f64x2.pmax (local.get $ma${g}) (local.get $va)))`);
      body.push(`(local.set $mb${g} (f64x2.pmax (local.get $mb${g}) (local.get $vb)))`);
    }
    body.push(`(local.set $sa${g} (f64x2.add (local.get $sa${g}) (local.get $va)))`);
    body.push(`(local.set $sb${g} (f64x2.add (local.get $sb${g}) (local.get $vb)))`);
    if (weighted) {
      body.push(`(local.set $wa${g} (f64x2.add (local.get $wa${g}) (f64x2.mul (local.get $wv) (local.get $va))))`);
      body.push(`(local.set $wb${g} (f64x2.add (local.get $wb${g}) (f64x2.mul (local.get $wv) (local.get $vb))))`);
    }
  }
  const store = [];
  for (let g = 0; g < G; g++) {
    if (f32) {
      store.push(`(v128.store offset=${32 * g} (local.get $mp) (f64x2.promote_low_f32x4 (local.get $ma${g})))`);
      store.push(
        `(v128.store offset=${32 * g + 16} (local.get $mp) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $ma${g}) (local.get $ma${g}))))`,
      );
    } else {
      store.push(`(v128.store offset=${32 * g} (local.get $mp) (local.get $ma${g}))`);
      store.push(`(v128.store offset=${32 * g + 16} (local.get $mp) (local.get $mb${g}))`);
    }
    store.push(`(v128.store offset=${16 * g} (local.get $ap) (local.get $am${g}))`);
    store.push(`(v128.store offset=${32 * g} (local.get $sp) (local.get $sa${g}))`);
    store.push(`(v128.store offset=${32 * g + 16} (local.get $sp) (local.get $sb${g}))`);
    if (weighted) {
      store.push(`(v128.store offset=${32 * g} (local.get $swp) (local.get $wa${g}))`);
      store.push(`(v128.store offset=${32 * g + 16} (local.get $swp) (local.get $wb${g}))`);
    }
    store.push(`(local.set $bad (f64x2.add (local.get $bad) (f64x2.add (f64x2.sub (local.get $sa${g}) (local.get $sa${g})) (f64x2.sub (local.get $sb${g}) (local.get $sb${g})))))`);
  }
  const P = 4 * G;
  const xBytes = f32 ? 4 : 8;
  return `  (func (export "${name}") (param $x i32) (param $xStride i32) (param $C i32) (param $nr i32) (param $w i32) (param $mx i32) (param $am i32) (param $sx i32) (param $sxw i32) (param $cnt i32)
    (local $i i32) (local $k i32) (local $xi i32) (local $xp i32) (local $wp i32) (local $mp i32) (local $ap i32) (local $sp i32) (local $swp i32)
    (local $kv v128) (local $one v128) (local $ninf v128) (local $bad v128) (local $va v128) (local $vb v128) (local $wv v128)
    ${locals.join(' ')}
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $ninf (${f32 ? 'f32x4.splat (f32.const -inf)' : 'f64x2.splat (f64.const -inf)'}))
    (local.set $bad (v128.const i64x2 0 0))
    (local.set $xi (local.get $x))
    (local.set $mp (local.get $mx))
    (local.set $ap (local.get $am))
    (local.set $sp (local.get $sx))
    (local.set $swp (local.get $sxw))
    (local.set $i (i32.const 0))
    (block $idone
      (loop $cols
        (br_if $idone (i32.ge_u (local.get $i) (local.get $nr)))
${init.map((l) => '        ' + l).join('\n')}
        (local.set $kv (v128.const i64x2 0 0))
        (local.set $xp (local.get $xi))
        (local.set $wp (local.get $w))
        (local.set $k (local.get $C))
        (loop $rows
${body.map((l) => ind + l).join('\n')}
            (local.set $kv (i32x4.add (local.get $kv) (local.get $one)))
            (local.set $xp (i32.add (local.get $xp) (local.get $xStride)))
            ${weighted ? '(local.set $wp (i32.add (local.get $wp) (i32.const 8)))' : ''}
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br_if $rows (local.get $k)))
${store.map((l) => '        ' + l).join('\n')}
        (local.set $xi (i32.add (local.get $xi) (i32.const ${P * xBytes})))
        (local.set $mp (i32.add (local.get $mp) (i32.const ${P * 8})))
        (local.set $ap (i32.add (local.get $ap) (i32.const ${P * 4})))
        (local.set $sp (i32.add (local.get $sp) (i32.const ${P * 8})))
        (local.set $swp (i32.add (local.get $swp) (i32.const ${P * 8})))
        (local.set $i (i32.add (local.get $i) (i32.const ${P})))
        (br $cols)))
    (if (v128.any_true (f64x2.ne (local.get $bad) (local.get $bad)))
      (then (call $${f32 ? 'countF32' : 'countF64'} (local.get $x) (local.get $xStride) (local.get $C) (local.get $nr) (local.get $cnt)))
      (else (i64.store (local.get $cnt) (i64.const 0))))
  )`;
}

/** NaN and ±Inf counts over C rows of nr values into cnt[0], cnt[1] (i32): the rare path of the maximum pass. */
function countKernel(name, f32) {
  const lanes = f32 ? 'i32x4' : 'i64x2';
  const fl = f32 ? 'f32x4' : 'f64x2';
  const sum = (acc) =>
    f32
      ? `(i32.add (i32.add (i32x4.extract_lane 0 (local.get ${acc})) (i32x4.extract_lane 1 (local.get ${acc}))) (i32.add (i32x4.extract_lane 2 (local.get ${acc})) (i32x4.extract_lane 3 (local.get ${acc}))))`
      : `(i32.wrap_i64 (i64.add (i64x2.extract_lane 0 (local.get ${acc})) (i64x2.extract_lane 1 (local.get ${acc}))))`;
  return `  (func $${name} (param $x i32) (param $xStride i32) (param $C i32) (param $nr i32) (param $cnt i32)
    (local $k i32) (local $xp i32) (local $end i32) (local $v v128) (local $nan v128) (local $inf v128) (local $pinf v128)
    (local.set $pinf (${fl}.splat (${f32 ? 'f32' : 'f64'}.const inf)))
    (local.set $nan (v128.const i64x2 0 0))
    (local.set $inf (v128.const i64x2 0 0))
    (local.set $k (i32.const 0))
    (block $kdone
      (loop $rows
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $C)))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $k) (local.get $xStride))))
        (local.set $end (i32.add (local.get $xp) (i32.mul (local.get $nr) (i32.const ${f32 ? 4 : 8}))))
        (block $idone
          (loop $cols
            (br_if $idone (i32.ge_u (local.get $xp) (local.get $end)))
            (local.set $v (v128.load (local.get $xp)))
            (local.set $nan (${lanes}.sub (local.get $nan) (${fl}.ne (local.get $v) (local.get $v))))
            (local.set $inf (${lanes}.sub (local.get $inf) (${fl}.eq (${fl}.abs (local.get $v)) (local.get $pinf))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $cols)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
    (i32.store (local.get $cnt) ${sum('$nan')})
    (i32.store offset=4 (local.get $cnt) ${sum('$inf')})
  )`;
}

/**
 * log(x) for positive normal x (NaN stays NaN, +Inf stays +Inf), f64x2: fdlibm's e_log algorithm in the
 * branch-free form musl uses — x = 2^k·(1+f) with 1+f in [√2/2, √2), s = f/(2+f), a degree-14 even
 * polynomial in s, and k·ln2 added in two parts; within 1 ulp. Input `$d0…`, output `$e0…`.
 */
const LG = [6.666666666666735130e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1, 1.818357216161805012e-1, 1.531383769920937332e-1, 1.479819860511658591e-1];
/** f64x2 vectors per iteration of the log (1 / 2 / 4: 2.6 / 2.5 / 2.5 ns per position for lse and 1/Σ). */
const LOG_U = 2;
function logBody(indent) {
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
const logLocals = () => ['d', 'e', 't', 'r', 'p', 'c', 'h'].map((n) => Array.from({ length: LOG_U }, (_, j) => `(local $${n}${j} v128)`).join(' ')).join(' ');

/** lse = mx + log(se), inv = 1/se over nr positions (nr a multiple of 2·LOG_U). */
function lseInv() {
  const ind = '        ';
  const load = Array.from({ length: LOG_U }, (_, j) => `(local.set $d${j} (v128.load offset=${16 * j} (local.get $sp)))`);
  const store = [];
  for (let j = 0; j < LOG_U; j++) {
    store.push(`(v128.store offset=${16 * j} (local.get $lp) (f64x2.add (v128.load offset=${16 * j} (local.get $mp)) (local.get $e${j})))`);
    store.push(`(v128.store offset=${16 * j} (local.get $ip) (f64x2.div (local.get $one) (local.get $d${j})))`);
  }
  return `  (func (export "lseInv") (param $mx i32) (param $se i32) (param $lse i32) (param $inv i32) (param $nr i32)
    (local $i i32) (local $mp i32) (local $sp i32) (local $lp i32) (local $ip i32) (local $one v128)
    ${logLocals()}
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $mp (local.get $mx))
    (local.set $sp (local.get $se))
    (local.set $lp (local.get $lse))
    (local.set $ip (local.get $inv))
    (local.set $i (i32.const 0))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $nr)))
${load.map((l) => ind + l).join('\n')}
${logBody(ind)}
${store.map((l) => ind + l).join('\n')}
        (local.set $mp (i32.add (local.get $mp) (i32.const ${16 * LOG_U})))
        (local.set $sp (i32.add (local.get $sp) (i32.const ${16 * LOG_U})))
        (local.set $lp (i32.add (local.get $lp) (i32.const ${16 * LOG_U})))
        (local.set $ip (i32.add (local.get $ip) (i32.const ${16 * LOG_U})))
        (local.set $i (i32.add (local.get $i) (i32.const ${2 * LOG_U})))
        (br $cols)))
  )`;
}

/** log over nr float64 values at `x`, into `out` (nr a multiple of 2·LOG_U; to test and time the log alone). */
function logOnly() {
  const ind = '        ';
  const load = Array.from({ length: LOG_U }, (_, j) => `(local.set $d${j} (v128.load offset=${16 * j} (local.get $xp)))`);
  const store = Array.from({ length: LOG_U }, (_, j) => `(v128.store offset=${16 * j} (local.get $op) (local.get $e${j}))`);
  return `  (func (export "log") (param $x i32) (param $out i32) (param $nr i32)
    (local $i i32) (local $xp i32) (local $op i32)
    ${logLocals()}
    (local.set $xp (local.get $x))
    (local.set $op (local.get $out))
    (local.set $i (i32.const 0))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $nr)))
${load.map((l) => ind + l).join('\n')}
${logBody(ind)}
${store.map((l) => ind + l).join('\n')}
        (local.set $xp (i32.add (local.get $xp) (i32.const ${16 * LOG_U})))
        (local.set $op (i32.add (local.get $op) (i32.const ${16 * LOG_U})))
        (local.set $i (i32.add (local.get $i) (i32.const ${2 * LOG_U})))
        (br $cols)))
  )`;
}

/**
 * The focal term of a block for class-index targets, sigmoid focal loss with γ = 2 (DiceFocalLoss on a label map
 * with MONAI's default γ), float32 logits: per class k in [c0, C) and position i < n (n a multiple of 2·FOCAL_U),
 * with t = (yy[i] == k), e = exp(−|x|), softplus(±x) = max(±x, 0) + log(1 + e), σ(x), σ(−x) from e:
 *   hard      σ(−x·(2t − 1))² · (x − x·t + softplus(−x)) · α_t
 *   smoothed  σ(z)² · (x − x·t_s + softplus(−x)) · α_s with t_s = on / off, z = −x·(2t_s − 1)
 * (the JS `focalIndexSigmoid` in focalSums.ts, which the tests hold it to). Sums per class as two f64x2 (two lane
 * partial sums each: hard, smoothed) at out + k·32. Constants: on, off, 2·on − 1, 1 − 2·off, α for t = 1, 0, on, off.
 */
const FOCAL_U = 2;
function focalIdx() {
  const ind = '          ';
  const L = [];
  const all = (f) => {
    for (let j = 0; j < FOCAL_U; j++) L.push(f(j));
  };
  const g = (n, j) => `(local.get $${n}${j})`;
  all((j) => `(local.set $x${j} (f64x2.promote_low_f32x4 (v128.load64_zero offset=${8 * j} (local.get $xp))))`);
  all((j) => `(local.set $m${j} (i64x2.extend_low_i32x4_s (i32x4.eq (v128.load64_zero offset=${8 * j} (local.get $yp)) (local.get $kv))))`);
  // e = exp(−|x|)
  all((j) => `(local.set $d${j} (f64x2.neg (f64x2.abs ${g('x', j)})))`);
  L.push(expBody('', true, FOCAL_U));
  all((j) => `(local.set $q${j} ${g('e', j)})`); // e kept in $q
  // log(1 + e)
  all((j) => `(local.set $d${j} (f64x2.add ${g('q', j)} (local.get $one)))`);
  L.push(logBody(''));
  // r = 1/(1+e) in $s; softplus(x) in $u; softplus(−x) in $w
  all((j) => `(local.set $s${j} (f64x2.div (local.get $one) (f64x2.add ${g('q', j)} (local.get $one))))`);
  all((j) => `(local.set $u${j} (f64x2.add (f64x2.max ${g('x', j)} (local.get $zero)) ${g('e', j)}))`);
  all((j) => `(local.set $w${j} (f64x2.sub ${g('u', j)} ${g('x', j)}))`);
  // σ(x) = x < 0 ? e·r : r; σ(−x) = x < 0 ? r : e·r; q = t ? σ(−x) : σ(x)  →  q = (t xor x<0) ? e·r : r
  all((j) => `(local.set $n${j} (v128.xor ${g('m', j)} (f64x2.lt ${g('x', j)} (local.get $zero))))`);
  all((j) => `(local.set $q${j} (v128.bitselect (f64x2.mul ${g('q', j)} ${g('s', j)}) ${g('s', j)} ${g('n', j)}))`);
  // hard: q²·bce·α, bce = t ? softplus(−x) : softplus(x)
  all((j) => `(local.set $ah${j} (f64x2.add ${g('ah', j)} (f64x2.mul (f64x2.mul (f64x2.mul ${g('q', j)} ${g('q', j)}) (v128.bitselect ${g('w', j)} ${g('u', j)} ${g('m', j)})) (v128.bitselect (local.get $a1) (local.get $a0) ${g('m', j)}))))`);
  // smoothed: z = t ? −x·kOn : x·kOff; es = exp(−|z|)
  all((j) => `(local.set $n${j} (f64x2.mul ${g('x', j)} (v128.bitselect (local.get $kon) (local.get $koff) ${g('m', j)})))`);
  all((j) => `(local.set $d${j} (f64x2.neg (f64x2.abs ${g('n', j)})))`);
  L.push(expBody('', true, FOCAL_U));
  // qs = z ≥ 0 ? 1/(1+es) : es/(1+es)
  all((j) => `(local.set $s${j} (f64x2.div (local.get $one) (f64x2.add ${g('e', j)} (local.get $one))))`);
  all((j) => `(local.set $q${j} (v128.bitselect ${g('s', j)} (f64x2.mul ${g('e', j)} ${g('s', j)}) (f64x2.ge ${g('n', j)} (local.get $zero))))`);
  // bce_s = x − x·t_s + softplus(−x)
  all((j) => `(local.set $u${j} (f64x2.add (f64x2.sub ${g('x', j)} (f64x2.mul ${g('x', j)} (v128.bitselect (local.get $on) (local.get $off) ${g('m', j)}))) ${g('w', j)}))`);
  all((j) => `(local.set $as${j} (f64x2.add ${g('as', j)} (f64x2.mul (f64x2.mul (f64x2.mul ${g('q', j)} ${g('q', j)}) ${g('u', j)}) (v128.bitselect (local.get $aon) (local.get $aoff) ${g('m', j)}))))`);
  const vl = (n) => Array.from({ length: FOCAL_U }, (_, j) => `(local $${n}${j} v128)`).join(' ');
  const expLocals = ['d', 'e', 't', 'r', 'p'].map((n) => vl(n)).join(' ');
  const logOnlyLocals = ['c', 'h'].map((n) => vl(n)).join(' ');
  return `  (func (export "focalIdxF32") (param $x i32) (param $xStride i32) (param $yy i32) (param $kFirst i32) (param $C i32) (param $n i32) (param $out i32)
    (param $kOn f64) (param $kOff f64) (param $tOn f64) (param $tOff f64) (param $aT1 f64) (param $aT0 f64) (param $aTOn f64) (param $aTOff f64)
    (local $k i32) (local $i i32) (local $xp i32) (local $yp i32) (local $op i32) (local $kv v128)
    (local $one v128) (local $zero v128) (local $kon v128) (local $koff v128) (local $on v128) (local $off v128)
    (local $a1 v128) (local $a0 v128) (local $aon v128) (local $aoff v128) (local $c v128)
    ${expLocals} ${logOnlyLocals} ${['x', 'm', 'q', 's', 'u', 'w', 'n', 'ah', 'as'].map((n) => vl(n)).join(' ')}
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $kon (f64x2.splat (f64.neg (local.get $kOn))))
    (local.set $koff (f64x2.splat (local.get $kOff)))
    (local.set $on (f64x2.splat (local.get $tOn)))
    (local.set $off (f64x2.splat (local.get $tOff)))
    (local.set $a1 (f64x2.splat (local.get $aT1)))
    (local.set $a0 (f64x2.splat (local.get $aT0)))
    (local.set $aon (f64x2.splat (local.get $aTOn)))
    (local.set $aoff (f64x2.splat (local.get $aTOff)))
    (local.set $k (local.get $kFirst))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $k) (local.get $C)))
        (local.set $kv (i32x4.splat (local.get $k)))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $k) (local.get $xStride))))
        (local.set $yp (local.get $yy))
${Array.from({ length: FOCAL_U }, (_, j) => `        (local.set $ah${j} (local.get $zero)) (local.set $as${j} (local.get $zero))`).join('\n')}
        (local.set $i (i32.const 0))
        (block $done
          (loop $cols
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
${L.join('\n').split('\n').map((l) => ind + l.trim()).join('\n')}
            (local.set $xp (i32.add (local.get $xp) (i32.const ${8 * FOCAL_U})))
            (local.set $yp (i32.add (local.get $yp) (i32.const ${8 * FOCAL_U})))
            (local.set $i (i32.add (local.get $i) (i32.const ${2 * FOCAL_U})))
            (br $cols)))
        (local.set $op (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 5))))
        (v128.store (local.get $op) ${Array.from({ length: FOCAL_U - 1 }, () => '(f64x2.add ').join('')}(local.get $ah0)${Array.from({ length: FOCAL_U - 1 }, (_, j) => ` (local.get $ah${j + 1}))`).join('')})
        (v128.store offset=16 (local.get $op) ${Array.from({ length: FOCAL_U - 1 }, () => '(f64x2.add ').join('')}(local.get $as0)${Array.from({ length: FOCAL_U - 1 }, (_, j) => ` (local.get $as${j + 1}))`).join('')})
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
  )`;
}

/**
 * Slots of the per-class Dice sums the `dice*` functions write: one f64x2 (two lane partial sums, the caller
 * adds them) per slot, DICE_SLOTS slots per class at out + k·16·DICE_SLOTS.
 *   0 Σp  1 Σp·t  2 Σt  3 Σ|p|^o  4 Σ|y_s|^o  5 Σ|p − y_s|^o  6 Σ(p − t)²  7 Σv  8 Σu·v  9 Σv²  10 Σt·v
 * (o = 2 squared, else 1; u = p − t, v = 1/C − t; 6 only squared, 7 with a sweep, 8–10 squared with a sweep).
 */
const DICE_SLOTS = 12;
/**
 * f64x2 vectors per iteration of the dice* functions; with buckets, each vector's lane has its own copy.
 * Measured (W4, whole pass, one thread): 1 / 2 / 4 vectors 172 / 158 / 165 ms; W1 the same for all three.
 */
const DICE_U = 2;

/**
 * The per-class Dice sums of a block for class-index targets with softmax: p = ex_k[i]·inv[i] (the block
 * preparation's exp rows and 1/Σ, already in memory), t = (yy[i] == k), y_s = (1 − ε)·t + ε/C. Classes
 * outside, positions inside, 2·DICE_U positions (DICE_U f64x2) per step. Arguments (byte offsets):
 *   ex, exStride  the exp rows; inv  1/Σ per position; yy  the block's hard classes (i32; −1 ignored, −2 the
 *   padding up to nr, which adds nothing: masked in the steps past the last full one); C; n; nr (n rounded
 *   up to a multiple of 2·DICE_U); out  the sums (DICE_SLOTS per class);
 *   cst  f64 constants: ε/C, 1 − ε, 1/C, (unused), (unused), scaleOn, scaleOff, K;
 *   bkt, K1  with `sweep` = 'buckets': the ε-sweep buckets of the uniform grid 0, Δ, …, two f64 (Σsign(v)·u,
 *   Σ|v|) per (class, bucket) at bkt + (k·K1 + j)·16 in copy 0, 2·DICE_U copies of C·K1 pairs, one per
 *   lane of each vector of an iteration (that many chains of dependent updates instead of one: most values
 *   of a class fall into the same bucket); bucket j = floor(u·scale) + 1
 *   clamped to [0, K] (NaN: K), as the JS `fastIndexSweep` computes it.
 * `sweep`: 'none', 'moments' (squared: Σv, Σuv, Σv², Σtv) or 'buckets' (not squared: Σv and the buckets).
 */
function diceIdx(name, squared, sweep) {
  const ind = '            ';
  const acc = [0, 1, 2, 3, 4, 5];
  if (squared) acc.push(6);
  if (sweep !== 'none') acc.push(7);
  if (sweep === 'moments') acc.push(8, 9, 10);
  const ld = (o) => `(v128.load64_splat offset=${o} (local.get $cst))`;
  const bodyOf = (g, masked) => {
  const mask = (e) => (masked ? `(v128.and ${e} (local.get $vm))` : e);
  const body = [
    `(local.set $y (v128.load32x2_s offset=${8 * g} (local.get $yp)))`,
    `(local.set $tm (i64x2.eq (local.get $y) (local.get $kv)))`,
    ...(masked ? [`(local.set $vm (i64x2.ne (local.get $y) (local.get $pad)))`] : []),
    `(local.set $p ${mask(`(f64x2.mul (v128.load offset=${16 * g} (local.get $ep)) (v128.load offset=${16 * g} (local.get $ip)))`)})`,
    `(local.set $t (v128.and (local.get $tm) (local.get $one)))`,
    // y_s = (1 − ε)·t + ε/C and v = 1/C − t as the JS loop computes them (a multiply-add and a subtraction
    // are cheaper than a select: v128.bitselect is three x64 instructions)
    `(local.set $ys ${mask('(f64x2.add (f64x2.mul (local.get $omEps) (local.get $t)) (local.get $offYs))')})`,
    `(local.set $a0 (f64x2.add (local.get $a0) (local.get $p)))`,
    `(local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $p) (local.get $t))))`,
    `(local.set $a2 (f64x2.add (local.get $a2) (local.get $t)))`,
    `(local.set $d (f64x2.sub (local.get $p) (local.get $ys)))`,
  ];
  if (squared) {
    body.push(
      `(local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $p) (local.get $p))))`,
      `(local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $ys) (local.get $ys))))`,
      `(local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (local.get $d) (local.get $d))))`,
      `(local.set $u (f64x2.sub (local.get $p) (local.get $t)))`,
      `(local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (local.get $u) (local.get $u))))`,
    );
  } else {
    body.push(
      `(local.set $a3 (f64x2.add (local.get $a3) (f64x2.abs (local.get $p))))`,
      `(local.set $a4 (f64x2.add (local.get $a4) (f64x2.abs (local.get $ys))))`,
      `(local.set $a5 (f64x2.add (local.get $a5) (f64x2.abs (local.get $d))))`,
    );
  }
  if (sweep !== 'none') {
    body.push(
      `(local.set $v ${mask('(f64x2.sub (local.get $invC) (local.get $t))')})`,
      `(local.set $a7 (f64x2.add (local.get $a7) (local.get $v)))`,
    );
  }
  if (sweep === 'moments') {
    body.push(
      `(local.set $a8 (f64x2.add (local.get $a8) (f64x2.mul (local.get $u) (local.get $v))))`,
      `(local.set $a9 (f64x2.add (local.get $a9) (f64x2.mul (local.get $v) (local.get $v))))`,
      `(local.set $a10 (f64x2.add (local.get $a10) (f64x2.mul (local.get $t) (local.get $v))))`,
    );
  }
  if (sweep === 'buckets') {
    body.push(
      `(local.set $u (f64x2.sub (local.get $p) (local.get $t)))`,
      // bucket: floor(u · (t ? scaleOn : scaleOff)) + 1 clamped to [0, K], computed as floor of the product
      // clamped to K − 1 (pmin(K − 1, NaN) is K − 1: NaN goes to K) plus 2^52 + 1, exact for these integers,
      // so that the bucket is the low 32 bits of each lane (i32 lanes 0 and 2). The product is ≥ 0 (or −0):
      // p ∈ [0, 1], so u ≥ 0 where t = 0 (scaleOff > 0) and u ≤ 0 where t = 1 (scaleOn < 0), and the clamp
      // at 0 is not needed. The scale: scaleOff ^ (t-mask & (scaleOn ^ scaleOff)), two instructions.
      `(local.set $j (f64x2.add (f64x2.floor (f64x2.pmin (local.get $kf) (f64x2.mul (local.get $u) (v128.xor (local.get $scOff) (v128.and (local.get $tm) (local.get $scX)))))) (local.get $magic)))`,
      // (sign(v)·u, |v|): t = 1 → (−u, 1 − 1/C), t = 0 → (u, 1/C); the padding adds (0, 0)
      // sign(v)·u is |u|: p = ex·(1/Σ) lies in [0, 1] (1 only where Σ = ex = 1, exactly), so u = p − 1 ≤ 0 where
      // t = 1 and u = p ≥ 0 where t = 0 (±0 add alike; NaN stays NaN)
      `(local.set $su (f64x2.abs (local.get $u)))`,
      // |v|: 1 − 1/C where t = 1 (fl(1/C − 1) = −fl(1 − 1/C)), 1/C where t = 0; 0 in the (masked) padding
      `(local.set $sv (f64x2.abs (local.get $v)))`,
      // the two lanes' addresses at once: bucket·16 plus their copies' bases (i32 lanes 0 and 2)
      `(local.set $j (i32x4.add (i32x4.shl (local.get $j) (i32.const 4)) (local.get $kbv${g})))`,
      `(local.set $q (i32x4.extract_lane 0 (local.get $j)))`,
      `(v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $su) (local.get $sv))))`,
      `(local.set $q (i32x4.extract_lane 2 (local.get $j)))`,
      `(v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $su) (local.get $sv))))`,
    );
  }
  return body;
  };
  // full steps without the padding masks, then the last step(s) up to nr with them
  const body = [];
  const tail = [];
  for (let g = 0; g < DICE_U; g++) {
    body.push(...bodyOf(g, false));
    tail.push(...bodyOf(g, true));
  }
  const advance = [
    `(local.set $ep (i32.add (local.get $ep) (i32.const ${16 * DICE_U})))`,
    `(local.set $ip (i32.add (local.get $ip) (i32.const ${16 * DICE_U})))`,
    `(local.set $yp (i32.add (local.get $yp) (i32.const ${8 * DICE_U})))`,
    `(local.set $i (i32.add (local.get $i) (i32.const ${2 * DICE_U})))`,
  ];
  const zero = acc.map((a) => `(local.set $a${a} (v128.const i64x2 0 0))`);
  const store = acc.map((a) => `(v128.store offset=${16 * a} (local.get $op) (local.get $a${a}))`);
  return `  (func (export "${name}") (param $ex i32) (param $exStride i32) (param $inv i32) (param $yy i32) (param $C i32) (param $n i32) (param $nr i32) (param $out i32) (param $cst i32) (param $bkt i32) (param $K1 i32)
    (local $k i32) (local $i i32) (local $ep i32) (local $ip i32) (local $yp i32) (local $op i32) (local $kb i32) ${Array.from({ length: 2 * DICE_U }, (_, c) => `(local $kb${c} i32)`).join(' ')} (local $q i32)
    ${Array.from({ length: DICE_U }, (_, g) => `(local $kbv${g} v128)`).join(' ')}
    (local $kv v128) (local $pad v128) (local $one v128) (local $zero v128) (local $offYs v128) (local $omEps v128) (local $invC v128) (local $scOn v128) (local $scOff v128) (local $kf v128) (local $scX v128) (local $magic v128)
    (local $y v128) (local $tm v128) (local $vm v128) (local $p v128) (local $t v128) (local $ys v128) (local $d v128) (local $u v128) (local $v v128) (local $j v128) (local $su v128) (local $sv v128)
    ${acc.map((a) => `(local $a${a} v128)`).join(' ')}
    (local.set $pad (i64x2.splat (i64.const -2)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $zero (v128.const i64x2 0 0))
    (local.set $offYs ${ld(0)})
    (local.set $omEps ${ld(8)})
    (local.set $invC ${ld(16)})
    (local.set $scOn ${ld(40)})
    (local.set $scOff ${ld(48)})
    (local.set $kf (f64x2.sub ${ld(56)} (local.get $one)))
    (local.set $scX (v128.xor (local.get $scOn) (local.get $scOff)))
    (local.set $magic (f64x2.splat (f64.const ${2 ** 52 + 1})))
    (local.set $k (i32.const 0))
    (block $kdone
      (loop $rows
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $C)))
        (local.set $kv (i64x2.splat (i64.extend_i32_u (local.get $k))))
        (local.set $ep (i32.add (local.get $ex) (i32.mul (local.get $k) (local.get $exStride))))
        (local.set $ip (local.get $inv))
        (local.set $yp (local.get $yy))
        (local.set $op (i32.add (local.get $out) (i32.mul (local.get $k) (i32.const ${16 * DICE_SLOTS}))))
        (local.set $kb (i32.add (local.get $bkt) (i32.shl (i32.mul (local.get $k) (local.get $K1)) (i32.const 4))))
${Array.from({ length: 2 * DICE_U }, (_, c) => `        (local.set $kb${c} (i32.add (local.get $kb) (i32.mul (i32.const ${c}) (i32.shl (i32.mul (local.get $C) (local.get $K1)) (i32.const 4)))))`).join('\n')}
${Array.from({ length: DICE_U }, (_, g) => `        (local.set $kbv${g} (i32x4.replace_lane 2 (i32x4.splat (local.get $kb${2 * g})) (local.get $kb${2 * g + 1})))`).join('\n')}
${zero.map((l) => '        ' + l).join('\n')}
        (local.set $i (i32.const 0))
        (block $idone
          (loop $cols
            (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const ${2 * DICE_U})) (local.get $n)))
${body.map((l) => ind + l).join('\n')}
${advance.map((l) => ind + l).join('\n')}
            (br $cols)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $i) (local.get $nr)))
${tail.map((l) => ind + l).join('\n')}
${advance.map((l) => ind + l).join('\n')}
            (br $tail)))
${store.map((l) => '        ' + l).join('\n')}
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
  )`;
}

/** Calibration bins of the fused pass (accumulate.ts CALIBRATION_BINS). */
const CAL_BINS = 15;
/**
 * Layout of the per-position sums region (float64 slots) the pos* functions add into:
 *   0 kept, 1 Σ w_y·(−log q_y), 2 Σ Σ_k w_k·(−log q_k), 3 Σ w_y; then per calibration bin b at 4 + 3·b:
 *   count, Σ confidence, correct; then per class y at POS_CLASS + 4·y: elements, Σ −log q_y, Σ Σ_k −log q_k,
 *   Σ Σ_k w_k·(−log q_k); then the confusion matrix at POS_CLASS + 4·C + t·C + p.
 */
const POS_CLASS = 4 + 3 * CAL_BINS + 3; // 52: a multiple of 4 (32-byte records)

/**
 * The per-position sums of a block (scalar: every position adds into slots picked by its class): for each
 * position with a hard class y ≥ 0 (yy, i32), −log q_y = lse − x_y (x_y read from the block's rows), the
 * smoothed Σ_k −log q_k = C·lse − Σx and its weighted form (W·lse − Σw·x when `weighted`, W = Σ_k w_k),
 * per class counts and sums, the confusion matrix (y, argmax), the calibration bin of 1/Σ (the top softmax
 * probability; skipped when NaN) — as the JS loop computes them, in the same order. `index` ≠ 0: class-index
 * targets, which also add kept, Σ w_y·(−log q_y), Σ (smoothed, weighted) and Σ w_y (w at `w`; 1 when not
 * weighted). Adds into the region at `acc` (POS_CLASS layout), which the caller zeroes and reads.
 */
function posSums(name, f32) {
  const xb = f32 ? 4 : 8;
  const loadX = f32 ? `(f64.promote_f32 (f32.load (local.get $q)))` : `(f64.load (local.get $q))`;
  return `  (func (export "${name}") (param $x i32) (param $xStride i32) (param $yy i32) (param $lse i32) (param $sx i32) (param $sxw i32) (param $inv i32) (param $am i32) (param $n i32) (param $C i32) (param $w i32) (param $weighted i32) (param $wTotal f64) (param $index i32) (param $acc i32)
    (local $i i32) (local $y i32) (local $a i32) (local $q i32) (local $cls i32) (local $conf i32)
    (local $l f64) (local $nl f64) (local $sNll f64) (local $sNllW f64) (local $wy f64) (local $c f64) (local $Cf f64)
    (local $kept f64) (local $nllW f64) (local $smoothW f64) (local $weightSum f64)
    (local.set $Cf (f64.convert_i32_u (local.get $C)))
    (local.set $cls (i32.add (local.get $acc) (i32.const ${POS_CLASS * 8})))
    (local.set $conf (i32.add (local.get $cls) (i32.shl (local.get $C) (i32.const 5))))
    (local.set $kept (f64.load (local.get $acc)))
    (local.set $nllW (f64.load offset=8 (local.get $acc)))
    (local.set $smoothW (f64.load offset=16 (local.get $acc)))
    (local.set $weightSum (f64.load offset=24 (local.get $acc)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $pos
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $y (i32.load (i32.add (local.get $yy) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.ge_s (local.get $y) (i32.const 0))
          (then
            (local.set $l (f64.load (i32.add (local.get $lse) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $q (i32.add (i32.add (local.get $x) (i32.mul (local.get $y) (local.get $xStride))) (i32.mul (local.get $i) (i32.const ${xb}))))
            (local.set $nl (f64.sub (local.get $l) ${loadX}))
            (local.set $sNll (f64.sub (f64.mul (local.get $Cf) (local.get $l)) (f64.load (i32.add (local.get $sx) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $sNllW (local.get $sNll))
            (if (local.get $weighted)
              (then (local.set $sNllW (f64.sub (f64.mul (local.get $wTotal) (local.get $l)) (f64.load (i32.add (local.get $sxw) (i32.shl (local.get $i) (i32.const 3))))))))
            (if (local.get $index)
              (then
                (local.set $kept (f64.add (local.get $kept) (f64.const 1)))
                (local.set $wy (f64.const 1))
                (if (local.get $weighted) (then (local.set $wy (f64.load (i32.add (local.get $w) (i32.shl (local.get $y) (i32.const 3)))))))
                (local.set $nllW (f64.add (local.get $nllW) (f64.mul (local.get $wy) (local.get $nl))))
                (local.set $smoothW (f64.add (local.get $smoothW) (local.get $sNllW)))
                (local.set $weightSum (f64.add (local.get $weightSum) (local.get $wy)))))
            (local.set $q (i32.add (local.get $cls) (i32.shl (local.get $y) (i32.const 5))))
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.const 1)))
            (f64.store offset=8 (local.get $q) (f64.add (f64.load offset=8 (local.get $q)) (local.get $nl)))
            (f64.store offset=16 (local.get $q) (f64.add (f64.load offset=16 (local.get $q)) (local.get $sNll)))
            (f64.store offset=24 (local.get $q) (f64.add (f64.load offset=24 (local.get $q)) (local.get $sNllW)))
            (local.set $a (i32.load (i32.add (local.get $am) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $q (i32.add (local.get $conf) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $C)) (local.get $a)) (i32.const 3))))
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.const 1)))
            (local.set $c (f64.load (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3)))))
            (if (f64.eq (local.get $c) (local.get $c))
              (then
                (local.set $q (i32.add (local.get $acc) (i32.add (i32.const 32) (i32.mul (i32.const 24)
                  (select (i32.const ${CAL_BINS - 1}) (local.tee $q (i32.trunc_f64_s (f64.floor (f64.mul (local.get $c) (f64.const ${CAL_BINS}))))) (i32.gt_s (local.get $q) (i32.const ${CAL_BINS - 1})))))))
                (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.const 1)))
                (f64.store offset=8 (local.get $q) (f64.add (f64.load offset=8 (local.get $q)) (local.get $c)))
                (if (i32.eq (local.get $a) (local.get $y))
                  (then (f64.store offset=16 (local.get $q) (f64.add (f64.load offset=16 (local.get $q)) (f64.const 1)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $pos)))
    (f64.store (local.get $acc) (local.get $kept))
    (f64.store offset=8 (local.get $acc) (local.get $nllW))
    (f64.store offset=16 (local.get $acc) (local.get $smoothW))
    (f64.store offset=24 (local.get $acc) (local.get $weightSum))
  )`;
}

const functions = [
  kernel('expSumF32', true),
  kernel('expSumF64', false),
  expOnly(),
  maxKernel('maxF32', true, false),
  maxKernel('maxF32W', true, true),
  maxKernel('maxF64', false, false),
  maxKernel('maxF64W', false, true),
  countKernel('countF32', true),
  countKernel('countF64', false),
  lseInv(),
  logOnly(),
  diceIdx('diceIdx', false, 'none'),
  diceIdx('diceIdxSq', true, 'none'),
  diceIdx('diceIdxSw', false, 'buckets'),
  diceIdx('diceIdxSqSw', true, 'moments'),
  posSums('posF32', true),
  posSums('posF64', false),
  focalIdx(),
].join('\n');
/** First byte the caller may use: above the constant table, on a 64-byte line. */
if ((2 * U) % (4 * MAXG) !== 0 || (2 * U) % (2 * LOG_U) !== 0 || (2 * U) % (2 * DICE_U) !== 0) throw new Error('step must be a multiple of every function\'s positions per iteration');
const heapBase = Math.ceil((table.size * 16) / 64) * 64;
const dataSeg = [...table.entries()]
  .map(([text, e]) => `  (data (i32.const ${e.off}) "${[...e.bytes].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('')}") ;; ${text}`)
  .join('\n');
const wat = `;; GENERATED by src/engine/wasm/generate.mjs — edit that file, then run it.
;; The block kernel of the fused pass: row maximum, first argmax, Σx, Σw·x, NaN/Inf counts; exp(x − m) and
;; Σ_k exp(x_k − m); m + log Σ and 1/Σ. Float64 arithmetic (f64x2 lanes).
(module
  (memory (export "memory") 1)
  ;; positions handled per loop iteration: callers round n up to a multiple of it
  (global (export "step") i32 (i32.const ${2 * U}))
  ;; first byte of memory the caller may use
  (global (export "heapBase") i32 (i32.const ${heapBase}))
  ;; f64x2 slots per class of the dice* functions' sums
  (global (export "diceSlots") i32 (i32.const ${DICE_SLOTS}))
  ;; copies of the ε-sweep buckets the dice*Sw function keeps (one per lane of each vector of an iteration)
  ;; f64 slot where the pos* functions' per-class records start
  (global (export "posClass") i32 (i32.const ${POS_CLASS}))
  (global (export "bucketCopies") i32 (i32.const ${2 * DICE_U}))
  ;; the constants, one f64x2/i64x2 each
${dataSeg}
${functions}
)
`;

const wabt = await wabtInit();
const mod = wabt.parseWat('expSumKernel.wat', wat, { simd: true });
mod.validate();
const bytes = mod.toBinary({}).buffer;
mod.destroy();

const b64 = Buffer.from(bytes).toString('base64');
const lines = [];
for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
const ts = `// GENERATED by src/engine/wasm/generate.mjs from the kernel text in expSumKernel.wat — do not edit.
/** The compiled exp-and-sum kernel (${bytes.length} bytes), base64. */
export const EXP_SUM_KERNEL_BASE64 =
${lines.join(' +\n')};
`;

const outWat = join(here, 'expSumKernel.wat');
const outTs = join(here, 'expSumKernelBytes.ts');
if (process.argv.includes('--check')) {
  const same = (p, s) => {
    try {
      return readFileSync(p, 'utf8') === s;
    } catch {
      return false;
    }
  };
  if (!same(outWat, wat) || !same(outTs, ts)) {
    console.error('src/engine/wasm: expSumKernel.wat / expSumKernelBytes.ts are out of date; run node src/engine/wasm/generate.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(outWat, wat);
  writeFileSync(outTs, ts);
  console.log(`expSumKernel: ${bytes.length} bytes`);
}
