/**
 * Name binding, the part that makes `F.cross_entropy` mean `torch.nn.functional.cross_entropy` only
 * while `F` is the import: scopes (module, function, lambda, class, comprehension) and every binding of
 * every name in them — imports, assignments, parameters, loop/with/except targets, `def`/`class` names,
 * walrus targets — as walk.ts records them, and the rules that resolve a name read somewhere to its
 * binding (`lookup`), or to its one binding for reading a value statically (`lookupOnce`). The one home
 * of the binding rules.
 *
 * Resolution rule (Python's, approximated without running anything):
 * - in a function, lambda or comprehension, a name bound anywhere in that scope is local: it resolves to
 *   the last local binding before the reference (or the first one, if none precedes);
 * - class bodies are visible to their own statements only, not to the methods inside them;
 * - at module level, and for free names read inside functions, the binding is the last one textually
 *   before the reference, else what earlier notebook cells left, else the first one after it (a function
 *   body usually runs after the whole module has been executed);
 * - a name the file never binds: what earlier notebook cells left, then `from m import *` of a known module.
 * A name whose binding is not an import resolves to nothing, so a shadowed alias is never recognised.
 */
import type { SyntaxNode } from './pyTree';

/** The expression a name is assigned (`name = <node>`), with the text and scope it is read in. */
export interface BoundExpr {
  node: SyntaxNode;
  src: string;
  scope: Scope;
}

export type BindingValue =
  /** The name is a module or a member imported from one (`torch.nn`, `monai.losses.DiceCELoss`). */
  | { kind: 'import'; path: string }
  /** Bound to the result of the call starting at `callFrom` (a possible loss object). */
  | { kind: 'call'; callFrom: number; cellIndex: number; expr: BoundExpr }
  /** Bound to anything else: an assigned expression (`expr`), or what binds it (`what`: "a function parameter"). */
  | { kind: 'other'; expr?: BoundExpr; what?: string };

export interface Binding {
  pos: number;
  value: BindingValue;
}

export type ScopeKind = 'module' | 'function' | 'lambda' | 'class' | 'comprehension';

export class Scope {
  readonly bindings = new Map<string, Binding[]>();
  /** `from module import *` at this scope's level. */
  readonly stars: { pos: number; module: string }[] = [];
  /** Names declared `global` here (bindings of them go to the module scope). */
  readonly globals = new Set<string>();
  /** Class scopes: `self.<attr> = <call>` bindings made in its methods. */
  readonly selfAttrs = new Map<string, Binding[]>();
  /** Function scopes: the first parameter's name (`self` for a method). */
  firstParam: string | null = null;

  constructor(
    readonly kind: ScopeKind,
    readonly parent: Scope | null,
  ) {}

  bind(name: string, b: Binding): void {
    let target: Scope = this;
    if (this.globals.has(name)) target = this.module();
    const list = target.bindings.get(name);
    if (list) list.push(b);
    else target.bindings.set(name, [b]);
  }

  module(): Scope {
    let s: Scope = this;
    while (s.parent) s = s.parent;
    return s;
  }
}

/** The binding in effect at `pos` among a name's bindings in one scope (see the rule above). */
export function pick(list: Binding[], pos: number): Binding | undefined {
  let before: Binding | undefined;
  let after: Binding | undefined;
  for (const b of list) {
    if (b.pos < pos) {
      if (!before || b.pos >= before.pos) before = b;
    } else if (!after || b.pos < after.pos) after = b;
  }
  return before ?? after;
}

/** Module-level state carried from one notebook cell to the next. */
export interface CarriedState {
  bindings: Map<string, BindingValue>;
  /** How many times earlier cells bound each module-level name. */
  counts: Map<string, number>;
  /** Names earlier cells modified in place (see `WalkResult.mutated`). */
  mutated: Set<string>;
  stars: string[];
}

export function emptyCarried(): CarriedState {
  return { bindings: new Map(), counts: new Map(), mutated: new Set(), stars: [] };
}

/**
 * The scope whose bindings a name read in `scope` refers to (Python's rule: the innermost enclosing scope
 * that binds it, class bodies visible only to their own statements), with that scope's bindings of it;
 * undefined when no scope of this text binds it.
 */
function bindingScope(scope: Scope | null, name: string, own = true): { scope: Scope; list: Binding[] } | undefined {
  let s: Scope | null = scope;
  while (s) {
    if (s.kind === 'class' && !own) {
      s = s.parent; // a method does not see its class body's names
      continue;
    }
    const list = s.bindings.get(name);
    if (list && list.length) return { scope: s, list };
    own = false;
    s = s.parent;
  }
  return undefined;
}

/**
 * Resolves a name read at `pos` in `scope` to its binding, or `undefined` when nothing binds it
 * (then the caller may try star imports).
 */
export function lookup(scope: Scope, name: string, pos: number, carried: CarriedState): BindingValue | undefined {
  let found = bindingScope(scope, name);
  while (found) {
    const { scope: s, list } = found;
    if (s.kind !== 'class' && s.kind !== 'module') return (pick(list, pos) as Binding).value;
    // Class bodies and modules execute in order: a binding before the reference wins; for a module,
    // then what earlier notebook cells left, then the first binding after (read from a function body).
    const before = pick(list.filter((x) => x.pos < pos), pos);
    if (before) return before.value;
    if (s.kind === 'module') return carried.bindings.get(name) ?? (pick(list, pos) as Binding).value;
    // A class body reading a name it binds only later: Python looks it up outside the class.
    found = bindingScope(s.parent, name, false);
  }
  return carried.bindings.get(name);
}

/**
 * The one binding of a name read at `pos`, for reading its value statically: scopes are searched as in
 * {@link lookup}, but a name bound more than once in the scope that binds it (in this text and, at module
 * level, in earlier notebook cells) has no single value.
 */
export function lookupOnce(scope: Scope, name: string, pos: number, carried: CarriedState): { value: BindingValue } | { times: number } | { unbound: true } {
  const found = bindingScope(scope, name);
  if (found) {
    const times = found.list.length + (found.scope.kind === 'module' ? (carried.counts.get(name) ?? 0) : 0);
    return times === 1 ? { value: (found.list[0] as Binding).value } : { times };
  }
  const carriedValue = carried.bindings.get(name);
  if (carriedValue === undefined) return { unbound: true };
  const times = carried.counts.get(name) ?? 1;
  return times === 1 ? { value: carriedValue } : { times };
}

/** Star imports visible from the module scope (this cell's, then carried ones). */
export function starModules(scope: Scope, carried: CarriedState): string[] {
  return [...scope.module().stars.map((s) => s.module), ...carried.stars];
}
