"""Tests for course_lib.complexity: multiply-adds against the analytic formula, torchinfo
and the real Inception module of course_lib.models."""

from __future__ import annotations

import random

import pytest
import torch
import torchinfo
from torch import nn

from course_lib.complexity import (
    LayerCost,
    conv2d_macs,
    count_macs,
    inception_cost,
    inception_totals,
    layer_table,
)


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """The standard convolution output size, written out independently of the library."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("seed", range(25))
def test_conv2d_macs_match_the_formula_and_the_hooks(seed):
    rng = random.Random(seed)
    groups = rng.choice([1, 1, 2, 3])
    c_in, c_out = groups * rng.randint(1, 6), groups * rng.randint(1, 6)
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    s, p, d = rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 2)
    n = rng.randint(1, 3)
    h = rng.randint(d * (kh - 1) + 1, 20)
    w = rng.randint(d * (kw - 1) + 1, 20)
    conv = nn.Conv2d(c_in, c_out, (kh, kw), stride=s, padding=p, dilation=d, groups=groups, bias=rng.random() < 0.5)
    ho, wo = out_size(h, kh, s, p, d), out_size(w, kw, s, p, d)
    expected = n * (c_in // groups) * c_out * kh * kw * ho * wo
    assert count_macs(conv, (n, c_in, h, w)) == expected
    assert conv2d_macs(c_in, c_out, (kh, kw), (ho, wo), groups=groups) * n == expected
    # the output shape the hooks saw is the true one
    table = layer_table(conv, (n, c_in, h, w))
    assert table["output_shape"].tolist() == [tuple(conv(torch.zeros(n, c_in, h, w)).shape)]
    assert table["params"].tolist() == [sum(q.numel() for q in conv.parameters())]


@pytest.mark.parametrize("seed", range(10))
def test_linear_and_conv1d_macs(seed):
    rng = random.Random(100 + seed)
    fin, fout, n, extra = rng.randint(1, 50), rng.randint(1, 50), rng.randint(1, 4), rng.randint(1, 3)
    assert count_macs(nn.Linear(fin, fout), (n, fin)) == n * fin * fout
    assert count_macs(nn.Linear(fin, fout), (n, extra, fin)) == n * extra * fin * fout
    c_in, c_out, k, length = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5), rng.randint(5, 30)
    assert count_macs(nn.Conv1d(c_in, c_out, k), (n, c_in, length)) == n * c_in * c_out * k * (length - k + 1)


@pytest.mark.parametrize("seed", range(10))
def test_transposed_convolution_costs_as_much_as_its_adjoint_convolution(seed):
    # conv_transpose2d is the adjoint of conv2d with the same weight: the same products, in reverse
    rng = random.Random(200 + seed)
    c_in, c_out, k, s = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 3)
    p = rng.randint(0, min(1, k - 1))
    h, w = rng.randint(2, 9), rng.randint(2, 9)
    up = nn.ConvTranspose2d(c_in, c_out, k, stride=s, padding=p)
    y = up(torch.zeros(1, c_in, h, w))  # (1, C_out, H', W')
    down = nn.Conv2d(c_out, c_in, k, stride=s, padding=p)
    assert tuple(down(y).shape[2:]) == (h, w)
    assert count_macs(up, (1, c_in, h, w)) == count_macs(down, tuple(y.shape))


def small_net(bias: bool) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=bias),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, stride=2, bias=bias),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=4, bias=bias),
        nn.Flatten(),
        nn.Linear(16 * 6 * 6, 32, bias=bias),
        nn.ReLU(),
        nn.Linear(32, 10, bias=bias),
    )


@pytest.mark.parametrize("batch", [1, 3])
def test_small_net_against_torchinfo(batch):
    torch.manual_seed(0)
    shape = (batch, 3, 32, 32)
    net = small_net(bias=False)
    info = torchinfo.summary(net, input_size=shape, verbose=0)
    assert count_macs(net, shape) == info.total_mult_adds
    table = layer_table(net, shape)
    assert table["params"].sum() == info.total_params
    # torchinfo also counts one add per bias and output value; ours leaves biases out
    net = small_net(bias=True)
    info = torchinfo.summary(net, input_size=shape, verbose=0)
    table = layer_table(net, shape)
    bias_adds = 0
    for name, module in net.named_children():
        if getattr(module, "bias", None) is not None:
            out_shape = table.loc[table["name"] == name, "output_shape"].item()
            positions = out_shape[0] * (torch.Size(out_shape[2:]).numel() if isinstance(module, nn.Conv2d) else 1)
            bias_adds += module.bias.numel() * positions
    assert count_macs(net, shape) + bias_adds == info.total_mult_adds
    assert table["params"].sum() == info.total_params


def test_layer_table_rows_follow_the_forward_pass():
    torch.manual_seed(0)
    net = small_net(bias=True)
    x = torch.zeros(2, 3, 32, 32)
    table = layer_table(net, tuple(x.shape))
    assert list(table.columns) == ["name", "type", "output_shape", "params", "macs"]
    assert table["name"].tolist() == [str(i) for i in range(len(net))]
    shapes = []
    for layer in net:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert table["output_shape"].tolist() == shapes
    assert table["type"].tolist() == [type(m).__name__ for m in net]
    assert table["macs"].sum() == count_macs(net, (2, 3, 32, 32))


class Twice(nn.Module):
    """Uses one convolution twice: two calls, two rows, parameters counted once."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.conv(self.conv(x)))


def test_a_module_called_twice_is_counted_twice_and_its_parameters_once():
    net = Twice()
    net.train()
    table = layer_table(net, (1, 4, 5, 5))
    assert table["name"].tolist() == ["conv", "conv", "drop"]
    assert table["params"].tolist() == [4 * 4 * 9 + 4, 0, 0]
    assert count_macs(net, (1, 4, 5, 5)) == 2 * 4 * 4 * 9 * 25
    assert net.training, "the training flag must be restored"
    assert all(p.grad is None for p in net.parameters())


def test_meta_device_gives_the_same_counts_without_computing():
    torch.manual_seed(0)
    cpu = small_net(bias=True)
    with torch.device("meta"):
        meta = small_net(bias=True)
    shape = (2, 3, 32, 32)
    assert count_macs(meta, shape) == count_macs(cpu, shape)
    assert layer_table(meta, shape)["output_shape"].tolist() == layer_table(cpu, shape)["output_shape"].tolist()


def test_float64_model_gets_float64_input():
    net = small_net(bias=True).double()
    assert count_macs(net, (1, 3, 32, 32)) == count_macs(small_net(bias=True), (1, 3, 32, 32))


class PaperInception(nn.Module):
    """Szegedy et al. (2015) fig. 2, written independently with plain nn layers and biases."""

    def __init__(self, c, c1, c3r, c3, c5r, c5, cp, k5, reductions):
        super().__init__()
        if reductions:
            self.b1 = nn.Conv2d(c, c1, 1)
            self.b2 = nn.Sequential(nn.Conv2d(c, c3r, 1), nn.ReLU(), nn.Conv2d(c3r, c3, 3, padding=1))
            self.b3 = nn.Sequential(nn.Conv2d(c, c5r, 1), nn.ReLU(), nn.Conv2d(c5r, c5, k5, padding=k5 // 2))
            self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c, cp, 1))
        else:
            self.b1 = nn.Conv2d(c, c1, 1)
            self.b2 = nn.Conv2d(c, c3, 3, padding=1)
            self.b3 = nn.Conv2d(c, c5, k5, padding=k5 // 2)
            self.b4 = nn.MaxPool2d(3, 1, 1)

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


def random_widths(rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randint(1, 24) for _ in range(7))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("reductions", [True, False])
def test_inception_cost_matches_a_plain_module(seed, reductions):
    rng = random.Random(300 + seed)
    c, c1, c3r, c3, c5r, c5, cp = random_widths(rng)
    h, w, k5 = rng.randint(3, 12), rng.randint(3, 12), rng.choice([3, 5])
    costs = inception_cost(c, (h, w), c1, c3r, c3, c5r, c5, cp, reductions=reductions, kernel5x5=k5)
    totals = inception_totals(costs)
    module = PaperInception(c, c1, c3r, c3, c5r, c5, cp, k5, reductions)
    y = module(torch.zeros(1, c, h, w))
    assert totals["out_channels"] == y.shape[1]
    assert totals["params"] == sum(p.numel() for p in module.parameters())
    assert totals["macs"] == count_macs(module, (1, c, h, w))
    assert all(isinstance(row, LayerCost) for row in costs)


@pytest.mark.parametrize("seed", range(8))
def test_inception_cost_matches_the_course_model(seed):
    from course_lib.models import InceptionModule

    rng = random.Random(400 + seed)
    widths = random_widths(rng)
    size, k5 = rng.randint(3, 10), rng.choice([3, 5])
    module = InceptionModule(*widths, kernel5x5=k5)
    totals = inception_totals(inception_cost(widths[0], size, *widths[1:], kernel5x5=k5, batch_norm=True))
    assert totals["out_channels"] == module(torch.zeros(1, widths[0], size, size)).shape[1]
    assert totals["params"] == sum(p.numel() for p in module.parameters())
    assert totals["macs"] == count_macs(module, (1, widths[0], size, size))


def test_inception_3a_reductions_save_multiply_adds():
    # the 5x5 branch of inception (3a): 192 -> 32 maps on 28x28, directly or through 16 maps
    costs = {r: inception_cost(192, 28, 64, 96, 128, 16, 32, 32, reductions=r) for r in (True, False)}
    direct = [c for c in costs[False] if c.branch == "5x5"]
    reduced = [c for c in costs[True] if c.branch == "5x5"]
    assert direct[0].macs == 28 * 28 * 192 * 32 * 25
    assert sum(c.macs for c in reduced) == 28 * 28 * (192 * 16 + 16 * 32 * 25)
    assert inception_totals(costs[True])["macs"] < inception_totals(costs[False])["macs"]


def test_bad_inputs_raise_value_errors():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match="model"):
        count_macs("conv", (1, 3, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(conv, (3,))
    with pytest.raises(ValueError, match="input_shape"):
        layer_table(conv, (1, 3, 0, 8))
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(conv, "1,3,8,8")
    with pytest.raises(ValueError, match="groups"):
        conv2d_macs(3, 4, 3, 8, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        conv2d_macs(3, 4, 0, 8)
    with pytest.raises(ValueError, match="output_size"):
        conv2d_macs(3, 4, 3, (8, -1))
    with pytest.raises(ValueError, match="in_channels"):
        conv2d_macs(0, 4, 3, 8)
    with pytest.raises(ValueError, match="ch3x3red"):
        inception_cost(192, 28, 64, 0, 128, 16, 32, 32)
    with pytest.raises(ValueError, match="size"):
        inception_cost(192, (28, 0), 64, 96, 128, 16, 32, 32)
    with pytest.raises(ValueError, match="costs"):
        inception_totals([])
    # a channel mismatch is reported by the model itself
    with pytest.raises(RuntimeError):
        count_macs(conv, (1, 4, 8, 8))


TORCHVISION_MODELS = ["alexnet", "vgg11", "vgg16", "vgg19", "googlenet", "resnet18", "resnet50",
                      "mobilenet_v2", "densenet121"]


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_torchvision_models_match_the_operation_counts_torchvision_publishes(name):
    # torchvision's weight metadata lists the giga multiply-adds ("_ops") of each model at
    # 224x224, rounded to 3 decimals; the models are built on the meta device (no download,
    # no weights, no arithmetic)
    import torchvision

    weights = torchvision.models.get_model_weights(name).DEFAULT
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    with torch.device("meta"):
        model = torchvision.models.get_model(name, weights=None, **kwargs)
    assert sum(p.numel() for p in model.parameters()) == weights.meta["num_params"]
    assert count_macs(model, (1, 3, 224, 224)) / 1e9 == pytest.approx(weights.meta["_ops"], abs=6e-4)
