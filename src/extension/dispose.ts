/**
 * Cleanup that cannot be forgotten, after vscode-hexeditor's `src/dispose.ts`: a {@link Disposable} base class
 * whose `_register()` ties a child's lifetime to its owner. Structurally compatible with `vscode.Disposable`
 * (anything with `dispose()`), and free of `vscode` imports so pure code and tests can use it.
 */
export interface IDisposable {
  dispose(): unknown;
}

/** Disposes every item, continuing past failures; rethrows the first failure afterwards. */
export function disposeAll(items: Iterable<IDisposable>): void {
  let first: unknown;
  let failed = false;
  for (const d of items) {
    try {
      d.dispose();
    } catch (e) {
      if (!failed) first = e;
      failed = true;
    }
  }
  if (failed) throw first;
}

export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  protected _disposables: IDisposable[] = [];

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    const items = this._disposables;
    this._disposables = [];
    // Last registered first: children may depend on what was registered before them.
    disposeAll(items.reverse());
  }

  /** Ties `value`'s lifetime to this object; disposes it at once if this object is already disposed. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }
}

/** A disposable from a function (like `vscode.Disposable`'s constructor), run at most once. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}
