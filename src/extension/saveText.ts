/** The `save` request every view serves: text through the host's save dialog. */
import * as vscode from 'vscode';
import type { ComparisonRequests } from '../protocol/messages';
import { baseName } from './tensorSpec';

type SaveRequest = ComparisonRequests['save'];

/** Save text (CSV, JSON, Markdown) through the save dialog, into the data's workspace folder by default. */
export async function saveText(p: SaveRequest['params'], nearUri: string): Promise<SaveRequest['result']> {
  const filters: Record<typeof p.format, Record<string, string[]>> = {
    csv: { CSV: ['csv'] },
    json: { JSON: ['json'] },
    md: { Markdown: ['md'] },
  };
  if (!(p.format in filters)) throw new Error(`save: unknown format ${JSON.stringify(p.format)}`);
  const name = baseName(String(p.suggestedName ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_') || `loss-report.${p.format}`;
  const near = vscode.Uri.parse(nearUri, true);
  const folder = vscode.workspace.getWorkspaceFolder(near)?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.joinPath(near, '..');
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, name), filters: filters[p.format], title: `Save ${p.format.toUpperCase()}` });
  if (!target) return { saved: false };
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(String(p.content)));
  return { saved: true };
}
