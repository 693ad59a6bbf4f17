/**
 * Post-hoc smoothing: `X.label_smoothing = v`, `X.cross_entropy.label_smoothing = v`, and the same on
 * `self.<attr>` inside a method, where X (or `self.<attr>`) is bound to a recognised loss constructed in
 * the same file (or an earlier cell of the same notebook).
 *
 * Which assignments take effect: torch's CrossEntropyLoss reads `self.label_smoothing` in `forward`, and
 * MONAI's DiceCELoss holds its CE term in `self.cross_entropy` (a CrossEntropyLoss), so
 * `ce.label_smoothing` and `dicece.cross_entropy.label_smoothing` change the loss; DiceCELoss itself never
 * reads `self.label_smoothing`, and the other losses have no ε at all.
 */
import { argValue } from './literals';
import { fitOption, literalEnvFor } from './calls';
import { lookup, pick, type CarriedState, type SmoothingAssignment } from './scopes';
import type { PostHocAssignment } from './types';
import { registryKey, type CallRegistry, type RegisteredCall, type Unit } from './unit';

export interface ResolvedPostHoc {
  postHoc: PostHocAssignment;
  target: RegisteredCall;
  site: SmoothingAssignment;
}

export function resolvePostHoc(unit: Unit, carried: CarriedState, registry: CallRegistry): ResolvedPostHoc[] {
  const out: ResolvedPostHoc[] = [];
  const { src } = unit;
  for (const site of unit.walk.smoothingAssignments) {
    const objProps = site.props.slice(0, -1);
    const scope = site.scope;
    let bindingValue;
    let rest: string[];
    if (site.root === scope.firstParam && scope.kind === 'function' && scope.parent?.kind === 'class' && objProps.length >= 1) {
      const attr = objProps[0] as string;
      const b = pick(scope.parent.selfAttrs.get(attr) ?? [], site.stmt.from);
      bindingValue = b?.value;
      rest = objProps.slice(1);
    } else {
      bindingValue = lookup(scope, site.root, site.target.from, carried);
      rest = objProps;
    }
    if (!bindingValue || bindingValue.kind !== 'call') continue;
    const target = registry.get(registryKey(bindingValue.cellIndex, bindingValue.callFrom));
    if (!target) continue;
    const call = target.call;
    let path: PostHocAssignment['path'];
    if (rest.length === 0) path = 'label_smoothing';
    else if (rest.length === 1 && rest[0] === 'cross_entropy' && call.loss === 'DiceCELoss') path = 'cross_entropy.label_smoothing';
    else continue;
    if (call.loss === 'cross_entropy') continue; // a functional call returns a tensor, not a loss object
    const effective = (call.loss === 'CrossEntropyLoss' && path === 'label_smoothing') || path === 'cross_entropy.label_smoothing';
    const attr = site.target.lastChild;
    const at = unit.lines.locate(site.stmt.from, site.stmt.to);
    const postHoc: PostHocAssignment = {
      start: at.start,
      end: at.end,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      target: src.slice(site.target.from, site.target.to),
      path,
      value: argValue(site.value, literalEnvFor(scope, src, carried, unit.walk.mutated)),
      valueRange: { start: site.value.from, end: site.value.to },
      attrRange: attr ? { start: attr.from, end: attr.to } : { start: site.target.from, end: site.target.to },
      effective,
    };
    if (unit.cellIndex !== undefined) postHoc.cellIndex = unit.cellIndex;
    call.postHoc.push(postHoc);
    if (effective) {
      // The assignment replaces whatever the constructor said about ε.
      const v = postHoc.value;
      const notEps = (n: { key: string | null }) => n.key !== 'labelSmoothing';
      call.notApplied = call.notApplied.filter(notEps);
      call.invalid = call.invalid.filter(notEps);
      delete call.options.labelSmoothing;
      const param = postHoc.target;
      const text = v.text;
      if (v.known) {
        const fit = fitOption('labelSmoothing', v.value);
        if (typeof v.value === 'number') call.options.labelSmoothing = v.value;
        if (!fit.ok) (fit.invalid ? call.invalid : call.notApplied).push({ param, key: 'labelSmoothing', text, reason: fit.reason });
      } else call.notApplied.push({ param, key: 'labelSmoothing', text, reason: v.reason });
      if (v.known && typeof v.value === 'number') call.unknownOptions = call.unknownOptions.filter((k) => k !== 'labelSmoothing');
      else if (!call.unknownOptions.includes('labelSmoothing')) call.unknownOptions.push('labelSmoothing');
    }
    out.push({ postHoc, target, site });
  }
  return out;
}
