"""torch's side of bench/lm.ts: one F.cross_entropy on language-model logits read from a bfloat16 .safetensors.

usage: lm_torch.py LOGITS.safetensors LABELS.npy REPS THREADS
Reads the file's bytes (header + raw bfloat16, no safetensors package needed), upcasts to float32 (not timed),
then times F.cross_entropy(x[:, :-1].reshape(-1, V), y[:, 1:].reshape(-1), label_smoothing=0.1): the causal
shift and the class axis moved, as Hugging Face models compute their loss. Prints {"bestMs", "ce"} as JSON.
"""
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def main():
    path, labels_path, reps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        meta = json.loads(f.read(n))['logits']
        raw = bytearray(f.read())
    B, T, V = meta['shape']
    x = torch.frombuffer(raw, dtype=torch.bfloat16).reshape(B, T, V).float()
    y = torch.from_numpy(np.load(labels_path))
    xs = x[:, :-1].reshape(-1, V)
    ys = y[:, 1:].reshape(-1)
    best = float('inf')
    ce = None
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        ce = F.cross_entropy(xs, ys, label_smoothing=0.1).item()
        best = min(best, (time.perf_counter() - t0) * 1000)
    print(json.dumps({'bestMs': best, 'ce': ce}))


if __name__ == '__main__':
    main()
