/**
 * Which tensors of a paused frame are likely the logits and the target: the frame's tensors become pairing
 * candidates (the variable name plays the part of a container key, dtype and shape are known), so they are ranked
 * by exactly the heuristics that rank file pairs (../pairing.ts). Pure (no `vscode`).
 */
import { proposePairs, rankLogits, rankLogitsFor, rankTargets, roleEvidence, type Candidate, type ScoredPair } from '../pairing';
import type { DescribedTensor } from './pythonHelper';

/** All candidates of one frame share this pseudo-path: "same file" then counts equally for every pair. */
const FRAME_PATH = '/debugger/frame';

export function tensorCandidate(t: { name: string; dtype: string; shape: readonly number[] }): Candidate {
  return { id: t.name, path: FRAME_PATH, key: t.name, shape: t.shape, dtype: t.dtype };
}

/** The likeliest (logits, target) pairs among a frame's tensors, best first. */
export function proposeFramePairs(tensors: readonly DescribedTensor[], limit = 5): ScoredPair[] {
  return proposePairs(tensors.map(tensorCandidate), limit);
}

/** The frame's tensors ordered as logits candidates (likeliest first). */
export function rankFrameLogits(tensors: readonly DescribedTensor[]): DescribedTensor[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return rankLogits(tensors.map(tensorCandidate)).map((c) => byName.get(c.id)!);
}

/**
 * The role one chosen tensor most likely plays, and the frame's other tensors ranked as its partner. A tensor is
 * the target when its name says so or when it fits as the target of a tensor more than it fits as logits.
 */
export function partnersFor(chosen: { name: string; dtype: string; shape: readonly number[] }, tensors: readonly DescribedTensor[]): {
  chosenRole: 'logits' | 'target';
  partners: DescribedTensor[];
} {
  const c = tensorCandidate(chosen);
  const others = tensors.filter((t) => t.name !== chosen.name);
  const cands = others.map(tensorCandidate);
  const byName = new Map(others.map((t) => [t.name, t]));
  const asLogits = rankTargets(c, cands);
  const asTarget = rankLogitsFor(c, cands);
  const bestAsLogits = asLogits[0]?.score ?? -Infinity;
  const bestAsTarget = asTarget[0]?.score ?? -Infinity;
  const evidence = roleEvidence(c, 'target') - roleEvidence(c, 'logits');
  const chosenRole = evidence > 0 || (evidence === 0 && bestAsTarget > bestAsLogits) ? 'target' : 'logits';
  const ranked = chosenRole === 'target' ? asTarget.map((p) => p.logits) : asLogits.map((p) => p.target);
  return { chosenRole, partners: ranked.map((r) => byName.get(r.id)!) };
}
