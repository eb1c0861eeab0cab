"""How fast are the course's convolutions next to PyTorch's? (``make bench``)

Times the forward pass (no autograd) on the CPU:

1. ``course_lib.conv.conv2d`` (im2col + one matrix product) against ``F.conv2d`` on
   ResNet-like 3x3 layers: batch 8, 64 channels at 56x56 down to 512 at 7x7, and one
   stride-2 layer, then where ``conv2d`` spends its time on the largest layer (building
   the column matrix, the matrix product, and allocating a fresh buffer of that size);
2. ``conv2d_fft`` on a 3x3 layer and on large kernels, where the FFT pays off;
3. ``conv2d_naive`` on a tiny image (its Python loops make anything bigger slow).

Each time is the median over repeated runs after a warm-up. The script prints a table
with the ratio ours / torch: below 3 is the goal for ``conv2d``. Timings depend on the
machine and its load; compare ratios, not milliseconds.

Usage: ``python benchmarks/conv_speed.py [--quick] [--threads N]`` (``--quick``: fewer repeats).
``--threads N`` sets torch's thread count first.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch
import torch.nn.functional as F

from course_lib.conv import conv2d, conv2d_fft, conv2d_naive, im2col

# name, batch, C_in, C_out, H (= W), kernel, stride, padding
RESNET_LAYERS = [
    ("conv2_x 64ch@56x56", 8, 64, 64, 56, 3, 1, 1),
    ("conv3_x 128ch@28x28", 8, 128, 128, 28, 3, 1, 1),
    ("conv4_x 256ch@14x14", 8, 256, 256, 14, 3, 1, 1),
    ("conv5_x 512ch@7x7", 8, 512, 512, 7, 3, 1, 1),
    ("down 64->128 @56, s2", 8, 64, 128, 56, 3, 2, 1),
]
FFT_LAYERS = [
    ("3x3, 64ch@56x56", 8, 64, 64, 56, 3, 1, 1),
    ("15x15, 16ch@64x64", 4, 16, 16, 64, 15, 1, 7),
    ("31x31, 8ch@128x128", 2, 8, 8, 128, 31, 1, 15),
]
NAIVE_LAYER = ("3x3, 3->8ch@16x16", 1, 3, 8, 16, 3, 1, 1)


def median_ms(*fns: Callable[[], object], repeats: int, warmup: int = 2) -> list[float]:
    """Median wall time of each ``fn()`` in milliseconds, after ``warmup`` untimed calls.

    The functions take turns (a, b, a, b, ...), so a change in the machine's load
    affects all of them alike.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [1000 * statistics.median(bucket) for bucket in times]


def make_layer(batch: int, c_in: int, c_out: int, size: int, kernel: int) -> tuple[torch.Tensor, ...]:
    """Random input ``(batch, c_in, size, size)``, weight ``(c_out, c_in, k, k)`` and bias ``(c_out,)``."""
    x = torch.randn(batch, c_in, size, size)
    w = torch.randn(c_out, c_in, kernel, kernel) / (c_in * kernel * kernel) ** 0.5
    b = torch.randn(c_out)
    return x, w, b


def row(name: str, ours: float, torch_ms: float, err: float) -> str:
    """One line of the table."""
    return f"{name:<24} {ours:>10.2f} {torch_ms:>10.2f} {ours / torch_ms:>7.2f} {err:>10.1e}"


def breakdown(name: str, n: int, c_in: int, c_out: int, size: int, k: int, s: int, p: int, repeats: int) -> None:
    """Where conv2d spends its time on one layer: building the columns, then the product."""
    x, w, _ = make_layer(n, c_in, c_out, size, k)
    cols = im2col(x, k, stride=s, padding=p)
    w2 = w.reshape(c_out, -1)
    fresh = lambda: torch.empty(cols.shape).fill_(0.0)  # noqa: E731 (allocate and touch a new buffer)
    t_cols, t_mm, t_fresh = median_ms(
        lambda: im2col(x, k, stride=s, padding=p), lambda: w2 @ cols, fresh, repeats=repeats
    )
    print(
        f"  {name}: im2col {t_cols:.2f} ms (columns {tuple(cols.shape)}, {cols.numel() * 4 / 2**20:.0f} MiB; "
        f"allocating and touching a fresh buffer that size alone takes {t_fresh:.2f} ms), matmul {t_mm:.2f} ms"
    )


def main() -> None:
    """Parse the options, then print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else 10
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, forward only, CPU")
    header = f"{'layer':<24} {'ours ms':>10} {'torch ms':>10} {'ratio':>7} {'max |diff|':>10}"

    with torch.no_grad():
        print("\nconv2d (im2col + one matmul) vs F.conv2d")
        print(header)
        ratios = []
        for name, n, c_in, c_out, size, k, s, p in RESNET_LAYERS:
            x, w, b = make_layer(n, c_in, c_out, size, k)
            ours, ref = median_ms(
                lambda: conv2d(x, w, b, stride=s, padding=p),
                lambda: F.conv2d(x, w, b, stride=s, padding=p),
                repeats=repeats,
            )
            err = (conv2d(x, w, b, stride=s, padding=p) - F.conv2d(x, w, b, stride=s, padding=p)).abs().max()
            ratios.append(ours / ref)
            print(row(name, ours, ref, err.item()))
        print(f"worst ratio {max(ratios):.2f} (goal: below 3)")
        breakdown(*RESNET_LAYERS[0], repeats=repeats)

        print("\nconv2d_fft (convolution theorem) vs F.conv2d")
        print(header)
        for name, n, c_in, c_out, size, k, s, p in FFT_LAYERS:
            x, w, b = make_layer(n, c_in, c_out, size, k)
            ours, ref = median_ms(
                lambda: conv2d_fft(x, w, b, padding=p),
                lambda: F.conv2d(x, w, b, padding=p),
                repeats=max(3, repeats // 2),
            )
            err = (conv2d_fft(x, w, b, padding=p) - F.conv2d(x, w, b, padding=p)).abs().max()
            print(row(name, ours, ref, err.item()))

        print("\nconv2d_naive (Python loops over output pixels) vs F.conv2d")
        print(header)
        name, n, c_in, c_out, size, k, s, p = NAIVE_LAYER
        x, w, b = make_layer(n, c_in, c_out, size, k)
        ours, ref = median_ms(
            lambda: conv2d_naive(x, w, b, stride=s, padding=p), lambda: F.conv2d(x, w, b, stride=s, padding=p),
            repeats=3, warmup=1,
        )
        err = (conv2d_naive(x, w, b, stride=s, padding=p) - F.conv2d(x, w, b, stride=s, padding=p)).abs().max()
        print(row(name, ours, ref, err.item()))


if __name__ == "__main__":
    main()
