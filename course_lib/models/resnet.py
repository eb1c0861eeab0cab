"""Residual networks of chapter 8: ResNet v1 and v2 (pre-activation), for ImageNet and CIFAR.

- He et al., 2016a, Deep residual learning for image recognition (CVPR): the residual block
  ``y = relu(x + F(x))`` with :class:`BasicBlock` and :class:`Bottleneck`, projection (B) or
  zero-padding (A) shortcuts, ResNet-18 ... 152 for ImageNet and ResNet-20 ... 110 for CIFAR.
- He et al., 2016b, Identity mappings in deep residual networks (ECCV): pre-activation blocks
  ``y = x + F(x)`` with ``F = BN-ReLU-conv-BN-ReLU-conv`` (:class:`PreActBasicBlock`,
  :class:`PreActBottleneck`), ResNet-164/1001 on CIFAR and ResNet-200 on ImageNet.

The structure follows ``torchvision.models.resnet`` (blocks with ``expansion``,
``ResNet._make_layer``, ``zero_init_residual``, an injectable ``norm_layer``) without its
production options (groups, width per group, dilation). The v1 ImageNet models have the
same parameter names and counts as torchvision's, so its ``state_dict`` loads into them.

Every block takes ``residual=True``; ``residual=False`` builds the *plain twin*: the same
convolutions and normalisations in the same order, but the shortcut is never added (and
no projection shortcut is built), so the block computes only ``F(x)`` (followed by the ReLU
for v1). A plain network built this way has exactly the parameters of the residual one
minus those of its projection shortcuts (none with ``shortcut="padding"``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_lib._validate import check_int
from course_lib.models.simple import _check_images

__all__ = [
    "conv3x3",
    "conv1x1",
    "PaddingShortcut",
    "BasicBlock",
    "Bottleneck",
    "PreActBasicBlock",
    "PreActBottleneck",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet200",
    "cifar_resnet",
]

NormLayer = Callable[[int], nn.Module]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """The 3x3 convolution of the residual blocks (He et al., 2016a): padding 1, no bias (a BN follows).

    Shapes: ``(N, in_planes, H, W) -> (N, out_planes, ceil(H/stride), ceil(W/stride))``.
    """
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """The 1x1 convolution of bottlenecks and projection shortcuts (He et al., 2016a), no bias.

    Shapes: ``(N, in_planes, H, W) -> (N, out_planes, ceil(H/stride), ceil(W/stride))``.
    """
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class PaddingShortcut(nn.Module):
    """The parameter-free shortcut "option A" of He et al. (2016a, section 4.2, CIFAR-10).

    Sub-samples the input with ``stride`` (keeps every ``stride``-th pixel, like a 1x1
    convolution with that stride) and appends zero channels up to ``out_channels``, so the
    identity can be added to a block output that has more channels and a smaller size.

    Shapes: ``(N, in_channels, H, W) -> (N, out_channels, ceil(H/stride), ceil(W/stride))``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        check_int(stride, "stride", 1)
        if out_channels < in_channels:
            raise ValueError(
                f"PaddingShortcut can only add channels: in_channels={in_channels} > out_channels={out_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Sub-sampled, zero-padded ``x``: ``(N, C_in, H, W) -> (N, C_out, ceil(H/s), ceil(W/s))``."""
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C_in, ceil(H/s), ceil(W/s))
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels))  # (N, C_out, ...)

    def extra_repr(self) -> str:
        """Shown by ``print(model)``."""
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class _ResidualBlock(nn.Module):
    """Shared checks of the four blocks: ``downsample`` must match the output shape."""

    expansion: int = 1
    preact: bool = False

    def _setup(
        self,
        inplanes: int,
        planes: int,
        stride: int,
        downsample: nn.Module | None,
        norm_layer: NormLayer | None,
        residual: bool,
    ) -> NormLayer:
        """Check the arguments, store them, and return the normalisation constructor to use."""
        check_int(inplanes, "inplanes", 1)
        check_int(planes, "planes", 1)
        check_int(stride, "stride", 1)
        if residual and downsample is None and (stride != 1 or inplanes != planes * self.expansion):
            raise ValueError(
                f"{type(self).__name__} with inplanes={inplanes}, planes={planes} (output {planes * self.expansion} "
                f"channels), stride={stride} changes the shape, so it needs a downsample shortcut"
            )
        self.inplanes = inplanes
        self.planes = planes
        self.stride = stride
        self.residual = residual
        return nn.BatchNorm2d if norm_layer is None else norm_layer

    def last_norm(self) -> nn.Module:
        """The normalisation layer whose zero weight makes the residual branch output zero."""
        raise NotImplementedError

    def _check_input(self, x: torch.Tensor) -> None:
        """``x`` must be a float ``(N, inplanes, H, W)`` batch."""
        _check_images(x, self.inplanes)


class BasicBlock(_ResidualBlock):
    """The basic residual block of ResNet v1 (He et al., 2016a, fig. 2 and fig. 5 left).

    ``y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with two 3x3 convolutions of
    ``planes`` maps; the first has the stride. ``shortcut`` is the identity or ``downsample``.

    Args:
        inplanes: input channels.
        planes: output channels (``expansion = 1``).
        stride: stride of the first convolution (2 halves the resolution).
        downsample: module applied to ``x`` on the shortcut when the shape changes.
        norm_layer: builds a normalisation from a channel count (default ``nn.BatchNorm2d``).
        residual: False drops the shortcut addition (the plain twin).

    Shapes: ``(N, inplanes, H, W) -> (N, planes, ceil(H/stride), ceil(W/stride))``.
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_layer: NormLayer | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        norm = self._setup(inplanes, planes, stride, downsample, norm_layer, residual)
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm(planes)
        self.downsample = downsample

    def last_norm(self) -> nn.Module:
        """``bn2``: zero its weight and the block starts as ``relu(x)``."""
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, inplanes, H, W) -> (N, planes, H', W')``."""
        self._check_input(x)
        out = self.relu(self.bn1(self.conv1(x)))  # (N, planes, H', W')
        out = self.bn2(self.conv2(out))  # (N, planes, H', W')
        if self.residual:
            identity = x if self.downsample is None else self.downsample(x)  # (N, planes, H', W')
            out = out + identity
        return self.relu(out)


class Bottleneck(_ResidualBlock):
    """The bottleneck block of ResNet v1 (He et al., 2016a, fig. 5 right), as in torchvision (v1.5).

    ``1x1 (planes) -> 3x3 (planes, stride) -> 1x1 (4 * planes)``, each followed by BN, ReLU
    after the first two and after the addition of the shortcut. The 1x1 convolutions reduce
    and restore the channels so that the 3x3 one is cheap. The stride sits on the 3x3
    convolution (torchvision's "ResNet v1.5"; the paper puts it on the first 1x1).

    Args: as :class:`BasicBlock`; the output has ``planes * expansion`` channels, ``expansion = 4``.

    Shapes: ``(N, inplanes, H, W) -> (N, 4 * planes, ceil(H/stride), ceil(W/stride))``.
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_layer: NormLayer | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        norm = self._setup(inplanes, planes, stride, downsample, norm_layer, residual)
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = norm(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = norm(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = norm(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def last_norm(self) -> nn.Module:
        """``bn3``: zero its weight and the block starts as ``relu(x)``."""
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, inplanes, H, W) -> (N, 4 * planes, H', W')``."""
        self._check_input(x)
        out = self.relu(self.bn1(self.conv1(x)))  # (N, planes, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (N, planes, H', W')
        out = self.bn3(self.conv3(out))  # (N, 4 * planes, H', W')
        if self.residual:
            identity = x if self.downsample is None else self.downsample(x)  # (N, 4 * planes, H', W')
            out = out + identity
        return self.relu(out)


class PreActBasicBlock(_ResidualBlock):
    """The pre-activation basic block of ResNet v2 (He et al., 2016b, Identity mappings, fig. 1b/4e).

    ``y = x + conv2(relu(bn2(conv1(relu(bn1(x))))))``: BN and ReLU come *before* each
    convolution and nothing follows the addition, so the shortcut path is a pure identity
    from block to block. When the shape changes, ``downsample`` is applied to the
    pre-activated input ``relu(bn1(x))`` (the paper shares the first activation between both
    paths), and a projection is a bare 1x1 convolution.

    Args: as :class:`BasicBlock`.

    Shapes: ``(N, inplanes, H, W) -> (N, planes, ceil(H/stride), ceil(W/stride))``.
    """

    expansion = 1
    preact = True

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_layer: NormLayer | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        norm = self._setup(inplanes, planes, stride, downsample, norm_layer, residual)
        self.bn1 = norm(inplanes)
        self.relu = nn.ReLU()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn2 = norm(planes)
        self.conv2 = conv3x3(planes, planes)
        self.downsample = downsample

    def last_norm(self) -> nn.Module:
        """``bn2``: zero its weight and the block starts as the identity."""
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, inplanes, H, W) -> (N, planes, H', W')``."""
        self._check_input(x)
        pre = self.relu(self.bn1(x))  # (N, inplanes, H, W)
        out = self.conv1(pre)  # (N, planes, H', W')
        out = self.conv2(self.relu(self.bn2(out)))  # (N, planes, H', W')
        if self.residual:
            shortcut = x if self.downsample is None else self.downsample(pre)  # (N, planes, H', W')
            out = out + shortcut
        return out


class PreActBottleneck(_ResidualBlock):
    """The pre-activation bottleneck block (He et al., 2016b, Identity mappings; ResNet-164, -1001, -200).

    ``y = x + conv3(relu(bn3(conv2(relu(bn2(conv1(relu(bn1(x)))))))))`` with
    ``1x1 (planes) -> 3x3 (planes, stride) -> 1x1 (4 * planes)``. Shortcuts as in
    :class:`PreActBasicBlock`.

    Args: as :class:`BasicBlock`; ``expansion = 4``.

    Shapes: ``(N, inplanes, H, W) -> (N, 4 * planes, ceil(H/stride), ceil(W/stride))``.
    """

    expansion = 4
    preact = True

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_layer: NormLayer | None = None,
        residual: bool = True,
    ) -> None:
        super().__init__()
        norm = self._setup(inplanes, planes, stride, downsample, norm_layer, residual)
        self.bn1 = norm(inplanes)
        self.relu = nn.ReLU()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn2 = norm(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = norm(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.downsample = downsample

    def last_norm(self) -> nn.Module:
        """``bn3``: zero its weight and the block starts as the identity."""
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, inplanes, H, W) -> (N, 4 * planes, H', W')``."""
        self._check_input(x)
        pre = self.relu(self.bn1(x))  # (N, inplanes, H, W)
        out = self.conv1(pre)  # (N, planes, H, W)
        out = self.conv2(self.relu(self.bn2(out)))  # (N, planes, H', W')
        out = self.conv3(self.relu(self.bn3(out)))  # (N, 4 * planes, H', W')
        if self.residual:
            shortcut = x if self.downsample is None else self.downsample(pre)  # (N, 4 * planes, H', W')
            out = out + shortcut
        return out


BlockType = type[_ResidualBlock]


class ResNet(nn.Module):
    """A residual network (He et al., 2016a, Deep residual learning; 2016b, Identity mappings).

    Layout: a stem, ``len(layers)`` stages of residual blocks built by :meth:`_make_layer`
    (stage ``i`` has ``layers[i]`` blocks with ``widths[i]`` planes; every stage after the
    first halves the resolution in its first block), global average pooling and a linear
    classifier.

    - ``stem="imagenet"``: 7x7/2 convolution, BN, ReLU, 3x3/2 max pooling (224 -> 56).
    - ``stem="cifar"``: 3x3 convolution, BN, ReLU, no pooling (32 -> 32).
    - Pre-activation blocks (v2): every convolution is preceded by BN-ReLU inside the
      blocks, so the stem is the bare convolution (plus the max pooling for ImageNet), and a
      final BN-ReLU comes before the pooling.

    Args:
        block: :class:`BasicBlock`, :class:`Bottleneck`, :class:`PreActBasicBlock` or
            :class:`PreActBottleneck`.
        layers: number of blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: number of output logits.
        zero_init_residual: set the weight of the last normalisation of every block to zero
            so that each block starts as the identity (``relu(x)`` for v1; Goyal et al., 2017).
        norm_layer: builds a normalisation from a channel count (default ``nn.BatchNorm2d``).
        in_channels: channels of the input images.
        stem: ``"imagenet"`` or ``"cifar"``.
        widths: planes of each stage (the output has ``widths[-1] * block.expansion`` channels).
        residual: False builds the plain twin (no shortcut additions, no projections).
        shortcut: ``"projection"`` (option B: 1x1 convolution, plus BN for v1, when the shape
            changes) or ``"padding"`` (option A: :class:`PaddingShortcut`, no parameters).

    Shapes: input ``(N, in_channels, H, W)``, output ``(N, num_classes)``; after the stem
    ``(N, widths[0], H/4, W/4)`` (ImageNet) or ``(N, widths[0], H, W)`` (CIFAR); stage ``i``
    outputs ``widths[i] * expansion`` channels at ``1/2**i`` of the stem's resolution.
    """

    def __init__(
        self,
        block: BlockType,
        layers: Sequence[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        norm_layer: NormLayer | None = None,
        in_channels: int = 3,
        stem: str = "imagenet",
        widths: Sequence[int] = (64, 128, 256, 512),
        residual: bool = True,
        shortcut: str = "projection",
    ) -> None:
        super().__init__()
        is_block = isinstance(block, type) and issubclass(block, nn.Module)
        if not (is_block and isinstance(getattr(block, "expansion", None), int)):
            raise ValueError(
                f"block must be a residual block class with an int `expansion` (BasicBlock, Bottleneck, "
                f"PreActBasicBlock, PreActBottleneck), got {block!r}"
            )
        layers, widths = list(layers), list(widths)
        if len(layers) == 0 or len(layers) != len(widths):
            raise ValueError(
                f"layers and widths must be non-empty and of the same length, got layers={layers}, widths={widths}"
            )
        for i, (n, w) in enumerate(zip(layers, widths)):
            check_int(n, f"layers[{i}]", 1)
            check_int(w, f"widths[{i}]", 1)
        check_int(num_classes, "num_classes", 1)
        check_int(in_channels, "in_channels", 1)
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")
        if shortcut not in ("projection", "padding"):
            raise ValueError(f"shortcut must be 'projection' or 'padding', got {shortcut!r}")
        self._norm_layer: NormLayer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.block = block
        self.preact = bool(getattr(block, "preact", False))
        self.residual = residual
        self.shortcut = shortcut
        self.in_channels = in_channels
        self.inplanes = widths[0]

        # Stem. v1: conv-BN-ReLU; v2: the blocks normalise, so a bare convolution.
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.Identity() if self.preact else self._norm_layer(widths[0])
        self.relu = nn.Identity() if self.preact else nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem == "imagenet" else nn.Identity()

        self.num_stages = len(layers)
        for i, (n, w) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, w, n, stride=1 if i == 0 else 2))

        out_channels = widths[-1] * block.expansion
        if self.preact:
            self.final_bn = self._norm_layer(out_channels)
            self.final_relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(out_channels, num_classes)

        # Initialisation of He et al. (2015) for the convolutions, as in torchvision.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, nn.Module) and callable(getattr(m, "last_norm", None)):
                    weight = getattr(m.last_norm(), "weight", None)
                    if not isinstance(weight, torch.Tensor):
                        raise ValueError("zero_init_residual=True needs a norm_layer with a learnable weight")
                    nn.init.zeros_(weight)

    def _make_layer(self, block: BlockType, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        """One stage: ``blocks`` blocks of ``planes`` planes; the first one has ``stride`` and the shortcut.

        The first block gets a ``downsample`` shortcut when the stride is not 1 or the channels
        change (``self.inplanes != planes * block.expansion``) and the net is residual.

        Shapes: ``(N, self.inplanes, H, W) -> (N, planes * expansion, ceil(H/stride), ceil(W/stride))``.
        """
        out_channels = planes * block.expansion
        downsample: nn.Module | None = None
        if self.residual and (stride != 1 or self.inplanes != out_channels):
            if self.shortcut == "padding":
                downsample = PaddingShortcut(self.inplanes, out_channels, stride)
            elif self.preact:
                downsample = conv1x1(self.inplanes, out_channels, stride)
            else:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, out_channels, stride), self._norm_layer(out_channels)
                )
        stage = [block(self.inplanes, planes, stride, downsample, self._norm_layer, self.residual)]
        self.inplanes = out_channels
        for _ in range(1, blocks):
            stage.append(block(self.inplanes, planes, 1, None, self._norm_layer, self.residual))
        return nn.Sequential(*stage)

    def stages(self) -> list[nn.Sequential]:
        """The stages ``[layer1, layer2, ...]`` in order."""
        return [getattr(self, f"layer{i + 1}") for i in range(self.num_stages)]

    def blocks(self) -> list[nn.Module]:
        """Every residual block, in order."""
        return [b for stage in self.stages() for b in stage]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature maps before pooling: ``(N, C_in, H, W) -> (N, widths[-1] * expansion, H', W')``."""
        _check_images(x, self.in_channels)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, widths[0], H/4, W/4) or (N, widths[0], H, W)
        for stage in self.stages():
            x = stage(x)  # (N, widths[i] * expansion, ..., ...)
        if self.preact:
            x = self.final_relu(self.final_bn(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``x: (N, in_channels, H, W)``."""
        x = self.forward_features(x)  # (N, C, H', W')
        x = torch.flatten(self.avgpool(x), 1)  # (N, C)
        return self.fc(x)  # (N, num_classes)


def _imagenet_resnet(
    basic: bool, layers: list[int], num_classes: int, preact: bool, **kwargs: object
) -> ResNet:
    """An ImageNet ResNet with basic or bottleneck blocks, v1 or pre-activation."""
    if basic:
        block: BlockType = PreActBasicBlock if preact else BasicBlock
    else:
        block = PreActBottleneck if preact else Bottleneck
    return ResNet(block, layers, num_classes=num_classes, **kwargs)  # type: ignore[arg-type]


def resnet18(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-18 (He et al., 2016a): basic blocks, stages [2, 2, 2, 2]; 11,689,512 parameters (v1, 1000 classes).

    ``preact=True`` uses pre-activation blocks (He et al., 2016b). ``kwargs`` go to :class:`ResNet`.
    Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(True, [2, 2, 2, 2], num_classes, preact, **kwargs)


def resnet34(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-34 (He et al., 2016a): basic blocks, stages [3, 4, 6, 3].

    ``preact=True`` uses pre-activation blocks (He et al., 2016b). ``kwargs`` go to :class:`ResNet`.
    Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(True, [3, 4, 6, 3], num_classes, preact, **kwargs)


def resnet50(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-50 (He et al., 2016a): bottleneck blocks, stages [3, 4, 6, 3].

    ``preact=True`` uses pre-activation blocks (He et al., 2016b). ``kwargs`` go to :class:`ResNet`.
    Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(False, [3, 4, 6, 3], num_classes, preact, **kwargs)


def resnet101(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-101 (He et al., 2016a): bottleneck blocks, stages [3, 4, 23, 3].

    ``preact=True`` uses pre-activation blocks (He et al., 2016b). ``kwargs`` go to :class:`ResNet`.
    Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(False, [3, 4, 23, 3], num_classes, preact, **kwargs)


def resnet152(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-152 (He et al., 2016a): bottleneck blocks, stages [3, 8, 36, 3].

    ``preact=True`` uses pre-activation blocks (He et al., 2016b). ``kwargs`` go to :class:`ResNet`.
    Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(False, [3, 8, 36, 3], num_classes, preact, **kwargs)


def resnet200(num_classes: int = 1000, preact: bool = False, **kwargs: object) -> ResNet:
    """ResNet-200 (He et al., 2016b, Identity mappings): bottleneck blocks, stages [3, 24, 36, 3].

    About 64.7 million parameters. The paper trains it with pre-activation blocks
    (``preact=True``); the default ``preact=False`` gives the v1 bottleneck network with the
    same stages. ``kwargs`` go to :class:`ResNet`. Shapes: ``(N, 3, H, W) -> (N, num_classes)``.
    """
    return _imagenet_resnet(False, [3, 24, 36, 3], num_classes, preact, **kwargs)


def cifar_resnet(
    depth: int,
    num_classes: int = 10,
    preact: bool = False,
    residual: bool = True,
    width: int = 16,
    in_channels: int = 3,
    shortcut: str = "padding",
    bottleneck: bool | None = None,
    zero_init_residual: bool = False,
    norm_layer: NormLayer | None = None,
) -> ResNet:
    """A CIFAR ResNet (He et al., 2016a, section 4.2; pre-activation: He et al., 2016b).

    A 3x3 convolution with ``width`` maps, three stages of ``n`` blocks with ``width``,
    ``2 * width`` and ``4 * width`` planes on 32x32, 16x16 and 8x8 maps, global average
    pooling and a linear classifier.

    - Basic blocks: ``depth = 6n + 2`` (ResNet-20, 32, 44, 56, 110, 1202); ResNet-20 has about
      0.27M parameters and ResNet-110 about 1.7M (with ``shortcut="padding"``).
    - Bottleneck blocks: ``depth = 9n + 2`` (ResNet-164, 1001 of He et al., 2016b; the output
      of stage ``i`` has ``4 * width * 2**i`` channels).

    By default (``bottleneck=None``) a network uses bottleneck blocks when ``preact`` is True
    and ``depth`` fits ``9n + 2`` but either is at least 164 or does not fit ``6n + 2``
    (ResNet-164 and ResNet-1001 as in the paper; ResNet-110 stays basic).

    Args:
        depth: number of weight layers (convolutions and the final linear layer).
        num_classes: number of output logits.
        preact: use pre-activation blocks (ResNet v2).
        residual: False gives the plain twin: the same convolutions and normalisations in the
            same order, no shortcut additions and no projections.
        width: maps of the first stage (16 in the paper); the stages have width x 1, 2, 4.
        in_channels: channels of the input images.
        shortcut: ``"padding"`` (option A of the paper's CIFAR experiments, no parameters)
            or ``"projection"`` (option B, 1x1 convolutions).
        bottleneck: force bottleneck (True) or basic (False) blocks.
        zero_init_residual, norm_layer: see :class:`ResNet`.

    Returns: a :class:`ResNet` mapping ``(N, in_channels, H, W)`` (32x32 for CIFAR) to
    ``(N, num_classes)``.
    """
    check_int(depth, "depth", 8)
    fits_basic = (depth - 2) % 6 == 0
    fits_bottleneck = (depth - 2) % 9 == 0
    if bottleneck is None:
        bottleneck = preact and fits_bottleneck and (depth >= 164 or not fits_basic)
    if bottleneck and not fits_bottleneck:
        raise ValueError(f"depth must be 9n + 2 for bottleneck blocks (164, 1001, ...), got depth={depth}")
    if not bottleneck and not fits_basic:
        raise ValueError(
            f"depth must be 6n + 2 for basic blocks (20, 32, 44, 56, 110, ...) or 9n + 2 with preact=True "
            f"(164, 1001, ...), got depth={depth}, preact={preact}"
        )
    n = (depth - 2) // (9 if bottleneck else 6)
    if bottleneck:
        block: BlockType = PreActBottleneck if preact else Bottleneck
    else:
        block = PreActBasicBlock if preact else BasicBlock
    check_int(width, "width", 1)
    return ResNet(
        block,
        [n, n, n],
        num_classes=num_classes,
        zero_init_residual=zero_init_residual,
        norm_layer=norm_layer,
        in_channels=in_channels,
        stem="cifar",
        widths=(width, 2 * width, 4 * width),
        residual=residual,
        shortcut=shortcut,
    )
