/**
 * Reads tensors out of a paused Python debuggee through the Debug Adapter Protocol (no `vscode`: the session is
 * anything with `customRequest`, so the integration test drives a real debugpy from plain Node).
 *
 * How the bytes cross: the host makes a private temporary folder and writes a random nonce file into it; the
 * debuggee is asked whether it can read that nonce.
 * - It can (same machine and file system): each expression is saved by the debuggee as `.npy` into that folder,
 *   the host reads the file and deletes it at once (the folder goes too, in every outcome).
 * - It cannot (debuggee in a container, over SSH, on another machine): the debuggee serializes the `.npy` into
 *   its memory and the host pulls it through `evaluate` in base64 chunks, then frees it. Slower (a few MB/s),
 *   bounded by the same size limit.
 * The size limit is checked by the debuggee before anything is converted, written or kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../workerClient';
import {
  canReadExpression, chunkExpression, infoExpression, decodeBase64, describeExpression, dropExpression, isPythonProbeResult, parseAnswer, PROBE_EXPRESSION,
  saveExpression, unquote, type DescribedTensor, type SaveAnswer, type TensorInfo,
} from './pythonHelper';
import { formatShape } from '../../engine/tensor';

/** The part of a debug session this module uses (vscode.DebugSession or a test's DAP client). */
export interface DapSession {
  customRequest(command: string, args?: unknown): PromiseLike<unknown>;
}

export type TransferMode = 'file' | 'chunks';

export interface FetchOptions {
  frameId: number;
  /** Largest converted tensor, in bytes (checked in the debuggee before anything is written). */
  maxBytes: number;
  /** The setting that sets `maxBytes`, named in the message when a tensor exceeds it. */
  limitName: string;
  /** Forces a transfer mode (tests); by default the nonce check chooses. */
  mode?: TransferMode;
  /** Where the private temporary folders go (default the OS's temporary folder). */
  tempRoot?: string;
  /** Whether the session has ended (to tell "the session ended while reading" from other failures). */
  isEnded?: () => boolean;
  /** Raw bytes per chunk in chunk mode. */
  chunkBytes?: number;
  /** Called with a short progress line. */
  onProgress?: (message: string) => void;
  /** Cancels between two requests (the debuggee's own work cannot be interrupted). */
  signal?: AbortSignal;
}

export interface FetchedTensor {
  expression: string;
  /** The `.npy` file's bytes. */
  bytes: Uint8Array;
  info: TensorInfo;
  mode: TransferMode;
}

/** A problem with one expression or with the session, said in one line for a notification. */
export class DebugReadError extends Error {
  override name = 'DebugReadError';
}

/** The session ended while something was being read. */
export class SessionEndedError extends DebugReadError {
  override name = 'SessionEndedError';
}

const CHUNK_BYTES = 3 * 1024 * 1024;

/** The debug types of Microsoft's Python debugger; a setting may add others. */
export const PYTHON_DEBUG_TYPES: readonly string[] = ['debugpy', 'python'];

/**
 * Why a session cannot be read as Python, or null when it can: its type must be a Python debugger's (or one the
 * user listed in `typesSetting`), and it must answer a probe only Python answers (a listed type might not).
 */
export async function pythonSessionProblem(
  session: DapSession & { type: string; name: string },
  frameId: number,
  extraTypes: readonly string[],
  typesSetting: string,
): Promise<string | null> {
  const types = [...PYTHON_DEBUG_TYPES, ...extraTypes];
  if (!types.includes(session.type)) {
    return (
      `the debug session “${session.name}” is of type “${session.type}”, not a Python debugger ` +
      `(${types.map((t) => `“${t}”`).join(', ')}; add a type to ${typesSetting} if it evaluates Python)`
    );
  }
  if (!(await evaluatesPython(session, frameId))) {
    return `the debug session “${session.name}” (type “${session.type}”) does not evaluate Python expressions`;
  }
  return null;
}

/** `expression` evaluated in a frame: the `result` string. A failed evaluation rejects with the adapter's text. */
export async function evaluate(session: DapSession, expression: string, frameId: number, context = 'repl'): Promise<string> {
  const r = (await session.customRequest('evaluate', { expression, frameId, context })) as { result?: unknown } | undefined;
  if (!r || typeof r.result !== 'string') throw new DebugReadError('the debugger answered an evaluate request without a result');
  return r.result;
}

/** Whether the session evaluates Python in this frame (a probe only Python answers correctly). */
export async function evaluatesPython(session: DapSession, frameId: number): Promise<boolean> {
  try {
    return isPythonProbeResult(await evaluate(session, PROBE_EXPRESSION, frameId));
  } catch {
    return false;
  }
}

/** The last line of a Python traceback (`NameError: name 'x' is not defined`), or the message as is. */
export function pythonErrorLine(message: string): string {
  const lines = message.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines.length ? lines[lines.length - 1]! : message;
}

/**
 * A tensor's size and the limit it is over, in one unit and with as many decimals as tell them apart (`1.04 GiB`
 * over `1.00 GiB`, where one decimal would read 1.0 twice); bytes below 1 KiB, or when six decimals do not do.
 */
function sizeAndLimit(size: number, limit: number): [string, string] {
  const most = Math.max(size, limit);
  if (most < 1024) return [`${size} bytes`, `${limit} bytes`];
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (unit < units.length - 1 && most >= 1024 ** (unit + 2)) unit++;
  const scale = 1024 ** (unit + 1);
  for (let d = 1; d <= 6; d++) {
    const a = (size / scale).toFixed(d);
    const b = (limit / scale).toFixed(d);
    if (a !== b) return [`${a} ${units[unit]}`, `${b} ${units[unit]}`];
  }
  return [`${size} bytes`, `${limit} bytes`];
}

/** The one-line message for a refused save. */
export function refusalMessage(expression: string, a: Exclude<SaveAnswer, { ok: true }>, maxBytes: number, limitName: string): string {
  const e = `\`${expression}\``;
  switch (a.reason) {
    case 'type':
      return `${e} is a ${a.type}, not a torch tensor or numpy array`;
    case 'dtype':
      return `${e} is ${a.detail}: Loss Inspector reads real and integer tensors only`;
    case 'size': {
      const [size, limit] = sizeAndLimit(a.info.bytes, maxBytes);
      return `${e} is ${size} (${a.info.saveDtype}, ${formatShape(a.info.shape)}), over ${limitName} (${limit}): nothing was written`;
    }
    case 'error':
      return `${e} could not be saved as .npy: ${a.error}`;
  }
}

/**
 * What went wrong in an evaluate call, as a DebugReadError naming the expression. A request can fail because the
 * session is going away before the "terminated" news arrives, so an unexplained failure waits a moment for it.
 */
async function failure(e: unknown, expression: string, o: FetchOptions): Promise<Error> {
  if (e instanceof DebugReadError || e instanceof CancelledError) return e;
  if (o.isEnded && !o.isEnded()) await new Promise((r) => setTimeout(r, ENDED_GRACE_MS));
  if (o.isEnded?.()) return new SessionEndedError(`the debug session ended while reading \`${expression}\``);
  const msg = e instanceof Error ? e.message : String(e);
  return new DebugReadError(`\`${expression}\`: ${pythonErrorLine(msg)}`);
}

const ENDED_GRACE_MS = 150;

/** Which way bytes can cross, decided with a nonce file in `folder`. */
async function chooseMode(session: DapSession, folder: string, o: FetchOptions): Promise<TransferMode> {
  if (o.mode) return o.mode;
  const nonce = randomBytes(16).toString('hex');
  const probe = join(folder, 'probe');
  await writeFile(probe, nonce);
  try {
    const a = parseAnswer<{ ok: boolean }>(await evaluate(session, canReadExpression(probe, nonce), o.frameId));
    return a.ok ? 'file' : 'chunks';
  } finally {
    await unlink(probe).catch(() => undefined);
  }
}

/**
 * Reads each expression's value as `.npy` bytes. All or nothing: the first refusal or failure rejects with a
 * {@link DebugReadError} naming the expression, and no temporary file is left behind in any case (the host's
 * folder is removed, the debuggee's buffers are dropped).
 */
export async function fetchTensors(session: DapSession, expressions: readonly string[], o: FetchOptions): Promise<FetchedTensor[]> {
  const folder = await mkdtemp(join(o.tempRoot ?? tmpdir(), 'loss-inspector-debug-'));
  try {
    let mode: TransferMode;
    try {
      mode = await chooseMode(session, folder, o);
    } catch (e) {
      throw await failure(e, expressions[0] ?? '', o);
    }
    const out: FetchedTensor[] = [];
    for (let i = 0; i < expressions.length; i++) {
      const expression = expressions[i]!;
      if (o.signal?.aborted) throw new CancelledError();
      o.onProgress?.(`Reading ${expression} from the debugger…`);
      const token = randomBytes(8).toString('hex');
      const path = mode === 'file' ? join(folder, `${i}.npy`) : null;
      let answer: SaveAnswer;
      try {
        answer = parseAnswer<SaveAnswer>(await evaluate(session, saveExpression(expression, path, o.maxBytes, token), o.frameId));
      } catch (e) {
        throw await failure(e, expression, o);
      }
      if (!answer.ok) throw new DebugReadError(refusalMessage(expression, answer, o.maxBytes, o.limitName));
      let bytes: Uint8Array;
      if (path !== null) {
        try {
          bytes = await readFile(path);
        } finally {
          await unlink(path).catch(() => undefined);
        }
      } else {
        try {
          bytes = await pullChunks(session, token, answer.info.fileBytes ?? 0, expression, o);
        } finally {
          if (!o.isEnded?.()) await evaluate(session, dropExpression(token), o.frameId).catch(() => undefined);
        }
      }
      out.push({ expression, bytes, info: answer.info, mode });
    }
    return out;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function pullChunks(session: DapSession, token: string, total: number, expression: string, o: FetchOptions): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let step = o.chunkBytes ?? CHUNK_BYTES;
  // 'clipboard' asks debugpy for the whole string; adapters that still cut long results are detected by the
  // length and read in chunks small enough for a 'repl' answer (debugpy cuts those at 64 KiB).
  let context = 'clipboard';
  for (let offset = 0; offset < total; ) {
    if (o.signal?.aborted) throw new CancelledError();
    const n = Math.min(step, total - offset);
    let text: string;
    try {
      text = unquote(await evaluate(session, chunkExpression(token, offset, n), o.frameId, context));
    } catch (e) {
      throw await failure(e, expression, o);
    }
    const got = decodeBase64(text);
    if (got.length !== n) {
      if (context === 'clipboard') {
        context = 'repl';
        step = 32 * 1024;
        continue;
      }
      throw new DebugReadError(`\`${expression}\`: the debugger returned ${got.length} of ${n} bytes at offset ${offset}`);
    }
    out.set(got, offset);
    offset += n;
    o.onProgress?.(`Reading ${expression} from the debugger: ${Math.round((100 * offset) / total)}%`);
  }
  return out;
}

/**
 * Dtype, shape and size of one expression's value, writing nothing; a value that is not a readable tensor or
 * array rejects with the same message a read would give.
 */
export async function describeValue(session: DapSession, expression: string, o: Pick<FetchOptions, 'frameId' | 'maxBytes' | 'limitName' | 'isEnded'>): Promise<TensorInfo> {
  let a: SaveAnswer;
  try {
    a = parseAnswer<SaveAnswer>(await evaluate(session, infoExpression(expression), o.frameId));
  } catch (e) {
    throw await failure(e, expression, o as FetchOptions);
  }
  if (!a.ok) throw new DebugReadError(refusalMessage(expression, a, o.maxBytes, o.limitName));
  return a.info;
}

/** The tensors and arrays among a frame's variables, locals first, then globals not shadowed by a local. */
export async function listFrameTensors(session: DapSession, frameId: number): Promise<DescribedTensor[]> {
  const scopes = ((await session.customRequest('scopes', { frameId })) as { scopes?: { name: string; presentationHint?: string; variablesReference: number }[] })?.scopes ?? [];
  const names: { scope: 'locals' | 'globals'; name: string }[] = [];
  const seen = new Set<string>();
  for (const s of scopes) {
    const scope = scopeKind(s);
    if (!scope) continue;
    const vars = ((await session.customRequest('variables', { variablesReference: s.variablesReference })) as { variables?: { name: string; evaluateName?: string }[] })?.variables ?? [];
    for (const v of vars) {
      if (!isPlainName(v.name) || seen.has(v.name)) continue;
      seen.add(v.name);
      names.push({ scope, name: v.name });
    }
  }
  names.sort((a, b) => (a.scope === b.scope ? 0 : a.scope === 'locals' ? -1 : 1));
  if (names.length === 0) return [];
  const a = parseAnswer<{ ok: boolean; tensors: DescribedTensor[] }>(await evaluate(session, describeExpression(names), frameId));
  return a.tensors;
}

/** Locals or globals, from the scope's presentation hint or name (debugpy: "Locals", "Globals"). */
export function scopeKind(s: { name: string; presentationHint?: string }): 'locals' | 'globals' | null {
  if (s.presentationHint === 'locals' || /^locals?$/i.test(s.name)) return 'locals';
  if (/^globals?$/i.test(s.name)) return 'globals';
  return null;
}

/** A Python identifier that is not a dunder (debugpy also lists groups like "special variables"). */
export function isPlainName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^__.*__$/.test(name);
}
