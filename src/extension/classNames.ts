/**
 * Class names for a comparison: the `lossInspector.classNames` setting, else a `classes.json` (a JSON array of
 * strings) next to the logits file, else next to the target file, else null (the view shows indices).
 * The files are URI strings or paths; a '#' in them belongs to the path ({@link siblingOf}).
 */
import * as vscode from 'vscode';
import { parseClassNames } from './settingsModel';
import { isUriString, siblingOf } from './tensorSpec';

export async function findClassNames(fromSetting: string[] | null, logitsUri: string, targetUri: string): Promise<string[] | null> {
  if (fromSetting && fromSetting.length > 0) return fromSetting;
  const tried = new Set<string>();
  for (const u of [logitsUri, targetUri]) {
    let candidate: vscode.Uri;
    try {
      // beside the file, also when its folder holds a '#' (part of the path, not a key)
      const beside = siblingOf(u, 'classes.json');
      candidate = isUriString(beside) ? vscode.Uri.parse(beside, true) : vscode.Uri.file(beside);
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
