/**
 * How a tensor inside a file is named, for every caller: the CLI (`loss-inspect report a.npz#logits`), the
 * extension's command arguments and webview state, the worker's requests and `loss-inspect dataset`'s
 * `folder#key`. One type, {@link TensorRef}, and one spec syntax, `<file>[#<key>]`:
 *
 * - **Which `#` splits**: the first one whose text before it names the file. Who knows what names a file is the
 *   caller: the CLI asks the file system (a `#` in a folder or file name, `run#3/a#b.npy#x`, stays in the path);
 *   in a URI string a `#` of the path is percent-encoded (`%23`), so there the first `#` splits. A spec that as a
 *   whole names a file has no key. Everything after the splitting `#` is the key, further `#`s included
 *   (`a.npz#x#y` is key `x#y`), so a key with `#` needs no escape.
 * - **The key is percent-decoded** (`%2F` → `/`, `%25` → `%`); text that is not valid percent-encoding is taken as
 *   written. Formatting encodes what decoding would change: in a URI string the whole key (`encodeURIComponent`,
 *   a valid fragment), after a path only `%`, so the keys a terminal user reads stay as the reader printed them,
 *   subscript keys included (`preds.pt#['a.b']`, which readers give when dotted keys collide).
 * - **No key and an empty key differ**: `a.npz` names the file's only tensor (an error lists the keys when it
 *   holds several); `a.npz#` names the key `''`, which a single unnamed tensor (`.npy`, NIfTI, a bare tensor in
 *   `.pt`) and a dict's empty key carry. So every tensor a reader lists has a spec that reaches it.
 *
 * Pure; lives with the readers because they define what a key is (dotted paths, subscript keys on collision,
 * `ReadLimits.onlyKey`) and every layer that names tensors may import them.
 */
import { TensorFileError, type TensorEntry, type TensorFile } from './types';

/** A tensor in a file. */
export interface TensorRef {
  /** The file: a URI string (the extension) or a path (the CLI). */
  uri: string;
  /**
   * The key inside the file as the readers list it, or null for "not named": the file's only tensor. `''` is a
   * real key (a single unnamed tensor's).
   */
  key: string | null;
}

/**
 * Reads `<file>[#<key>]`. `namesFile(prefix)` says whether text before a `#` names the file (the CLI's stat);
 * without it the first `#` splits, which is right for URI strings. See the module comment for the rule.
 */
export function parseTensorRef(spec: string, namesFile?: (prefix: string) => boolean): TensorRef {
  let hash = spec.indexOf('#');
  if (namesFile !== undefined) {
    if (hash < 0 || namesFile(spec)) return { uri: spec, key: null };
    while (hash >= 0 && (hash === 0 || !namesFile(spec.slice(0, hash)))) hash = spec.indexOf('#', hash + 1);
  }
  if (hash < 0) return { uri: spec, key: null };
  return { uri: spec.slice(0, hash), key: decodeKey(spec.slice(hash + 1)) };
}

/** The spec of `ref`; {@link parseTensorRef} reads it back (a path with `#` in it given the same `namesFile`). */
export function formatTensorRef(ref: TensorRef): string {
  if (ref.key === null) return ref.uri;
  return `${ref.uri}#${isUriString(ref.uri) ? encodeUriKey(ref.key) : ref.key.replace(/%/g, '%25')}`;
}

/**
 * `encodeURIComponent`, except that a lone surrogate (a JSON header's `"\ud800"` key; it has no UTF-8, so
 * encodeURIComponent throws) stays as it is, which decoding passes through unchanged.
 */
function encodeUriKey(key: string): string {
  let out = '';
  for (const ch of key) out += ch.length === 1 && ch >= '\ud800' && ch <= '\udfff' ? ch : encodeURIComponent(ch);
  return out;
}

function decodeKey(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Display label (not a spec: nothing escaped): `preds.pt#logits`, or the file's base name when no key is named. */
export function tensorRefLabel(ref: TensorRef): string {
  let name: string;
  if (isUriString(ref.uri)) {
    name = baseName(ref.uri.replace(/[?#].*$/, ''));
    try {
      name = decodeURIComponent(name);
    } catch {
      /* keep it encoded */
    }
  } else name = baseName(ref.uri.replace(/\\/g, '/'));
  return ref.key ? `${name}#${ref.key}` : name;
}

/** A URI string's scheme and colon (`file:`, `vscode-remote:`). */
export const URI_SCHEME = /^[a-zA-Z][\w+.-]+:/;
const WINDOWS_PATH = /^[a-zA-Z]:[\\/]/;

/** Whether `s` is a URI string (`file:///…`, `vscode-remote://…`) rather than a file path (`C:\…` is a path). */
export function isUriString(s: string): boolean {
  return URI_SCHEME.test(s) && !WINDOWS_PATH.test(s);
}

/** The last segment of a slash-separated path or URI path: `/a/b.npy` → `b.npy`. */
export function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/**
 * The tensor that `key` names in `file` (null: the only one), as `report`, the worker and `dataset` pick it.
 * A missing key, or no key for a file of several, is a `TensorFileError('unknown-key')` naming `fileName` and
 * listing the keys (with the file's warnings, which explain subscript keys given on a collision).
 */
export function pickTensor(file: TensorFile, fileName: string, key: string | null): TensorEntry {
  const keys = file.tensors.map((t) => t.key);
  const why = file.warnings?.length ? ` (${file.warnings.join('; ')})` : '';
  if (key === null) {
    if (file.tensors.length === 1) return file.tensors[0]!;
    if (file.tensors.length === 0) throw new TensorFileError('unknown-key', fileName, 'holds no tensors');
    throw new TensorFileError('unknown-key', fileName, `holds ${keys.length} tensors: choose one with ${fileName}#KEY; keys: ${listKeys(keys)}${why}`);
  }
  const entry = file.tensors.find((t) => t.key === key);
  if (entry) return entry;
  throw new TensorFileError(
    'unknown-key',
    fileName,
    `no tensor with key ${JSON.stringify(key)}; ${keys.length ? `available keys: ${listKeys(keys)}` : 'the file holds no tensors'}${why}`,
  );
}

/** `"a", "b", … (+N more)`: keys quoted, so `''` (a single unnamed tensor) is visible. */
export function listKeys(keys: readonly string[], max = 20): string {
  const shown = keys.slice(0, max).map((k) => JSON.stringify(k));
  return shown.join(', ') + (keys.length > max ? `, … (+${keys.length - max} more)` : '');
}
