/** The CLI's one way to write long output to standard output (`info`'s listing, `report`'s text and JSON). */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));
let readerGone = false;

/**
 * Writes `text` to standard output before returning. `process.stdout.write` queues in memory whatever a full pipe
 * does not take, so a long output written in one synchronous run (a listing of a million tensors, a report's JSON
 * of millions of classes) would sit in the process whole. A reader that went away (`| head`) ends the output
 * quietly.
 */
export function writeStdout(text: string): void {
  if (readerGone) return;
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        readerGone = true;
        return;
      }
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}
