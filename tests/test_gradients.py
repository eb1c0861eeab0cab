"""Tests for course_lib.gradients: per-layer gradient norms against a plain ``backward()``."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.gradients import LayerGradient, init_gradient_profile, layer_gradient_norms
from course_lib.models import cifar_resnet


def _reference(model: nn.Module, x: torch.Tensor, y: torch.Tensor, layers: list[str], train: bool = True) -> list[float]:
    """Norms of ``.grad`` after an ordinary ``loss.backward()`` on a copy of ``model``, for the named layers."""
    model = copy.deepcopy(model)
    model.train(train)
    model.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    modules = dict(model.named_modules())
    return [float(modules[name].weight.grad.norm()) for name in layers]


def _batch(seed: int, n: int, channels: int, size: int, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, channels, size, size, generator=g, dtype=dtype)  # (N, C, H, W)
    y = torch.randint(0, 10, (n,), generator=g)  # (N,)
    return x, y


@pytest.mark.parametrize("seed", range(6))
def test_norms_match_backward_on_random_resnets(seed):
    rng = np.random.default_rng(seed)
    residual = bool(seed % 2)
    width = int(rng.integers(2, 6))
    channels = int(rng.integers(1, 4))
    torch.manual_seed(seed)
    model = cifar_resnet(8, residual=residual, width=width, in_channels=channels)
    x, y = _batch(seed, int(rng.integers(2, 7)), channels, int(rng.integers(6, 12)))
    records = layer_gradient_norms(model, x, y)
    # with padding shortcuts, cifar_resnet defines its layers in the order it calls them
    expected_names = [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [r.name for r in records] == expected_names
    assert [r.type for r in records] == ["Conv2d"] * (len(expected_names) - 1) + ["Linear"]
    np.testing.assert_allclose([r.grad_norm for r in records], _reference(model, x, y, expected_names), rtol=1e-5)
    modules = dict(model.named_modules())
    np.testing.assert_allclose([r.weight_norm for r in records],
                               [float(modules[r.name].weight.detach().norm()) for r in records], rtol=1e-6)


def test_layers_are_listed_in_call_order_not_definition_order():
    class Reordered(nn.Module):
        def __init__(self):
            super().__init__()
            self.second = nn.Linear(5, 3)
            self.unused = nn.Linear(2, 2)
            self.first = nn.Linear(4, 5)

        def forward(self, x):
            return self.second(torch.relu(self.first(x)))

    torch.manual_seed(0)
    model = Reordered()
    x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
    records = layer_gradient_norms(model, x, y)
    assert [r.name for r in records] == ["first", "second"]
    np.testing.assert_allclose([r.grad_norm for r in records], _reference(model, x, y, ["first", "second"]), rtol=1e-6)


def test_float64_eval_mode_and_a_custom_loss():
    torch.manual_seed(1)
    model = cifar_resnet(8, width=3, in_channels=2).double()
    x, y = _batch(1, 4, 2, 8, dtype=torch.float64)
    model.train()
    for _ in range(2):  # give the batch norms running statistics that differ from the batch's
        model(x * 3 + 1)
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    records = layer_gradient_norms(model, x, y, layer_types=(nn.Conv2d,), train_mode=False)
    assert [r.name for r in records] == names
    np.testing.assert_allclose([r.grad_norm for r in records], _reference(model, x, y, names, train=False), rtol=1e-10)

    def doubled(out, target):
        return 2.0 * nn.functional.cross_entropy(out, target)

    twice = layer_gradient_norms(model, x, y, loss_fn=doubled, layer_types=(nn.Conv2d,), train_mode=False)
    np.testing.assert_allclose([r.grad_norm for r in twice], [2 * r.grad_norm for r in records], rtol=1e-10)


def test_the_model_is_left_as_it_was():
    torch.manual_seed(2)
    model = cifar_resnet(8, width=4, in_channels=1)
    model.eval()
    before = copy.deepcopy(model.state_dict())
    x, y = _batch(2, 5, 1, 10)
    layer_gradient_norms(model, x, y)
    assert not model.training
    after = model.state_dict()
    for key in before:  # parameters and running statistics unchanged
        assert torch.equal(before[key], after[key]), key
    assert all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())


def test_unused_layers_have_no_record_and_records_are_frozen():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 10))
    x, y = torch.randn(3, 3, 2, 2), torch.tensor([1, 2, 3])
    (record,) = layer_gradient_norms(model, x, y)
    assert isinstance(record, LayerGradient) and record.name == "1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.grad_norm = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("depth, residual, batch_norm", [(8, True, True), (8, False, False), (14, True, False), (14, False, True)])
def test_init_profile_matches_an_independently_built_network(depth, residual, batch_norm):
    x, y = _batch(depth, 6, 1, 12)
    profile = init_gradient_profile(depth, residual, batch_norm, images=x, labels=y, width=4, seed=3)
    torch.manual_seed(3)
    model = cifar_resnet(depth, residual=residual, width=4, in_channels=1)
    if not batch_norm:  # replace every batch norm by the identity (their construction draws no random numbers)
        for name, module in list(model.named_modules()):
            for child_name, child in list(module.named_children()):
                if isinstance(child, nn.BatchNorm2d):
                    setattr(module, child_name, nn.Identity())
        assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert profile.shape == (depth - 1,) and profile.dtype == np.float64
    np.testing.assert_allclose(profile, _reference(model, x, y, names), rtol=1e-5)


def test_init_profile_depends_on_the_switches():
    x, y = _batch(0, 6, 1, 12)
    profiles = [init_gradient_profile(8, r, b, images=x, labels=y, width=4) for r in (True, False) for b in (True, False)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.allclose(profiles[i], profiles[j])


def test_bad_inputs_raise_value_errors_that_name_the_argument():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.randn(2, 4), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="inputs"):
        layer_gradient_norms(model, [[1.0]], y)
    with pytest.raises(ValueError, match="inputs"):
        layer_gradient_norms(model, torch.ones(2, 4, dtype=torch.long), y)
    with pytest.raises(ValueError, match="targets"):
        layer_gradient_norms(model, x, 3)
    with pytest.raises(ValueError, match=r"same batch size.*\(2, 4\).*\(3,\)"):
        layer_gradient_norms(model, x, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="model"):
        layer_gradient_norms("not a model", x, y)
    with pytest.raises(ValueError, match="no layer"):
        layer_gradient_norms(nn.Sequential(nn.ReLU()), x, y)
    with pytest.raises(ValueError, match="scalar"):
        layer_gradient_norms(model, x, y, loss_fn=lambda out, t: out)
    with pytest.raises(ValueError, match="images"):
        init_gradient_profile(8, images=torch.randn(2, 28, 28), labels=y)
    with pytest.raises(ValueError, match="depth"):
        init_gradient_profile(9, images=torch.randn(2, 1, 8, 8), labels=y)


def test_init_profile_follows_the_dtype_of_the_batch():
    x, y = _batch(5, 4, 1, 10, dtype=torch.float64)
    profile64 = init_gradient_profile(8, images=x, labels=y, width=3, seed=2)
    profile32 = init_gradient_profile(8, images=x.float(), labels=y, width=3, seed=2)
    torch.manual_seed(2)
    model = cifar_resnet(8, width=3, in_channels=1).double()
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    np.testing.assert_allclose(profile64, _reference(model, x, y, names), rtol=1e-10)
    np.testing.assert_allclose(profile32, profile64, rtol=1e-3)
