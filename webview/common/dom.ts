/**
 * A tiny element builder. Under the webviews' CSP (`style-src` without 'unsafe-inline') a `style="…"`
 * attribute is blocked and silently loses its styling, so this builder refuses one: style through classes,
 * or `el.style.x = …` from code (the CSSOM is not restricted).
 */
export interface Props {
  class?: string;
  testid?: string;
  text?: string;
  title?: string;
  /** Other attributes (never `style`). A `false`/`null`/`undefined` value leaves the attribute out. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(tag: string, props?: Props, ...children: Child[]): HTMLElement;
export function el(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.testid) e.dataset.testid = props.testid;
  if (props.title) e.title = props.title;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (k.toLowerCase() === 'style') throw new Error('el(): style attributes are blocked by the CSP; use a class');
    if (v === false || v === null || v === undefined) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, ...children);
  return e;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * Marks an element as showing a number: `data-value` holds the full-precision value (`String(x)`, the
 * shortest text that parses back to the same float64; `null` when not applicable) for tests and tools.
 */
export function setValue(e: HTMLElement, value: number | null): void {
  e.dataset.value = value === null ? 'null' : String(value);
}

export function must<T extends Element>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`webview: missing element ${selector}`);
  return found;
}

/**
 * Sizes a pixel canvas (drawn at its data resolution) for display: as wide as its container allows, but
 * no taller than `maxCssHeight`, keeping the data's aspect ratio (CSS scales it, `image-rendering:
 * pixelated` keeps the pixels crisp).
 */
export function fitPixelCanvas(canvas: HTMLCanvasElement, width: number, height: number, maxCssHeight: number): void {
  canvas.style.aspectRatio = `${width} / ${height}`;
  canvas.style.width = `min(100%, ${Math.round((maxCssHeight * width) / height)}px)`;
  canvas.style.height = 'auto';
}
