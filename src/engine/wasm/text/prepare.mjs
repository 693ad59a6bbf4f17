// The kernel's block preparation, as WebAssembly text: the row maximum (and Σx, Σw·x, NaN/Inf counts), exp(x − m)
// per class and its sum, lse and 1/Σ; and exp / log / log1p alone for the tests.
import { expBody, log1pUnitBody, logBody, logLocals, LOG_U, U, vecLocals } from './math.mjs';

/**
 * One kernel per input type. Arguments are byte offsets into the module's memory:
 *   x    C rows of the block's logits (float32 or float64), row k at x + k·xStride
 *   mx   the block's row maxima (float64)
 *   se   out: Σ_k exp(x_k − m) per position (float64; overwritten)
 *   ex   out when keep ≠ 0: exp(x_k − m), row k at ex + k·exStride (float64)
 *   nr   positions, rounded up to a multiple of 2·U (the rows' padding is read and its results ignored)
 * Sums run over k in order 0…C−1 per position, as the JS loop does. x − m ≤ 0 (or NaN) by construction.
 */
export function expRows(name, f32) {
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



/**
 * Groups of 4 positions per iteration of the row-maximum pass (a group: one f32x4, or two f64x2, of logits
 * per class, so that its argmax lanes are one i32x4). Measured on W1's blocks (float32, C = 14): 1 / 2 / 4
 * groups 9.3 / 8.0 / 9.0 ms, weighted 11.2 / 10.2 / 12.6 ms (more spill registers).
 */
export const MAXG = 2;

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
export function maxKernel(name, f32, weighted) {
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
export function countKernel(name, f32) {
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


/** lse = mx + log(se), inv = 1/se over nr positions (nr a multiple of 2·LOG_U). */
export function lseInv() {
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

/**
 * An exported function `name`(x, out, nr) applying `body` (a function of the input locals `$d0…`, output `$e0…`, with
 * `count` vectors per iteration and `locals` declared) to nr float64 values at `x`, into `out` (nr a multiple of
 * 2·count): the exp, the log and the focal term's log1p alone, for the tests.
 */
function elementwise(name, count, locals, body) {
  const ind = '        ';
  const load = Array.from({ length: count }, (_, j) => `(local.set $d${j} (v128.load offset=${16 * j} (local.get $xp)))`);
  const store = Array.from({ length: count }, (_, j) => `(v128.store offset=${16 * j} (local.get $op) (local.get $e${j}))`);
  return `  (func (export "${name}") (param $x i32) (param $out i32) (param $nr i32)
    (local $i i32) (local $xp i32) (local $op i32)
    ${locals}
    (local.set $xp (local.get $x))
    (local.set $op (local.get $out))
    (local.set $i (i32.const 0))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $nr)))
${load.map((l) => ind + l).join('\n')}
${body(ind)}
${store.map((l) => ind + l).join('\n')}
        (local.set $xp (i32.add (local.get $xp) (i32.const ${16 * count})))
        (local.set $op (i32.add (local.get $op) (i32.const ${16 * count})))
        (local.set $i (i32.add (local.get $i) (i32.const ${2 * count})))
        (br $cols)))
  )`;
}

/** exp alone (valid for x ≤ 640). */
export const expOnly = () => elementwise('exp', U, vecLocals(), (ind) => expBody(ind));
/** log alone (positive normal values, NaN, +Inf). */
export const logOnly = () => elementwise('log', LOG_U, logLocals(), (ind) => logBody(ind));
/** The focal term's log1p alone (values in [0, 1], NaN). */
export const log1pOnly = () => elementwise('log1p', U, vecLocals(), (ind) => log1pUnitBody(ind, U));
