/**
 * Thin helpers over the `@lezer/python` syntax tree: children lists, node text, line/column lookup.
 * Lezer recovers from syntax errors (it inserts zero-width error nodes and carries on), so one broken
 * line does not hide the calls around it.
 */
import { parser } from '@lezer/python';
import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import type { Located } from './types';

export type { SyntaxNode, Tree };

export function parsePython(source: string): Tree {
  return parser.parse(source);
}

/**
 * Parses `source` reusing the tree of an earlier version of the same text: the edit is taken as the one
 * range between the common prefix and suffix, and lezer re-parses only around it (a one-character edit
 * in a 5,000-line file costs well under a millisecond instead of a full parse). Same tree as a fresh parse.
 */
export function parseIncremental(source: string, previous: { source: string; tree: Tree } | undefined): Tree {
  if (!previous) return parser.parse(source);
  const a = previous.source;
  if (a === source) return previous.tree;
  const max = Math.min(a.length, source.length);
  let start = 0;
  while (start < max && a.charCodeAt(start) === source.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = source.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === source.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  const fragments = TreeFragment.applyChanges(TreeFragment.addTree(previous.tree), [{ fromA: start, toA: endA, fromB: start, toB: endB }]);
  return parser.parse(source, fragments);
}

/** The node's children in order (the tree is immutable, so this is cheap and safe to keep). */
export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

export function isError(node: SyntaxNode): boolean {
  return node.type.isError;
}

/** Offsets of line starts; `locate` maps an offset to a 1-based line and column (UTF-16 units). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 0-based line containing `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  lineStart(line0: number): number {
    return this.starts[line0] ?? this.text.length;
  }

  /** Offset just past the line's `\n` (or the end of the text on the last line). */
  nextLineStart(line0: number): number {
    return this.starts[line0 + 1] ?? this.text.length;
  }

  position(offset: number): { line: number; column: number } {
    const l = this.lineOf(offset);
    return { line: l + 1, column: offset - (this.starts[l] as number) + 1 };
  }

  locate(start: number, end: number): Located {
    const a = this.position(start);
    const b = this.position(end);
    return { start, end, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

/** The nearest ancestor that is a statement block (`Script` or a compound statement's `Body`). */
export function blockOf(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.name === 'Script' || p.name === 'Body') return p;
  return null;
}

export function sameNode(a: SyntaxNode | null, b: SyntaxNode | null): boolean {
  return !!a && !!b && a.from === b.from && a.to === b.to && a.name === b.name;
}
