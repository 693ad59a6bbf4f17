/**
 * What the analysis does with a very large text. Parsing costs ~1 s and ~100 MB per MB of dense code
 * (lezer keeps a node per token, and past ~30 million nodes V8 cannot grow its buffer at all), so a text
 * over {@link MAX_PARSED_CHARS} is first scanned for the names a loss call must end in: with none, it has
 * no loss call and is not parsed; with one, it is refused, naming where the first one is.
 */
import { terminalNames } from './catalogue';

/** Texts up to this many characters are always parsed (well beyond any hand-written script). */
export const MAX_PARSED_CHARS = 1_000_000;

export type SizeVerdict =
  | { kind: 'parse' }
  /** Over the limit, and no loss name occurs: nothing to find, nothing parsed. */
  | { kind: 'no-loss-name' }
  /** Over the limit and names a loss: the first such name and its 1-based line and column. */
  | { kind: 'too-large'; name: string; line: number; column: number };

let namePattern: RegExp | undefined;

/** The first loss name in `text` as a whole identifier (not inside a longer name), or null. */
export function firstLossName(text: string): { name: string; index: number } | null {
  // Longest names first, so an alternation never stops at a prefix (`Dice` inside `DiceLoss` is no identifier).
  namePattern ??= new RegExp(`(?<![A-Za-z0-9_])(?:${[...terminalNames()].sort((a, b) => b.length - a.length).join('|')})(?![A-Za-z0-9_])`, 'g');
  namePattern.lastIndex = 0;
  const m = namePattern.exec(text);
  return m ? { name: m[0], index: m.index } : null;
}

export function sizeVerdict(text: string): SizeVerdict {
  if (text.length <= MAX_PARSED_CHARS) return { kind: 'parse' };
  const hit = firstLossName(text);
  if (!hit) return { kind: 'no-loss-name' };
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < hit.index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { kind: 'too-large', name: hit.name, line, column: hit.index - lineStart + 1 };
}

/** Brackets nested deeper than this are refused before parsing (CPython's own tokenizer stops at 200). */
export const MAX_BRACKET_DEPTH = 1000;

/**
 * Where brackets first nest deeper than {@link MAX_BRACKET_DEPTH} (1-based line and column), or null. Brackets
 * inside strings and comments count too: this is a bound on the parser's work, and no real code comes near it.
 */
export function tooDeep(text: string): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (++depth > MAX_BRACKET_DEPTH) return { line, column: i - lineStart + 1 };
    } else if (c === 0x29 || c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return null;
}
