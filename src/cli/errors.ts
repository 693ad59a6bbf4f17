/**
 * The CLI's error for bad input: the dispatcher prints its message as one line on stderr and exits 2.
 * Readers and the engine throw their own error classes (which carry the file / option in the message);
 * the dispatcher treats every error the same way: one line, no stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
