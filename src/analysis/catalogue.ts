/**
 * The losses the analysis recognises: their import paths, positional signatures and how their
 * parameters map to the golden option keys.
 *
 * Signatures: torch 1.13–2.x (`torch/nn/modules/loss.py`, `torch/nn/functional.py`) and MONAI 1.5
 * (`monai/losses/dice.py`, `focal_loss.py`, `tversky.py`, the version the golden cases were made with). A parameter maps to a golden
 * key only where it means what the engine computes: `weight` is a class weight for CE / NLL / Dice but
 * an element weight for BCE, so BCE's `weight` stays unmapped.
 */
import type { LossKind, LossOptions } from '../engine/types';
import { pythonKeysFor } from '../engine/optionSchema';
import type { LossName } from './types';

export interface LossSpec {
  loss: LossName;
  /** The canonical qualified name reported for every spelling of the import path. */
  qualifiedName: string;
  library: 'torch' | 'monai' | 'transformers';
  /** Parameters in positional order (for functions: including `input` and `target`). */
  params: readonly string[];
  /** Python parameter → golden key, for the parameters that mean the same thing here (from the option schema). */
  keys: Readonly<Partial<Record<string, keyof LossOptions>>>;
  /** The engine's loss kind when the inspector can reproduce this loss, else null. */
  kind: LossKind | null;
  acceptsSmoothing: boolean;
  /** The parameter that carries ε when it is not `label_smoothing` (`label_smoothing_factor`, `epsilon`). */
  smoothingParam?: string;
  /** ε when the call does not pass it (LabelSmoother's dataclass default is 0.1; torch's and MONAI's 0). */
  defaultSmoothing?: number;
  /** What the lens calls the class count: C, or V for a language model's vocabulary. */
  classSymbol?: 'C' | 'V';
  /** Any other keyword is a valid parameter that does not concern the loss (TrainingArguments' ~100). */
  openKeywords?: boolean;
  /** Import paths, when not derived from the library's layout. */
  paths?: readonly string[];
  /** MONAI's module under `monai.losses` that defines it (`dice` when not given). */
  module?: string;
}

const DICE_HEAD = ['include_background', 'to_onehot_y', 'sigmoid', 'softmax', 'other_act'] as const;
const DICE_MID = ['squared_pred', 'jaccard', 'reduction', 'smooth_nr', 'smooth_dr', 'batch'] as const;

const SPECS: LossSpec[] = ([
  {
    loss: 'DiceCELoss',
    qualifiedName: 'monai.losses.DiceCELoss',
    library: 'monai',
    params: [...DICE_HEAD, ...DICE_MID, 'weight', 'lambda_dice', 'lambda_ce', 'label_smoothing'],
    kind: 'dicece',
    acceptsSmoothing: true,
  },
  {
    loss: 'DiceLoss',
    qualifiedName: 'monai.losses.DiceLoss',
    library: 'monai',
    params: [...DICE_HEAD, ...DICE_MID, 'weight', 'soft_label'],
    kind: 'dice',
    acceptsSmoothing: false,
  },
  {
    loss: 'DiceFocalLoss',
    qualifiedName: 'monai.losses.DiceFocalLoss',
    library: 'monai',
    params: [...DICE_HEAD, ...DICE_MID, 'gamma', 'weight', 'lambda_dice', 'lambda_focal', 'alpha'],
    kind: 'dicefocal',
    acceptsSmoothing: false,
  },
  {
    loss: 'GeneralizedDiceLoss',
    qualifiedName: 'monai.losses.GeneralizedDiceLoss',
    library: 'monai',
    params: [...DICE_HEAD, 'w_type', 'reduction', 'smooth_nr', 'smooth_dr', 'batch', 'soft_label'],
    kind: 'gdice',
    acceptsSmoothing: false,
  },
  {
    loss: 'GeneralizedDiceFocalLoss',
    qualifiedName: 'monai.losses.GeneralizedDiceFocalLoss',
    library: 'monai',
    params: [...DICE_HEAD, 'w_type', 'reduction', 'smooth_nr', 'smooth_dr', 'batch', 'gamma', 'weight', 'lambda_gdl', 'lambda_focal'],
    kind: 'gdicefocal',
    acceptsSmoothing: false,
  },
  {
    loss: 'TverskyLoss',
    qualifiedName: 'monai.losses.TverskyLoss',
    library: 'monai',
    params: [...DICE_HEAD, 'alpha', 'beta', 'reduction', 'smooth_nr', 'smooth_dr', 'batch', 'soft_label'],
    kind: 'tversky',
    acceptsSmoothing: false,
    module: 'tversky',
  },
  {
    loss: 'FocalLoss',
    qualifiedName: 'monai.losses.FocalLoss',
    library: 'monai',
    params: ['include_background', 'to_onehot_y', 'gamma', 'alpha', 'weight', 'reduction', 'use_softmax'],
    kind: 'focal',
    acceptsSmoothing: false,
    module: 'focal_loss',
  },
  {
    loss: 'CrossEntropyLoss',
    qualifiedName: 'torch.nn.CrossEntropyLoss',
    library: 'torch',
    params: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'],
    kind: 'ce',
    acceptsSmoothing: true,
  },
  {
    loss: 'cross_entropy',
    qualifiedName: 'torch.nn.functional.cross_entropy',
    library: 'torch',
    params: ['input', 'target', 'weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'],
    kind: 'ce',
    acceptsSmoothing: true,
  },
  {
    loss: 'BCEWithLogitsLoss',
    qualifiedName: 'torch.nn.BCEWithLogitsLoss',
    library: 'torch',
    params: ['weight', 'size_average', 'reduce', 'reduction', 'pos_weight'],
    kind: null,
    acceptsSmoothing: false,
  },
  {
    loss: 'BCELoss',
    qualifiedName: 'torch.nn.BCELoss',
    library: 'torch',
    params: ['weight', 'size_average', 'reduce', 'reduction'],
    kind: null,
    acceptsSmoothing: false,
  },
  {
    loss: 'NLLLoss',
    qualifiedName: 'torch.nn.NLLLoss',
    library: 'torch',
    params: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction'],
    kind: null,
    acceptsSmoothing: false,
  },
  {
    loss: 'binary_cross_entropy_with_logits',
    qualifiedName: 'torch.nn.functional.binary_cross_entropy_with_logits',
    library: 'torch',
    params: ['input', 'target', 'weight', 'size_average', 'reduce', 'reduction', 'pos_weight'],
    kind: null,
    acceptsSmoothing: false,
  },
  {
    loss: 'binary_cross_entropy',
    qualifiedName: 'torch.nn.functional.binary_cross_entropy',
    library: 'torch',
    params: ['input', 'target', 'weight', 'size_average', 'reduce', 'reduction'],
    kind: null,
    acceptsSmoothing: false,
  },
  {
    loss: 'nll_loss',
    qualifiedName: 'torch.nn.functional.nll_loss',
    library: 'torch',
    params: ['input', 'target', 'weight', 'size_average', 'ignore_index', 'reduce', 'reduction'],
    kind: null,
    acceptsSmoothing: false,
  },
  // Hugging Face: the Trainer smooths with `LabelSmoother(epsilon=args.label_smoothing_factor)`
  // (transformers/trainer_pt_utils.py), whose mean over the tokens with a label ≠ ignore_index is torch's
  // `label_smoothing` mean without weights. No Inspect (`kind` null): its logits are (B, T, V), class axis last.
  {
    loss: 'TrainingArguments',
    qualifiedName: 'transformers.TrainingArguments',
    library: 'transformers',
    params: ['output_dir'],
    kind: null,
    acceptsSmoothing: true,
    smoothingParam: 'label_smoothing_factor',
    classSymbol: 'V',
    openKeywords: true,
    paths: ['transformers.TrainingArguments', 'transformers.training_args.TrainingArguments'],
  },
  {
    loss: 'Seq2SeqTrainingArguments',
    qualifiedName: 'transformers.Seq2SeqTrainingArguments',
    library: 'transformers',
    params: ['output_dir'],
    kind: null,
    acceptsSmoothing: true,
    smoothingParam: 'label_smoothing_factor',
    classSymbol: 'V',
    openKeywords: true,
    paths: ['transformers.Seq2SeqTrainingArguments', 'transformers.training_args_seq2seq.Seq2SeqTrainingArguments'],
  },
  {
    loss: 'LabelSmoother',
    qualifiedName: 'transformers.trainer_pt_utils.LabelSmoother',
    library: 'transformers',
    params: ['epsilon', 'ignore_index'],
    kind: null,
    acceptsSmoothing: true,
    smoothingParam: 'epsilon',
    defaultSmoothing: 0.1,
    classSymbol: 'V',
    paths: ['transformers.trainer_pt_utils.LabelSmoother'],
  },
] satisfies Omit<LossSpec, 'keys'>[]).map((spec) => ({ ...spec, keys: pythonKeysFor(spec.loss) }));

/** Every spelling of every import path → its spec. */
const BY_PATH = new Map<string, LossSpec>();
/** Last path components that can end a recognised callee (`nn.CrossEntropyLoss`, `monai.losses.dice_ce`). */
const TERMINALS = new Set<string>();

function register(path: string, spec: LossSpec): void {
  BY_PATH.set(path, spec);
  TERMINALS.add(path.slice(path.lastIndexOf('.') + 1));
}

/** MONAI's lower-case aliases, defined at the bottom of `monai/losses/dice.py` and exported by `monai.losses`. */
const MONAI_ALIASES: Record<string, string[]> = {
  DiceLoss: ['Dice', 'dice'],
  DiceCELoss: ['dice_ce'],
  DiceFocalLoss: ['dice_focal'],
  GeneralizedDiceLoss: ['generalized_dice'],
  GeneralizedDiceFocalLoss: ['generalized_dice_focal'],
};

for (const spec of SPECS) {
  if (spec.paths) {
    for (const path of spec.paths) register(path, spec);
  } else if (spec.library === 'monai') {
    for (const name of [spec.loss, ...(MONAI_ALIASES[spec.loss] ?? [])]) {
      register(`monai.losses.${name}`, spec);
      register(`monai.losses.${spec.module ?? 'dice'}.${name}`, spec);
    }
  } else if (spec.qualifiedName.startsWith('torch.nn.functional.')) {
    register(spec.qualifiedName, spec);
  } else {
    register(`torch.nn.${spec.loss}`, spec);
    register(`torch.nn.modules.${spec.loss}`, spec);
    register(`torch.nn.modules.loss.${spec.loss}`, spec);
  }
}

export function specForPath(qualified: string): LossSpec | undefined {
  return BY_PATH.get(qualified);
}

/** A cheap filter before resolving a dotted callee: can a path ending in `name` be a recognised loss? */
export function isTerminalName(name: string): boolean {
  return TERMINALS.has(name);
}

/** The parameter that carries ε for this loss (`label_smoothing` unless the spec says otherwise). */
export function smoothingParamOf(loss: LossName): string {
  return specFor(loss).smoothingParam ?? 'label_smoothing';
}

export function specFor(loss: LossName): LossSpec {
  const s = SPECS.find((x) => x.loss === loss);
  if (!s) throw new Error(`unknown loss ${loss}`);
  return s;
}

/** Callables whose literal list argument the analysis reads as a literal weight (`torch.tensor([1., 2.])`). */
export const TENSOR_FACTORIES = new Set([
  'torch.tensor',
  'torch.Tensor',
  'torch.FloatTensor',
  'torch.DoubleTensor',
  'torch.as_tensor',
  'numpy.array',
  'numpy.asarray',
]);

/** Methods that keep a tensor's values (`.to(device)`, `.cuda()`, `.float()`): transparent around a factory. */
export const VALUE_PRESERVING_METHODS = new Set(['to', 'cuda', 'cpu', 'float', 'double', 'half']);

/** Layers whose `out_channels=` is a feature count, not the number of classes. */
export function isLayerWithChannels(qualified: string | null, terminal: string): boolean {
  if (qualified !== null && qualified.startsWith('torch.nn.')) return true;
  return terminal.startsWith('Conv') || terminal === 'Linear';
}

/** Every name that can end a recognised callee: a text in which none occurs as an identifier has no loss call. */
export function terminalNames(): readonly string[] {
  return [...TERMINALS];
}
