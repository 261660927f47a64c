#!/usr/bin/python3
"""Times one full-batch training step of cltrain's step configurations in
PyTorch on the CPU, as the peer that docs/PERF.md compares with.

The step is the one cltrain's bench times: forward pass of an n_x-n_h-1
network (tanh hidden layer, sigmoid output on the binary cross-entropy
computed from the logits), backward pass by autograd, and the SGD update,
in float32 on random data. Each configuration runs 2 untimed steps, then
the median of --runs timed ones is printed in milliseconds.

PyTorch's matrix products go through the BLAS it was built with (Debian's
python3-torch uses OpenBLAS); set OPENBLAS_CORETYPE to choose its kernel
set (SkylakeX for AVX-512, Haswell for AVX2) and the script prints what
OpenBLAS reports, when it can find it.

    /usr/bin/python3 scripts/peers/torch_step.py [--runs 10] [--threads N]
"""
import argparse
import ctypes
import ctypes.util
import os
import statistics
import time

import torch

CONFIGS = [(784, 256, 8192), (1024, 4096, 4096)]


def openblas_config():
    """Returns openblas_get_config() of the OpenBLAS in this process."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas") or ""):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib.openblas_get_config().decode()
        except OSError:
            continue
    return "unknown"


def step_ms(nx, nh, m, runs):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(nx, m, generator=g)
    y = (torch.rand(1, m, generator=g) > 0.5).float()
    w1 = (torch.randn(nh, nx, generator=g) * 0.01).requires_grad_()
    b1 = torch.zeros(nh, 1, requires_grad=True)
    w2 = (torch.randn(1, nh, generator=g) * 0.01).requires_grad_()
    b2 = torch.zeros(1, 1, requires_grad=True)
    params = [w1, b1, w2, b2]
    opt = torch.optim.SGD(params, lr=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        z2 = w2 @ torch.tanh(w1 @ x + b1) + b2
        loss = loss_fn(z2, y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(2):
        step()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), max(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, OpenBLAS: {openblas_config()}")
    for nx, nh, m in CONFIGS:
        med, lo, hi = step_ms(nx, nh, m, a.runs)
        print(f"step {nx}-{nh}-{m}: median {med:.1f} ms (min {lo:.1f}, max {hi:.1f}) over {a.runs} runs")


if __name__ == "__main__":
    main()
