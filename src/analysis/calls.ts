/**
 * Recognising loss calls: resolve the callee through the scopes (imports, aliases, shadowing), then map
 * the arguments onto the loss's signature — positional ones by position until a `*sequence`, keyword
 * ones by name — and the parameters onto the golden option keys.
 */
import { OPTION_SCHEMA, type AnyOptionSpec } from '../engine/optionSchema';
import type { LossOptions } from '../engine/types';
import { isTerminalName, specForPath, TENSOR_FACTORIES, type LossSpec } from './catalogue';
import { argValue, type LiteralEnv, type NameTarget, type Qualifier } from './literals';
import type { LineIndex, SyntaxNode } from './pyTree';
import { lookup, lookupOnce, starModules, type CarriedState, type Scope } from './scopes';
import type { CallArgument, LossCall, OptionNote, PyLiteral } from './types';

/** Builds the qualifier for one scope: dotted callee → qualified import path, or null. */
export function qualifierFor(scope: Scope, src: string, carried: CarriedState): Qualifier {
  const q = (node: SyntaxNode): string | null => {
    if (node.name === 'VariableName') {
      const name = src.slice(node.from, node.to);
      const b = lookup(scope, name, node.from, carried);
      if (b) return b.kind === 'import' ? b.path : null;
      if (scope.module().stars.length === 0 && carried.stars.length === 0) return null;
      for (const m of starModules(scope, carried)) {
        const path = `${m}.${name}`;
        if (specForPath(path) || TENSOR_FACTORIES.has(path)) return path;
      }
      return null;
    }
    if (node.name === 'MemberExpression') {
      const obj = node.firstChild;
      const prop = node.lastChild;
      if (!obj || !prop || prop.name !== 'PropertyName' || obj === prop) return null;
      const base = q(obj);
      return base === null ? null : `${base}.${src.slice(prop.from, prop.to)}`;
    }
    return null;
  };
  return q;
}

/**
 * Where expressions of one scope are evaluated: callees through {@link qualifierFor}, names through their
 * one binding (`lookupOnce`). `mutated`: names changed in place somewhere (their value is not read).
 */
export function literalEnvFor(scope: Scope, src: string, carried: CarriedState, mutated: ReadonlySet<string>): LiteralEnv {
  const env: LiteralEnv = {
    src,
    qualify: qualifierFor(scope, src, carried),
    name: (node: SyntaxNode): NameTarget => {
      const name = src.slice(node.from, node.to);
      const r = lookupOnce(scope, name, node.from, carried);
      if ('unbound' in r) return { reason: 'not assigned in this file', unbound: true };
      if ('times' in r) return { reason: `assigned ${r.times} times` };
      const v = r.value;
      if (v.kind === 'import') return { reason: 'an import' };
      if (mutated.has(name) || carried.mutated.has(name)) return { reason: 'changed in place after it is set' };
      const expr = v.expr;
      if (!expr) return { reason: (v.kind === 'other' && v.what) || 'not a literal' };
      return { node: expr.node, env: expr.src === src && expr.scope === scope ? env : literalEnvFor(expr.scope, expr.src, carried, mutated) };
    },
  };
  return env;
}

/** The spec of the loss this call constructs or computes, or null when it is not a recognised loss. */
export function recognise(call: SyntaxNode, src: string, qualify: Qualifier): { spec: LossSpec; callee: SyntaxNode; nameNode: SyntaxNode } | null {
  const callee = call.firstChild;
  if (!callee) return null;
  let nameNode: SyntaxNode | null = null;
  if (callee.name === 'MemberExpression') {
    const last = callee.lastChild;
    if (!last || last.name !== 'PropertyName' || !isTerminalName(src.slice(last.from, last.to))) return null;
    nameNode = last;
  } else if (callee.name === 'VariableName') nameNode = callee;
  else return null;
  const path = qualify(callee);
  const spec = path === null ? undefined : specForPath(path);
  return spec ? { spec, callee, nameNode } : null;
}

interface RawArg {
  kind: 'positional' | 'keyword' | 'star' | 'kwargs';
  name: SyntaxNode | null;
  value: SyntaxNode;
  from: number;
  to: number;
}

/** Splits an ArgList into arguments (comments and error nodes skipped). */
export function rawArgs(argList: SyntaxNode): RawArg[] {
  const out: RawArg[] = [];
  let group: SyntaxNode[] = [];
  const flush = () => {
    const g = group;
    group = [];
    if (g.length === 0) return;
    const first = g[0] as SyntaxNode;
    const last = g[g.length - 1] as SyntaxNode;
    if ((first.name === '*' || first.name === '**') && g.length === 2) {
      out.push({ kind: first.name === '*' ? 'star' : 'kwargs', name: null, value: last, from: first.from, to: last.to });
    } else if (g.length === 3 && first.name === 'VariableName' && g[1]?.name === 'AssignOp') {
      out.push({ kind: 'keyword', name: first, value: last, from: first.from, to: last.to });
    } else if (g.length === 1) {
      out.push({ kind: 'positional', name: null, value: first, from: first.from, to: first.to });
    }
    // Anything else is an incomplete argument the parser recovered from: skipped.
  };
  for (let c = argList.firstChild; c; c = c.nextSibling) {
    if (c.name === '(' || c.name === ')' || c.name === 'Comment' || c.type.isError) continue;
    if (c.name === ',') flush();
    else group.push(c);
  }
  flush();
  return out;
}

/** The option types, from the option schema. */
const SPECS = OPTION_SCHEMA as readonly AnyOptionSpec[];
const BOOLEAN_KEYS = new Set(SPECS.filter((s) => s.type === 'boolean').map((s) => s.key as keyof LossOptions));
const NUMBER_KEYS = new Set(SPECS.filter((s) => s.type === 'number').map((s) => s.key as keyof LossOptions));
const OPTIONAL_NUMBER_KEYS = new Set(SPECS.filter((s) => s.type === 'optionalNumber').map((s) => s.key as keyof LossOptions));
/** Choices other than `reduction` (which has its own rule for 'none'): e.g. `w_type`. */
const CHOICE_SPECS = new Map(
  SPECS.flatMap((s) => (s.type === 'choice' && s.key !== 'reduction' && s.key !== 'loss' ? [[s.key as keyof LossOptions, s.choices.map((c) => c.value as string)] as const] : [])),
);

/** Whether a literal fits the golden key's type (a `reduction='none'` is known but has no golden value). */
export function fitsKey(key: keyof LossOptions, v: PyLiteral): boolean {
  if (BOOLEAN_KEYS.has(key)) return typeof v === 'boolean';
  if (NUMBER_KEYS.has(key)) return typeof v === 'number';
  if (key === 'ignoreIndex') return typeof v === 'number' && Number.isInteger(v);
  if (key === 'reduction') return v === 'mean' || v === 'sum';
  if (key === 'weight') return v === null || Array.isArray(v);
  if (OPTIONAL_NUMBER_KEYS.has(key)) return v === null || typeof v === 'number';
  if (CHOICE_SPECS.has(key)) return typeof v === 'string' && CHOICE_SPECS.get(key)!.includes(v);
  return false;
}

/** Arguments that are the loss's data, not its configuration. */
const INERT_PARAMS = new Set(['input', 'target']);
/** torch's deprecated `size_average` / `reduce`: None is their default and changes nothing. */
const NONE_IS_DEFAULT = new Set(['size_average', 'reduce']);

const typeName = (v: PyLiteral) => (v === null ? 'None' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? 'a string' : typeof v === 'boolean' ? 'a bool' : 'a number');

/**
 * A known value as the option it sets: a bool option also takes a number (Python reads its truth value);
 * what torch / MONAI reject when the loss runs is `invalid` (their message), what they accept but the
 * inspector does not show is not applied.
 */
export function fitOption(key: keyof LossOptions, v: PyLiteral): { ok: true; value: unknown } | { ok: false; invalid: boolean; reason: string } {
  if (BOOLEAN_KEYS.has(key)) {
    if (typeof v === 'boolean') return { ok: true, value: v };
    if (typeof v === 'number' || v === null) return { ok: true, value: Boolean(v) };
    return { ok: false, invalid: false, reason: `${typeName(v)}, not a bool` };
  }
  if (key === 'labelSmoothing') {
    if (typeof v !== 'number') return { ok: false, invalid: true, reason: `${typeName(v)}, not a float: torch raises a TypeError` };
    if (!(v >= 0 && v <= 1)) return { ok: false, invalid: true, reason: `torch raises "label_smoothing must be between 0.0 and 1.0. Got: ${v}"` };
    return { ok: true, value: v };
  }
  if (NUMBER_KEYS.has(key)) {
    if (typeof v !== 'number') return { ok: false, invalid: false, reason: `${typeName(v)}, not a number` };
    // the schema refuses what MONAI refuses (a negative lambda_focal: "lambda_focal should be no less than 0.0")
    try {
      SPECS.find((s) => s.key === key)!.parse(v);
    } catch (e) {
      return { ok: false, invalid: true, reason: `MONAI raises ValueError: ${(e as Error).message.replace(/^option \w+: /, '')}` };
    }
    return { ok: true, value: v };
  }
  if (key === 'ignoreIndex') {
    return typeof v === 'number' && Number.isInteger(v) ? { ok: true, value: v } : { ok: false, invalid: true, reason: `${typeName(v)}, not an int: torch raises a TypeError` };
  }
  if (key === 'reduction') {
    if (v === 'mean' || v === 'sum') return { ok: true, value: v };
    if (v === 'none') return { ok: false, invalid: false, reason: "the inspector shows the 'mean' and 'sum' reductions" };
    return { ok: false, invalid: true, reason: typeof v === 'string' ? `torch raises "${v} is not a valid value for reduction"` : `${typeName(v)}, not a reduction name` };
  }
  if (key === 'weight') return v === null || Array.isArray(v) ? { ok: true, value: v } : { ok: false, invalid: false, reason: `${typeName(v)}, not a list of class weights` };
  if (OPTIONAL_NUMBER_KEYS.has(key)) {
    return v === null || typeof v === 'number' ? { ok: true, value: v } : { ok: false, invalid: false, reason: `${typeName(v)}, not a number or None` };
  }
  const choices = CHOICE_SPECS.get(key);
  if (choices) {
    if (typeof v === 'string' && choices.includes(v)) return { ok: true, value: v };
    return {
      ok: false,
      invalid: typeof v === 'string',
      reason: typeof v === 'string' ? `MONAI raises ValueError: ${v} is not one of ${choices.join(', ')}` : `${typeName(v)}, not one of ${choices.join(', ')}`,
    };
  }
  return { ok: false, invalid: false, reason: 'not modelled by the inspector' };
}

/** Builds the LossCall for a recognised call (id, post-hoc and C are filled in by the caller). */
export function describeCall(
  call: SyntaxNode,
  recognised: { spec: LossSpec; callee: SyntaxNode; nameNode: SyntaxNode },
  src: string,
  lines: LineIndex,
  env: LiteralEnv,
): LossCall {
  const { spec, callee, nameNode } = recognised;
  const argList = call.lastChild;
  const raw = argList && argList.name === 'ArgList' ? rawArgs(argList) : [];
  const args: CallArgument[] = [];
  const options: Partial<LossOptions> = {};
  const unknownOptions: (keyof LossOptions)[] = [];
  const notApplied: OptionNote[] = [];
  const invalid: OptionNote[] = [];
  let hasKwargs = false;
  let hasStarArgs = false;
  let position = 0;
  for (const a of raw) {
    if (a.kind === 'kwargs' || a.kind === 'star') {
      const text = src.slice(a.from, a.to);
      if (a.kind === 'kwargs') hasKwargs = true;
      else hasStarArgs = true;
      notApplied.push({
        param: a.kind === 'kwargs' ? '**kwargs' : '*args',
        key: null,
        text,
        reason: a.kind === 'kwargs' ? 'may set any option; not read' : 'positional arguments after it cannot be matched to parameters',
      });
      continue;
    }
    let param: string | null;
    if (a.kind === 'keyword') param = src.slice((a.name as SyntaxNode).from, (a.name as SyntaxNode).to);
    else if (hasStarArgs) param = null;
    else param = spec.params[position++] ?? null;
    const accepted = param !== null && (spec.params.includes(param) || (a.kind === 'keyword' && spec.openKeywords === true));
    const key = accepted && param !== null ? (spec.keys[param] ?? null) : null;
    const value = argValue(a.value, env);
    args.push({
      param,
      keyword: a.kind === 'keyword',
      accepted,
      key,
      value,
      range: { start: a.from, end: a.to },
      nameRange: a.name ? { start: a.name.from, end: a.name.to } : null,
      valueRange: { start: a.value.from, end: a.value.to },
    });
    if (param === null || !accepted || INERT_PARAMS.has(param) || (NONE_IS_DEFAULT.has(param) && value.known && value.value === null)) continue;
    const text = src.slice(a.value.from, a.value.to);
    if (key === null) {
      if (!spec.openKeywords) notApplied.push({ param, key, text, reason: `not modelled by the inspector` });
      continue;
    }
    if (!value.known) {
      if (!unknownOptions.includes(key)) unknownOptions.push(key);
      notApplied.push({ param, key, text, reason: value.reason });
      continue;
    }
    // `options` keeps what the code says when it has the option's type (an ε of 1.5 too: the diagnostics
    // read it); Inspect applies only what fits (see lens.ts `inspectableOptions`).
    const fit = fitOption(key, value.value);
    if (fit.ok || fitsKey(key, value.value)) (options as Record<string, unknown>)[key] = fit.ok ? fit.value : value.value;
    if (!fit.ok) (fit.invalid ? invalid : notApplied).push({ param, key, text, reason: fit.reason });
  }
  const withKind: Partial<LossOptions> = spec.kind ? { loss: spec.kind, ...options } : options;
  const at = lines.locate(call.from, call.to);
  return {
    start: at.start,
    end: at.end,
    line: at.line,
    column: at.column,
    endLine: at.endLine,
    endColumn: at.endColumn,
    id: -1,
    loss: spec.loss,
    name: spec.qualifiedName,
    callee: src.slice(callee.from, callee.to),
    nameRange: { start: nameNode.from, end: nameNode.to },
    args,
    options: withKind,
    unknownOptions,
    notApplied,
    invalid,
    hasKwargs,
    hasStarArgs,
    acceptsSmoothing: spec.acceptsSmoothing,
    boundTo: null,
    postHoc: [],
    numClasses: null,
  };
}

/** The argument that binds `param` (keyword or positional), if any. */
export function argFor(call: LossCall, param: string): CallArgument | undefined {
  return call.args.find((a) => a.param === param);
}

