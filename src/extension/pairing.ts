/**
 * Pairing heuristics for *Compare Losses…*: which workspace tensor is most likely the logits, and which the
 * target that goes with it, so that the likeliest pair is proposed first. Pure (no `vscode`): candidates are
 * plain `{id, path, key, shape?, dtype?}` records and every score is explainable (`reasons`).
 *
 * Signals, strongest first:
 * - shapes, when known: a target must fit the logits (`[N, C, …]` with `[N, …]`, `[N, 1, …]` or `[N, C, …]`);
 *   a known misfit sinks the pair;
 * - names: role words in the key, the file stem or the parent folder (`logits`/`pred`/`output`/`prob` against
 *   `label`/`target`/`seg`/`mask`/`gt`);
 * - same stem once role words are removed (`case01_logits` with `case01_label`, `preds/case01` with `labels/case01`);
 * - same file (two keys of one container), then same folder, then same format;
 * - dtypes, when known: integer logits are implausible, integer or bool targets are typical.
 */
import { baseName, dirName, fileStem, tensorExtension } from './tensorSpec';

export interface Candidate {
  /** Stable id (the URI string; for an entry of a container, its spec `uri#key`, ../readers/tensorRef.ts). */
  id: string;
  /** Slash-separated path of the file (e.g. `uri.path`), used for stems and folders. */
  path: string;
  /** Key inside a container file, or null for a whole file. */
  key: string | null;
  shape?: readonly number[];
  dtype?: string;
}

export type Role = 'logits' | 'target';

export interface ScoredPair {
  logits: Candidate;
  target: Candidate;
  score: number;
  reasons: string[];
}

/** Role words and their weights. Tokens are lower-cased words of the name (see {@link nameTokens}). */
const LOGITS_WORDS: Readonly<Record<string, number>> = {
  logits: 3, logit: 3, pred: 3, preds: 3, prediction: 3, predictions: 3, predicted: 2, yhat: 3,
  output: 2, outputs: 2, out: 1, prob: 2, probs: 2, probability: 2, probabilities: 2, softmax: 2,
  score: 1, scores: 1, net: 1, model: 1, raw: 1,
};
const TARGET_WORDS: Readonly<Record<string, number>> = {
  label: 3, labels: 3, target: 3, targets: 3, gt: 3, groundtruth: 3, lbl: 3, seg: 2, segs: 2,
  segmentation: 2, segmentations: 2, mask: 2, masks: 2, truth: 2, annotation: 2, annotations: 2,
  ground: 1, true: 1, y: 1, ref: 1, reference: 1, manual: 1, onehot: 1,
};

/**
 * Lower-cased words of a name: split at separators, camelCase humps and letter/digit boundaries.
 * `case01_predLogits` → `case, 01, pred, logits`.
 */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

function wordScore(tokens: string[], words: Readonly<Record<string, number>>): number {
  let s = 0;
  for (const t of tokens) s += words[t] ?? 0;
  return s;
}

/** The name a candidate is known by: the key inside a container, else the file stem. */
function ownName(c: Candidate): string {
  return c.key ?? fileStem(c.path);
}

function parentFolder(c: Candidate): string {
  return baseName(dirName(c.path));
}

/**
 * How strongly a candidate looks like logits and like a target: role words in its own name count fully,
 * in the file stem (for a container key) by half, in its parent folder by half.
 */
export function roleScores(c: Candidate): Record<Role, number> {
  const own = nameTokens(ownName(c));
  const stem = c.key !== null ? nameTokens(fileStem(c.path)) : [];
  const folder = nameTokens(parentFolder(c));
  const score = (w: Readonly<Record<string, number>>) => wordScore(own, w) + 0.5 * wordScore(stem, w) + 0.5 * wordScore(folder, w);
  return { logits: score(LOGITS_WORDS), target: score(TARGET_WORDS) };
}

/** Net evidence that a candidate plays `role` (its role words minus the other role's), clamped to ±3. */
export function roleEvidence(c: Candidate, role: Role): number {
  const s = roleScores(c);
  const net = role === 'logits' ? s.logits - s.target : s.target - s.logits;
  return Math.max(-3, Math.min(3, net));
}

/** The candidate's name with role words removed: what two files of one pair have in common. */
export function residue(c: Candidate): string {
  return nameTokens(ownName(c))
    .filter((t) => !(t in LOGITS_WORDS) && !(t in TARGET_WORDS))
    .join(' ');
}

/**
 * Whether a target of shape `t` can go with logits of shape `l` (torch / MONAI conventions):
 * the same shape (one-hot, probabilities, or C == 1), `[N, 1, …]` (a channel of class indices), or the logits'
 * shape without the class axis (class indices). For rank-1 logits `[C]` a 0-d target fits.
 */
export function shapesCompatible(l: readonly number[], t: readonly number[]): boolean {
  if (l.length === 0) return false;
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (same(l, t)) return true;
  if (l.length === 1) return t.length === 0;
  const withoutClass = [l[0]!, ...l.slice(2)];
  if (same(withoutClass, t)) return true;
  return t.length === l.length && t[1] === 1 && same(withoutClass, [t[0]!, ...t.slice(2)]);
}

const INT_DTYPE = /^(u?int\d+|bool)$/;

/** Scores `logits` with `target` as a pair; higher is likelier. Both must differ. */
export function pairScore(logits: Candidate, target: Candidate): ScoredPair {
  const reasons: string[] = [];
  let score = 0;
  const lr = roleEvidence(logits, 'logits');
  const tr = roleEvidence(target, 'target');
  score += lr + tr;
  if (lr > 0) reasons.push(`“${ownName(logits)}” looks like logits`);
  if (tr > 0) reasons.push(`“${ownName(target)}” looks like a target`);

  const samePath = logits.path === target.path;
  if (samePath) {
    score += 3;
    reasons.push('same file');
  } else if (dirName(logits.path) === dirName(target.path)) {
    score += 2;
    reasons.push('same folder');
  } else if (dirName(dirName(logits.path)) === dirName(dirName(target.path))) {
    score += 0.5;
  }

  // Files saved by the same code usually share a format (logits.npy with labels.npy before labels.nii.gz).
  if (!samePath && tensorExtension(logits.path) !== null && tensorExtension(logits.path) === tensorExtension(target.path)) score += 0.5;

  const rl = residue(logits);
  const rt = residue(target);
  if (rl !== '' && rl === rt) {
    score += 4;
    reasons.push('same stem');
  } else if (rl === '' && rt === '') {
    score += 1;
  } else {
    const a = new Set(rl.split(' ').filter(Boolean));
    const b = new Set(rt.split(' ').filter(Boolean));
    const common = [...a].filter((x) => b.has(x)).length;
    const union = new Set([...a, ...b]).size;
    if (union > 0) score += (2 * common) / union;
  }

  if (logits.shape && target.shape) {
    if (shapesCompatible(logits.shape, target.shape)) {
      score += 3;
      reasons.push('shapes fit');
    } else {
      score -= 6;
    }
  }
  if (logits.dtype && INT_DTYPE.test(logits.dtype)) score -= 2;
  if (target.dtype && INT_DTYPE.test(target.dtype)) score += 1;
  return { logits, target, score, reasons };
}

/**
 * The likeliest (logits, target) pairs among the candidates, best first: at most `limit`, each candidate in at
 * most one proposed pair as logits, and only pairs with positive evidence (score > 2).
 */
export function proposePairs(cands: readonly Candidate[], limit = 5): ScoredPair[] {
  const all: ScoredPair[] = [];
  for (const l of cands) {
    if (roleEvidence(l, 'logits') < 0) continue;
    for (const t of cands) {
      if (t.id === l.id) continue;
      all.push(pairScore(l, t));
    }
  }
  all.sort((a, b) => b.score - a.score || a.logits.id.localeCompare(b.logits.id) || a.target.id.localeCompare(b.target.id));
  const out: ScoredPair[] = [];
  const usedLogits = new Set<string>();
  const usedTargets = new Set<string>();
  for (const p of all) {
    if (out.length >= limit) break;
    if (p.score <= 2 || usedLogits.has(p.logits.id) || usedTargets.has(p.target.id)) continue;
    out.push(p);
    usedLogits.add(p.logits.id);
    usedTargets.add(p.target.id);
  }
  return out;
}

/** Candidates ordered by how much they look like logits (ties by path, then key). */
export function rankLogits(cands: readonly Candidate[]): Candidate[] {
  return [...cands]
    .map((c) => ({ c, s: roleEvidence(c, 'logits') - (c.dtype && INT_DTYPE.test(c.dtype) ? 2 : 0) }))
    .sort((a, b) => b.s - a.s || a.c.path.localeCompare(b.c.path) || (a.c.key ?? '').localeCompare(b.c.key ?? ''))
    .map((x) => x.c);
}

/** Candidates for the target of `logits`, best first (the logits themselves excluded). */
export function rankTargets(logits: Candidate, cands: readonly Candidate[]): ScoredPair[] {
  return cands
    .filter((c) => c.id !== logits.id)
    .map((t) => pairScore(logits, t))
    .sort((a, b) => b.score - a.score || a.target.path.localeCompare(b.target.path) || (a.target.key ?? '').localeCompare(b.target.key ?? ''));
}

/** Candidates for the logits of `target`, best first (the target itself excluded). */
export function rankLogitsFor(target: Candidate, cands: readonly Candidate[]): ScoredPair[] {
  return cands
    .filter((c) => c.id !== target.id)
    .map((l) => pairScore(l, target))
    .sort((a, b) => b.score - a.score || a.logits.path.localeCompare(b.logits.path) || (a.logits.key ?? '').localeCompare(b.logits.key ?? ''));
}
