/**
 * Name binding, the part that makes `F.cross_entropy` mean `torch.nn.functional.cross_entropy` only
 * while `F` is the import: one walk over the tree records, per scope (module, function, lambda, class,
 * comprehension), every binding of every name — imports, assignments, parameters, loop/with/except
 * targets, `def`/`class` names, walrus targets — together with the call sites and assignments the
 * analysis looks at afterwards.
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
import { VALUE_PRESERVING_METHODS } from './catalogue';
import { children, type SyntaxNode, type Tree } from './pyTree';

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
 * Resolves a name read at `pos` in `scope` to its binding, or `undefined` when nothing binds it
 * (then the caller may try star imports).
 */
export function lookup(scope: Scope, name: string, pos: number, carried: CarriedState): BindingValue | undefined {
  let s: Scope | null = scope;
  let own = true;
  while (s) {
    if (s.kind === 'class' && !own) {
      s = s.parent; // a method does not see its class body's names
      continue;
    }
    const list = s.bindings.get(name);
    if (list && list.length) {
      if (s.kind === 'class' || s.kind === 'module') {
        // Class bodies and modules execute in order: a binding before the reference wins; for a module,
        // then what earlier notebook cells left, then the first binding after (read from a function body).
        const before = pick(list.filter((x) => x.pos < pos), pos);
        if (before) return before.value;
        if (s.kind === 'module') return carried.bindings.get(name) ?? (pick(list, pos) as Binding).value;
      } else return (pick(list, pos) as Binding).value;
    }
    own = false;
    s = s.parent;
  }
  return carried.bindings.get(name);
}

/**
 * The one binding of a name read at `pos`, for reading its value statically: scopes are searched as in
 * {@link lookup}, but a name bound more than once in the scope that binds it (in this text and, at module
 * level, in earlier notebook cells) has no single value.
 */
export function lookupOnce(scope: Scope, name: string, pos: number, carried: CarriedState): { value: BindingValue } | { times: number } | { unbound: true } {
  let s: Scope | null = scope;
  let own = true;
  while (s) {
    if (s.kind === 'class' && !own) {
      s = s.parent;
      continue;
    }
    const list = s.bindings.get(name);
    if (list && list.length) {
      const times = list.length + (s.kind === 'module' ? (carried.counts.get(name) ?? 0) : 0);
      return times === 1 ? { value: (list[0] as Binding).value } : { times };
    }
    own = false;
    s = s.parent;
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

/** A call site seen during the walk, with the scope its callee is resolved in. */
export interface CallSite {
  node: SyntaxNode;
  scope: Scope;
}

/** `target = <CallExpression>` where target is a plain name or `self.attr`. */
export interface CallAssignment {
  target: string;
  callFrom: number;
}

/** An assignment whose target is an attribute chain ending in `.label_smoothing`. */
export interface SmoothingAssignment {
  stmt: SyntaxNode;
  /** The target's root name and the properties after it (`self`, [`criterion`, `cross_entropy`, `label_smoothing`]). */
  root: string;
  props: string[];
  target: SyntaxNode;
  value: SyntaxNode;
  scope: Scope;
}

/** A literal-looking class count: `num_classes=<expr>` keyword or `NUM_CLASSES = <expr>` assignment. */
export interface ClassCountSite {
  name: string;
  value: SyntaxNode;
  /** For keywords: the call the keyword belongs to. */
  call: SyntaxNode | null;
  /** A dict entry (`"num_classes": 4`). */
  dict?: boolean;
  scope: Scope;
}

export interface WalkResult {
  module: Scope;
  calls: CallSite[];
  callAssignments: Map<number, CallAssignment>;
  smoothingAssignments: SmoothingAssignment[];
  classCounts: ClassCountSite[];
  /**
   * Names whose value may change in place: the root of an assigned, updated or deleted subscript or
   * attribute (`CONFIG["eps"] = 0.2`), or the object of a mutating method call (`CONFIG.update(…)`).
   * Their literal value is not read (by name, in any scope: the analysis does not follow aliases).
   */
  mutated: Set<string>;
  errors: number;
}

/** Names, keywords and dict keys that state the class count C (the one list of them). */
const CLASS_COUNT_NAMES = new Set(['num_classes', 'out_channels', 'NUM_CLASSES', 'OUT_CHANNELS', 'n_classes', 'N_CLASSES']);
const CLASS_COUNT_KEYWORDS = new Set(['num_classes', 'out_channels', 'n_classes']);

export function isClassCountName(name: string): boolean {
  return CLASS_COUNT_NAMES.has(name);
}

/** Methods that change a dict or list in place. */
const MUTATING_METHODS = new Set(['update', 'setdefault', 'pop', 'popitem', 'clear', 'append', 'extend', 'insert', 'remove', 'sort', 'reverse', '__setitem__', '__delitem__']);

const COMPREHENSIONS = new Set([
  'ComprehensionExpression',
  'ArrayComprehensionExpression',
  'DictionaryComprehensionExpression',
  'SetComprehensionExpression',
]);

/**
 * Walks the whole tree once with a cursor (`Tree.iterate`), materialising syntax nodes only for the
 * statements it inspects, so that a 5,000-line file stays well inside the lens's time budget.
 * `cellIndex` tags call bindings so later cells can refer to them.
 */
export function walk(tree: Tree, src: string, cellIndex: number): WalkResult {
  const module = new Scope('module', null);
  const out: WalkResult = { module, calls: [], callAssignments: new Map(), smoothingAssignments: [], classCounts: [], mutated: new Set(), errors: 0 };
  const text = (n: SyntaxNode) => src.slice(n.from, n.to);
  /** The scope the node being visited evaluates in. */
  const scopes: Scope[] = [module];
  /** Function / class / lambda scopes being defined, with the tree depth of their node. */
  const defs: { scope: Scope; depth: number }[] = [];
  /** For each open Body: whether it pushed a scope. */
  const bodies: boolean[] = [];
  /** Depth of the node being entered (the def's own ParamList and Body sit one level below it). */
  let depth = 0;
  const ownedByDef = () => {
    const d = defs[defs.length - 1];
    return d !== undefined && d.depth === depth - 1 ? d : undefined;
  };

  /** Binds the names of an assignment-like target pattern (`a`, `a, b`, `(a, *b)`, `[a, b]`). */
  function bindPattern(n: SyntaxNode, scope: Scope, value: BindingValue): void {
    switch (n.name) {
      case 'VariableName':
        scope.bind(text(n), { pos: n.from, value });
        return;
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression':
        for (const c of children(n)) bindPattern(c, scope, value.kind === 'other' && value.what ? value : { kind: 'other', what: 'unpacked from a sequence' });
        return;
      case 'MemberExpression':
        markMutated(n);
        return; // attributes and subscripts bind no name
      default:
        return;
    }
  }

  /** `x[…] = …`, `x.a = …`, `del x[…]`, `x[…] += …`: `x` may change in place. */
  function markMutated(n: SyntaxNode): void {
    let cur: SyntaxNode | null = n;
    while (cur && cur.name === 'MemberExpression') cur = cur.firstChild;
    if (cur && cur.name === 'VariableName') out.mutated.add(text(cur));
  }

  function importStatement(n: SyntaxNode, scope: Scope): void {
    const parts = children(n);
    const isFrom = parts[0]?.name === 'from';
    let i = 1;
    let base = '';
    let relative = false;
    if (isFrom) {
      while (i < parts.length && parts[i]?.name !== 'import') {
        const p = parts[i] as SyntaxNode;
        if (p.name === '.' && base === '') relative = true;
        else if (p.name === 'Ellipsis') relative = true;
        else if (p.name === 'VariableName') base = base ? `${base}.${text(p)}` : text(p);
        i++;
      }
      i++; // `import`
    }
    // The rest: comma-separated `dotted.name [as alias]` items (or `*`, or a parenthesised list).
    let dotted: string[] = [];
    let alias: string | null = null;
    let sawAs = false;
    const flush = () => {
      if (dotted.length === 0) return;
      if (isFrom) {
        const local = alias ?? (dotted[0] as string);
        const value: BindingValue = relative || !base ? { kind: 'other' } : { kind: 'import', path: `${base}.${dotted.join('.')}` };
        scope.bind(local, { pos: n.from, value });
      } else if (alias) scope.bind(alias, { pos: n.from, value: { kind: 'import', path: dotted.join('.') } });
      else scope.bind(dotted[0] as string, { pos: n.from, value: { kind: 'import', path: dotted[0] as string } });
      dotted = [];
      alias = null;
      sawAs = false;
    };
    for (; i < parts.length; i++) {
      const p = parts[i] as SyntaxNode;
      if (p.name === ',') flush();
      else if (p.name === 'as') sawAs = true;
      else if (p.name === '*') {
        if (isFrom && !relative && base) scope.stars.push({ pos: n.from, module: base });
      } else if (p.name === 'VariableName') {
        if (sawAs) alias = text(p);
        else dotted.push(text(p));
      }
    }
    flush();
  }

  function assignStatement(n: SyntaxNode, scope: Scope): void {
    const parts = children(n);
    let lastOp = -1;
    parts.forEach((p, k) => {
      if (p.name === 'AssignOp') lastOp = k;
    });
    if (lastOp < 0) {
      // An annotation without a value (`x: int`) still makes `x` local.
      const t = parts[0];
      if (t && t.name === 'VariableName' && parts[1]?.name === 'TypeDef') bindPattern(t, scope, { kind: 'other', what: 'declared without a value' });
      return;
    }
    const valueParts = parts.slice(lastOp + 1).filter((p) => p.name !== 'Comment');
    const value = valueParts.length === 1 && valueParts[0]?.name === 'CallExpression' ? moduleCall(valueParts[0] as SyntaxNode) : null;
    // Targets: each run of nodes before an `=` (a chained `a = b = value` has several).
    let run: SyntaxNode[] = [];
    for (let k = 0; k < lastOp; k++) {
      const p = parts[k] as SyntaxNode;
      if (p.name === 'AssignOp') {
        target(run, value, valueParts, n, scope);
        run = [];
      } else if (p.name !== 'TypeDef' && p.name !== 'Comment') run.push(p);
    }
    target(run, value, valueParts, n, scope);
  }

  function target(run: SyntaxNode[], call: SyntaxNode | null, valueParts: SyntaxNode[], stmt: SyntaxNode, scope: Scope): void {
    if (run.length === 0) return;
    const single = run.length === 1 ? (run[0] as SyntaxNode) : null;
    if (single && single.name === 'VariableName') {
      const name = text(single);
      const expr: BoundExpr | undefined = valueParts.length === 1 ? { node: valueParts[0] as SyntaxNode, src, scope } : undefined;
      const value: BindingValue = call && expr ? { kind: 'call', callFrom: call.from, cellIndex, expr } : expr ? { kind: 'other', expr } : { kind: 'other', what: 'not a single expression' };
      scope.bind(name, { pos: single.from, value });
      if (call) out.callAssignments.set(call.from, { target: name, callFrom: call.from });
      if (CLASS_COUNT_NAMES.has(name) && valueParts.length === 1) out.classCounts.push({ name, value: valueParts[0] as SyntaxNode, call: null, scope });
      return;
    }
    if (single && single.name === 'MemberExpression') {
      markMutated(single);
      const chain = memberChain(single);
      if (!chain) return;
      if (call && chain.props.length === 1 && chain.root === scope.firstParam && scope.kind === 'function' && scope.parent?.kind === 'class') {
        const attr = chain.props[0] as string;
        const cls = scope.parent;
        const list = cls.selfAttrs.get(attr) ?? [];
        list.push({ pos: single.from, value: { kind: 'call', callFrom: call.from, cellIndex, expr: { node: call, src, scope } } });
        cls.selfAttrs.set(attr, list);
        out.callAssignments.set(call.from, { target: `${chain.root}.${attr}`, callFrom: call.from });
      }
      if (chain.props[chain.props.length - 1] === 'label_smoothing' && valueParts.length === 1) {
        out.smoothingAssignments.push({ stmt, root: chain.root, props: chain.props, target: single, value: valueParts[0] as SyntaxNode, scope });
      }
      return;
    }
    for (const p of run) bindPattern(p, scope, { kind: 'other', what: 'unpacked from a sequence' });
  }

  /**
   * The call that constructs the object a call expression returns, looking through `.to(device)`,
   * `.cuda()` and the like, which return the module itself: `nn.CrossEntropyLoss().to(device)` binds the loss.
   */
  function moduleCall(call: SyntaxNode): SyntaxNode {
    let cur = call;
    for (;;) {
      const callee = cur.firstChild;
      if (!callee || callee.name !== 'MemberExpression') return cur;
      const obj = callee.firstChild;
      const prop = callee.lastChild;
      if (!obj || obj.name !== 'CallExpression' || !prop || prop.name !== 'PropertyName' || !VALUE_PRESERVING_METHODS.has(text(prop))) return cur;
      cur = obj;
    }
  }

  /** `a.b.c` → root `a`, props [`b`, `c`]; null when the chain does not start at a plain name. */
  function memberChain(n: SyntaxNode): { root: string; props: string[] } | null {
    const props: string[] = [];
    let cur: SyntaxNode | null = n;
    while (cur && cur.name === 'MemberExpression') {
      const last: SyntaxNode | null = cur.lastChild;
      if (!last || last.name !== 'PropertyName') return null;
      props.unshift(text(last));
      cur = cur.firstChild;
    }
    if (!cur || cur.name !== 'VariableName') return null;
    return { root: text(cur), props };
  }

  /** `for` statements and comprehensions: targets sit between `for` and `in`. */
  function forTargets(n: SyntaxNode, scope: Scope): void {
    let inTarget = false;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.name === 'for') inTarget = true;
      else if (c.name === 'in') inTarget = false;
      else if (inTarget && c.name !== ',') bindPattern(c, scope, { kind: 'other', what: 'a loop variable' });
    }
  }

  /** `with x as name` and `except E as name`. */
  function asTargets(n: SyntaxNode, scope: Scope): void {
    let afterAs = false;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.name === 'as') afterAs = true;
      else {
        if (afterAs) bindPattern(c, scope, { kind: 'other', what: 'a with/except target' });
        afterAs = false;
      }
    }
  }

  /** Parameter names (not default values, which are expressions) bind in the function's scope. */
  function params(list: SyntaxNode, fnScope: Scope): void {
    let prev: SyntaxNode | null = null;
    for (let c = list.firstChild; c; c = c.nextSibling) {
      if (c.name === 'VariableName' && prev?.name !== 'AssignOp') {
        const name = text(c);
        if (fnScope.firstParam === null && prev?.name !== '*' && prev?.name !== '**') fnScope.firstParam = name;
        fnScope.bind(name, { pos: list.from, value: { kind: 'other', what: 'a function parameter' } });
      }
      prev = c;
    }
  }

  // Where `num_classes` / `out_channels` occur in the text, so that only calls containing one have their
  // arguments looked at (a cheap filter; what counts is still decided on the tree).
  const keywordAt: number[] = [];
  for (const k of CLASS_COUNT_KEYWORDS) for (let i = src.indexOf(k); i >= 0; i = src.indexOf(k, i + 1)) keywordAt.push(i);
  keywordAt.sort((a, b) => a - b);
  const mentionsKeyword = (from: number, to: number): boolean => {
    let lo = 0;
    let hi = keywordAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((keywordAt[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < keywordAt.length && (keywordAt[lo] as number) < to;
  };

  function classCountKeywords(call: SyntaxNode, scope: Scope): void {
    if (!mentionsKeyword(call.from, call.to)) return;
    const args = call.lastChild;
    if (!args || args.name !== 'ArgList') return;
    for (let c = args.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'VariableName') continue;
      const op = c.nextSibling;
      const v = op?.nextSibling;
      if (op?.name === 'AssignOp' && v && CLASS_COUNT_KEYWORDS.has(text(c))) out.classCounts.push({ name: text(c), value: v, call, scope });
    }
  }

  /** `x.update(…)` and the other in-place methods. */
  function mutatingCall(call: SyntaxNode): void {
    const callee = call.firstChild;
    if (callee?.name !== 'MemberExpression') return;
    const obj = callee.firstChild;
    const prop = callee.lastChild;
    if (obj?.name === 'VariableName' && prop?.name === 'PropertyName' && MUTATING_METHODS.has(text(prop))) out.mutated.add(text(obj));
  }

  /** `{"num_classes": 4, …}`: a class count stated as a dict entry with a string key. */
  function classCountEntries(dict: SyntaxNode, scope: Scope): void {
    for (let c = dict.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'String') continue;
      const colon = c.nextSibling;
      const v = colon?.nextSibling;
      if (colon?.name !== ':' || !v) continue;
      const key = text(c).slice(1, -1);
      if (CLASS_COUNT_NAMES.has(key) && (text(c)[0] === '"' || text(c)[0] === "'")) out.classCounts.push({ name: key, value: v, call: null, dict: true, scope });
    }
  }

  tree.iterate({
    enter(ref) {
      depth++;
      const scope = scopes[scopes.length - 1] as Scope;
      if (ref.type.isError) {
        // `1.` parses as a member access missing its property (see literals.ts): not a syntax error.
        const p = ref.from === ref.to ? ref.node.parent : null;
        if (!(p?.name === 'MemberExpression' && p.firstChild?.name === 'Number')) out.errors++;
        return;
      }
      switch (ref.name) {
        case 'Comment':
        case 'String':
        case 'Number':
          depth--;
          return false;
        case 'ImportStatement':
          importStatement(ref.node, scope);
          depth--;
          return false;
        case 'AssignStatement':
          assignStatement(ref.node, scope);
          return;
        case 'UpdateStatement': {
          const t = ref.node.firstChild;
          if (t) bindPattern(t, scope, { kind: 'other', what: 'updated in place' });
          return;
        }
        case 'DeleteStatement':
          for (const c of children(ref.node)) if (c.name === 'MemberExpression') markMutated(c);
          return;
        case 'DictionaryExpression':
          classCountEntries(ref.node, scope);
          return;
        case 'ForStatement':
          forTargets(ref.node, scope);
          return;
        case 'WithStatement':
        case 'TryStatement':
          asTargets(ref.node, scope);
          return;
        case 'NamedExpression': {
          const t = ref.node.firstChild;
          let s = scope;
          while (s.kind === 'comprehension' && s.parent) s = s.parent;
          if (t) bindPattern(t, s, { kind: 'other', what: 'an assignment expression' });
          return;
        }
        case 'ScopeStatement': {
          const n = ref.node;
          const kw = n.firstChild;
          if (kw && text(kw) === 'global' && scope.kind !== 'module') {
            for (const c of children(n)) if (c.name === 'VariableName') scope.globals.add(text(c));
          }
          depth--;
          return false;
        }
        case 'FunctionDefinition':
        case 'ClassDefinition': {
          const id = ref.node.getChild('VariableName');
          if (id) scope.bind(text(id), { pos: ref.from, value: { kind: 'other', what: ref.name === 'FunctionDefinition' ? 'a function' : 'a class' } });
          defs.push({ scope: new Scope(ref.name === 'FunctionDefinition' ? 'function' : 'class', scope), depth });
          return;
        }
        case 'LambdaExpression': {
          const lambda = new Scope('lambda', scope);
          defs.push({ scope: lambda, depth });
          scopes.push(lambda);
          return;
        }
        case 'ParamList': {
          // Only the names bind (in the def's scope); default values are expressions of the enclosing scope.
          const def = ownedByDef();
          if (def) params(ref.node, def.scope);
          return;
        }
        case 'Body': {
          const def = ownedByDef();
          const opens = def !== undefined && def.scope.kind !== 'lambda';
          bodies.push(opens);
          if (opens) scopes.push((def as { scope: Scope }).scope);
          return;
        }
        case 'CallExpression': {
          const n = ref.node;
          out.calls.push({ node: n, scope });
          classCountKeywords(n, scope);
          mutatingCall(n);
          return;
        }
        default:
          if (COMPREHENSIONS.has(ref.name)) {
            const inner = new Scope('comprehension', scope);
            scopes.push(inner);
            forTargets(ref.node, inner);
          }
          return;
      }
    },
    leave(ref) {
      depth--;
      switch (ref.name) {
        case 'Body':
          if (bodies.pop()) scopes.pop();
          return;
        case 'FunctionDefinition':
        case 'ClassDefinition':
          defs.pop();
          return;
        case 'LambdaExpression':
          defs.pop();
          scopes.pop();
          return;
        default:
          if (COMPREHENSIONS.has(ref.name)) scopes.pop();
      }
    },
  });
  return out;
}
