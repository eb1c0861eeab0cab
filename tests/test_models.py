"""Tests for course_lib.models: parameter counts and outputs against torchvision, shapes,
residual/plain twins, zero-initialised residuals, pre-activation order and highway gates.

Large ImageNet models are built on PyTorch's ``meta`` device (shapes only, no memory, no
initialisation), so counting their parameters and checking their output shapes is cheap.
Where outputs are compared with torchvision, both models get the same random weights and
batch-norm statistics.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.models as tvm
import torchvision.models.resnet as tv_resnet
from torch import nn

from course_lib import models as M
from course_lib.models.resnet import PaddingShortcut


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def fill_random_(model: nn.Module, seed: int) -> nn.Module:
    """Give every parameter and buffer of ``model`` random values (plausible BN statistics)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                t.fill_(1)  # num_batches_tracked
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif t.dim() > 1:  # weights: scaled so that activations stay of order one
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=gen) / math.sqrt(fan_in))
            else:  # biases, BN weights and means
                t.copy_(0.5 * torch.randn(t.shape, generator=gen) + (1.0 if name.endswith("weight") else 0.0))
    return model


def materialize(model: nn.Module, seed: int) -> nn.Module:
    """Allocate a ``meta`` model on the CPU and fill it with random values."""
    return fill_random_(model.to_empty(device="cpu"), seed)


# ----------------------------------------------------------------------------------------
# Parameter counts and layouts against torchvision
# ----------------------------------------------------------------------------------------

TORCHVISION_PAIRS = {
    "alexnet": (lambda: M.AlexNet(), lambda: tvm.alexnet(weights=None)),
    "googlenet": (
        lambda: M.GoogLeNet(aux_logits=False),
        lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=False),
    ),
    "googlenet_aux": (
        lambda: M.GoogLeNet(aux_logits=True),
        lambda: tvm.googlenet(weights=None, aux_logits=True, init_weights=False),
    ),
    **{
        f"vgg{d}{'_bn' if bn else ''}": (
            (lambda d=d, bn=bn: M.vgg(d, batch_norm=bn)),
            (lambda d=d, bn=bn: getattr(tvm, f"vgg{d}{'_bn' if bn else ''}")(weights=None)),
        )
        for d in (11, 13, 16, 19)
        for bn in (False, True)
    },
    **{
        f"resnet{d}": ((lambda d=d: getattr(M, f"resnet{d}")()), (lambda d=d: getattr(tvm, f"resnet{d}")(weights=None)))
        for d in (18, 34, 50, 101, 152)
    },
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_PAIRS))
def test_parameter_count_and_layout_equal_torchvision(name: str) -> None:
    mine_fn, ref_fn = TORCHVISION_PAIRS[name]
    with torch.device("meta"):
        mine, ref = mine_fn(), ref_fn()
    assert n_params(mine) == n_params(ref), name
    # Same parameter names and shapes, so torchvision's state_dict loads into ours.
    assert shapes(mine) == shapes(ref), name


def test_num_classes_changes_only_the_head() -> None:
    with torch.device("meta"):
        for mine_fn, ref_fn in [
            (lambda: M.resnet50(num_classes=7), lambda: tvm.resnet50(weights=None, num_classes=7)),
            (lambda: M.vgg(16, num_classes=7), lambda: tvm.vgg16(weights=None, num_classes=7)),
            (lambda: M.AlexNet(num_classes=7), lambda: tvm.alexnet(weights=None, num_classes=7)),
        ]:
            assert shapes(mine_fn()) == shapes(ref_fn())


def test_resnet200_layout_and_count() -> None:
    with torch.device("meta"):
        mine = M.resnet200()
        # An independent reference: torchvision's generic ResNet with the same stages.
        ref = tv_resnet.ResNet(tv_resnet.Bottleneck, [3, 24, 36, 3])
        pre = M.resnet200(preact=True)
    assert [len(s) for s in mine.stages()] == [3, 24, 36, 3]
    assert all(isinstance(b, M.Bottleneck) for b in mine.blocks())
    assert n_params(mine) == n_params(ref)
    assert 64.0e6 < n_params(mine) < 65.5e6  # "about 64.7M"
    assert all(isinstance(b, M.PreActBottleneck) for b in pre.blocks())
    assert 64.0e6 < n_params(pre) < 65.5e6


def test_resnet_depths_count_weight_layers() -> None:
    # depth = stem conv + convolutions of the blocks (not projections) + fc
    with torch.device("meta"):
        for depth in (18, 34, 50, 101, 152, 200):
            for preact in (False, True):
                model = getattr(M, f"resnet{depth}")(preact=preact)
                convs = [
                    m for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and "downsample" not in name
                ]
                assert len(convs) + 1 == depth, (depth, preact)


# ----------------------------------------------------------------------------------------
# Outputs against torchvision with the same weights
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, mine_fn, ref_fn, size",
    [
        ("resnet18", lambda: M.resnet18(num_classes=10), lambda: tvm.resnet18(weights=None, num_classes=10), 64),
        ("resnet50", lambda: M.resnet50(num_classes=10), lambda: tvm.resnet50(weights=None, num_classes=10), 40),
        ("alexnet", lambda: M.AlexNet(num_classes=10), lambda: tvm.alexnet(weights=None, num_classes=10), 67),
        (
            "googlenet",
            lambda: M.GoogLeNet(num_classes=10),
            lambda: tvm.googlenet(weights=None, num_classes=10, aux_logits=False, init_weights=False),
            48,
        ),
    ],
)
def test_outputs_equal_torchvision(name: str, mine_fn, ref_fn, size: int) -> None:
    with torch.device("meta"):
        mine, ref = mine_fn(), ref_fn()
    ref = materialize(ref, seed=1)
    mine = mine.to_empty(device="cpu")
    mine.load_state_dict(ref.state_dict())
    mine.eval()
    ref.eval()
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(mine(x), ref(x), msg=name)


@pytest.mark.parametrize("depth, batch_norm", [(11, True), (13, False)])
def test_vgg_features_equal_torchvision(depth: int, batch_norm: bool) -> None:
    # The convolutional part of VGG against torchvision's (the classifier layout is covered
    # by the state_dict test; filling its 100M weights would only cost time).
    with torch.device("meta"):
        mine = M.vgg(depth, batch_norm=batch_norm)
        ref = getattr(tvm, f"vgg{depth}{'_bn' if batch_norm else ''}")(weights=None)
    ref_features = materialize(ref.features, seed=3).eval()
    mine_features = mine.features.to_empty(device="cpu").eval()
    mine_features.load_state_dict(ref_features.state_dict())
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        out = mine_features(x)
        torch.testing.assert_close(out, ref_features(x))
    assert out.shape == (2, 512, 1, 1)


@pytest.mark.parametrize("block_name, inplanes, planes, stride", [
    ("BasicBlock", 8, 8, 1),
    ("BasicBlock", 8, 16, 2),
    ("Bottleneck", 16, 4, 1),
    ("Bottleneck", 8, 4, 2),
])
@pytest.mark.parametrize("train", [False, True])
def test_v1_blocks_equal_torchvision(block_name: str, inplanes: int, planes: int, stride: int, train: bool) -> None:
    mine_cls, ref_cls = getattr(M, block_name), getattr(tv_resnet, block_name)
    out_ch = planes * mine_cls.expansion
    assert mine_cls.expansion == ref_cls.expansion
    needs = stride != 1 or inplanes != out_ch

    def ds() -> nn.Module | None:
        if not needs:
            return None
        return nn.Sequential(nn.Conv2d(inplanes, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    ref = fill_random_(ref_cls(inplanes, planes, stride, ds()), seed=5)
    mine = mine_cls(inplanes, planes, stride, ds())
    mine.load_state_dict(ref.state_dict())
    mine.train(train)
    ref.train(train)
    x = torch.randn(3, inplanes, 9, 9, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(mine(x), ref(x))


# ----------------------------------------------------------------------------------------
# Forward shapes (ImageNet models on the meta device: shapes without arithmetic)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        lambda: M.AlexNet(),
        lambda: M.vgg(11),
        lambda: M.vgg(19, batch_norm=True),
        lambda: M.GoogLeNet(),
        lambda: M.GoogLeNet(kernel5x5=5),
        lambda: M.resnet18(preact=True),
        lambda: M.resnet34(),
        lambda: M.resnet101(preact=True),
        lambda: M.resnet152(),
        lambda: M.resnet200(preact=True),
    ],
)
def test_imagenet_forward_shapes(factory) -> None:
    with torch.device("meta"):
        model = factory().eval()
        out = model(torch.empty(2, 3, 224, 224))
    assert out.shape == (2, 1000)


def test_resnet_stage_shapes() -> None:
    with torch.device("meta"):
        model = M.resnet50()
        x = model.maxpool(model.relu(model.bn1(model.conv1(torch.empty(1, 3, 224, 224)))))
        assert x.shape == (1, 64, 56, 56)
        got = []
        for stage in model.stages():
            x = stage(x)
            got.append(tuple(x.shape))
    assert got == [(1, 256, 56, 56), (1, 512, 28, 28), (1, 1024, 14, 14), (1, 2048, 7, 7)]


def test_googlenet_aux_outputs() -> None:
    with torch.device("meta"):
        model = M.GoogLeNet(num_classes=5, aux_logits=True)
        x = torch.empty(2, 3, 224, 224)
        model.train()
        out = model(x)
        assert isinstance(out, tuple) and len(out) == 3
        assert all(o.shape == (2, 5) for o in out)
        model.eval()
        assert model(x).shape == (2, 5)


def test_inception_module() -> None:
    torch.manual_seed(0)
    for k in (3, 5):
        mod = M.InceptionModule(12, 4, 3, 5, 2, 6, 7, kernel5x5=k).eval()
        assert mod.branch3[1].conv.weight.shape == (6, 2, k, k)
        x = torch.randn(2, 12, 7, 9)
        with torch.no_grad():
            y = mod(x)
            assert y.shape == (2, 4 + 5 + 6 + 7, 7, 9)
            parts = [mod.branch1(x), mod.branch2(x), mod.branch3(x), mod.branch4(x)]
        torch.testing.assert_close(y, torch.cat(parts, dim=1))
        # the pooling branch: max pool then 1x1 projection
        pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        with torch.no_grad():
            torch.testing.assert_close(mod.branch4(x), mod.branch4[1](pooled))


# ----------------------------------------------------------------------------------------
# Small networks
# ----------------------------------------------------------------------------------------


def conv_params(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out


def test_simple_cnn_parameters() -> None:
    model = M.SimpleCNN()
    assert n_params(model.features.conv1) == conv_params(3, 4, 3) == 112
    assert n_params(model.features.conv2) == conv_params(4, 8, 3) == 296
    assert n_params(model.classifier.fc) == 8 * 16 * 16 * 10 + 10 == 20_490
    assert n_params(model) == 20_898
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Dropout)) for m in model.modules())
    bn = M.SimpleCNN(batch_norm=True, dropout=0.3)
    assert n_params(bn) == 20_898 + 2 * (4 + 8)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()) == 2
    assert bn.classifier.dropout.p == 0.3


def test_simple_cnn_stage_shapes_and_reference() -> None:
    torch.manual_seed(0)
    model = M.SimpleCNN().eval()
    x = torch.randn(5, 3, 64, 64)
    expected = {
        "conv1": (5, 4, 64, 64),
        "relu1": (5, 4, 64, 64),
        "pool1": (5, 4, 32, 32),
        "conv2": (5, 8, 32, 32),
        "relu2": (5, 8, 32, 32),
        "pool2": (5, 8, 16, 16),
    }
    h = x
    for name, layer in model.features.named_children():
        h = layer(h)
        assert tuple(h.shape) == expected[name], name
    # An independent reference network with the same weights.
    ref = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2048, 10),
    )
    with torch.no_grad():
        for dst, src in zip(ref.parameters(), model.parameters(), strict=True):
            dst.copy_(src)
        torch.testing.assert_close(model(x), ref(x))
    # batch norm and dropout variants run, in float64 too
    for kwargs in ({"batch_norm": True}, {"dropout": 0.5}, {"batch_norm": True, "dropout": 0.2}):
        assert M.SimpleCNN(**kwargs)(x).shape == (5, 10)
    assert M.SimpleCNN().double()(x.double()).dtype == torch.float64
    assert M.SimpleCNN(num_classes=3, in_channels=1, image_size=32)(torch.randn(2, 1, 32, 32)).shape == (2, 3)


def test_mnist1d_convnet() -> None:
    torch.manual_seed(0)
    model = M.MNIST1DConvNet()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert len(convs) == 3
    assert all(c.out_channels == 15 and c.kernel_size == (3,) and c.stride == (2,) and c.padding == (0,) for c in convs)
    x = torch.randn(6, 40)
    lengths = []
    h = x.unsqueeze(1)
    for conv in convs:
        h = conv(h)
        lengths.append(h.shape[-1])
    assert lengths == [19, 9, 4]
    # Independent functional forward with the module's weights.
    h = x.unsqueeze(1)
    for conv in convs:
        h = F.relu(F.conv1d(h, conv.weight, conv.bias, stride=2))
    fc = model.classifier.fc
    ref = F.linear(h.flatten(1), fc.weight, fc.bias)
    torch.testing.assert_close(model(x), ref)
    torch.testing.assert_close(model(x.unsqueeze(1)), ref)
    expected = (1 * 15 * 3 + 15) + 2 * (15 * 15 * 3 + 15) + (15 * 4 * 10 + 10)  # C_in*C_out*K + C_out per layer
    assert n_params(model) == expected
    wide = M.MNIST1DConvNet(channels=32)
    assert wide(x).shape == (6, 10)
    assert wide.classifier.fc.in_features == 32 * 4


def test_mlp() -> None:
    torch.manual_seed(0)
    model = M.MLP()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(40, 100), (100, 100), (100, 100), (100, 10)]
    x = torch.randn(4, 40)
    h = x
    for m in linears[:-1]:
        h = F.relu(F.linear(h, m.weight, m.bias))
    torch.testing.assert_close(model(x), F.linear(h, linears[-1].weight, linears[-1].bias))
    # flattens its input
    img = M.MLP(in_features=2 * 5 * 5, hidden=7, depth=1, num_classes=3)
    assert img(torch.randn(4, 2, 5, 5)).shape == (4, 3)
    assert len([m for m in M.MLP(depth=0).modules() if isinstance(m, nn.Linear)]) == 1


def test_lenet5() -> None:
    torch.manual_seed(0)
    model = M.LeNet5()
    expected = conv_params(1, 6, 5) + conv_params(6, 16, 5) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert n_params(model) == expected
    assert 61_000 < expected < 62_000
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    mnist = M.LeNet5(image_size=28)
    assert n_params(mnist) == expected
    assert mnist.features(torch.randn(2, 1, 28, 28)).shape == (2, 16, 5, 5)
    assert any(isinstance(m, nn.Tanh) for m in model.modules())
    assert any(isinstance(m, nn.AvgPool2d) for m in model.modules())
    relu = M.LeNet5(in_channels=3, num_classes=4, activation="relu")
    assert relu(torch.randn(2, 3, 32, 32)).shape == (2, 4)
    assert not any(isinstance(m, nn.Tanh) for m in relu.modules())


# ----------------------------------------------------------------------------------------
# CIFAR ResNets and their plain twins
# ----------------------------------------------------------------------------------------


def weight_layers(model: M.ResNet) -> int:
    """Convolutions outside the shortcuts plus the linear classifier."""
    convs = [m for name, m in model.named_modules() if isinstance(m, nn.Conv2d) and "downsample" not in name]
    return len(convs) + 1


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
@pytest.mark.parametrize("preact", [False, True])
def test_cifar_resnet_depths(depth: int, preact: bool) -> None:
    with torch.device("meta"):
        model = M.cifar_resnet(depth, preact=preact)
        n = (depth - 2) // 6
        assert [len(s) for s in model.stages()] == [n, n, n]
        assert weight_layers(model) == depth
        block = M.PreActBasicBlock if preact else M.BasicBlock
        assert all(type(b) is block for b in model.blocks())
        assert model(torch.empty(2, 3, 32, 32)).shape == (2, 10)


def test_cifar_resnet_parameter_ballpark() -> None:
    # He et al. (2016a, table 6): ResNet-20 0.27M, ResNet-110 1.7M; (2016b): ResNet-164 1.7M, ResNet-1001 10.2M.
    with torch.device("meta"):
        assert 0.26e6 < n_params(M.cifar_resnet(20)) < 0.28e6
        assert 1.65e6 < n_params(M.cifar_resnet(110)) < 1.75e6
        r164 = M.cifar_resnet(164, preact=True)
        r1001 = M.cifar_resnet(1001, preact=True)
    assert all(type(b) is M.PreActBottleneck for b in r164.blocks())
    assert [len(s) for s in r164.stages()] == [18, 18, 18]
    assert weight_layers(r164) == 164 and weight_layers(r1001) == 1001
    assert 1.6e6 < n_params(r164) < 1.75e6
    assert 10.0e6 < n_params(r1001) < 10.5e6


def test_cifar_resnet_block_choice_and_width() -> None:
    with torch.device("meta"):
        assert all(type(b) is M.PreActBasicBlock for b in M.cifar_resnet(110, preact=True).blocks())
        assert all(type(b) is M.Bottleneck for b in M.cifar_resnet(29, bottleneck=True).blocks())
        wide = M.cifar_resnet(20, width=32, in_channels=1, num_classes=4)
        assert wide.fc.in_features == 128 and wide.conv1.in_channels == 1
        assert wide(torch.empty(3, 1, 32, 32)).shape == (3, 4)
        x = torch.empty(1, 3, 32, 32)
        model = M.cifar_resnet(20)
        h = model.relu(model.bn1(model.conv1(x)))
        sizes = []
        for stage in model.stages():
            h = stage(h)
            sizes.append(tuple(h.shape[1:]))
    assert sizes == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]


@pytest.mark.parametrize("preact", [False, True])
@pytest.mark.parametrize("bottleneck", [False, True])
def test_plain_twin_same_layers_padding(preact: bool, bottleneck: bool) -> None:
    depth = 11 if bottleneck else 14
    torch.manual_seed(0)
    res = M.cifar_resnet(depth, preact=preact, bottleneck=bottleneck, shortcut="padding")
    plain = M.cifar_resnet(depth, preact=preact, bottleneck=bottleneck, residual=False)
    assert n_params(plain) == n_params(res)
    assert shapes(plain) == shapes(res)
    assert [type(m) for m in plain.modules() if not isinstance(m, (PaddingShortcut, nn.Sequential))] == [
        type(m) for m in res.modules() if not isinstance(m, (PaddingShortcut, nn.Sequential))
    ]
    assert not any(isinstance(m, PaddingShortcut) for m in plain.modules())
    plain.load_state_dict(res.state_dict())
    res.eval()
    plain.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(res(x), plain(x))


@pytest.mark.parametrize("preact", [False, True])
def test_plain_twin_projection(preact: bool) -> None:
    torch.manual_seed(0)
    res = M.cifar_resnet(20, preact=preact, shortcut="projection")
    plain = M.cifar_resnet(20, preact=preact, shortcut="projection", residual=False)
    projections = sum(n_params(b.downsample) for b in res.blocks() if b.downsample is not None)
    assert projections > 0
    assert n_params(plain) == n_params(res) - projections
    assert all(b.downsample is None for b in plain.blocks())
    missing, unexpected = plain.load_state_dict(res.state_dict(), strict=False)
    assert missing == [] and all(".downsample." in k for k in unexpected)
    res.eval()
    plain.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(res(x), plain(x))


@pytest.mark.parametrize("block_cls", [M.BasicBlock, M.Bottleneck, M.PreActBasicBlock, M.PreActBottleneck])
def test_plain_block_differs_by_the_shortcut(block_cls) -> None:
    torch.manual_seed(0)
    inplanes = 8 * block_cls.expansion
    res = fill_random_(block_cls(inplanes, 8), seed=7).eval()
    plain = block_cls(inplanes, 8, residual=False).eval()
    plain.load_state_dict(res.state_dict())
    x = torch.randn(2, inplanes, 6, 6)
    with torch.no_grad():
        if block_cls.preact:
            torch.testing.assert_close(res(x) - plain(x), x)
        else:
            # relu(F(x) + x) vs relu(F(x)): recover F(x) from the plain twin where it is positive
            fx = plain(x)
            torch.testing.assert_close(res(x)[fx > 0], F.relu(fx + x)[fx > 0])
            assert not torch.allclose(res(x), fx)


# ----------------------------------------------------------------------------------------
# Pre-activation order, zero-initialised residuals, shortcuts
# ----------------------------------------------------------------------------------------


def test_preact_order() -> None:
    for cls in (M.PreActBasicBlock, M.PreActBottleneck):
        block = cls(4 * cls.expansion, 4)
        assert block.preact
        assert isinstance(next(block.children()), nn.BatchNorm2d)
        assert block.bn1.num_features == 4 * cls.expansion  # normalises the block input
    for cls in (M.BasicBlock, M.Bottleneck):
        assert isinstance(next(cls(4 * cls.expansion, 4).children()), nn.Conv2d)
    pre, post = M.cifar_resnet(20, preact=True), M.cifar_resnet(20)
    assert isinstance(pre.final_bn, nn.BatchNorm2d) and isinstance(pre.bn1, nn.Identity)
    assert not hasattr(post, "final_bn") and isinstance(post.bn1, nn.BatchNorm2d)


def test_preact_block_equals_manual_computation() -> None:
    torch.manual_seed(0)
    block = fill_random_(M.PreActBasicBlock(4, 6, stride=2, downsample=nn.Conv2d(4, 6, 1, stride=2, bias=False)), 8)
    block.eval()
    x = torch.randn(2, 4, 7, 7)

    def bn(h: torch.Tensor, m: nn.BatchNorm2d) -> torch.Tensor:
        return F.batch_norm(h, m.running_mean, m.running_var, m.weight, m.bias, training=False, eps=m.eps)

    pre = F.relu(bn(x, block.bn1))
    h = F.conv2d(pre, block.conv1.weight, stride=2, padding=1)
    h = F.conv2d(F.relu(bn(h, block.bn2)), block.conv2.weight, padding=1)
    expected = h + F.conv2d(pre, block.downsample.weight, stride=2)
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)


def collect_blocks(model: M.ResNet, x: torch.Tensor) -> list[tuple[nn.Module, torch.Tensor, torch.Tensor]]:
    records = []
    hooks = [
        b.register_forward_hook(lambda mod, inp, out: records.append((mod, inp[0], out))) for b in model.blocks()
    ]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return records


@pytest.mark.parametrize(
    "factory",
    [
        lambda: M.resnet18(num_classes=10, zero_init_residual=True),
        lambda: M.cifar_resnet(14, zero_init_residual=True, shortcut="projection"),
        lambda: M.cifar_resnet(14, preact=True, zero_init_residual=True),
        lambda: M.cifar_resnet(20, preact=True, bottleneck=True, zero_init_residual=True, shortcut="projection"),
        lambda: M.cifar_resnet(20, bottleneck=True, zero_init_residual=True),
    ],
)
def test_zero_init_residual_blocks_start_as_identity(factory) -> None:
    torch.manual_seed(0)
    model = factory().eval()
    x = torch.randn(2, 3, 32, 32)
    records = collect_blocks(model, x)
    assert len(records) == len(model.blocks())
    identity_blocks = 0
    for block, inp, out in records:
        if block.preact:
            shortcut = inp if block.downsample is None else block.downsample(F.relu(block.bn1(inp)))
            torch.testing.assert_close(out, shortcut)
        else:
            shortcut = inp if block.downsample is None else block.downsample(inp)
            torch.testing.assert_close(out, F.relu(shortcut))
        identity_blocks += block.downsample is None
    assert identity_blocks > 0
    # A block with an identity shortcut, on any input: relu(x) for v1, x for pre-activation.
    block = model.blocks()[-1]
    z = torch.randn(2, block.inplanes, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(z), z if block.preact else F.relu(z))


def test_without_zero_init_blocks_are_not_identity() -> None:
    torch.manual_seed(0)
    model = M.cifar_resnet(14).eval()
    for block, inp, out in collect_blocks(model, torch.randn(2, 3, 16, 16)):
        if block.downsample is None:
            assert not torch.allclose(out, F.relu(inp))


def test_padding_shortcut_equals_strided_identity_convolution() -> None:
    torch.manual_seed(0)
    for c_in, c_out, stride in [(4, 8, 2), (3, 3, 1), (5, 16, 1), (2, 6, 3)]:
        sc = PaddingShortcut(c_in, c_out, stride)
        assert n_params(sc) == 0
        x = torch.randn(2, c_in, 7, 8)
        weight = torch.eye(c_out, c_in).reshape(c_out, c_in, 1, 1)
        torch.testing.assert_close(sc(x), F.conv2d(x, weight, stride=stride))


def test_blocks_gradcheck_float64() -> None:
    torch.manual_seed(0)
    blocks = [
        M.PreActBasicBlock(2, 3, stride=2, downsample=PaddingShortcut(2, 3, 2)),
        M.BasicBlock(2, 3, stride=2, downsample=nn.Sequential(nn.Conv2d(2, 3, 1, stride=2), nn.BatchNorm2d(3))),
        M.PreActBottleneck(4, 1),
    ]
    for block in blocks:
        block = fill_random_(block, seed=9).double().eval()
        x = torch.randn(1, block.inplanes, 5, 5, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(block, (x,))


def test_gradient_reaches_first_layer_of_deep_cifar_resnet() -> None:
    torch.manual_seed(0)
    model = M.cifar_resnet(110)
    x = torch.randn(4, 3, 16, 16)
    loss = F.cross_entropy(model(x), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    grad = model.conv1.weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.norm() > 0
    assert all(p.grad is not None for p in model.parameters())


def test_norm_layer_injection() -> None:
    def group_norm(c: int) -> nn.Module:
        return nn.GroupNorm(2, c)

    model = M.cifar_resnet(14, norm_layer=group_norm, zero_init_residual=True, shortcut="projection")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert all((b.last_norm().weight == 0).all() for b in model.blocks())
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    with pytest.raises(ValueError, match="norm_layer"):
        M.cifar_resnet(14, norm_layer=lambda c: nn.Identity(), zero_init_residual=True)


# ----------------------------------------------------------------------------------------
# Highway networks
# ----------------------------------------------------------------------------------------


def test_highway_layer_formula_and_gate() -> None:
    torch.manual_seed(0)
    for gate_bias in (-2.0, -1.0, 0.5):
        layer = M.HighwayLayer(6, gate_bias=gate_bias)
        assert torch.all(layer.gate.bias == gate_bias)
        assert layer.last_gate is None
        x = torch.randn(5, 6)
        h = torch.clamp(x @ layer.transform.weight.T + layer.transform.bias, min=0)
        t = 1 / (1 + torch.exp(-(x @ layer.gate.weight.T + layer.gate.bias)))
        y = layer(x)
        torch.testing.assert_close(y, h * t + x * (1 - t))
        torch.testing.assert_close(layer.last_gate, t)
        assert not layer.last_gate.requires_grad
    # A very negative gate bias makes the layer carry its input.
    carry = M.HighwayLayer(6, gate_bias=-30.0)
    x = torch.randn(3, 6)
    torch.testing.assert_close(carry(x), x)
    x64 = torch.randn(2, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(M.HighwayLayer(6).double(), (x64,))


def test_highway_net() -> None:
    torch.manual_seed(0)
    net = M.HighwayNet(in_features=2 * 4 * 4, num_layers=5, num_classes=3, width=8)
    assert sum(isinstance(m, M.HighwayLayer) for m in net.modules()) == 5
    y = net(torch.randn(7, 2, 4, 4))
    assert y.shape == (7, 3)
    gates = net.gates()
    assert len(gates) == 5 and all(g.shape == (7, 8) for g in gates)
    # gates start mostly closed (carry): mean below 0.5 with bias -2
    assert all(g.mean() < 0.5 for g in gates)
    y.sum().backward()
    assert net.input[0].weight.grad is not None


# ----------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: M.SimpleCNN()(torch.randn(2, 1, 64, 64)), r"3 channels.*\(2, 1, 64, 64\)"),
        (lambda: M.SimpleCNN()(torch.randn(2, 3, 32, 32)), r"\(2, 3, 32, 32\)"),
        (lambda: M.SimpleCNN()(torch.randn(3, 64, 64)), r"4D.*\(3, 64, 64\)"),
        (lambda: M.SimpleCNN()(torch.zeros(2, 3, 64, 64, dtype=torch.long)), "floating point"),
        (lambda: M.SimpleCNN(image_size=30), "image_size"),
        (lambda: M.SimpleCNN(dropout=1.5), "dropout"),
        (lambda: M.MNIST1DConvNet()(torch.randn(2, 1, 39)), r"\(2, 1, 39\)"),
        (lambda: M.MNIST1DConvNet(length=6), "length"),
        (lambda: M.MLP()(torch.randn(2, 41)), r"in_features=40.*\(2, 41\)"),
        (lambda: M.MLP(depth=-1), "depth"),
        (lambda: M.LeNet5()(torch.randn(2, 1, 28, 28)), r"\(2, 1, 28, 28\)"),
        (lambda: M.LeNet5(image_size=30), "image_size"),
        (lambda: M.LeNet5(activation="sigmoid"), "activation"),
        (lambda: M.AlexNet()(torch.randn(1, 3, 32, 32)), r"63x63.*\(1, 3, 32, 32\)"),
        (lambda: M.vgg(12), "depth"),
        (lambda: M.InceptionModule(8, 1, 1, 1, 1, 1, 1, kernel5x5=7), "kernel5x5"),
        (lambda: M.InceptionModule(8, 1, 1, 1, 1, 1, 1)(torch.randn(1, 4, 5, 5)), r"8 channels.*\(1, 4, 5, 5\)"),
        (lambda: M.cifar_resnet(21), "6n \\+ 2"),
        (lambda: M.cifar_resnet(14, bottleneck=True), "9n \\+ 2"),
        (lambda: M.cifar_resnet(20, shortcut="conv"), "shortcut"),
        (lambda: M.cifar_resnet(20)(torch.randn(2, 1, 32, 32)), r"3 channels.*\(2, 1, 32, 32\)"),
        (lambda: M.ResNet(M.BasicBlock, [2, 2], widths=(8, 16, 32)), "layers and widths"),
        (lambda: M.ResNet(M.BasicBlock, [2, 2], stem="mnist", widths=(8, 16)), "stem"),
        (lambda: M.ResNet(nn.Conv2d, [2, 2], widths=(8, 16)), "block"),
        (lambda: M.BasicBlock(8, 16), "downsample"),
        (lambda: M.Bottleneck(16, 16), "downsample"),
        (lambda: M.PreActBasicBlock(8, 8, stride=2), "downsample"),
        (lambda: M.BasicBlock(8, 8)(torch.randn(1, 4, 5, 5)), r"8 channels.*\(1, 4, 5, 5\)"),
        (lambda: PaddingShortcut(8, 4), "in_channels=8"),
        (lambda: M.HighwayLayer(6)(torch.randn(2, 5)), r"\(N, 6\).*\(2, 5\)"),
        (lambda: M.HighwayNet(10, 2, 3)(torch.randn(2, 11)), r"in_features=10.*\(2, 11\)"),
        (lambda: M.HighwayLayer(0), "features"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_public_names() -> None:
    for name in [
        "SimpleCNN", "MNIST1DConvNet", "MLP", "LeNet5", "AlexNet", "vgg", "InceptionModule", "GoogLeNet",
        "BasicBlock", "Bottleneck", "PreActBasicBlock", "PreActBottleneck", "ResNet", "resnet18", "resnet34",
        "resnet50", "resnet101", "resnet152", "resnet200", "cifar_resnet", "HighwayLayer", "HighwayNet",
    ]:
        assert name in M.__all__ and hasattr(M, name), name
    assert M.BasicBlock.expansion == M.PreActBasicBlock.expansion == 1
    assert M.Bottleneck.expansion == M.PreActBottleneck.expansion == 4
