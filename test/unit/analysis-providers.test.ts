// The VS Code side of the Python analysis (src/extension/python) against a small stand-in for the
// `vscode` module: lenses with the inspect command and its argument, hovers, diagnostics (set on open,
// debounced on change, cleared on close and when disabled), the quick fix as a WorkspaceEdit, notebook
// cells, and disposal of everything registered. The real editor runs these providers in test/e2e.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';

// ---- a minimal `vscode` -------------------------------------------------------------------------------
type Listener<T> = (e: T) => void;
class EventEmitter<T = void> {
  listeners = new Set<Listener<T>>();
  disposed = false;
  event = (l: Listener<T>) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T) {
    for (const l of [...this.listeners]) l(e);
  }
  dispose() {
    this.disposed = true;
    this.listeners.clear();
  }
}
class Disposable {
  constructor(private fn: () => void) {}
  static from(...items: { dispose(): unknown }[]) {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose() {
    this.fn();
  }
}
class Position {
  constructor(readonly line: number, readonly character: number) {}
}
class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c as number, d as number) : (b as Position);
  }
}
class Uri {
  constructor(readonly scheme: string, readonly path: string, readonly fragment = '') {}
  toString() {
    return `${this.scheme}://${this.path}${this.fragment ? `#${this.fragment}` : ''}`;
  }
}
const QuickFix = { value: 'quickfix', contains: (k: { value: string }) => k.value.startsWith('quickfix') };
const registrations: { kind: string; selector: unknown; provider: unknown; disposed: boolean; metadata?: unknown }[] = [];
function register(kind: string) {
  return (selector: unknown, provider: unknown, metadata?: unknown) => {
    const r = { kind, selector, provider, disposed: false, metadata };
    registrations.push(r);
    return { dispose: () => (r.disposed = true) };
  };
}
const collections: FakeCollection[] = [];
class FakeCollection {
  entries = new Map<string, unknown[]>();
  disposed = false;
  constructor(readonly name: string) {
    collections.push(this);
  }
  set(uri: Uri, d: unknown[]) {
    this.entries.set(uri.toString(), d);
  }
  delete(uri: Uri) {
    this.entries.delete(uri.toString());
  }
  get(uri: Uri) {
    return this.entries.get(uri.toString());
  }
  dispose() {
    this.disposed = true;
  }
}
const events = {
  open: new EventEmitter<FakeDocument>(),
  change: new EventEmitter<{ document: FakeDocument; contentChanges: unknown[] }>(),
  close: new EventEmitter<FakeDocument>(),
  openNb: new EventEmitter<FakeNotebook>(),
  changeNb: new EventEmitter<{ notebook: FakeNotebook; contentChanges: unknown[]; cellChanges: { document?: unknown }[] }>(),
  closeNb: new EventEmitter<FakeNotebook>(),
  config: new EventEmitter<{ affectsConfiguration(s: string): boolean }>(),
};
const workspace = {
  textDocuments: [] as FakeDocument[],
  notebookDocuments: [] as FakeNotebook[],
  onDidOpenTextDocument: events.open.event,
  onDidChangeTextDocument: events.change.event,
  onDidCloseTextDocument: events.close.event,
  onDidOpenNotebookDocument: events.openNb.event,
  onDidChangeNotebookDocument: events.changeNb.event,
  onDidCloseNotebookDocument: events.closeNb.event,
  onDidChangeConfiguration: events.config.event,
};
const fakeVscode = {
  EventEmitter,
  Disposable,
  Position,
  Range,
  CodeLens: class {
    constructor(readonly range: Range, readonly command: { title: string; command: string; arguments?: unknown[]; tooltip?: string }) {}
  },
  Hover: class {
    constructor(readonly contents: { value: string }, readonly range: Range) {}
  },
  MarkdownString: class {
    constructor(readonly value: string) {}
  },
  Diagnostic: class {
    code: unknown;
    source: string | undefined;
    relatedInformation: unknown[] | undefined;
    constructor(readonly range: Range, readonly message: string, readonly severity: number) {}
  },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  DiagnosticRelatedInformation: class {
    constructor(readonly location: { uri: Uri; range: Range }, readonly message: string) {}
  },
  Location: class {
    constructor(readonly uri: Uri, readonly range: Range) {}
  },
  CodeAction: class {
    edit: unknown;
    diagnostics: unknown[] = [];
    isPreferred = false;
    constructor(readonly title: string, readonly kind: unknown) {}
  },
  CodeActionKind: { QuickFix },
  WorkspaceEdit: class {
    replacements: { uri: Uri; range: Range; text: string }[] = [];
    replace(uri: Uri, range: Range, text: string) {
      this.replacements.push({ uri, range, text });
    }
  },
  NotebookCellKind: { Markup: 1, Code: 2 },
  languages: {
    createDiagnosticCollection: (name: string) => new FakeCollection(name),
    registerCodeLensProvider: register('codeLens'),
    registerHoverProvider: register('hover'),
    registerCodeActionsProvider: register('codeActions'),
  },
  workspace,
};

class FakeDocument {
  version = 1;
  isClosed = false;
  constructor(readonly uri: Uri, private text: string, readonly languageId = 'python') {}
  getText() {
    return this.text;
  }
  setText(t: string) {
    this.text = t;
    this.version++;
  }
  offsetAt(p: Position) {
    const lines = this.text.split('\n');
    let o = 0;
    for (let i = 0; i < p.line; i++) o += lines[i]!.length + 1;
    return o + p.character;
  }
  positionAt(offset: number) {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length - 1;
    return new Position(line, offset - (before.lastIndexOf('\n') + 1));
  }
}
class FakeNotebook {
  isClosed = false;
  cells: { index: number; kind: number; document: FakeDocument }[];
  constructor(readonly uri: Uri, sources: [kind: 'code' | 'markdown', text: string][]) {
    this.cells = sources.map(([kind, text], index) => ({
      index,
      kind: kind === 'code' ? 2 : 1,
      document: new FakeDocument(new Uri('vscode-notebook-cell', uri.path, `c${index}`), text, kind === 'code' ? 'python' : 'markdown'),
    }));
  }
  getCells() {
    return this.cells;
  }
  cellAt(i: number) {
    return this.cells[i]!;
  }
}

// Resolve `import * as vscode from 'vscode'` to the stand-in.
const M = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
const originalLoad = M._load;
M._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? fakeVscode : originalLoad.call(this, request, ...rest);
};
const { registerPythonFeatures } = require('../../src/extension/python/index') as typeof import('../../src/extension/python/index');

// ---- the tests ----------------------------------------------------------------------------------------
const TRAIN = [
  'import torch.nn as nn',
  'from monai.losses import DiceCELoss',
  'model = UNet(out_channels=14)',
  'loss = DiceCELoss(to_onehot_y=True, softmax=True)',
  'loss.cross_entropy.label_smoothing = 0.1',
  'bad = nn.BCEWithLogitsLoss(label_smoothing=0.1)',
  '',
].join('\n');

let settings = { codeLensEnabled: true, diagnosticsEnabled: true, defaultNumClasses: 2 };
let lastC: number | undefined;
let cChanged: EventEmitter<void>;
let context: { subscriptions: { dispose(): unknown }[] };

function setup(docs: FakeDocument[], notebooks: FakeNotebook[] = []) {
  workspace.textDocuments = docs;
  workspace.notebookDocuments = notebooks;
  const features = registerPythonFeatures(context as never, { getSettings: () => settings, comparedNumClasses: () => lastC, onDidChangeLastNumClasses: cChanged.event });
  const provider = (kind: string) => registrations.find((r) => r.kind === kind && !r.disposed)!.provider as Record<string, (...a: unknown[]) => unknown>;
  return { features, lens: provider('codeLens'), hover: provider('hover'), actions: provider('codeActions'), collection: collections[collections.length - 1]! };
}

beforeEach(() => {
  registrations.length = 0;
  collections.length = 0;
  settings = { codeLensEnabled: true, diagnosticsEnabled: true, defaultNumClasses: 2 };
  lastC = undefined;
  cChanged = new EventEmitter<void>();
  context = { subscriptions: [] };
});
afterEach(() => {
  for (const s of context.subscriptions) s.dispose();
  mock.timers.reset();
});

test('registers on {language: python} and owns everything it registered', () => {
  const doc = new FakeDocument(new Uri('file', '/w/train.py'), TRAIN);
  const { features, collection } = setup([doc]);
  assert.deepEqual(registrations.map((r) => [r.kind, r.selector]), [['codeLens', { language: 'python' }], ['hover', { language: 'python' }], ['codeActions', { language: 'python' }]]);
  assert.equal(context.subscriptions.length, 1);
  assert.ok(Object.values(events).every((e) => e.listeners.size === 1));
  features.dispose();
  features.dispose(); // idempotent
  assert.ok(registrations.every((r) => r.disposed));
  assert.ok(collection.disposed);
  assert.ok(Object.values(events).every((e) => e.listeners.size === 0));
  assert.equal(cChanged.listeners.size, 0);
});

test('CodeLens: summary and Inspect with {options, uri, line}; off by setting; refreshed when C changes', () => {
  const doc = new FakeDocument(new Uri('file', '/w/train.py'), TRAIN);
  const { lens } = setup([doc]);
  const lenses = lens.provideCodeLenses!(doc) as { range: Range; command: { title: string; command: string; arguments?: unknown[] } }[];
  assert.deepEqual(
    lenses.map((l) => [l.range.start.line, l.range.start.character, l.command.title, l.command.command]),
    [
      [3, 7, 'ε 0.1 · C 14 → target 0.9071 / 0.0071 · floor 0.5473 · ε set on line 5', ''],
      [3, 7, 'Inspect with these settings…', 'lossInspector.inspectWithOptions'],
      [5, 6, 'ε n/a — BCEWithLogitsLoss takes no label_smoothing · C 14', ''],
    ],
  );
  assert.deepEqual(lenses[1]!.command.arguments, [{ options: { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 }, uri: 'file:///w/train.py', line: 3 }]);
  let fired = 0;
  (lens.onDidChangeCodeLenses as unknown as (l: () => void) => unknown)(() => fired++);
  lastC = 5;
  cChanged.fire();
  assert.equal(fired, 1);
  settings = { ...settings, codeLensEnabled: false };
  assert.deepEqual(lens.provideCodeLenses!(doc), []);
});

test('hover on label_smoothing of the post-hoc assignment', () => {
  const doc = new FakeDocument(new Uri('file', '/w/train.py'), TRAIN);
  const { hover } = setup([doc]);
  const h = hover.provideHover!(doc, new Position(4, 25)) as { contents: { value: string }; range: Range };
  assert.ok(h.contents.value.includes('**0.9071** on the true class'));
  assert.deepEqual([h.range.start, h.range.end], [new Position(4, 19), new Position(4, 34)]);
  assert.equal(hover.provideHover!(doc, new Position(0, 2)), undefined);
});

test('diagnostics on open, debounced on change, cleared on close and when disabled', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const doc = new FakeDocument(new Uri('file', '/w/train.py'), TRAIN);
  const other = new FakeDocument(new Uri('file', '/w/README.md'), '# nn.CrossEntropyLoss(label_smoothing=2)', 'markdown');
  const { collection } = setup([doc, other]);
  const shown = () => (collection.get(doc.uri) as { code: string; severity: number; source: string; range: Range; relatedInformation?: { location: { range: Range } }[] }[] | undefined) ?? [];
  assert.deepEqual(shown().map((d) => [d.code, d.severity, d.source, d.range.start.line, d.range.start.character]), [
    ['li-posthoc-eps', 2, 'Loss Inspector', 4, 0],
    ['li-eps-unsupported', 0, 'Loss Inspector', 5, 27],
  ]);
  assert.deepEqual(shown()[0]!.relatedInformation!.map((r) => [r.location.range.start.line, r.location.range.start.character]), [[3, 7]]);
  assert.equal(collection.get(other.uri), undefined);

  doc.setText(TRAIN.replace('label_smoothing=0.1)', 'reduction="sum")'));
  events.change.fire({ document: doc, contentChanges: [{}] });
  mock.timers.tick(299);
  assert.equal(shown().length, 2, 'not before 300 ms');
  events.change.fire({ document: doc, contentChanges: [{}] });
  mock.timers.tick(299);
  assert.equal(shown().length, 2, 'the timer restarts on each edit');
  mock.timers.tick(1);
  assert.deepEqual(shown().map((d) => d.code), ['li-posthoc-eps']);

  settings = { ...settings, diagnosticsEnabled: false };
  events.config.fire({ affectsConfiguration: (s) => s === 'lossInspector' });
  return Promise.resolve().then(() => {
    assert.equal(collection.get(doc.uri), undefined, 'cleared when disabled');
    settings = { ...settings, diagnosticsEnabled: true };
    events.open.fire(doc);
    assert.equal(shown().length, 1);
    events.close.fire(doc);
    assert.equal(collection.get(doc.uri), undefined, 'cleared on close');
  });
});

test('quick fix: a WorkspaceEdit that moves ε into the constructor', () => {
  const doc = new FakeDocument(new Uri('file', '/w/train.py'), TRAIN);
  const { actions, collection } = setup([doc]);
  const diagnostics = collection.get(doc.uri) as { range: Range; code: string }[];
  const posthoc = diagnostics.find((d) => d.code === 'li-posthoc-eps')!;
  const result = actions.provideCodeActions!(doc, posthoc.range, { diagnostics: [posthoc], only: undefined }) as {
    title: string;
    kind: unknown;
    isPreferred: boolean;
    diagnostics: unknown[];
    edit: { replacements: { uri: Uri; range: Range; text: string }[] };
  }[];
  assert.equal(result.length, 1);
  const [a] = result;
  assert.equal(a!.title, 'Move label_smoothing=0.1 into the DiceCELoss(…) call');
  assert.equal(a!.kind, QuickFix);
  assert.ok(a!.isPreferred);
  assert.deepEqual(a!.diagnostics, [posthoc]);
  let text = doc.getText();
  const edits = a!.edit.replacements.map((r) => ({ start: doc.offsetAt(r.range.start), end: doc.offsetAt(r.range.end), text: r.text })).sort((x, y) => y.start - x.start);
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  assert.equal(text, TRAIN.replace('softmax=True)\nloss.cross_entropy.label_smoothing = 0.1\n', 'softmax=True, label_smoothing=0.1)\n'));
  // No action for the error without a fix, nor for someone else's diagnostic.
  const unsupported = diagnostics.find((d) => d.code === 'li-eps-unsupported')!;
  assert.deepEqual(actions.provideCodeActions!(doc, unsupported.range, { diagnostics: [unsupported] }), []);
  const foreign = { ...posthoc, source: 'Pylance' };
  assert.deepEqual(actions.provideCodeActions!(doc, posthoc.range, { diagnostics: [foreign] }), []);
});

test('notebook cells: imports carried across cells, diagnostics and lenses per cell', () => {
  const nb = new FakeNotebook(new Uri('file', '/w/nb.ipynb'), [
    ['markdown', '# training'],
    ['code', '%matplotlib inline\nfrom monai.losses import DiceCELoss as DCE'],
    ['code', 'crit = DCE(softmax=True)'],
    ['code', 'crit.cross_entropy.label_smoothing = 0.2'],
  ]);
  const cells = nb.getCells().map((c) => c.document);
  const { lens, hover, collection } = setup(cells, [nb]);
  assert.equal(collection.get(cells[2]!.uri), undefined);
  const d = collection.get(cells[3]!.uri) as { code: string; relatedInformation: { location: { uri: Uri } }[] }[];
  assert.deepEqual(d.map((x) => x.code), ['li-posthoc-eps']);
  assert.equal(d[0]!.relatedInformation[0]!.location.uri.toString(), 'vscode-notebook-cell:///w/nb.ipynb#c2');
  const lenses = lens.provideCodeLenses!(cells[2]) as { command: { title: string; arguments?: { uri: string; line: number }[] } }[];
  assert.deepEqual(lenses.map((l) => l.command.title), ['ε 0.2 · C 2 → target 0.9000 / 0.1000 · floor 0.3251 · ε set on line 1', 'Inspect with these settings…']);
  assert.deepEqual(lenses[1]!.command.arguments![0]!.uri, 'vscode-notebook-cell:///w/nb.ipynb#c2');
  assert.deepEqual(lens.provideCodeLenses!(cells[3]), []);
  const h = hover.provideHover!(cells[3], new Position(0, 22)) as { contents: { value: string } };
  assert.ok(h.contents.value.includes('**0.9000** on the true class'));
});
