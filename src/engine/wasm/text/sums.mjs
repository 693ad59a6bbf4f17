// The sums the kernel gathers from a prepared block, as WebAssembly text: the sigmoid focal sums, the per-class
// Dice sums (and the ε sweep's), the per-position CE, confusion and calibration sums. Their outputs follow the
// slot layouts of layout.mjs.
import { expBody, log1pUnitBody, times } from './math.mjs';
import { CALIBRATION_BINS, CALIBRATION_FIRST, CALIBRATION_RECORD_SLOTS, CLASS_FIRST, CLASS_RECORD_SLOTS, D, DC, DICE_SLOTS, F, FOCAL_SLOTS, P, PC, PK } from './layout.mjs';

/**
 * The focal term of a block for class-index targets, sigmoid focal loss with γ = 2 (DiceFocalLoss on a label map
 * with MONAI's default γ), float32 logits: per class k in [c0, C) and position i < n (n a multiple of 2·FOCAL_U),
 * with t = (yy[i] == k), e = exp(−|x|), softplus(±x) = max(±x, 0) + log(1 + e), σ(x), σ(−x) from e:
 *   hard      σ(−x·(2t − 1))² · (x − x·t + softplus(−x)) · α_t
 *   smoothed  σ(z)² · (x − x·t_s + softplus(−x)) · α_s with t_s = on / off, z = −x·(2t_s − 1)
 * (the JS `focalIndexSigmoid` in focalSums.ts, which the tests hold it to). Sums per class as two f64x2 (two lane
 * partial sums each: hard, smoothed) at out + k·32. Constants: on, off, 2·on − 1, 1 − 2·off, α for t = 1, 0, on, off.
 */
export const FOCAL_U = 4;
export function focalSums() {
  const ind = '          ';
  const L = [];
  const all = (f) => {
    for (let j = 0; j < FOCAL_U; j++) L.push(f(j));
  };
  const g = (n, j) => `(local.get $${n}${j})`;
  all((j) => `(local.set $x${j} (f64x2.promote_low_f32x4 (v128.load64_zero offset=${8 * j} (local.get $xp))))`);
  all((j) => `(local.set $m${j} (i64x2.extend_low_i32x4_s (i32x4.eq (v128.load64_zero offset=${8 * j} (local.get $yp)) (local.get $kv))))`);
  // e = exp(−|x|) (no clamp at the top: −|x| ≤ 0)
  all((j) => `(local.set $d${j} (f64x2.neg (f64x2.abs ${g('x', j)})))`);
  L.push(expBody('', false, FOCAL_U));
  all((j) => `(local.set $q${j} ${g('e', j)})`); // e kept in $q
  // log1p(e)
  all((j) => `(local.set $d${j} ${g('q', j)})`);
  L.push(log1pUnitBody('', FOCAL_U));
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
  L.push(expBody('', false, FOCAL_U));
  // qs = z ≥ 0 ? 1/(1+es) : es/(1+es)
  all((j) => `(local.set $s${j} (f64x2.div (local.get $one) (f64x2.add ${g('e', j)} (local.get $one))))`);
  all((j) => `(local.set $q${j} (v128.bitselect ${g('s', j)} (f64x2.mul ${g('e', j)} ${g('s', j)}) (f64x2.ge ${g('n', j)} (local.get $zero))))`);
  // bce_s = x − x·t_s + softplus(−x)
  all((j) => `(local.set $u${j} (f64x2.add (f64x2.sub ${g('x', j)} (f64x2.mul ${g('x', j)} (v128.bitselect (local.get $on) (local.get $off) ${g('m', j)}))) ${g('w', j)}))`);
  all((j) => `(local.set $as${j} (f64x2.add ${g('as', j)} (f64x2.mul (f64x2.mul (f64x2.mul ${g('q', j)} ${g('q', j)}) ${g('u', j)}) (v128.bitselect (local.get $aon) (local.get $aoff) ${g('m', j)}))))`);
  const vl = (n) => Array.from({ length: FOCAL_U }, (_, j) => `(local $${n}${j} v128)`).join(' ');
  const expLocals = ['d', 'e', 't', 'r', 'p'].map((n) => vl(n)).join(' ');
  return `  (func (export "focalSumsF32") (param $x i32) (param $xStride i32) (param $yy i32) (param $kFirst i32) (param $C i32) (param $n i32) (param $out i32)
    (param $kOn f64) (param $kOff f64) (param $tOn f64) (param $tOff f64) (param $aT1 f64) (param $aT0 f64) (param $aTOn f64) (param $aTOff f64)
    (local $k i32) (local $i i32) (local $xp i32) (local $yp i32) (local $op i32) (local $kv v128)
    (local $one v128) (local $zero v128) (local $kon v128) (local $koff v128) (local $on v128) (local $off v128)
    (local $a1 v128) (local $a0 v128) (local $aon v128) (local $aoff v128) (local $c v128)
    ${expLocals} ${['x', 'm', 'q', 's', 'u', 'w', 'n', 'ah', 'as'].map((n) => vl(n)).join(' ')}
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
export const DICE_U = 2;

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
export function diceSums(name, squared, sweep) {
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
    (local.set $offYs ${ld(8 * DC.offTarget)})
    (local.set $omEps ${ld(8 * DC.keep)})
    (local.set $invC ${ld(8 * DC.invC)})
    (local.set $scOn ${ld(8 * DC.scaleOn)})
    (local.set $scOff ${ld(8 * DC.scaleOff)})
    (local.set $kf (f64x2.sub ${ld(8 * DC.lastBucket)} (local.get $one)))
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
export function positionSums(name, f32) {
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
