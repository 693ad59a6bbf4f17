/**
 * Which files Loss Inspector reads, and where they sit. Pure (no `vscode`): shared by the command flow, the
 * custom editor's selector, the pairing heuristics and their tests. How a tensor inside a file is named (the
 * reference type and its `file#key` syntax) is ../readers/tensorRef.ts, one module for the CLI and the extension.
 */
import { baseName, isUriString, URI_SCHEME } from '../readers/tensorRef';

export { baseName, isUriString };

/** The seven tensor file patterns (for `workspace.findFiles`, the custom editor selector and the menus). */
export const TENSOR_FILE_GLOBS = ['*.npy', '*.npz', '*.pt', '*.pth', '*.safetensors', '*.nii', '*.nii.gz'] as const;

/** One glob for `workspace.findFiles` over the whole workspace. */
export const TENSOR_FILES_INCLUDE = `**/{${TENSOR_FILE_GLOBS.join(',')}}`;

/** What `findFiles` skips: dependency folders and VCS metadata. */
export const TENSOR_FILES_EXCLUDE = '**/{node_modules,.git}/**';

/**
 * The explorer when-clause regex on `resourceFilename` (case-insensitive; `.nii.gz` before `.nii` is not needed
 * because the regex is anchored at the end).
 */
export const TENSOR_FILENAME_REGEX = '\\.(npy|npz|pt|pth|safetensors|nii|nii\\.gz)$';

const EXT_RE = /\.(npy|npz|pt|pth|safetensors|nii\.gz|nii)$/i;

/** The file's tensor extension (lower case, `nii.gz` as one), or null when it is not a tensor file. */
export function tensorExtension(fileName: string): string | null {
  const m = EXT_RE.exec(fileName);
  return m ? m[1]!.toLowerCase() : null;
}

/** Formats that may hold several named tensors (the user picks a key). `.pt` may also hold a single tensor. */
export function isContainerExtension(ext: string | null): boolean {
  return ext === 'npz' || ext === 'pt' || ext === 'pth' || ext === 'safetensors';
}

/** The base name without directory and without the tensor extension: `/a/case1_logits.nii.gz` → `case1_logits`. */
export function fileStem(pathOrName: string): string {
  const base = baseName(pathOrName);
  const ext = tensorExtension(base);
  return ext ? base.slice(0, base.length - ext.length - 1) : base.replace(/\.[^.]*$/, '');
}

export function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : i === 0 ? '/' : '';
}

/**
 * The file named `name` in the folder of `uriOrPath` (a URI string or a path), in the same form. A `#` in these
 * strings belongs to the path, never a key (keys travel separately): in a path it stays as it is, in a URI it
 * is percent-encoded, so a folder such as `run#1` is kept rather than cut at the `#` into a fragment.
 */
export function siblingOf(uriOrPath: string, name: string): string {
  if (!isUriString(uriOrPath)) {
    const i = Math.max(uriOrPath.lastIndexOf('/'), uriOrPath.lastIndexOf('\\'));
    return i >= 0 ? uriOrPath.slice(0, i + 1) + name : name;
  }
  const scheme = URI_SCHEME.exec(uriOrPath)![0];
  let rest = uriOrPath.slice(scheme.length);
  let authority = '';
  if (rest.startsWith('//')) {
    const j = rest.indexOf('/', 2);
    authority = j < 0 ? rest : rest.slice(0, j);
    rest = j < 0 ? '' : rest.slice(j);
  }
  const path = rest.replace(/#/g, '%23');
  return `${scheme}${authority}${path.slice(0, path.lastIndexOf('/') + 1)}${encodeURIComponent(name)}`;
}
