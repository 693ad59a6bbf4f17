/**
 * Pairs prediction files with reference files by case id, the way nnU-Net and MONAI name them: the file name
 * without its tensor extension, without a trailing nnU-Net channel suffix (`_0000`), and without one of the
 * role suffixes `_logits`, `_probs`, `_pred`, `_seg`, `_label`. `case_007_0000.nii.gz`, `case_007_seg.nii.gz`
 * and `case_007.npz` are all case `case_007`. Pure: takes names, never reads a folder.
 */

const TENSOR_EXT_RE = /\.(npy|npz|pt|pth|safetensors|nii\.gz|nii)$/i;
const ROLE_SUFFIX_RE = /_(logits|probs|pred|seg|label)$/i;
// Only the first channel's suffix: case numbers are often four digits too (`liver_0001_0000` is case `liver_0001`).
const CHANNEL_SUFFIX_RE = /_0000$/;

/** True for the file names the readers handle (by extension). */
export function isTensorFileName(name: string): boolean {
  return TENSOR_EXT_RE.test(name);
}

/**
 * The case id of a file name: extension, then a role suffix, then a channel suffix removed (in whichever order
 * they appear at the end: `x_0000_seg`, `x_seg_0000` and `x` agree). Never empty: a name that would strip to
 * nothing keeps its stem.
 */
export function caseId(fileName: string): string {
  const stem = fileName.replace(TENSOR_EXT_RE, '');
  let id = stem;
  for (let i = 0; i < 2; i++) {
    const next = id.replace(ROLE_SUFFIX_RE, '').replace(CHANNEL_SUFFIX_RE, '');
    if (next === '' || next === id) break;
    id = next;
  }
  return id === '' ? stem : id;
}

export interface CasePair {
  id: string;
  prediction: string;
  reference: string;
}

export interface Pairing {
  /** Sorted by case id. */
  pairs: CasePair[];
  /** Files without a partner, sorted. */
  unmatchedPredictions: string[];
  unmatchedReferences: string[];
}

/** Two files in one folder that map to the same case id. */
export class DuplicateCaseError extends Error {
  override name = 'DuplicateCaseError';
  constructor(
    readonly folder: 'predictions' | 'references',
    readonly id: string,
    readonly files: [string, string],
  ) {
    super(`${folder}: ${files[0]} and ${files[1]} are both case '${id}'; keep one of them (or move it out of the folder)`);
  }
}

function byId(names: readonly string[], folder: 'predictions' | 'references'): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of [...names].sort()) {
    const id = caseId(n);
    const seen = m.get(id);
    if (seen !== undefined) throw new DuplicateCaseError(folder, id, [seen, n]);
    m.set(id, n);
  }
  return m;
}

/** Pairs two lists of tensor file names (names, not paths). Throws {@link DuplicateCaseError}. */
export function pairCases(predictions: readonly string[], references: readonly string[]): Pairing {
  const p = byId(predictions.filter(isTensorFileName), 'predictions');
  const r = byId(references.filter(isTensorFileName), 'references');
  const pairs: CasePair[] = [];
  const unmatchedPredictions: string[] = [];
  for (const [id, prediction] of p) {
    const reference = r.get(id);
    if (reference === undefined) unmatchedPredictions.push(prediction);
    else pairs.push({ id, prediction, reference });
  }
  const unmatchedReferences = [...r].filter(([id]) => !p.has(id)).map(([, n]) => n);
  pairs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { pairs, unmatchedPredictions: unmatchedPredictions.sort(), unmatchedReferences: unmatchedReferences.sort() };
}
