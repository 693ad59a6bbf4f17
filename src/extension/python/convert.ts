/** Analysis data → VS Code objects (positions from offsets, severities). */
import * as vscode from 'vscode';
import type { AnalysisDiagnostic, TextRange } from '../../analysis/index';

export const DIAGNOSTIC_SOURCE = 'Loss Inspector';

export function toRange(document: vscode.TextDocument, r: TextRange): vscode.Range {
  return new vscode.Range(document.positionAt(r.start), document.positionAt(r.end));
}

export function toSeverity(s: AnalysisDiagnostic['severity']): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error : s === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
}

export function toDiagnostic(document: vscode.TextDocument, d: AnalysisDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(document, d), d.message, toSeverity(d.severity));
  diagnostic.code = d.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  return diagnostic;
}

/** The analysis diagnostic a VS Code diagnostic was made from (same code, same start). */
export function matchDiagnostic(document: vscode.TextDocument, diagnostic: vscode.Diagnostic, candidates: readonly AnalysisDiagnostic[]): AnalysisDiagnostic | undefined {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return undefined;
  const start = document.offsetAt(diagnostic.range.start);
  const end = document.offsetAt(diagnostic.range.end);
  return candidates.find((d) => d.code === diagnostic.code && d.start === start && d.end === end);
}
