/**
 * Class names for a comparison: the `lossInspector.classNames` setting, else a `classes.json` (a JSON array of
 * strings) next to the logits file, else next to the target file, else null (the view shows indices).
 * The files are URI strings or paths; a '#' in them belongs to the path ({@link siblingOf}).
 */
import * as vscode from 'vscode';
import { CLASS_NAMES_FILE, parseClassNames } from '../readers/classNames';
import { isUriString, siblingOf } from './tensorSpec';

export async function findClassNames(fromSetting: string[] | null, logitsUri: string, targetUri: string): Promise<string[] | null> {
  if (fromSetting && fromSetting.length > 0) return fromSetting;
  const candidates: vscode.Uri[] = [];
  for (const u of [logitsUri, targetUri]) {
    try {
      // beside the file, also when its folder holds a '#' (part of the path, not a key)
      const beside = siblingOf(u, CLASS_NAMES_FILE);
      candidates.push(isUriString(beside) ? vscode.Uri.parse(beside, true) : vscode.Uri.file(beside));
    } catch {
      continue;
    }
  }
  return classNamesAt(candidates);
}

/** The names in the first of `files` (classes.json files) that exists and holds them, each file read once. */
export async function classNamesAt(files: readonly vscode.Uri[]): Promise<string[] | null> {
  const tried = new Set<string>();
  for (const f of files) {
    const key = f.toString();
    if (tried.has(key)) continue;
    tried.add(key);
    try {
      const names = parseClassNames(new TextDecoder().decode(await vscode.workspace.fs.readFile(f)));
      if (names) return names;
    } catch {
      // No classes.json there: try the next place.
    }
  }
  return null;
}
