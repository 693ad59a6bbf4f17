/**
 * What the CodeLens above a loss call says: the effective ε, the class count C and what they make of the
 * target — `ε 0.1 · C 14 → target 0.9071 / 0.0071 · floor 0.5473` — plus the *Inspect with these
 * settings…* lens carrying the options the analysis knows. Pure: the extension turns these into
 * `vscode.CodeLens` objects.
 */
import { labelSmoothingFloor, smoothedTargetValues } from '../engine/index';
import type { LossOptions } from '../engine/types';
import { argFor } from './calls';
import { specFor } from './catalogue';
import type { ClassCountHint, LossCall, OptionNote } from './types';

/**
 * What the caller knows of C beyond the file: the C of a comparison the user opened from this file
 * (Inspect on one of its calls), and the `lossInspector.defaultNumClasses` setting when the user set one.
 */
export interface ClassCountContext {
  lastNumClasses?: number | undefined;
  defaultNumClasses?: number | null | undefined;
}

export interface ResolvedClassCount {
  /** null: not known — the lens shows "C ?" and the formulas of C, never a guess. */
  value: number | null;
  source: 'weight' | 'file' | 'comparison' | 'setting' | 'unknown';
  /** Human description, e.g. "`num_classes=14` on line 3" or "the length of the weight list". */
  describe: string;
}

function hintText(h: ClassCountHint): string {
  return h.via === 'dict' ? `\`"${h.name}": ${h.value}\`` : `\`${h.name}=${h.value}\``;
}

/**
 * C for a call, from (in order) the length of its literal weight list, a class count the file states
 * (`num_classes`, `out_channels`, `n_classes`: keyword, assignment or dict entry; see numClasses.ts), a
 * comparison opened from this file, the setting if the user set it; else unknown.
 */
export function classCountFor(call: LossCall, ctx: ClassCountContext): ResolvedClassCount {
  const w = call.options.weight;
  if (Array.isArray(w) && w.length >= 1) {
    const arg = argFor(call, 'weight');
    const via = arg && arg.value.known && arg.value.resolved ? ` (\`${arg.value.text}\`)` : '';
    return { value: w.length, source: 'weight', describe: `the length of the weight list${via}` };
  }
  const h = call.numClasses;
  if (h) {
    const where = h.cellIndex !== undefined && h.cellIndex !== call.cellIndex ? `line ${h.line} of cell ${h.cellIndex + 1}` : `line ${h.line}`;
    return { value: h.value, source: 'file', describe: `${hintText(h)} on ${where}` };
  }
  if (ctx.lastNumClasses !== undefined && ctx.lastNumClasses >= 1) {
    return { value: ctx.lastNumClasses, source: 'comparison', describe: 'the comparison opened from this file' };
  }
  if (typeof ctx.defaultNumClasses === 'number' && ctx.defaultNumClasses >= 1) {
    return { value: ctx.defaultNumClasses, source: 'setting', describe: 'the `lossInspector.defaultNumClasses` setting' };
  }
  return {
    value: null,
    source: 'unknown',
    describe: 'nowhere: the file states no weight list, `num_classes`, `out_channels` or `n_classes`, and no comparison was opened from it',
  };
}

/** The smoothed target and floor as formulas of C (or V) for a known ε. */
export function smoothingFormulas(eps: number, symbol = 'C'): { onTarget: string; offTarget: string; floor: string } {
  const e = epsText(eps);
  const keep = epsText(Number((1 - eps).toPrecision(12)));
  const on = `${keep} + ${e}/${symbol}`;
  const off = `${e}/${symbol}`;
  return { onTarget: on, offTarget: off, floor: `−(${on})·ln(${on}) − (${symbol}−1)·(${off})·ln(${off})` };
}

export type EpsState =
  | { kind: 'value'; value: number; fromPostHoc: number | null }
  | { kind: 'unknown'; text: string }
  | { kind: 'kwargs' }
  | { kind: 'unsupported' };

/**
 * The ε a call runs with: an effective post-hoc assignment wins over the constructor; no argument means
 * torch's and MONAI's default 0, unless `**kwargs` could carry it.
 */
export function epsOf(call: LossCall): EpsState {
  if (!call.acceptsSmoothing) return { kind: 'unsupported' };
  const effective = call.postHoc.filter((p) => p.effective);
  const last = effective[effective.length - 1];
  if (last) return last.value.known && typeof last.value.value === 'number' ? { kind: 'value', value: last.value.value, fromPostHoc: last.line } : { kind: 'unknown', text: last.value.text };
  const arg = argFor(call, 'label_smoothing');
  if (arg) return arg.value.known && typeof arg.value.value === 'number' ? { kind: 'value', value: arg.value.value, fromPostHoc: null } : { kind: 'unknown', text: arg.value.text };
  if (call.hasKwargs) return { kind: 'kwargs' };
  return { kind: 'value', value: 0, fromPostHoc: null };
}

/** 4 decimals, as the lens and hover show targets and floors. */
export function fixed4(x: number): string {
  return x.toFixed(4);
}

/** ε in JavaScript's shortest round-trip form (0.1, 0.05, 1e-7). */
export function epsText(eps: number): string {
  return String(eps);
}

function short(text: string, max = 24): string {
  const oneLine = text.split('\n').map((s) => s.trim()).join(' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export interface LensModel {
  callId: number;
  /** The call's start (the lens sits on this line). */
  line: number;
  column: number;
  title: string;
  tooltip: string;
  /** Present on the *Inspect with these settings…* lens. */
  inspect?: InspectPayload;
}

/**
 * What *Inspect with these settings…* carries: the options it applies, and — only when there are any —
 * the arguments it could not apply (`notApplied`) and the values torch / MONAI reject (`invalid`), which
 * the comparison view lists in a banner (see the protocol's `InspectCaveats`).
 */
export interface InspectPayload {
  options: Partial<LossOptions>;
  notApplied?: OptionNote[];
  invalid?: OptionNote[];
}

/** Options safe to hand to the inspector: only known values that torch accepts (ε only in [0, 1]). */
export function inspectableOptions(call: LossCall): Partial<LossOptions> {
  const o: Partial<LossOptions> = { ...call.options };
  if (o.labelSmoothing !== undefined && !(o.labelSmoothing >= 0 && o.labelSmoothing <= 1)) delete o.labelSmoothing;
  for (const n of call.invalid) if (n.key) delete o[n.key];
  return o;
}

export function inspectPayload(call: LossCall): InspectPayload {
  const p: InspectPayload = { options: inspectableOptions(call) };
  if (call.notApplied.length) p.notApplied = call.notApplied.map((n) => ({ ...n }));
  if (call.invalid.length) p.invalid = call.invalid.map((n) => ({ ...n }));
  return p;
}

export function summaryTitle(call: LossCall, ctx: ClassCountContext): { title: string; tooltip: string } {
  const C = classCountFor(call, ctx);
  const eps = epsOf(call);
  const cText = `C ${C.value ?? '?'}`;
  const parts: string[] = [];
  const tips: string[] = [C.value === null ? `C is not known: stated ${C.describe}.` : `C = ${C.value} from ${C.describe}.`];
  const sigmoid = call.options.sigmoid === true;
  const isDiceCe = call.loss === 'DiceCELoss';
  if (eps.kind === 'unsupported') {
    const spec = specFor(call.loss);
    parts.push(spec.library === 'monai' ? `ε n/a — ${call.loss} has no label smoothing (Dice is unaffected)` : `ε n/a — ${call.loss} takes no label_smoothing`);
    parts.push(cText);
    tips.push(`${call.name} has no \`label_smoothing\` parameter.`);
  } else if (eps.kind === 'unknown') {
    parts.push(`ε ? (${short(eps.text)})`, cText);
    tips.push(`ε is \`${eps.text}\`, not a literal: the analysis does not guess its value.`);
  } else if (eps.kind === 'kwargs') {
    parts.push('ε ? (**kwargs)', cText);
    tips.push('`label_smoothing` may come from `**kwargs`: the analysis does not guess its value.');
  } else if (!(eps.value >= 0 && eps.value <= 1)) {
    parts.push(`ε ${epsText(eps.value)} (outside [0, 1])`, cText);
    tips.push('torch rejects ε outside [0, 1] when the loss is computed.');
  } else if (eps.value === 0) {
    parts.push('ε 0 (hard targets)', cText);
  } else if (C.value === null) {
    const f = smoothingFormulas(eps.value);
    parts.push(`ε ${epsText(eps.value)}`, `${cText} → target ${f.onTarget} / ${f.offTarget}`);
    tips.push(`Smoothed target (1−ε)·onehot + ε/C: ${f.onTarget} on the true class, ${f.offTarget} on each other class; the CE of a perfect model cannot go below ${f.floor}.`);
  } else if (isDiceCe && C.value === 1) {
    parts.push(`ε ${epsText(eps.value)}`, `${cText} → BCE branch ignores ε`);
    tips.push('With one output channel MONAI’s DiceCELoss computes BCEWithLogitsLoss, which ignores label_smoothing.');
  } else {
    const t = smoothedTargetValues(eps.value, C.value);
    const floor = labelSmoothingFloor(eps.value, C.value);
    parts.push(`ε ${epsText(eps.value)}`, `${cText} → target ${fixed4(t.onTarget)} / ${fixed4(t.offTarget)}`, `floor ${fixed4(floor)}`);
    tips.push(`Smoothed target (1−ε)·onehot + ε/C: ${fixed4(t.onTarget)} on the true class, ${fixed4(t.offTarget)} on each other class; the CE of a perfect model cannot go below ${fixed4(floor)}.`);
  }
  if (eps.kind === 'value' && eps.fromPostHoc !== null) parts.push(`ε set on line ${eps.fromPostHoc}`);
  const smoothed = (eps.kind === 'value' && eps.value !== 0) || eps.kind === 'unknown' || eps.kind === 'kwargs';
  if (isDiceCe && sigmoid && smoothed && C.value !== 1 && C.source !== 'file' && C.source !== 'weight') {
    parts.push('BCE branch ignores ε if 1 channel');
    tips.push('sigmoid=True usually means one output channel, where DiceCELoss uses BCEWithLogitsLoss and ignores ε.');
  }
  if (call.hasKwargs && eps.kind !== 'kwargs') parts.push('+ **kwargs');
  return { title: parts.join(' · '), tooltip: tips.join(' ') };
}

/** The lenses for every call: the summary, then *Inspect with these settings…* for losses the engine reproduces. */
export function lensesFor(calls: readonly LossCall[], ctx: ClassCountContext): LensModel[] {
  const out: LensModel[] = [];
  for (const call of calls) {
    const { title, tooltip } = summaryTitle(call, ctx);
    out.push({ callId: call.id, line: call.line, column: call.column, title, tooltip });
    if (specFor(call.loss).kind !== null) {
      const inspect = inspectPayload(call);
      const caveats = [...(inspect.invalid ?? []).map((n) => `invalid: ${n.param}`), ...(inspect.notApplied ?? []).map((n) => `not applied: ${n.param}`)];
      out.push({
        callId: call.id,
        line: call.line,
        column: call.column,
        title: 'Inspect with these settings…',
        tooltip: `Open the loss comparison with ${JSON.stringify(inspect.options)}${caveats.length ? ` (${caveats.join(', ')})` : ''}`,
        inspect,
      });
    }
  }
  return out;
}
