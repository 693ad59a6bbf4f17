/**
 * The per-class table: a toolkit data grid (arrow keys move between cells), sortable by any column with
 * a click or Enter/Space on its header, with Copy as Markdown, Save CSV and Save JSON. Cells carry
 * `data-testid="cell-<column>-<class>"` and the full-precision value in `data-value`.
 * With a vocabulary (the state's `classTable`), the state holds the top classes by count and by contribution and
 * the table shows them with the rest summed in one row; "Page through all" then shows every class a page at a
 * time, in the chosen column's order, each page asked of the host (`classPage`).
 */
import type { ComparisonState } from '../../src/protocol/messages';
import type { ComparisonClient } from '../common/client';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatDelta, formatNumber, formatPercent } from '../common/format';
import { classCss } from '../common/colormap';
import { button, dataGrid, dataGridCell, dataGridRow } from '../toolkit';
import { CLASS_PAGE_ROWS, type ClassPage } from '../../src/protocol/classPage';
import { classRows, columnsFor, COLUMNS, exportStem, rowsOf, sortRows, toCsv, toJson, toMarkdown, type ClassRow, type Column, type ColumnKey, type SortDirection } from './classRows';

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
  /** Paging through every class of a vocabulary: the page shown (null: the top classes). */
  private paging: { page: ClassPage | null; rows: ClassRow[]; error: string | null } | null = null;
  private pageSeq = 0;

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
    if (!state.classTable) this.paging = null;
    // A new state (other options) while paging: the same page of the new numbers.
    if (this.paging) void this.loadPage(this.paging.page?.offset ?? 0);
    else this.draw();
  }

  /** Shows every class, a page of {@link CLASS_PAGE_ROWS} at a time from `offset`, in the current column's order. */
  async loadPage(offset: number): Promise<void> {
    const state = this.state;
    if (!state?.classTable) return;
    const seq = ++this.pageSeq;
    this.paging ??= { page: null, rows: [], error: null };
    try {
      const page = await this.client.request('classPage', { sort: this.sortKey, dir: this.sortDir, offset, limit: CLASS_PAGE_ROWS });
      if (seq !== this.pageSeq || this.state !== state || !this.paging) return;
      this.paging = { page, rows: rowsOf(page.rows, page.names ?? state.classNames), error: null };
    } catch (e) {
      if (seq !== this.pageSeq || !this.paging) return;
      this.paging = { ...this.paging, error: e instanceof Error ? e.message : String(e) };
    }
    this.draw();
  }

  /** Back to the top classes (count and contribution) with the rest summed. */
  showTop(): void {
    this.paging = null;
    this.pageSeq++;
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
    // Paging: the host orders every class; the first page of the new order.
    if (this.paging) void this.loadPage(0).then(() => this.focusHeader(key));
    else this.draw(key);
  }

  private focusHeader(key: ColumnKey): void {
    // Keep keyboard focus on the header that was activated (the header row was rebuilt).
    requestAnimationFrame(() => this.gridHost.querySelector<HTMLElement>(`[data-testid="sort-${key}"]`)?.focus());
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

    // With a vocabulary the selection holds the top classes by |contribution|, so its largest is every class's.
    const maxContribution = Math.max(1e-300, ...this.rows.map((r) => Math.abs(r.contribution)).filter(Number.isFinite));
    const total = state.report.loss.total;
    const sorted = this.sortedRows;
    const shown = this.paging ? this.paging.rows : this.showAll ? sorted : sorted.slice(0, ROW_LIMIT);
    for (const row of shown) {
      const tr = dataGridRow('default', { testid: `class-row-${row.class}`, attrs: { 'data-class': row.class } });
      columns.forEach((col, i) => tr.append(this.cell(row, col.key, i + 1, maxContribution, total)));
      grid.append(tr);
    }
    const rest = state.classTable?.rest;
    if (rest && !this.paging) grid.append(this.restRow(columns, rest, total));
    replaceChildren(this.gridHost, grid);
    if (state.classTable) {
      replaceChildren(this.more, this.pagerLine(state.classTable.total, state.classTable.top, rest?.classes ?? 0));
      if (focusKey) this.focusHeader(focusKey);
      return;
    }
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
    if (focusKey) this.focusHeader(focusKey);
  }

  /** The classes outside the selection, summed: their count and their share of the total. */
  private restRow(columns: readonly Column[], rest: NonNullable<NonNullable<ComparisonState['classTable']>['rest']>, total: number | null): HTMLElement {
    const tr = dataGridRow('default', { testid: 'class-row-rest', class: 'rest-row' });
    columns.forEach((col, i) => {
      const testid = `cell-${col.key}-rest`;
      if (col.key === 'class') {
        tr.append(dataGridCell(i + 1, 'rowheader', { testid, class: 'class-cell', text: `${formatCount(rest.classes)} other classes` }));
        return;
      }
      const value = col.key === 'count' ? rest.count : col.key === 'contribution' ? rest.contribution : null;
      const c = dataGridCell(i + 1, 'default', { testid, class: `numeric${value === null ? ' is-null' : ''}`, title: value === null ? 'summed only for count and contribution' : String(value) });
      if (value !== null) {
        setValue(c, value);
        const share = col.key === 'contribution' && total !== null && total !== 0 && Number.isFinite(total) ? ` (${formatPercent(value / total)})` : '';
        c.textContent = col.key === 'count' ? formatCount(value) : `${formatNumber(value)}${share}`;
      }
      tr.append(c);
    });
    return tr;
  }

  /** Under a vocabulary's table: what is shown, and the way through every class. */
  private pagerLine(all: number, top: number, restClasses: number): HTMLElement {
    const p = this.paging;
    if (!p) {
      return el(
        'p',
        { class: 'muted pager', testid: 'class-pager' },
        el('span', {
          testid: 'class-pager-status',
          text:
            `The top ${top} classes by count and the top ${top} by contribution (${formatCount(this.rows.length)} of ${formatCount(all)}); ` +
            `the other ${formatCount(restClasses)} summed in the last row. The exports hold these rows; loss-inspect report --json lists every class. `,
        }),
        button(`Page through all ${formatCount(all)} classes`, { testid: 'class-pages-open', appearance: 'secondary', onClick: () => void this.loadPage(0) }),
      );
    }
    const page = p.page;
    const from = page ? page.offset : 0;
    const to = page ? page.offset + page.rows.length : 0;
    const col = (this.state ? columnsFor(this.state.report) : COLUMNS).find((c) => c.key === this.sortKey)?.label ?? this.sortKey;
    const prev = button('Previous', { testid: 'class-page-prev', appearance: 'secondary', onClick: () => void this.loadPage(Math.max(0, from - CLASS_PAGE_ROWS)) });
    const next = button('Next', { testid: 'class-page-next', appearance: 'secondary', onClick: () => void this.loadPage(to) });
    prev.disabled = !page || from === 0;
    next.disabled = !page || to >= page.total;
    return el(
      'p',
      { class: 'muted pager', testid: 'class-pager' },
      el('span', {
        testid: 'class-pager-status',
        attrs: { 'data-offset': from, 'data-total': page?.total ?? all },
        text: p.error ? `Could not get the classes: ${p.error} ` : page ? `Classes ${formatCount(from + 1)}–${formatCount(to)} of ${formatCount(page.total)}, by ${col} (${this.sortDir}). ` : 'Getting the classes… ',
      }),
      prev,
      next,
      button('Top classes', { testid: 'class-pages-close', appearance: 'secondary', onClick: () => this.showTop() }),
    );
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
