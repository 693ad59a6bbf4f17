/**
 * Class names kept beside the data: a `classes.json` holding a JSON array of strings, the names of classes
 * 0…C−1. The one reader of that file's format for the CLI, the extension and the folder view.
 */

/** The file's name. */
export const CLASS_NAMES_FILE = 'classes.json';

/** The names in a `classes.json`'s text; null when it is not a non-empty JSON array of strings. */
export function parseClassNames(text: string): string[] | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}
