"""course_lib.pooling against torch.nn.functional on many random cases."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from course_lib.pooling import (
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool2d,
    pool_output_size,
    upsample_bilinear,
    upsample_nearest,
)

DTYPES = [torch.float32, torch.float64]


def random_pool_case_2d(rng: random.Random) -> dict:
    """Random shape and pooling hyper-parameters that torch accepts (padding <= kernel / 2)."""
    while True:
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s = None if rng.random() < 0.3 else (rng.randint(1, 3), rng.randint(1, 3))
        p = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
        h, w = rng.randint(1, 11), rng.randint(1, 11)
        if h + 2 * p[0] >= k[0] and w + 2 * p[1] >= k[1]:
            return {"shape": (rng.randint(1, 2), rng.randint(1, 3), h, w), "k": k, "s": s, "p": p}


def random_pool_case_1d(rng: random.Random) -> dict:
    while True:
        k = rng.randint(1, 5)
        s = None if rng.random() < 0.3 else rng.randint(1, 3)
        p = rng.randint(0, k // 2)
        n = rng.randint(1, 15)
        if n + 2 * p >= k:
            return {"shape": (rng.randint(1, 2), rng.randint(1, 3), n), "k": k, "s": s, "p": p}


def distinct_values(shape: tuple[int, ...], dtype: torch.dtype, gen: torch.Generator) -> torch.Tensor:
    """A tensor whose entries are all different (no ties, so max pooling is differentiable)."""
    n = 1
    for v in shape:
        n *= v
    return (torch.randperm(n, generator=gen).to(dtype) / n - 0.5).reshape(shape)


# ----------------------------------------------------------------------------- max pooling


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool2d_values_and_indices_match_torch(dtype: torch.dtype) -> None:
    rng = random.Random(0)
    gen = torch.Generator().manual_seed(0)
    for _ in range(60):
        case = random_pool_case_2d(rng)
        x = torch.randn(case["shape"], generator=gen, dtype=dtype)
        got, got_idx = max_pool2d(x, case["k"], case["s"], case["p"], return_indices=True)
        want, want_idx = F.max_pool2d(x, case["k"], case["s"], case["p"], return_indices=True)
        assert got.dtype == dtype and got.shape == want.shape, case
        assert torch.equal(got, want), case
        assert torch.equal(got_idx, want_idx), case
        assert torch.equal(max_pool2d(x, case["k"], case["s"], case["p"]), want), case


def test_max_pool2d_ties_pick_the_same_index_as_torch() -> None:
    rng = random.Random(1)
    gen = torch.Generator().manual_seed(1)
    for _ in range(40):
        case = random_pool_case_2d(rng)
        x = torch.randint(0, 3, case["shape"], generator=gen).double()  # many equal values
        got, got_idx = max_pool2d(x, case["k"], case["s"], case["p"], return_indices=True)
        want, want_idx = F.max_pool2d(x, case["k"], case["s"], case["p"], return_indices=True)
        assert torch.equal(got, want) and torch.equal(got_idx, want_idx), case


def test_max_pool2d_never_picks_padding_even_for_minus_infinity() -> None:
    x = torch.full((1, 2, 5, 6), float("-inf"))
    x[0, 1, 4, 5] = 2.0
    got, got_idx = max_pool2d(x, 3, 2, 1, return_indices=True)
    want, want_idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert torch.equal(got, want)
    assert torch.equal(got_idx, want_idx)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool2d_gradient_matches_torch(dtype: torch.dtype) -> None:
    rng = random.Random(2)
    gen = torch.Generator().manual_seed(2)
    for _ in range(30):
        case = random_pool_case_2d(rng)
        x = distinct_values(case["shape"], dtype, gen)
        x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
        got = max_pool2d(x1, case["k"], case["s"], case["p"])
        want = F.max_pool2d(x2, case["k"], case["s"], case["p"])
        g = torch.randn(want.shape, generator=gen, dtype=dtype)
        got.backward(g)
        want.backward(g)
        torch.testing.assert_close(x1.grad, x2.grad)


def test_max_pool2d_gradcheck() -> None:
    gen = torch.Generator().manual_seed(3)
    for shape, k, s, p in [((1, 2, 5, 6), 2, None, 0), ((2, 1, 7, 5), (3, 2), (2, 1), (1, 1)), ((1, 1, 6, 6), 3, 1, 1)]:
        x = distinct_values(shape, torch.float64, gen).requires_grad_()
        assert gradcheck(lambda t: max_pool2d(t, k, s, p), (x,))


# ----------------------------------------------------------------------------- average pooling


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool2d_matches_torch(dtype: torch.dtype) -> None:
    rng = random.Random(4)
    gen = torch.Generator().manual_seed(4)
    tol = {"atol": 1e-6, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-12}
    for _ in range(60):
        case = random_pool_case_2d(rng)
        x = torch.randn(case["shape"], generator=gen, dtype=dtype, requires_grad=True)
        got = avg_pool2d(x, case["k"], case["s"], case["p"])
        want = F.avg_pool2d(x, case["k"], case["s"], case["p"])
        assert got.dtype == dtype
        torch.testing.assert_close(got, want, **tol)
        g = torch.randn(want.shape, generator=gen, dtype=dtype)
        (got_grad,) = torch.autograd.grad(got, x, g)
        (want_grad,) = torch.autograd.grad(want, x, g)
        torch.testing.assert_close(got_grad, want_grad, **tol)


def test_avg_pool2d_gradcheck() -> None:
    gen = torch.Generator().manual_seed(5)
    for shape, k, s, p in [((1, 2, 5, 6), 2, None, 0), ((2, 1, 7, 5), (3, 2), (2, 1), (1, 1))]:
        x = torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
        assert gradcheck(lambda t: avg_pool2d(t, k, s, p), (x,))


# ----------------------------------------------------------------------------- 1D pooling


@pytest.mark.parametrize("dtype", DTYPES)
def test_pool1d_matches_torch(dtype: torch.dtype) -> None:
    rng = random.Random(6)
    gen = torch.Generator().manual_seed(6)
    for _ in range(60):
        case = random_pool_case_1d(rng)
        x = torch.randn(case["shape"], generator=gen, dtype=dtype)
        got, got_idx = max_pool1d(x, case["k"], case["s"], case["p"], return_indices=True)
        want, want_idx = F.max_pool1d(x, case["k"], case["s"], case["p"], return_indices=True)
        assert torch.equal(got, want) and torch.equal(got_idx, want_idx), case
        torch.testing.assert_close(
            avg_pool1d(x, case["k"], case["s"], case["p"]), F.avg_pool1d(x, case["k"], case["s"], case["p"])
        )


def test_pool1d_width3_stride2_as_in_chapter_4() -> None:
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(4, 2, 40, generator=gen)
    assert torch.equal(max_pool1d(x, 3, 2), F.max_pool1d(x, 3, 2))
    torch.testing.assert_close(avg_pool1d(x, 3, 2), F.avg_pool1d(x, 3, 2))
    assert max_pool1d(x, 3, 2).shape == (4, 2, pool_output_size(40, 3, 2))


def test_pool1d_gradcheck() -> None:
    gen = torch.Generator().manual_seed(8)
    x = distinct_values((2, 2, 11), torch.float64, gen).requires_grad_()
    assert gradcheck(lambda t: max_pool1d(t, 3, 2, 1), (x,))
    assert gradcheck(lambda t: avg_pool1d(t, 3, 2, 1), (x,))


def test_pool_output_size_matches_torch_shapes() -> None:
    rng = random.Random(9)
    for _ in range(50):
        case = random_pool_case_1d(rng)
        n = case["shape"][-1]
        want = F.max_pool1d(torch.zeros(case["shape"]), case["k"], case["s"], case["p"]).shape[-1]
        assert pool_output_size(n, case["k"], case["s"], case["p"]) == want


# ----------------------------------------------------------------------------- unpooling


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_unpool2d_matches_torch(dtype: torch.dtype) -> None:
    rng = random.Random(10)
    gen = torch.Generator().manual_seed(10)
    for _ in range(40):
        case = random_pool_case_2d(rng)
        x = torch.randn(case["shape"], generator=gen, dtype=dtype)
        pooled, idx = F.max_pool2d(x, case["k"], case["s"], case["p"], return_indices=True)
        size = x.shape[2:] if rng.random() < 0.5 else x.shape  # (H, W) or (N, C, H, W)
        got = max_unpool2d(pooled, idx, case["k"], case["s"], size, padding=case["p"])
        want = F.max_unpool2d(pooled, idx, case["k"], case["s"], case["p"], output_size=size)
        assert got.dtype == dtype
        assert torch.equal(got, want), case


def test_max_unpool2d_default_size_and_roundtrip() -> None:
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 8, 6, generator=gen)
    pooled, idx = max_pool2d(x, 2, return_indices=True)
    got = max_unpool2d(pooled, idx, 2)
    assert torch.equal(got, F.max_unpool2d(pooled, idx, 2))
    assert got.shape == x.shape
    # every kept value sits where it came from, the rest is zero
    assert torch.equal(got, torch.where(got != 0, x, torch.zeros_like(x)))
    assert torch.equal(max_pool2d(got.abs() + (got != 0) * 1e3, 2), pooled.abs() + 1e3)


def test_max_unpool2d_gradcheck() -> None:
    gen = torch.Generator().manual_seed(12)
    x = distinct_values((1, 2, 6, 7), torch.float64, gen)
    # non-overlapping windows: every index appears once (overlapping ones may repeat an index)
    for k, s, p in [(2, 2, 0), (3, 3, 1), ((2, 3), (2, 3), (1, 0))]:
        pooled, idx = F.max_pool2d(x, k, s, p, return_indices=True)
        pooled.requires_grad_()
        assert gradcheck(lambda t: max_unpool2d(t, idx, k, s, (6, 7), padding=p), (pooled,))


# ----------------------------------------------------------------------------- up-sampling


@pytest.mark.parametrize("dtype", DTYPES)
def test_upsample_nearest_matches_interpolate(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(13)
    rng = random.Random(13)
    for _ in range(20):
        s = rng.randint(1, 4)
        shape = (rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 7), rng.randint(1, 7))
        x = torch.randn(shape, generator=gen, dtype=dtype)
        assert torch.equal(upsample_nearest(x, s), F.interpolate(x, scale_factor=s, mode="nearest"))
        pair = (rng.randint(1, 3), rng.randint(1, 3))
        assert torch.equal(upsample_nearest(x, pair), F.interpolate(x, scale_factor=pair, mode="nearest"))
        seq = torch.randn(2, 3, rng.randint(1, 9), generator=gen, dtype=dtype)
        assert torch.equal(upsample_nearest(seq, s), F.interpolate(seq, scale_factor=s, mode="nearest"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_upsample_bilinear_matches_interpolate(dtype: torch.dtype, align_corners: bool) -> None:
    gen = torch.Generator().manual_seed(14)
    rng = random.Random(14)
    tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-12}
    for _ in range(25):
        s = rng.randint(1, 5) if rng.random() < 0.6 else (rng.randint(1, 4), rng.randint(1, 4))
        x = torch.randn(
            rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 8), rng.randint(1, 8),
            generator=gen, dtype=dtype, requires_grad=True,
        )
        got = upsample_bilinear(x, s, align_corners=align_corners)
        want = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=align_corners)
        assert got.dtype == dtype and got.shape == want.shape
        torch.testing.assert_close(got, want, **tol)
        g = torch.randn(want.shape, generator=gen, dtype=dtype)
        (got_grad,) = torch.autograd.grad(got, x, g)
        (want_grad,) = torch.autograd.grad(want, x, g)
        torch.testing.assert_close(got_grad, want_grad, **tol)


def test_upsampling_gradcheck() -> None:
    gen = torch.Generator().manual_seed(15)
    x = torch.randn(1, 2, 3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: upsample_bilinear(t, 2), (x,))
    assert gradcheck(lambda t: upsample_bilinear(t, (3, 2), align_corners=True), (x,))
    assert gradcheck(lambda t: upsample_nearest(t, 2), (x,))


# ----------------------------------------------------------------------------- bad input


def test_pooling_rejects_bad_input() -> None:
    x = torch.randn(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(2, 5, 5\)"):
        max_pool2d(x[0], 2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        avg_pool2d(x.unsqueeze(0), 2)
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        max_pool1d(x, 2)
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        avg_pool1d(x[0, 0], 2)
    with pytest.raises(ValueError, match="floating point"):
        max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"larger than the padded input.*\(1, 2, 5, 5\)"):
        max_pool2d(x, 6)
    with pytest.raises(ValueError, match=r"larger than the padded input"):
        avg_pool2d(x, (2, 8), padding=(0, 1))
    with pytest.raises(ValueError, match="larger than the padded input"):
        avg_pool1d(torch.randn(1, 1, 3), 4, padding=0)
    with pytest.raises(ValueError, match="stride must be positive"):
        max_pool2d(x, 2, 0)
    with pytest.raises(ValueError, match="stride must be positive"):
        avg_pool1d(torch.randn(1, 1, 6), 2, -1)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        avg_pool2d(x, 0)
    with pytest.raises(ValueError, match="at most half"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="at most half"):
        max_pool1d(torch.randn(1, 1, 6), 3, padding=2)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        avg_pool2d(x, 2, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match="kernel_size must be an int"):
        max_pool1d(torch.randn(1, 1, 6), 2.0)


def test_unpool_rejects_bad_input() -> None:
    x = torch.randn(1, 2, 6, 6)
    pooled, idx = max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match=r"indices must have the shape of x \(1, 2, 3, 3\).*\(1, 2, 3\)"):
        max_unpool2d(pooled, idx[..., 0], 2)
    with pytest.raises(ValueError, match="integer"):
        max_unpool2d(pooled, idx.double(), 2)
    with pytest.raises(ValueError, match=r"\[0, 36\)"):
        max_unpool2d(pooled, idx + 36, 2)
    with pytest.raises(ValueError, match="output_size"):
        max_unpool2d(pooled, idx, 2, output_size=(9, 6))
    with pytest.raises(ValueError, match="output_size"):
        max_unpool2d(pooled, idx, 2, output_size=(6,))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        max_unpool2d(pooled[0], idx[0], 2)
    with pytest.raises(ValueError, match="stride must be positive"):
        max_unpool2d(pooled, idx, 2, 0)


def test_upsampling_rejects_bad_scale_and_rank() -> None:
    x = torch.randn(1, 1, 3, 3)
    for bad in (0, -2, 1.5, "2", (2, 0), None, True):
        with pytest.raises(ValueError, match="scale_factor must be a positive integer"):
            upsample_nearest(x, bad)
        with pytest.raises(ValueError, match="scale_factor must be a positive integer"):
            upsample_bilinear(x, bad)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(3, 3\)"):
        upsample_bilinear(x[0, 0], 2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(1, 1, 1, 3, 3\)"):
        upsample_nearest(x.unsqueeze(0), 2)
    with pytest.raises(ValueError, match="align_corners"):
        upsample_bilinear(x, 2, align_corners=None)
    assert torch.equal(upsample_nearest(x, 2.0), upsample_nearest(x, 2))  # an integral float is accepted
