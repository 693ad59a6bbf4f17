/**
 * The class count C a loss call works with, when the file says it with a literal: `num_classes=14` or
 * `out_channels=14` as a keyword argument (not on a `torch.nn` layer or a `Conv*` / `Linear` block, where
 * `out_channels` counts features), or `num_classes = 14` / `NUM_CLASSES = 14` / `n_classes = 14` /
 * `out_channels = 14` assigned to a name. Only positive integer literals count.
 *
 * Rule when several are found: if they all agree, that value; otherwise the nearest one before the call
 * (in document order; for notebooks, over the cells in order), else the nearest one after it. A call with
 * no literal in its file gets null, and the lens falls back to the caller's value.
 */
import { isLayerWithChannels } from './catalogue';
import { literalEnvFor } from './calls';
import { evaluate } from './literals';
import { isClassCountName, type CarriedState } from './scopes';
import type { ClassCountHint, LossCall } from './types';
import type { Unit } from './unit';

export function classCountHints(unit: Unit, carried: CarriedState): ClassCountHint[] {
  const out: ClassCountHint[] = [];
  const { src } = unit;
  for (const site of unit.walk.classCounts) {
    const env = literalEnvFor(site.scope, src, carried, unit.walk.mutated);
    const qualify = env.qualify;
    if (site.call) {
      const callee = site.call.firstChild;
      if (callee) {
        const last = callee.name === 'MemberExpression' ? callee.lastChild : callee;
        const terminal = last ? src.slice(last.from, last.to) : '';
        if (site.name === 'out_channels' && isLayerWithChannels(qualify(callee), terminal)) continue;
      }
    }
    // `num_classes=NUM_CLASSES`: the assignment of NUM_CLASSES is the hint already.
    if (site.value.name === 'VariableName' && isClassCountName(src.slice(site.value.from, site.value.to))) continue;
    const v = evaluate(site.value, env);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) continue;
    const at = unit.lines.locate(site.value.from, site.value.to);
    const hint: ClassCountHint = { start: at.start, end: at.end, line: at.line, column: at.column, endLine: at.endLine, endColumn: at.endColumn, value: v, name: site.name, via: site.call ? 'keyword' : site.dict ? 'dict' : 'assignment' };
    if (unit.cellIndex !== undefined) hint.cellIndex = unit.cellIndex;
    out.push(hint);
  }
  return out;
}

const order = (cell: number | undefined, offset: number): [number, number] => [cell ?? 0, offset];
const before = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Sets `numClasses` on every call by the rule above. `hints` must be in document order. */
export function assignClassCounts(calls: LossCall[], hints: ClassCountHint[]): void {
  if (hints.length === 0) return;
  const first = hints[0] as ClassCountHint;
  const unanimous = hints.every((h) => h.value === first.value);
  for (const call of calls) {
    if (unanimous) {
      call.numClasses = first;
      continue;
    }
    const at = order(call.cellIndex, call.start);
    let prev: ClassCountHint | null = null;
    let next: ClassCountHint | null = null;
    for (const h of hints) {
      const ho = order(h.cellIndex, h.start);
      if (before(ho, at)) prev = h;
      else if (!next) next = h;
    }
    call.numClasses = prev ?? next;
  }
}
