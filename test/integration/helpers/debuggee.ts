// Launches test/integration/fixtures/train_step.py under a real debugpy (`/usr/bin/python3 -m debugpy.adapter`,
// Debian's python3-debugpy and python3-torch) and stops at its BREAK line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DapClient } from './dapClient';

export const PYTHON = '/usr/bin/python3';
export const TRAIN_STEP = join(__dirname, '..', 'fixtures', 'train_step.py');

/** The 1-based line of the fixture marked `# BREAK`. */
export function breakLine(script = TRAIN_STEP): number {
  const i = readFileSync(script, 'utf8').split('\n').findIndex((l) => l.includes('# BREAK'));
  if (i < 0) throw new Error(`${script}: no line marked # BREAK`);
  return i + 1;
}

export interface Debuggee {
  client: DapClient;
  /** Folder where the script saved its copies (logits_<step>.npy, target_<step>.npy, logits_bf16_<step>.npy). */
  outDir: string;
  threadId: number;
  frameId: number;
  /** Continues to the next stop and updates threadId/frameId. */
  next(): Promise<void>;
  close(): Promise<void>;
}

export async function launchDebuggee(opts: { shape?: number[] } = {}): Promise<Debuggee> {
  const outDir = mkdtempSync(join(tmpdir(), 'li-debuggee-'));
  const env = { ...process.env, LI_SHAPE: (opts.shape ?? [2, 3, 4, 5]).join(',') };
  const client = new DapClient(PYTHON, ['-m', 'debugpy.adapter'], env);
  await client.request('initialize', { adapterID: 'debugpy', clientID: 'loss-inspector-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const launched = client.request('launch', {
    program: TRAIN_STEP,
    args: [outDir],
    python: [PYTHON],
    console: 'internalConsole',
    justMyCode: true,
    cwd: outDir,
    env: { LI_SHAPE: env.LI_SHAPE },
  });
  await client.waitEvent('initialized');
  await client.request('setBreakpoints', { source: { path: TRAIN_STEP }, breakpoints: [{ line: breakLine() }] });
  await client.request('configurationDone');
  await launched;
  const d: Debuggee = {
    client,
    outDir,
    threadId: 0,
    frameId: 0,
    next: async () => {
      await client.request('continue', { threadId: d.threadId });
      await stopped();
    },
    close: async () => {
      if (!client.ended) await client.request('disconnect', { terminateDebuggee: true }).catch(() => undefined);
      client.kill();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
  const stopped = async () => {
    const e = await client.waitEvent('stopped', 60_000);
    d.threadId = Number(e.body!.threadId);
    const st = await client.request<{ stackFrames: { id: number }[] }>('stackTrace', { threadId: d.threadId, levels: 1 });
    d.frameId = st.stackFrames[0]!.id;
  };
  await stopped();
  return d;
}
