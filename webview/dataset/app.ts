/**
 * The folder view: the evaluation's summary (foreground mean Dice, the pooled-vs-mean note, save buttons), the
 * case × class table (a Dice heat map and the loss columns, sortable, worst cases first, the mean and pooled
 * rows on top; a click on a case opens its comparison), and the failed and unmatched files. Every number
 * carries its full-precision value in `data-value`; elements tests look for carry `data-testid`.
 */
import type { DatasetPush, DatasetRequestMap, DatasetViewState } from '../../src/protocol/dataset';
import type { RequestChannel } from '../../src/protocol/channel';
import { POOLED_NOTE } from '../../src/dataset/text';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatMs, formatNumber } from '../common/format';
import { Notices } from '../common/notices';
import { button } from '../toolkit';
import { caseRows, defaultSort, diceColor, sortRows, type CaseRow, type SortDirection, type SortKey } from './caseRows';

export class DatasetApp {
  private state: DatasetViewState | null = null;
  private rows: CaseRow[] = [];
  private sortKey: SortKey = 'case';
  private sortDir: SortDirection = 'ascending';
  private readonly notices = new Notices();
  private readonly waiting = el('p', { class: 'waiting muted', testid: 'waiting', text: 'Evaluating the folder…' });
  private readonly status = el('span', { class: 'export-status muted', testid: 'export-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly tableHost = el('div', { class: 'table-scroll' });

  constructor(
    private readonly root: HTMLElement,
    private readonly channel: RequestChannel<DatasetRequestMap>,
  ) {
    replaceChildren(root, this.notices.element, el('div', { class: 'placeholder' }, this.waiting));
  }

  handle(m: DatasetPush): void {
    if (m.type === 'init') this.show(m.state);
    else if (m.type === 'evaluating') {
      if (!this.state) this.waiting.textContent = `Evaluating the folder: ${m.message}`;
    } else if (m.type === 'notice') {
      if (!this.state && m.level === 'error') {
        replaceChildren(this.waiting, el('span', { class: 'load-error-text', testid: 'load-error-text', text: m.message, attrs: { role: 'alert' } }));
      } else this.notices.show(m.level, m.message);
    }
  }

  private show(state: DatasetViewState): void {
    this.state = state;
    this.rows = caseRows(state.summary);
    const d = defaultSort(state.summary);
    this.sortKey = d.key;
    this.sortDir = d.dir;
    const s = state.summary;
    const fg = el('span', { class: 'num', testid: 'foreground-mean', text: formatNumber(s.foreground_mean.Dice) });
    setValue(fg, s.foreground_mean.Dice);
    const head = el(
      'header',
      { class: 'app-header' },
      el(
        'div',
        { class: 'title-block' },
        el('h1', { text: 'Validation set' }),
        el('p', { class: 'pair', testid: 'folders' }, el('span', { class: 'tensor-label', text: state.predictions }), el('span', { class: 'pair-sep', text: ' vs ' }), el('span', { class: 'tensor-label', text: state.references })),
      ),
      el('div', { class: 'header-side' }, el('span', { class: 'timings muted', testid: 'timings', text: `${s.metric_per_case.length} cases in ${formatMs(state.elapsedMs)} on ${state.threads} thread(s)` })),
    );
    const summary = el(
      'section',
      { class: 'card', testid: 'dataset-summary' },
      el(
        'div',
        { class: 'card-head' },
        el('h2', { text: 'Summary' }),
        el(
          'div',
          { class: 'toolbar' },
          button('Save JSON', { testid: 'save-summary-json', onClick: () => void this.save('json') }),
          button('Save CSV', { testid: 'save-summary-csv', onClick: () => void this.save('csv') }),
        ),
      ),
      el(
        'p',
        {},
        'Foreground mean Dice ',
        fg,
        ` · ${s.metric_per_case.length} evaluated · ${s.failed.length} failed · ${s.unmatched.predictions.length + s.unmatched.references.length} unmatched`,
        state.lossLabel ? ` · loss: ${state.lossLabel}` : ' · metrics only',
        s.ignore_label !== null ? ` · ignore label ${s.ignore_label}` : '',
      ),
      el('p', { class: 'muted', testid: 'pooled-note', text: POOLED_NOTE }),
      this.status,
    );
    const cases = el(
      'section',
      { class: 'card', testid: 'cases' },
      el('div', { class: 'card-head' }, el('h2', { text: 'Cases × classes' })),
      this.tableHost,
      el('div', { class: 'card-foot' }, el('span', { class: 'muted', text: 'Click a column header to sort, a case to open its comparison. Cells: Dice (NaN: the class is absent from both).' })),
    );
    replaceChildren(this.root, head, this.notices.element, summary, cases, this.problems(state));
    this.drawTable();
    this.root.dataset.rendered = String(Number(this.root.dataset.rendered ?? 0) + 1);
  }

  private labelName(l: number): string {
    const n = this.state?.classNames?.[l];
    return n ? `${l} ${n}` : String(l);
  }

  private headerCell(label: string, key: SortKey): HTMLElement {
    const active = this.sortKey === key;
    const b = el('button', { class: 'sort-button', testid: `sort-${key.replace(':', '-')}`, text: label + (active ? (this.sortDir === 'ascending' ? ' ▲' : ' ▼') : ''), attrs: { type: 'button' } });
    b.addEventListener('click', () => {
      if (this.sortKey === key) this.sortDir = this.sortDir === 'ascending' ? 'descending' : 'ascending';
      else {
        this.sortKey = key;
        this.sortDir = key === 'case' || key === 'meanDice' || key.startsWith('dice:') ? 'ascending' : 'descending';
      }
      this.drawTable();
    });
    return el('th', { attrs: { scope: 'col', 'aria-sort': active ? this.sortDir : 'none' } }, b);
  }

  private num(v: number | null, testid: string, heat = false): HTMLElement {
    const td = el('td', { class: 'num', testid, text: formatNumber(v), title: v === null ? '' : String(v) });
    setValue(td, v);
    if (heat && v !== null) {
      const c = diceColor(v);
      if (c) {
        td.classList.add('heat');
        td.style.backgroundColor = c;
      } else td.classList.add('is-null');
    }
    return td;
  }

  private drawTable(): void {
    const st = this.state;
    if (!st) return;
    const s = st.summary;
    const hasLoss = s.cases.length > 0;
    const labels = s.labels;
    const header = el(
      'tr',
      {},
      this.headerCell('Case', 'case'),
      ...labels.map((l, i) => this.headerCell(`Dice ${this.labelName(l)}`, `dice:${i}`)),
      this.headerCell('mean Dice', 'meanDice'),
      ...(hasLoss ? [this.headerCell('loss', 'loss'), this.headerCell('hard', 'hard'), this.headerCell('smoothed', 'smoothed')] : []),
    );
    const blanks = () => (hasLoss ? [el('td'), el('td'), el('td')] : []);
    const meanRow = el(
      'tr',
      { class: 'aggregate', testid: 'row-mean' },
      el('th', { text: 'mean', title: 'each metric averaged over cases, NaN ignored (nnU-Net mean)', attrs: { scope: 'row' } }),
      ...labels.map((l) => this.num(s.mean[String(l)]!.Dice, `mean-dice-${l}`, true)),
      this.num(s.foreground_mean.Dice, 'mean-dice-all'),
      ...(hasLoss ? [this.num(avg(s.cases.map((c) => c.loss.total)), 'mean-loss'), this.num(avg(s.cases.map((c) => c.hard.total)), 'mean-hard'), this.num(avg(s.cases.map((c) => c.smoothed?.total ?? null)), 'mean-smoothed')] : []),
    );
    const pooledRow = el(
      'tr',
      { class: 'aggregate', testid: 'row-pooled' },
      el('th', { text: 'pooled', title: POOLED_NOTE, attrs: { scope: 'row' } }),
      ...labels.map((l) => this.num(s.pooled[String(l)]!.Dice, `pooled-dice-${l}`, true)),
      el('td'),
      ...blanks(),
    );
    const body = sortRows(this.rows, this.sortKey, this.sortDir).map((r) => {
      const open = el('button', { class: 'case-link', testid: `case-${r.id}`, text: r.id, title: `Open the comparison of ${r.id}`, attrs: { type: 'button' } });
      open.addEventListener('click', () => void this.open(r.id));
      return el(
        'tr',
        { testid: `row-${r.id}`, attrs: { 'data-case': r.id } },
        el('th', { attrs: { scope: 'row' } }, open),
        ...r.dice.map((d, i) => this.num(d, `dice-${r.id}-${labels[i]}`, true)),
        this.num(r.meanDice, `mean-dice-${r.id}`),
        ...(hasLoss ? [this.num(r.loss, `loss-${r.id}`), this.num(r.hard, `hard-${r.id}`), this.num(r.smoothed, `smoothed-${r.id}`)] : []),
      );
    });
    replaceChildren(
      this.tableHost,
      el('table', { class: 'case-table', testid: 'case-table' }, el('thead', {}, header, meanRow, pooledRow), el('tbody', { testid: 'case-rows' }, ...body)),
    );
  }

  private problems(st: DatasetViewState): HTMLElement | null {
    const s = st.summary;
    if (!s.failed.length && !s.unmatched.predictions.length && !s.unmatched.references.length) return null;
    return el(
      'section',
      { class: 'card', testid: 'problems' },
      el('div', { class: 'card-head' }, el('h2', { text: 'Failed and unmatched' })),
      el(
        'ul',
        { class: 'problem-list' },
        ...s.failed.map((f) => el('li', { class: 'is-error', testid: `failed-${f.id}`, text: `${f.id}: ${f.error}` })),
        ...s.unmatched.predictions.map((f) => el('li', { testid: 'unmatched-prediction', text: `prediction without a reference: ${f}` })),
        ...s.unmatched.references.map((f) => el('li', { testid: 'unmatched-reference', text: `reference without a prediction: ${f}` })),
      ),
    );
  }

  private async open(id: string): Promise<void> {
    try {
      await this.channel.request('openCase', { id });
    } catch (e) {
      this.notices.show('error', e instanceof Error ? e.message : String(e));
    }
  }

  private async save(format: 'json' | 'csv'): Promise<void> {
    try {
      const r = await this.channel.request('saveSummary', { format });
      this.status.textContent = r.saved ? `Saved ${format.toUpperCase()}.` : '';
    } catch (e) {
      this.status.textContent = e instanceof Error ? e.message : String(e);
    }
  }
}

function avg(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}
