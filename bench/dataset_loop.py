#!/usr/bin/env python3
"""The Python side of the benchmark's validation-set row (W5): the loop people write today over a folder of
predictions and a folder of references, timed as a whole process.

For each case (sorted by id): numpy.load of the compressed .npz logits, the NIfTI label map (nibabel when
installed, else the numpy gzip + header reader of torch_report.py), then with torch on --threads threads
MONAI's DiceCELoss(softmax=True, to_onehot_y=True, label_smoothing=eps) — its formula written out, MONAI is not
installed here: mean soft Dice over (batch, class) of softmax vs one-hot, plus F.cross_entropy with label
smoothing — the hard (ε = 0) and smoothed variants the report also gives, and nnU-Net's metrics on the argmax
(one boolean mask per label, as compute_tp_fp_fn_tn does). Then the means over cases (numpy.nanmean) and the
Dice pooled over all voxels. Prints `BENCH_RESULT {json}`.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_report import read_target  # noqa: E402


def dicece(x, t, eps, smooth=1e-5):
    C = x.shape[1]
    dims = tuple(range(2, x.dim()))
    ce_s = F.cross_entropy(x, t, label_smoothing=eps)
    ce_h = F.cross_entropy(x, t)
    p = torch.softmax(x, 1)
    y = F.one_hot(t, C).movedim(-1, 1).to(p.dtype)
    sp, sy = p.sum(dims), y.sum(dims)
    dice_h = (1 - (2 * (p * y).sum(dims) + smooth) / (sp + sy + smooth)).mean()
    ys = y * (1 - eps) + eps / C
    Y, D = ys.sum(dims), (p - ys).abs().sum(dims)
    dice_s = (1 - (sp + Y - D + smooth) / (sp + Y + smooth)).mean()
    return {"loss": float(dice_h + ce_s), "hard": float(dice_h + ce_h), "smoothed": float(dice_s + ce_s)}


def metrics(ref, pred, label):
    r, p = ref == label, pred == label
    tp, fp, fn = int(np.sum(r & p)), int(np.sum(~r & p)), int(np.sum(r & ~p))
    d = tp + fp + fn
    return {"Dice": float("nan") if d == 0 else 2 * tp / (2 * tp + fp + fn), "TP": tp, "FP": fp, "FN": fn}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("predictions")
    ap.add_argument("references")
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    rows, losses, reader = [], [], ""
    for name in sorted(os.listdir(a.predictions)):
        if not name.endswith(".npz"):
            continue
        cid = name[: -len(".npz")]
        with np.load(os.path.join(a.predictions, name)) as z:
            x = z[z.files[0]]
        lab, reader = read_target(os.path.join(a.references, cid + ".nii.gz"))
        xt = torch.from_numpy(x)
        t = torch.from_numpy(lab.astype(np.int64))[None]
        with torch.no_grad():
            losses.append(dicece(xt, t, a.eps))
            pred = xt.argmax(1)[0].numpy()
        C = x.shape[1]
        rows.append({str(l): metrics(lab, pred, l) for l in range(1, C)})
        del x, xt, t, pred, lab
    labels = list(rows[0].keys())
    mean = {k: float(np.nanmean([r[k]["Dice"] for r in rows])) for k in labels}
    pooled = {}
    for k in labels:
        tp, fp, fn = (sum(r[k][m] for r in rows) for m in ("TP", "FP", "FN"))
        pooled[k] = 2 * tp / (2 * tp + fp + fn)
    ms = (time.perf_counter() - t0) * 1000
    print("BENCH_RESULT " + json.dumps({"ms": ms, "cases": len(rows), "meanDice": mean, "pooledDice": pooled, "caseLoss": [l["loss"] for l in losses], "reader": reader, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
