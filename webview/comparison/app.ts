/**
 * The comparison view: lays out the header, the options, the summary, the per-class table, the charts
 * and the slice viewer, renders every `init`/`update` state into all of them, sends recomputes when an
 * option changes, and persists `{view, logits, target, options}` for the panel serializer.
 */
import { isComparisonFailure, type ComparisonFailure, type ComparisonProtocol, type ComparisonState, type PersistedComparison, type ProblemFix, type LabeledTensorRef } from '../../src/protocol/messages';
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
import { MultiLabelNote } from './multiLabelNote';
import { SequenceView } from './sequence';
import { OptionsPanel } from './optionsPanel';
import { ProblemView } from './problemView';
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
  /** The options the panel has now: the last result's, or the ones that failed (what a fix button builds on). */
  private current: ComparisonState['options'] | null = null;
  private laidOut = false;
  private theme: Theme = readTheme();
  private recomputeSeq = 0;
  /** The recompute in flight: a newer one aborts it (the host then stops its job in the worker). */
  private recomputeAbort: AbortController | null = null;
  private readonly busy = new BusyIndicator();
  private readonly notices = new Notices();
  private readonly pair = el('p', { class: 'pair', testid: 'pair' });
  private readonly timings = el('span', { class: 'timings muted', testid: 'timings' });
  private readonly banner = new InspectBanner();
  private readonly summary = new SummaryView();
  private readonly multiLabel = new MultiLabelNote();
  private readonly table: ClassTableView;
  private readonly charts = new ChartsView();
  private readonly sequence = new SequenceView();
  private readonly slices: SliceViewer;
  private readonly options: OptionsPanel;
  private readonly content = el('main', { class: 'content', testid: 'content' });
  private readonly results = el('div', { class: 'results', testid: 'results' });
  private readonly problem: ProblemView;
  private readonly placeholder: Placeholder;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: ComparisonClient,
    private readonly api: VsCodeApi<PersistedComparison>,
  ) {
    this.table = new ClassTableView(client);
    this.slices = new SliceViewer(client, this.theme);
    this.options = new OptionsPanel((o) => void this.recompute(o));
    this.problem = new ProblemView({
      fix: (f) => this.applyFix(f),
      openAsText: (uri) => void client.request('openAsText', { uri }).catch((e: unknown) => this.options.showError(e instanceof Error ? e.message : String(e))),
    });
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
      case 'failed':
        this.showFailure(msg.failure);
        break;
      case 'notice':
        // Before the first state there is no layout yet: an error replaces the waiting line.
        if (this.laidOut) this.notices.show(msg.level, msg.message, msg.warnings);
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
    replaceChildren(this.results, this.summary.element, this.multiLabel.element, this.sequence.element, this.table.element, this.charts.element, this.slices.element);
    replaceChildren(this.content, this.banner.element, this.problem.element, this.results);
    this.results.hidden = true;
    this.laidOut = true;
  }

  private showPair(logits: LabeledTensorRef, target: LabeledTensorRef): void {
    replaceChildren(
      this.pair,
      el('span', { class: 'tensor-label', testid: 'pair-logits', text: logits.label, title: logits.uri }),
      el('span', { class: 'pair-sep', text: ' vs ' }),
      el('span', { class: 'tensor-label', testid: 'pair-target', text: target.label, title: target.uri }),
    );
  }

  /**
   * The comparison could not be computed with `failure.options`: the problem in place, the options editable.
   * Before any result the view lays itself out around it; after one, the old numbers stay below, marked stale,
   * until the next result clears the problem.
   */
  private showFailure(failure: ComparisonFailure): void {
    const first = !this.laidOut;
    if (first) this.layout();
    this.current = failure.options;
    this.showPair(failure.logits, failure.target);
    this.options.setOptions(failure.options, first);
    this.options.showError(null);
    this.banner.render(failure.inspect);
    this.problem.render(failure.problem, this.state !== null);
    this.results.classList.toggle('is-stale', this.state !== null);
    this.root.dataset.failed = String(Number(this.root.dataset.failed ?? 0) + 1);
    this.api.setState({ view: 'comparison', logits: failure.logits, target: failure.target, options: failure.options, ...(failure.inspect ? { inspect: failure.inspect } : {}) });
  }

  /** A fix button: this panel's options with the fix on top, shown in the controls and computed. */
  private applyFix(fix: ProblemFix): void {
    if (!this.current) return;
    const next = { ...this.current, ...fix.options } as ComparisonState['options'];
    this.options.setOptions(next);
    void this.recompute(next);
  }

  private show(state: ComparisonState, initial: boolean): void {
    if (!this.laidOut) this.layout();
    this.state = state;
    this.current = state.options;
    this.problem.clear();
    this.results.hidden = false;
    this.results.classList.remove('is-stale');
    this.showPair(state.logits, state.target);
    this.timings.textContent = `read ${formatMs(state.timings.readMs)} · computed ${formatMs(state.timings.computeMs)}`;
    this.options.setOptions(state.options, initial);
    this.banner.render(state.inspect);
    this.summary.render(state);
    this.multiLabel.render(state.report);
    this.sequence.render(state, this.theme);
    this.table.render(state);
    this.slices.render(state);
    // The numbers paint first; the charts (Chart.js, the slowest part of a render) follow in the next frame.
    // `data-rendered` counts states rendered in full.
    requestAnimationFrame(() => {
      if (this.state !== state) return; // a newer state renders instead
      this.charts.render(state, this.theme);
      this.root.dataset.rendered = String(Number(this.root.dataset.rendered ?? 0) + 1);
    });
    this.api.setState({ view: 'comparison', logits: state.logits, target: state.target, options: state.options, ...(state.inspect ? { inspect: state.inspect } : {}) });
  }

  private async recompute(options: LossOptions): Promise<void> {
    const seq = ++this.recomputeSeq;
    this.recomputeAbort?.abort();
    const abort = (this.recomputeAbort = new AbortController());
    try {
      const outcome = await this.busy.track(this.client.request('recompute', { options }, undefined, abort.signal), 'Recomputing…');
      if (seq !== this.recomputeSeq) return;
      if (isComparisonFailure(outcome)) this.showFailure(outcome);
      else this.show(outcome, false);
    } catch (e) {
      if (seq === this.recomputeSeq) this.options.showError(e instanceof Error ? e.message : String(e));
    } finally {
      if (this.recomputeAbort === abort) this.recomputeAbort = null;
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
