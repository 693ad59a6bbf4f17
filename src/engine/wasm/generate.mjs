// Dev-time generator (Node, not part of the engine): writes the exp-and-sum kernel's text
// (`expSumKernel.wat`, for reading and review) and its compiled bytes (`expSumKernelBytes.ts`, what the
// engine loads), so that neither the bundles nor CI need a WebAssembly toolchain at run time.
//   node src/engine/wasm/generate.mjs           regenerate both files
//   node src/engine/wasm/generate.mjs --check   exit 1 if the committed files are out of date
// Why generated: the exp body is written out inline for 8 vectors at once (V8 does not reliably inline
// small wasm functions into loops, and the unrolled text is long), and its constants are computed here.
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
 * first operand when the comparison is false); −Inf and anything below −745.14 give 0.
 */
function expBody(indent) {
  const out = [];
  const step = (cText, f) => {
    out.push(`(local.set $c ${cText})`);
    for (let j = 0; j < U; j++) out.push(f(j));
  };
  step(fc(LO), (j) => `(local.set $d${j} (f64x2.pmax (local.get $d${j}) (local.get $c)))`);
  step(fc(HI), (j) => `(local.set $d${j} (f64x2.pmin (local.get $d${j}) (local.get $c)))`);
  step(fc(Math.LOG2E), (j) => `(local.set $t${j} (f64x2.mul (local.get $d${j}) (local.get $c)))`);
  step(fc(SHIFT), (j) => `(local.set $t${j} (f64x2.add (local.get $t${j}) (local.get $c)))`);
  // kf = t − SHIFT (an integer-valued double), kept in $r for the reduction
  for (let j = 0; j < U; j++) out.push(`(local.set $r${j} (f64x2.sub (local.get $t${j}) (local.get $c)))`);
  step(fc(LN2_HI), (j) => `(local.set $p${j} (f64x2.sub (local.get $d${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  step(fc(LN2_LO), (j) => `(local.set $r${j} (f64x2.sub (local.get $p${j}) (f64x2.mul (local.get $r${j}) (local.get $c))))`);
  const scaled = COEFFS.map((c) => c * 2 ** -BIAS);
  step(fc(scaled[scaled.length - 1]), (j) => `(local.set $p${j} (local.get $c))`);
  for (let c = scaled.length - 2; c >= 0; c--) {
    step(fc(scaled[c]), (j) => `(local.set $p${j} (f64x2.add (f64x2.mul (local.get $p${j}) (local.get $r${j})) (local.get $c)))`);
  }
  // 2^(k + BIAS) as bits: k = bits(t) − bits(SHIFT), plus the exponent bias 1023, shifted into place.
  step(ic(SHIFT_BITS - BigInt(1023 + BIAS), `bits(SHIFT) − 1023 − ${BIAS}`), (j) => `(local.set $t${j} (i64x2.shl (i64x2.sub (local.get $t${j}) (local.get $c)) (i32.const 52)))`);
  for (let j = 0; j < U; j++) out.push(`(local.set $e${j} (f64x2.mul (local.get $p${j}) (local.get $t${j})))`);
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
 * Sums run over k in order 0…C−1 per position, as the JS loop does.
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
  const body = expBody(ind);
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

const functions = [kernel('expSumF32', true), kernel('expSumF64', false), expOnly()].join('\n');
/** First byte the caller may use: above the constant table, on a 64-byte line. */
const heapBase = Math.ceil((table.size * 16) / 64) * 64;
const dataSeg = [...table.entries()]
  .map(([text, e]) => `  (data (i32.const ${e.off}) "${[...e.bytes].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('')}") ;; ${text}`)
  .join('\n');
const wat = `;; GENERATED by src/engine/wasm/generate.mjs — edit that file, then run it.
;; exp(x − m) and Σ_k exp(x_k − m) for a block of the fused pass, in float64 (f64x2 lanes).
(module
  (memory (export "memory") 1)
  ;; positions handled per loop iteration: callers round n up to a multiple of it
  (global (export "step") i32 (i32.const ${2 * U}))
  ;; first byte of memory the caller may use
  (global (export "heapBase") i32 (i32.const ${heapBase}))
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
