// Child process of readers-budget.test.ts: does one CLI-level operation on one file and reports its peak memory
// (process.resourceUsage().maxRSS, in KB) above the baseline measured just before, and its outcome. Peak RSS is
// a property of the work, not of the machine's load, so the parent can assert it without timing anything.
//   node --import tsx budget-child.ts info|load|check|stdout FILE [KEY]
// `stdout` runs `info` as the CLI does, writing its listing to the real standard output (a pipe to the parent) and
// reports on standard error instead.
import { installZlibInflate } from '../../src/node/zlibInflate';
import { writeInfo } from '../../src/cli/info';
import { writeStdout } from '../../src/cli/stdout';
import { loadTensor } from '../../src/cli/loadTensor';
import { checkFile } from '../../src/cli/check';
import { TensorFileError } from '../../src/readers/types';
import { tensorStats } from '../../src/readers/stats';

installZlibInflate();
const [mode, file, key] = process.argv.slice(2) as [string, string, string | undefined];
// Warm up the code paths on nothing, so the baseline holds the modules, not the work.
if (typeof global.gc === 'function') global.gc();
const baseline = process.resourceUsage().maxRSS;
let outcome: { ok: true; detail: string } | { ok: false; kind: string; message: string };
try {
  if (mode === 'info') {
    // As the CLI prints it (streamed for files of many tensors), the text counted and dropped.
    let chars = 0;
    writeInfo(file, false, (text) => (chars += text.length));
    outcome = { ok: true, detail: `${chars} characters of output` };
  } else if (mode === 'stdout') {
    writeInfo(file, false, writeStdout);
    outcome = { ok: true, detail: 'written to stdout' };
  } else if (mode === 'load') {
    const t = loadTensor(key === undefined ? file : `${file}#${key}`);
    outcome = { ok: true, detail: `${t.key}: sum ${tensorStats(t.tensor).sum}` };
  } else {
    const r = checkFile(file);
    outcome = { ok: true, detail: `${r.calls.length} calls` };
  }
} catch (e) {
  outcome = { ok: false, kind: e instanceof TensorFileError ? e.kind : (e as Error).name, message: e instanceof Error ? e.message : String(e) };
}
const peak = process.resourceUsage().maxRSS;
(mode === 'stdout' ? process.stderr : process.stdout).write(JSON.stringify({ ...outcome, baselineKB: baseline, peakKB: peak, overKB: peak - baseline }) + '\n');
