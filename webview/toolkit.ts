/**
 * The only module that knows about `@vscode/webview-ui-toolkit` (deprecated upstream): it registers the
 * components both webviews use and builds them through small factories, so that moving to another
 * component library (e.g. `@vscode-elements/elements`) changes this file and the CSS, not the views.
 *
 * The toolkit styles itself through constructed stylesheets, which the CSP does not restrict; its one
 * `<style>` (FAST's focus-visible probe, empty) is allowed by the empty-string hash in `style-src`.
 * `vscode-badge` is not used: it writes a `style` attribute that the CSP blocks.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import { el, type Props } from './common/dom';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDataGrid(),
    vsCodeDataGridRow(),
    vsCodeDataGridCell(),
    vsCodeDivider(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
    vsCodeTextField(),
  );
}

/** A control with a string value (dropdown, text field); fires `change` (and `input` while typing). */
export interface ValueControl extends HTMLElement {
  value: string;
  disabled: boolean;
}

/** A checkbox; fires `change` (also when `checked` is set from code: guard with a flag). */
export interface CheckControl extends HTMLElement {
  checked: boolean;
  disabled: boolean;
}

export interface ButtonProps extends Props {
  appearance?: 'primary' | 'secondary' | 'icon';
  ariaLabel?: string;
  onClick?: (e: MouseEvent) => void;
}

export function button(label: string, props: ButtonProps = {}): HTMLElement & { disabled: boolean } {
  const b = el('vscode-button', {
    ...props,
    text: label,
    attrs: { ...props.attrs, appearance: props.appearance ?? 'secondary', 'aria-label': props.ariaLabel },
  }) as HTMLElement & { disabled: boolean };
  if (props.onClick) b.addEventListener('click', props.onClick);
  return b;
}

export function checkbox(label: string, checked: boolean, props: Props = {}): CheckControl {
  const c = el('vscode-checkbox', { ...props, text: label, attrs: { ...props.attrs, checked } }) as CheckControl;
  c.checked = checked;
  return c;
}

export interface Choice {
  value: string;
  label: string;
}

export function dropdown(choices: readonly Choice[], value: string, props: Props = {}): ValueControl {
  const d = el('vscode-dropdown', props) as ValueControl;
  setChoices(d, choices, value);
  return d;
}

/** Replaces a dropdown's options, keeping `value` selected. */
export function setChoices(d: ValueControl, choices: readonly Choice[], value: string): void {
  d.replaceChildren(
    ...choices.map((c) => el('vscode-option', { text: c.label, attrs: { value: c.value, selected: c.value === value } })),
  );
  d.value = value;
}

/** Selects `value` in a dropdown, also before the element has upgraded. */
export function setDropdownValue(d: ValueControl, value: string): void {
  for (const o of Array.from(d.children)) o.toggleAttribute('selected', o.getAttribute('value') === value);
  d.value = value;
}

export interface TextFieldProps extends Props {
  placeholder?: string;
  size?: number;
  label?: string;
  ariaLabel?: string;
}

export function textField(value: string, props: TextFieldProps = {}): ValueControl {
  const t = el('vscode-text-field', {
    ...props,
    attrs: { ...props.attrs, value, placeholder: props.placeholder, size: props.size, 'aria-label': props.ariaLabel },
  }) as ValueControl;
  if (props.label) t.textContent = props.label;
  t.value = value;
  return t;
}

export function progressRing(props: Props = {}): HTMLElement {
  return el('vscode-progress-ring', props);
}

export function divider(props: Props = {}): HTMLElement {
  return el('vscode-divider', props);
}

/**
 * A data grid built from rows and cells (not `rowsData`) so that every cell can carry `data-testid` and
 * `data-value`. `columns` is a CSS grid-template-columns value. The grid gives arrow-key navigation
 * between cells; `generate-header="none"` because the header row is authored too.
 */
export function dataGrid(columns: string, props: Props = {}): HTMLElement {
  const g = el('vscode-data-grid', { ...props, attrs: { ...props.attrs, 'generate-header': 'none', 'grid-template-columns': columns } });
  return g;
}

export function dataGridRow(kind: 'default' | 'header' | 'sticky-header' = 'default', props: Props = {}): HTMLElement {
  return el('vscode-data-grid-row', { ...props, attrs: { ...props.attrs, 'row-type': kind === 'default' ? undefined : kind } });
}

export function dataGridCell(column: number, kind: 'default' | 'columnheader' | 'rowheader' = 'default', props: Props = {}): HTMLElement {
  return el('vscode-data-grid-cell', {
    ...props,
    attrs: { ...props.attrs, 'grid-column': column, 'cell-type': kind === 'default' ? undefined : kind },
  });
}
