/**
 * The one owner of every loss option: key, value type, default, the torch/MONAI parameter it stands for in
 * each recognised call, CLI flag, help text, webview control, the losses it applies to, and validation.
 * `LossOptions`, the defaults, engine validation (options.ts), the CLI flags and help, the analysis keyword
 * mapping (catalogue.ts), the comparison view's Options panel and the `lossInspector.*` settings in
 * package.json (held to {@link settingContribution} by a test) are all derived from {@link OPTION_SCHEMA}:
 * adding an option is one entry here (plus `node --import tsx scripts/sync-settings.ts` for package.json).
 * Pure: no `vscode`, no DOM, no Node.
 */
import { LossInputError } from './errors';

/** The loss kinds the engine computes (the golden `loss` values). */
export const LOSS_KINDS = ['ce', 'dice', 'dicece', 'focal', 'dicefocal', 'gdice', 'tversky', 'gdicefocal'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** Kinds with an overlap (Dice-like) term and kinds with a focal term. */
export const OVERLAP_KINDS: readonly LossKind[] = ['dice', 'dicece', 'dicefocal', 'gdice', 'tversky', 'gdicefocal'];
export const FOCAL_KINDS: readonly LossKind[] = ['focal', 'dicefocal', 'gdicefocal'];

/** The webview control an option gets. */
export type OptionControl = 'dropdown' | 'checkbox' | 'number' | 'integer' | 'slider' | 'list' | 'optionalNumber';
/** Where the Options panel puts it. */
export type OptionGroup = 'loss' | 'overlap' | 'focal' | 'lambdas' | 'layout';

interface SpecBase<K extends string, V> {
  key: K;
  default: V;
  /** Python parameter name → the recognised losses (analysis `LossName`s) where it means this option. */
  params: Readonly<Record<string, readonly string[]>>;
  /** One line: CLI help, the settings description, the view's tooltip. */
  help: string;
  /** The view's label (the Python parameter name, as users write it). */
  label: string;
  control: OptionControl;
  group: OptionGroup;
  /** The loss kinds this option changes ('all' for every kind). */
  losses: readonly LossKind[] | 'all';
  /** Converts an untrusted value (CLI string, JSON, setting) or throws LossInputError naming the option. */
  parse(v: unknown): V;
}

export interface ChoiceSpec<K extends string, V extends string> extends SpecBase<K, V> {
  type: 'choice';
  choices: readonly { value: V; label: string; description: string }[];
}
export interface BoolSpec<K extends string> extends SpecBase<K, boolean> {
  type: 'boolean';
}
export interface NumberSpec<K extends string> extends SpecBase<K, number> {
  type: 'number' | 'integer';
  minimum?: number;
  maximum?: number;
  /** The only values allowed, when they are a few (the settings' `enum`). */
  allowed?: readonly number[];
}
export interface WeightsSpec<K extends string> extends SpecBase<K, number[] | null> {
  type: 'weights';
}
export interface OptionalNumberSpec<K extends string> extends SpecBase<K, number | null> {
  type: 'optionalNumber';
}

export type AnyOptionSpec =
  | ChoiceSpec<string, string>
  | BoolSpec<string>
  | NumberSpec<string>
  | WeightsSpec<string>
  | OptionalNumberSpec<string>;

type Common = Omit<SpecBase<string, unknown>, 'key' | 'default' | 'parse' | 'control'> & { control?: OptionControl };

function fail(key: string, what: string, v: unknown): never {
  throw new LossInputError(`option ${key}: expected ${what}, got ${JSON.stringify(v)}`, key);
}

function toNumber(key: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) fail(key, 'a finite number', v);
  return n;
}

function choice<K extends string, const V extends string>(
  key: K,
  def: NoInfer<V>,
  choices: readonly { value: V; label: string; description: string }[],
  c: Common,
): ChoiceSpec<K, V> {
  const values = choices.map((x) => x.value);
  return {
    ...c,
    key,
    type: 'choice',
    default: def,
    choices,
    control: c.control ?? 'dropdown',
    parse(v) {
      if (typeof v !== 'string' || !(values as string[]).includes(v)) {
        const list = values.length === 2 ? values.join(' or ') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
        fail(key, list, v);
      }
      return v as V;
    },
  };
}

function bool<K extends string>(key: K, def: boolean, c: Common): BoolSpec<K> {
  return {
    ...c,
    key,
    type: 'boolean',
    default: def,
    control: c.control ?? 'checkbox',
    parse(v) {
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 1) return true;
      if (v === 'false' || v === 0) return false;
      return fail(key, 'true or false', v);
    },
  };
}

/**
 * A number option. `minimum`/`maximum` refuse what torch/MONAI refuse, with their words (`range`), e.g. torch's
 * "label_smoothing must be between 0.0 and 1.0. Got: 1.5", MONAI's "lambda_dice should be no less than 0.0".
 */
function number<K extends string>(
  key: K,
  def: number,
  c: Common & { integer?: boolean; minimum?: number; maximum?: number; range?: (n: number) => string },
): NumberSpec<K> {
  const { integer, minimum, maximum, range, ...rest } = c;
  return {
    ...rest,
    key,
    type: integer ? 'integer' : 'number',
    default: def,
    ...(minimum !== undefined ? { minimum } : {}),
    ...(maximum !== undefined ? { maximum } : {}),
    control: c.control ?? (integer ? 'integer' : 'number'),
    parse(v) {
      const n = toNumber(key, v);
      if (integer && !Number.isInteger(n)) throw new LossInputError(`option ${key}: expected an integer, got ${n}`, key);
      if ((minimum !== undefined && n < minimum) || (maximum !== undefined && n > maximum)) {
        throw new LossInputError(`option ${key}: ${range ? range(n) : `out of range, got ${n}`}`, key);
      }
      return n;
    },
  };
}

/** An axis option: one of a few integers (`classAxis`: 1 or -1), with the words of its refusal. */
function axis<K extends string, const V extends number>(key: K, def: NoInfer<V>, allowed: readonly V[], what: string, c: Common): NumberSpec<K> & { default: V; parse(v: unknown): V } {
  return {
    ...c,
    key,
    type: 'integer',
    default: def,
    allowed,
    control: c.control ?? 'integer',
    parse(v) {
      const n = toNumber(key, v);
      if (!(allowed as readonly number[]).includes(n)) fail(key, what, v);
      return n as V;
    },
  };
}

function weights<K extends string>(key: K, c: Common): WeightsSpec<K> {
  return {
    ...c,
    key,
    type: 'weights',
    default: null,
    control: c.control ?? 'list',
    parse(v) {
      if (v === null || v === 'null' || v === 'none') return null;
      let w = v;
      if (typeof w === 'string') w = w.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (!Array.isArray(w) || w.length === 0) fail(key, 'a non-empty list of numbers or null', v);
      const ws = (w as unknown[]).map((x) => toNumber(key, x));
      if (ws.some((x) => x < 0)) {
        throw new LossInputError(`option ${key}: class weights must be non-negative, got [${ws.join(', ')}]`, key);
      }
      return ws;
    },
  };
}

function optionalNumber<K extends string>(key: K, c: Common): OptionalNumberSpec<K> {
  return {
    ...c,
    key,
    type: 'optionalNumber',
    default: null,
    control: c.control ?? 'optionalNumber',
    parse(v) {
      if (v === null || v === 'null' || v === 'none' || v === '') return null;
      return toNumber(key, v);
    },
  };
}

// The recognised calls (analysis `LossName`s) by the parameters they share.
const CE_CALLS = ['CrossEntropyLoss', 'cross_entropy'];
const NLL_CALLS = ['NLLLoss', 'nll_loss'];
const BCE_CALLS = ['BCEWithLogitsLoss', 'BCELoss', 'binary_cross_entropy_with_logits', 'binary_cross_entropy'];
const DICE_CALLS = ['DiceLoss', 'DiceCELoss', 'DiceFocalLoss'];
const GDL_CALLS = ['GeneralizedDiceLoss', 'GeneralizedDiceFocalLoss'];
/** MONAI's segmentation losses with the activation, smoothing and batch arguments. */
const SEG_CALLS = [...DICE_CALLS, ...GDL_CALLS, 'TverskyLoss'];
const MONAI_CALLS = [...SEG_CALLS, 'FocalLoss'];

const OVERLAP_NO_FOCAL: readonly LossKind[] = OVERLAP_KINDS;

/**
 * Every option, in the order of the settings, the CLI help and the Options panel. The golden option keys
 * (test/fixtures/golden/README.md and its families/README.md).
 */
export const OPTION_SCHEMA = [
  choice(
    'loss',
    'dicece',
    [
      { value: 'ce', label: 'F.cross_entropy', description: 'torch F.cross_entropy' },
      { value: 'dice', label: 'DiceLoss', description: 'MONAI DiceLoss' },
      { value: 'dicece', label: 'DiceCELoss', description: 'MONAI DiceCELoss (Dice + cross-entropy)' },
      { value: 'focal', label: 'FocalLoss', description: 'MONAI FocalLoss' },
      { value: 'dicefocal', label: 'DiceFocalLoss', description: 'MONAI DiceFocalLoss (Dice + sigmoid focal)' },
      { value: 'gdice', label: 'GeneralizedDiceLoss', description: 'MONAI GeneralizedDiceLoss' },
      { value: 'tversky', label: 'TverskyLoss', description: 'MONAI TverskyLoss' },
      { value: 'gdicefocal', label: 'GeneralizedDiceFocalLoss', description: 'MONAI GeneralizedDiceFocalLoss (generalized Dice + sigmoid focal)' },
    ],
    { params: {}, help: 'Loss to reproduce', label: 'loss', group: 'loss', losses: 'all' },
  ),
  number('labelSmoothing', 0, {
    params: {
      label_smoothing: [...CE_CALLS, 'DiceCELoss'],
      label_smoothing_factor: ['TrainingArguments', 'Seq2SeqTrainingArguments'],
      epsilon: ['LabelSmoother'],
    },
    help: "Label smoothing ε, torch's label_smoothing in [0, 1]; for losses without it, the ε of the smoothed comparison",
    label: 'label_smoothing ε',
    control: 'slider',
    group: 'loss',
    losses: 'all',
    minimum: 0,
    maximum: 1,
    range: (n) => `label_smoothing must be between 0.0 and 1.0. Got: ${n}`,
  }),
  weights('weight', {
    params: { weight: [...CE_CALLS, ...NLL_CALLS, ...DICE_CALLS, 'FocalLoss', 'GeneralizedDiceFocalLoss'] },
    help: 'Class weights (CE weight, Dice and focal weight, BCE pos_weight with one channel), or null',
    label: 'weight',
    group: 'loss',
    losses: ['ce', 'dice', 'dicece', 'focal', 'dicefocal', 'gdicefocal'],
  }),
  number('ignoreIndex', -100, {
    params: { ignore_index: [...CE_CALLS, ...NLL_CALLS, 'LabelSmoother'] },
    help: "torch's ignore_index (cross-entropy only; MONAI's losses have none)",
    label: 'ignore_index',
    group: 'loss',
    losses: ['ce'],
    integer: true,
  }),
  choice(
    'reduction',
    'mean',
    [
      { value: 'mean', label: 'mean', description: 'Mean over elements (and classes for the overlap terms)' },
      { value: 'sum', label: 'sum', description: 'Sum (focal: mean over the spatial axes first)' },
    ],
    { params: { reduction: [...CE_CALLS, ...NLL_CALLS, ...BCE_CALLS, ...MONAI_CALLS] }, help: 'Reduction: mean or sum', label: 'reduction', group: 'loss', losses: 'all' },
  ),
  bool('includeBackground', true, {
    params: { include_background: MONAI_CALLS },
    help: 'MONAI include_background: keep channel 0',
    label: 'include_background',
    group: 'overlap',
    losses: [...OVERLAP_NO_FOCAL, 'focal'],
  }),
  bool('toOnehotY', false, {
    params: { to_onehot_y: MONAI_CALLS },
    help: 'MONAI to_onehot_y: one-hot encode a (B, 1, …) class-index target',
    label: 'to_onehot_y',
    group: 'overlap',
    losses: [...OVERLAP_NO_FOCAL, 'focal'],
  }),
  bool('sigmoid', false, {
    params: { sigmoid: SEG_CALLS },
    help: 'MONAI sigmoid: sigmoid the logits for the overlap term (not with softmax)',
    label: 'sigmoid',
    group: 'overlap',
    losses: OVERLAP_NO_FOCAL,
  }),
  bool('softmax', false, {
    params: { softmax: SEG_CALLS },
    help: 'MONAI softmax: softmax the logits for the overlap term (not with sigmoid; never reaches a focal term)',
    label: 'softmax',
    group: 'overlap',
    losses: OVERLAP_NO_FOCAL,
  }),
  bool('squaredPred', false, {
    params: { squared_pred: DICE_CALLS },
    help: 'MONAI squared_pred: square prediction and target in the Dice denominator',
    label: 'squared_pred',
    group: 'overlap',
    losses: ['dice', 'dicece', 'dicefocal'],
  }),
  bool('jaccard', false, {
    params: { jaccard: DICE_CALLS },
    help: 'MONAI jaccard: the Jaccard (IoU) loss instead of Dice',
    label: 'jaccard',
    group: 'overlap',
    losses: ['dice', 'dicece', 'dicefocal'],
  }),
  number('smoothNr', 1e-5, {
    params: { smooth_nr: SEG_CALLS },
    help: 'MONAI smooth_nr: added to the overlap numerator',
    label: 'smooth_nr',
    group: 'overlap',
    losses: OVERLAP_NO_FOCAL,
  }),
  number('smoothDr', 1e-5, {
    params: { smooth_dr: SEG_CALLS },
    help: 'MONAI smooth_dr: added to the overlap denominator',
    label: 'smooth_dr',
    group: 'overlap',
    losses: OVERLAP_NO_FOCAL,
  }),
  bool('batch', false, {
    params: { batch: SEG_CALLS },
    help: 'MONAI batch: sum the overlap sums over the batch before dividing',
    label: 'batch',
    group: 'overlap',
    losses: OVERLAP_NO_FOCAL,
  }),
  number('lambdaDice', 1, {
    params: { lambda_dice: ['DiceCELoss', 'DiceFocalLoss'], lambda_gdl: ['GeneralizedDiceFocalLoss'] },
    help: 'MONAI lambda_dice (lambda_gdl): weight of the overlap term in a compound loss',
    label: 'lambda_dice',
    group: 'lambdas',
    losses: ['dicece', 'dicefocal', 'gdicefocal'],
    minimum: 0,
    range: (n) => `lambda_dice should be no less than 0.0, got ${n}`,
  }),
  number('lambdaCe', 1, {
    params: { lambda_ce: ['DiceCELoss'] },
    help: 'MONAI lambda_ce: weight of the cross-entropy term in DiceCELoss',
    label: 'lambda_ce',
    group: 'lambdas',
    losses: ['dicece'],
    minimum: 0,
    range: (n) => `lambda_ce should be no less than 0.0, got ${n}`,
  }),
  number('gamma', 2, {
    params: { gamma: ['FocalLoss', 'DiceFocalLoss', 'GeneralizedDiceFocalLoss'] },
    help: 'MONAI gamma: the focal exponent, (1 − p_t)^γ',
    label: 'gamma',
    group: 'focal',
    losses: FOCAL_KINDS,
  }),
  optionalNumber('alpha', {
    params: { alpha: ['FocalLoss', 'DiceFocalLoss'] },
    help: 'MONAI alpha of the focal term: α on positives, 1 − α on negatives (softmax: on the background channel), or null',
    label: 'alpha',
    group: 'focal',
    losses: ['focal', 'dicefocal'],
  }),
  bool('useSoftmax', false, {
    params: { use_softmax: ['FocalLoss'] },
    help: "MONAI FocalLoss use_softmax: softmax focal instead of sigmoid (FocalLoss only; DiceFocal's focal term is always sigmoid)",
    label: 'use_softmax',
    group: 'focal',
    losses: ['focal'],
  }),
  number('lambdaFocal', 1, {
    params: { lambda_focal: ['DiceFocalLoss', 'GeneralizedDiceFocalLoss'] },
    help: 'MONAI lambda_focal: weight of the focal term in a compound loss',
    label: 'lambda_focal',
    group: 'lambdas',
    losses: ['dicefocal', 'gdicefocal'],
    minimum: 0,
    range: (n) => `lambda_focal should be no less than 0.0, got ${n}`,
  }),
  number('tverskyAlpha', 0.5, {
    params: { alpha: ['TverskyLoss'] },
    help: 'MONAI TverskyLoss alpha: weight of the false positives',
    label: 'alpha (Tversky)',
    group: 'overlap',
    losses: ['tversky'],
  }),
  number('tverskyBeta', 0.5, {
    params: { beta: ['TverskyLoss'] },
    help: 'MONAI TverskyLoss beta: weight of the false negatives',
    label: 'beta (Tversky)',
    group: 'overlap',
    losses: ['tversky'],
  }),
  choice(
    'wType',
    'square',
    [
      { value: 'square', label: 'square', description: '1 / (Σy)² per class' },
      { value: 'simple', label: 'simple', description: '1 / Σy per class' },
      { value: 'uniform', label: 'uniform', description: 'every class weighs 1' },
    ],
    {
      params: { w_type: GDL_CALLS },
      help: 'MONAI w_type of the generalized Dice losses: the class weight from the target volume',
      label: 'w_type',
      group: 'overlap',
      losses: ['gdice', 'gdicefocal'],
    },
  ),
  axis('classAxis', 1, [1, -1], "1 (torch's layout) or -1 (classes last)", {
    params: {},
    help: "The logits' class axis: 1 (torch's layout) or -1 (last, as language models save (B, T, V))",
    label: 'class axis',
    control: 'dropdown',
    group: 'layout',
    losses: 'all',
  }),
  bool('shiftLabels', false, {
    params: {},
    help: 'With class axis -1: score position t against label t+1 (logits[:, :-1] vs labels[:, 1:], as causal language models do)',
    label: 'shift labels (causal LM)',
    group: 'layout',
    losses: 'all',
  }),
] as const;

type Schema = typeof OPTION_SCHEMA;
type SpecOf<K extends OptionKey> = Extract<Schema[number], { key: K }>;
export type OptionKey = Schema[number]['key'];

/** Exactly the golden `options` keys. Every key is always present in an effective configuration. */
export type LossOptions = { [K in OptionKey]: ReturnType<SpecOf<K>['parse']> };

export type Reduction = LossOptions['reduction'];
export type WType = LossOptions['wType'];

export const OPTION_KEYS: readonly OptionKey[] = OPTION_SCHEMA.map((s) => s.key);

export function optionSpec(key: string): AnyOptionSpec | undefined {
  return (OPTION_SCHEMA as readonly AnyOptionSpec[]).find((s) => s.key === key);
}

/** The defaults: MONAI / torch constructor defaults (`loss` defaults to `dicece`). */
export function schemaDefaults(): LossOptions {
  const o: Record<string, unknown> = {};
  for (const s of OPTION_SCHEMA as readonly AnyOptionSpec[]) o[s.key] = Array.isArray(s.default) ? [...s.default] : s.default;
  return o as LossOptions;
}

/** Whether an option changes the loss of this kind. */
export function optionApplies(spec: AnyOptionSpec, loss: LossKind): boolean {
  return spec.losses === 'all' || spec.losses.includes(loss);
}

/** CLI flag of an option: `--label-smoothing` for `labelSmoothing`. */
export function optionFlag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * Python parameter → option key for one recognised call (analysis `LossName`), e.g. `DiceFocalLoss`:
 * `lambda_dice → lambdaDice`, `alpha → alpha`; `TverskyLoss`: `alpha → tverskyAlpha`.
 */
export function pythonKeysFor(call: string): Partial<Record<string, OptionKey>> {
  const out: Partial<Record<string, OptionKey>> = {};
  for (const s of OPTION_SCHEMA as readonly AnyOptionSpec[]) {
    for (const [param, calls] of Object.entries(s.params)) if (calls.includes(call)) out[param] = s.key as OptionKey;
  }
  return out;
}

/** The Python parameter name of an option in a call (`lambdaDice` in GeneralizedDiceFocalLoss → `lambda_gdl`). */
export function pythonNameFor(key: OptionKey, call: string): string | null {
  const s = optionSpec(key);
  if (!s) return null;
  for (const [param, calls] of Object.entries(s.params)) if (calls.includes(call)) return param;
  return null;
}

/**
 * The name an option goes by for users: its Python parameter (`to_onehot_y` for `toOnehotY`; the first one
 * where several calls name it differently), else the view's label (`class axis`). Messages shown to users
 * speak these names, never the engine's camelCase keys.
 */
export function pythonName(key: string): string {
  const s = optionSpec(key);
  if (!s) return key;
  return Object.keys(s.params)[0] ?? s.label;
}

/** The camelCase option keys (the ones that differ from a Python name), longest first so none eats another. */
const CAMEL_KEYS = (OPTION_SCHEMA as readonly AnyOptionSpec[])
  .map((s) => s.key)
  .filter((k) => /[A-Z]/.test(k))
  .sort((a, b) => b.length - a.length);
const CAMEL_KEY_RE = new RegExp(`\\b(${CAMEL_KEYS.join('|')})\\b`, 'g');

/** `text` with every camelCase option key replaced by its {@link pythonName} (`set toOnehotY` → `set to_onehot_y`). */
export function inPythonNames(text: string): string {
  return text.replace(CAMEL_KEY_RE, (k) => pythonName(k));
}

/** The `lossInspector.<key>` setting contributed in package.json for an option (without its `order`). */
export function settingContribution(spec: AnyOptionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  switch (spec.type) {
    case 'choice':
      out.type = 'string';
      out.enum = spec.choices.map((c) => c.value);
      out.enumDescriptions = spec.choices.map((c) => c.description);
      break;
    case 'boolean':
      out.type = 'boolean';
      break;
    case 'number':
    case 'integer':
      out.type = spec.type;
      if (spec.allowed !== undefined) out.enum = [...spec.allowed];
      if (spec.minimum !== undefined) out.minimum = spec.minimum;
      if (spec.maximum !== undefined) out.maximum = spec.maximum;
      break;
    case 'weights':
      out.type = ['array', 'null'];
      out.items = { type: 'number', minimum: 0 };
      break;
    case 'optionalNumber':
      out.type = ['number', 'null'];
      break;
  }
  out.default = spec.default;
  out.markdownDescription = spec.help + '.';
  return out;
}

/** The name a loss kind goes by in torch/MONAI (`DiceFocalLoss` for `dicefocal`). */
export function lossLabel(kind: LossKind): string {
  const spec = OPTION_SCHEMA[0];
  return spec.choices.find((c) => c.value === kind)?.label ?? kind;
}
