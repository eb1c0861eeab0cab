"""Small networks for the first chapters: a 2D CNN, a 1D CNN and a fully connected net.

- :class:`SimpleCNN` is the 3x64x64 image classifier of chapter 5 (4 and 8 feature maps,
  20,898 parameters), with optional batch normalisation and dropout switches.
- :class:`MNIST1DConvNet` is the three-layer 1D CNN for the 40-sample MNIST-1D signals of
  chapter 3 (Prince, 2023, *Understanding Deep Learning*, ch. 10; Greydanus, 2020,
  *Scaling down deep learning*).
- :class:`MLP` is the fully connected net it is compared with.

The private helpers ``_check_images`` and ``_conv_out`` are shared by the other model
modules.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from course_lib._validate import check_int, check_tensor, shape_of

__all__ = ["SimpleCNN", "MNIST1DConvNet", "MLP"]


def _check_images(x: object, in_channels: int, name: str = "x") -> torch.Tensor:
    """Check that ``x`` is a float ``(N, in_channels, H, W)`` batch; raise ``ValueError`` if not."""
    x = check_tensor(x, 4, name, f"(N, {in_channels}, H, W)")
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{name} must have {in_channels} channels, shape (N, {in_channels}, H, W), "
            f"got shape {shape_of(x)}"
        )
    return x


def _check_probability(value: object, name: str) -> float:
    """Check that ``value`` is a number in ``[0, 1)`` (a dropout probability)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a float in [0, 1), got {value!r}")
    return float(value)


def _conv_out(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution or pooling: ``floor((size + 2p - k) / s) + 1``."""
    return (size + 2 * padding - kernel_size) // stride + 1


class SimpleCNN(nn.Module):
    """The small image classifier of chapter 5: two 3x3 convolutions, two poolings, one linear layer.

    With the defaults (3x64x64 input, 10 classes) the layers and their parameters are::

        features.conv1  Conv2d(3, 4, 3, padding=1)    3*4*9 + 4   =    112   -> (N, 4, 64, 64)
        features.relu1, features.pool1 MaxPool2d(2)                          -> (N, 4, 32, 32)
        features.conv2  Conv2d(4, 8, 3, padding=1)    4*8*9 + 8   =    296   -> (N, 8, 32, 32)
        features.relu2, features.pool2 MaxPool2d(2)                          -> (N, 8, 16, 16)
        classifier.flatten                                                   -> (N, 2048)
        classifier.fc   Linear(2048, 10)              2048*10 + 10 = 20,490  -> (N, 10)

    20,898 parameters in total. The same design as the CNNs of LeCun et al. (1998,
    Gradient-based learning applied to document recognition), scaled down.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input images.
        dropout: probability of ``nn.Dropout`` before the linear layer (Srivastava et al.,
            2014, Dropout: a simple way to prevent neural networks from overfitting);
            0 adds no dropout module.
        batch_norm: if True, ``BatchNorm2d`` after each convolution, before its ReLU
            (Ioffe and Szegedy, 2015, Batch normalization); adds 2*4 + 2*8 = 24 parameters.
        image_size: height and width of the square input; a multiple of 4.

    Shapes: input ``(N, in_channels, image_size, image_size)``, output ``(N, num_classes)``.
    The stages are named submodules of ``features`` and ``classifier`` so that a chapter can
    print the shape after each of them.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        dropout: float = 0.0,
        batch_norm: bool = False,
        image_size: int = 64,
    ) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", 1)
        check_int(in_channels, "in_channels", 1)
        _check_probability(dropout, "dropout")
        if check_int(image_size, "image_size", 4) % 4 != 0:
            raise ValueError(f"image_size must be a multiple of 4 (two 2x2 poolings), got {image_size}")
        self.in_channels = in_channels
        self.image_size = image_size

        stages: list[tuple[str, nn.Module]] = []
        channels = [in_channels, 4, 8]
        for i in (1, 2):
            stages.append((f"conv{i}", nn.Conv2d(channels[i - 1], channels[i], kernel_size=3, padding=1)))
            if batch_norm:
                stages.append((f"bn{i}", nn.BatchNorm2d(channels[i])))
            stages.append((f"relu{i}", nn.ReLU()))
            stages.append((f"pool{i}", nn.MaxPool2d(2)))
        self.features = nn.Sequential(OrderedDict(stages))

        flat = 8 * (image_size // 4) ** 2  # 8 * 16 * 16 = 2048 for 64x64 input
        head: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())]
        if dropout > 0:
            head.append(("dropout", nn.Dropout(dropout)))
        head.append(("fc", nn.Linear(flat, num_classes)))
        self.classifier = nn.Sequential(OrderedDict(head))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``x: (N, in_channels, image_size, image_size)``."""
        _check_images(x, self.in_channels)
        if tuple(x.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(
                f"x must have shape (N, {self.in_channels}, {self.image_size}, {self.image_size}), "
                f"got shape {shape_of(x)}"
            )
        x = self.features(x)  # (N, 8, H/4, W/4)
        return self.classifier(x)  # (N, num_classes)


class MNIST1DConvNet(nn.Module):
    """A 1D CNN for MNIST-1D: three strided convolutions, ReLU, flatten, one linear layer.

    The network of Prince (2023, *Understanding Deep Learning*, ch. 10, fig. 10.7) for the
    40-sample signals of Greydanus (2020, Scaling down deep learning). Each hidden layer is
    ``Conv1d(kernel_size=3, stride=2, padding=0)`` ("valid") with ``channels`` outputs and a
    ReLU, so the length shrinks ``40 -> 19 -> 9 -> 4``; the ``channels * 4 = 60`` features
    go to ``Linear(60, num_classes)``. With the defaults: 60 + 690 + 690 + 610 = 2,050
    parameters.

    Args:
        in_channels: channels of the input signal.
        channels: feature maps per hidden layer (15 in the book; more for a wider variant).
        num_classes: number of output logits.
        length: length of the input signal.
        num_layers: number of hidden convolution layers.
        kernel_size, stride: of every hidden convolution.

    Shapes: input ``(N, in_channels, length)``, or ``(N, length)`` when ``in_channels == 1``
    (as ``mnist1d`` stores the signals); output ``(N, num_classes)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: int = 15,
        num_classes: int = 10,
        length: int = 40,
        num_layers: int = 3,
        kernel_size: int = 3,
        stride: int = 2,
    ) -> None:
        super().__init__()
        for value, name in [
            (in_channels, "in_channels"),
            (channels, "channels"),
            (num_classes, "num_classes"),
            (length, "length"),
            (num_layers, "num_layers"),
            (kernel_size, "kernel_size"),
            (stride, "stride"),
        ]:
            check_int(value, name, 1)
        self.in_channels = in_channels
        self.length = length

        layers: list[tuple[str, nn.Module]] = []
        size, c_in = length, in_channels
        for i in range(1, num_layers + 1):
            size = _conv_out(size, kernel_size, stride)
            if size < 1:
                raise ValueError(
                    f"length={length} is too short for {num_layers} layers of kernel_size={kernel_size}, "
                    f"stride={stride}: layer {i} would have no output"
                )
            layers.append((f"conv{i}", nn.Conv1d(c_in, channels, kernel_size, stride=stride)))
            layers.append((f"relu{i}", nn.ReLU()))
            c_in = channels
        self.features = nn.Sequential(OrderedDict(layers))
        self.out_length = size  # 4 for the defaults
        self.classifier = nn.Sequential(
            OrderedDict([("flatten", nn.Flatten()), ("fc", nn.Linear(channels * size, num_classes))])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of signals ``x: (N, in_channels, length)`` or ``(N, length)``."""
        if isinstance(x, torch.Tensor) and x.dim() == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)  # (N, 1, L)
        layout = f"(N, {self.in_channels}, {self.length})"
        x = check_tensor(x, 3, "x", layout)
        if tuple(x.shape[1:]) != (self.in_channels, self.length):
            raise ValueError(f"x must have shape {layout}, got shape {shape_of(x)}")
        x = self.features(x)  # (N, channels, out_length)
        return self.classifier(x)  # (N, num_classes)


class MLP(nn.Module):
    """A fully connected network: ``depth`` hidden layers of ``hidden`` ReLU units, then a linear output.

    The baseline that chapter 3 compares with the 1D CNN (Prince, 2023, *Understanding Deep
    Learning*, ch. 10: the same number of hidden layers, but no weight sharing). The input is
    flattened first, so images and signals both work.

    Args:
        in_features: number of input values per example after flattening (40 for MNIST-1D).
        hidden: units per hidden layer.
        depth: number of hidden layers (0 gives a linear classifier).
        num_classes: number of output logits.

    Shapes: input ``(N, *)`` with ``in_features`` values per example, output ``(N, num_classes)``.
    """

    def __init__(self, in_features: int = 40, hidden: int = 100, depth: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        check_int(in_features, "in_features", 1)
        check_int(hidden, "hidden", 1)
        check_int(depth, "depth", 0)
        check_int(num_classes, "num_classes", 1)
        self.in_features = in_features
        layers: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())]
        width = in_features
        for i in range(1, depth + 1):
            layers.append((f"fc{i}", nn.Linear(width, hidden)))
            layers.append((f"relu{i}", nn.ReLU()))
            width = hidden
        layers.append(("out", nn.Linear(width, num_classes)))
        self.layers = nn.Sequential(OrderedDict(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of ``x: (N, *)`` with ``in_features`` values per example."""
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or not x.is_floating_point():
            got = shape_of(x) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a float tensor (N, {self.in_features}) or (N, *), got {got}")
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(
                f"x must have in_features={self.in_features} values per example, got shape {shape_of(x)}"
            )
        return self.layers(x)  # (N, num_classes)
