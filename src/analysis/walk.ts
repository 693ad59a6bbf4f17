/**
 * The one walk over a syntax tree: binds names in their scopes (see scopes.ts for the rules) and collects
 * what the analysis looks at afterwards — call sites, `x = <call>` assignments, post-hoc
 * `….label_smoothing = v`, class-count sites, names changed in place, syntax errors. A handler per
 * statement or expression kind ({@link ENTER_HANDLERS}); the walker keeps only the scope stack between them.
 */
import { VALUE_PRESERVING_METHODS } from './catalogue';
import { children, type SyntaxNode, type Tree } from './pyTree';
import { Scope, type BindingValue, type BoundExpr } from './scopes';

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
const CLASS_COUNT_NAMES = new Set(['num_classes', 'out_channels', 'NUM_CLASSES', 'OUT_CHANNELS', 'n_classes', 'N_CLASSES', 'vocab_size', 'VOCAB_SIZE']);
const CLASS_COUNT_KEYWORDS = new Set(['num_classes', 'out_channels', 'n_classes', 'vocab_size']);

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

/** The node the cursor is on (what `Tree.iterate` hands its callbacks). */
interface NodeRef {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly type: { readonly isError: boolean };
  readonly node: SyntaxNode;
}

/** What a handler tells the walk: `'skip'` leaves the node's children unvisited. */
type Handled = 'skip' | void;

class Walker {
  readonly out: WalkResult;
  /** The scope the node being visited evaluates in. */
  private readonly scopes: Scope[];
  /** Function / class / lambda scopes being defined, with the tree depth of their node. */
  private readonly defs: { scope: Scope; depth: number }[] = [];
  /** For each open Body: whether it pushed a scope. */
  private readonly bodies: boolean[] = [];
  /** Depth of the node being entered (the def's own ParamList and Body sit one level below it). */
  depth = 0;
  /** Where the class-count keywords occur in the text: only calls containing one have their arguments looked at. */
  private readonly keywordAt: number[] = [];

  constructor(
    readonly src: string,
    readonly cellIndex: number,
  ) {
    const module = new Scope('module', null);
    this.scopes = [module];
    this.out = { module, calls: [], callAssignments: new Map(), smoothingAssignments: [], classCounts: [], mutated: new Set(), errors: 0 };
    for (const k of CLASS_COUNT_KEYWORDS) for (let i = src.indexOf(k); i >= 0; i = src.indexOf(k, i + 1)) this.keywordAt.push(i);
    this.keywordAt.sort((a, b) => a - b);
  }

  text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  get scope(): Scope {
    return this.scopes[this.scopes.length - 1] as Scope;
  }

  // ---- statements ----------------------------------------------------------------------------------

  importStatement(n: SyntaxNode): Handled {
    const scope = this.scope;
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
        else if (p.name === 'VariableName') base = base ? `${base}.${this.text(p)}` : this.text(p);
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
        const value: BindingValue = relative || !base ? { kind: 'other', what: 'a relative import' } : { kind: 'import', path: `${base}.${dotted.join('.')}` };
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
        if (sawAs) alias = this.text(p);
        else dotted.push(this.text(p));
      }
    }
    flush();
    return 'skip';
  }

  assignStatement(n: SyntaxNode): Handled {
    const scope = this.scope;
    const parts = children(n);
    let lastOp = -1;
    parts.forEach((p, k) => {
      if (p.name === 'AssignOp') lastOp = k;
    });
    if (lastOp < 0) {
      // An annotation without a value (`x: int`) still makes `x` local.
      const t = parts[0];
      if (t && t.name === 'VariableName' && parts[1]?.name === 'TypeDef') this.bindPattern(t, scope, { kind: 'other', what: 'declared without a value' });
      return;
    }
    const valueParts = parts.slice(lastOp + 1).filter((p) => p.name !== 'Comment');
    const value = valueParts.length === 1 && valueParts[0]?.name === 'CallExpression' ? this.moduleCall(valueParts[0] as SyntaxNode) : null;
    // Targets: each run of nodes before an `=` (a chained `a = b = value` has several).
    let run: SyntaxNode[] = [];
    for (let k = 0; k < lastOp; k++) {
      const p = parts[k] as SyntaxNode;
      if (p.name === 'AssignOp') {
        this.target(run, value, valueParts, n, scope);
        run = [];
      } else if (p.name !== 'TypeDef' && p.name !== 'Comment') run.push(p);
    }
    this.target(run, value, valueParts, n, scope);
  }

  updateStatement(n: SyntaxNode): Handled {
    const t = n.firstChild;
    if (t) this.bindPattern(t, this.scope, { kind: 'other', what: 'updated in place' });
  }

  deleteStatement(n: SyntaxNode): Handled {
    for (const c of children(n)) if (c.name === 'MemberExpression') this.markMutated(c);
  }

  /** `for` statements: targets sit between `for` and `in`. */
  forStatement(n: SyntaxNode): Handled {
    this.forTargets(n, this.scope);
  }

  /** `with x as name` and `except E as name`. */
  asStatement(n: SyntaxNode): Handled {
    let afterAs = false;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.name === 'as') afterAs = true;
      else {
        if (afterAs) this.bindPattern(c, this.scope, { kind: 'other', what: 'a with/except target' });
        afterAs = false;
      }
    }
  }

  /** `global x` in a function: bindings of `x` there go to the module. */
  scopeStatement(n: SyntaxNode): Handled {
    const scope = this.scope;
    const kw = n.firstChild;
    if (kw && this.text(kw) === 'global' && scope.kind !== 'module') {
      for (const c of children(n)) if (c.name === 'VariableName') scope.globals.add(this.text(c));
    }
    return 'skip';
  }

  definition(n: SyntaxNode): Handled {
    const fn = n.name === 'FunctionDefinition';
    const id = n.getChild('VariableName');
    if (id) this.scope.bind(this.text(id), { pos: n.from, value: { kind: 'other', what: fn ? 'a function' : 'a class' } });
    this.defs.push({ scope: new Scope(fn ? 'function' : 'class', this.scope), depth: this.depth });
  }

  /** Only the names bind (in the def's scope); default values are expressions of the enclosing scope. */
  paramList(list: SyntaxNode): Handled {
    const def = this.ownedByDef();
    if (!def) return;
    const fnScope = def.scope;
    let prev: SyntaxNode | null = null;
    for (let c = list.firstChild; c; c = c.nextSibling) {
      if (c.name === 'VariableName' && prev?.name !== 'AssignOp') {
        const name = this.text(c);
        if (fnScope.firstParam === null && prev?.name !== '*' && prev?.name !== '**') fnScope.firstParam = name;
        fnScope.bind(name, { pos: list.from, value: { kind: 'other', what: 'a function parameter' } });
      }
      prev = c;
    }
  }

  body(): Handled {
    const def = this.ownedByDef();
    const opens = def !== undefined && def.scope.kind !== 'lambda';
    this.bodies.push(opens);
    if (opens) this.scopes.push((def as { scope: Scope }).scope);
  }

  // ---- expressions ---------------------------------------------------------------------------------

  lambda(): Handled {
    const lambda = new Scope('lambda', this.scope);
    this.defs.push({ scope: lambda, depth: this.depth });
    this.scopes.push(lambda);
  }

  comprehension(n: SyntaxNode): Handled {
    const inner = new Scope('comprehension', this.scope);
    this.scopes.push(inner);
    this.forTargets(n, inner);
  }

  /** `(x := v)` binds in the nearest enclosing scope that is not a comprehension. */
  namedExpression(n: SyntaxNode): Handled {
    const t = n.firstChild;
    let s = this.scope;
    while (s.kind === 'comprehension' && s.parent) s = s.parent;
    if (t) this.bindPattern(t, s, { kind: 'other', what: 'an assignment expression' });
  }

  callExpression(n: SyntaxNode): Handled {
    const scope = this.scope;
    this.out.calls.push({ node: n, scope });
    this.classCountKeywords(n, scope);
    // `x.update(…)` and the other in-place methods.
    const callee = n.firstChild;
    if (callee?.name !== 'MemberExpression') return;
    const obj = callee.firstChild;
    const prop = callee.lastChild;
    if (obj?.name === 'VariableName' && prop?.name === 'PropertyName' && MUTATING_METHODS.has(this.text(prop))) this.out.mutated.add(this.text(obj));
  }

  /**
   * `{"num_classes": 4, …}`: a class count stated as a dict entry with a string key. Not `out_channels`:
   * without the call it configures, a dict's `out_channels` may as well count a layer's features.
   */
  dictionary(dict: SyntaxNode): Handled {
    for (let c = dict.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'String') continue;
      const colon = c.nextSibling;
      const v = colon?.nextSibling;
      if (colon?.name !== ':' || !v) continue;
      const quoted = this.text(c);
      const key = quoted.slice(1, -1);
      if (CLASS_COUNT_NAMES.has(key) && !key.startsWith('out_') && !key.startsWith('OUT_') && (quoted[0] === '"' || quoted[0] === "'")) this.out.classCounts.push({ name: key, value: v, call: null, dict: true, scope: this.scope });
    }
  }

  /** Error nodes count as syntax errors, except `1.` (a member access missing its property, see literals.ts). */
  error(ref: NodeRef): Handled {
    const p = ref.from === ref.to ? ref.node.parent : null;
    if (!(p?.name === 'MemberExpression' && p.firstChild?.name === 'Number')) this.out.errors++;
  }

  // ---- leaving -------------------------------------------------------------------------------------

  leave(name: string): void {
    this.depth--;
    if (name === 'Body') {
      if (this.bodies.pop()) this.scopes.pop();
    } else if (name === 'FunctionDefinition' || name === 'ClassDefinition') this.defs.pop();
    else if (name === 'LambdaExpression') {
      this.defs.pop();
      this.scopes.pop();
    } else if (COMPREHENSIONS.has(name)) this.scopes.pop();
  }

  // ---- shared pieces -------------------------------------------------------------------------------

  private ownedByDef(): { scope: Scope; depth: number } | undefined {
    const d = this.defs[this.defs.length - 1];
    return d !== undefined && d.depth === this.depth - 1 ? d : undefined;
  }

  /** Binds the names of an assignment-like target pattern (`a`, `a, b`, `(a, *b)`, `[a, b]`). */
  private bindPattern(n: SyntaxNode, scope: Scope, value: BindingValue): void {
    switch (n.name) {
      case 'VariableName':
        scope.bind(this.text(n), { pos: n.from, value });
        return;
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression':
        for (const c of children(n)) this.bindPattern(c, scope, value.kind === 'other' && value.what ? value : { kind: 'other', what: 'unpacked from a sequence' });
        return;
      case 'MemberExpression':
        this.markMutated(n);
        return; // attributes and subscripts bind no name
      default:
        return;
    }
  }

  /** `x[…] = …`, `x.a = …`, `del x[…]`, `x[…] += …`: `x` may change in place. */
  private markMutated(n: SyntaxNode): void {
    let cur: SyntaxNode | null = n;
    while (cur && cur.name === 'MemberExpression') cur = cur.firstChild;
    if (cur && cur.name === 'VariableName') this.out.mutated.add(this.text(cur));
  }

  private target(run: SyntaxNode[], call: SyntaxNode | null, valueParts: SyntaxNode[], stmt: SyntaxNode, scope: Scope): void {
    if (run.length === 0) return;
    const { out, src, cellIndex } = this;
    const single = run.length === 1 ? (run[0] as SyntaxNode) : null;
    if (single && single.name === 'VariableName') {
      const name = this.text(single);
      const expr: BoundExpr | undefined = valueParts.length === 1 ? { node: valueParts[0] as SyntaxNode, src, scope } : undefined;
      const value: BindingValue = call && expr ? { kind: 'call', callFrom: call.from, cellIndex, expr } : expr ? { kind: 'other', expr } : { kind: 'other', what: 'not a single expression' };
      scope.bind(name, { pos: single.from, value });
      if (call) out.callAssignments.set(call.from, { target: name, callFrom: call.from });
      if (CLASS_COUNT_NAMES.has(name) && valueParts.length === 1) out.classCounts.push({ name, value: valueParts[0] as SyntaxNode, call: null, scope });
      return;
    }
    if (single && single.name === 'MemberExpression') {
      this.markMutated(single);
      const chain = this.memberChain(single);
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
    for (const p of run) this.bindPattern(p, scope, { kind: 'other', what: 'unpacked from a sequence' });
  }

  /**
   * The call that constructs the object a call expression returns, looking through `.to(device)`,
   * `.cuda()` and the like, which return the module itself: `nn.CrossEntropyLoss().to(device)` binds the loss.
   */
  private moduleCall(call: SyntaxNode): SyntaxNode {
    let cur = call;
    for (;;) {
      const callee = cur.firstChild;
      if (!callee || callee.name !== 'MemberExpression') return cur;
      const obj = callee.firstChild;
      const prop = callee.lastChild;
      if (!obj || obj.name !== 'CallExpression' || !prop || prop.name !== 'PropertyName' || !VALUE_PRESERVING_METHODS.has(this.text(prop))) return cur;
      cur = obj;
    }
  }

  /** `a.b.c` → root `a`, props [`b`, `c`]; null when the chain does not start at a plain name. */
  private memberChain(n: SyntaxNode): { root: string; props: string[] } | null {
    const props: string[] = [];
    let cur: SyntaxNode | null = n;
    while (cur && cur.name === 'MemberExpression') {
      const last: SyntaxNode | null = cur.lastChild;
      if (!last || last.name !== 'PropertyName') return null;
      props.unshift(this.text(last));
      cur = cur.firstChild;
    }
    if (!cur || cur.name !== 'VariableName') return null;
    return { root: this.text(cur), props };
  }

  /** `for` statements and comprehensions: targets sit between `for` and `in`. */
  private forTargets(n: SyntaxNode, scope: Scope): void {
    let inTarget = false;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.name === 'for') inTarget = true;
      else if (c.name === 'in') inTarget = false;
      else if (inTarget && c.name !== ',') this.bindPattern(c, scope, { kind: 'other', what: 'a loop variable' });
    }
  }

  private mentionsKeyword(from: number, to: number): boolean {
    const at = this.keywordAt;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((at[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < at.length && (at[lo] as number) < to;
  }

  private classCountKeywords(call: SyntaxNode, scope: Scope): void {
    if (!this.mentionsKeyword(call.from, call.to)) return;
    const args = call.lastChild;
    if (!args || args.name !== 'ArgList') return;
    for (let c = args.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'VariableName') continue;
      const op = c.nextSibling;
      const v = op?.nextSibling;
      if (op?.name === 'AssignOp' && v && CLASS_COUNT_KEYWORDS.has(this.text(c))) this.out.classCounts.push({ name: this.text(c), value: v, call, scope });
    }
  }
}

/** The handler per node kind; kinds not listed are walked through. */
const ENTER_HANDLERS: Readonly<Record<string, (w: Walker, ref: NodeRef) => Handled>> = {
  // Leaves that hold no binding or call.
  Comment: () => 'skip',
  String: () => 'skip',
  Number: () => 'skip',
  ImportStatement: (w, r) => w.importStatement(r.node),
  AssignStatement: (w, r) => w.assignStatement(r.node),
  UpdateStatement: (w, r) => w.updateStatement(r.node),
  DeleteStatement: (w, r) => w.deleteStatement(r.node),
  ForStatement: (w, r) => w.forStatement(r.node),
  WithStatement: (w, r) => w.asStatement(r.node),
  TryStatement: (w, r) => w.asStatement(r.node),
  ScopeStatement: (w, r) => w.scopeStatement(r.node),
  FunctionDefinition: (w, r) => w.definition(r.node),
  ClassDefinition: (w, r) => w.definition(r.node),
  ParamList: (w, r) => w.paramList(r.node),
  Body: (w) => w.body(),
  LambdaExpression: (w) => w.lambda(),
  NamedExpression: (w, r) => w.namedExpression(r.node),
  CallExpression: (w, r) => w.callExpression(r.node),
  DictionaryExpression: (w, r) => w.dictionary(r.node),
  ...Object.fromEntries([...COMPREHENSIONS].map((k) => [k, (w: Walker, r: NodeRef) => w.comprehension(r.node)])),
};
/** The same as a Map: looked up for every node of the tree, where a Map is the faster lookup. */
const ENTER = new Map(Object.entries(ENTER_HANDLERS));

/**
 * Walks the whole tree once with a cursor (`Tree.iterate`), materialising syntax nodes only for the
 * statements it inspects, so that a 5,000-line file stays well inside the lens's time budget.
 * `cellIndex` tags call bindings so later cells can refer to them.
 */
export function walk(tree: Tree, src: string, cellIndex: number): WalkResult {
  const w = new Walker(src, cellIndex);
  tree.iterate({
    enter(ref) {
      w.depth++;
      const handled = ref.type.isError ? w.error(ref) : ENTER.get(ref.name)?.(w, ref);
      if (handled !== 'skip') return undefined;
      w.depth--; // `leave` is not called for a node whose children are skipped
      return false;
    },
    leave(ref) {
      w.leave(ref.name);
    },
  });
  return w.out;
}
