/**
 * The report: what training computes with these options (`loss`), the same at ε = 0 (`hard`), against the
 * label-smoothed target (`smoothed`), per class, plus the confusion matrix, calibration, the floor and
 * warnings — all from ONE fused pass over the data ({@link accumulate}) and arithmetic on its sums.
 * Definitions: test/fixtures/golden/README.md.
 */
import { accumulate, newAccumulators, mergeAccumulators, CALIBRATION_BINS, CONFUSION_MAX_CLASSES, type Accumulators, type AccumulateConfig } from './accumulate';
import { rowMajorCase } from './blockVariants';
import { LossInputError, fmtShape } from './errors';
import {
  bceFromSums,
  crossEntropyClassShare,
  crossEntropyFromSums,
  diceClassMean,
  diceClassShare,
  diceSums,
  diceValues,
  diceWeight,
  reduceDice,
  smoothMix,
} from './finalize';
import { edgeWarnings } from './edgeWarnings';
import { floorCase, labelSmoothingFloorOf } from './floor';
import { multiLabelReport, multiLabelWarning } from './multiLabel';
import { sequencePair, type SequenceLayout } from './sequence';
import { sequenceReport, sequenceWarnings } from './sequenceReport';
import { topConfusions } from './vocabulary';
import { lazyClassList, LAZY_CLASSES_ABOVE, type ClassColumns } from './classTable';
import { sweepGrid } from './sweepGrid';

export { sweepGrid, DEFAULT_SWEEP_EPS } from './sweepGrid';
import { prepareLogits, prepareTarget, type PreparedLogits, type PreparedTarget } from './layout';
import { focalPlan, GAMMA_SWEEP_STEP, hasFocal } from './focalSums';
import { focalClassMean, focalClassShare, focalFromSums, focalSweep, generalizedDice, tverskyValues } from './families';
import { familyWarnings, hasOverlap, overlapKind } from './familyRules';
import type { Tensor } from './tensor';
import type { Calibration, ClassReport, ConfusionMatrix, EngineWarning, EpsSweep, GammaSweep, LossOptions, LossTriple, MultiLabelReport, Report } from './types';
import { lossLabel } from './optionSchema';

export interface PreparedPair {
  logits: PreparedLogits;
  target: PreparedTarget;
  /** The options the computation uses (a family's unused Dice switches reset: familyRules.ts). */
  opts: LossOptions;
  /** The options as given (the report's `config`). */
  given: LossOptions;
  /** How a class-axis-last pair was brought to axis 1 (sequence.ts), with the shapes as given; null otherwise. */
  sequence?: { layout: SequenceLayout; logitsShape: number[]; targetShape: number[] } | null;
}

/**
 * Prepared layouts are kept per tensor object while that tensor lives (weak references), so a report at other
 * options on the same pair — an ε change in the view — lays nothing out again. A target's interpretation
 * depends on the logits and on three options only (the loss, to_onehot_y and, for `ce`, ignore_index).
 */
const logitsCache = new WeakMap<Tensor, PreparedLogits>();
const targetCache = new WeakMap<Tensor, WeakMap<PreparedLogits, Map<string, PreparedTarget>>>();

/** Validates and lays out a pair (reusing the layouts of earlier calls on the same tensors). */
export function preparePair(logits0: Tensor, target0: Tensor, opts: LossOptions): PreparedPair {
  const seq = sequencePair(logits0, target0, opts);
  const { logits, target } = seq;
  let lg = logitsCache.get(logits);
  if (!lg) {
    lg = prepareLogits(logits);
    logitsCache.set(logits, lg);
  }
  let byLogits = targetCache.get(target);
  if (!byLogits) targetCache.set(target, (byLogits = new WeakMap()));
  let byKey = byLogits.get(lg);
  if (!byKey) byLogits.set(lg, (byKey = new Map()));
  const key = `${opts.loss}|${opts.toOnehotY}|${opts.loss === 'ce' ? opts.ignoreIndex : ''}`;
  let tg = byKey.get(key);
  if (!tg) {
    tg = prepareTarget(target, lg, opts);
    byKey.set(key, tg);
  }
  checkWeight(lg, tg, opts);
  const sequence = seq.layout ? { layout: seq.layout, logitsShape: [...logits0.shape], targetShape: [...target0.shape] } : null;
  return { logits: lg, target: tg, opts: effectiveOptions(opts), given: opts, sequence };
}

/**
 * GeneralizedDiceLoss and TverskyLoss have no squared_pred or jaccard (the pass would gather squared sums for
 * them otherwise); they stay in the report's config, with a warning when set.
 */
function effectiveOptions(opts: LossOptions): LossOptions {
  const k = overlapKind(opts.loss);
  if ((k === 'gdice' || k === 'tversky') && (opts.squaredPred || opts.jaccard)) return { ...opts, squaredPred: false, jaccard: false };
  return opts;
}

function shapesOf(p: { logits: PreparedLogits; target: PreparedTarget }): string {
  return `logits ${fmtShape(p.logits.shape)}, target ${fmtShape(p.target.shape)}`;
}

function checkWeight(lg: PreparedLogits, tg: PreparedTarget, opts: LossOptions): void {
  const w = opts.weight;
  if (!w) return;
  const C = lg.C;
  if (opts.loss === 'gdice' || opts.loss === 'tversky') return; // no weight parameter: a warning says it is unused
  if (hasFocal(opts.loss)) {
    // FocalLoss (and DiceLoss inside DiceFocalLoss): one weight per kept channel, checked only when more than one remains.
    const kept = opts.includeBackground || C === 1 ? C : C - 1;
    if (kept > 1 && w.length !== kept) {
      throw new LossInputError(
        `the length of the weight sequence (${w.length}) should be the number of classes (${kept}${opts.includeBackground ? '' : ', without background class 0'}) (logits ${fmtShape(lg.shape)}, target ${fmtShape(tg.shape)})`,
        'weight',
      );
    }
    return;
  }
  if (C === 1) {
    if (w.length !== 1) {
      throw new LossInputError(`pos_weight for one output channel needs one value, got ${w.length} (logits ${fmtShape(lg.shape)})`, 'weight');
    }
    return;
  }
  const want = opts.loss === 'dice' && !opts.includeBackground ? C - 1 : C;
  if (opts.loss !== 'dice' && w.length !== C) {
    throw new LossInputError(
      `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${w.length}] (logits ${fmtShape(lg.shape)}, target ${fmtShape(tg.shape)})`,
      'weight',
    );
  }
  if (opts.loss === 'dice' && want > 1 && w.length !== want) {
    throw new LossInputError(
      `the number of classes (${want}) does not match the length of the Dice weight (${w.length}) (logits ${fmtShape(lg.shape)}, target ${fmtShape(tg.shape)})`,
      'weight',
    );
  }
}

export function accumulateConfig(pair: PreparedPair, sweepEps: number[] | null = null): AccumulateConfig {
  const { opts, logits: lg } = pair;
  // a language-model pair keeps per-token values for its per-position and per-sequence loss
  const rows = pair.sequence && opts.loss === 'ce' && pair.target.kind === 'index' && lg.S === 1 ? lg.B : 0;
  const cfg: AccumulateConfig = {
    opts,
    eps: opts.labelSmoothing,
    dice: hasOverlap(opts.loss),
    sweepEps,
    focal: focalPlan(opts, lg.C, opts.labelSmoothing, sweepEps !== null),
    rows,
    targetKind: pair.target.kind,
  };
  return { ...cfg, confusionPairs: rowsConfusionInPairs(pair, cfg) };
}

/**
 * Whether a pass counts its confusion in pairs below CONFUSION_MAX_CLASSES classes too: the row-major passes
 * (`rowMajorCase`, blockVariants.ts), whose per-position sums the JS loop gathers and counts in either form, when
 * the C×C matrix would be mostly empty (more than 4 cells a row): a (4096, 1000) batch fills at most 4096 of
 * its million cells.
 */
function rowsConfusionInPairs(pair: PreparedPair, cfg: AccumulateConfig): boolean {
  const { logits: lg, target: tg } = pair;
  const C = lg.C;
  return rowMajorCase({ C, S: lg.S, kindIndex: tg.kind === 'index', doDice: cfg.dice, focal: cfg.focal }) && C * C > 4 * lg.B;
}

/** The fused pass over every element, on this thread. */
export function accumulateAll(pair: PreparedPair, cfg: AccumulateConfig): Accumulators {
  const { logits: lg, target: tg } = pair;
  const acc = newAccumulators(lg.B, lg.C, cfg);
  accumulate(lg, tg, cfg, 0, lg.B * lg.S, acc);
  return acc;
}

export { mergeAccumulators };

/**
 * The Dice weight MONAI's Dice term holds: `weight[1:]` for DiceCE without background, the option as given for
 * Dice and DiceFocal; none for the other families (GeneralizedDice and Tversky have no weight).
 */
function diceTermWeight(opts: LossOptions, C: number): number[] | null {
  if (!opts.weight || C === 1) return null;
  if (opts.loss !== 'dice' && opts.loss !== 'dicece' && opts.loss !== 'dicefocal') return null;
  if (opts.loss === 'dicece' && !opts.includeBackground) return opts.weight.slice(1);
  return opts.weight;
}

interface DiceResult {
  value: number;
  f: Float64Array;
  sums: ReturnType<typeof diceSums>;
  w: Float64Array | null;
}

function diceFrom(pair: PreparedPair, acc: Accumulators, mode: Parameters<typeof diceSums>[3]): DiceResult {
  const { opts } = pair;
  const pooled = pair.logits.shape.length === 2 && !opts.batch;
  const sums = diceSums(acc.B, acc.C, opts, mode, pooled);
  const f = diceValues(sums, opts);
  const w = diceWeight(diceTermWeight(opts, acc.C), sums.classes, shapesOf(pair));
  return { value: reduceDice(f, sums, w, opts.reduction), f, sums, w };
}

function hardDiceMode(acc: Accumulators, opts: LossOptions): Parameters<typeof diceSums>[3] {
  return opts.squaredPred ? { kind: 'norm', P: acc.dicePredSq, Y: acc.diceTargetSq, D: acc.diceErrorSq } : { kind: 'plain', dicePred: acc.dicePred, diceOverlap: acc.diceOverlap, diceTarget: acc.diceTarget };
}

/** `{total, dice, ce, focal}` of a loss kind from its terms (the others null). */
function triple(opts: LossOptions, dice: number | null, ce: number | null, focal: number | null = null): LossTriple {
  switch (opts.loss) {
    case 'ce':
      return { total: ce, dice: null, ce, focal: null };
    case 'dice':
    case 'gdice':
    case 'tversky':
      return { total: dice, dice, ce: null, focal: null };
    case 'dicece':
      return { total: opts.lambdaDice * dice! + opts.lambdaCe * ce!, dice, ce, focal: null };
    case 'focal':
      return { total: focal, dice: null, ce: null, focal };
    case 'dicefocal':
    case 'gdicefocal':
      return { total: opts.lambdaDice * dice! + opts.lambdaFocal * focal!, dice, ce: null, focal };
  }
}

/**
 * The overlap term of the family from tp/fp/fn sums (`mode`): MONAI's DiceLoss (`diceFrom`), TverskyLoss or
 * GeneralizedDiceLoss; `ground` is the target volume per (b, c) (the generalized Dice weights).
 */
interface OverlapResult {
  value: number;
  /** Class c's unweighted value averaged over the batch (null for the generalized Dice and dropped channels). */
  classMean(c: number): number | null;
  /** Class c's share of the reduced value (null for the generalized Dice). */
  classShare(c: number): number | null;
}

function overlapFrom(pair: PreparedPair, acc: Accumulators, mode: Parameters<typeof diceSums>[3], ground: Float64Array): OverlapResult {
  const { opts } = pair;
  const kind = overlapKind(opts.loss);
  if (kind === 'dice') {
    const r = diceFrom(pair, acc, mode);
    const plain = diceValues(r.sums, { ...opts, weight: null });
    return {
      value: r.value,
      classMean: (c) => diceClassMean(plain, r.sums, c),
      classShare: (c) => diceClassShare(r.f, r.sums, r.w, opts.reduction, c),
    };
  }
  const pooled = pair.logits.shape.length === 2 && !opts.batch;
  const sums = diceSums(acc.B, acc.C, opts, mode, pooled);
  if (kind === 'tversky') {
    const f = tverskyValues(sums, opts);
    return {
      value: reduceDice(f, sums, null, opts.reduction),
      classMean: (c) => diceClassMean(f, sums, c),
      classShare: (c) => diceClassShare(f, sums, null, opts.reduction, c),
    };
  }
  return { value: generalizedDice(sums, ground, opts, acc.B, acc.C), classMean: () => null, classShare: () => null };
}

/** Turns the fused pass's sums into the report. */
export function finalizeReport(pair: PreparedPair, acc: Accumulators): Report {
  const { logits: lg, target: tg, opts } = pair;
  const C = lg.C;
  const eps = opts.labelSmoothing;
  const ceKind = tg.kind === 'index' ? 'index' : 'dense';

  // Cross-entropy term (BCE with one channel, where MONAI ignores ε).
  let ce: number | null = null;
  let ceHard: number | null = null;
  if (opts.loss === 'ce' || opts.loss === 'dicece') {
    if (C === 1 && opts.loss === 'dicece') {
      ce = ceHard = bceFromSums(acc, opts);
    } else {
      ce = crossEntropyFromSums(acc, opts, eps, ceKind);
      ceHard = crossEntropyFromSums(acc, opts, 0, ceKind);
    }
  }
  // Overlap term (hard target) and its soft-label version against the smoothed target.
  let ov: OverlapResult | null = null;
  let ovS: OverlapResult | null = null;
  if (hasOverlap(opts.loss)) {
    ov = overlapFrom(pair, acc, hardDiceMode(acc, opts), acc.diceTarget);
    if (C > 1) ovS = overlapFrom(pair, acc, { kind: 'norm', P: acc.dicePredPow, Y: acc.diceSmoothTargetPow, D: acc.diceSmoothDiffPow }, acc.diceSmoothTargetPow);
  }
  // Focal term against the hard and the smoothed target.
  const rank = lg.shape.length;
  const hasF = acc.focalH.length > 0;
  const focalH = hasF ? focalFromSums(acc.focalH, opts, lg.B, C, lg.S, rank) : null;
  const focalS = hasF && C > 1 ? focalFromSums(acc.focalS, opts, lg.B, C, lg.S, rank) : null;

  const loss = triple(opts, ov ? ov.value : null, ce, focalH);
  const hard = triple(opts, ov ? ov.value : null, ceHard, focalH);
  const smoothed = C > 1 ? triple(opts, ovS ? ovS.value : null, ce, focalS) : null;

  const cols = C > 1 ? classColumns(pair, acc, { ce, ov, ovS }) : null;
  const perClass = cols ? perClassOf(cols) : null;

  checkConfusion(acc, tg);
  const confusion = opts.loss === 'ce' && C === 1 ? null : confusionOf(acc, tg);
  const calibration = calibrationOf(acc);
  const floorIn = { opts, acc, target: tg, S: lg.S };
  const floor = labelSmoothingFloorOf(floorIn, eps);
  const floorKind = floorCase(floorIn);

  const multiLabel = multiLabelReport(lg, tg, opts);
  const warnings = reportWarnings(pair, acc, cols, loss, hard, multiLabel);

  return {
    loss,
    hard,
    smoothed,
    perClass,
    confusion,
    calibration,
    floor,
    floorCase: floorKind,
    topConfusions: C > 1 && tg.kind !== 'probability' ? topConfusions(acc) : null,
    config: { ...pair.given, weight: pair.given.weight ? [...pair.given.weight] : null },
    numClasses: C,
    logitsShape: pair.sequence ? [...pair.sequence.logitsShape] : [...lg.shape],
    targetShape: pair.sequence ? [...pair.sequence.targetShape] : [...tg.shape],
    targetKind: tg.kind,
    // the shift's unlabelled last positions are not elements of the sliced pair
    elements: acc.elements - (pair.sequence?.layout.dropped ?? 0),
    sequence: pair.sequence ? sequenceReport(pair.sequence.layout, acc, tg.labels, opts.ignoreIndex, eps) : null,
    kept: tg.kind === 'index' ? acc.kept : acc.elements,
    multiLabel,
    warnings,
  };
}

/** The report's terms a per-class row is a share of. */
interface ReportTerms {
  ce: number | null;
  ov: OverlapResult | null;
  ovS: OverlapResult | null;
}

/** Per class (C > 1): every row at once, or above LAZY_CLASSES_ABOVE classes rows built when read (classTable.ts). */
function perClassOf(cols: ClassColumns): ClassReport[] {
  if (cols.length > LAZY_CLASSES_ABOVE) return lazyClassList(cols);
  const perClass: ClassReport[] = [];
  for (let c = 0; c < cols.length; c++) perClass.push(cols.row(c));
  return perClass;
}

/** Class c's count, CE / Dice / focal against the hard and the smoothed target, and its share of the loss. */
function classColumns(pair: PreparedPair, acc: Accumulators, terms: ReportTerms): ClassColumns {
  const { logits: lg, target: tg, opts } = pair;
  const { ce, ov, ovS } = terms;
  const C = lg.C;
  const eps = opts.labelSmoothing;
  const ceKind = tg.kind === 'index' ? 'index' : 'dense';
  const rank = lg.shape.length;
  const hasF = acc.focalH.length > 0;
  const hardKind = tg.kind !== 'probability';
  const lc = opts.loss === 'dicece' ? opts.lambdaCe : 1;
  const ld = opts.loss === 'dicece' || opts.loss === 'dicefocal' || opts.loss === 'gdicefocal' ? opts.lambdaDice : 1;
  const lf = opts.loss === 'dicefocal' || opts.loss === 'gdicefocal' ? opts.lambdaFocal : 1;
  const count = (c: number) => (tg.kind === 'index' ? acc.classElems[c]! : acc.chanT[c]!);
  const ceShare = (c: number) => (ce !== null ? crossEntropyClassShare(acc, opts, eps, ceKind, c) : null);
  const diceShare = (c: number) => (ov ? ov.classShare(c) : null);
  const focalShare = (c: number) => (hasF ? focalClassShare(acc.focalH, opts, lg.B, C, lg.S, rank, c) : null);
  const total = (ceS: number | null, diceS: number | null, focalS: number | null) =>
    (ceS === null ? 0 : lc * ceS) + (diceS === null ? 0 : ld * diceS) + (focalS === null ? 0 : lf * focalS);
  return {
    length: C,
    count,
    contribution: (c) => total(ceShare(c), diceShare(c), focalShare(c)),
    row(c) {
      const elems = hardKind ? acc.classElems[c]! : 0;
      const hasCe = hardKind && elems > 0;
      const ceS = ceShare(c);
      const diceS = diceShare(c);
      const focalS = focalShare(c);
      return {
        class: c,
        count: count(c),
        ceHard: hasCe ? acc.classNll[c]! / elems : null,
        ceSmoothed: hasCe ? smoothMix(acc.classNll[c]!, acc.classSmooth[c]!, eps, C) / elems : null,
        diceHard: ov ? ov.classMean(c) : null,
        diceSmoothed: ovS ? ovS.classMean(c) : null,
        focalHard: hasF ? focalClassMean(acc.focalH, opts, lg.B, C, lg.S, c) : null,
        focalSmoothed: hasF ? focalClassMean(acc.focalS, opts, lg.B, C, lg.S, c) : null,
        contribution: {
          total: total(ceS, diceS, focalS),
          ce: ceS === null ? null : lc * ceS,
          dice: diceS === null ? null : ld * diceS,
          focal: focalS === null ? null : lf * focalS,
        },
      };
    },
  };
}

/** The report's warnings: never silently turn bad input into a number. */
function reportWarnings(
  pair: PreparedPair,
  acc: Accumulators,
  cols: ClassColumns | null,
  loss: LossTriple,
  hard: LossTriple,
  multiLabel: MultiLabelReport | null,
): EngineWarning[] {
  const { logits: lg, target: tg, opts } = pair;
  const C = lg.C;
  const eps = opts.labelSmoothing;
  const warnings: EngineWarning[] = [];
  if (acc.nanLogits) warnings.push({ code: 'nan-in-logits', message: `${acc.nanLogits} NaN value(s) in the logits: the losses are NaN` });
  if (acc.infLogits) warnings.push({ code: 'inf-in-logits', message: `${acc.infLogits} infinite value(s) in the logits` });
  if (tg.nanCount) warnings.push({ code: 'nan-in-target', message: `${tg.nanCount} NaN value(s) in the target` });
  if (tg.infCount) warnings.push({ code: 'inf-in-target', message: `${tg.infCount} infinite value(s) in the target` });
  if (cols && tg.kind !== 'probability') {
    // a vocabulary leaves most classes empty: name the first 20, count the rest
    const first: number[] = [];
    let empty = 0;
    for (let c = 0; c < C; c++) {
      if (cols.count(c) !== 0) continue;
      if (empty++ < 20) first.push(c);
    }
    if (empty) {
      warnings.push({
        code: 'empty-class',
        message: `class${empty > 1 ? 'es' : ''} ${first.join(', ')}${empty > 20 ? ` and ${empty - 20} more (${empty} of ${C})` : ''} never occur${empty > 1 ? '' : 's'} in the ${tg.kind === 'index' && opts.loss === 'ce' ? 'kept ' : ''}target`,
      });
    }
  }
  if (opts.loss !== 'ce' && tg.kind === 'index' && tg.layout === 'torch') {
    warnings.push({
      code: 'target-layout',
      message:
        `class indices ${fmtShape(tg.shape)} read as ${fmtShape([lg.B, 1, ...lg.shape.slice(2)])}: ` +
        `MONAI's ${lossLabel(opts.loss)} itself raises on this shape (it wants B1HW[D])`,
    });
  }
  if (C === 1 && opts.loss === 'dicece' && eps > 0) {
    warnings.push({
      code: 'eps-ignored-bce',
      message: `one output channel: MONAI's DiceCELoss uses BCEWithLogitsLoss, which ignores label_smoothing=${eps}`,
    });
  }
  if (opts.loss === 'ce' && tg.kind === 'index' && acc.kept === 0 && acc.elements > 0) {
    warnings.push({ code: 'all-ignored', message: `every target element equals ignore_index ${opts.ignoreIndex}: the mean is NaN` });
  }
  if (opts.loss !== 'ce' && opts.ignoreIndex !== -100) {
    warnings.push({ code: 'ignore-index-unused', message: `ignore_index ${opts.ignoreIndex} has no effect: MONAI's Dice losses have no ignore_index` });
  }
  if (hasOverlap(opts.loss) && !opts.softmax && !opts.sigmoid && !opts.squaredPred) {
    let outside = false;
    for (let i = 0; i < acc.dicePred.length && !outside; i++) if (acc.dicePredPow[i]! !== acc.dicePred[i]!) outside = true;
    if (outside) warnings.push({ code: 'dice-on-raw-values', message: 'Dice without softmax or sigmoid runs on values outside [0, 1]: these look like raw logits' });
  }
  if (multiLabel) warnings.push(multiLabelWarning(multiLabel, opts));
  warnings.push(...edgeWarnings({ opts, C, acc, targetKind: tg.kind, loss, hard }));
  if (pair.sequence) warnings.push(...sequenceWarnings(pair.sequence));
  warnings.push(...familyWarnings(pair.given, C));
  return warnings;
}

function confusionOf(acc: Accumulators, tg: PreparedTarget): ConfusionMatrix | null {
  // no matrix above CONFUSION_MAX_CLASSES: the report lists its most frequent confusions instead
  if (tg.kind === 'probability' || acc.C > CONFUSION_MAX_CLASSES) return null;
  const n = acc.C === 1 ? 2 : acc.C;
  const matrix: number[][] = [];
  let total = 0;
  if (acc.confusionPairs) return pairedConfusion(acc.confusionPairs, n);
  const m = acc.confusion;
  for (let t = 0; t < n; t++) {
    // a preallocated array filled in a loop: ~6× faster than Array.from on a subarray (1000 classes: 1 M cells)
    const row = new Array<number>(n);
    for (let p = 0; p < n; p++) {
      const v = m[t * n + p]!;
      row[p] = v;
      total += v;
    }
    matrix.push(row);
  }
  return { matrix, total };
}

/**
 * The matrix of counted pairs, its n² cells built when first read (then a plain data property): a (4096, 1000)
 * batch's report spends no million cells on a consumer that never reads them (the CLI's text, a sweep); JSON,
 * structured cloning and the view read it as any other property.
 */
function pairedConfusion(pairs: Map<number, number>, n: number): ConfusionMatrix {
  const keys = new Float64Array(pairs.size);
  const counts = new Float64Array(pairs.size);
  let total = 0;
  let i = 0;
  for (const [key, v] of pairs) {
    keys[i] = key;
    counts[i++] = v;
    total += v;
  }
  const out = {
    get matrix(): number[][] {
      const matrix: number[][] = [];
      for (let t = 0; t < n; t++) matrix.push(new Array<number>(n).fill(0));
      for (let j = 0; j < keys.length; j++) matrix[Math.floor(keys[j]! / n)]![keys[j]! % n] = counts[j]!;
      Object.defineProperty(out, 'matrix', { value: matrix, writable: true, enumerable: true, configurable: true });
      return matrix;
    },
    total,
  };
  return out;
}

/**
 * Every element with a hard class is counted once in its class and once in the confusion: a pass that wrote a
 * dense matrix where the sums count pairs (an empty array: the cells lost) fails here, not silently.
 */
function checkConfusion(acc: Accumulators, tg: PreparedTarget): void {
  if (acc.C < 2 || tg.kind === 'probability' || !acc.confusionPairs) return;
  let elements = 0;
  for (let c = 0; c < acc.C; c++) elements += acc.classElems[c]!;
  let counted = 0;
  for (const v of acc.confusionPairs.values()) counted += v;
  if (counted !== elements) throw new Error(`internal: the pass counted ${counted} confusion cells for ${elements} elements with a hard class`);
}

function calibrationOf(acc: Accumulators): Calibration | null {
  let n = 0;
  let conf = 0;
  let correct = 0;
  const bins = [];
  for (let i = 0; i < CALIBRATION_BINS; i++) {
    const c = acc.calCount[i]!;
    n += c;
    conf += acc.calConf[i]!;
    correct += acc.calCorrect[i]!;
    bins.push({
      lo: i / CALIBRATION_BINS,
      hi: (i + 1) / CALIBRATION_BINS,
      count: c,
      confidence: c > 0 ? acc.calConf[i]! / c : null,
      accuracy: c > 0 ? acc.calCorrect[i]! / c : null,
    });
  }
  if (n === 0) return null;
  let ece = 0;
  for (const b of bins) if (b.count > 0) ece += (b.count / n) * Math.abs(b.accuracy! - b.confidence!);
  return { bins, ece, confidence: conf / n, accuracy: correct / n };
}

/**
 * The sweep from the fused pass's sums (gathered with `sweepEps`): CE is affine in ε, the overlap term from the
 * bucketed sums. The focal term is not affine in ε (the target sits inside its γ power): the ε sweep leaves it (and
 * the total of a focal family) null; the γ sweep gives it against γ at the configured ε.
 */
export function finalizeSweep(pair: PreparedPair, acc: Accumulators, epsGrid: readonly number[]): EpsSweep {
  const { logits: lg, target: tg, opts } = pair;
  const C = lg.C;
  const ceKind = tg.kind === 'index' ? 'index' : 'dense';
  const bce = C === 1 && opts.loss === 'dicece';
  const hasCe = opts.loss === 'ce' || opts.loss === 'dicece';
  const ceAt = (e: number): number | null => (!hasCe ? null : bce ? bceFromSums(acc, opts) : crossEntropyFromSums(acc, opts, e, ceKind));
  const overlap = hasOverlap(opts.loss);
  const hardDice = overlap ? overlapFrom(pair, acc, hardDiceMode(acc, opts), acc.diceTarget).value : null;
  const focalKind = hasFocal(opts.loss);
  const floorIn = { opts, acc, target: tg, S: lg.S };
  const K = epsGrid.length;
  const K1 = K + 1;
  const bc = acc.B * C;
  const ce: (number | null)[] = [];
  const dice: (number | null)[] = [];
  const total: (number | null)[] = [];
  const floor: number[] = [];
  for (let k = 0; k < K; k++) {
    const e = epsGrid[k]!;
    const c = ceAt(e);
    let d: number | null = null;
    if (overlap && C > 1 && acc.sweepTarget) {
      const P = acc.dicePredPow;
      const Y = new Float64Array(bc);
      const D = new Float64Array(bc);
      for (let i = 0; i < bc; i++) {
        if (opts.squaredPred) {
          Y[i] = acc.sweepTargetSq![i]! + 2 * e * acc.sweepTargetShift![i]! + e * e * acc.sweepShiftSq![i]!;
          D[i] = acc.sweepErrorSq![i]! - 2 * e * acc.sweepErrorShift![i]! + e * e * acc.sweepShiftSq![i]!;
        } else {
          Y[i] = acc.sweepTarget![i]! + e * acc.sweepShift![i]!;
          let dd = acc.sweepErrorNoShift![i]!;
          for (let j = 0; j < K1; j++) {
            const su = acc.sweepBucketError![i * K1 + j]!;
            const sv = acc.sweepBucketShift![i * K1 + j]!;
            dd += j > k ? su - e * sv : e * sv - su;
          }
          D[i] = dd;
        }
      }
      d = overlapFrom(pair, acc, { kind: 'norm', P, Y, D }, Y).value;
    } else if (overlap && C === 1) {
      d = hardDice;
    }
    const t = focalKind ? { ce: null, dice: d, total: null } : triple(opts, d, c);
    ce.push(t.ce);
    dice.push(t.dice);
    total.push(t.total);
    floor.push(labelSmoothingFloorOf(floorIn, e) ?? 0);
  }
  const eps = [...epsGrid];
  // The configured ε off the grid (the view's grid stays uniform for the fast paths): its exact point from the
  // report's own sums, gathered at that ε, so the sweep passes through the report's smoothed numbers.
  const e0 = opts.labelSmoothing;
  if (!eps.some((e) => Math.abs(e - e0) <= 1e-12)) {
    const d = !overlap ? null : C > 1 ? overlapFrom(pair, acc, { kind: 'norm', P: acc.dicePredPow, Y: acc.diceSmoothTargetPow, D: acc.diceSmoothDiffPow }, acc.diceSmoothTargetPow).value : hardDice;
    const t = focalKind ? { ce: null, dice: d, total: null } : triple(opts, d, ceAt(e0));
    let at = eps.findIndex((e) => e > e0);
    if (at < 0) at = eps.length;
    eps.splice(at, 0, e0);
    ce.splice(at, 0, t.ce);
    dice.splice(at, 0, t.dice);
    total.splice(at, 0, t.total);
    floor.splice(at, 0, labelSmoothingFloorOf(floorIn, e0) ?? 0);
  }
  return { eps, ceHard: hasCe ? ceAt(0) : null, diceHard: hardDice, ce, dice, total, floor, gamma: gammaSweepOf(pair, acc, hardDice) };
}

/** The γ sweep from the per-(class, γ) focal sums, or null when the loss has no focal term. */
function gammaSweepOf(pair: PreparedPair, acc: Accumulators, hardOverlap: number | null): GammaSweep | null {
  const { logits: lg, opts } = pair;
  const C = lg.C;
  const points = acc.focalSwH.length / C;
  if (!hasFocal(opts.loss) || !(points > 0)) return null;
  const rank = lg.shape.length;
  const gamma = Array.from({ length: points }, (_, j) => j * GAMMA_SWEEP_STEP);
  const focalHard = focalSweep(acc.focalSwH, points, opts, lg.B, C, lg.S, rank);
  const smoothedFocal = C > 1 ? focalSweep(acc.focalSwS, points, opts, lg.B, C, lg.S, rank) : null;
  const smOverlap = hasOverlap(opts.loss) && C > 1 ? overlapFrom(pair, acc, { kind: 'norm', P: acc.dicePredPow, Y: acc.diceSmoothTargetPow, D: acc.diceSmoothDiffPow }, acc.diceSmoothTargetPow).value : hardOverlap;
  return {
    gamma,
    focalHard,
    focalSmoothed: smoothedFocal ?? focalHard.map(() => null),
    totalHard: focalHard.map((f) => triple(opts, hardOverlap, null, f).total!),
    totalSmoothed: smoothedFocal ? smoothedFocal.map((f) => triple(opts, smOverlap, null, f).total) : focalHard.map(() => null),
  };
}

/** The full report in one fused pass on this thread. */
export function computeReport(logits: Tensor, target: Tensor, options: LossOptions): Report {
  const pair = preparePair(logits, target, options);
  return finalizeReport(pair, accumulateAll(pair, accumulateConfig(pair)));
}

/** The ε sweep (hard numbers once, smoothed numbers per ε) in one fused pass. */
export function computeSweep(logits: Tensor, target: Tensor, options: LossOptions, eps?: readonly number[]): EpsSweep {
  const pair = preparePair(logits, target, options);
  const grid = sweepGrid(eps);
  return finalizeSweep(pair, accumulateAll(pair, accumulateConfig(pair, grid)), grid);
}

/** Report and sweep from the same single pass (what the comparison view needs). */
export function computeReportAndSweep(logits: Tensor, target: Tensor, options: LossOptions, eps?: readonly number[]): { report: Report; sweep: EpsSweep } {
  const pair = preparePair(logits, target, options);
  const grid = sweepGrid(eps);
  const acc = accumulateAll(pair, accumulateConfig(pair, grid));
  return { report: finalizeReport(pair, acc), sweep: finalizeSweep(pair, acc, grid) };
}
