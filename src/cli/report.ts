/**
 * `loss-inspect report <logits>[#key] <target>[#key] [options] [--config FILE.json] [--json]`
 * Reads the pair, runs the engine's one fused pass, and prints the per-class comparison (or JSON).
 */
import { readFileSync } from 'node:fs';
import { writeStdout } from './stdout';
import { dirname } from 'node:path';
import { classNamesIn } from './classNames';
import { resolveOptions, selectClasses, LossInputError, type ClassSelection, type LossOptions, type Report } from '../engine/index';
import { OPTION_SCHEMA, lossLabel, optionFlag, type AnyOptionSpec } from '../engine/optionSchema';
import { lossTerms } from '../engine/familyRules';
import { UsageError } from './errors';
import { decimal, isDecimal } from './numbers';
import { fmtDelta, fmtNum, table, toJsonChunks } from './format';
import { loadTensor, parsePathSpec, type ReadCache } from './loadTensor';
import { AccumulatePool, computeReportParallel, defaultThreads } from '../parallel/index';

/** One help line per option of the schema: `--flag VALUE  help (default …)`, booleans as `--[no-]flag`. */
function optionHelp(): string {
  const lines: string[] = [];
  for (const s of OPTION_SCHEMA as readonly AnyOptionSpec[]) {
    const flag = optionFlag(s.key);
    let head: string;
    if (s.type === 'boolean') head = `--[no-]${flag}`;
    else if (s.type === 'choice') head = `--${flag} ${s.choices.map((c) => c.value).join('|')}`;
    else if (s.type === 'weights') head = `--${flag} W0,W1,...`;
    else head = `--${flag} ${s.type === 'integer' ? 'N' : 'X'}`;
    const def = s.default === null ? 'none' : s.type === 'boolean' ? (s.default ? 'on' : 'off') : String(s.default);
    const text = `${s.help} (default ${def})`;
    lines.push(head.length < 32 ? `  ${head.padEnd(32)} ${text}` : `  ${head}\n  ${' '.repeat(32)} ${text}`);
  }
  return lines.join('\n');
}

export const REPORT_USAGE = `usage: loss-inspect report <logits>[#key] <target>[#key] [options] [--config FILE.json] [--json]

'#key' picks a tensor inside a container (preds.pt#out.seg): the first '#' after which the text before it is an
existing file splits, so a path or a key may hold '#'; the key is percent-decoded (%25 for a literal '%');
'file#' names the key '' of a single unnamed tensor; colliding dotted keys are reached by the subscript keys
'info' lists (preds.pt#['a.b']).

Options (golden option keys in kebab-case; flags override --config):
${optionHelp()}
  --config FILE.json               a JSON object with the golden option keys (camelCase)
  --class-names A,B,...            class names (default: classes.json beside the logits or target, if any)
  --max-tensor-bytes N             refuse tensors larger than N bytes
  --threads N                      worker threads for the fused pass (default: the machine's cores)
  --top-classes N                  the table shows the N classes with the largest count and the N with the largest
                                   contribution, the rest summed in one row (default 50); with --json, perClass keeps
                                   only those (default: every class) and perClassRest sums the others
  --json                           one JSON object: loss, hard, smoothed, perClass, config, warnings, timings, ...`;

const SPECS = new Map<string, AnyOptionSpec>((OPTION_SCHEMA as readonly AnyOptionSpec[]).map((s) => [optionFlag(s.key), s]));

export interface ReportArgs {
  logits: string;
  target: string;
  options: Record<string, unknown>;
  config: string | null;
  json: boolean;
  classNames: string[] | null;
  maxTensorBytes: number | null;
  threads: number;
  /** `--top-classes N`: JSON `perClass` keeps only the classes the table would show (null: every class). */
  topClasses: number | null;
}

/** `command` names the subcommand in error messages (`dataset` shares these options). */
export function parseReportArgs(args: string[], command = 'report'): ReportArgs | 'help' {
  const pos: string[] = [];
  const options: Record<string, unknown> = {};
  let config: string | null = null;
  let json = false;
  let classNames: string[] | null = null;
  let topClasses: number | null = null;
  let maxTensorBytes: number | null = null;
  let threads = defaultThreads();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${command}: ${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--json') json = true;
    else if (a === '--config') config = value();
    else if (a === '--class-names') classNames = value().split(',').map((s) => s.trim());
    else if (a === '--top-classes') {
      const n = decimal(value(), `${command}: --top-classes`);
      if (!Number.isInteger(n) || n < 1) throw new UsageError('report: --top-classes needs a positive integer');
      topClasses = n;
    }
    else if (a === '--threads') {
      const n = decimal(value(), `${command}: --threads`);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`${command}: --threads needs an integer from 1 to 64`);
      threads = n;
    } else if (a === '--max-tensor-bytes') {
      const n = decimal(value(), `${command}: --max-tensor-bytes`);
      if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${command}: --max-tensor-bytes needs a positive integer`);
      maxTensorBytes = n;
    } else if (a.startsWith('--')) {
      let name = a.slice(2);
      let inline: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      let negated = false;
      if (name.startsWith('no-') && SPECS.get(name.slice(3))?.type === 'boolean') {
        negated = true;
        name = name.slice(3);
      }
      const spec = SPECS.get(name);
      if (!spec) throw new UsageError(`${command}: unknown option --${name} (see loss-inspect ${command} --help)`);
      // the schema parses the string; a boolean flag alone means true (false with --no-)
      if (spec.type === 'boolean') options[spec.key] = inline !== undefined ? inline : !negated;
      else {
        const v = inline ?? value();
        // decimal only (the schema's Number() would take 0x1); the schema checks the range
        if (spec.type === 'weights' && v !== 'null' && v !== 'none') {
          for (const part of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
            if (!isDecimal(part)) throw new UsageError(`${command}: --${name} needs decimal numbers separated by commas, got '${v}'`);
          }
        } else if ((spec.type === 'number' || spec.type === 'integer' || (spec.type === 'optionalNumber' && v !== 'null' && v !== 'none')) && !isDecimal(v)) {
          throw new UsageError(`${command}: --${name} needs a decimal number, got '${v}'`);
        }
        options[spec.key] = v;
      }
    } else pos.push(a);
  }
  if (pos.length !== 2) {
    const what = command === 'report' ? '<logits> and <target>' : '<predictions> and <references>';
    throw new UsageError(`${command}: expected ${what}, got ${pos.length} path(s)${command === 'report' ? '\n' + REPORT_USAGE : ''}`);
  }
  return { logits: pos[0]!, target: pos[1]!, options, config, json, classNames, maxTensorBytes, threads, topClasses };
}

/** Merges --config (camelCase JSON) with the flags (flags win) and validates. */
export function effectiveOptions(a: ReportArgs): LossOptions {
  let base: Record<string, unknown> = {};
  if (a.config) {
    let text: string;
    try {
      text = readFileSync(a.config, 'utf8');
    } catch (e) {
      throw new UsageError(`${a.config}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      base = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${a.config}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new UsageError(`${a.config}: expected a JSON object of options`);
  }
  try {
    return resolveOptions({ ...base, ...a.options });
  } catch (e) {
    // A pathologically nested config value overflows the stack where it is printed: name the file.
    if (e instanceof RangeError) throw new UsageError(`${a.config ?? 'options'}: an option value is nested too deeply to read (${e.message})`);
    throw e;
  }
}

/** Class names from --class-names, else a classes.json (JSON array of strings) beside the logits or the target. */
export function findClassNames(a: ReportArgs, C: number): string[] | null {
  if (a.classNames) return a.classNames;
  // the files' own folders: `#key` is split off only where the part before it is a file (a '#' may be in the path)
  return classNamesIn(
    [a.logits, a.target].map((spec) => dirname(parsePathSpec(spec).uri)),
    (names) => names.length === C,
  );
}

export function renderReport(r: Report, names: string[] | null, topClasses = TABLE_CLASSES): string {
  const out: string[] = [];
  const eps = r.config.labelSmoothing;
  const loss = r.config.loss;
  out.push(
    `${loss === 'ce' ? 'cross-entropy' : lossLabel(loss)} · ε ${eps} · C ${r.numClasses} · ` +
      `logits [${r.logitsShape.join('×')}] · target [${r.targetShape.join('×')}] (${r.targetKind}) · ${r.kept}/${r.elements} elements kept`,
  );
  // The family's own terms: CE where the loss has one (the per-class CE columns), its overlap term, its focal term.
  const terms = lossTerms(loss, r.numClasses);
  if (r.perClass) {
    // CE per class is shown for the losses with a CE term and for Dice (the comparison it has always had).
    const classTerms: { label: string; hard: 'ceHard' | 'diceHard' | 'focalHard'; smoothed: 'ceSmoothed' | 'diceSmoothed' | 'focalSmoothed' }[] = [];
    if (loss === 'ce' || loss === 'dice' || loss === 'dicece') classTerms.push({ label: 'CE', hard: 'ceHard', smoothed: 'ceSmoothed' });
    for (const t of terms) {
      if (t.key === 'dice' && r.perClass.some((p) => p.diceHard !== null)) classTerms.push({ label: t.label, hard: 'diceHard', smoothed: 'diceSmoothed' });
      if (t.key === 'focal') classTerms.push({ label: t.label, hard: 'focalHard', smoothed: 'focalSmoothed' });
    }
    // The generalized Dice is one ratio over all classes: the classes' shares do not add up to the total.
    const shares = loss !== 'gdice' && loss !== 'gdicefocal';
    const sel = selectClasses(r.perClass, topClasses);
    const rows = sel.shown.map((p) => [
      names?.[p.class] !== undefined ? `${p.class} ${names[p.class]}` : String(p.class),
      Number.isInteger(p.count) ? String(p.count) : fmtNum(p.count, 3),
      ...classTerms.flatMap((t) => [fmtNum(p[t.hard]), fmtNum(p[t.smoothed]), fmtDelta(p[t.hard], p[t.smoothed])]),
      ...(shares ? [fmtNum(p.contribution.total)] : []),
    ]);
    const head = classTerms.flatMap((t) => [`${t.label} hard`, `${t.label} smoothed`, `Δ ${t.label}`]);
    if (sel.rest) {
      const c = sel.rest.count;
      rows.push([`… ${sel.rest.classes} other classes`, Number.isInteger(c) ? String(c) : fmtNum(c, 3), ...head.map(() => ''), ...(shares ? [fmtNum(sel.rest.contribution)] : [])]);
    }
    out.push('', table(['class', 'count', ...head, ...(shares ? ['contribution'] : [])], rows));
    if (sel.rest) out.push(`(top ${topClasses} classes by count and by contribution; --json lists every class)`);
    if (!shares) out.push('(the generalized Dice weighs the classes inside one ratio per item: it has no per-class value or share)');
  }
  const tri = (label: string, t: Report['loss'] | null) => [label, ...(t ? [t.total, ...terms.map((x) => t[x.key])].map((v) => fmtNum(v)) : ['—', ...terms.map(() => '—')])];
  out.push(
    '',
    table(
      ['', 'total', ...terms.map((t) => t.label.toLowerCase())],
      [tri('loss (what training sees)', r.loss), tri('hard (ε = 0)', r.hard), tri(`smoothed (ε = ${eps})`, r.smoothed)],
    ),
  );
  // The floor is the least value of a CE term: the losses without one have none to show.
  if (r.floor !== null && (loss === 'ce' || loss === 'dice' || loss === 'dicece')) {
    const c = r.floorCase;
    out.push(
      '',
      `label-smoothing floor at ε = ${eps}, C = ${r.numClasses}: ${fmtNum(r.floor)} — the least this CE term can reach for this target, whatever the prediction`,
      ...(c ? [`  floor case: ${c.target}${c.weighted ? ', weighted' : ''}, ${c.reduction}: ${c.text}`] : []),
    );
  }
  if (r.multiLabel) {
    const m = r.multiLabel;
    out.push(
      '',
      `multi-label target: channels overlap on ${m.overlapping} of ${m.elements} elements (up to ${m.maxChannelSum} regions on one)`,
      `  F.binary_cross_entropy_with_logits (${m.bce.reduction}): hard ${fmtNum(m.bce.hard)}, smoothed (ε = ${eps}) ${fmtNum(m.bce.smoothed)}`,
      ...m.notes.map((n) => `  ${n}`),
    );
  }
  if (r.topConfusions && r.topConfusions.length && (!r.confusion || r.numClasses > 20)) {
    const name = (c: number) => (names?.[c] !== undefined ? `${c} ${names[c]}` : String(c));
    out.push('', `most frequent confusions (target → predicted): ${r.topConfusions.slice(0, 10).map((c) => `${name(c.target)} → ${name(c.predicted)} ×${c.count}`).join(', ')}`);
  }
  if (r.sequence) out.push(...renderSequence(r));
  if (r.calibration) out.push(`calibration: accuracy ${fmtNum(r.calibration.accuracy, 4)}, mean confidence ${fmtNum(r.calibration.confidence, 4)}, ECE ${fmtNum(r.calibration.ece, 4)}`);
  for (const w of r.warnings) out.push(`warning [${w.code}]: ${w.message}`);
  return out.join('\n');
}

/** Classes in the text table before the rest is summed: top by count and top by contribution. */
const TABLE_CLASSES = 50;

/** `perClass` cut to the selected classes under --top-classes (with `perClassRest` summing the others). */
function jsonClasses(r: Report, top: number | null): Report & { perClassRest?: ClassSelection['rest'] } {
  if (top === null || !r.perClass) return r;
  const sel = selectClasses(r.perClass, top);
  return { ...r, perClass: sel.shown.sort((x, y) => x.class - y.class), perClassRest: sel.rest };
}

/** The language-model lines: top-1/top-5 accuracy, and the loss by position (first, worst, last) and by sequence. */
function renderSequence(r: Report): string[] {
  const s = r.sequence!;
  const out = ['', `sequences: ${s.B} × ${s.T} scored positions${s.shifted ? ' (causal shift: position t against label t+1)' : ''}, vocabulary ${r.numClasses}`];
  if (s.top1 !== null) out.push(`token accuracy over kept tokens: top-1 ${fmtNum(s.top1, 4)}, top-5 ${fmtNum(s.top5, 4)}`);
  if (s.perPosition) {
    const kept = s.perPosition.filter((p) => p.count > 0);
    const worst = [...kept].sort((a, b) => b.hard! - a.hard!).slice(0, 5);
    const fmt = (p: (typeof kept)[number]) => `${p.index}: ${fmtNum(p.hard, 4)} / ${fmtNum(p.smoothed, 4)}`;
    if (kept.length) {
      out.push(`CE by position (hard / smoothed): first ${fmt(kept[0]!)}, last ${fmt(kept[kept.length - 1]!)}; highest ${worst.map(fmt).join(', ')}`);
    }
  }
  if (s.perSequence) out.push(`CE by sequence (hard / smoothed): ${s.perSequence.slice(0, 8).map((p) => `${p.index}: ${fmtNum(p.hard, 4)} / ${fmtNum(p.smoothed, 4)}`).join(', ')}${s.perSequence.length > 8 ? ', …' : ''}`);
  return out;
}

/** Writes the pieces to stdout, each before the next is made (./stdout.ts). */
function writeOut(chunks: Iterable<string>): void {
  for (const chunk of chunks) writeStdout(chunk);
}

export async function runReport(args: string[]): Promise<number> {
  const a = parseReportArgs(args);
  if (a === 'help') {
    process.stdout.write(REPORT_USAGE + '\n');
    return 0;
  }
  const options = effectiveOptions(a);
  const limits = a.maxTensorBytes ? { maxTensorBytes: a.maxTensorBytes } : undefined;
  const files: ReadCache = new Map();
  const lg = loadTensor(a.logits, limits, files);
  const tg = loadTensor(a.target, limits, files);
  const t0 = performance.now();
  const pool = new AccumulatePool(a.threads);
  let report: Report;
  try {
    report = await computeReportParallel(lg.tensor, tg.tensor, options, pool);
  } catch (e) {
    // A problem with the pair (shapes, labels) names both files; a bad option already names the option.
    if (e instanceof LossInputError && e.option === undefined) throw new LossInputError(`${a.logits} vs ${a.target}: ${e.message}`);
    throw e;
  } finally {
    await pool.dispose();
  }
  const computeMs = performance.now() - t0;
  // One file read once counts once.
  const timings = { readMs: lg.file === tg.file ? lg.readMs : lg.readMs + tg.readMs, computeMs };
  const names = findClassNames(a, report.numClasses);
  if (a.json) {
    writeOut(toJsonChunks({ ...jsonClasses(report, a.topClasses), classNames: names, timings }));
    writeStdout('\n');
  } else {
    writeStdout(renderReport(report, names, a.topClasses ?? TABLE_CLASSES) + '\n');
    writeStdout(`read ${timings.readMs.toFixed(1)} ms · compute ${timings.computeMs.toFixed(1)} ms\n`);
  }
  return 0;
}
