"""Writes the bundled sample segmentation (sample/logits.npy, sample/labels.npy) deterministically.

A 1x4x32x32x16 volume: background plus three blob-shaped organs, logits from a noisy, slightly
over-confident "model" that blurs boundaries and misses part of the smallest organ. Run with any numpy:
    python3 scripts/make-sample.py
"""
import json
import os
import numpy as np

rng = np.random.default_rng(20261123)
B, C, X, Y, Z = 1, 4, 32, 32, 16
xx, yy, zz = np.meshgrid(np.arange(X), np.arange(Y), np.arange(Z), indexing="ij")
labels = np.zeros((X, Y, Z), dtype=np.int64)
for c, (cx, cy, cz, r) in enumerate([(10, 12, 8, 7.0), (22, 20, 7, 6.0), (16, 25, 10, 3.0)], start=1):
    d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2 + (1.6 * (zz - cz)) ** 2)
    labels[d < r] = c

onehot = np.eye(C)[labels]  # X,Y,Z,C
# blur the one-hot a little so boundaries are uncertain
soft = onehot.copy()
for axis in range(3):
    soft = 0.5 * soft + 0.25 * np.roll(soft, 1, axis=axis) + 0.25 * np.roll(soft, -1, axis=axis)
logits = 4.0 * soft + rng.normal(0.0, 0.9, size=soft.shape)
# the model under-segments the small organ (class 3)
logits[..., 3] -= 1.2
logits = np.moveaxis(logits, -1, 0)[None].astype(np.float32)  # 1,C,X,Y,Z
here = os.path.join(os.path.dirname(__file__), "..", "sample")
np.save(os.path.join(here, "logits.npy"), logits)
np.save(os.path.join(here, "labels.npy"), labels[None, None])  # 1,1,X,Y,Z (MONAI's layout)
with open(os.path.join(here, "classes.json"), "w") as f:
    json.dump(["background", "liver", "spleen", "pancreas"], f)
    f.write("\n")
print("logits", logits.shape, logits.dtype, "labels", labels[None, None].shape, np.bincount(labels.ravel()))
