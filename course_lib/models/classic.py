"""The classic CNN architectures of chapter 7: LeNet-5, AlexNet, VGG and GoogLeNet.

AlexNet, VGG and GoogLeNet have the same layers, parameter names and parameter counts as
``torchvision.models`` (so torchvision's ``state_dict`` loads into them); where torchvision
differs from the original paper, the docstring says so.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from course_lib._validate import check_int, shape_of
from course_lib.models.simple import _check_images, _check_probability

__all__ = [
    "LeNet5",
    "AlexNet",
    "VGG",
    "vgg",
    "VGG_CONFIGS",
    "ConvBNReLU",
    "InceptionModule",
    "InceptionAux",
    "GoogLeNet",
]


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998, Gradient-based learning applied to document recognition).

    Layers (for a 32x32 input; a 28x28 MNIST digit is zero-padded by 2 in the first
    convolution, which gives the same shapes)::

        features.conv1  Conv2d(in_channels, 6, 5)   -> (N, 6, 28, 28)     156 parameters
        features.act1, features.pool1 AvgPool2d(2)  -> (N, 6, 14, 14)
        features.conv2  Conv2d(6, 16, 5)            -> (N, 16, 10, 10)  2,416
        features.act2, features.pool2 AvgPool2d(2)  -> (N, 16, 5, 5)
        classifier.flatten                          -> (N, 400)
        classifier.fc1  Linear(400, 120)  (C5)      -> (N, 120)        48,120
        classifier.fc2  Linear(120, 84)   (F6)      -> (N, 84)         10,164
        classifier.fc3  Linear(84, num_classes)     -> (N, 10)            850

    61,706 parameters for one input channel and 10 classes. Differences from the paper,
    which are the usual modern simplifications: ``tanh`` (or ReLU) instead of the scaled
    ``1.7159 tanh(2x/3)``; plain average pooling instead of sub-sampling with a trainable
    coefficient and bias per map; every C3 map sees all 6 S2 maps (the paper's sparse
    connection table has 60 of 96 kernels, 1,516 parameters instead of 2,416); C5 as a
    linear layer (a 5x5 convolution on a 5x5 map is the same thing); a linear output layer
    with softmax cross-entropy instead of the Euclidean RBF units.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        image_size: 32 (the paper) or 28 (MNIST; the first convolution then pads by 2).
        activation: ``"tanh"`` (default, as in the paper) or ``"relu"``.

    Shapes: input ``(N, in_channels, image_size, image_size)``, output ``(N, num_classes)``.
    """

    def __init__(
        self, num_classes: int = 10, in_channels: int = 1, image_size: int = 32, activation: str = "tanh"
    ) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", 1)
        check_int(in_channels, "in_channels", 1)
        if image_size not in (28, 32):
            raise ValueError(f"image_size must be 32 or 28 (padded by 2), got {image_size!r}")
        acts = {"tanh": nn.Tanh, "relu": nn.ReLU}
        if activation not in acts:
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.in_channels = in_channels
        self.image_size = image_size
        act = acts[activation]
        pad = (32 - image_size) // 2
        self.features = nn.Sequential(
            OrderedDict(
                [
                    ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5, padding=pad)),
                    ("act1", act()),
                    ("pool1", nn.AvgPool2d(2)),
                    ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
                    ("act2", act()),
                    ("pool2", nn.AvgPool2d(2)),
                ]
            )
        )
        self.classifier = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("fc1", nn.Linear(16 * 5 * 5, 120)),
                    ("act3", act()),
                    ("fc2", nn.Linear(120, 84)),
                    ("act4", act()),
                    ("fc3", nn.Linear(84, num_classes)),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``x: (N, in_channels, image_size, image_size)``."""
        _check_images(x, self.in_channels)
        if tuple(x.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(
                f"x must have shape (N, {self.in_channels}, {self.image_size}, {self.image_size}), "
                f"got shape {shape_of(x)}"
            )
        x = self.features(x)  # (N, 16, 5, 5)
        return self.classifier(x)  # (N, num_classes)


def _check_min_size(x: torch.Tensor, min_size: int, model: str) -> None:
    """Raise ``ValueError`` if the image ``x: (N, C, H, W)`` is smaller than ``min_size`` x ``min_size``."""
    if min(x.shape[2:]) < min_size:
        raise ValueError(f"{model} needs images of at least {min_size}x{min_size}, got x of shape {shape_of(x)}")


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky et al., 2012, ImageNet classification with deep convolutional neural networks).

    The one-GPU variant of torchvision (after Krizhevsky, 2014, "One weird trick"): five
    convolutions with 64, 192, 384, 256, 256 maps (the paper has 96, 256, 384, 384, 256 split
    over two GPUs) and no local response normalisation, an adaptive average pooling to 6x6,
    and three fully connected layers with dropout. Same layers and parameter names as
    ``torchvision.models.alexnet``: 61,100,840 parameters for 1000 classes.

    Args:
        num_classes: number of output logits.
        dropout: dropout probability before each of the first two fully connected layers.

    Shapes: input ``(N, 3, H, W)`` with ``H, W >= 63`` (224 in the paper),
    ``features`` gives ``(N, 256, 6, 6)`` at 224, output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", 1)
        _check_probability(dropout, "dropout")
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),  # (N, 64, 55, 55)
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 64, 27, 27)
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 192, 13, 13)
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 256, 6, 6)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``x: (N, 3, H, W)``, ``H, W >= 63``."""
        _check_images(x, 3)
        _check_min_size(x, 63, "AlexNet")
        x = self.avgpool(self.features(x))  # (N, 256, 6, 6)
        x = torch.flatten(x, 1)  # (N, 9216)
        return self.classifier(x)  # (N, num_classes)


#: The VGG configurations of Simonyan and Zisserman (2015), table 1: output channels of each
#: 3x3 convolution, "M" for a 2x2 max pooling. Keys are the depths (weight layers).
VGG_CONFIGS: dict[int, list[int | str]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # A
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # B
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],  # D
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],  # E
}


class VGG(nn.Module):
    """VGG (Simonyan and Zisserman, 2015, Very deep convolutional networks for large-scale image recognition).

    ``features`` (stacks of 3x3 convolutions with padding 1 and 2x2 max poolings, built from
    a configuration list), an adaptive average pooling to 7x7 (torchvision's addition, so
    that any input of at least 32x32 works; at 224 it does nothing), and three fully connected
    layers with dropout. Use :func:`vgg` to build the standard depths.

    Args:
        config: output channels per 3x3 convolution, ``"M"`` for a max pooling.
        batch_norm: put ``BatchNorm2d`` after every convolution (Ioffe and Szegedy, 2015; the
            ``vgg*_bn`` models of torchvision, not in the original paper).
        num_classes: number of output logits.
        dropout: dropout probability in the classifier.

    Shapes: input ``(N, 3, H, W)`` with ``H, W >= 32``; ``features`` gives
    ``(N, 512, H/32, W/32)``; output ``(N, num_classes)``.
    """

    def __init__(
        self, config: list[int | str], batch_norm: bool = False, num_classes: int = 1000, dropout: float = 0.5
    ) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", 1)
        _check_probability(dropout, "dropout")
        layers: list[nn.Module] = []
        channels = 3
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # halves H and W
            elif isinstance(v, int) and not isinstance(v, bool) and v > 0:
                layers.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))  # keeps H and W
                if batch_norm:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU())
                channels = v
            else:
                raise ValueError(f"config entries must be positive ints or 'M', got {v!r} in {config!r}")
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        self.min_size = 2 ** sum(1 for v in config if v == "M")
        # The initialisation of torchvision (He et al., 2015, for the convolutions).
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``x: (N, 3, H, W)``, ``H, W >= 32``."""
        _check_images(x, 3)
        _check_min_size(x, self.min_size, "VGG")
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        x = torch.flatten(x, 1)  # (N, 25088)
        return self.classifier(x)  # (N, num_classes)


def vgg(depth: int, batch_norm: bool = False, num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-11, -13, -16 or -19 (configurations A, B, D, E of Simonyan and Zisserman, 2015).

    Same layers and parameter counts as torchvision's ``vgg11`` ... ``vgg19`` and, with
    ``batch_norm=True``, ``vgg11_bn`` ... ``vgg19_bn`` (VGG-16: 138,357,544 parameters, of which
    102,764,544 sit in the first fully connected layer).

    Args:
        depth: number of weight layers, one of 11, 13, 16, 19.
        batch_norm, num_classes, dropout: see :class:`VGG`.

    Returns: a :class:`VGG` taking ``(N, 3, H, W)``, ``H, W >= 32``, to ``(N, num_classes)``.
    """
    if depth not in VGG_CONFIGS:
        raise ValueError(f"depth must be one of {sorted(VGG_CONFIGS)}, got {depth!r}")
    return VGG(VGG_CONFIGS[depth], batch_norm=batch_norm, num_classes=num_classes, dropout=dropout)


class ConvBNReLU(nn.Module):
    """Convolution without bias, ``BatchNorm2d(eps=0.001)`` and ReLU: torchvision's ``BasicConv2d``.

    The building unit of torchvision's GoogLeNet. The original GoogLeNet (Szegedy et al., 2015)
    had no batch normalisation, which was introduced a few months later for Inception-v2
    (Ioffe and Szegedy, 2015).

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size, stride, padding: of the convolution.

    Shapes: ``(N, in_channels, H, W)`` -> ``(N, out_channels, H', W')`` with the usual
    convolution output size.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1, padding: int = 0
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``relu(bn(conv(x)))``, ``(N, C_in, H, W) -> (N, C_out, H', W')``."""
        return self.relu(self.bn(self.conv(x)))


class InceptionModule(nn.Module):
    """An Inception module (Szegedy et al., 2015, Going deeper with convolutions, fig. 2b).

    Four parallel branches whose outputs are concatenated along the channels:

    1. a 1x1 convolution with ``ch1x1`` maps;
    2. a 1x1 reduction to ``ch3x3red`` maps, then a 3x3 convolution with ``ch3x3`` maps;
    3. a 1x1 reduction to ``ch5x5red`` maps, then a ``kernel5x5`` x ``kernel5x5`` convolution
       with ``ch5x5`` maps;
    4. a 3x3 max pooling (stride 1), then a 1x1 projection to ``pool_proj`` maps.

    Every convolution is a :class:`ConvBNReLU`, as in torchvision. Note on the third branch:
    the paper uses a 5x5 kernel, but torchvision's ``Inception`` uses 3x3 (a known bug kept
    for compatibility with its pretrained weights, pytorch/vision issue #906). The default
    ``kernel5x5=3`` reproduces torchvision's layers and parameter count; ``kernel5x5=5``
    builds the paper's branch.

    Shapes: ``(N, in_channels, H, W)`` -> ``(N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        kernel5x5: int = 3,
    ) -> None:
        super().__init__()
        for value, name in [
            (in_channels, "in_channels"),
            (ch1x1, "ch1x1"),
            (ch3x3red, "ch3x3red"),
            (ch3x3, "ch3x3"),
            (ch5x5red, "ch5x5red"),
            (ch5x5, "ch5x5"),
            (pool_proj, "pool_proj"),
        ]:
            check_int(value, name, 1)
        if kernel5x5 not in (3, 5):
            raise ValueError(f"kernel5x5 must be 3 (torchvision) or 5 (the paper), got {kernel5x5!r}")
        self.in_channels = in_channels
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.branch1 = ConvBNReLU(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            ConvBNReLU(in_channels, ch3x3red, kernel_size=1),
            ConvBNReLU(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            ConvBNReLU(in_channels, ch5x5red, kernel_size=1),
            ConvBNReLU(ch5x5red, ch5x5, kernel_size=kernel5x5, padding=kernel5x5 // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            ConvBNReLU(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Concatenated branch outputs ``(N, out_channels, H, W)`` of ``x: (N, in_channels, H, W)``."""
        _check_images(x, self.in_channels)
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]  # each (N, C_i, H, W)
        return torch.cat(branches, dim=1)  # (N, sum C_i, H, W)


class InceptionAux(nn.Module):
    """An auxiliary classifier of GoogLeNet (Szegedy et al., 2015, section 5), as in torchvision.

    Adaptive average pooling to 4x4 (the paper: 5x5 average pooling with stride 3 on the 14x14
    maps), a 1x1 :class:`ConvBNReLU` to 128 maps, a fully connected layer of 1024 units with
    ReLU, dropout and a linear output.

    Shapes: ``(N, in_channels, H, W)`` -> ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = ConvBNReLU(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Auxiliary logits ``(N, num_classes)`` of the feature maps ``x: (N, in_channels, H, W)``."""
        x = self.conv(self.pool(x))  # (N, 128, 4, 4)
        x = self.relu(self.fc1(torch.flatten(x, 1)))  # (N, 1024)
        return self.fc2(self.dropout(x))  # (N, num_classes)


class GoogLeNet(nn.Module):
    """GoogLeNet, the Inception-v1 network (Szegedy et al., 2015, Going deeper with convolutions).

    A stem (7x7/2 convolution, max pooling, 1x1 and 3x3 convolutions, max pooling), nine
    :class:`InceptionModule` s (3a, 3b, pool, 4a-4e, pool, 5a, 5b) with the channel numbers of
    the paper's table 1, global average pooling, dropout 0.2 and one linear layer.

    It follows ``torchvision.models.googlenet`` layer by layer, so with
    ``aux_logits=False`` the parameter counts are equal (6,624,904 for 1000 classes), and
    torchvision's ``state_dict`` loads into it. Honest differences from the paper, all
    inherited from torchvision: every convolution has batch normalisation (the paper predates
    it) and no bias; the "5x5" branches use 3x3 kernels unless ``kernel5x5=5``; no local
    response normalisation in the stem; max poolings use ``ceil_mode``; the auxiliary heads
    pool adaptively to 4x4; the paper's dropout before the classifier is 0.4.

    Args:
        num_classes: number of output logits.
        aux_logits: add the two auxiliary classifiers after inception 4a and 4d (they are
            used only in training mode).
        dropout: dropout probability before the final linear layer.
        kernel5x5: kernel size of the third branch of every module (3 torchvision, 5 paper).

    Shapes: input ``(N, 3, H, W)`` (224 in the paper; anything >= 32 works); output
    ``(N, num_classes)``; in training mode with ``aux_logits=True`` a tuple
    ``(logits, aux1, aux2)`` of three ``(N, num_classes)`` tensors.
    """

    def __init__(
        self, num_classes: int = 1000, aux_logits: bool = False, dropout: float = 0.2, kernel5x5: int = 3
    ) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", 1)
        _check_probability(dropout, "dropout")
        self.aux_logits = aux_logits

        def inception(*channels: int) -> InceptionModule:
            """An :class:`InceptionModule` with this network's ``kernel5x5``."""
            return InceptionModule(*channels, kernel5x5=kernel5x5)

        self.conv1 = ConvBNReLU(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = ConvBNReLU(64, 64, kernel_size=1)
        self.conv3 = ConvBNReLU(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception(832, 384, 192, 384, 48, 128, 128)
        self.aux1: InceptionAux | None = InceptionAux(512, num_classes) if aux_logits else None
        self.aux2: InceptionAux | None = InceptionAux(528, num_classes) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        # torchvision's initialisation: truncated normal, std 0.01, for convolutions and linear layers.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2.0, b=2.0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits ``(N, num_classes)`` of ``x: (N, 3, H, W)`` (plus two auxiliary logits in training)."""
        _check_images(x, 3)
        _check_min_size(x, 32, "GoogLeNet")
        x = self.maxpool1(self.conv1(x))  # (N, 64, 56, 56) at 224
        x = self.maxpool2(self.conv3(self.conv2(x)))  # (N, 192, 28, 28)
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # (N, 480, 14, 14)
        x = self.inception4a(x)  # (N, 512, 14, 14)
        use_aux = self.training and self.aux1 is not None and self.aux2 is not None
        aux1 = self.aux1(x) if use_aux else None  # type: ignore[misc]
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (N, 528, 14, 14)
        aux2 = self.aux2(x) if use_aux else None  # type: ignore[misc]
        x = self.maxpool4(self.inception4e(x))  # (N, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))  # (N, 1024, 7, 7)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 1024)
        logits = self.fc(self.dropout(x))  # (N, num_classes)
        if use_aux:
            return logits, aux1, aux2  # type: ignore[return-value]
        return logits

