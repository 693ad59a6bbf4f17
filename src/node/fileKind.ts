/**
 * What a path is when it is not a regular file, from `stat` alone: a tensor file must be a regular file, and
 * anything else is refused by its kind WITHOUT opening it for reading (opening a FIFO blocks until a writer comes;
 * a character device such as /dev/zero never ends).
 */
import type { Stats } from 'node:fs';

/** `a directory`, `a FIFO (named pipe)`, `a character device`, …; undefined for a regular file. */
export function nonRegularKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The one-line refusal for a path of that kind. */
export function notRegularMessage(fileName: string, kind: string): string {
  return `${fileName}: is ${kind}, not a regular file: refusing to read it`;
}
