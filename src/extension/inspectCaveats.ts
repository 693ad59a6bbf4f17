/**
 * The notes of *Inspect with these settings…* (pure: no `vscode`): the command argument checked into
 * {@link InspectCaveats}, what is left of them after the user sets options in the view, and the error a
 * view shows instead of numbers when the call has a value torch rejects.
 */
import type { LossOptions } from '../engine/types';
import type { InspectCaveats, InspectNote } from '../protocol/messages';
import { baseName } from './tensorSpec';

/** The CodeLens argument (analysis/lens.ts `InspectPayload` plus where the call is). */
export interface InspectArgs {
  options?: Partial<LossOptions>;
  notApplied?: InspectNote[];
  invalid?: InspectNote[];
  uri?: string;
  /** 0-based. */
  line?: number;
  /** Optional tensors (URI strings, `#key` allowed), as for Compare Losses; otherwise the user picks them. */
  logits?: string;
  target?: string;
}

/** The notes of an Inspect argument, checked (it may come from anywhere through `executeCommand`). */
export function inspectCaveats(args: InspectArgs): InspectCaveats | undefined {
  if (typeof args.uri !== 'string') return undefined;
  const line = typeof args.line === 'number' && Number.isInteger(args.line) && args.line >= 0 ? args.line + 1 : 1;
  const notes = (l: unknown): InspectNote[] =>
    Array.isArray(l)
      ? l
          .filter((n): n is InspectNote => typeof n === 'object' && n !== null && typeof n.param === 'string' && typeof n.text === 'string' && typeof n.reason === 'string')
          .map((n) => ({ param: n.param, key: typeof n.key === 'string' ? n.key : null, text: n.text, reason: n.reason }))
      : [];
  const path = args.uri.replace(/[?#].*$/, '');
  return { sourceUri: args.uri, line, label: `${baseName(decodeURIComponent(path))}:${line}`, notApplied: notes(args.notApplied), invalid: notes(args.invalid) };
}

/** The caveats that still hold after the user set `changed` options in the view (those notes are answered). */
export function caveatsAfterEdit(caveats: InspectCaveats, previous: LossOptions, next: LossOptions): InspectCaveats {
  const changed = (k: keyof LossOptions | null) => k !== null && JSON.stringify(previous[k]) !== JSON.stringify(next[k]);
  return { ...caveats, notApplied: caveats.notApplied.filter((n) => !changed(n.key)), invalid: caveats.invalid.filter((n) => !changed(n.key)) };
}

/** The error a comparison shows instead of numbers when the call has a value torch rejects. */
export function invalidMessage(c: InspectCaveats): string {
  const list = c.invalid.map((n) => `${n.param}=${n.text}: ${n.reason}`).join('; ');
  return `Not computed: the loss call at ${c.label} has ${c.invalid.length === 1 ? 'a value' : 'values'} torch rejects when it runs — ${list}. Fix the code and inspect again.`;
}
