/**
 * Jupyter notebooks (`.ipynb`, nbformat 4, and nbformat 3's worksheets): read the cells from the JSON and
 * hide IPython syntax from the Python parser. Line magics (`%matplotlib inline`) and shell escapes
 * (`!pip install monai`) are replaced by spaces of the same length, so offsets, lines and columns stay
 * those of the cell; a cell whose first line is a non-Python cell magic (`%%bash`, `%%writefile`…) is not
 * analysed, while `%%time`-like magics only lose their first line.
 */
import { analyzeCells } from './analyze';
import type { NotebookAnalysis } from './types';

export interface NotebookCell {
  /** 0-based position among all cells (VS Code's `NotebookCell.index`). */
  index: number;
  kind: 'code' | 'markdown' | 'raw';
  source: string;
}

export class NotebookFormatError extends Error {
  override name = 'NotebookFormatError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function sourceText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  return null;
}

/** The cells of a notebook's JSON text; throws NotebookFormatError naming the file and the problem. */
export function readNotebook(text: string, fileName: string): { cells: NotebookCell[]; language: string | null } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(`${fileName}: not a notebook: invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) throw new NotebookFormatError(`${fileName}: not a notebook: the JSON is not an object`);
  let rawCells: unknown = doc['cells'];
  if (rawCells === undefined && Array.isArray(doc['worksheets'])) {
    rawCells = (doc['worksheets'] as unknown[]).flatMap((w) => (isObject(w) && Array.isArray(w['cells']) ? (w['cells'] as unknown[]) : []));
  }
  if (!Array.isArray(rawCells)) throw new NotebookFormatError(`${fileName}: not a notebook: no "cells" array`);
  const cells: NotebookCell[] = rawCells.map((c, index) => {
    if (!isObject(c)) throw new NotebookFormatError(`${fileName}: cell ${index + 1} is not an object`);
    const type = c['cell_type'];
    const kind = type === 'code' ? 'code' : type === 'markdown' || type === 'heading' ? 'markdown' : 'raw';
    const source = sourceText(c['source'] ?? c['input'] ?? '');
    if (source === null) throw new NotebookFormatError(`${fileName}: cell ${index + 1} has no text source`);
    return { index, kind, source };
  });
  const meta = isObject(doc['metadata']) ? doc['metadata'] : {};
  const info = isObject(meta['language_info']) ? meta['language_info'] : null;
  const kernel = isObject(meta['kernelspec']) ? meta['kernelspec'] : null;
  const language = typeof info?.['name'] === 'string' ? (info['name'] as string) : typeof kernel?.['language'] === 'string' ? (kernel['language'] as string) : null;
  return { cells, language };
}

/** Cell magics whose body is still Python. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'python', 'python3', 'autoreload']);

/** Replaces IPython-only lines by spaces (same length); null when the cell is not Python at all. */
export function stripMagics(source: string): string | null {
  const lines = source.split('\n');
  const first = (lines[0] ?? '').trimStart();
  if (first.startsWith('%%')) {
    const rest = first.slice(2);
    let end = 0;
    while (end < rest.length && rest[end] !== ' ' && rest[end] !== '\t' && rest[end] !== '\r') end++;
    const name = rest.slice(0, end);
    if (!PYTHON_CELL_MAGICS.has(name)) return null;
  }
  return lines
    .map((line) => {
      const t = line.trimStart();
      return t.startsWith('%') || t.startsWith('!') ? ' '.repeat(line.length) : line;
    })
    .join('\n');
}

/** Analyses the code cells of a notebook's JSON text (none when its language is not Python). */
export function analyzeNotebookText(text: string, fileName: string): NotebookAnalysis {
  const { cells, language } = readNotebook(text, fileName);
  if (language !== null && language.toLowerCase() !== 'python') return { cells: [], calls: [], diagnostics: [] };
  const code: { cellIndex: number; source: string }[] = [];
  for (const c of cells) {
    if (c.kind !== 'code') continue;
    const source = stripMagics(c.source);
    if (source !== null) code.push({ cellIndex: c.index, source });
  }
  return analyzeCells(code);
}
