/**
 * The one typed message protocol between the extension host and its webviews (the loss comparison
 * panel and the tensor-file editor). Both sides import this module; it imports neither `vscode` nor the
 * DOM. Shape, after hexeditor's shared/protocol.ts:
 * - the webview posts `{type: 'ready'}` first; the host answers with `init` (settings and initial state);
 * - every webview request is `{type: 'request', id, method, params}` and gets exactly one
 *   `{type: 'response', id, ok: true, result}` or `{type: 'response', id, ok: false, error}`, also when
 *   the handler throws (a request never hangs); the webview may send `{type: 'cancel', id}` (a timed-out or
 *   abandoned request). Both ends are the id-matched channel of ./channel.ts;
 * - the host may push `update`, `busy` and `notice` messages at any time.
 */
import type { EngineWarning, EpsSweep, LossOptions, Report, SliceData, SliceRequest } from '../engine/types';
import type { DatasetPush, DatasetRequestMap } from './dataset';
import type { DType } from '../engine/tensor';
import type { TensorRef } from '../readers/tensorRef';
import type { CancelMessage, MethodMap, ResponseMessage } from './channel';
import type { ClassNames, ClassPage, ClassPageRequest, ClassTableInfo } from './classPage';

/** A tensor a comparison shows: its reference with the key the worker resolved (`''` for a file's single unnamed tensor). */
export interface LabeledTensorRef extends TensorRef {
  key: string;
  /** Display label, e.g. `preds.pt#logits` (../readers/tensorRef.ts `tensorRefLabel`). */
  label: string;
}

/** An argument of a loss call that *Inspect with these settings…* did not apply, or a value torch rejects. */
export interface InspectNote {
  /** The Python parameter (`weight`), or `**kwargs` / `*args`. */
  param: string;
  /** The option it maps to, if any. */
  key: keyof LossOptions | null;
  /** The value as written (`class_weights`). */
  text: string;
  /** Why (`not a literal`, `a function parameter`, torch's error message…). */
  reason: string;
}

/**
 * A comparison opened by *Inspect with these settings…* on a loss call: where the call is, and what of
 * it the numbers do not include. With `notApplied` entries the view says its numbers are for the options
 * shown, not what training sees; with `invalid` ones nothing is computed (torch would raise).
 */
export interface InspectCaveats {
  /** The Python file (URI string) and the call's 1-based line. */
  sourceUri: string;
  line: number;
  /** E.g. `train.py:12`. */
  label: string;
  notApplied: InspectNote[];
  invalid: InspectNote[];
}

export interface ComparisonState {
  logits: LabeledTensorRef;
  target: LabeledTensorRef;
  options: LossOptions;
  /** Present when the comparison came from a loss call in code (see {@link InspectCaveats}). */
  inspect?: InspectCaveats;
  /**
   * With a vocabulary (more than `VIEW_ALL_CLASSES` classes), `report.perClass` holds only the table's selection
   * (top by count and by contribution) and this says how many classes there are and what the rest sums to; the
   * view pages through all of them with `classPage`. Absent: `report.perClass` lists every class.
   */
  classTable?: ClassTableInfo;
  report: Report;
  sweep: EpsSweep | null;
  /**
   * Names of classes 0…C−1 (from the setting or a classes.json next to the data), else null. With `classTable` (a
   * vocabulary) only those of the classes this state shows, by index; `classPage` results carry their rows' names.
   */
  classNames: ClassNames | null;
  /** Present when the pair is segmentation data (rank ≥ 4): what the slice viewer can ask for. */
  volume: VolumeInfo | null;
  timings: { readMs: number; computeMs: number };
}

/**
 * Why a comparison shows no numbers, as the view shows it in place (the options stay editable): the problem in
 * the user's words (Python parameter names), its causes, and the fixes one click applies to this panel only.
 */
export interface ComparisonProblem {
  /** One line naming the file or option and the problem. */
  message: string;
  /** The option at fault, by its Python name (`to_onehot_y`), when the problem is an option. */
  option?: string;
  /** The chain of causes in words, outermost first (may be empty). */
  causes: string[];
  /** What the view offers as buttons: each recomputes this panel with `options` over its own. */
  fixes: ProblemFix[];
  /** A file of the pair that is not a tensor file (URI string): the view offers *Open as Text*. */
  notATensorFile?: string;
  /** A void label found in the target (the fix list then holds its `ignore_index`). */
  voidLabel?: { value: number; count: number; total: number; otherValues: number[] };
}

export interface ProblemFix {
  /** The button's text, e.g. `Set ignore_index = 255`. */
  label: string;
  /** What it changes, and why, in one line (the button's tooltip and the line beside it). */
  detail: string;
  options: Partial<LossOptions>;
}

/** A comparison that could not be computed with `options`: the pair and options the view shows beside the problem. */
export interface ComparisonFailure {
  logits: LabeledTensorRef;
  target: LabeledTensorRef;
  options: LossOptions;
  inspect?: InspectCaveats;
  problem: ComparisonProblem;
}

export function isComparisonFailure(x: ComparisonState | ComparisonFailure): x is ComparisonFailure {
  return 'problem' in x;
}

export interface VolumeInfo {
  batch: number;
  /** Spatial shape (without batch and channel). */
  spatial: number[];
}

/** The slice viewer's request and answer are the engine's (`computeSlice`); re-exported as part of the protocol. */
export type { SliceData, SliceRequest } from '../engine/types';

export interface TensorSummary {
  key: string;
  dtype: DType;
  shape: number[];
  min: number | null;
  max: number | null;
  mean: number | null;
  nanCount: number;
  infCount: number;
  /** Value histogram over [min, max]. */
  histogram: { lo: number; hi: number; counts: number[] } | null;
  /** Leading indices (rank − 2 of them) of the slice the heat map opens on: the one with the most signal. */
  initialLeading: number[];
}

/** One fact of a file's header, ready to show (NIfTI dims, spacing, affine…; safetensors metadata). */
export interface HeaderFact {
  label: string;
  value: string;
}

export interface TensorFileState {
  uri: string;
  fileName: string;
  format: string;
  bytes: number;
  tensors: TensorSummary[];
  /** Non-tensor values of a .pt (shown, never fatal). */
  nonTensors: { key: string; type: string; value: string }[];
  /** Header facts worth showing (empty for formats whose header says nothing beyond dtype and shape). */
  header: HeaderFact[];
}

/** A 2-D heat-map slice of one tensor for the tensor editor: the last two axes, the leading ones fixed. */
export interface HeatmapRequest {
  key: string;
  /** One index per leading axis (rank − 2 of them). */
  leading: number[];
}

export interface HeatmapData {
  request: HeatmapRequest;
  width: number;
  height: number;
  values: Float32Array;
  min: number;
  max: number;
}

/** Requests every view serves. */
interface SharedRequests {
  /** Save text through the host's save dialog. */
  save: { params: { content: string; format: 'csv' | 'json' | 'md'; suggestedName: string }; result: { saved: boolean } };
  copy: { params: { text: string }; result: Record<string, never> };
  openAsText: { params: { uri: string }; result: Record<string, never> };
}

/** What the comparison view may ask its host. */
export type ComparisonRequests = {
  /**
   * Recompute the comparison with changed options (debounced by the webview). Options the engine refuses and
   * pairs it cannot compute answer with the failure (shown in place), not an error: only a cancellation or a
   * broken host rejects.
   */
  recompute: { params: { options: Partial<LossOptions> }; result: ComparisonState | ComparisonFailure };
  /** Open one of the pair's files in the text editor (a file that is not a tensor file). */
  openAsText: SharedRequests['openAsText'];
  slice: { params: SliceRequest; result: SliceData };
  /** One sorted page of every class (when `classTable` says the state holds only the selection). */
  classPage: { params: ClassPageRequest; result: ClassPage };
  save: SharedRequests['save'];
  copy: SharedRequests['copy'];
};

/** What the tensor-file editor may ask its host. */
export type TensorFileRequests = {
  heatmap: { params: HeatmapRequest; result: HeatmapData };
  /** Start a comparison with this tensor as logits or target. */
  compareWith: { params: { key: string; role: 'logits' | 'target' }; result: Record<string, never> };
  openAsText: SharedRequests['openAsText'];
  save: SharedRequests['save'];
  copy: SharedRequests['copy'];
};

/** Every request of every view (for code that handles any view: the test harness, timeouts). */
export type RequestMap = ComparisonRequests & TensorFileRequests;
export type RequestMethod = keyof RequestMap;

/** Messages the host pushes to every view. */
export type SharedPush =
  | { type: 'busy'; busy: boolean; message?: string }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string; warnings?: EngineWarning[]; openAsText?: string };

export type ComparisonPush =
  | { type: 'init'; view: 'comparison'; state: ComparisonState; theme?: string }
  | { type: 'update'; state: ComparisonState }
  /** The comparison could not be computed: the view lays itself out (if not yet) and shows the problem in place. */
  | { type: 'failed'; failure: ComparisonFailure }
  | SharedPush;
export type TensorFilePush = { type: 'init'; view: 'tensorFile'; state: TensorFileState } | SharedPush;

/**
 * One view's protocol: the requests its host serves and the messages its host pushes. A host typed with
 * one view's protocol cannot serve or push another view's messages, and its webview cannot request them.
 */
export interface ViewProtocol<Requests extends MethodMap = MethodMap, Push extends { type: string } = { type: string }> {
  requests: Requests;
  push: Push;
}
export type ComparisonProtocol = ViewProtocol<ComparisonRequests, ComparisonPush>;
export type TensorFileProtocol = ViewProtocol<TensorFileRequests, TensorFilePush>;
/** The folder view's (./dataset.ts declares its requests and pushes). */
export type DatasetProtocol = ViewProtocol<DatasetRequestMap, DatasetPush>;
export type AnyViewProtocol = ComparisonProtocol | TensorFileProtocol | DatasetProtocol;

export type RequestOf<Requests extends MethodMap> = {
  [M in keyof Requests & string]: { type: 'request'; id: number; method: M; params: Requests[M]['params'] };
}[keyof Requests & string];

export type LogMessage = { type: 'log'; level: 'info' | 'error'; message: string };

/** What one view's webview posts. */
export type FromWebview<P extends ViewProtocol> = { type: 'ready' } | RequestOf<P['requests']> | CancelMessage | LogMessage;
/** What one view's host posts: its pushes and the replies to its requests. */
export type ToWebview<P extends ViewProtocol> = P['push'] | ResponseMessage<P['requests'][keyof P['requests']]['result'], string>;

export type WebviewRequest = RequestOf<RequestMap>;
export type WebviewToHost = FromWebview<ComparisonProtocol> | FromWebview<TensorFileProtocol>;
export type Response<M extends RequestMethod = RequestMethod> = ResponseMessage<RequestMap[M]['result'], string>;
export type HostToWebview = ComparisonPush | TensorFilePush | Response;

/** Persisted by the webview (vscode.setState) and handed to the serializer to restore a panel. */
export interface PersistedComparison {
  view: 'comparison';
  logits: LabeledTensorRef;
  target: LabeledTensorRef;
  options: LossOptions;
  inspect?: InspectCaveats;
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'ready' || t === 'log') return true;
  if (t === 'cancel') return typeof (m as { id?: unknown }).id === 'number';
  if (t !== 'request') return false;
  const r = m as { id?: unknown; method?: unknown };
  return typeof r.id === 'number' && typeof r.method === 'string';
}
