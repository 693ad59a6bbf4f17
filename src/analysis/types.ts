/**
 * Result shapes of the Python analysis: recognised loss calls, their options in the golden camelCase
 * keys, post-hoc `label_smoothing` assignments, diagnostics and quick-fix edits. Pure data (JSON-safe):
 * the CLI prints it, the extension turns it into lenses, hovers and diagnostics.
 *
 * Positions: `start`/`end` are offsets into the analysed text (UTF-16 code units, what both JavaScript
 * strings and VS Code's `positionAt` use); `line`/`column` are 1-based. In a notebook every position is
 * relative to its cell's text and `cellIndex` names the cell (0-based, counting every cell of the
 * notebook, markdown included — VS Code's `NotebookCell.index`).
 */
import type { LossOptions } from '../engine/types';

export interface TextRange {
  start: number;
  end: number;
}

/** A range with its 1-based line/column start and end. */
export interface Located extends TextRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** What Python literal values the analysis evaluates (lists only of numbers). */
export type PyLiteral = number | boolean | null | string | number[];

/**
 * An argument's value: a literal evaluated without running anything (also through a name bound once to
 * one, a constant subscript of a dict literal, `len` of a literal list), or unknown — never guessed — with
 * the reason (`not a literal`, `a function parameter`, `assigned more than once`…).
 */
export type ArgValue =
  /** `resolved`: the value was read through a name, not written in place (`eps` for `eps = 0.1`). */
  | { known: true; value: PyLiteral; text: string; resolved?: true }
  | { known: false; text: string; reason: string };

export interface CallArgument {
  /** The Python parameter this argument binds (`null` for a positional past the known signature). */
  param: string | null;
  /** True for `name=value`, false for a positional argument. */
  keyword: boolean;
  /** Whether the loss's signature has this parameter (false e.g. for `label_smoothing` on `DiceLoss`). */
  accepted: boolean;
  /** The golden option key this parameter maps to, when it means the same thing for this loss. */
  key: keyof LossOptions | null;
  value: ArgValue;
  /** The whole argument (`name=value` or the positional expression). */
  range: TextRange;
  /** The keyword's name (keyword arguments only). */
  nameRange: TextRange | null;
  valueRange: TextRange;
}

export type LossName =
  | 'DiceCELoss'
  | 'DiceLoss'
  | 'DiceFocalLoss'
  | 'GeneralizedDiceLoss'
  | 'GeneralizedDiceFocalLoss'
  | 'TverskyLoss'
  | 'FocalLoss'
  | 'CrossEntropyLoss'
  | 'cross_entropy'
  | 'BCEWithLogitsLoss'
  | 'BCELoss'
  | 'NLLLoss'
  | 'binary_cross_entropy_with_logits'
  | 'binary_cross_entropy'
  | 'nll_loss'
  | 'TrainingArguments'
  | 'Seq2SeqTrainingArguments'
  | 'LabelSmoother';

/**
 * A class count stated in the source: `num_classes=14`, `out_channels=CONFIG["num_classes"]`,
 * `NUM_CLASSES = 14`, `{"n_classes": 4}` (a literal or a value resolved statically). The length of a
 * call's weight list is not a hint: it is that call's own C (lens.ts `classCountFor`).
 */
export interface ClassCountHint extends Located {
  value: number;
  /** The keyword, variable name or dict key it came from. */
  name: string;
  /** How it is stated: `num_classes=…` keyword, `NAME = …` assignment, `"key": …` dict entry. */
  via: 'keyword' | 'assignment' | 'dict';
  cellIndex?: number;
}

/** A post-hoc `X.label_smoothing = v` or `X.cross_entropy.label_smoothing = v` on a recognised loss. */
export interface PostHocAssignment extends Located {
  /** The assignment target as written, e.g. `self.criterion.cross_entropy.label_smoothing`. */
  target: string;
  /** Attribute path after the loss object: `label_smoothing` or `cross_entropy.label_smoothing`. */
  path: 'label_smoothing' | 'cross_entropy.label_smoothing';
  value: ArgValue;
  valueRange: TextRange;
  /** The `label_smoothing` attribute name (for hovers). */
  attrRange: TextRange;
  /** Whether the assignment reaches the loss that is computed (see diagnostics.ts for the rules). */
  effective: boolean;
  cellIndex?: number;
}

/**
 * An argument whose value the inspector cannot apply as training does: unknown (a variable, an
 * expression), not modelled (`reduction='none'`, `other_act=…`), `**kwargs`; or, in `invalid`, a value
 * torch or MONAI rejects when the loss runs (`label_smoothing=1.5`).
 */
export interface OptionNote {
  /** The Python parameter (`weight`, `label_smoothing`), or `**kwargs` / `*args`. */
  param: string;
  /** The golden option key, when the parameter maps to one. */
  key: keyof LossOptions | null;
  /** The argument's value as written (`class_weights`, `**cfg`). */
  text: string;
  /** Why it is not applied, or what torch / MONAI says about it. */
  reason: string;
}

export interface LossCall extends Located {
  /** Stable within one analysis: the index in `Analysis.calls` (over all cells for a notebook). */
  id: number;
  loss: LossName;
  /** The resolved, canonical qualified name, e.g. `monai.losses.DiceCELoss`. */
  name: string;
  /** The callee as written, e.g. `DCE` or `nn.CrossEntropyLoss`. */
  callee: string;
  /** The callee's last identifier (what a hover on the loss name covers). */
  nameRange: TextRange;
  args: CallArgument[];
  /**
   * The configuration in golden keys, only what is known: literal arguments of the right type, `loss`
   * for CE / Dice / DiceCE, and ε from an effective post-hoc assignment. Defaults are not filled in.
   */
  options: Partial<LossOptions>;
  /** Golden keys given a value the analysis cannot evaluate (a variable, an expression…). */
  unknownOptions: (keyof LossOptions)[];
  /** Arguments not applied by *Inspect with these settings…*, each with its reason (see {@link OptionNote}). */
  notApplied: OptionNote[];
  /** Values torch or MONAI reject when the loss is computed: Inspect shows the error, never a default. */
  invalid: OptionNote[];
  /** `**mapping` in the call: options may be incomplete. */
  hasKwargs: boolean;
  /** `*sequence` in the call: positional arguments after it cannot be mapped. */
  hasStarArgs: boolean;
  /** Accepts a `label_smoothing` parameter. */
  acceptsSmoothing: boolean;
  /** What the call is bound to (`criterion`, `self.loss_fn`), when it is assigned directly. */
  boundTo: string | null;
  postHoc: PostHocAssignment[];
  /** C stated in the file (see numClasses.ts for the rule), else null. */
  numClasses: ClassCountHint | null;
  cellIndex?: number;
}

export type Severity = 'error' | 'warning' | 'information';

export type DiagnosticCode =
  | 'li-eps-range'
  | 'li-eps-unsupported'
  | 'li-ignore-index-dicece'
  | 'li-sigmoid-eps'
  | 'li-one-channel-eps'
  | 'li-posthoc-eps'
  | 'li-posthoc-eps-ignored'
  | 'li-focal-sigmoid'
  | 'li-alpha-dropped';

/** One text replacement; offsets into the same text as the diagnostic (the same cell for notebooks). */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface QuickFix {
  title: string;
  edits: TextEdit[];
}

export interface AnalysisDiagnostic extends Located {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** The call the diagnostic is about. */
  callId: number;
  fix: QuickFix | null;
  cellIndex?: number;
}

export interface Analysis {
  calls: LossCall[];
  diagnostics: AnalysisDiagnostic[];
  /** Every literal class count in the text, in order. */
  classCounts: ClassCountHint[];
  /** Parse errors the parser recovered from (the analysis goes on around them). */
  syntaxErrors: number;
}

/** A notebook's analysis: every code cell analysed in order, imports and bindings carried across cells. */
export interface NotebookAnalysis {
  cells: { cellIndex: number; analysis: Analysis }[];
  /** All calls and diagnostics of all cells, each carrying `cellIndex`. */
  calls: LossCall[];
  diagnostics: AnalysisDiagnostic[];
}
