/**
 * The `lossInspector.*` settings, read through the pure {@link resolveSettings} (settingsModel.ts). A bad
 * setting is reported once in a warning naming it (with a button to open it) and falls back to its default.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { Logger } from './logging';
import { formatProblems, resolveSettings, SETTINGS_SECTION, type ExtensionSettings } from './settingsModel';

export class Settings extends Disposable {
  private current: ExtensionSettings;
  private lastReported = '';
  private readonly changed = this._register(new vscode.EventEmitter<ExtensionSettings>());
  /** Fires with the new settings after any `lossInspector.*` setting changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly logger: Logger) {
    super();
    this.current = this.read();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
        this.current = this.read();
        this.changed.fire(this.current);
      }),
    );
  }

  get value(): ExtensionSettings {
    return this.current;
  }

  /** The read limits the settings allow (`maxTensorMB`). */
  get limits(): { maxTensorBytes: number } {
    return { maxTensorBytes: Math.round(this.current.maxTensorMB * 1024 * 1024) };
  }

  private read(): ExtensionSettings {
    const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const { settings, problems } = resolveSettings((key) => cfg.get(key));
    const line = problems.length > 0 ? formatProblems(problems) : '';
    if (line !== this.lastReported) {
      this.lastReported = line;
      if (line) {
        this.logger.warn(line);
        const first = problems[0]!.setting;
        void vscode.window.showWarningMessage(line, 'Open Setting').then((choice) => {
          if (choice === 'Open Setting') void vscode.commands.executeCommand('workbench.action.openSettings', first);
        });
      }
    }
    return settings;
  }
}
