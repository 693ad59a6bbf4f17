#!/usr/bin/python3
"""Writes the validation-set examples with the real numpy and torch, and the numbers they must give.

    /usr/bin/python3 scripts/make-dataset-examples.py      (from anywhere)

The outputs are committed; this script documents how they were made and rewrites them byte for byte (fixed
seeds, gzip mtime 0). A maintainer's tool: the tests and the product never run it.

  test/fixtures/dataset/logits/      predictions = logits (.npz compressed, key "logits", and .npy; (1, C, X, Y, Z)
                                     and (C, X, Y, Z)), references = uint8 NIfTI label maps (.nii.gz); one case where
                                     class 2 is absent from both prediction and reference (its Dice is NaN), one
                                     unreadable prediction among good ones, one prediction and one reference
                                     without a partner. expected.json: what `loss-inspect dataset` must report with
                                     DiceCELoss(softmax, to_onehot_y, label_smoothing 0.1).
  test/fixtures/dataset/labelmaps/   predictions and references are label maps (.nii.gz and .npy) whose references
                                     hold the ignore label 255. expected.json: the metrics with --ignore-label 255.
  sample/dataset/                    the README's example: five small CT-like cases (4 classes), logits and labels.

Expected numbers are computed independently of Loss Inspector: the metrics the way nnU-Net's
compute_tp_fp_fn_tn does (one boolean mask per label, numpy), the means with numpy.nanmean / numpy.mean, and the
DiceCE loss with torch (MONAI's DiceCELoss formula written out: MONAI is not installed here).
NIfTI files are written by write_nifti below (a NIfTI-1 header with numpy; nibabel is not installed here).
"""
import gzip
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures", "dataset")
SAMPLE = os.path.join(ROOT, "sample", "dataset")


def write_nifti(path, data):
    """A NIfTI-1 single file (.nii.gz): 348-byte header, 4 bytes of extension flag, data in Fortran order."""
    codes = {np.dtype(np.uint8): (2, 8), np.dtype(np.int16): (4, 16), np.dtype(np.int32): (8, 32), np.dtype(np.float32): (16, 32)}
    code, bitpix = codes[data.dtype]
    hdr = bytearray(348)
    hdr[0:4] = np.int32(348).tobytes()
    dim = np.ones(8, dtype="<i2")
    dim[0] = data.ndim
    dim[1 : 1 + data.ndim] = data.shape
    hdr[40:56] = dim.tobytes()
    hdr[70:72] = np.int16(code).tobytes()
    hdr[72:74] = np.int16(bitpix).tobytes()
    hdr[76:108] = np.array([1, 1, 1, 1, 1, 1, 1, 1], dtype="<f4").tobytes()
    hdr[108:112] = np.float32(352).tobytes()
    hdr[123] = 2  # xyzt_units: mm
    hdr[344:348] = b"n+1\x00"
    raw = bytes(hdr) + b"\x00" * 4 + np.asfortranarray(data).tobytes(order="F")
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(raw)


def ellipsoid(shape, centre, radii):
    grids = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grids, centre, radii)) <= 1.0


def organ_labels(shape, rng, organs):
    labels = np.zeros(shape, dtype=np.uint8)
    for cls, centre, radii in organs:
        labels[ellipsoid(shape, np.array(centre) + rng.normal(0, 0.4, 3), radii)] = cls
    return labels


def noisy_logits(labels, C, rng, confidence):
    onehot = np.eye(C)[labels]  # (*spatial, C)
    x = confidence * onehot + rng.normal(0, 1.2, onehot.shape)
    return np.moveaxis(x, -1, 0).astype(np.float32)  # (C, *spatial)


def nnunet_metrics(ref, pred, label, ignore):
    """nnU-Net's compute_tp_fp_fn_tn + compute_metrics for one label (boolean masks, numpy)."""
    use = np.ones_like(ref, dtype=bool) if ignore is None else ref != ignore
    r = ref == label
    p = pred == label
    tp = int(np.sum(r & p & use))
    fp = int(np.sum(~r & p & use))
    fn = int(np.sum(r & ~p & use))
    tn = int(np.sum(~r & ~p & use))
    d = tp + fp + fn
    return {
        "Dice": float("nan") if d == 0 else 2 * tp / (2 * tp + fp + fn),
        "IoU": float("nan") if d == 0 else tp / d,
        "TP": tp, "FP": fp, "FN": fn, "TN": tn, "n_pred": tp + fp, "n_ref": tp + fn,
    }


def dicece(x, labels, eps, smooth=1e-5):
    """MONAI DiceCELoss(softmax=True, to_onehot_y=True, label_smoothing=eps) in torch, float64: the configured
    loss, the hard (ε = 0) and the smoothed (soft-label Dice at ε) triples, as golden/README.md defines them."""
    x = torch.from_numpy(x).double()[None]  # (1, C, *sp)
    t = torch.from_numpy(labels.astype(np.int64))[None]  # (1, *sp)
    C = x.shape[1]
    dims = tuple(range(2, x.dim()))
    ce_h = F.cross_entropy(x, t)
    ce_s = F.cross_entropy(x, t, label_smoothing=eps)
    p = torch.softmax(x, 1)
    y = F.one_hot(t, C).movedim(-1, 1).double()
    sp, sy = p.sum(dims), y.sum(dims)
    dice_h = (1 - (2 * (p * y).sum(dims) + smooth) / (sp + sy + smooth)).mean()
    ys = y * (1 - eps) + eps / C
    Y, D = ys.sum(dims), (p - ys).abs().sum(dims)
    dice_s = (1 - (sp + Y - D + smooth) / (sp + Y + smooth)).mean()
    tri = lambda d, c: {"total": float(d + c), "dice": float(d), "ce": float(c)}
    return {"loss": tri(dice_h, ce_s), "hard": tri(dice_h, ce_h), "smoothed": tri(dice_s, ce_s)}


def summarize(rows, labels, ignore):
    """nnU-Net's compute_metrics_on_folder means, plus the pooled Dice/IoU."""
    mean, pooled = {}, {}
    for l in labels:
        k = str(l)
        mean[k] = {m: float(np.nanmean([r["metrics"][k][m] for r in rows])) for m in rows[0]["metrics"][k]}
        tp, fp, fn = (sum(r["metrics"][k][m] for r in rows) for m in ("TP", "FP", "FN"))
        d = tp + fp + fn
        pooled[k] = {"Dice": float("nan") if d == 0 else 2 * tp / (2 * tp + fp + fn), "IoU": float("nan") if d == 0 else tp / d, "TP": tp, "FP": fp, "FN": fn}
    fg = [str(l) for l in labels if l != 0]
    foreground_mean = {m: float(np.mean([mean[k][m] for k in fg])) for m in mean[fg[0]]}
    return {"mean": mean, "foreground_mean": foreground_mean, "pooled": pooled, "ignore_label": ignore}


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "predictions"))
    os.makedirs(os.path.join(d, "references"))


def jsonable(v):
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def logits_fixture():
    d = os.path.join(FIX, "logits")
    fresh(d)
    rng = np.random.default_rng(1301)
    shape, C, eps = (6, 5, 4), 3, 0.1
    cases = []
    for i, name in enumerate(["case_001", "case_002", "case_003", "case_004"]):
        organs = [(1, (2.5, 2.0, 1.5), (2.2, 1.8, 1.6)), (2, (4.0, 3.5, 2.5), (1.4, 1.3, 1.2))]
        if name == "case_003":
            organs = organs[:1]  # class 2 absent from the reference …
        ref = organ_labels(shape, rng, organs)
        x = noisy_logits(ref, C, rng, confidence=2.0 + 0.5 * i)
        if name == "case_003":
            x[2] = -20.0  # … and from the prediction: Dice and IoU of class 2 are NaN here
        write_nifti(os.path.join(d, "references", f"{name}.nii.gz"), ref)
        if name == "case_002":
            np.save(os.path.join(d, "predictions", f"{name}_logits.npy"), x)  # (C, X, Y, Z)
            pred_file = f"{name}_logits.npy"
        else:
            np.savez_compressed(os.path.join(d, "predictions", f"{name}.npz"), logits=x[None])  # (1, C, X, Y, Z)
            pred_file = f"{name}.npz"
        pred = np.argmax(x, axis=0)
        cases.append({
            "id": name,
            "prediction_file": pred_file,
            "reference_file": f"{name}.nii.gz",
            "metrics": {str(l): nnunet_metrics(ref, pred, l, None) for l in (1, 2)},
            **dicece(x, ref, eps),
        })
    # One unreadable prediction (truncated .npy) with a good reference, one prediction and one reference alone.
    ref = organ_labels(shape, rng, [(1, (2.5, 2.0, 1.5), (2.0, 1.8, 1.6))])
    write_nifti(os.path.join(d, "references", "case_005.nii.gz"), ref)
    buf = open(os.path.join(d, "predictions", "case_001.npz"), "rb").read()
    with open(os.path.join(d, "predictions", "case_005_probs.npz"), "wb") as f:
        f.write(buf[: len(buf) // 2])
    np.savez_compressed(os.path.join(d, "predictions", "case_099.npz"), logits=noisy_logits(ref, C, rng, 2.0)[None])
    write_nifti(os.path.join(d, "references", "case_100.nii.gz"), ref)
    expected = {
        "options": {"loss": "dicece", "softmax": True, "toOnehotY": True, "labelSmoothing": eps},
        "labels": [1, 2],
        "metric_per_case": [{"id": c["id"], "prediction_file": c["prediction_file"], "reference_file": c["reference_file"], "metrics": c["metrics"]} for c in cases],
        "cases": [{"id": c["id"], "loss": c["loss"], "hard": c["hard"], "smoothed": c["smoothed"]} for c in cases],
        "failed": ["case_005"],
        "unmatched": {"predictions": ["case_099.npz"], "references": ["case_100.nii.gz"]},
        **summarize([{"metrics": c["metrics"]} for c in cases], [1, 2], None),
    }
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(jsonable(expected), f, indent=1)
        f.write("\n")


def labelmaps_fixture():
    d = os.path.join(FIX, "labelmaps")
    fresh(d)
    rng = np.random.default_rng(1302)
    shape, ignore = (7, 6, 3), 255
    rows = []
    for i in range(3):
        name = f"pat{i}"
        ref = organ_labels(shape, rng, [(1, (3.0, 2.5, 1.0), (2.5, 2.0, 1.5)), (2, (5.0, 4.0, 1.0), (1.5, 1.5, 1.2))])
        ref[:, 0, :] = ignore  # an unannotated border row
        pred = ref.copy()
        pred[ref == ignore] = rng.integers(0, 3, size=int(np.sum(ref == ignore)))  # whatever: ignored
        flip = rng.random(shape) < 0.15
        pred[flip & (ref != ignore)] = rng.integers(0, 3, size=int(np.sum(flip & (ref != ignore))))
        pred = pred.astype(np.uint8)
        write_nifti(os.path.join(d, "references", f"{name}_seg.nii.gz"), ref)
        if i == 1:
            np.save(os.path.join(d, "predictions", f"{name}_pred.npy"), pred.astype(np.int64)[None])  # (1, X, Y, Z)
        else:
            write_nifti(os.path.join(d, "predictions", f"{name}.nii.gz"), pred)
        rows.append({"id": name, "metrics": {str(l): nnunet_metrics(ref, pred, l, ignore) for l in (1, 2)}})
    expected = {"labels": [1, 2], "metric_per_case": rows, **summarize(rows, [1, 2], ignore)}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(jsonable(expected), f, indent=1)
        f.write("\n")


def sample_folder():
    """The README example: five 20×20×10 cases of 4 classes (background, liver, spleen, pancreas)."""
    fresh(SAMPLE)
    rng = np.random.default_rng(1303)
    shape = (20, 20, 10)
    for i in range(5):
        organs = [(1, (8, 9, 5), (6, 6.5, 3.5)), (2, (14.5, 12, 5), (3, 3.5, 2.5)), (3, (11, 4, 4.5), (3, 1.5, 1.5))]
        if i == 3:
            organs = organs[:2]  # no pancreas in this scan
        ref = organ_labels(shape, rng, organs)
        x = noisy_logits(ref, 4, rng, confidence=3.2 - 0.4 * i)
        write_nifti(os.path.join(SAMPLE, "references", f"case_{i:03d}.nii.gz"), ref)
        np.savez_compressed(os.path.join(SAMPLE, "predictions", f"case_{i:03d}.npz"), logits=x[None])
    with open(os.path.join(SAMPLE, "classes.json"), "w") as f:
        json.dump(["background", "liver", "spleen", "pancreas"], f)
        f.write("\n")


if __name__ == "__main__":
    torch.manual_seed(0)
    logits_fixture()
    labelmaps_fixture()
    sample_folder()
