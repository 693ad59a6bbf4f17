/**
 * The mistakes the analysis reports, each with a stable code:
 * - `li-eps-range` (error): a literal ε outside [0, 1] — torch rejects it when the loss is computed;
 * - `li-eps-unsupported` (error): `label_smoothing=` on a loss without that parameter (BCE, NLL, the Dice
 *   family apart from DiceCELoss) — the call raises TypeError;
 * - `li-ignore-index-dicece` (warning): `ignore_index=` on DiceCELoss, which has none;
 * - `li-sigmoid-eps` (warning): `sigmoid=True` with a non-zero ε on DiceCELoss — with one output channel
 *   MONAI computes BCEWithLogitsLoss and ignores ε (not reported when the file's C is a literal > 1);
 * - `li-one-channel-eps` (warning): a non-zero ε on DiceCELoss when the file's C is a literal 1;
 * - `li-posthoc-eps` (information): ε assigned after construction where torch reads it
 *   (`ce.label_smoothing` on CrossEntropyLoss, `dicece.cross_entropy.label_smoothing` on DiceCELoss);
 * - `li-posthoc-eps-ignored` (warning): ε assigned to an attribute nothing reads
 *   (`dicece.label_smoothing`, or any loss without label smoothing);
 * - `li-focal-sigmoid` (warning): `softmax=True` on DiceFocalLoss / GeneralizedDiceFocalLoss — it reaches the
 *   overlap term only; their focal term is always the sigmoid one;
 * - `li-alpha-dropped` (warning): `FocalLoss(use_softmax=True, include_background=False, alpha=…)` — MONAI
 *   sets alpha to None there.
 */
import { argFor } from './calls';
import { specFor } from './catalogue';
import { epsOf } from './lens';
import type { LineIndex } from './pyTree';
import type { AnalysisDiagnostic, CallArgument, DiagnosticCode, LossCall, PostHocAssignment, QuickFix, Severity, TextRange } from './types';

function make(
  lines: LineIndex,
  range: TextRange,
  code: DiagnosticCode,
  severity: Severity,
  message: string,
  call: LossCall,
  cellIndex: number | undefined,
  fix: QuickFix | null = null,
): AnalysisDiagnostic {
  // Fields written out rather than spread: a spread of the location made dictionary-mode objects (slow to build and read).
  const at = lines.locate(range.start, range.end);
  const d: AnalysisDiagnostic = {
    start: at.start,
    end: at.end,
    line: at.line,
    column: at.column,
    endLine: at.endLine,
    endColumn: at.endColumn,
    code,
    severity,
    message,
    callId: call.id,
    fix,
  };
  if (cellIndex !== undefined) d.cellIndex = cellIndex;
  return d;
}

function epsRangeMessage(text: string): string {
  return `label_smoothing=${text} is outside [0, 1]: torch rejects it when the loss is computed`;
}

function unsupportedMessage(call: LossCall): string {
  const spec = specFor(call.loss);
  if (call.loss === 'FocalLoss') {
    return 'FocalLoss has no label_smoothing parameter (MONAI raises TypeError): pass a smoothed target, (1−ε)·onehot + ε/C, with to_onehot_y=False';
  }
  if (spec.library === 'monai') {
    return `${call.loss} has no label_smoothing parameter (MONAI raises TypeError): ${call.loss === 'TverskyLoss' ? 'the Tversky term is' : 'Dice terms are'} not smoothed; DiceCELoss(label_smoothing=…) smooths its CE term`;
  }
  if (call.loss === 'NLLLoss' || call.loss === 'nll_loss') {
    return `${call.loss} has no label_smoothing parameter (TypeError): use CrossEntropyLoss(label_smoothing=…) on logits`;
  }
  return `${call.loss} has no label_smoothing parameter (TypeError): smooth binary targets yourself, y·(1−ε) + ε/2`;
}

/** Diagnostics about the call's own arguments and configuration (lines: the call's text). */
export function callDiagnostics(call: LossCall, lines: LineIndex): AnalysisDiagnostic[] {
  const out: AnalysisDiagnostic[] = [];
  const cell = call.cellIndex;
  const eps = argFor(call, 'label_smoothing');
  if (eps && !call.acceptsSmoothing) {
    out.push(make(lines, eps.range, 'li-eps-unsupported', 'error', unsupportedMessage(call), call, cell));
  } else if (eps && eps.value.known && typeof eps.value.value === 'number' && !(eps.value.value >= 0 && eps.value.value <= 1)) {
    out.push(make(lines, eps.valueRange, 'li-eps-range', 'error', epsRangeMessage(eps.value.text), call, cell));
  }
  out.push(...focalDiagnostics(call, lines));
  if (call.loss !== 'DiceCELoss') return out;

  const ignore = argFor(call, 'ignore_index');
  if (ignore) {
    out.push(
      make(lines, ignore.range, 'li-ignore-index-dicece', 'warning',
        "DiceCELoss has no ignore_index parameter (MONAI raises TypeError): its CE term cannot skip labels; mask them out, or combine DiceLoss with torch's CrossEntropyLoss(ignore_index=…)",
        call, cell),
    );
  }
  const state = epsOf(call);
  const smoothed = (state.kind === 'value' && state.value !== 0) || state.kind === 'unknown';
  if (!smoothed) return out;
  const sigmoid = argFor(call, 'sigmoid');
  const C = call.numClasses;
  if (sigmoid && sigmoid.value.known && sigmoid.value.value === true) {
    if (!(C && C.value > 1)) {
      out.push(
        make(lines, sigmoid.range, 'li-sigmoid-eps', 'warning',
          'sigmoid=True with label_smoothing: for a one-channel output DiceCELoss computes BCEWithLogitsLoss, which ignores label_smoothing',
          call, cell),
      );
    }
  } else if (C && C.value === 1) {
    const where = C.cellIndex !== undefined && C.cellIndex !== cell ? `line ${C.line} of cell ${C.cellIndex + 1}` : `line ${C.line}`;
    out.push(
      make(lines, eps ? eps.range : call.nameRange, 'li-one-channel-eps', 'warning',
        `label_smoothing has no effect: with one output channel (${C.name}=1 on ${where}) DiceCELoss computes BCEWithLogitsLoss, which ignores it`,
        call, cell),
    );
  }
  return out;
}

const isTrue = (a: CallArgument | undefined) => !!a && a.value.known && a.value.value === true;
const isFalse = (a: CallArgument | undefined) => !!a && a.value.known && a.value.value === false;

/** The focal traps: the compound losses' sigmoid focal term, and alpha dropped by softmax FocalLoss without background. */
function focalDiagnostics(call: LossCall, lines: LineIndex): AnalysisDiagnostic[] {
  const out: AnalysisDiagnostic[] = [];
  const cell = call.cellIndex;
  if (call.loss === 'DiceFocalLoss' || call.loss === 'GeneralizedDiceFocalLoss') {
    const softmax = argFor(call, 'softmax');
    if (isTrue(softmax)) {
      const term = call.loss === 'DiceFocalLoss' ? 'Dice' : 'generalized Dice';
      out.push(
        make(lines, softmax!.range, 'li-focal-sigmoid', 'warning',
          `softmax=True reaches the ${term} term only: ${call.loss}'s focal term is MONAI's sigmoid focal loss on the raw logits (it never passes use_softmax), so it scores each class independently`,
          call, cell),
      );
    }
  }
  if (call.loss === 'FocalLoss') {
    const alpha = argFor(call, 'alpha');
    if (isTrue(argFor(call, 'use_softmax')) && isFalse(argFor(call, 'include_background')) && alpha && !(alpha.value.known && alpha.value.value === null)) {
      out.push(
        make(lines, alpha.range, 'li-alpha-dropped', 'warning',
          `alpha=${alpha.value.text} is dropped: FocalLoss(use_softmax=True, include_background=False) sets alpha to None (MONAI warns "alpha ignored when using softmax")`,
          call, cell),
      );
    }
  }
  return out;
}

/** Diagnostics about one post-hoc assignment (lines: the assignment's text, which may be a later cell). */
export function postHocDiagnostics(call: LossCall, p: PostHocAssignment, lines: LineIndex, fix: QuickFix | null): AnalysisDiagnostic[] {
  const out: AnalysisDiagnostic[] = [];
  const range = { start: p.start, end: p.end };
  const where = call.cellIndex !== undefined && call.cellIndex !== p.cellIndex ? `line ${call.line} of cell ${call.cellIndex + 1}` : `line ${call.line}`;
  if (p.effective) {
    out.push(
      make(lines, range, 'li-posthoc-eps', 'information',
        `label_smoothing set after construction on ${p.target.slice(0, -'.label_smoothing'.length)}: it works, but the ${call.loss}(…) call on ${where} does not show it; pass label_smoothing= to the constructor`,
        call, p.cellIndex, fix),
    );
  } else if (call.acceptsSmoothing) {
    const ctor = argFor(call, 'label_smoothing');
    const given = ctor ? `label_smoothing=${ctor.value.text}` : 'no label_smoothing';
    out.push(
      make(lines, range, 'li-posthoc-eps-ignored', 'warning',
        `${call.loss} never reads ${p.target}, so this changes nothing: ε reaches its CE term only through the constructor (${given} on ${where}); pass label_smoothing= to the constructor`,
        call, p.cellIndex, fix),
    );
  } else {
    out.push(
      make(lines, range, 'li-posthoc-eps-ignored', 'warning',
        `${call.loss} has no label smoothing: setting ${p.target} changes nothing`,
        call, p.cellIndex, null),
    );
  }
  if (p.value.known && typeof p.value.value === 'number' && !(p.value.value >= 0 && p.value.value <= 1) && p.effective) {
    out.push(make(lines, p.valueRange, 'li-eps-range', 'error', epsRangeMessage(p.value.text), call, p.cellIndex));
  }
  return out;
}
