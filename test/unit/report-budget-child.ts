// Child process of report-budget.test.ts: one report of an unbatched (C,) pair (logits and a probability target,
// as torch takes one sample), the table's class selection and the JSON text streamed and counted, and its peak
// memory (process.resourceUsage().maxRSS, KB) above the baseline measured after the inputs were built, after the
// selection and after the JSON.
//   node --import tsx report-budget-child.ts C
import { Tensor, computeReport, resolveOptions, selectClasses } from '../../src/engine/index';
import { toJsonChunks } from '../../src/cli/format';

const C = Number(process.argv[2]);
let s = 12345;
const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
const x = new Float32Array(C);
const t = new Float32Array(C);
let sum = 0;
for (let i = 0; i < C; i++) {
  x[i] = rnd() * 4 - 2;
  sum += t[i] = rnd();
}
for (let i = 0; i < C; i++) t[i]! /= sum;
const opts = resolveOptions({ loss: 'ce', labelSmoothing: 0.1 });
// warm the code paths on a small pair, so the baseline holds the modules, not the work
computeReport(new Tensor('float32', [8], x.slice(0, 8)), new Tensor('float32', [8], t.slice(0, 8)), opts);
if (typeof global.gc === 'function') global.gc();
const baseline = process.resourceUsage().maxRSS;
const r = computeReport(new Tensor('float32', [C], x), new Tensor('float32', [C], t), opts);
const shown = selectClasses(r.perClass!, 50).shown.length;
const reportKB = process.resourceUsage().maxRSS - baseline;
let chars = 0;
for (const chunk of toJsonChunks({ ...r })) chars += chunk.length;
const peak = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify({ loss: r.loss.total, shown, chars, reportKB, overKB: peak - baseline }) + '\n');
