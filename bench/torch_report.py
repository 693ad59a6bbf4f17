#!/usr/bin/env python3
"""The torch side of `npm run bench`: the same files, read the way a Python user reads them
(numpy.load; nibabel for NIfTI when installed, else a small gzip + header reader), then

  (a) the idiomatic per-class report a user would write with torch (log-softmax inside
      F.cross_entropy(reduction='none') with and without label_smoothing, per-class bincounts and sums
      (float64 weights: float32 bincount sums drift by 1e-2 over millions of voxels),
      MONAI-style Dice sums per (batch item, class) for the hard and the smoothed target, the confusion
      matrix via bincount, 15 calibration bins), and
  (b) one F.cross_entropy(x, t, label_smoothing=eps) call: the floor.

Prints one line `BENCH_RESULT {json}`: times (every run, best, median), peak RSS (ru_maxrss), and the
report's numbers so bench/run.ts can check that both sides computed the same thing.
Used only as a measuring tool: nothing in the product or its tests depends on Python.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 1024.0 ** 2


def read_nifti_numpy(path):
    """NIfTI-1 without nibabel: header fields we wrote (dims, datatype, vox_offset), Fortran-order data."""
    raw = open(path, 'rb').read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    hdr = np.frombuffer(raw, dtype=np.uint8, count=348)
    if int(hdr[:4].view('<i4')[0]) != 348:
        raise ValueError(f'{path}: not a little-endian NIfTI-1 file')
    dim = hdr[40:56].view('<i2')
    dtype = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64}[int(hdr[70:72].view('<i2')[0])]
    vox = int(hdr[108:112].view('<f4')[0])
    shape = tuple(int(d) for d in dim[1:1 + int(dim[0])])
    return np.frombuffer(raw, dtype=dtype, offset=vox, count=int(np.prod(shape))).reshape(shape, order='F')


def read_target(path):
    if path.endswith('.nii') or path.endswith('.nii.gz'):
        try:
            import nibabel as nib
        except ImportError:
            return read_nifti_numpy(path), 'numpy gzip+header'
        return np.asanyarray(nib.load(path).dataobj), 'nibabel ' + nib.__version__
    return np.load(path), 'numpy.load'


def seg_labels(t, x):
    """MONAI's (B, 1, *sp) or a spatial-only map beside (1, C, *sp) logits -> torch's (B, *sp) int64."""
    if t.dim() == x.dim():
        t = t[:, 0]
    elif t.dim() == x.dim() - 2:
        t = t.unsqueeze(0)
    return t.long()


def report_seg(x, target, eps, smooth_nr=1e-5, smooth_dr=1e-5, bins=15):
    """DiceCELoss(softmax=True, to_onehot_y=True, label_smoothing=eps) and everything the report shows."""
    t = seg_labels(target, x)
    B, C = x.shape[:2]
    dims = tuple(range(2, x.dim()))
    ce_h = F.cross_entropy(x, t, reduction='none')
    ce_s = F.cross_entropy(x, t, reduction='none', label_smoothing=eps)
    ft = t.reshape(-1)
    count = torch.bincount(ft, minlength=C)
    # float64 weights: bincount accumulates in the weights' dtype, and float32 sums of ~10^6 values drift
    # by 1e-2 relative (W2's background class); a user who wants the right per-class numbers writes .double().
    cls_ce_h = torch.bincount(ft, weights=ce_h.reshape(-1).double(), minlength=C) / count
    cls_ce_s = torch.bincount(ft, weights=ce_s.reshape(-1).double(), minlength=C) / count
    p = torch.softmax(x, 1)
    y = torch.zeros_like(p).scatter_(1, t.unsqueeze(1), 1.0)  # MONAI's one_hot
    tp = (p * y).sum(dims)
    sp = p.sum(dims)
    sy = y.sum(dims)
    dice_h = 1 - (2 * tp + smooth_nr) / (sp + sy + smooth_dr)  # (B, C)
    ys = y * (1 - eps) + eps / C
    Y = ys.sum(dims)
    D = (p - ys).abs().sum(dims)
    dice_s = 1 - (sp + Y - D + smooth_nr) / (sp + Y + smooth_dr)  # soft_label: tp = (P + Y - D) / 2
    loss_ce = ce_s.mean()
    hard_ce = ce_h.mean()
    dice = dice_h.mean()
    conf, pred = p.max(1)
    fp = pred.reshape(-1)
    confusion = torch.bincount(ft * C + fp, minlength=C * C).reshape(C, C)
    fc = conf.reshape(-1)
    b = (fc * bins).long().clamp_(max=bins - 1)
    fc = fc.double()
    correct = (fp == ft).double()
    n_b = torch.bincount(b, minlength=bins)
    conf_b = torch.bincount(b, weights=fc, minlength=bins)
    acc_b = torch.bincount(b, weights=correct, minlength=bins)
    n = n_b.sum()
    nz = n_b > 0
    ece = ((n_b[nz] / n) * (acc_b[nz] / n_b[nz] - conf_b[nz] / n_b[nz]).abs()).sum()
    return {
        'loss': {'total': float(dice + loss_ce), 'dice': float(dice), 'ce': float(loss_ce)},
        'hard': {'total': float(dice + hard_ce), 'dice': float(dice), 'ce': float(hard_ce)},
        'smoothed': {'total': float(dice_s.mean() + loss_ce), 'dice': float(dice_s.mean()), 'ce': float(loss_ce)},
        'counts': count.tolist(),
        'ceHard': cls_ce_h.tolist(),
        'ceSmoothed': cls_ce_s.tolist(),
        'diceHard': dice_h.mean(0).tolist(),
        'diceSmoothed': dice_s.mean(0).tolist(),
        'confusionTotal': int(confusion.sum()),
        'confusionDiag': confusion.diagonal().tolist(),
        'ece': float(ece),
        'accuracy': float(acc_b.sum() / n),
    }


def report_cls(x, t, eps, bins=15):
    """F.cross_entropy(label_smoothing=eps) on (N, C) and everything the report shows (no Dice)."""
    t = t.long()
    C = x.shape[1]
    ce_h = F.cross_entropy(x, t, reduction='none')
    ce_s = F.cross_entropy(x, t, reduction='none', label_smoothing=eps)
    count = torch.bincount(t, minlength=C)
    cls_ce_h = torch.bincount(t, weights=ce_h.double(), minlength=C) / count
    cls_ce_s = torch.bincount(t, weights=ce_s.double(), minlength=C) / count
    conf, pred = torch.softmax(x, 1).max(1)
    confusion = torch.bincount(t * C + pred, minlength=C * C).reshape(C, C)
    b = (conf * bins).long().clamp_(max=bins - 1)
    conf = conf.double()
    correct = (pred == t).double()
    n_b = torch.bincount(b, minlength=bins)
    conf_b = torch.bincount(b, weights=conf, minlength=bins)
    acc_b = torch.bincount(b, weights=correct, minlength=bins)
    n = n_b.sum()
    nz = n_b > 0
    ece = ((n_b[nz] / n) * (acc_b[nz] / n_b[nz] - conf_b[nz] / n_b[nz]).abs()).sum()
    loss_ce = ce_s.mean()
    hard_ce = ce_h.mean()
    nan_if_empty = lambda v: [None if c == 0 else float(a) for a, c in zip(v.tolist(), count.tolist())]
    return {
        'loss': {'total': float(loss_ce), 'dice': None, 'ce': float(loss_ce)},
        'hard': {'total': float(hard_ce), 'dice': None, 'ce': float(hard_ce)},
        'smoothed': {'total': float(loss_ce), 'dice': None, 'ce': float(loss_ce)},
        'counts': count.tolist(),
        'ceHard': nan_if_empty(cls_ce_h),
        'ceSmoothed': nan_if_empty(cls_ce_s),
        'diceHard': [None] * C,
        'diceSmoothed': [None] * C,
        'confusionTotal': int(confusion.sum()),
        'confusionDiag': confusion.diagonal().tolist(),
        'ece': float(ece),
        'accuracy': float(acc_b.sum() / n),
    }


def single_call(x, target, eps, seg):
    t = seg_labels(target, x) if seg else target.long()
    return float(F.cross_entropy(x, t, label_smoothing=eps))


WARMUP_MAX_RUNS = 20  # as bench/child.ts


def timed(fn, reps, warmup_ms):
    """reps timed runs after untimed ones until they have taken warmup_ms in all (at most WARMUP_MAX_RUNS):
    the same warm-up as our side gets."""
    spent, n = 0.0, 0
    while spent < warmup_ms and n < WARMUP_MAX_RUNS:
        t0 = time.perf_counter()
        fn()
        spent += (time.perf_counter() - t0) * 1000.0
        n += 1
    runs = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0) * 1000.0)
    return out, {'runs': runs, 'best': min(runs), 'median': statistics.median(runs)}


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: i.get(k) for k in ('internal_api', 'version', 'architecture', 'num_threads')} for i in threadpool_info()]
    except Exception as e:  # threadpoolctl absent: say so rather than guess
        return f'threadpoolctl unavailable ({type(e).__name__})'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workload', required=True)
    ap.add_argument('--kind', choices=['seg', 'cls'], required=True)
    ap.add_argument('--logits', required=True)
    ap.add_argument('--target', required=True)
    ap.add_argument('--target-alt', help='another encoding of the same target: read only, timed')
    ap.add_argument('--eps', type=float, default=0.1)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--warmup-ms', type=float, default=0.0)
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    baseline = current_rss_mb()

    t0 = time.perf_counter()
    x_np = np.load(a.logits)
    t1 = time.perf_counter()
    t_np, target_reader = read_target(a.target)
    t2 = time.perf_counter()
    read = {'logits': (t1 - t0) * 1000.0, 'target': (t2 - t1) * 1000.0, 'total': (t2 - t0) * 1000.0}
    peak_after_read = rss_mb()
    x = torch.from_numpy(x_np)
    t = torch.from_numpy(np.ascontiguousarray(t_np)) if a.kind == 'cls' else torch.from_numpy(t_np)

    seg = a.kind == 'seg'
    numbers, idiomatic = timed(lambda: (report_seg if seg else report_cls)(x, t, a.eps), a.reps, a.warmup_ms)
    floor_value, single = timed(lambda: single_call(x, t, a.eps, seg), a.reps, a.warmup_ms)

    if a.target_alt:
        t3 = time.perf_counter()
        read_target(a.target_alt)
        read['targetAlt'] = (time.perf_counter() - t3) * 1000.0

    result = {
        'workload': a.workload,
        'baselineRssMB': baseline,
        'peakAfterReadMB': peak_after_read,
        'peakRssMB': rss_mb(),
        'readMs': read,
        'targetReader': target_reader,
        'idiomatic': idiomatic,
        'singleCall': single,
        'singleCallValue': floor_value,
        'numbers': numbers,
        'torch': torch.__version__,
        'numpy': np.__version__,
        'python': sys.version.split()[0],
        'threads': torch.get_num_threads(),
        'blas': blas_info(),
    }
    sys.stdout.write('BENCH_RESULT ' + json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
