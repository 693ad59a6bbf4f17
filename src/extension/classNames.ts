/**
 * Class names for a comparison: the `lossInspector.classNames` setting, else a `classes.json` (a JSON array of
 * strings) next to the logits file, else next to the target file, else null (the view shows indices).
 */
import * as vscode from 'vscode';
import { parseClassNames } from './settingsModel';
import { dirName } from './tensorSpec';

export async function findClassNames(fromSetting: string[] | null, logitsUri: string, targetUri: string): Promise<string[] | null> {
  if (fromSetting && fromSetting.length > 0) return fromSetting;
  const tried = new Set<string>();
  for (const u of [logitsUri, targetUri]) {
    let candidate: vscode.Uri;
    try {
      const file = vscode.Uri.parse(u, true);
      candidate = file.with({ path: `${dirName(file.path).replace(/\/$/, '')}/classes.json`, query: '', fragment: '' });
    } catch {
      continue;
    }
    const key = candidate.toString();
    if (tried.has(key)) continue;
    tried.add(key);
    try {
      const bytes = await vscode.workspace.fs.readFile(candidate);
      const names = parseClassNames(new TextDecoder().decode(bytes));
      if (names) return names;
    } catch {
      // No classes.json there: try the next place.
    }
  }
  return null;
}
