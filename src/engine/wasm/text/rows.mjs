// The kernel's preparation of ROWS held row-major (an (N, C) batch, a language model's (B·T, V) logits), as
// WebAssembly text: per row the maximum and first argmax, Σx, Σw·x, the target's logit and its rank, the NaN/Inf
// counts, and Σ exp(x − max). Each row is read where the caller copied it (one `set` of contiguous values, no
// transposition), in its own dtype: float32, float64, or bfloat16 bits widened here to float32 (exact: bfloat16
// is the top half of a float32), so that bfloat16 logits never exist as float32 outside a row in this memory.
import { expBody, U, vecLocals } from './math.mjs';

/** Values of a row the caller pads with −Inf, so that the exp pass runs whole iterations (2·U values). */
export const ROW_PAD = 2 * U;

const TYPES = {
  f32: { bytes: 4, lanes: 4 },
  bf16: { bytes: 2, lanes: 4 },
  f64: { bytes: 8, lanes: 2 },
};

/** The scalar value of class k (i32 expression) of the row at $xp, as f64. */
function loadScalar(type, k) {
  if (type === 'f32') return `(f64.promote_f32 (f32.load (i32.add (local.get $xp) (i32.shl ${k} (i32.const 2)))))`;
  if (type === 'f64') return `(f64.load (i32.add (local.get $xp) (i32.shl ${k} (i32.const 3))))`;
  return `(f64.promote_f32 (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $xp) (i32.shl ${k} (i32.const 1)))) (i32.const 16))))`;
}

/**
 * `rowStats{F32|Bf16|F64}[W]`: n rows, row i at x + i·rowBytes (C values, padded with −Inf up to a multiple of
 * ROW_PAD values), class-index targets at yy (i32, −1 none). Per row i:
 *   mx[i]   max_k x_k (f64; −Inf when every value is −Inf or NaN: NaN never becomes the maximum)
 *   am[i]   the first k reaching it (i32; 0 when none does) — the JS `if (v > m)` loop's answer
 *   sx[i]   Σ_k x_k, sxw[i] Σ_k w_k·x_k (f64; lane partial sums, then the tail; weighted variant only: w at `w`)
 *   xy[i]   x_y (f64; 0 without a target), rank[i] how many classes have x_k > x_y (i32; 0 without a target)
 *   se[i]   Σ_k exp(x_k − mx[i]) (f64; NaN for a row holding NaN or +Inf, or all −Inf)
 *   cnt     [NaN count, ±Inf count] over the n rows (i32 each; a row is counted only when its Σx is not finite,
 *           which for float32 and bfloat16 values happens exactly when one of them is not)
 * The maximum and argmax run in lanes (two vectors per step, each lane keeping its own first maximum), combined
 * so that the smallest class among the lanes holding the maximum wins; the values past the last whole step are
 * taken one by one after the lanes, in class order.
 */
export function rowStats(name, type, weighted) {
  const { bytes, lanes } = TYPES[type];
  const f32 = type !== 'f64';
  const step = 2 * lanes; // values per iteration of the first pass: vectors A and B
  const V = f32 ? 'f32x4' : 'f64x2';
  const I = f32 ? 'i32x4' : 'i64x2';
  const ind = '            ';
  // the values of one step into $va (classes k … k+lanes−1) and $vb (the next lanes)
  let load;
  if (type === 'f32') load = [`(local.set $va (v128.load (local.get $p)))`, `(local.set $vb (v128.load offset=16 (local.get $p)))`];
  else if (type === 'f64') load = [`(local.set $va (v128.load (local.get $p)))`, `(local.set $vb (v128.load offset=16 (local.get $p)))`];
  else
    load = [
      `(local.set $vb (v128.load (local.get $p)))`,
      `(local.set $va (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $vb)) (i32.const 16)))`,
      `(local.set $vb (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $vb)) (i32.const 16)))`,
    ];
  const lo = (v) => (f32 ? `(f64x2.promote_low_f32x4 (local.get ${v}))` : `(local.get ${v})`);
  const hi = (v) => `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get ${v}) (local.get ${v})))`;
  const body = [...load];
  for (const h of ['a', 'b']) {
    body.push(`(local.set $am${h} (v128.bitselect (local.get $k${h}) (local.get $am${h}) (${V}.lt (local.get $m${h}) (local.get $v${h}))))`);
    body.push(`(local.set $m${h} (${V}.pmax (local.get $m${h}) (local.get $v${h})))`);
    body.push(`(local.set $rk${h} (${I}.sub (local.get $rk${h}) (${V}.gt (local.get $v${h}) (local.get $yv))))`);
    body.push(`(local.set $s${h}0 (f64x2.add (local.get $s${h}0) ${lo(`$v${h}`)}))`);
    if (f32) body.push(`(local.set $s${h}1 (f64x2.add (local.get $s${h}1) ${hi(`$v${h}`)}))`);
  }
  if (weighted) {
    // w_k for the step's classes: f64, 8 bytes each, from $wp
    const wAt = (j) => `(v128.load offset=${16 * j} (local.get $wp))`;
    if (f32) {
      body.push(`(local.set $wa0 (f64x2.add (local.get $wa0) (f64x2.mul ${wAt(0)} ${lo('$va')})))`);
      body.push(`(local.set $wa1 (f64x2.add (local.get $wa1) (f64x2.mul ${wAt(1)} ${hi('$va')})))`);
      body.push(`(local.set $wb0 (f64x2.add (local.get $wb0) (f64x2.mul ${wAt(2)} ${lo('$vb')})))`);
      body.push(`(local.set $wb1 (f64x2.add (local.get $wb1) (f64x2.mul ${wAt(3)} ${hi('$vb')})))`);
    } else {
      body.push(`(local.set $wa0 (f64x2.add (local.get $wa0) (f64x2.mul ${wAt(0)} (local.get $va))))`);
      body.push(`(local.set $wb0 (f64x2.add (local.get $wb0) (f64x2.mul ${wAt(1)} (local.get $vb))))`);
    }
    body.push(`(local.set $wp (i32.add (local.get $wp) (i32.const ${8 * step})))`);
  }
  body.push(`(local.set $ka (${I}.add (local.get $ka) (local.get $kstep)))`, `(local.set $kb (${I}.add (local.get $kb) (local.get $kstep)))`);

  // lanes combined: the largest maximum, and the smallest class among the lanes holding it
  const combine = [];
  for (const h of ['a', 'b']) {
    for (let l = 0; l < lanes; l++) {
      const m = f32 ? `(f64.promote_f32 (f32x4.extract_lane ${l} (local.get $m${h})))` : `(f64x2.extract_lane ${l} (local.get $m${h}))`;
      const a = f32 ? `(i32x4.extract_lane ${l} (local.get $am${h}))` : `(i32.wrap_i64 (i64x2.extract_lane ${l} (local.get $am${h})))`;
      combine.push(`(local.set $lm ${m})`, `(local.set $la ${a})`);
      combine.push(
        `(if (f64.gt (local.get $lm) (local.get $M)) (then (local.set $M (local.get $lm)) (local.set $A (local.get $la))) (else (if (i32.and (f64.eq (local.get $lm) (local.get $M)) (i32.lt_s (local.get $la) (local.get $A))) (then (local.set $A (local.get $la))))))`,
      );
    }
  }
  const laneSum = (v) => `(f64.add (f64x2.extract_lane 0 (local.get ${v})) (f64x2.extract_lane 1 (local.get ${v})))`;
  const sums = f32 ? `(f64.add (f64.add ${laneSum('$sa0')} ${laneSum('$sa1')}) (f64.add ${laneSum('$sb0')} ${laneSum('$sb1')}))` : `(f64.add ${laneSum('$sa0')} ${laneSum('$sb0')})`;
  const wsums = !weighted ? '(f64.const 0)' : f32 ? `(f64.add (f64.add ${laneSum('$wa0')} ${laneSum('$wa1')}) (f64.add ${laneSum('$wb0')} ${laneSum('$wb1')}))` : `(f64.add ${laneSum('$wa0')} ${laneSum('$wb0')})`;
  const rankSum = f32
    ? `(i32.add (i32.add (i32x4.extract_lane 0 (local.get $rka)) (i32x4.extract_lane 1 (local.get $rka))) (i32.add (i32x4.extract_lane 2 (local.get $rka)) (i32x4.extract_lane 3 (local.get $rka))))`
    : `(i32.wrap_i64 (i64.add (i64x2.extract_lane 0 (local.get $rka)) (i64x2.extract_lane 1 (local.get $rka))))`;
  const rankSumB = rankSum.replaceAll('$rka', '$rkb');

  // the exp pass: 2·U values per iteration (U f64x2), x − M, exp, summed into $se2
  const vpi = 2 * U;
  const expLoad = [];
  if (type === 'f64') {
    for (let j = 0; j < U; j++) expLoad.push(`(local.set $d${j} (f64x2.sub (v128.load offset=${16 * j} (local.get $p)) (local.get $mv)))`);
  } else {
    // U f64x2 = 2·U values: float32 from U/2 vectors of 4, or bfloat16 from U/4 vectors of 8
    for (let q = 0; q < U / 2; q++) {
      if (type === 'f32') expLoad.push(`(local.set $v (v128.load offset=${16 * q} (local.get $p)))`);
      else if (q % 2 === 0) {
        expLoad.push(`(local.set $c (v128.load offset=${8 * q} (local.get $p)))`);
        expLoad.push(`(local.set $v (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $c)) (i32.const 16)))`);
      } else expLoad.push(`(local.set $v (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $c)) (i32.const 16)))`);
      expLoad.push(`(local.set $d${2 * q} (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mv)))`);
      expLoad.push(`(local.set $d${2 * q + 1} (f64x2.sub ${hi('$v')} (local.get $mv)))`);
    }
  }
  const tree = [];
  for (let w = 1; w < U; w *= 2) for (let j = 0; j + w < U; j += 2 * w) tree.push(`(local.set $e${j} (f64x2.add (local.get $e${j}) (local.get $e${j + w})))`);

  const locals = [
    '(local $i i32) (local $k i32) (local $y i32) (local $xp i32) (local $p i32) (local $end i32) (local $full i32) (local $A i32) (local $la i32) (local $rank i32) (local $wp i32) (local $nan i32) (local $inf i32)',
    '(local $M f64) (local $lm f64) (local $xv f64) (local $xyS f64) (local $sum f64) (local $wsum f64)',
    '(local $va v128) (local $vb v128) (local $ma v128) (local $mb v128) (local $ama v128) (local $amb v128) (local $ka v128) (local $kb v128) (local $kstep v128) (local $rka v128) (local $rkb v128) (local $yv v128) (local $mv v128) (local $se2 v128)',
    '(local $sa0 v128) (local $sa1 v128) (local $sb0 v128) (local $sb1 v128) (local $wa0 v128) (local $wa1 v128) (local $wb0 v128) (local $wb1 v128)',
    vecLocals(),
  ];
  const kInit = f32
    ? ['(local.set $ka (v128.const i32x4 0 1 2 3))', '(local.set $kb (v128.const i32x4 4 5 6 7))', '(local.set $kstep (i32x4.splat (i32.const 8)))']
    : ['(local.set $ka (v128.const i64x2 0 1))', '(local.set $kb (v128.const i64x2 2 3))', '(local.set $kstep (i64x2.splat (i64.const 4)))'];
  const zero = '(v128.const i64x2 0 0)';
  const ninf = f32 ? '(f32x4.splat (f32.const -inf))' : '(f64x2.splat (f64.const -inf))';
  const yv = f32 ? '(f32x4.splat (f32.demote_f64 (local.get $xyS)))' : '(f64x2.splat (local.get $xyS))';
  const at8 = (base) => `(i32.add (local.get ${base}) (i32.shl (local.get $i) (i32.const 3)))`;
  const at4 = (base) => `(i32.add (local.get ${base}) (i32.shl (local.get $i) (i32.const 2)))`;
  return `  (func (export "${name}") (param $x i32) (param $rowBytes i32) (param $C i32) (param $n i32) (param $yy i32) (param $w i32) (param $mx i32) (param $am i32) (param $sx i32) (param $sxw i32) (param $se i32) (param $xy i32) (param $rk i32) (param $cnt i32)
    ${locals.join('\n    ')}
    (local.set $nan (i32.const 0))
    (local.set $inf (i32.const 0))
    ;; classes taken in whole steps of ${step}; the rest one by one
    (local.set $full (i32.and (local.get $C) (i32.const ${-step})))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $y (i32.load ${at4('$yy')}))
        ;; the target's logit (+Inf without a target: no class is above it)
        (local.set $xyS (f64.const inf))
        (if (i32.ge_s (local.get $y) (i32.const 0)) (then (local.set $xyS ${loadScalar(type, '(local.get $y)')})))
        (local.set $yv ${yv})
        (local.set $ma ${ninf})
        (local.set $mb ${ninf})
        (local.set $ama ${zero})
        (local.set $amb ${zero})
        (local.set $rka ${zero})
        (local.set $rkb ${zero})
        (local.set $sa0 ${zero})
        (local.set $sa1 ${zero})
        (local.set $sb0 ${zero})
        (local.set $sb1 ${zero})
        (local.set $wa0 ${zero})
        (local.set $wa1 ${zero})
        (local.set $wb0 ${zero})
        (local.set $wb1 ${zero})
        ${kInit.join('\n        ')}
        (local.set $p (local.get $xp))
        (local.set $wp (local.get $w))
        (local.set $end (i32.add (local.get $xp) (i32.mul (local.get $full) (i32.const ${bytes}))))
        (block $stepsDone
          (loop $steps
            (br_if $stepsDone (i32.ge_u (local.get $p) (local.get $end)))
${body.map((l) => ind + l).join('\n')}
            (local.set $p (i32.add (local.get $p) (i32.const ${step * bytes})))
            (br $steps)))
        (local.set $M (f64.const -inf))
        (local.set $A (i32.const 0))
        ${combine.join('\n        ')}
        (local.set $sum ${sums})
        (local.set $wsum ${wsums})
        (local.set $rank (i32.add ${rankSum} ${rankSumB}))
        ;; the tail, in class order after the lanes
        (local.set $k (local.get $full))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $C)))
            (local.set $xv ${loadScalar(type, '(local.get $k)')})
            (if (f64.gt (local.get $xv) (local.get $M)) (then (local.set $M (local.get $xv)) (local.set $A (local.get $k))))
            (local.set $sum (f64.add (local.get $sum) (local.get $xv)))
            ${weighted ? `(local.set $wsum (f64.add (local.get $wsum) (f64.mul (f64.load (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 3)))) (local.get $xv))))` : ''}
            (local.set $rank (i32.add (local.get $rank) (f64.gt (local.get $xv) (local.get $xyS))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tail)))
        ;; NaN/Inf counts, only for a row whose Σx is not finite
        (if (f64.ne (f64.sub (local.get $sum) (local.get $sum)) (f64.sub (local.get $sum) (local.get $sum)))
          (then
            (local.set $k (i32.const 0))
            (block $countDone
              (loop $count
                (br_if $countDone (i32.ge_u (local.get $k) (local.get $C)))
                (local.set $xv ${loadScalar(type, '(local.get $k)')})
                (if (f64.ne (local.get $xv) (local.get $xv))
                  (then (local.set $nan (i32.add (local.get $nan) (i32.const 1))))
                  (else (if (f64.eq (f64.abs (local.get $xv)) (f64.const inf)) (then (local.set $inf (i32.add (local.get $inf) (i32.const 1)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $count)))))
        (f64.store ${at8('$mx')} (local.get $M))
        (i32.store ${at4('$am')} (local.get $A))
        (f64.store ${at8('$sx')} (local.get $sum))
        (f64.store ${at8('$sxw')} (local.get $wsum))
        (if (i32.ge_s (local.get $y) (i32.const 0))
          (then
            (f64.store ${at8('$xy')} (local.get $xyS))
            (i32.store ${at4('$rk')} (local.get $rank)))
          (else
            (f64.store ${at8('$xy')} (f64.const 0))
            (i32.store ${at4('$rk')} (i32.const 0))))
        ;; Σ exp(x − M) over the padded row (the −Inf padding adds 0)
        (local.set $mv (f64x2.splat (local.get $M)))
        (local.set $se2 ${zero})
        (local.set $p (local.get $xp))
        (local.set $end (i32.add (local.get $xp) (i32.mul (i32.and (i32.add (local.get $C) (i32.const ${vpi - 1})) (i32.const ${-vpi})) (i32.const ${bytes}))))
        (block $expDone
          (loop $exps
            (br_if $expDone (i32.ge_u (local.get $p) (local.get $end)))
${expLoad.map((l) => ind + l).join('\n')}
${expBody(ind, false)}
${tree.map((l) => ind + l).join('\n')}
            (local.set $se2 (f64x2.add (local.get $se2) (local.get $e0)))
            (local.set $p (i32.add (local.get $p) (i32.const ${vpi * bytes})))
            (br $exps)))
        (f64.store ${at8('$se')} ${laneSum('$se2')})
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (i32.store (local.get $cnt) (local.get $nan))
    (i32.store offset=4 (local.get $cnt) (local.get $inf))
  )`;
}

/** Every variant the engine loads: float32, bfloat16 and float64 rows, each unweighted and weighted. */
export function rowStatsFunctions() {
  const out = [];
  for (const [suffix, type] of [['F32', 'f32'], ['Bf16', 'bf16'], ['F64', 'f64']]) {
    out.push(rowStats(`rowStats${suffix}`, type, false), rowStats(`rowStats${suffix}W`, type, true));
  }
  return out;
}
