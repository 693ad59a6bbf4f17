/**
 * `loss-inspect report <logits>[#key] <target>[#key] [options] [--config FILE.json] [--json]`
 * Reads the pair, runs the engine's one fused pass, and prints the per-class comparison (or JSON).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveOptions, selectClasses, LossInputError, OPTION_KEYS, type ClassSelection, type LossOptions, type Report } from '../engine/index';
import { UsageError } from './errors';
import { decimal, isDecimal } from './numbers';
import { fmtDelta, fmtNum, table, toJson } from './format';
import { loadTensor, splitSpec } from './loadTensor';
import { AccumulatePool, computeReportParallel, defaultThreads } from '../parallel/index';

export const REPORT_USAGE = `usage: loss-inspect report <logits>[#key] <target>[#key] [options] [--config FILE.json] [--json]

Options (golden option keys in kebab-case; flags override --config):
  --loss ce|dice|dicece          loss to reproduce (default dicece)
  --label-smoothing EPS          torch's label_smoothing, in [0, 1] (default 0)
  --weight W0,W1,...             class weights (CE weight, Dice weight, BCE pos_weight when C == 1)
  --ignore-index N               torch's ignore_index, ce only (default -100)
  --reduction mean|sum           (default mean)
  --[no-]include-background      (default on)
  --[no-]to-onehot-y  --[no-]sigmoid  --[no-]softmax  --[no-]squared-pred  --[no-]jaccard  --[no-]batch
  --smooth-nr X  --smooth-dr X   (default 1e-5)
  --lambda-dice X  --lambda-ce X (default 1)
  --class-axis 1|-1              the logits' class axis; -1 for language-model logits (B, T, V) (default 1;
                                 a target shaped like the logits without the last axis selects -1 with a warning)
  --[no-]shift-labels            with --class-axis -1: position t against label t+1, as causal LMs do
  --config FILE.json             a JSON object with the golden option keys (camelCase)
  --class-names A,B,...          class names (default: classes.json beside the logits or target, if any)
  --max-tensor-bytes N           refuse tensors larger than N bytes
  --threads N                    worker threads for the fused pass (default: the machine's cores)
  --top-classes N                the table shows the N classes with the largest count and the N with the largest
                                 contribution, the rest summed in one row (default 50); with --json, perClass keeps
                                 only those (default: every class) and perClassRest sums the others
  --json                         one JSON object: loss, hard, smoothed, perClass, config, warnings, timings, ...`;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const BOOL_KEYS = new Set(['includeBackground', 'toOnehotY', 'sigmoid', 'softmax', 'squaredPred', 'jaccard', 'batch', 'shiftLabels']);
/** Options whose flag value is one number (checked as decimal here: the engine's Number() would take 0x1). */
const NUMERIC_KEYS = new Set(['labelSmoothing', 'ignoreIndex', 'smoothNr', 'smoothDr', 'lambdaDice', 'lambdaCe', 'classAxis']);
const FLAG_TO_KEY = new Map<string, keyof LossOptions>(OPTION_KEYS.map((k) => [kebab(k), k]));

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
      if (name.startsWith('no-') && BOOL_KEYS.has(FLAG_TO_KEY.get(name.slice(3)) ?? '')) {
        negated = true;
        name = name.slice(3);
      }
      const key = FLAG_TO_KEY.get(name);
      if (!key) throw new UsageError(`${command}: unknown option --${name} (see loss-inspect ${command} --help)`);
      if (BOOL_KEYS.has(key)) options[key] = inline !== undefined ? inline : !negated;
      else if (key === 'weight') {
        const v = inline ?? value();
        if (v !== 'null' && v !== 'none') {
          for (const part of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
            if (!isDecimal(part)) throw new UsageError(`${command}: --${name} needs decimal numbers separated by commas, got '${v}'`);
          }
        }
        options[key] = v === 'null' || v === 'none' ? null : v;
      } else {
        const v = inline ?? value();
        if (NUMERIC_KEYS.has(key) && !isDecimal(v)) throw new UsageError(`${command}: --${name} needs a decimal number, got '${v}'`);
        options[key] = v;
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
  for (const spec of [a.logits, a.target]) {
    // the file's own folder: `#key` is split off only where the part before it is a file (a '#' may be in the path)
    const p = join(dirname(splitSpec(spec).path), 'classes.json');
    if (!existsSync(p)) continue;
    try {
      const v = JSON.parse(readFileSync(p, 'utf8'));
      if (Array.isArray(v) && v.length === C && v.every((s) => typeof s === 'string')) return v;
    } catch {
      /* a malformed classes.json is not worth failing the report for */
    }
  }
  return null;
}

export function renderReport(r: Report, names: string[] | null, topClasses = TABLE_CLASSES): string {
  const out: string[] = [];
  const eps = r.config.labelSmoothing;
  out.push(
    `${r.config.loss === 'ce' ? 'cross-entropy' : r.config.loss === 'dice' ? 'DiceLoss' : 'DiceCELoss'} · ε ${eps} · C ${r.numClasses} · ` +
      `logits [${r.logitsShape.join('×')}] · target [${r.targetShape.join('×')}] (${r.targetKind}) · ${r.kept}/${r.elements} elements kept`,
  );
  if (r.perClass) {
    const sel = selectClasses(r.perClass, topClasses);
    const rows = sel.shown.map((p) => [
      names?.[p.class] !== undefined ? `${p.class} ${names[p.class]}` : String(p.class),
      Number.isInteger(p.count) ? String(p.count) : fmtNum(p.count, 3),
      fmtNum(p.ceHard),
      fmtNum(p.ceSmoothed),
      fmtDelta(p.ceHard, p.ceSmoothed),
      fmtNum(p.diceHard),
      fmtNum(p.diceSmoothed),
      fmtDelta(p.diceHard, p.diceSmoothed),
      fmtNum(p.contribution.total),
    ]);
    if (sel.rest) {
      const c = sel.rest.count;
      rows.push([`… ${sel.rest.classes} other classes`, Number.isInteger(c) ? String(c) : fmtNum(c, 3), '', '', '', '', '', '', fmtNum(sel.rest.contribution)]);
    }
    out.push('', table(['class', 'count', 'CE hard', 'CE smoothed', 'Δ CE', 'Dice hard', 'Dice smoothed', 'Δ Dice', 'contribution'], rows));
    if (sel.rest) out.push(`(top ${topClasses} classes by count and by contribution; --json lists every class)`);
  }
  const tri = (label: string, t: Report['loss'] | null) =>
    t ? [label, fmtNum(t.total), fmtNum(t.dice), fmtNum(t.ce)] : [label, '—', '—', '—'];
  out.push('', table(['', 'total', 'dice', 'ce'], [tri('loss (what training sees)', r.loss), tri('hard (ε = 0)', r.hard), tri(`smoothed (ε = ${eps})`, r.smoothed)]));
  if (r.floor !== null) {
    const c = r.floorCase;
    out.push(
      '',
      `label-smoothing floor at ε = ${eps}, C = ${r.numClasses}: ${fmtNum(r.floor)} — the least this CE term can reach for this target, whatever the prediction`,
      ...(c ? [`  floor case: ${c.target}${c.weighted ? ', weighted' : ''}, ${c.reduction}: ${c.text}`] : []),
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

export async function runReport(args: string[]): Promise<number> {
  const a = parseReportArgs(args);
  if (a === 'help') {
    process.stdout.write(REPORT_USAGE + '\n');
    return 0;
  }
  const options = effectiveOptions(a);
  const limits = a.maxTensorBytes ? { maxTensorBytes: a.maxTensorBytes } : undefined;
  const lg = loadTensor(a.logits, limits);
  const tg = loadTensor(a.target, limits);
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
  const timings = { readMs: lg.readMs + tg.readMs, computeMs };
  const names = findClassNames(a, report.numClasses);
  if (a.json) {
    process.stdout.write(toJson({ ...jsonClasses(report, a.topClasses), classNames: names, timings }) + '\n');
  } else {
    process.stdout.write(renderReport(report, names, a.topClasses ?? TABLE_CLASSES) + '\n');
    process.stdout.write(`read ${timings.readMs.toFixed(1)} ms · compute ${timings.computeMs.toFixed(1)} ms\n`);
  }
  return 0;
}
