/**
 * The "Loss Inspector" output channel and the one way errors reach the user: a single notification carrying
 * the readers'/engine's one-line message (file or option + problem) with a *Show details* button that opens
 * the channel, where the details (error class, kind, stack, what was being done) were logged.
 */
import * as vscode from 'vscode';
import { CancelledError, WorkerFailure } from './workerClient';
import { errorDetails, notificationText, oneLine } from './errorText';

export { oneLine };

export const OUTPUT_CHANNEL_NAME = 'Loss Inspector';

export class Logger implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  show(): void {
    this.channel.show(true);
  }

  /**
   * Logs `e` with its details and shows one error notification (none for a cancellation, which the user
   * asked for). `doing` says what failed, e.g. `Comparing logits.npy with labels.npy`. Extra `actions` become
   * buttons; the promise resolves with the one chosen (never awaited by a command, which must not wait on the
   * user dismissing a notification).
   */
  showError(e: unknown, doing: string, actions: string[] = []): Promise<string | undefined> {
    if (isCancellation(e)) {
      this.channel.info(`${doing}: cancelled`);
      return Promise.resolve(undefined);
    }
    this.channel.error(`${doing}: ${oneLine(e)}`);
    const details = errorDetails(e);
    if (details) this.channel.error(details);
    // The stack only at trace level (shown when the user raises the channel's log level): bundled, it is minified.
    const stack = e instanceof WorkerFailure ? e.info.stack : e instanceof Error ? e.stack : undefined;
    if (stack) this.channel.trace(stack);
    return Promise.resolve(vscode.window.showErrorMessage(notificationText(e, doing), ...actions, 'Show details')).then((choice) => {
      if (choice === 'Show details') this.show();
      return choice === 'Show details' ? undefined : choice;
    });
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export function isCancellation(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'Canceled') || e instanceof vscode.CancellationError;
}
