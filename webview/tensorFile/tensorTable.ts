/**
 * The tensor editor's list: one data-grid row per tensor (key, dtype, shape, min/max/mean, NaN and Inf
 * counts) with a "Compare losses with…" pair of buttons (as logits / as target). Clicking a row, or
 * Enter on one of its cells, selects it for the detail pane. A filter field appears for long lists.
 */
import type { TensorSummary } from '../../src/protocol/messages';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatNumber, formatShape } from '../common/format';
import { button, dataGrid, dataGridCell, dataGridRow, textField } from '../toolkit';

// dtype and shape columns are as wide as their longest token: 'float32' or '4×128×128' never break.
const GRID_COLUMNS = 'minmax(10em, 2fr) minmax(max-content, 0.7fr) minmax(max-content, 1fr) repeat(3, minmax(6.5em, 1fr)) repeat(2, minmax(4em, 0.5fr)) minmax(16em, 1.4fr)';
const FILTER_FROM = 8;

export interface TensorTableEvents {
  select(index: number): void;
  compare(index: number, role: 'logits' | 'target'): void;
}

export class TensorTable {
  readonly element = el('section', { class: 'card tensors', testid: 'tensors', attrs: { 'aria-labelledby': 'tensors-title' } });
  private readonly filter = textField('', { testid: 'tensor-filter', placeholder: 'Filter by key', ariaLabel: 'Filter tensors by key', class: 'filter-field' });
  private readonly count = el('span', { class: 'muted', testid: 'tensor-count' });
  private readonly host = el('div', { class: 'table-scroll' });
  private tensors: TensorSummary[] = [];
  private selected = -1;

  constructor(private readonly events: TensorTableEvents) {
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, el('h2', { text: 'Tensors', attrs: { id: 'tensors-title' } }), this.count, this.filter),
      this.host,
    );
    this.filter.addEventListener('input', () => this.applyFilter());
  }

  render(tensors: TensorSummary[], selected: number): void {
    this.tensors = tensors;
    this.selected = selected;
    this.filter.hidden = tensors.length < FILTER_FROM;
    this.count.textContent = `${tensors.length} tensor${tensors.length === 1 ? '' : 's'}`;
    if (tensors.length === 0) {
      replaceChildren(this.host, el('p', { class: 'muted empty', testid: 'tensors-empty', text: 'This file holds no tensors.' }));
      return;
    }
    const grid = dataGrid(GRID_COLUMNS, { testid: 'tensor-table', class: 'tensor-grid', attrs: { 'aria-label': 'Tensors in the file' } });
    const header = dataGridRow('sticky-header');
    ['Key', 'dtype', 'Shape', 'Min', 'Max', 'Mean', 'NaN', 'Inf', 'Compare losses with…'].forEach((label, i) =>
      header.append(dataGridCell(i + 1, 'columnheader', { text: label, class: i >= 3 && i <= 7 ? 'numeric' : undefined })),
    );
    grid.append(header);
    tensors.forEach((t, i) => grid.append(this.row(t, i)));
    replaceChildren(this.host, grid);
    this.applyFilter();
  }

  select(index: number): void {
    this.selected = index;
    for (const r of this.host.querySelectorAll<HTMLElement>('[data-index]')) {
      const on = Number(r.dataset.index) === index;
      r.classList.toggle('is-selected', on);
      r.setAttribute('aria-selected', String(on));
    }
  }

  private row(t: TensorSummary, i: number): HTMLElement {
    const r = dataGridRow('default', { testid: `tensor-row-${i}`, class: i === this.selected ? 'is-selected' : undefined, attrs: { 'data-index': i, 'data-key': t.key, 'aria-selected': String(i === this.selected) } });
    const num = (col: number, field: string, v: number | null, text: string) => {
      const c = dataGridCell(col, 'default', { testid: `tensor-${field}-${i}`, class: `numeric${v === null ? ' is-null' : ''}${(field === 'nan' || field === 'inf') && v ? ' is-bad' : ''}`, text, title: v === null ? undefined : String(v) });
      setValue(c, v);
      return c;
    };
    const key = dataGridCell(1, 'rowheader', { testid: `tensor-key-${i}`, class: 'key-cell', text: t.key, title: t.key });
    const compare = dataGridCell(9, 'default', { class: 'compare-cell' });
    compare.append(
      button('as logits', { testid: `compare-logits-${i}`, title: `Compare losses with ${t.key} as the logits`, onClick: (e) => (e.stopPropagation(), this.events.compare(i, 'logits')) }),
      button('as target', { testid: `compare-target-${i}`, title: `Compare losses with ${t.key} as the target`, onClick: (e) => (e.stopPropagation(), this.events.compare(i, 'target')) }),
    );
    r.append(
      key,
      dataGridCell(2, 'default', { testid: `tensor-dtype-${i}`, class: 'mono token', text: t.dtype }),
      dataGridCell(3, 'default', { testid: `tensor-shape-${i}`, class: 'mono token', text: formatShape(t.shape) }),
      num(4, 'min', t.min, formatNumber(t.min)),
      num(5, 'max', t.max, formatNumber(t.max)),
      num(6, 'mean', t.mean, formatNumber(t.mean)),
      num(7, 'nan', t.nanCount, formatCount(t.nanCount)),
      num(8, 'inf', t.infCount, formatCount(t.infCount)),
      compare,
    );
    r.addEventListener('click', () => this.events.select(i));
    r.addEventListener('keydown', (e: KeyboardEvent) => {
      if ((e.key === 'Enter' || e.key === ' ') && !(e.target as HTMLElement).closest('vscode-button')) {
        e.preventDefault();
        this.events.select(i);
      }
    });
    return r;
  }

  private applyFilter(): void {
    const q = this.filter.value.trim().toLowerCase();
    let shown = 0;
    for (const r of this.host.querySelectorAll<HTMLElement>('[data-index]')) {
      const hit = q === '' || (r.dataset.key ?? '').toLowerCase().includes(q);
      r.hidden = !hit;
      if (hit) shown++;
    }
    if (q) this.count.textContent = `${shown} of ${this.tensors.length} tensors`;
    else this.count.textContent = `${this.tensors.length} tensor${this.tensors.length === 1 ? '' : 's'}`;
  }
}
