/**
 * Options belong to a panel: seeded from the settings (and the command's own options) when it opens, then its
 * own — edited in its Options, changed by its fix buttons, never by a later request or a settings change.
 * When a shown pair is asked for again, only the options that request states explicitly (a command argument,
 * a CodeLens) reach the panel. Pure (no vscode): unit-tested.
 */
import { resolveOptions } from '../engine/options';
import type { LossOptions } from '../engine/types';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The options a shown panel recomputes with when its pair is requested again with `requested` (the settings
 * merged with the request's explicit keys), or null when it keeps its own: only `explicit` keys that differ
 * from the panel's are applied; everything else the panel has (its edits) stays.
 */
export function optionsOnReveal(current: LossOptions, requested: LossOptions, explicit: readonly string[] | undefined): LossOptions | null {
  const changed = (explicit ?? []).filter((k): k is keyof LossOptions => k in requested && !same(current[k as keyof LossOptions], requested[k as keyof LossOptions]));
  if (changed.length === 0) return null;
  const next: Record<string, unknown> = { ...current };
  for (const k of changed) next[k] = requested[k];
  return resolveOptions(next);
}
