#!/usr/bin/python3
"""Writes the demo workspace's data files with the real numpy, torch and nibabel.

    /usr/bin/python3 demo/make-demo.py        (from the repository root or anywhere)

The generated files are committed; this script documents exactly how they were made and rewrites them
byte-for-byte the same (fixed seed). It is a tool for maintainers, never run by the tests or the product.

What it writes, all in demo/data/ (classes.json, and a 3-D segmentation of 4 classes: background, liver, spleen, pancreas):
  logits.npy           float32 (1, 4, 16, 16, 8)   raw network outputs, one sample
  labels.npy           int64   (1, 1, 16, 16, 8)   class indices, MONAI layout
  labels.nii.gz        uint8   (16, 16, 8)         the same labels as a NIfTI label map (1 mm voxels)
  outputs.pt           torch.save({"logits", "labels", "epoch", "meta"}) in the zip format (logits float32,
                       labels int64, a validation step's outputs)
  batch2d.safetensors  "logits" float32 (2, 4, 20, 20) and "labels" int64 (2, 1, 20, 20): a 2-D batch
  hostile.pt           a zip-format .pt whose pickle calls posix.system("touch /tmp/loss-inspector-demo-PWNED")
                       when unpickled by torch.load(weights_only=False): Loss Inspector must refuse it
"""
import json
import os
import pickle
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import nibabel as nib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
HOSTILE_MARKER = "/tmp/loss-inspector-demo-PWNED"
CLASSES = ["background", "liver", "spleen", "pancreas"]


def ellipsoid(shape, centre, radii):
    """Boolean mask of an axis-aligned ellipsoid (voxel units) inside a grid of `shape`."""
    grids = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    r = sum(((g - c) / rad) ** 2 for g, c, rad in zip(grids, centre, radii))
    return r <= 1.0


def make_labels(shape, rng, organs):
    """Class-index map: background 0, then each organ painted over it in order."""
    labels = np.zeros(shape, dtype=np.int64)
    for cls, (centre, radii) in organs:
        jitter = rng.normal(0, 0.3, size=len(shape))
        labels[ellipsoid(shape, np.array(centre) + jitter, radii)] = cls
    return labels


def make_logits(labels, num_classes, rng, confidence, confusions):
    """Logits of a plausible, imperfect network: the true class favoured by `confidence` on average, noise,
    a class-dependent bias so the per-class numbers differ, and some voxels confused on purpose."""
    onehot = np.eye(num_classes, dtype=np.float64)[labels]  # (*spatial, C)
    logits = confidence * onehot + rng.normal(0.0, 1.1, size=onehot.shape)
    logits += np.array([0.6, -0.2, 0.1, -0.5])[:num_classes]  # background favoured, pancreas hardest
    for true_cls, wrong_cls, frac in confusions:
        idx = np.argwhere(labels == true_cls)
        pick = idx[rng.random(len(idx)) < frac]
        for p in pick:
            logits[tuple(p)][wrong_cls] += confidence + 1.0
    return np.moveaxis(logits, -1, 0).astype(np.float32)  # (C, *spatial)


def write_hostile(path):
    """A .pt in torch's zip layout whose data.pkl holds a real tensor and a GLOBAL 'posix system' REDUCE.
    Written with torch.save so the archive is exactly what a malicious checkpoint looks like."""

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + HOSTILE_MARKER,))

    torch.save({"logits": torch.arange(6, dtype=torch.float32).reshape(2, 3), "payload": Payload()}, path)
    # Check the pickle really names posix.system (and that nothing here ran it).
    import zipfile

    with zipfile.ZipFile(path) as z:
        pkl = next(z.read(n) for n in z.namelist() if n.endswith("data.pkl"))
    assert b"cposix\nsystem\n" in pkl, "expected a protocol-2 GLOBAL 'posix system' in data.pkl"
    assert not os.path.exists(HOSTILE_MARKER), "the marker exists already; remove it and rerun"


def main():
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(20240611)
    torch.manual_seed(0)

    # 3-D volume: (X, Y, Z) = (16, 16, 8)
    shape3 = (16, 16, 8)
    organs3 = [
        (1, ((6.0, 7.0, 4.0), (5.0, 5.5, 3.2))),  # liver: large
        (2, ((11.5, 10.0, 4.0), (2.6, 3.0, 2.2))),  # spleen: medium
        (3, ((9.0, 4.0, 3.5), (2.8, 1.3, 1.3))),  # pancreas: small, thin
    ]
    labels3 = make_labels(shape3, rng, organs3)
    logits3 = make_logits(labels3, 4, rng, confidence=3.0, confusions=[(3, 0, 0.35), (2, 1, 0.15), (0, 1, 0.03)])
    logits = logits3[None]  # (1, 4, 16, 16, 8)
    labels = labels3[None, None]  # (1, 1, 16, 16, 8)
    np.save(os.path.join(DATA, "logits.npy"), logits)
    np.save(os.path.join(DATA, "labels.npy"), labels)

    img = nib.Nifti1Image(labels3.astype(np.uint8), affine=np.diag([1.0, 1.0, 1.0, 1.0]))
    img.header.set_xyzt_units("mm")
    img.header["descrip"] = b"loss-inspector demo labels"
    # nibabel's gzip header stores a timestamp; write through a fixed-mtime GzipFile so reruns are identical.
    import gzip

    with open(os.path.join(DATA, "labels.nii.gz"), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(img.to_bytes())

    torch.save(
        {
            "logits": torch.from_numpy(logits.copy()),
            "labels": torch.from_numpy(labels.copy()),
            "epoch": 12,
            "meta": {"classes": CLASSES, "spacing_mm": [1.0, 1.0, 1.0]},
        },
        os.path.join(DATA, "outputs.pt"),
    )

    # 2-D batch: (B, X, Y) = (2, 20, 20)
    labels2 = np.stack(
        [
            make_labels((20, 20), rng, [(1, ((8.0, 9.0), (6.0, 5.0))), (2, ((15.0, 14.0), (3.0, 3.5))), (3, ((14.0, 5.0), (2.5, 1.5)))]),
            make_labels((20, 20), rng, [(1, ((10.0, 8.0), (5.5, 6.0))), (2, ((4.0, 15.0), (3.0, 2.5)))]),
        ]
    )
    logits2 = np.stack([make_logits(l, 4, rng, confidence=2.5, confusions=[(3, 1, 0.3)]) for l in labels2])
    write_safetensors(
        os.path.join(DATA, "batch2d.safetensors"),
        OrderedDict([("logits", logits2), ("labels", labels2[:, None].astype(np.int64))]),
        metadata={"format": "pt", "source": "loss-inspector demo"},
    )

    write_hostile(os.path.join(DATA, "hostile.pt"))

    with open(os.path.join(DATA, "classes.json"), "w") as f:
        json.dump(CLASSES, f)
        f.write("\n")

    total = 0
    for name in sorted(os.listdir(DATA)):
        n = os.path.getsize(os.path.join(DATA, name))
        total += n
        print(f"{name:22s} {n:8d} bytes")
    print(f"{'total':22s} {total:8d} bytes")
    if total > 300_000:
        sys.exit("demo data exceeds 300 KB")


def write_safetensors(path, tensors, metadata):
    """The safetensors layout (8-byte little-endian header length, JSON header, packed data), as the
    `safetensors` package writes it: tensors in the given order, header padded with spaces to 8 bytes.
    The package itself is not available from Debian, so it is written per the public spec."""
    dtypes = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        b = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    main()
