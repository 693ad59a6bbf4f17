/** Hover on a recognised loss's name and on `label_smoothing` (keyword or post-hoc attribute). */
import * as vscode from 'vscode';
import { hoverAt } from '../../analysis/index';
import type { PythonAnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { fileKeyOf, type PythonFeatureDeps } from './types';

export class LossHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly cache: PythonAnalysisCache,
    private readonly deps: PythonFeatureDeps,
  ) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const analysis = this.cache.get(document);
    const ctx = { lastNumClasses: this.deps.comparedNumClasses(fileKeyOf(document.uri.toString())), defaultNumClasses: this.deps.getSettings().defaultNumClasses };
    const h = hoverAt(analysis.allCalls, document.offsetAt(position), ctx, analysis.cellIndex);
    if (!h) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(h.markdown), toRange(document, h.range));
  }
}
