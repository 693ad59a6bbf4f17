"""A minimal MONAI training step for the Loss Inspector demo.

Open this file in VS Code with Loss Inspector installed: a CodeLens above each loss shows what its
label smoothing does for 4 classes, "Inspect with these settings…" opens the comparison on the saved
outputs in data/, and the post-hoc assignment at the bottom gets a diagnostic with a quick fix.
"""
import torch
from torch import nn
from monai.losses import DiceCELoss
from monai.networks.nets import UNet

num_classes = 4  # background, liver, spleen, pancreas (see classes.json)

model = UNet(
    spatial_dims=3,
    in_channels=1,
    out_channels=num_classes,
    channels=(16, 32, 64),
    strides=(2, 2),
)

# What training optimises: Dice + label-smoothed cross-entropy.
loss_fn = DiceCELoss(to_onehot_y=True, softmax=True, label_smoothing=0.1)

# A plain cross-entropy, used for the auxiliary head.
aux_loss = nn.CrossEntropyLoss(label_smoothing=0.05)

# The older workaround (MONAI < 1.2 had no label_smoothing argument): set it after construction.
criterion = DiceCELoss(to_onehot_y=True, softmax=True, lambda_ce=0.5)
criterion.cross_entropy.label_smoothing = 0.1

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)


def train_step(image: torch.Tensor, label: torch.Tensor) -> float:
    """One step; `image` is (B, 1, X, Y, Z), `label` is (B, 1, X, Y, Z) class indices."""
    optimizer.zero_grad()
    logits = model(image)
    loss = loss_fn(logits, label) + 0.1 * aux_loss(logits, label[:, 0].long())
    loss.backward()
    optimizer.step()
    torch.save({"logits": logits.detach().cpu(), "labels": label.cpu()}, "data/outputs.pt")
    return loss.item()
