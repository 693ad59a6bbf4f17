// Dev-time generator (Node, not part of the engine): writes the softmax block kernel's text (`softmaxBlock.wat`,
// for reading and review), its compiled bytes (`softmaxBlockBytes.ts`, what the engine loads) and its memory
// layout (`softmaxBlockLayout.ts`: the output slots below, by name), so that neither the bundles nor CI need a
// WebAssembly toolchain at run time and the engine never keeps an offset equal to this file by hand.
//   node src/engine/wasm/generate.mjs           regenerate the three files
//   node src/engine/wasm/generate.mjs --check   exit 1 if the committed files are out of date
// Why generated: the exp and log bodies are written out inline for several vectors at once (V8 does not
// reliably inline small wasm functions into loops, and the unrolled text is long), and their constants are
// computed here. Functions: expRowsF32/F64 (exp(x − m) per class and its sum), rowMaxF32/F64[W] (the
// row-maximum pass), countF32/F64 (its NaN/Inf counts, internal), lseInv (m + log Σ and 1/Σ),
// diceSums[Squared|Buckets|Moments] (per-class Dice sums and the ε sweep's sums for class-index targets with
// softmax), positionSumsF32/F64 (the per-position CE, confusion and calibration sums), focalSumsF32 (the sigmoid
// focal sums, γ = 2, for class-index targets), and exp / log alone for the tests.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// The output layouts: declared here once, used below to write the kernel and written into softmaxBlockLayout.ts,
// which the engine reads by name. Each entry: [slot, what it sums] (the text becomes the slot's doc comment).

/** Bins of the calibration table (confidence in [b/B, (b+1)/B)): the JS pass, the kernel and the report use these. */
const CALIBRATION_BINS = 15;

/**
 * The per-class Dice sums of the `diceSums*` functions: one f64x2 per slot (two lane partial sums, the reader
 * adds them), DICE_SLOTS slots per class at out + k·16·DICE_SLOTS. p the softmax probability, t the hard target
 * (0/1), y_s = (1 − ε)·t + ε/C the smoothed one, o = 2 with squaredPred else 1; for the ε sweep u = p − t (the
 * error against the hard target) and v = 1/C − t (how far smoothing moves the target per unit of ε).
 */
const DICE_SLOT = {
  predSum: [0, 'Σ p'],
  overlapSum: [1, 'Σ p·t'],
  targetSum: [2, 'Σ t'],
  predPow: [3, 'Σ |p|^o'],
  smoothTargetPow: [4, 'Σ |y_s|^o'],
  smoothDiffPow: [5, 'Σ |p − y_s|^o'],
  errorSq: [6, 'Σ (p − t)², with squaredPred'],
  shiftSum: [7, 'Σ v, with an ε sweep'],
  errorShift: [8, 'Σ u·v, squaredPred with an ε sweep'],
  shiftSq: [9, 'Σ v², squaredPred with an ε sweep'],
  targetShift: [10, 'Σ t·v, squaredPred with an ε sweep'],
};
/** Slots per class of the Dice sums (11 used; even, so that a class's record is whole 32-byte lines). */
const DICE_SLOTS = 12;
const D = Object.fromEntries(Object.entries(DICE_SLOT).map(([k, [v]]) => [k, v]));

/**
 * The per-position sums region of the `positionSums*` functions (float64 slots): the scalars of class-index
 * targets, one record per calibration bin from CALIBRATION_FIRST, one record per class from CLASS_FIRST, and the
 * confusion matrix (t·C + p) after the C class records.
 */
const POSITION_SLOT = {
  kept: [0, 'positions with a class (class-index targets)'],
  nllWeighted: [1, 'Σ w_y·(−log q_y)'],
  smoothWeighted: [2, 'Σ Σ_k w_k·(−log q_k)'],
  weightSum: [3, 'Σ w_y'],
};
const CALIBRATION_FIRST = 4;
const CALIBRATION_RECORD_SLOTS = 3;
const CALIBRATION_RECORD = {
  count: [0, 'positions whose top probability falls in the bin'],
  confidence: [1, 'Σ top probability'],
  correct: [2, 'positions whose argmax is the target'],
};
/** First slot of the per-class records (a multiple of 4: 32-byte records). */
const CLASS_FIRST = CALIBRATION_FIRST + CALIBRATION_RECORD_SLOTS * CALIBRATION_BINS + 3;
const CLASS_RECORD = {
  elements: [0, 'positions of this hard class'],
  nll: [1, 'Σ −log q_y'],
  smooth: [2, 'Σ Σ_k −log q_k'],
  smoothWeighted: [3, 'Σ Σ_k w_k·(−log q_k)'],
};
const CLASS_RECORD_SLOTS = 4;
const P = Object.fromEntries(Object.entries(POSITION_SLOT).map(([k, [v]]) => [k, v]));
const PC = Object.fromEntries(Object.entries(CALIBRATION_RECORD).map(([k, [v]]) => [k, v]));
const PK = Object.fromEntries(Object.entries(CLASS_RECORD).map(([k, [v]]) => [k, v]));
if (CLASS_FIRST % 4 !== 0) throw new Error('the per-class records must start on a 32-byte line');

/** The focal sums of `focalSumsF32`: per class two f64x2 (two lane partial sums each) at out + k·32. */
const FOCAL_SLOT = {
  hard: [0, 'Σ focal loss against the hard target'],
  smoothed: [1, 'Σ focal loss against the smoothed target'],
};
const FOCAL_SLOTS = 2;
const F = Object.fromEntries(Object.entries(FOCAL_SLOT).map(([k, [v]]) => [k, v]));
// ---------------------------------------------------------------------------------------------------------------

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
const times = (e, n) => (Number.isInteger(Math.log2(n)) ? `(i32.shl ${e} (i32.const ${Math.log2(n)}))` : `(i32.mul ${e} (i32.const ${n}))`);

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
function focalSums() {
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
  return `  (func (export "focalSumsF32") (param $x i32) (param $xStride i32) (param $yy i32) (param $kFirst i32) (param $C i32) (param $n i32) (param $out i32)
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
        (local.set $op (i32.add (local.get $out) ${times('(local.get $k)', 16 * FOCAL_SLOTS)}))
        (v128.store offset=${16 * F.hard} (local.get $op) ${Array.from({ length: FOCAL_U - 1 }, () => '(f64x2.add ').join('')}(local.get $ah0)${Array.from({ length: FOCAL_U - 1 }, (_, j) => ` (local.get $ah${j + 1}))`).join('')})
        (v128.store offset=${16 * F.smoothed} (local.get $op) ${Array.from({ length: FOCAL_U - 1 }, () => '(f64x2.add ').join('')}(local.get $as0)${Array.from({ length: FOCAL_U - 1 }, (_, j) => ` (local.get $as${j + 1}))`).join('')})
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
  )`;
}

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
function diceSums(name, squared, sweep) {
  const ind = '            ';
  const acc = [D.predSum, D.overlapSum, D.targetSum, D.predPow, D.smoothTargetPow, D.smoothDiffPow];
  if (squared) acc.push(D.errorSq);
  if (sweep !== 'none') acc.push(D.shiftSum);
  if (sweep === 'moments') acc.push(D.errorShift, D.shiftSq, D.targetShift);
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
    `(local.set $a${D.predSum} (f64x2.add (local.get $a${D.predSum}) (local.get $p)))`,
    `(local.set $a${D.overlapSum} (f64x2.add (local.get $a${D.overlapSum}) (f64x2.mul (local.get $p) (local.get $t))))`,
    `(local.set $a${D.targetSum} (f64x2.add (local.get $a${D.targetSum}) (local.get $t)))`,
    `(local.set $d (f64x2.sub (local.get $p) (local.get $ys)))`,
  ];
  if (squared) {
    body.push(
      `(local.set $a${D.predPow} (f64x2.add (local.get $a${D.predPow}) (f64x2.mul (local.get $p) (local.get $p))))`,
      `(local.set $a${D.smoothTargetPow} (f64x2.add (local.get $a${D.smoothTargetPow}) (f64x2.mul (local.get $ys) (local.get $ys))))`,
      `(local.set $a${D.smoothDiffPow} (f64x2.add (local.get $a${D.smoothDiffPow}) (f64x2.mul (local.get $d) (local.get $d))))`,
      `(local.set $u (f64x2.sub (local.get $p) (local.get $t)))`,
      `(local.set $a${D.errorSq} (f64x2.add (local.get $a${D.errorSq}) (f64x2.mul (local.get $u) (local.get $u))))`,
    );
  } else {
    body.push(
      `(local.set $a${D.predPow} (f64x2.add (local.get $a${D.predPow}) (f64x2.abs (local.get $p))))`,
      `(local.set $a${D.smoothTargetPow} (f64x2.add (local.get $a${D.smoothTargetPow}) (f64x2.abs (local.get $ys))))`,
      `(local.set $a${D.smoothDiffPow} (f64x2.add (local.get $a${D.smoothDiffPow}) (f64x2.abs (local.get $d))))`,
    );
  }
  if (sweep !== 'none') {
    body.push(
      `(local.set $v ${mask('(f64x2.sub (local.get $invC) (local.get $t))')})`,
      `(local.set $a${D.shiftSum} (f64x2.add (local.get $a${D.shiftSum}) (local.get $v)))`,
    );
  }
  if (sweep === 'moments') {
    body.push(
      `(local.set $a${D.errorShift} (f64x2.add (local.get $a${D.errorShift}) (f64x2.mul (local.get $u) (local.get $v))))`,
      `(local.set $a${D.shiftSq} (f64x2.add (local.get $a${D.shiftSq}) (f64x2.mul (local.get $v) (local.get $v))))`,
      `(local.set $a${D.targetShift} (f64x2.add (local.get $a${D.targetShift}) (f64x2.mul (local.get $t) (local.get $v))))`,
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

/**
 * The per-position sums of a block (scalar: every position adds into slots picked by its class): for each
 * position with a hard class y ≥ 0 (yy, i32), −log q_y = lse − x_y (x_y read from the block's rows), the
 * smoothed Σ_k −log q_k = C·lse − Σx and its weighted form (W·lse − Σw·x when `weighted`, W = Σ_k w_k),
 * per class counts and sums, the confusion matrix (y, argmax), the calibration bin of 1/Σ (the top softmax
 * probability; skipped when NaN) — as the JS loop computes them, in the same order. `index` ≠ 0: class-index
 * targets, which also add kept, Σ w_y·(−log q_y), Σ (smoothed, weighted) and Σ w_y (w at `w`; 1 when not
 * weighted). Adds into the region at `acc` (POSITION_SLOT layout), which the caller zeroes and reads.
 */
function positionSums(name, f32) {
  /** slot at byte `off` from $q += value */
  const addAt = (off, value) => `(f64.store offset=${off} (local.get $q) (f64.add (f64.load offset=${off} (local.get $q)) ${value}))`;
  const xb = f32 ? 4 : 8;
  const loadX = f32 ? `(f64.promote_f32 (f32.load (local.get $q)))` : `(f64.load (local.get $q))`;
  return `  (func (export "${name}") (param $x i32) (param $xStride i32) (param $yy i32) (param $lse i32) (param $sx i32) (param $sxw i32) (param $inv i32) (param $am i32) (param $n i32) (param $C i32) (param $w i32) (param $weighted i32) (param $wTotal f64) (param $index i32) (param $acc i32)
    (local $i i32) (local $y i32) (local $a i32) (local $q i32) (local $cls i32) (local $conf i32)
    (local $l f64) (local $nl f64) (local $sNll f64) (local $sNllW f64) (local $wy f64) (local $c f64) (local $Cf f64)
    (local $kept f64) (local $nllW f64) (local $smoothW f64) (local $weightSum f64)
    (local.set $Cf (f64.convert_i32_u (local.get $C)))
    (local.set $cls (i32.add (local.get $acc) (i32.const ${CLASS_FIRST * 8})))
    (local.set $conf (i32.add (local.get $cls) ${times('(local.get $C)', 8 * CLASS_RECORD_SLOTS)}))
    (local.set $kept (f64.load offset=${8 * P.kept} (local.get $acc)))
    (local.set $nllW (f64.load offset=${8 * P.nllWeighted} (local.get $acc)))
    (local.set $smoothW (f64.load offset=${8 * P.smoothWeighted} (local.get $acc)))
    (local.set $weightSum (f64.load offset=${8 * P.weightSum} (local.get $acc)))
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
            (local.set $q (i32.add (local.get $cls) ${times('(local.get $y)', 8 * CLASS_RECORD_SLOTS)}))
            ${addAt(8 * PK.elements, '(f64.const 1)')}
            ${addAt(8 * PK.nll, '(local.get $nl)')}
            ${addAt(8 * PK.smooth, '(local.get $sNll)')}
            ${addAt(8 * PK.smoothWeighted, '(local.get $sNllW)')}
            (local.set $a (i32.load (i32.add (local.get $am) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $q (i32.add (local.get $conf) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $C)) (local.get $a)) (i32.const 3))))
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.const 1)))
            (local.set $c (f64.load (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3)))))
            (if (f64.eq (local.get $c) (local.get $c))
              (then
                (local.set $q (i32.add (local.get $acc) (i32.add (i32.const ${8 * CALIBRATION_FIRST}) (i32.mul (i32.const ${8 * CALIBRATION_RECORD_SLOTS})
                  (select (i32.const ${CALIBRATION_BINS - 1}) (local.tee $q (i32.trunc_f64_s (f64.floor (f64.mul (local.get $c) (f64.const ${CALIBRATION_BINS}))))) (i32.gt_s (local.get $q) (i32.const ${CALIBRATION_BINS - 1})))))))
                ${addAt(8 * PC.count, '(f64.const 1)')}
                ${addAt(8 * PC.confidence, '(local.get $c)')}
                (if (i32.eq (local.get $a) (local.get $y))
                  (then ${addAt(8 * PC.correct, '(f64.const 1)')}))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $pos)))
    (f64.store offset=${8 * P.kept} (local.get $acc) (local.get $kept))
    (f64.store offset=${8 * P.nllWeighted} (local.get $acc) (local.get $nllW))
    (f64.store offset=${8 * P.smoothWeighted} (local.get $acc) (local.get $smoothW))
    (f64.store offset=${8 * P.weightSum} (local.get $acc) (local.get $weightSum))
  )`;
}

const functions = [
  kernel('expRowsF32', true),
  kernel('expRowsF64', false),
  expOnly(),
  maxKernel('rowMaxF32', true, false),
  maxKernel('rowMaxF32W', true, true),
  maxKernel('rowMaxF64', false, false),
  maxKernel('rowMaxF64W', false, true),
  countKernel('countF32', true),
  countKernel('countF64', false),
  lseInv(),
  logOnly(),
  diceSums('diceSums', false, 'none'),
  diceSums('diceSumsSquared', true, 'none'),
  diceSums('diceSumsBuckets', false, 'buckets'),
  diceSums('diceSumsMoments', true, 'moments'),
  positionSums('positionSumsF32', true),
  positionSums('positionSumsF64', false),
  focalSums(),
].join('\n');
if ((2 * U) % (4 * MAXG) !== 0 || (2 * U) % (2 * LOG_U) !== 0 || (2 * U) % (2 * DICE_U) !== 0) throw new Error('step must be a multiple of every function\'s positions per iteration');
/** First byte the caller may use: above the constant table, on a 64-byte line. */
const heapBase = Math.ceil((table.size * 16) / 64) * 64;
const dataSeg = [...table.entries()]
  .map(([text, e]) => `  (data (i32.const ${e.off}) "${[...e.bytes].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('')}") ;; ${text}`)
  .join('\n');
const wat = `;; GENERATED by src/engine/wasm/generate.mjs — edit that file, then run it.
;; The softmax block kernel of the fused pass: row maximum, first argmax, Σx, Σw·x, NaN/Inf counts; exp(x − m)
;; and Σ_k exp(x_k − m); m + log Σ and 1/Σ; from these the block's Dice, per-position and focal sums.
;; Float64 arithmetic (f64x2 lanes). Its memory layout is in softmaxBlockLayout.ts.
(module
  (memory (export "memory") 1)
  ;; the constants, one f64x2/i64x2 each
${dataSeg}
${functions}
)
`;

const wabt = await wabtInit();
const mod = wabt.parseWat('softmaxBlock.wat', wat, { simd: true });
mod.validate();
const bytes = mod.toBinary({}).buffer;
mod.destroy();

const b64 = Buffer.from(bytes).toString('base64');
const lines = [];
for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
const ts = `// GENERATED by src/engine/wasm/generate.mjs from the kernel text in softmaxBlock.wat — do not edit.
/** The compiled softmax block kernel (${bytes.length} bytes), base64. */
export const SOFTMAX_BLOCK_BASE64 =
${lines.join(' +\n')};
`;

/** A slot table as a TypeScript object literal, each slot with its doc comment. */
const slotTable = (name, doc, table) =>
  `/** ${doc} */\nexport const ${name} = {\n${Object.entries(table)
    .map(([k, [v, what]]) => `  /** ${what} */\n  ${k}: ${v},`)
    .join('\n')}\n} as const;\n`;
const layoutTs = `// GENERATED by src/engine/wasm/generate.mjs from the layouts declared at its top — do not edit.
// The softmax block kernel's memory layout and output slots: what the engine reads, by name.

/** Positions per loop iteration of every kernel function: a block's length is rounded up to a multiple of it. */
export const KERNEL_STEP = ${2 * U};
/** First byte of the kernel's memory free for the caller (its constant table sits below). */
export const HEAP_BASE = ${heapBase};
/** Bins of the calibration table: bin b holds top probabilities in [b/B, (b+1)/B) (the last one includes 1). */
export const CALIBRATION_BINS = ${CALIBRATION_BINS};

/** f64x2 slots per class of the Dice sums (class k's slot s: float64 2·(k·DICE_SLOTS + s) and the next, two lane sums). */
export const DICE_SLOTS = ${DICE_SLOTS};
${slotTable('DICE_SLOT', 'The per-class Dice sums (p softmax probability, t hard target, y_s smoothed target, o = 2 with squaredPred else 1, u = p − t, v = 1/C − t).', DICE_SLOT)}
/** Copies of the ε-sweep buckets the bucket sums keep (one per lane of each vector of an iteration; added together when read). */
export const BUCKET_COPIES = ${2 * DICE_U};

${slotTable('POSITION_SLOT', 'The per-position sums region (float64 slots): the scalars of class-index targets.', POSITION_SLOT)}
/** First slot of the calibration records (one per bin, CALIBRATION_RECORD_SLOTS slots each). */
export const CALIBRATION_FIRST = ${CALIBRATION_FIRST};
export const CALIBRATION_RECORD_SLOTS = ${CALIBRATION_RECORD_SLOTS};
${slotTable('CALIBRATION_RECORD', 'A calibration bin\'s record.', CALIBRATION_RECORD)}
/** First slot of the per-class records (one per class, CLASS_RECORD_SLOTS slots each); the C × C confusion matrix follows them. */
export const CLASS_FIRST = ${CLASS_FIRST};
export const CLASS_RECORD_SLOTS = ${CLASS_RECORD_SLOTS};
${slotTable('CLASS_RECORD', 'A hard class\'s record.', CLASS_RECORD)}
/** Positions per iteration of the focal sums: they take a block's length rounded down to a multiple of it. */
export const FOCAL_STEP = ${2 * FOCAL_U};
/** f64x2 slots per class of the focal sums (class k's slot s: float64 2·(k·FOCAL_SLOTS + s) and the next). */
export const FOCAL_SLOTS = ${FOCAL_SLOTS};
${slotTable('FOCAL_SLOT', 'The per-class focal sums.', FOCAL_SLOT)}`;

const outputs = [
  [join(here, 'softmaxBlock.wat'), wat],
  [join(here, 'softmaxBlockBytes.ts'), ts],
  [join(here, 'softmaxBlockLayout.ts'), layoutTs],
];
if (process.argv.includes('--check')) {
  const same = (p, s) => {
    try {
      return readFileSync(p, 'utf8') === s;
    } catch {
      return false;
    }
  };
  if (!outputs.every(([p, s]) => same(p, s))) {
    console.error('src/engine/wasm: softmaxBlock.wat / softmaxBlockBytes.ts / softmaxBlockLayout.ts are out of date; run node src/engine/wasm/generate.mjs');
    process.exit(1);
  }
} else {
  for (const [p, s] of outputs) writeFileSync(p, s);
  console.log(`softmaxBlock: ${bytes.length} bytes`);
}
