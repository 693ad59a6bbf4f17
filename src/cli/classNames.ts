/** The CLI's class names from a `classes.json` in the first of some folders that holds one the caller accepts. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_NAMES_FILE, parseClassNames } from '../readers/classNames';

/** A malformed or unreadable file only costs the names: the next folder is tried. */
export function classNamesIn(dirs: readonly string[], accept: (names: string[]) => boolean = () => true): string[] | null {
  for (const dir of dirs) {
    const p = join(dir, CLASS_NAMES_FILE);
    if (!existsSync(p)) continue;
    let names: string[] | null = null;
    try {
      names = parseClassNames(readFileSync(p, 'utf8'));
    } catch {
      continue;
    }
    if (names && accept(names)) return names;
  }
  return null;
}
