/**
 * Hover text (Markdown) for a recognised loss call's name and for `label_smoothing` — as a keyword in the
 * call or as the attribute of a post-hoc assignment: what ε does, the smoothed target and the floor for
 * the known C, and the torch / MONAI behaviours that surprise people.
 */
import { labelSmoothingFloor, smoothedTargetValues } from '../engine/index';
import { argFor } from './calls';
import { smoothingParamOf, specFor } from './catalogue';
import { classCountFor, epsOf, epsText, fixed4, smoothingFormulas, summaryTitle, type ClassCountContext } from './lens';
import type { LossCall, PostHocAssignment, TextRange } from './types';

export interface HoverResult {
  markdown: string;
  range: TextRange;
}

const inRange = (r: TextRange | null | undefined, offset: number) => !!r && offset >= r.start && offset <= r.end;

/**
 * The hover at `offset`. `calls` are the calls whose ranges refer to the same text as `offset` — for a
 * notebook cell, pass all calls of the notebook and the cell index: post-hoc assignments in this cell may
 * target a call made in an earlier one.
 */
export function hoverAt(calls: readonly LossCall[], offset: number, ctx: ClassCountContext, cellIndex?: number): HoverResult | null {
  for (const call of calls) {
    if (call.cellIndex === cellIndex) {
      if (inRange(call.nameRange, offset)) return { markdown: lossHover(call, ctx), range: call.nameRange };
      const param = smoothingParamOf(call.loss);
      const arg = call.args.find((a) => a.param === param && inRange(a.nameRange, offset));
      if (arg && arg.nameRange) return { markdown: smoothingHover(call, ctx, null), range: arg.nameRange };
    }
    for (const p of call.postHoc) {
      if (p.cellIndex === cellIndex && inRange(p.attrRange, offset)) return { markdown: smoothingHover(call, ctx, p), range: p.attrRange };
    }
  }
  return null;
}

function lossFacts(call: LossCall): string[] {
  const facts: string[] = [];
  const weighted = call.options.weight !== undefined ? call.options.weight !== null : argFor(call, 'weight') !== undefined;
  switch (call.loss) {
    case 'CrossEntropyLoss':
    case 'cross_entropy':
      facts.push(
        `torch's \`mean\` with \`weight\`${weighted ? ' (given here)' : ''}: each element's loss is (1−ε)·w[y]·(−log q_y) + (ε/C)·Σ_k w[k]·(−log q_k), and the sum is divided by Σ w[y] over the kept elements — the smoothing term is weighted by every class's weight but divided by the targets' weights.`,
        'Elements equal to `ignore_index` drop out of both terms; with probability (soft) targets torch smooths them too, (1−ε)·y + ε/C, `mean` divides by the number of elements and `ignore_index` plays no part.',
      );
      break;
    case 'DiceCELoss':
      facts.push(
        'ε reaches only the CE term (`lambda_ce`); the Dice term is unaffected.',
        'With one output channel MONAI computes `BCEWithLogitsLoss(pos_weight=weight)` instead of CE and ignores `label_smoothing` silently (and `to_onehot_y`, `softmax`, `include_background`).',
        'A float one-hot target takes torch’s probability path: with `weight`, `mean` divides by the number of elements, not by the summed weights as with index labels.',
        '`DiceCELoss` has no `ignore_index`.',
      );
      break;
    case 'DiceLoss':
      facts.push('Dice terms take no label smoothing: the hard Dice compares with the one-hot target. `DiceCELoss(label_smoothing=ε)` smooths its CE term only.');
      break;
    case 'DiceFocalLoss':
      facts.push(
        '`lambda_dice`·Dice + `lambda_focal`·Focal; the focal term per class and voxel is −α_t·(1 − p_t)^γ·log p_t with **p = sigmoid(x)**.',
        'The focal term is always the sigmoid one: `softmax=True` reaches the Dice term only (MONAI never passes `use_softmax` to its FocalLoss).',
        '`weight` goes to both terms (one value per kept class); the focal term computes in float32 whatever the input, and its `sum` first averages over the spatial axes.',
        'No label smoothing: both terms compare with the hard one-hot target.',
      );
      break;
    case 'GeneralizedDiceLoss':
    case 'GeneralizedDiceFocalLoss':
      facts.push(
        '1 − 2·Σ_c w_c·tp_c / Σ_c w_c·(2·tp_c + fp_c + fn_c) per item: one ratio over all classes, with w_c = 1/(Σy_c)² (`w_type` square), 1/Σy_c (simple) or 1 (uniform), computed in float32.',
        'A class absent from the target has an infinite weight: MONAI replaces it by the largest finite weight of that item (of the whole batch with `batch=True`).',
      );
      if (call.loss === 'GeneralizedDiceFocalLoss') {
        facts.push(
          '`lambda_gdl`·GeneralizedDice + `lambda_focal`·Focal; the focal term is the sigmoid one (even with `softmax=True`), has no `alpha`, and takes `weight` (the generalized Dice does not).',
        );
      }
      facts.push('No label smoothing: the terms compare with the hard one-hot target.');
      break;
    case 'TverskyLoss':
      facts.push(
        '1 − (tp + smooth_nr) / (tp + α·fp + β·fn + smooth_dr) per item and class: α weighs false positives, β false negatives; α = β = 0.5 is the Dice loss.',
        'No `weight` and no label smoothing.',
      );
      break;
    case 'FocalLoss':
      facts.push(
        'Sigmoid by default: −α_t·(1 − p_t)^γ·log p_t per class and voxel with p = sigmoid(x); `use_softmax=True`: −(1 − q_c)^γ·log q_c·t_c with q = softmax over the kept channels.',
        'With `use_softmax=True`, `alpha` weighs the background channel by 1 − α and the others by α — and is dropped (set to None) without background.',
        'Computes in float32 (`input.float()`) whatever the input; `reduction="sum"` first averages over the spatial axes, then sums over batch and classes.',
        'No `label_smoothing` parameter: pass a smoothed target yourself.',
      );
      break;
    case 'BCEWithLogitsLoss':
    case 'BCELoss':
    case 'binary_cross_entropy_with_logits':
    case 'binary_cross_entropy':
      facts.push('No `label_smoothing` parameter: smooth binary targets yourself, y·(1−ε) + ε/2.');
      break;
    case 'TrainingArguments':
    case 'Seq2SeqTrainingArguments':
    case 'LabelSmoother':
      facts.push(
        "Hugging Face's `LabelSmoother` (what the Trainer uses for `label_smoothing_factor`) computes (1−ε)·NLL + ε·mean over the V logits of −log q, averaged over the tokens whose label is not `ignore_index` (−100): the same number as torch's `cross_entropy(..., label_smoothing=ε)` with `mean` and no weights.",
        'Its logits are (B, T, V), the vocabulary last; a causal LM scores position i against label i+1 (`shift_labels=True`).',
      );
      break;
    case 'NLLLoss':
    case 'nll_loss':
      facts.push('No `label_smoothing` parameter: `CrossEntropyLoss(label_smoothing=ε)` on logits is the smoothed equivalent of NLL on log-softmax.');
      break;
  }
  return facts;
}

function targetLines(call: LossCall, eps: number, ctx: ClassCountContext): string[] {
  const C = classCountFor(call, ctx);
  if (C.value === null) {
    const symbol = specFor(call.loss).classSymbol ?? 'C';
    const f = smoothingFormulas(eps, symbol);
    if (eps === 0) return [`ε = 0: hard one-hot targets; a perfect model reaches CE 0. (${symbol} is not stated in this file.)`];
    return [
      `${symbol} is not known (stated ${C.describe}): the target is **${f.onTarget}** on the true class and **${f.offTarget}** on each other class.`,
      `Floor: the CE cannot go below ${f.floor} nats, the entropy of that target, even for a perfect model (0 with hard targets).`,
    ];
  }
  if (call.loss === 'DiceCELoss' && C.value === 1) {
    return [`With C = 1 (from ${C.describe}) DiceCELoss uses its BCE branch, which ignores ε: training runs on the hard targets.`];
  }
  if (eps === 0) return [`ε = 0: hard one-hot targets (C = ${C.value}, from ${C.describe}); a perfect model reaches CE 0.`];
  const t = smoothedTargetValues(eps, C.value);
  const floor = labelSmoothingFloor(eps, C.value);
  return [
    `With C = ${C.value} (from ${C.describe}) the target is **${fixed4(t.onTarget)}** on the true class and **${fixed4(t.offTarget)}** on each of the other ${C.value - 1}.`,
    `Floor: the CE cannot go below **${fixed4(floor)}** nats, the entropy of that target, even for a perfect model (0 with hard targets).`,
  ];
}

function smoothingHover(call: LossCall, ctx: ClassCountContext, postHoc: PostHocAssignment | null): string {
  const lines: string[] = [];
  const eps = epsOf(call);
  const param = smoothingParamOf(call.loss);
  const shown = postHoc ? postHoc.value : argFor(call, param)?.value;
  const value = shown ? (shown.known ? `\`${String(shown.value)}\`` : `\`${shown.text}\` (not a literal)`) : '—';
  lines.push(`**${postHoc ? 'label_smoothing' : param}** = ${value} · \`${call.name}\``, '');
  if (!call.acceptsSmoothing) {
    lines.push(`\`${call.loss}\` has no \`label_smoothing\` parameter: passing it raises \`TypeError\`, and setting the attribute afterwards changes nothing.`, '');
  } else {
    lines.push('Label smoothing trains against the soft target (1−ε)·onehot + ε/C instead of the one-hot label.', '');
    if (postHoc && !postHoc.effective) {
      lines.push('This assignment sets an attribute that DiceCELoss never reads: the CE term inside it keeps the ε it was constructed with. Pass `label_smoothing=` to the constructor (quick fix available).', '');
    } else if (postHoc) {
      lines.push(`Set after construction (line ${postHoc.line}); it works, but \`label_smoothing=\` in the constructor says it where it is read (quick fix available).`, '');
    }
    if (eps.kind === 'value' && eps.value >= 0 && eps.value <= 1) lines.push(...targetLines(call, eps.value, ctx), '');
    else if (eps.kind === 'value') lines.push(`ε = ${epsText(eps.value)} is outside [0, 1]: torch rejects it when the loss is computed.`, '');
    else if (eps.kind === 'kwargs') lines.push('ε may come from `**kwargs`, so the smoothed target is not shown.', '');
    else lines.push('ε is not a literal here, so the smoothed target is not shown.', '');
  }
  lines.push(...lossFacts(call).map((f) => `- ${f}`));
  return lines.join('\n').trimEnd();
}

function lossHover(call: LossCall, ctx: ClassCountContext): string {
  const lines: string[] = [`**${call.name}** · Loss Inspector`, ''];
  const entries = Object.entries(call.options);
  if (entries.length) {
    lines.push('| option | value |', '|---|---|');
    for (const [k, v] of entries) lines.push(`| \`${k}\` | \`${JSON.stringify(v)}\` |`);
    lines.push('');
  }
  if (call.unknownOptions.length) lines.push(`Not literal (not evaluated): ${call.unknownOptions.map((k) => `\`${k}\``).join(', ')}.`, '');
  const notes = [...call.invalid.map((n) => ({ ...n, kind: 'invalid' })), ...call.notApplied.map((n) => ({ ...n, kind: 'not applied' }))];
  if (notes.length) {
    lines.push('*Inspect* does not apply:', ...notes.map((n) => `- ${n.kind}: \`${n.param}\` (\`${n.text}\`, ${n.reason})`), '');
  }
  if (call.hasKwargs) lines.push('`**kwargs` may set further options: the list above may be incomplete.', '');
  const ignored = call.args.filter((a) => a.param !== null && !a.accepted).map((a) => `\`${a.param}\``);
  if (ignored.length) lines.push(`Not a parameter of \`${call.loss}\`: ${ignored.join(', ')}.`, '');
  lines.push(summaryTitle(call, ctx).title, '');
  lines.push(...lossFacts(call).map((f) => `- ${f}`));
  if (specFor(call.loss).kind !== null) lines.push('', '*Inspect with these settings…* (the lens above) opens the comparison with these options.');
  return lines.join('\n').trimEnd();
}
