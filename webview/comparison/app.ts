/**
 * The comparison view: lays out the header, the options, the summary, the per-class table, the charts
 * and the slice viewer, renders every `init`/`update` state into all of them, sends recomputes when an
 * option changes, and persists `{view, logits, target, options}` for the panel serializer.
 */
import type { ComparisonProtocol, ComparisonState, PersistedComparison } from '../../src/protocol/messages';
import type { LossOptions } from '../../src/engine/types';
import type { ComparisonClient, PushMessage } from '../common/client';
import type { VsCodeApi } from '../common/vscodeApi';
import { applyChartTheme } from '../common/charts';
import { el, replaceChildren } from '../common/dom';
import { formatMs } from '../common/format';
import { onThemeChange, readTheme, type Theme } from '../common/theme';
import { BusyIndicator } from '../common/busy';
import { Notices } from '../common/notices';
import { Placeholder } from '../common/placeholder';
import { ChartsView } from './charts';
import { ClassTableView } from './classTable';
import { InspectBanner } from './inspectBanner';
import { SequenceView } from './sequence';
import { OptionsPanel } from './optionsPanel';
import { SliceViewer } from './sliceViewer';
import { SummaryView } from './summary';

/**
 * Widest window (CSS px) that still folds the options above the content; keep equal to the
 * `max-width` media queries in media/comparison.css. Beside the content the sidebar takes ~306 px, and
 * the per-class table needs ~60 em (≈ 780 px at 13 px) plus ~84 px of page and card padding: ≈ 1170 px.
 */
const SIDEBAR_MIN_WIDTH = 1200;

export class ComparisonApp {
  private state: ComparisonState | null = null;
  private theme: Theme = readTheme();
  private recomputeSeq = 0;
  private readonly busy = new BusyIndicator();
  private readonly notices = new Notices();
  private readonly pair = el('p', { class: 'pair', testid: 'pair' });
  private readonly timings = el('span', { class: 'timings muted', testid: 'timings' });
  private readonly banner = new InspectBanner();
  private readonly summary = new SummaryView();
  private readonly table: ClassTableView;
  private readonly charts = new ChartsView();
  private readonly sequence = new SequenceView();
  private readonly slices: SliceViewer;
  private readonly options: OptionsPanel;
  private readonly content = el('main', { class: 'content', testid: 'content' });
  private readonly placeholder: Placeholder;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: ComparisonClient,
    private readonly api: VsCodeApi<PersistedComparison>,
  ) {
    this.table = new ClassTableView(client);
    this.slices = new SliceViewer(client, this.theme);
    this.options = new OptionsPanel((o) => void this.recompute(o));
    applyChartTheme(this.theme);

    const restored = api.getState();
    this.placeholder = new Placeholder(
      root,
      restored?.view === 'comparison' ? `Restoring the comparison of ${restored.logits.label} and ${restored.target.label}…` : 'Waiting for the extension…',
      this.notices,
    );
    onThemeChange((t) => this.setTheme(t));
  }

  handle(msg: PushMessage<ComparisonProtocol>): void {
    switch (msg.type) {
      case 'init':
        if (msg.view === 'comparison') this.show(msg.state, true);
        break;
      case 'update':
        this.show(msg.state, false);
        break;
      case 'busy':
        this.busy.setHost(msg.busy, msg.message);
        break;
      case 'notice':
        // Before the first state there is no layout yet: an error replaces the waiting line.
        if (this.state) this.notices.show(msg.level, msg.message, msg.warnings);
        else this.placeholder.notice(msg.level, msg.message, msg.warnings);
        break;
    }
  }

  private layout(): void {
    const details = el(
      'details',
      // Open beside the content on wide panels; folded above it on narrower ones (the media queries in
      // comparison.css), so the numbers come first and the per-class table fits without sideways scrolling.
      { class: 'options-details', attrs: { open: window.innerWidth > SIDEBAR_MIN_WIDTH } },
      el('summary', { text: 'Options', testid: 'options-toggle' }),
      this.options.element,
    );
    replaceChildren(
      this.root,
      el(
        'header',
        { class: 'app-header' },
        el('div', { class: 'title-block' }, el('h1', { text: 'Loss comparison' }), this.pair),
        el('div', { class: 'header-side' }, this.busy.element, this.timings),
      ),
      this.notices.element,
      el('div', { class: 'layout' }, el('aside', { class: 'sidebar' }, details), this.content),
    );
    replaceChildren(this.content, this.banner.element, this.summary.element, this.sequence.element, this.table.element, this.charts.element, this.slices.element);
  }

  private show(state: ComparisonState, initial: boolean): void {
    if (!this.state) this.layout();
    this.state = state;
    replaceChildren(
      this.pair,
      el('span', { class: 'tensor-label', testid: 'pair-logits', text: state.logits.label, title: state.logits.uri }),
      el('span', { class: 'pair-sep', text: ' vs ' }),
      el('span', { class: 'tensor-label', testid: 'pair-target', text: state.target.label, title: state.target.uri }),
    );
    this.timings.textContent = `read ${formatMs(state.timings.readMs)} · computed ${formatMs(state.timings.computeMs)}`;
    this.options.setOptions(state.options, initial);
    this.banner.render(state.inspect);
    this.summary.render(state);
    this.sequence.render(state, this.theme);
    this.table.render(state);
    this.charts.render(state, this.theme);
    this.slices.render(state);
    this.root.dataset.rendered = String(Number(this.root.dataset.rendered ?? 0) + 1);
    this.api.setState({ view: 'comparison', logits: state.logits, target: state.target, options: state.options, ...(state.inspect ? { inspect: state.inspect } : {}) });
  }

  private async recompute(options: LossOptions): Promise<void> {
    const seq = ++this.recomputeSeq;
    try {
      const state = await this.busy.track(this.client.request('recompute', { options }), 'Recomputing…');
      if (seq === this.recomputeSeq) this.show(state, false);
    } catch (e) {
      if (seq === this.recomputeSeq) this.options.showError(e instanceof Error ? e.message : String(e));
    }
  }

  private setTheme(t: Theme): void {
    this.theme = t;
    applyChartTheme(t);
    if (this.state) {
      this.charts.render(this.state, t);
      this.sequence.render(this.state, t);
    }
    this.slices.setTheme(t);
  }
}
