/**
 * The Python side of reading tensors from a paused debugger, as DAP `evaluate` expressions. Pure (no `vscode`,
 * no `node:`): the expressions are built and the answers parsed here, so both are tested in plain Node.
 *
 * Every expression is self-contained: it installs a small helper module into the debuggee's `sys.modules`
 * (once; later calls find it there) and calls one of its functions. Installing on each call costs a few
 * kilobytes of expression text but means no state has to survive between stops, restarts or sessions.
 *
 * Answers are a base64 string of JSON: `repr()` of such a string is the string in single quotes with no escapes,
 * whatever the adapter's quoting rules, so parsing needs no Python-literal grammar. Every helper function
 * catches its own errors and answers `{ok: false, error}`; only evaluating the user's expression itself can
 * raise (a NameError, say), which the adapter reports as a failed request with the traceback.
 */

/** Bumped whenever HELPER_SOURCE changes, so a debuggee that still has an older helper gets the new one. */
const HELPER_MODULE = '_loss_inspector_debug_v1';

/**
 * What the helper does:
 * - `describe(g, l, names)`: dtype, shape and byte size of every name (looked up in the frame's locals, then its
 *   globals) that is a torch tensor or a numpy array (anything else is skipped);
 * - `save(value, path, max_bytes, token)`: checks `value` is a tensor/array whose converted size is within
 *   `max_bytes` *before* converting or writing anything; then writes it as `.npy` — to `path` (through a
 *   `.part` file renamed at the end, so the host never reads half a file) or, with `path` None, into an in-memory
 *   buffer kept under `token` for `chunk` to hand out. torch goes through `.detach().cpu()`, bfloat16 (which
 *   numpy lacks) as float32, numpy as is;
 * - `info(value)`: the same description of one value (or why it is not a readable tensor), writing nothing;
 * - `chunk(token, offset, n)`: base64 of bytes [offset, offset + n) of a kept buffer; `drop(token)` frees it;
 * - `can_read(path, nonce)`: whether the file at `path` exists here and holds `nonce` (is the host's folder
 *   this process's folder, i.e. the same machine and file system?).
 */
export const HELPER_SOURCE = String.raw`
import sys, os, io, json, base64

buffers = {}

def _answer(obj):
    return base64.b64encode(json.dumps(obj).encode('utf-8')).decode('ascii')

def _type_name(v):
    t = type(v)
    m = getattr(t, '__module__', '') or ''
    q = getattr(t, '__qualname__', None) or t.__name__
    return q if m in ('builtins', '') else m + '.' + q

def _info(v):
    torch = sys.modules.get('torch')
    np = sys.modules.get('numpy')
    if torch is not None and isinstance(v, torch.Tensor):
        dt = str(v.dtype)
        dt = dt[6:] if dt.startswith('torch.') else dt
        if v.is_complex() or dt.startswith('q') or v.layout != torch.strided:
            return {'kind': 'torch', 'dtype': dt, 'shape': list(v.shape), 'unsupported': 'a ' + ('complex' if v.is_complex() else str(v.layout) if v.layout != torch.strided else 'quantized') + ' tensor (' + dt + ')'}
        size = 4 if dt == 'bfloat16' else v.element_size()
        return {'kind': 'torch', 'dtype': dt, 'saveDtype': 'float32' if dt == 'bfloat16' else dt, 'shape': list(v.shape), 'bytes': int(v.numel()) * int(size), 'device': str(v.device)}
    if np is not None and isinstance(v, np.ndarray):
        dt = str(v.dtype)
        if v.dtype.hasobject or v.dtype.kind in 'cVSUMm':
            return {'kind': 'numpy', 'dtype': dt, 'shape': list(v.shape), 'unsupported': 'an array of ' + dt}
        return {'kind': 'numpy', 'dtype': dt, 'saveDtype': dt, 'shape': list(v.shape), 'bytes': int(v.nbytes)}
    return None

def describe(g, l, names):
    out = []
    for scope, name in names:
        d = l if scope == 'locals' else g
        if name not in d:
            continue
        try:
            i = _info(d[name])
        except Exception:
            i = None
        if i is not None and 'unsupported' not in i:
            i['name'] = name
            i['scope'] = scope
            out.append(i)
    return _answer({'ok': True, 'tensors': out})

def info(v):
    try:
        i = _info(v)
        if i is None:
            return _answer({'ok': False, 'reason': 'type', 'type': _type_name(v)})
        if 'unsupported' in i:
            return _answer({'ok': False, 'reason': 'dtype', 'type': _type_name(v), 'detail': i['unsupported']})
        return _answer({'ok': True, 'info': i})
    except Exception as e:
        return _answer({'ok': False, 'reason': 'error', 'error': type(e).__name__ + ': ' + str(e)})

def _as_numpy(v, info):
    if info['kind'] == 'torch':
        t = v.detach()
        if info['dtype'] == 'bfloat16':
            t = t.float()
        return t.cpu().numpy()
    return v

def save(v, path, max_bytes, token):
    try:
        info = _info(v)
        if info is None:
            return _answer({'ok': False, 'reason': 'type', 'type': _type_name(v)})
        if 'unsupported' in info:
            return _answer({'ok': False, 'reason': 'dtype', 'type': _type_name(v), 'detail': info['unsupported']})
        if info['bytes'] > max_bytes:
            return _answer({'ok': False, 'reason': 'size', 'info': info})
        np = sys.modules.get('numpy')
        if np is None:
            import numpy as np
        a = _as_numpy(v, info)
        if path is None:
            f = io.BytesIO()
            np.save(f, a, allow_pickle=False)
            buffers[token] = f.getvalue()
            info['fileBytes'] = len(buffers[token])
        else:
            part = path + '.part'
            try:
                with open(part, 'wb') as f:
                    np.save(f, a, allow_pickle=False)
                os.replace(part, path)
            finally:
                if os.path.exists(part):
                    os.remove(part)
            info['fileBytes'] = os.path.getsize(path)
        return _answer({'ok': True, 'info': info})
    except Exception as e:
        return _answer({'ok': False, 'reason': 'error', 'error': type(e).__name__ + ': ' + str(e)})

def chunk(token, offset, n):
    b = buffers.get(token)
    if b is None:
        return _answer({'ok': False, 'reason': 'error', 'error': 'no buffer ' + token})
    return base64.b64encode(b[offset:offset + n]).decode('ascii')

def drop(token):
    buffers.pop(token, None)
    return _answer({'ok': True})

def can_read(path, nonce):
    try:
        with open(path, 'r') as f:
            return _answer({'ok': f.read() == nonce})
    except Exception:
        return _answer({'ok': False})
`;

/** A Python string literal for `s` (JSON's string syntax is a subset of Python's). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

/** The helper module: found in `sys.modules`, or created from HELPER_SOURCE and registered there. */
function helperExpr(): string {
  const name = pyString(HELPER_MODULE);
  return (
    `(lambda s: s.modules.get(${name}) or (lambda m: (exec(${pyString(HELPER_SOURCE)}, m.__dict__), s.modules.__setitem__(${name}, m), m)[2])` +
    `(__import__('types').ModuleType(${name})))(__import__('sys'))`
  );
}

/** Answers only Python evaluates (JavaScript, say, has no `__import__`): whether the session speaks Python. */
export const PROBE_EXPRESSION = "__import__('sys').implementation.name + '|' + str(7 * 6)";

/** Whether the probe's result (a `repr` of a str) came from Python. */
export function isPythonProbeResult(result: string): boolean {
  return /^['"][A-Za-z0-9_]+\|42['"]$/.test(result.trim());
}

/** Lists the tensors/arrays among `names` (scope, name), evaluated in the frame (its globals and locals). */
export function describeExpression(names: readonly { scope: 'locals' | 'globals'; name: string }[]): string {
  const list = `[${names.map((n) => `(${pyString(n.scope)}, ${pyString(n.name)})`).join(', ')}]`;
  return `${helperExpr()}.describe(globals(), locals(), ${list})`;
}

/**
 * Saves the value of `expression` as `.npy` to `path` (a path of the debuggee's machine), or keeps it in a
 * buffer under `token` when `path` is null. `maxBytes` is checked before anything is converted or written.
 */
export function saveExpression(expression: string, path: string | null, maxBytes: number, token: string): string {
  return `${helperExpr()}.save((${expression}), ${path === null ? 'None' : pyString(path)}, ${Math.floor(maxBytes)}, ${pyString(token)})`;
}

/** Describes the value of `expression` (a {@link InfoAnswer}) without converting or writing anything. */
export function infoExpression(expression: string): string {
  return `${helperExpr()}.info((${expression}))`;
}

export function chunkExpression(token: string, offset: number, n: number): string {
  return `${helperExpr()}.chunk(${pyString(token)}, ${offset}, ${n})`;
}

export function dropExpression(token: string): string {
  return `${helperExpr()}.drop(${pyString(token)})`;
}

export function canReadExpression(path: string, nonce: string): string {
  return `${helperExpr()}.can_read(${pyString(path)}, ${pyString(nonce)})`;
}

/** The text inside the quotes of a `repr` of an ASCII string without escapes ('…' or "…"). */
export function unquote(result: string): string {
  const r = result.trim();
  const m = /^(['"])([A-Za-z0-9+/=]*)\1$/.exec(r);
  if (!m) throw new Error(`unexpected answer from the debugger: ${r.length > 200 ? `${r.slice(0, 200)}…` : r}`);
  return m[2]!;
}

/** Decodes a helper's answer (base64 JSON in a repr'd string). */
export function parseAnswer<T>(result: string): T {
  const text = new TextDecoder().decode(decodeBase64(unquote(result)));
  return JSON.parse(text) as T;
}

/** Base64 → bytes, without `node:` or DOM (`atob`) so this module stays pure. */
export function decodeBase64(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  if (/[^A-Za-z0-9+/]/.test(clean) || clean.length % 4 === 1) throw new Error('unexpected answer from the debugger: not base64');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** What the helper says about one tensor/array. */
export interface TensorInfo {
  kind: 'torch' | 'numpy';
  /** The dtype in the debuggee, without `torch.` (`float32`, `bfloat16`, `int64`, `bool`, …). */
  dtype: string;
  /** The dtype of the written `.npy` (float32 for bfloat16). */
  saveDtype: string;
  shape: number[];
  /** Bytes of the converted array (what the size limit is checked against). */
  bytes: number;
  device?: string;
  /** Size of the written `.npy` (header included), after a successful save. */
  fileBytes?: number;
}

export interface DescribedTensor extends TensorInfo {
  name: string;
  scope: 'locals' | 'globals';
}

export type InfoAnswer = SaveAnswer;

export type SaveAnswer =
  | { ok: true; info: TensorInfo }
  | { ok: false; reason: 'type'; type: string }
  | { ok: false; reason: 'dtype'; type: string; detail: string }
  | { ok: false; reason: 'size'; info: TensorInfo }
  | { ok: false; reason: 'error'; error: string };
