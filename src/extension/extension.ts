/**
 * Loss Inspector's entry point: wires the features (each in its own file) and registers everything disposable.
 * Activation events (package.json): our commands, the custom editor, the comparison panel's restore, and
 * `onLanguage:python` for the CodeLens, hover, diagnostics and quick-fix providers (./python) — never `*`.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { DatasetPanels } from './datasetPanel';
import { registerEvaluateFolder } from './evaluateFolder';
import { ComparisonPanels } from './comparisonPanel';
import { DebugComparisons } from './debugger/debugComparisons';
import { DebugTensorStore } from './debugger/tensorStore';
import { WorkspaceFileAccess } from './fileAccess';
import { FailedFiles } from './failedFiles';
import { Logger } from './logging';
import { Settings } from './settings';
import { TensorFileEditorProvider } from './tensorFileEditor';
import { FileUsage } from './usage';
import { WorkerClient } from './workerClient';
import { registerPythonFeatures } from './python/index';
import { fileKeyOf } from './python/types';

export function activate(context: vscode.ExtensionContext): void {
  const logger = new Logger();
  context.subscriptions.push(logger);
  const settings = new Settings(logger);
  context.subscriptions.push(settings);

  // Tensors read from a paused debugger, held in memory (debugger/tensorStore.ts).
  const debugTensors = new DebugTensorStore();
  const worker = new WorkerClient({
    workerPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    files: debugTensors.fileAccess(new WorkspaceFileAccess()),
    log: (line) => logger.info(line),
  });
  context.subscriptions.push({ dispose: () => worker.dispose() });
  // a file stays cached 20 s after its last view closes: reopening it (or its pair) reads nothing
  const usage = new FileUsage((uris) => void worker.evict(uris).catch(() => undefined), 20_000);
  context.subscriptions.push({ dispose: () => usage.dispose() });

  /** C of the comparison last opened from each Python file (Inspect), for that file's lenses when its code does not state C. */
  const fileNumClasses = new Map<string, number>();
  const numClassesChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(numClassesChanged);
  const onNumClasses = (c: number, sourceUri: string) => {
    const key = fileKeyOf(sourceUri);
    if (fileNumClasses.get(key) === c) return;
    fileNumClasses.set(key, c);
    numClassesChanged.fire();
  };

  const failedFiles = new FailedFiles();
  const panels = new ComparisonPanels({ extensionUri: context.extensionUri, worker, settings, logger, usage, onNumClasses, failedFiles });
  context.subscriptions.push(panels);
  context.subscriptions.push(TensorFileEditorProvider.register({ extensionUri: context.extensionUri, worker, settings, logger, usage }));
  context.subscriptions.push(registerCommands({ worker, settings, logger, panels, failedFiles }));
  const datasetPanels = new DatasetPanels({ extensionUri: context.extensionUri, settings, logger });
  context.subscriptions.push(datasetPanels, registerEvaluateFolder({ panels: datasetPanels, settings, logger }));
  context.subscriptions.push(new DebugComparisons({ panels, settings, logger, store: debugTensors }));
  context.subscriptions.push(
    registerPythonFeatures(context, {
      getSettings: () => {
        const s = settings.value;
        return { codeLensEnabled: s.codeLensEnabled, diagnosticsEnabled: s.diagnosticsEnabled, defaultNumClasses: s.defaultNumClasses };
      },
      comparedNumClasses: (uri) => fileNumClasses.get(uri),
      onDidChangeLastNumClasses: numClassesChanged.event,
    }),
  );

  logger.info(`Loss Inspector ${String(context.extension.packageJSON.version ?? '')} activated`);
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
