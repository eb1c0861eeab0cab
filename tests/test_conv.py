"""Tests for course_lib.conv against torch.nn.functional, scipy and autograd's gradcheck."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.conv import (
    circulant,
    circular_conv1d,
    conv1d,
    conv2d,
    conv2d_fft,
    conv2d_naive,
    conv2d_params,
    conv_output_size,
    conv_transpose2d,
    im2col,
)

# torch warns that padding="same" with an even kernel copies the input; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

DTYPES = [torch.float32, torch.float64]
# Sums of up to ~100 products of N(0, 1) numbers: float32 round-off stays far below these.
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-9, atol=1e-10)}
FFT_TOL = {torch.float32: dict(rtol=1e-3, atol=5e-4), torch.float64: dict(rtol=1e-9, atol=1e-9)}


@pytest.fixture(autouse=True)
def one_thread():
    """Run every test here on one CPU thread, then restore the thread count.

    The tensors are tiny, so threads only add overhead; torch's CPU FFT in particular
    hands each call to its thread pool, which on busy cores costs tens of milliseconds
    a call instead of microseconds.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def randn(*shape: int, dtype: torch.dtype = torch.float64, seed: int = 0, grad: bool = False) -> torch.Tensor:
    """A seeded standard-normal tensor."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype).requires_grad_(grad)


# ---------------------------------------------------------------------------
# Random cases, drawn once from seeded generators
# ---------------------------------------------------------------------------


def fits(size: int, k: int, s: int, d: int, padding: object) -> bool:
    """Does a kernel fit in the padded input? (computed here, independently of course_lib)"""
    if padding in ("same", "full"):
        return True
    p = 0 if padding == "valid" else padding
    return d * (k - 1) + 1 <= size + 2 * p


def torch_padding(padding: object, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> object:
    """torch has no "full": it is d*(k-1) zeros on each side."""
    if padding == "full":
        return tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return padding


def conv2d_cases(count: int, seed: int, max_size: int, max_channels: int = 4, strided: bool = True) -> list[dict]:
    """Random 2D convolution geometries, int/pair/string paddings, all valid for torch.

    ``strided=False``: stride and dilation 1 only.
    """
    rng = random.Random(seed)
    cases: list[dict] = []
    while len(cases) < count:
        k = (rng.randint(1, 5), rng.randint(1, 5))
        d = (rng.randint(1, 3), rng.randint(1, 3)) if strided and rng.random() < 0.5 else (1, 1)
        s = (rng.randint(1, 3), rng.randint(1, 3)) if strided and rng.random() < 0.6 else (1, 1)
        hw = (rng.randint(1, max_size), rng.randint(1, max_size))
        kind = rng.choice(["int", "pair", "valid", "same", "full"])
        if kind == "same":
            s = (1, 1)
        pads = {"int": rng.randint(0, 3), "pair": (rng.randint(0, 3), rng.randint(0, 3))}.get(kind, kind)
        per_dim = pads if isinstance(pads, tuple) else (pads, pads)
        if not all(fits(hw[i], k[i], s[i], d[i], per_dim[i]) for i in range(2)):
            continue
        cases.append(
            dict(
                n=rng.randint(1, 3),
                c_in=rng.randint(1, max_channels),
                c_out=rng.randint(1, max_channels),
                hw=hw,
                kernel=k,
                stride=rng.choice([s, s[0]]) if s[0] == s[1] else s,
                padding=pads,
                dilation=d,
                bias=rng.random() < 0.7,
                seed=len(cases),
            )
        )
    return cases


def case_id(case: dict) -> str:
    return f"hw{case['hw']}-k{case['kernel']}-s{case['stride']}-p{case['padding']}-d{case['dilation']}".replace(" ", "")


def make_inputs(case: dict, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    x = randn(case["n"], case["c_in"], *case["hw"], dtype=dtype, seed=case["seed"])
    w = randn(case["c_out"], case["c_in"], *case["kernel"], dtype=dtype, seed=1000 + case["seed"])
    b = randn(case["c_out"], dtype=dtype, seed=2000 + case["seed"]) if case["bias"] else None
    return x, w, b


CONV2D_CASES = conv2d_cases(50, seed=1, max_size=12)
NAIVE_CASES = conv2d_cases(25, seed=2, max_size=7, max_channels=3)


def conv1d_cases(count: int, seed: int) -> list[dict]:
    """Random 1D convolution geometries."""
    rng = random.Random(seed)
    cases: list[dict] = []
    while len(cases) < count:
        k, d, length = rng.randint(1, 6), rng.randint(1, 3), rng.randint(1, 20)
        padding = rng.choice([0, 1, 2, 4, "valid", "same", "full"])
        s = 1 if padding == "same" else rng.randint(1, 3)
        if not fits(length, k, s, d, padding):
            continue
        cases.append(
            dict(n=rng.randint(1, 3), c_in=rng.randint(1, 4), c_out=rng.randint(1, 4), length=length,
                 kernel=k, stride=s, padding=padding, dilation=d, bias=rng.random() < 0.7, seed=len(cases))
        )
    return cases


CONV1D_CASES = conv1d_cases(40, seed=3)


def fft_cases(count: int, seed: int) -> list[dict]:
    """Random stride-1, dilation-1 geometries for conv2d_fft (which has neither)."""
    return conv2d_cases(count, seed=seed, max_size=14, strided=False)


FFT_CASES = fft_cases(30, seed=4)


def transpose_cases(count: int, seed: int) -> list[dict]:
    """Random transposed-convolution geometries with output_padding < stride."""
    rng = random.Random(seed)
    cases: list[dict] = []
    while len(cases) < count:
        k = (rng.randint(1, 5), rng.randint(1, 5))
        s = (rng.randint(1, 3), rng.randint(1, 3))
        p = (rng.randint(0, 4), rng.randint(0, 4))
        op = (rng.randint(0, s[0] - 1), rng.randint(0, s[1] - 1))
        hw = (rng.randint(1, 8), rng.randint(1, 8))
        if any((hw[i] - 1) * s[i] - 2 * p[i] + k[i] + op[i] < 1 for i in range(2)):
            continue
        cases.append(dict(n=rng.randint(1, 3), c_in=rng.randint(1, 4), c_out=rng.randint(1, 4), hw=hw, kernel=k,
                          stride=s, padding=p, output_padding=op, bias=rng.random() < 0.7, seed=len(cases)))
    return cases


TRANSPOSE_CASES = transpose_cases(40, seed=5)


# ---------------------------------------------------------------------------
# Forward passes against torch.nn.functional
# ---------------------------------------------------------------------------


def reference_conv2d(x, w, b, case):
    padding = torch_padding(case["padding"], case["kernel"], case["dilation"])
    return F.conv2d(x, w, b, stride=case["stride"], padding=padding, dilation=case["dilation"])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=case_id)
def test_conv2d_matches_torch(case: dict, dtype: torch.dtype) -> None:
    x, w, b = make_inputs(case, dtype)
    got = conv2d(x, w, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    torch.testing.assert_close(got, reference_conv2d(x, w, b, case), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", NAIVE_CASES, ids=case_id)
def test_conv2d_naive_matches_torch(case: dict, dtype: torch.dtype) -> None:
    x, w, b = make_inputs(case, dtype)
    got = conv2d_naive(x, w, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    torch.testing.assert_close(got, reference_conv2d(x, w, b, case), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=case_id)
def test_im2col_matches_unfold(case: dict, dtype: torch.dtype) -> None:
    x, w, _ = make_inputs(case, dtype)
    got = im2col(x, case["kernel"], stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    if case["padding"] == "same":
        # F.unfold has no "same" (an even kernel pads unevenly): check that one matmul gives F.conv2d
        want = reference_conv2d(x, w, None, case).flatten(2)
        torch.testing.assert_close(w.flatten(1) @ got, want, **TOL[dtype])
        return
    padding = 0 if case["padding"] == "valid" else torch_padding(case["padding"], case["kernel"], case["dilation"])
    want = F.unfold(x, case["kernel"], stride=case["stride"], padding=padding, dilation=case["dilation"])
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=0)  # a copy: exactly equal


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CONV1D_CASES, ids="L{length}-k{kernel}-s{stride}-p{padding}-d{dilation}".format_map)
def test_conv1d_matches_torch(case: dict, dtype: torch.dtype) -> None:
    x = randn(case["n"], case["c_in"], case["length"], dtype=dtype, seed=case["seed"])
    w = randn(case["c_out"], case["c_in"], case["kernel"], dtype=dtype, seed=1000 + case["seed"])
    b = randn(case["c_out"], dtype=dtype, seed=2000 + case["seed"]) if case["bias"] else None
    got = conv1d(x, w, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    padding = case["dilation"] * (case["kernel"] - 1) if case["padding"] == "full" else case["padding"]
    want = F.conv1d(x, w, b, stride=case["stride"], padding=padding, dilation=case["dilation"])
    torch.testing.assert_close(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", FFT_CASES, ids=case_id)
def test_conv2d_fft_matches_torch(case: dict, dtype: torch.dtype) -> None:
    x, w, b = make_inputs(case, dtype)
    got = conv2d_fft(x, w, b, padding=case["padding"])
    torch.testing.assert_close(got, reference_conv2d(x, w, b, case), **FFT_TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids="hw{hw}-k{kernel}-s{stride}-p{padding}-op{output_padding}".format_map)
def test_conv_transpose2d_matches_torch(case: dict, dtype: torch.dtype) -> None:
    x = randn(case["n"], case["c_in"], *case["hw"], dtype=dtype, seed=case["seed"])
    w = randn(case["c_in"], case["c_out"], *case["kernel"], dtype=dtype, seed=1000 + case["seed"])
    b = randn(case["c_out"], dtype=dtype, seed=2000 + case["seed"]) if case["bias"] else None
    kwargs = dict(stride=case["stride"], padding=case["padding"], output_padding=case["output_padding"])
    torch.testing.assert_close(conv_transpose2d(x, w, b, **kwargs), F.conv_transpose2d(x, w, b, **kwargs), **TOL[dtype])


def test_int_and_pair_arguments_agree() -> None:
    x, w = randn(2, 3, 9, 9), randn(4, 3, 3, 3, seed=1)
    torch.testing.assert_close(conv2d(x, w, stride=2, padding=1, dilation=2),
                               conv2d(x, w, stride=(2, 2), padding=(1, 1), dilation=(2, 2)))


def test_views_and_channels_last_inputs() -> None:
    # im2col reads memory through strides: views with an offset or odd strides must work too
    base, w = randn(3, 5, 9, 8), randn(4, 3, 3, 2, seed=1)
    views = [
        base[1:, 2:],  # storage offset
        base[:, :3].transpose(2, 3),  # swapped strides
        base[:, ::2, ::2, 1:],  # stepped strides
        base[:, :3].contiguous(memory_format=torch.channels_last),
    ]
    for x in views:
        for kwargs in [dict(), dict(stride=2, dilation=(1, 2))]:
            torch.testing.assert_close(conv2d(x, w, **kwargs), F.conv2d(x, w, **kwargs))
            torch.testing.assert_close(im2col(x, (3, 2), **kwargs), F.unfold(x, (3, 2), **kwargs))


def test_conv_transpose2d_is_the_adjoint_of_conv2d() -> None:
    # <conv2d(x), y> == <x, conv_transpose2d(y)> with the same weight: the "transpose" in the name
    x, w = randn(2, 3, 10, 8), randn(4, 3, 3, 2, seed=1)
    y = randn(2, 4, 5, 5, seed=2)  # conv2d's output shape for x
    lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum()
    # (5-1)*2 - 2*1 + 3 = 9 rows: one more is needed to reach x's 10, hence output_padding 1 in height
    rhs = (x * conv_transpose2d(y, w, stride=2, padding=1, output_padding=(1, 0))).sum()
    torch.testing.assert_close(lhs, rhs)


def test_no_torch_convolution_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("course_lib.conv must not call torch's convolution or unfold")

    for module, name in [(F, "conv1d"), (F, "conv2d"), (F, "conv_transpose2d"), (F, "unfold"),
                         (torch, "conv1d"), (torch, "conv2d"), (torch, "conv_transpose2d"), (torch, "convolution")]:
        monkeypatch.setattr(module, name, forbidden)
    x, w, b = randn(1, 2, 6, 6), randn(3, 2, 3, 3, seed=1), randn(3, seed=2)
    for out in [conv2d(x, w, b, padding=1), conv2d_naive(x, w, b), conv2d_fft(x, w, b), im2col(x, 3),
                conv1d(x[:, :, 0], w[:, :, 0], b), conv_transpose2d(x, w.transpose(0, 1), b, stride=2)]:
        assert torch.isfinite(out).all()


# ---------------------------------------------------------------------------
# Gradients: torch.autograd.gradcheck in float64
# ---------------------------------------------------------------------------

GRAD_CASES_2D = [
    dict(stride=1, padding=0, dilation=1),
    dict(stride=2, padding=1, dilation=1),
    dict(stride=1, padding="same", dilation=(2, 1)),
    dict(stride=(2, 1), padding="full", dilation=(1, 2)),
]


@pytest.mark.parametrize("kwargs", GRAD_CASES_2D, ids=str)
@pytest.mark.parametrize("op", [conv2d, conv2d_naive], ids=lambda f: f.__name__)
def test_conv2d_gradcheck(op, kwargs: dict) -> None:
    x, w, b = randn(2, 2, 4, 5, grad=True), randn(2, 2, 2, 3, seed=1, grad=True), randn(2, seed=2, grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: op(x, w, b, **kwargs), (x, w, b))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=2, dilation=2), dict(padding="same", dilation=3),
                                    dict(padding="full")], ids=str)
def test_conv1d_gradcheck(kwargs: dict) -> None:
    x, w, b = randn(2, 2, 9, grad=True), randn(3, 2, 2, seed=1, grad=True), randn(3, seed=2, grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: conv1d(x, w, b, **kwargs), (x, w, b))


@pytest.mark.parametrize("padding", [0, (1, 2), "same", "full"], ids=str)
def test_conv2d_fft_gradcheck(padding: object) -> None:
    x, w, b = randn(2, 2, 5, 6, grad=True), randn(3, 2, 2, 3, seed=1, grad=True), randn(3, seed=2, grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: conv2d_fft(x, w, b, padding=padding), (x, w, b))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(3, 2), padding=(0, 3), output_padding=(2, 0))], ids=str)
def test_conv_transpose2d_gradcheck(kwargs: dict) -> None:
    x, w, b = randn(2, 2, 3, 4, grad=True), randn(2, 3, 3, 2, seed=1, grad=True), randn(3, seed=2, grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, **kwargs), (x, w, b))


def test_im2col_and_circulant_gradcheck() -> None:
    x = randn(1, 2, 5, 5, grad=True)
    assert torch.autograd.gradcheck(lambda x: im2col(x, 3, stride=2, padding=1, dilation=(1, 2)), (x,))
    w = randn(3, grad=True)
    assert torch.autograd.gradcheck(lambda w: circulant(w, 5), (w,))


# ---------------------------------------------------------------------------
# Circulant matrices
# ---------------------------------------------------------------------------

_rng = random.Random(7)
CIRCULANT_CASES = [(_rng.randint(1, 9), _rng.randint(9, 16), seed) for seed in range(12)]


def loop_circular_conv(w: list[float], x: list[float]) -> list[float]:
    """y[i] = sum_j w[j] x[(i - j) mod n], written as plain loops."""
    n = len(x)
    return [sum(w[j] * x[(i - j) % n] for j in range(len(w))) for i in range(n)]


@pytest.mark.parametrize("k,n,seed", CIRCULANT_CASES)
def test_circulant_product_is_circular_convolution(k: int, n: int, seed: int) -> None:
    w, x = randn(k, seed=seed), randn(n, seed=100 + seed)
    C = circulant(w, n)
    assert C.shape == (n, n) and C.dtype == torch.float64
    fft = torch.fft.ifft(torch.fft.fft(x) * torch.fft.fft(w, n=n)).real  # the convolution theorem
    torch.testing.assert_close(C @ x, fft)
    torch.testing.assert_close(C @ x, torch.tensor(loop_circular_conv(w.tolist(), x.tolist()), dtype=torch.float64))
    torch.testing.assert_close(circular_conv1d(x, w), fft)
    # scipy's circulant matrix has w (zero-padded) as its first column
    np.testing.assert_allclose(C.numpy(), scipy.linalg.circulant(np.pad(w.numpy(), (0, n - k))))


@pytest.mark.parametrize("k,n,seed", CIRCULANT_CASES[:6])
def test_circulant_matrices_commute(k: int, n: int, seed: int) -> None:
    u, w = randn(k, seed=seed), randn(n, seed=50 + seed)
    Cu, Cw = circulant(u, n), circulant(w, n)
    torch.testing.assert_close(Cu @ Cw, Cw @ Cu)
    torch.testing.assert_close(Cu @ Cw, circulant(circular_conv1d(w, u), n))  # C(u)C(w) = C(u * w)


@pytest.mark.parametrize("n", [2, 5, 8])
def test_shift_matrix_shifts_right_and_commutes(n: int) -> None:
    S = circulant([0.0, 1.0], n)
    x = torch.arange(n, dtype=torch.float32)
    torch.testing.assert_close(S @ x, torch.roll(x, 1))  # [x_{n-1}, x_0, x_1, ...]
    C = circulant(randn(min(3, n), dtype=torch.float32), n)
    torch.testing.assert_close(C @ S, S @ C)  # shift equivariance: conv(shift(x)) == shift(conv(x))
    torch.testing.assert_close(C @ torch.roll(x, 1), torch.roll(C @ x, 1))


def test_circular_conv1d_batches_and_lists() -> None:
    x = randn(2, 3, 7, dtype=torch.float32)
    y = circular_conv1d(x, [1.0, -1.0])
    assert y.shape == x.shape and y.dtype == torch.float32
    torch.testing.assert_close(y, x - torch.roll(x, 1, dims=-1))
    assert circulant([1, 2], 3).dtype == torch.get_default_dtype()


# ---------------------------------------------------------------------------
# Sizes and parameter counts
# ---------------------------------------------------------------------------

SIZE_CASES = [c for c in conv2d_cases(40, seed=6, max_size=15) if not isinstance(c["padding"], tuple)]


@pytest.mark.parametrize("case", SIZE_CASES, ids=case_id)
def test_conv_output_size_matches_torch_shapes(case: dict) -> None:
    x, w, _ = make_inputs(case, torch.float32)
    want = reference_conv2d(x, w, None, case).shape[2:]
    stride = case["stride"] if isinstance(case["stride"], tuple) else (case["stride"],) * 2
    got = tuple(conv_output_size(case["hw"][i], case["kernel"][i], stride[i], case["padding"], case["dilation"][i])
                for i in range(2))
    assert got == tuple(want)
    assert conv2d(x, w, stride=case["stride"], padding=case["padding"], dilation=case["dilation"]).shape[2:] == want


@pytest.mark.parametrize("c_in,c_out,kernel,bias", [(1, 1, 1, True), (3, 64, 7, False), (64, 128, (3, 1), True),
                                                    (4, 8, 3, True), (256, 512, (1, 5), False), (3, 4, 3, True)])
def test_conv2d_params_matches_nn_conv2d(c_in: int, c_out: int, kernel: object, bias: bool) -> None:
    layer = nn.Conv2d(c_in, c_out, kernel, bias=bias)
    assert conv2d_params(c_in, c_out, kernel, bias=bias) == sum(p.numel() for p in layer.parameters())


# ---------------------------------------------------------------------------
# Bad input: ValueError whose message names the shapes
# ---------------------------------------------------------------------------

X = randn(2, 3, 5, 5)
W = randn(4, 3, 3, 3, seed=1)
X1 = randn(2, 3, 5)
W1 = randn(4, 3, 3, seed=1)
WT = randn(3, 4, 3, 3, seed=1)  # transposed conv: (C_in, C_out, kH, kW)

BAD_CALLS = [
    # rank
    ("x 3D", lambda: conv2d(X1, W), r"x must be a 4D tensor \(N, C_in, H, W\), got shape \(2, 3, 5\)"),
    ("weight 3D", lambda: conv2d(X, W1), r"weight must be a 4D tensor .*got shape \(4, 3, 3\)"),
    ("conv1d x 4D", lambda: conv1d(X, W1), r"x must be a 3D tensor \(N, C_in, L\), got shape \(2, 3, 5, 5\)"),
    ("naive x 3D", lambda: conv2d_naive(X1, W), r"got shape \(2, 3, 5\)"),
    ("fft weight 3D", lambda: conv2d_fft(X, W1), r"got shape \(4, 3, 3\)"),
    ("transpose x 3D", lambda: conv_transpose2d(X1, WT), r"got shape \(2, 3, 5\)"),
    ("transpose weight 3D", lambda: conv_transpose2d(X, W1), r"weight must be a 4D tensor \(C_in, C_out, kH, kW\)"),
    ("conv1d weight 4D", lambda: conv1d(X1, W), r"weight must be a 3D tensor \(C_out, C_in, k\), got shape \(4, 3, 3, 3\)"),
    ("im2col x 3D", lambda: im2col(X1, 3), r"x must be a 4D tensor .*got shape \(2, 3, 5\)"),
    ("integer x", lambda: conv2d(X.long(), W), r"x must be floating point"),
    ("not a tensor", lambda: conv2d(X.numpy(), W), r"x must be a torch.Tensor"),
    # dtype
    ("dtype", lambda: conv2d(X.float(), W), r"same dtype.*float32 \(shape \(2, 3, 5, 5\)\).*float64 \(shape \(4, 3, 3, 3\)\)"),
    ("dtype 1d", lambda: conv1d(X1, W1.float()), r"same dtype"),
    ("dtype fft", lambda: conv2d_fft(X, W.float()), r"same dtype"),
    ("bias dtype", lambda: conv2d(X, W, torch.zeros(4)), r"bias must have the dtype of weight"),
    # channels
    ("channels", lambda: conv2d(X, randn(4, 2, 3, 3)),
     r"x has 3 channels \(shape \(2, 3, 5, 5\)\) but weight of shape \(4, 2, 3, 3\) expects C_in=2"),
    ("channels naive", lambda: conv2d_naive(X, randn(4, 2, 3, 3)), r"x has 3 channels"),
    ("channels 1d", lambda: conv1d(X1, randn(4, 5, 3)), r"x has 3 channels \(shape \(2, 3, 5\)\).*C_in=5"),
    ("channels fft", lambda: conv2d_fft(X, randn(4, 2, 3, 3)), r"x has 3 channels"),
    ("channels transpose", lambda: conv_transpose2d(X, randn(2, 4, 3, 3)), r"x has 3 channels.*\(2, 4, 3, 3\) expects C_in=2"),
    # bias
    ("bias shape", lambda: conv2d(X, W, randn(3)), r"bias must have shape \(C_out,\) = \(4,\).*got \(3,\)"),
    ("bias 2D", lambda: conv2d(X, W, randn(4, 1)), r"bias must be a 1D tensor .*got shape \(4, 1\)"),
    ("bias 1d", lambda: conv1d(X1, W1, randn(5)), r"\(4,\).*got \(5,\)"),
    ("bias transpose", lambda: conv_transpose2d(X, WT, randn(3)), r"bias must have shape \(C_out,\) = \(4,\)"),
    # kernel larger than the padded input
    ("kernel too large", lambda: conv2d(randn(1, 3, 2, 5), W), r"spans 3 positions.*padded input of 2.*\(1, 3, 2, 5\).*\(4, 3, 3, 3\)"),
    ("dilated kernel too large", lambda: conv2d(X, W, dilation=3), r"dilation 3 spans 7 positions.*padded input of 5"),
    ("kernel too large naive", lambda: conv2d_naive(X, W, dilation=(1, 3)), r"in width.*\(2, 3, 5, 5\)"),
    ("kernel too large 1d", lambda: conv1d(randn(1, 3, 2), W1), r"in length: x has shape \(1, 3, 2\)"),
    ("kernel too large fft", lambda: conv2d_fft(randn(1, 3, 2, 2), W), r"padded input of 2.*\(1, 3, 2, 2\)"),
    ("kernel too large im2col", lambda: im2col(X, 6), r"spans 6 positions.*padded input of 5.*\(2, 3, 5, 5\)"),
    ("zero-size kernel", lambda: conv2d(X, randn(4, 3, 0, 3)), r"kernel_size must be positive, got \(0, 3\)"),
    # stride, dilation, padding
    ("stride 0", lambda: conv2d(X, W, stride=0), r"stride must be positive, got \(0, 0\)"),
    ("stride negative", lambda: conv2d_naive(X, W, stride=(1, -1)), r"stride must be positive"),
    ("stride 1d", lambda: conv1d(X1, W1, stride=0), r"stride must be positive, got \(0,\)"),
    ("dilation 0", lambda: conv2d(X, W, dilation=(0, 1)), r"dilation must be positive, got \(0, 1\)"),
    ("dilation im2col", lambda: im2col(X, 3, dilation=0), r"dilation must be positive"),
    ("negative padding", lambda: conv2d(X, W, padding=-1), r"padding must be non-negative, got \(-1, -1\)"),
    ("negative padding fft", lambda: conv2d_fft(X, W, padding=(0, -2)), r"padding must be non-negative"),
    ("negative padding transpose", lambda: conv_transpose2d(X, WT, padding=-1), r"padding must be non-negative"),
    ("same with stride", lambda: conv2d(X, W, stride=2, padding="same"), r'padding="same" needs stride 1, got stride \(2, 2\)'),
    ("same with stride 1d", lambda: conv1d(X1, W1, stride=2, padding="same"), r'padding="same" needs stride 1'),
    ("unknown padding", lambda: conv2d(X, W, padding="half"), r"padding must be .*'valid', 'same', 'full'.*'half'"),
    ("float stride", lambda: conv2d(X, W, stride=1.5), r"stride must be an int or a pair"),
    ("triple padding", lambda: conv2d(X, W, padding=(1, 1, 1)), r"padding must be an int or a pair"),
    # transposed convolution
    ("output_padding", lambda: conv_transpose2d(X, WT, stride=2, output_padding=2),
     r"output_padding \(2, 2\) must be smaller than the stride \(2, 2\)"),
    ("output_padding stride 1", lambda: conv_transpose2d(X, WT, output_padding=(0, 1)), r"smaller than the stride \(1, 1\)"),
    ("transpose stride 0", lambda: conv_transpose2d(X, WT, stride=0), r"stride must be positive"),
    ("transpose output empty", lambda: conv_transpose2d(randn(1, 3, 1, 1), randn(3, 4, 1, 1), padding=1),
     r"output height .*< 1: x has shape \(1, 3, 1, 1\), weight has shape \(3, 4, 1, 1\)"),
    # circulant
    ("circulant too short", lambda: circulant(randn(5), 3), r"n must be >= len\(w\) >= 1: w has shape \(5,\), n = 3"),
    ("circulant 2D", lambda: circulant(randn(2, 2), 4), r"w must be a 1D tensor \(k,\), got shape \(2, 2\)"),
    ("circulant n float", lambda: circulant(randn(2), 4.0), r"n must be an int"),
    ("circular conv too long", lambda: circular_conv1d(randn(2, 3), randn(4)), r"\(4,\).*x has shape \(2, 3\)"),
    ("circular conv int x", lambda: circular_conv1d(torch.arange(4), [1.0]), r"x must be a floating-point tensor"),
    # output size and parameter count
    ("size too small", lambda: conv_output_size(3, 5), r"size 5 .*spans 5 positions.*padded input of 3 \(size 3 \+ padding 0 \+ 0\)"),
    ("size padding", lambda: conv_output_size(3, 5, padding=-1), r"padding must be non-negative, got \(-1,\)"),
    ("size stride", lambda: conv_output_size(8, 3, stride=0), r"stride must be positive, got \(0,\)"),
    ("size dilation", lambda: conv_output_size(8, 3, dilation=0), r"dilation must be positive"),
    ("size kernel", lambda: conv_output_size(8, 0), r"kernel_size must be positive"),
    ("size same stride", lambda: conv_output_size(8, 3, stride=2, padding="same"), r'needs stride 1, got stride 2'),
    ("size bool", lambda: conv_output_size(8, True), r"kernel_size must be an int, got True"),
    ("params channels", lambda: conv2d_params(0, 4, 3), r"in_channels must be positive, got \(0,\)"),
    ("params kernel", lambda: conv2d_params(3, 4, (3, 0)), r"kernel_size must be positive, got \(3, 0\)"),
]


@pytest.mark.parametrize("call,match", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------
# Padding modes, spelled out
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("k,d", [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 1)])
def test_same_and_full_sizes(k: int, d: int) -> None:
    x, w = randn(1, 1, 10, 11), randn(1, 1, k, k, seed=1)
    assert conv2d(x, w, padding="same", dilation=d).shape == x.shape
    assert conv2d(x, w, padding="full", dilation=d).shape[2:] == (10 + d * (k - 1), 11 + d * (k - 1))
    assert conv_output_size(10, k, padding="same", dilation=d) == 10
    assert conv_output_size(10, k, padding="full", dilation=d) == 10 + d * (k - 1)
    assert conv_output_size(10, k, padding="valid", dilation=d) == 10 - d * (k - 1)
