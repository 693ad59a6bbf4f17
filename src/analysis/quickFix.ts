/**
 * The quick fix for a post-hoc `label_smoothing` assignment: write the value into the constructor call
 * (replacing a `label_smoothing` argument that is already there, or adding one in the call's own layout)
 * and delete the assignment. Offered only when that is a faithful move: the value is a literal, and the
 * constructor and the assignment sit in the same block of the same text, the constructor first — so no
 * condition or loop around the assignment is lost and no variable is read before it exists. An ε outside
 * [0, 1] is not moved (it is an error wherever it is).
 */
import { rawArgs } from './calls';
import { blockOf, children, sameNode, type LineIndex, type SyntaxNode } from './pyTree';
import type { LossCall, PostHocAssignment, QuickFix, TextEdit } from './types';

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) throw new Error(`overlapping edits at offset ${e.start}`);
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

export function moveIntoConstructorFix(
  src: string,
  lines: LineIndex,
  call: LossCall,
  callNode: SyntaxNode,
  postHoc: PostHocAssignment,
  stmt: SyntaxNode,
): QuickFix | null {
  const v = postHoc.value;
  if (!v.known || v.resolved || typeof v.value !== 'number' || !(v.value >= 0 && v.value <= 1)) return null;
  if (!call.acceptsSmoothing) return null;
  const callBlock = blockOf(callNode);
  if (!sameNode(callBlock, blockOf(stmt)) || callNode.to > stmt.from) return null;
  const valueText = postHoc.value.text;
  const ctor = constructorEdit(src, lines, call, callNode, valueText);
  if (!ctor) return null;
  return {
    title: `Move label_smoothing=${valueText} into the ${call.loss}(…) call`,
    edits: [ctor, deleteStatement(src, lines, stmt)],
  };
}

/** Replace an existing `label_smoothing` argument's value, or add `label_smoothing=<v>` as the last argument. */
function constructorEdit(src: string, lines: LineIndex, call: LossCall, callNode: SyntaxNode, valueText: string): TextEdit | null {
  const existing = call.args.find((a) => a.param === 'label_smoothing');
  if (existing) return { start: existing.valueRange.start, end: existing.valueRange.end, newText: valueText };
  const argList = callNode.lastChild;
  if (!argList || argList.name !== 'ArgList') return null;
  const open = argList.firstChild;
  if (!open || open.name !== '(') return null;
  const args = rawArgs(argList);
  const last = args[args.length - 1];
  const kw = `label_smoothing=${valueText}`;
  if (!last) return { start: open.to, end: open.to, newText: kw };
  const lastLine = lines.lineOf(last.from);
  if (lastLine === lines.lineOf(open.from)) return { start: last.to, end: last.to, newText: `, ${kw}` };
  // One argument per line (or several on continuation lines): a new line with the last argument's indent.
  const lineStart = lines.lineStart(lastLine);
  let indentEnd = lineStart;
  while (indentEnd < last.from && (src[indentEnd] === ' ' || src[indentEnd] === '\t')) indentEnd++;
  const eol = src[lineStart - 2] === '\r' ? '\r\n' : '\n';
  return { start: last.to, end: last.to, newText: `,${eol}${src.slice(lineStart, indentEnd)}${kw}` };
}

/**
 * Deletes a statement: its whole lines (a trailing comment goes with it), or just the statement and its
 * `;` inside `a; b`. (It never is a block's only statement: the constructor precedes it in the same block.)
 */
function deleteStatement(src: string, lines: LineIndex, stmt: SyntaxNode): TextEdit {
  const parent = stmt.parent;
  if (parent && parent.name === 'StatementGroup') {
    const parts = children(parent).filter((c) => c.name !== 'Comment');
    const k = parts.findIndex((c) => sameNode(c, stmt));
    const next = parts[k + 1];
    if (next && next.name === ';') {
      const after = parts[k + 2];
      return { start: stmt.from, end: after ? after.from : next.to, newText: '' };
    }
    const prev = parts[k - 1] as SyntaxNode; // not first, so a `;` precedes it
    return { start: prev.from, end: stmt.to, newText: '' };
  }
  return { start: lines.lineStart(lines.lineOf(stmt.from)), end: lines.nextLineStart(lines.lineOf(stmt.to)), newText: '' };
}
