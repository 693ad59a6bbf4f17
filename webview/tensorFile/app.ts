/**
 * The tensor-file editor (read-only custom editor): the file's tensors with their stats, the selected
 * tensor's histogram and heat map, the file's non-tensor values, and "Compare losses with…", which asks
 * the host to start a comparison with a tensor as the logits or the target.
 */
import type { TensorFileProtocol, TensorFileState } from '../../src/protocol/messages';
import type { TensorFileClient, PushMessage } from '../common/client';
import { applyChartTheme } from '../common/charts';
import { BusyIndicator } from '../common/busy';
import { el, replaceChildren } from '../common/dom';
import { formatBytes } from '../common/format';
import { Notices } from '../common/notices';
import { Placeholder, type NoticeAction } from '../common/placeholder';
import { onThemeChange, readTheme, type Theme } from '../common/theme';
import { TensorDetail } from './tensorDetail';
import { TensorTable } from './tensorTable';

export class TensorFileApp {
  private state: TensorFileState | null = null;
  private theme: Theme = readTheme();
  private selected = -1;
  private readonly busy = new BusyIndicator();
  private readonly notices = new Notices();
  private readonly table: TensorTable;
  private readonly detail: TensorDetail;
  private readonly placeholder: Placeholder;
  private readonly status = el('p', { class: 'muted compare-status', testid: 'compare-status', attrs: { role: 'status', 'aria-live': 'polite' } });

  constructor(
    private readonly root: HTMLElement,
    private readonly client: TensorFileClient,
  ) {
    applyChartTheme(this.theme);
    this.table = new TensorTable({ select: (i) => this.select(i), compare: (i, role) => void this.compare(i, role) });
    this.detail = new TensorDetail(client, this.theme);
    this.placeholder = new Placeholder(root, 'Reading the file…', this.notices);
    onThemeChange((t) => {
      this.theme = t;
      applyChartTheme(t);
      this.detail.setTheme(t);
    });
  }

  handle(msg: PushMessage<TensorFileProtocol>): void {
    switch (msg.type) {
      case 'init':
        this.show(msg.state);
        break;
      case 'busy':
        this.busy.setHost(msg.busy, msg.message);
        break;
      case 'notice':
        // Before the first state (a file that cannot be read never gets one) an error replaces the waiting line.
        if (this.state) this.notices.show(msg.level, msg.message, msg.warnings);
        else this.placeholder.notice(msg.level, msg.message, msg.warnings, msg.openAsText ? openAsTextAction(this.client, msg.openAsText) : undefined);
        break;
    }
  }

  private show(state: TensorFileState): void {
    this.state = state;
    const chip = (label: string, value: string, testid?: string) => el('span', { class: 'chip', testid }, el('span', { class: 'chip-label', text: label }), value);
    replaceChildren(
      this.root,
      el(
        'header',
        { class: 'app-header' },
        el(
          'div',
          { class: 'title-block' },
          el('h1', { text: state.fileName, testid: 'file-name', title: state.uri }),
          el('div', { class: 'chips' }, chip('format', state.format, 'file-format'), chip('size', formatBytes(state.bytes), 'file-size'), chip('tensors', String(state.tensors.length))),
        ),
        el('div', { class: 'header-side' }, this.busy.element),
      ),
      this.notices.element,
      el('main', { class: 'content' }, this.table.element, this.status, this.detail.element, this.headerFacts(state), this.nonTensors(state)),
    );
    this.selected = state.tensors.length > 0 ? preferredTensor(state) : -1;
    this.table.render(state.tensors, this.selected);
    this.detail.show(state.tensors[this.selected] ?? null);
  }

  private select(i: number): void {
    if (!this.state || i === this.selected) return;
    this.selected = i;
    this.table.select(i);
    this.detail.show(this.state.tensors[i] ?? null);
  }

  private async compare(i: number, role: 'logits' | 'target'): Promise<void> {
    const t = this.state?.tensors[i];
    if (!t) return;
    this.status.textContent = `Choose the ${role === 'logits' ? 'target' : 'logits'} to compare ${t.key} with…`;
    this.status.classList.remove('is-error');
    try {
      await this.client.request('compareWith', { key: t.key, role });
      this.status.textContent = '';
    } catch (e) {
      this.status.textContent = e instanceof Error ? e.message : String(e);
      this.status.classList.add('is-error');
    }
  }

  /** The file header's facts (NIfTI geometry, safetensors metadata), when the format has any. */
  private headerFacts(state: TensorFileState): HTMLElement | null {
    if (state.header.length === 0) return null;
    const title = state.format === 'nifti' ? 'NIfTI header' : 'Metadata';
    return el(
      'section',
      { class: 'card header-facts', testid: 'header-facts', attrs: { 'aria-labelledby': 'header-facts-title' } },
      el('div', { class: 'card-head' }, el('h2', { text: title, attrs: { id: 'header-facts-title' } })),
      el(
        'table',
        { class: 'plain-table' },
        el(
          'tbody',
          {},
          ...state.header.map((f, i) => el('tr', { testid: `header-fact-${i}` }, el('th', { attrs: { scope: 'row' }, text: f.label }), el('td', { class: 'mono value-cell', text: f.value }))),
        ),
      ),
    );
  }

  private nonTensors(state: TensorFileState): HTMLElement | null {
    if (state.nonTensors.length === 0) return null;
    return el(
      'section',
      { class: 'card non-tensors', testid: 'non-tensors', attrs: { 'aria-labelledby': 'non-tensors-title' } },
      el('div', { class: 'card-head' }, el('h2', { text: 'Other values', attrs: { id: 'non-tensors-title' } }), el('span', { class: 'muted', text: 'Non-tensor entries of the file, shown as read (never run).' })),
      el(
        'table',
        { class: 'plain-table', testid: 'non-tensor-table' },
        el('thead', {}, el('tr', {}, el('th', { text: 'Key', attrs: { scope: 'col' } }), el('th', { text: 'Type', attrs: { scope: 'col' } }), el('th', { text: 'Value', attrs: { scope: 'col' } }))),
        el(
          'tbody',
          {},
          ...state.nonTensors.map((v, i) =>
            el('tr', { testid: `non-tensor-${i}` }, el('td', { class: 'mono', text: v.key }), el('td', { class: 'muted', text: v.type }), el('td', { class: 'mono value-cell', text: v.value })),
          ),
        ),
      ),
    );
  }
}

/** The first tensor worth looking at: rank ≥ 2 if there is one (a heat map says more), else the first. */
function preferredTensor(state: TensorFileState): number {
  const i = state.tensors.findIndex((t) => t.shape.length >= 2);
  return i >= 0 ? i : 0;
}

/** *Open as Text* under the error of a file that is not a tensor file (a Git LFS pointer, a text file). */
export function openAsTextAction(client: { request(m: 'openAsText', p: { uri: string }): Promise<unknown> }, uri: string): NoticeAction {
  return { label: 'Open as Text', testid: 'open-as-text', run: () => void client.request('openAsText', { uri }).catch(() => undefined) };
}
