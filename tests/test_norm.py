"""course_lib.norm against F.batch_norm and torch.nn.BatchNorm2d."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from course_lib.norm import BatchNorm2d, batch_norm

DTYPES = [torch.float32, torch.float64]
SHAPES = [(8, 3), (4, 5, 7), (3, 4, 5, 6), (2, 2, 1, 1), (5, 1, 3, 2)]


def tolerances(dtype: torch.dtype) -> dict:
    return {"atol": 2e-5, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-10}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_training_matches_torch_over_several_steps(dtype: torch.dtype, shape: tuple[int, ...]) -> None:
    gen = torch.Generator().manual_seed(sum(shape))
    rng = random.Random(sum(shape))
    c = shape[1]
    ours_mean, ours_var = torch.randn(c, generator=gen, dtype=dtype), torch.rand(c, generator=gen, dtype=dtype) + 0.5
    torch_mean, torch_var = ours_mean.clone(), ours_var.clone()
    for step in range(4):
        momentum = rng.choice([0.1, 0.3, 1.0, 0.0])
        affine = step % 2 == 0
        weight = torch.randn(c, generator=gen, dtype=dtype) if affine else None
        bias = torch.randn(c, generator=gen, dtype=dtype) if affine else None
        x = 3.0 * torch.randn(shape, generator=gen, dtype=dtype) + 1.0
        got = batch_norm(x, ours_mean, ours_var, weight, bias, training=True, momentum=momentum, eps=1e-5)
        want = F.batch_norm(x, torch_mean, torch_var, weight, bias, training=True, momentum=momentum, eps=1e-5)
        assert got.dtype == dtype and got.shape == x.shape
        torch.testing.assert_close(got, want, **tolerances(dtype))
        torch.testing.assert_close(ours_mean, torch_mean, **tolerances(dtype))  # updated in place
        torch.testing.assert_close(ours_var, torch_var, **tolerances(dtype))  # unbiased variance


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_eval_uses_running_statistics(dtype: torch.dtype, shape: tuple[int, ...]) -> None:
    gen = torch.Generator().manual_seed(100 + sum(shape))
    c = shape[1]
    mean, var = torch.randn(c, generator=gen, dtype=dtype), torch.rand(c, generator=gen, dtype=dtype) + 0.1
    weight, bias = torch.randn(c, generator=gen, dtype=dtype), torch.randn(c, generator=gen, dtype=dtype)
    x = torch.randn(shape, generator=gen, dtype=dtype)
    mean_before, var_before = mean.clone(), var.clone()
    got = batch_norm(x, mean, var, weight, bias, training=False, eps=1e-3)
    want = F.batch_norm(x, mean, var, weight, bias, training=False, eps=1e-3)
    torch.testing.assert_close(got, want, **tolerances(dtype))
    assert torch.equal(mean, mean_before) and torch.equal(var, var_before)  # eval never updates


def test_batch_norm_without_running_statistics() -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, 4, 4, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(batch_norm(x, None, None), F.batch_norm(x, None, None, training=True))
    y = batch_norm(x, None, None)  # standardised: mean 0, biased variance 1 per channel (up to eps)
    torch.testing.assert_close(y.mean(dim=(0, 2, 3)), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    var = x.var(dim=(0, 2, 3), unbiased=False)
    torch.testing.assert_close(y.var(dim=(0, 2, 3), unbiased=False), var / (var + 1e-5))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients_match_torch(training: bool) -> None:
    gen = torch.Generator().manual_seed(2)
    for shape in SHAPES:
        c = shape[1]
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        w = torch.randn(c, generator=gen, dtype=torch.float64)
        b = torch.randn(c, generator=gen, dtype=torch.float64)
        rm = torch.randn(c, generator=gen, dtype=torch.float64)
        rv = torch.rand(c, generator=gen, dtype=torch.float64) + 0.5
        g = torch.randn(shape, generator=gen, dtype=torch.float64)
        grads = []
        for fn in (batch_norm, F.batch_norm):
            inputs = [t.clone().requires_grad_() for t in (x, w, b)]
            out = fn(inputs[0], rm.clone(), rv.clone(), inputs[1], inputs[2], training=training)
            grads.append(torch.autograd.grad(out, inputs, g))
        for got, want in zip(*grads):
            torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training: bool) -> None:
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(4, 3, 3, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    assert gradcheck(lambda x_, w_, b_: batch_norm(x_, rm, rv, w_, b_, training=training), (x, w, b))


# ----------------------------------------------------------------------------- the module


def test_batchnorm2d_has_torch_state_dict() -> None:
    ours, theirs = BatchNorm2d(5), nn.BatchNorm2d(5)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key in theirs_state:
        assert ours_state[key].shape == theirs_state[key].shape, key
        assert ours_state[key].dtype == theirs_state[key].dtype, key
        assert torch.equal(ours_state[key], theirs_state[key]), key  # same initial values
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm2d_trains_like_torch(momentum: float | None) -> None:
    gen = torch.Generator().manual_seed(4)
    ours, theirs = BatchNorm2d(4, eps=1e-4, momentum=momentum), nn.BatchNorm2d(4, eps=1e-4, momentum=momentum)
    with torch.no_grad():
        theirs.weight.copy_(torch.randn(4, generator=gen))
        theirs.bias.copy_(torch.randn(4, generator=gen))
    ours.load_state_dict(theirs.state_dict())
    for _ in range(5):
        x = 2.0 * torch.randn(3, 4, 5, 6, generator=gen) - 1.0
        torch.testing.assert_close(ours(x), theirs(x))
        for key, value in theirs.state_dict().items():
            torch.testing.assert_close(ours.state_dict()[key], value, msg=key)
    ours.eval()
    theirs.eval()
    x = torch.randn(2, 4, 3, 3, generator=gen)
    torch.testing.assert_close(ours(x), theirs(x))
    assert int(ours.num_batches_tracked) == 5


def test_batchnorm2d_loads_a_trained_torch_layer_and_back() -> None:
    gen = torch.Generator().manual_seed(5)
    theirs = nn.BatchNorm2d(3)
    for _ in range(3):
        theirs(torch.randn(4, 3, 5, 5, generator=gen) * 2 + 3)  # move the running statistics
    with torch.no_grad():
        theirs.weight.mul_(1.5)
        theirs.bias.add_(0.25)
    ours = BatchNorm2d(3)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = torch.randn(2, 3, 4, 4, generator=gen)
    torch.testing.assert_close(ours(x), theirs(x))
    fresh = nn.BatchNorm2d(3).eval()
    fresh.load_state_dict(ours.state_dict())
    torch.testing.assert_close(fresh(x), theirs(x))
    # in training mode the module ignores the running statistics
    ours.train()
    torch.testing.assert_close(ours(x), F.batch_norm(x, None, None, ours.weight, ours.bias, training=True))


def test_batchnorm2d_gradients_reach_parameters() -> None:
    gen = torch.Generator().manual_seed(6)
    ours, theirs = BatchNorm2d(2).double(), nn.BatchNorm2d(2).double()
    x = torch.randn(3, 2, 4, 4, generator=gen, dtype=torch.float64)
    g = torch.randn(3, 2, 4, 4, generator=gen, dtype=torch.float64)
    ours(x).backward(g)
    theirs(x).backward(g)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad)
    torch.testing.assert_close(ours.bias.grad, theirs.bias.grad)


# ----------------------------------------------------------------------------- bad input


def test_batch_norm_rejects_bad_input() -> None:
    x = torch.randn(4, 3, 5, 5)
    rm, rv = torch.zeros(3), torch.ones(3)
    with pytest.raises(ValueError, match=r"2D to 5D.*\(5,\)"):
        batch_norm(x[0, 0, 0], rm, rv)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\).*\(4, 3, 5, 5\).*\(4,\)"):
        batch_norm(x, torch.zeros(4), rv)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\).*\(2, 3\)"):
        batch_norm(x, rm, rv, weight=torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        batch_norm(x, rm, rv, bias=torch.zeros(5))
    with pytest.raises(ValueError, match="evaluation mode"):
        batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        batch_norm(torch.randn(1, 3), rm, rv)
    with pytest.raises(ValueError, match="floating point"):
        batch_norm(torch.ones(4, 3, dtype=torch.long), rm, rv)
    with pytest.raises(ValueError, match="momentum"):
        batch_norm(x, rm, rv, momentum=1.5)
    with pytest.raises(ValueError, match="both"):
        batch_norm(x, rm, None)


def test_batchnorm2d_rejects_bad_input() -> None:
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(4, 3\)"):
        bn(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"3 channels.*\(2, 4, 5, 5\)"):
        bn(torch.randn(2, 4, 5, 5))
    assert int(bn.num_batches_tracked) == 0  # a rejected batch is not counted
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="num_features"):
            BatchNorm2d(bad)
