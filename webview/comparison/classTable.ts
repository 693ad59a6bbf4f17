/**
 * The per-class table: a toolkit data grid (arrow keys move between cells), sortable by any column with
 * a click or Enter/Space on its header, with Copy as Markdown, Save CSV and Save JSON. Cells carry
 * `data-testid="cell-<column>-<class>"` and the full-precision value in `data-value`.
 */
import type { ComparisonState } from '../../src/protocol/messages';
import type { ComparisonClient } from '../common/client';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatDelta, formatNumber, formatPercent } from '../common/format';
import { classCss } from '../common/colormap';
import { button, dataGrid, dataGridCell, dataGridRow } from '../toolkit';
import { classRows, columnsFor, COLUMNS, exportStem, sortRows, toCsv, toJson, toMarkdown, type ClassRow, type Column, type ColumnKey, type SortDirection } from './classRows';

/** Rows drawn before "Show all" (a 1000-class output would otherwise build 9000 grid cells at once). */
export const ROW_LIMIT = 100;

/**
 * Column tracks, in the order of the report's columns (the toolkit sets them on every row, so they cannot size to
 * content): each column's `track` (classRows.ts). Headers wrap between words, never inside one, and never run into
 * the next column; the sum is the grid's `min-width: min-content`: a panel narrower than that scrolls the table
 * sideways.
 */
export function gridColumns(columns: readonly Column[]): string {
  return columns.map((c) => c.track).join(' ');
}

/** The tracks of the CE / Dice / DiceCE table. */
export const GRID_COLUMNS = gridColumns(COLUMNS);

export class ClassTableView {
  readonly element = el('section', { class: 'card per-class', testid: 'per-class', attrs: { 'aria-labelledby': 'per-class-title' } });
  private readonly status = el('span', { class: 'export-status muted', testid: 'export-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly gridHost = el('div', { class: 'table-scroll' });
  private state: ComparisonState | null = null;
  private rows: ClassRow[] = [];
  private sortKey: ColumnKey = 'class';
  private sortDir: SortDirection = 'ascending';
  private showAll = false;
  private readonly more = el('div', { class: 'more-rows' });

  constructor(private readonly client: ComparisonClient) {
    const toolbar = el(
      'div',
      { class: 'toolbar' },
      button('Copy as Markdown', { testid: 'copy-markdown', onClick: () => void this.copy() }),
      button('Save CSV', { testid: 'save-csv', onClick: () => void this.save('csv') }),
      button('Save JSON', { testid: 'save-json', onClick: () => void this.save('json') }),
    );
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, el('h2', { text: 'Per class', attrs: { id: 'per-class-title' } }), toolbar),
      this.gridHost,
      this.more,
      el('div', { class: 'card-foot' }, el('span', { class: 'muted', text: 'Δ = smoothed − hard. Click a column header (or press Enter on it) to sort.' }), this.status),
    );
  }

  render(state: ComparisonState): void {
    this.state = state;
    this.rows = classRows(state.report, state.classNames);
    this.draw();
  }

  /** The rows in the order shown. */
  get sortedRows(): ClassRow[] {
    return sortRows(this.rows, this.sortKey, this.sortDir);
  }

  sortBy(key: ColumnKey, dir?: SortDirection): void {
    if (dir) this.sortDir = dir;
    else if (key === this.sortKey) this.sortDir = this.sortDir === 'ascending' ? 'descending' : 'ascending';
    else this.sortDir = key === 'class' ? 'ascending' : 'descending';
    this.sortKey = key;
    this.draw(key);
  }

  private draw(focusKey?: ColumnKey): void {
    const state = this.state;
    if (!state) return;
    if (this.rows.length === 0) {
      replaceChildren(this.gridHost, el('p', { class: 'muted empty', testid: 'class-table-empty', text: 'No per-class numbers: the output has a single channel (binary).' }));
      return;
    }
    const columns = columnsFor(state.report);
    const grid = dataGrid(gridColumns(columns), { testid: 'class-table', class: 'class-grid', attrs: { 'aria-label': 'Per-class losses' } });
    const header = dataGridRow('sticky-header', { testid: 'class-table-header' });
    columns.forEach((col, i) => {
      const active = col.key === this.sortKey;
      const numeric = col.key !== 'class';
      const cell = dataGridCell(i + 1, 'columnheader', {
        class: `sortable col-head${numeric ? ' is-numeric' : ''}${active ? ' is-sorted' : ''}`,
        testid: `sort-${col.key}`,
        title: `${col.description} — sort`,
        attrs: { 'aria-sort': active ? this.sortDir : 'none' },
      });
      const swatch = col.series ? el('span', { class: `swatch swatch-${col.series}`, attrs: { 'aria-hidden': 'true' } }) : null;
      const indicator = active ? el('span', { class: 'sort-indicator', attrs: { 'aria-hidden': 'true' }, text: this.sortDir === 'ascending' ? '▲' : '▼' }) : null;
      // One inline run that wraps between words (see .col-head in comparison.css). A numeric column's
      // indicator goes first, so that the label ends where its right-aligned numbers end.
      cell.append(el('span', { class: 'col-head-text' }, ...(numeric ? [indicator, swatch, col.label] : [swatch, col.label, indicator])));
      cell.addEventListener('click', () => this.sortBy(col.key));
      cell.addEventListener('keydown', (e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.sortBy(col.key);
        }
      });
      header.append(cell);
    });
    grid.append(header);

    const maxContribution = Math.max(1e-300, ...this.rows.map((r) => Math.abs(r.contribution)).filter(Number.isFinite));
    const total = state.report.loss.total;
    const sorted = this.sortedRows;
    const shown = this.showAll ? sorted : sorted.slice(0, ROW_LIMIT);
    for (const row of shown) {
      const tr = dataGridRow('default', { testid: `class-row-${row.class}`, attrs: { 'data-class': row.class } });
      columns.forEach((col, i) => tr.append(this.cell(row, col.key, i + 1, maxContribution, total)));
      grid.append(tr);
    }
    replaceChildren(this.gridHost, grid);
    replaceChildren(
      this.more,
      shown.length < sorted.length
        ? el(
            'p',
            { class: 'muted' },
            `Showing ${shown.length} of ${sorted.length} classes (sorted; the exports hold all of them). `,
            button(`Show all ${sorted.length}`, {
              testid: 'show-all-classes',
              appearance: 'secondary',
              onClick: () => {
                this.showAll = true;
                this.draw();
              },
            }),
          )
        : null,
    );
    if (focusKey) {
      // Keep keyboard focus on the header that was activated (the header row was rebuilt).
      requestAnimationFrame(() => grid.querySelector<HTMLElement>(`[data-testid="sort-${focusKey}"]`)?.focus());
    }
  }

  private cell(row: ClassRow, key: ColumnKey, column: number, maxContribution: number, total: number | null): HTMLElement {
    const testid = `cell-${key}-${row.class}`;
    if (key === 'class') {
      const c = dataGridCell(column, 'rowheader', { testid, class: 'class-cell', title: row.name });
      setValue(c, row.class);
      const dot = el('span', { class: 'class-dot', attrs: { 'aria-hidden': 'true' } });
      dot.style.backgroundColor = classCss(row.class);
      c.append(dot, el('span', { class: 'class-index', text: String(row.class) }), el('span', { class: 'class-name', text: row.name }));
      return c;
    }
    const value = row[key];
    const delta = key === 'ceDelta' || key === 'diceDelta' || key === 'focalDelta';
    const c = dataGridCell(column, 'default', {
      testid,
      class: `numeric${value === null ? ' is-null' : ''}${delta && value !== null && value !== 0 ? (value > 0 ? ' is-up' : ' is-down') : ''}`,
      title: value === null ? 'not applicable' : String(value),
    });
    setValue(c, value);
    if (key === 'count') {
      c.textContent = formatCount(row.count);
    } else if (key === 'contribution') {
      const bar = el('span', { class: `contribution-bar${row.contribution < 0 ? ' is-negative' : ''}`, attrs: { 'aria-hidden': 'true' } });
      bar.style.width = `${Math.min(100, (Math.abs(row.contribution) / maxContribution) * 100).toFixed(1)}%`;
      const share = total !== null && total !== 0 && Number.isFinite(total) ? ` (${formatPercent(row.contribution / total)})` : '';
      const parts = [['CE', row.contributionCe], ['Dice', row.contributionDice], ['focal', row.contributionFocal]].filter(([, v]) => v !== null);
      c.title = `${row.contribution}${share}; ${parts.map(([k, v]) => `${k} part ${v}`).join(', ') || 'no part'}`;
      c.append(el('span', { class: 'contribution-track' }, bar), el('span', { class: 'contribution-text', text: formatNumber(row.contribution) }));
    } else {
      c.textContent = delta ? formatDelta(value) : formatNumber(value);
    }
    return c;
  }

  private async copy(): Promise<void> {
    if (!this.state) return;
    await this.run('Copied the table as Markdown.', () => this.client.request('copy', { text: toMarkdown(this.sortedRows, this.state!) }));
  }

  private async save(format: 'csv' | 'json'): Promise<void> {
    const state = this.state;
    if (!state) return;
    const content = format === 'csv' ? toCsv(this.sortedRows, state.report.config.loss) : toJson(this.sortedRows, state);
    const suggestedName = `${exportStem(state)}.${format}`;
    await this.run(null, async () => {
      const r = await this.client.request('save', { content, format, suggestedName });
      this.setStatus(r.saved ? `Saved ${format.toUpperCase()}.` : 'Not saved.', false);
    });
  }

  private async run(okText: string | null, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      if (okText) this.setStatus(okText, false);
    } catch (e) {
      this.setStatus(e instanceof Error ? e.message : String(e), true);
    }
  }

  private setStatus(text: string, error: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle('is-error', error);
  }
}
