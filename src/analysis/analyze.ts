/**
 * `analyzePython(source)` and `analyzeCells(cells)`: parse with `@lezer/python`, bind names, recognise
 * loss calls, attach post-hoc ε assignments, find C, report diagnostics with quick fixes. Pure functions
 * of their text(s): no I/O, no `vscode`; the extension caches results per document version.
 */
import { describeCall, literalEnvFor, recognise } from './calls';
import { callDiagnostics, postHocDiagnostics } from './diagnostics';
import { assignClassCounts, classCountHints } from './numClasses';
import { resolvePostHoc, type ResolvedPostHoc } from './postHoc';
import { LineIndex, parseIncremental, parsePython, type Tree } from './pyTree';
import { moveIntoConstructorFix } from './quickFix';
import { emptyCarried, pick, walk, type CarriedState, type Scope } from './scopes';
import type { Analysis, NotebookAnalysis } from './types';
import { registryKey, unitKey, type CallRegistry, type Unit } from './unit';

interface Session {
  carried: CarriedState;
  registry: CallRegistry;
  units: Unit[];
  postHoc: ResolvedPostHoc[];
  nextId: number;
}

function newSession(): Session {
  return { carried: emptyCarried(), registry: new Map(), units: [], postHoc: [], nextId: 0 };
}

/** Phase 1 for one text: parse, bind, recognise calls, resolve post-hoc assignments, carry bindings on. */
function addUnit(session: Session, src: string, cellIndex: number | undefined, parsed?: Tree): Unit {
  const tree = parsed ?? parsePython(src);
  const key = unitKey(cellIndex);
  const w = walk(tree, src, key);
  const unit: Unit = { cellIndex, src, lines: new LineIndex(src), walk: w, calls: [], classCounts: [], diagnostics: [] };
  const envs = new Map<Scope, ReturnType<typeof literalEnvFor>>();
  for (const site of w.calls) {
    let env = envs.get(site.scope);
    if (!env) envs.set(site.scope, (env = literalEnvFor(site.scope, src, session.carried, w.mutated)));
    const rec = recognise(site.node, src, env.qualify);
    if (!rec) continue;
    const call = describeCall(site.node, rec, src, unit.lines, env);
    call.id = session.nextId++;
    if (cellIndex !== undefined) call.cellIndex = cellIndex;
    call.boundTo = w.callAssignments.get(site.node.from)?.target ?? null;
    unit.calls.push(call);
    session.registry.set(registryKey(key, site.node.from), { call, node: site.node, unit });
  }
  unit.classCounts = classCountHints(unit, session.carried);
  session.postHoc.push(...resolvePostHoc(unit, session.carried, session.registry));
  // What the next cell sees: each module-level name's last binding and how often it was bound, the
  // names changed in place, and the star imports.
  for (const [name, list] of w.module.bindings) {
    const last = pick(list, Infinity);
    if (last) session.carried.bindings.set(name, last.value);
    session.carried.counts.set(name, (session.carried.counts.get(name) ?? 0) + list.length);
  }
  for (const name of w.mutated) session.carried.mutated.add(name);
  session.carried.stars.push(...w.module.stars.map((s) => s.module));
  session.units.push(unit);
  return unit;
}

/** Phase 2 over all texts: C per call, then diagnostics (which depend on C and on post-hoc ε). */
function finish(session: Session): void {
  const calls = session.units.flatMap((u) => u.calls);
  assignClassCounts(calls, session.units.flatMap((u) => u.classCounts));
  for (const unit of session.units) for (const call of unit.calls) unit.diagnostics.push(...callDiagnostics(call, unit.lines));
  const unitOf = new Map(session.units.map((u) => [unitKey(u.cellIndex), u]));
  for (const { postHoc, target, site } of session.postHoc) {
    const unit = unitOf.get(unitKey(postHoc.cellIndex)) as Unit;
    const fix = target.unit === unit ? moveIntoConstructorFix(unit.src, unit.lines, target.call, target.node, postHoc, site.stmt) : null;
    unit.diagnostics.push(...postHocDiagnostics(target.call, postHoc, unit.lines, fix));
  }
  for (const unit of session.units) unit.diagnostics.sort((a, b) => a.start - b.start || a.end - b.end || a.code.localeCompare(b.code));
}

function toAnalysis(unit: Unit): Analysis {
  return { calls: unit.calls, diagnostics: unit.diagnostics, classCounts: unit.classCounts, syntaxErrors: unit.walk.errors };
}

/**
 * Analyses one Python file's text (the whole text is parsed: a 5,000-line script takes ~65 ms once; the
 * editor then re-parses only around each edit, see {@link IncrementalPythonAnalyzer}).
 */
export function analyzePython(source: string): Analysis {
  return analyzeParsed(source, parsePython(source));
}

function analyzeParsed(source: string, tree: Tree): Analysis {
  const session = newSession();
  const unit = addUnit(session, source, undefined, tree);
  finish(session);
  return toAnalysis(unit);
}

/**
 * `analyzePython` for successive versions of one editor buffer: keeps the last syntax
 * tree and re-parses only around each edit. The result is the same as `analyzePython(source)`.
 */
export class IncrementalPythonAnalyzer {
  private last: { source: string; tree: Tree } | undefined;

  analyze(source: string): Analysis {
    const tree = parseIncremental(source, this.last);
    this.last = { source, tree };
    return analyzeParsed(source, tree);
  }
}

/**
 * Analyses notebook code cells in order (`source` already stripped of IPython magics — see notebook.ts),
 * carrying imports and bindings from each cell to the next.
 */
export function analyzeCells(cells: readonly { cellIndex: number; source: string }[]): NotebookAnalysis {
  const session = newSession();
  const units = cells.map((c) => addUnit(session, c.source, c.cellIndex));
  finish(session);
  const out: NotebookAnalysis = { cells: [], calls: [], diagnostics: [] };
  for (const u of units) {
    const a = toAnalysis(u);
    out.cells.push({ cellIndex: u.cellIndex as number, analysis: a });
    out.calls.push(...a.calls);
    out.diagnostics.push(...a.diagnostics);
  }
  return out;
}

