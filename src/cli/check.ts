/**
 * `loss-inspect check <file.py|file.ipynb>... [--json]`: lint training code for label-smoothing mistakes.
 * Prints every recognised loss call (file:line:column, the resolved name, its options in the golden
 * camelCase keys) and every diagnostic (severity, stable code, message). Exit status: 1 when any
 * diagnostic is an error, 0 otherwise; bad usage or an unreadable file throws (the dispatcher exits 2).
 *
 * Notebooks: positions are within the cell; `cell` counts every cell of the notebook from 1 (markdown
 * included), so `nb.ipynb[cell 3]:2:5` is line 2, column 5 of the third cell.
 */
import { readFileSync, statSync } from 'node:fs';
import { nonRegularKind, notRegularMessage } from '../node/fileKind';
import {
  analyzeCells,
  analyzePython,
  firstLossName,
  MAX_BRACKET_DEPTH,
  MAX_PARSED_CHARS,
  tooDeep,
  readNotebook,
  sizeVerdict,
  stripMagics,
  type AnalysisDiagnostic,
  type LossCall,
  type NotebookAnalysis,
} from '../analysis/index';
import { UsageError } from './errors';

const USAGE = `usage: loss-inspect check <file.py|file.ipynb>... [--json]
  Finds MONAI / torch loss calls (DiceCELoss, DiceLoss, CrossEntropyLoss, F.cross_entropy, BCE…) and
  reports their options and label-smoothing mistakes. Exits 1 if an error-level diagnostic is found.
  --json   print {files: [{file, calls, diagnostics, syntaxErrors}], summary} instead of text
  Notebook positions are within the cell; cells are numbered from 1, markdown cells included.`;

interface JsonCall {
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  name: string;
  callee: string;
  boundTo: string | null;
  options: LossCall['options'];
  unknownOptions: string[];
  hasKwargs: boolean;
  hasStarArgs: boolean;
  numClasses: { value: number; name: string; line: number; column: number; cell?: number } | null;
  postHoc: { cell?: number; line: number; column: number; target: string; value: unknown; valueText: string; effective: boolean }[];
}

interface JsonDiagnostic {
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: AnalysisDiagnostic['severity'];
  code: string;
  message: string;
  fix: AnalysisDiagnostic['fix'];
}

interface FileReport {
  file: string;
  kind: 'python' | 'notebook';
  calls: JsonCall[];
  diagnostics: JsonDiagnostic[];
  syntaxErrors: number;
  /** Why the file was not parsed (a very large text naming no loss), when it was not. */
  note?: string;
}

const cellNo = (cellIndex: number | undefined) => (cellIndex === undefined ? {} : { cell: cellIndex + 1 });

function jsonCall(c: LossCall): JsonCall {
  const h = c.numClasses;
  return {
    ...cellNo(c.cellIndex),
    line: c.line,
    column: c.column,
    endLine: c.endLine,
    endColumn: c.endColumn,
    name: c.name,
    callee: c.callee,
    boundTo: c.boundTo,
    options: c.options,
    unknownOptions: c.unknownOptions,
    hasKwargs: c.hasKwargs,
    hasStarArgs: c.hasStarArgs,
    numClasses: h ? { value: h.value, name: h.name, line: h.line, column: h.column, ...cellNo(h.cellIndex) } : null,
    postHoc: c.postHoc.map((p) => ({
      ...cellNo(p.cellIndex),
      line: p.line,
      column: p.column,
      target: p.target,
      value: p.value.known ? p.value.value : null,
      valueText: p.value.text,
      effective: p.effective,
    })),
  };
}

function jsonDiagnostic(d: AnalysisDiagnostic): JsonDiagnostic {
  return {
    ...cellNo(d.cellIndex),
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
    severity: d.severity,
    code: d.code,
    message: d.message,
    fix: d.fix,
  };
}

function readText(file: string): string {
  try {
    // By kind from stat: reading a FIFO blocks, a device never ends.
    const kind = nonRegularKind(statSync(file));
    if (kind !== undefined) throw new UsageError(`check: ${notRegularMessage(file, kind)}`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`check: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
}

export function checkFile(file: string): FileReport {
  const text = readText(file);
  try {
    return analyzeFile(file, text);
  } catch (e) {
    // The parser and the analysis recurse over nesting: a pathologically deep file is named, not a bare JS error.
    if (e instanceof RangeError) throw new UsageError(`check: ${file}: too deeply nested to analyse (${e.message})`);
    throw e;
  }
}

function analyzeFile(file: string, text: string): FileReport {
  if (file.toLowerCase().endsWith('.ipynb')) {
    const { cells, language } = readNotebook(text, file);
    const code: { cellIndex: number; source: string }[] = [];
    if (language === null || language.toLowerCase() === 'python') {
      for (const c of cells) {
        const source = c.kind === 'code' ? stripMagics(c.source) : null;
        if (source !== null) code.push({ cellIndex: c.index, source });
      }
    }
    const skipped = gate(file, code, 'notebook');
    if (skipped) return skipped;
    const nb: NotebookAnalysis = analyzeCells(code);
    return {
      file,
      kind: 'notebook',
      calls: nb.calls.map(jsonCall),
      diagnostics: nb.diagnostics.map(jsonDiagnostic),
      syntaxErrors: nb.cells.reduce((s, c) => s + c.analysis.syntaxErrors, 0),
    };
  }
  const skipped = gate(file, [{ source: text }], 'python');
  if (skipped) return skipped;
  const a = analyzePython(text);
  return { file, kind: 'python', calls: a.calls.map(jsonCall), diagnostics: a.diagnostics.map(jsonDiagnostic), syntaxErrors: a.syntaxErrors };
}

/**
 * A text too large to parse within bounds: skipped (with a note) when no loss name occurs in it, refused
 * naming the first one otherwise; undefined when it is to be parsed. Notebooks are judged by their code cells.
 */
function gate(file: string, units: { cellIndex?: number; source: string }[], kind: FileReport['kind']): FileReport | undefined {
  // Nesting first: the parser's work (and its recursion) grows with it, and Python refuses past 200 anyway.
  for (const u of units) {
    const deep = tooDeep(u.source);
    if (deep) {
      const at = where(file, { cell: u.cellIndex === undefined ? undefined : u.cellIndex + 1, ...deep });
      throw new UsageError(`check: ${file}: too deeply nested to analyse: brackets nest more than ${MAX_BRACKET_DEPTH} deep at ${at} (Python itself stops at 200)`);
    }
  }
  const total = units.reduce((n, u) => n + u.source.length + 1, 0);
  const v = sizeVerdict(units.length === 1 ? units[0]!.source : units.map((u) => u.source).join('\n'));
  if (v.kind === 'parse') return undefined;
  const size = `${(total / 1e6).toFixed(1)} million characters of code (the limit is ${MAX_PARSED_CHARS / 1e6} million)`;
  if (v.kind === 'too-large') {
    // Where: the first unit naming a loss, at its own line and column.
    for (const u of units) {
      const hit = firstLossName(u.source);
      if (!hit) continue;
      const before = u.source.slice(0, hit.index);
      const line = before.split('\n').length;
      const at = where(file, { cell: u.cellIndex === undefined ? undefined : u.cellIndex + 1, line, column: hit.index - before.lastIndexOf('\n') });
      throw new UsageError(`check: ${file}: too large to analyse: ${size}, and it calls or names ${hit.name} (first at ${at})`);
    }
  }
  return { file, kind, calls: [], diagnostics: [], syntaxErrors: 0, note: `not parsed: ${size}, and no loss name occurs in it` };
}

function where(file: string, x: { cell?: number; line: number; column: number }): string {
  return x.cell === undefined ? `${file}:${x.line}:${x.column}` : `${file}[cell ${x.cell}]:${x.line}:${x.column}`;
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function callLine(r: FileReport, c: JsonCall): string {
  const opts = Object.entries(c.options).map(([k, v]) => `${k}=${formatValue(v)}`);
  for (const k of c.unknownOptions) opts.push(`${k}=?`);
  if (c.hasKwargs) opts.push('**kwargs');
  if (c.hasStarArgs) opts.push('*args');
  const notes: string[] = [];
  if (c.numClasses) notes.push(`C=${c.numClasses.value} from ${c.numClasses.name}`);
  for (const p of c.postHoc) {
    const at = p.cell === undefined ? `line ${p.line}` : `cell ${p.cell}, line ${p.line}`;
    notes.push(`${p.target} = ${p.valueText} on ${at}${p.effective ? '' : ' (no effect)'}`);
  }
  return `${where(r.file, c)}: ${c.name}(${opts.join(', ')})${notes.length ? `  [${notes.join('; ')}]` : ''}`;
}

function formatText(reports: FileReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    type Item = { key: [number, number, number, number]; text: string };
    const items: Item[] = [
      ...r.calls.map((c): Item => ({ key: [c.cell ?? 0, c.line, c.column, 0], text: callLine(r, c) })),
      ...r.diagnostics.map((d): Item => ({ key: [d.cell ?? 0, d.line, d.column, 1], text: `${where(r.file, d)}: ${d.severity} ${d.code}: ${d.message}` })),
    ];
    items.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.key[3] - b.key[3]);
    if (items.length === 0) out.push(`${r.file}: no loss calls found`);
    out.push(...items.map((i) => i.text));
    if (r.note) out.push(`${r.file}: note: ${r.note}`);
    if (r.syntaxErrors) out.push(`${r.file}: note: ${r.syntaxErrors} syntax error(s) skipped; the rest of the file was analysed`);
  }
  const s = summary(reports);
  out.push(
    `${s.files} file${s.files === 1 ? '' : 's'}: ${s.calls} loss call${s.calls === 1 ? '' : 's'}, ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.information} note${s.information === 1 ? '' : 's'}`,
  );
  return out.join('\n') + '\n';
}

function summary(reports: FileReport[]) {
  const diags = reports.flatMap((r) => r.diagnostics);
  return {
    files: reports.length,
    calls: reports.reduce((s, r) => s + r.calls.length, 0),
    errors: diags.filter((d) => d.severity === 'error').length,
    warnings: diags.filter((d) => d.severity === 'warning').length,
    information: diags.filter((d) => d.severity === 'information').length,
  };
}

export async function runCheck(args: string[]): Promise<number> {
  let json = false;
  const files: string[] = [];
  let flagsDone = false;
  for (const a of args) {
    if (!flagsDone && a === '--') flagsDone = true;
    else if (!flagsDone && (a === '--help' || a === '-h')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else if (!flagsDone && a === '--json') json = true;
    else if (!flagsDone && a.startsWith('-') && a !== '-') throw new UsageError(`check: unknown option '${a}' (see 'loss-inspect check --help')`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError("check: no files given (usage: loss-inspect check <file.py|file.ipynb>... [--json])");
  const reports = files.map(checkFile);
  if (json) process.stdout.write(JSON.stringify({ files: reports, summary: summary(reports) }, null, 2) + '\n');
  else process.stdout.write(formatText(reports));
  return summary(reports).errors > 0 ? 1 : 0;
}
