/**
 * MONAI `DiceCELoss` (monai/losses/dice.py), the simple path:
 * `total = lambda_dice · DiceLoss(x, t) + lambda_ce · CE(x, t)`, with MONAI's routing of the CE term:
 * - C > 1 and a `(B, 1, …)` target: squeezed to `(B, …)` int64 indices → torch's index path;
 * - C > 1 and a C-channel target: cast to float → torch's probability path (with weights, `mean` divides by
 *   the element count, not by the weights);
 * - C == 1: `BCEWithLogitsLoss(pos_weight=weight)` on the target as float — `label_smoothing` is not used.
 * The Dice term gets `weight[1:]` when `include_background` is false. Input and target must have the same rank.
 */
import { bceWithLogits } from './bce';
import { crossEntropy } from './crossEntropy';
import { diceLoss } from './dice';
import { LossInputError, fmtShape } from './errors';
import type { Tensor } from './tensor';
import type { LossOptions } from './types';

export function diceCeLoss(input: Tensor, target: Tensor, o: LossOptions): { total: number; dice: number; ce: number } {
  if (input.shape.length !== target.shape.length) {
    throw new LossInputError(
      `the number of dimensions for input and target should be the same, got shape ${fmtShape(input.shape)} and ${fmtShape(target.shape)}`,
    );
  }
  const C = input.shape[1]!;
  const tc = target.shape[1]!;
  if (tc !== 1 && tc !== C) {
    throw new LossInputError(`number of channels for target is neither 1 nor the same as input, got shape ${fmtShape(input.shape)} and ${fmtShape(target.shape)}`);
  }
  const diceWeight = o.weight && !o.includeBackground ? o.weight.slice(1) : o.weight;
  const dice = diceLoss(input, target, { ...o, weight: diceWeight }) as number;
  let ce: number;
  if (C === 1) ce = bceWithLogits(input, target, { posWeight: o.weight, reduction: o.reduction }) as number;
  else ce = crossEntropy(input, target, { weight: o.weight, reduction: o.reduction, labelSmoothing: o.labelSmoothing }) as number;
  return { total: o.lambdaDice * dice + o.lambdaCe * ce, dice, ce };
}
