"""Receptive-field arithmetic, and the empirical receptive field measured by back-propagation.

The receptive field of a unit is the set of input pixels that can change its value.
Along one spatial dimension a stack of sliding-window layers (convolutions, pooling) is
described by three numbers after each layer ``l``:

- ``size`` r_l: how many consecutive input pixels one unit spans;
- ``jump`` j_l: the distance in input pixels between two neighbouring units of layer l;
- ``start``: the input coordinate of the centre of the field of unit 0 of layer l.

With kernel k, stride s, padding p (on the left/top) and dilation d the window spans
``k_eff = d (k - 1) + 1`` positions of the previous layer, so

    r_l     = r_{l-1} + (k_eff - 1) * j_{l-1}
    j_l     = j_{l-1} * s
    start_l = start_{l-1} + ((k_eff - 1) / 2 - p) * j_{l-1}

starting from the input itself: ``r_0 = 1``, ``j_0 = 1``, ``start_0 = 0``.

**Coordinate convention**: input pixel ``i`` has its centre at coordinate ``i`` (the first
pixel is at 0). Unit ``u`` of layer l is therefore centred on ``start + u * jump`` and
its field covers input pixels ``start + u * jump - (size - 1) / 2`` to
``start + u * jump + (size - 1) / 2`` (both included; always integers). Padding makes
``start`` smaller, even negative: part of the field of border units lies in the padding.

The arithmetic treats one spatial dimension at a time: ``axis=0`` (default) reads the
first entry of each layer's kernel/stride/padding/dilation (height), ``axis=1`` the second
(width); square kernels give the same answer for both. The field is the *extent* of the
input that can matter: with dilation, or a stride larger than the kernel, it has holes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RFInfo", "receptive_field", "empirical_receptive_field", "field_bounds"]


@dataclass(frozen=True)
class RFInfo:
    """Geometry of one layer and the receptive field of its output units (one spatial dim).

    Attributes:
        name: the layer's name (module path such as ``"features.0"``, or ``"layer1"``).
        kernel, stride, padding, dilation: the layer's hyper-parameters along this dim.
        size: receptive-field size r (input pixels spanned by one unit).
        jump: distance j in input pixels between neighbouring units.
        start: input coordinate of the centre of unit 0's field (pixel i is centred at i).
    """

    name: str
    kernel: int
    stride: int
    padding: int
    dilation: int
    size: int
    jump: int
    start: float

    def bounds(self, index: int) -> tuple[int, int]:
        """First and last input pixel (both included) in the field of output unit ``index``."""
        centre = self.start + index * self.jump
        half = (self.size - 1) / 2
        return int(round(centre - half)), int(round(centre + half))


# ----------------------------------------------------------------------------- walking a module

_UNSUPPORTED = (
    nn.modules.conv._ConvTransposeNd,
    nn.Upsample,
    nn.UpsamplingNearest2d,
    nn.UpsamplingBilinear2d,
    nn.Unfold,
    nn.Fold,
    nn.PixelShuffle,
    nn.PixelUnshuffle,
    nn.MaxUnpool1d,
    nn.MaxUnpool2d,
)
# Layers after which there is no spatial layout any more (a classifier head): the walk stops.
_SPATIAL_END = (
    nn.Flatten,
    nn.Linear,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
)
_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)


def _pick(value: object, axis: int, name: str, layer: str) -> int:
    """One entry of an int-or-tuple hyper-parameter, along ``axis``."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = value[0]
        elif axis < len(value):
            value = value[axis]
        else:
            raise ValueError(f"layer {layer}: {name}={tuple(value)} has no entry for axis={axis}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"layer {layer}: {name} must be an int, got {value!r}")
    return value


def _leaves(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """Leaf modules in registration order (depth first), with their dotted names."""
    children = list(module.named_children())
    if not children:
        yield prefix or type(module).__name__, module
        return
    for name, child in children:
        yield from _leaves(child, f"{prefix}.{name}" if prefix else name)


def _traced_leaves(module: nn.Module, input_shape: Sequence[int]) -> list[tuple[str, nn.Module]]:
    """Leaf modules in the order a forward pass calls them (a shared layer once per call).

    Runs a CPU copy of ``module`` in eval mode on zeros of ``input_shape`` (N, C, ...), so
    the original's running statistics and mode are untouched.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) not in (3, 4) or any(v < 1 for v in shape):
        raise ValueError(f"input_shape must be (N, C, L) or (N, C, H, W) with positive sizes, got {tuple(input_shape)}")
    model = copy.deepcopy(module).cpu().eval()
    names = {id(leaf): name for name, leaf in _leaves(model)}
    order: list[tuple[str, nn.Module]] = []
    hooks = [
        leaf.register_forward_pre_hook(lambda mod, _inputs: order.append((names[id(mod)], mod)))
        for _, leaf in _leaves(model)
    ]
    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    try:
        with torch.no_grad():
            model(torch.zeros(shape, dtype=dtype))
    finally:
        for hook in hooks:
            hook.remove()
    return order


def _module_geometry(
    module: nn.Module, axis: int, input_shape: Sequence[int] | None
) -> list[tuple[str, int, int, int, int]]:
    """(name, kernel, stride, padding, dilation) for every geometry layer of ``module``."""
    layers: list[tuple[str, int, int, int, int]] = []
    leaves = _leaves(module) if input_shape is None else _traced_leaves(module, input_shape)
    for name, leaf in leaves:
        label = f"{name} ({type(leaf).__name__})"
        if isinstance(leaf, _UNSUPPORTED):
            raise ValueError(
                f"receptive_field: layer {label} is not supported (transposed convolutions, up-sampling, "
                "unpooling and pixel shuffles enlarge the image and have no sliding-window receptive field); "
                "pass the part of the network before it"
            )
        if isinstance(leaf, _SPATIAL_END):
            break  # flattening / global pooling: no spatial units after this
        if isinstance(leaf, nn.modules.conv._ConvNd):
            k = _pick(leaf.kernel_size, axis, "kernel_size", label)
            s = _pick(leaf.stride, axis, "stride", label)
            d = _pick(leaf.dilation, axis, "dilation", label)
            if isinstance(leaf.padding, str):  # "valid" or "same" (stride 1): torch pads total//2 first
                p = 0 if leaf.padding == "valid" else d * (k - 1) // 2
            else:
                p = _pick(leaf.padding, axis, "padding", label)
            layers.append((name, k, s, p, d))
        elif isinstance(leaf, _POOLS):
            k = _pick(leaf.kernel_size, axis, "kernel_size", label)
            s = _pick(leaf.stride if leaf.stride is not None else leaf.kernel_size, axis, "stride", label)
            p = _pick(leaf.padding, axis, "padding", label)
            d = _pick(getattr(leaf, "dilation", 1), axis, "dilation", label)
            layers.append((name, k, s, p, d))
        # anything else (activations, normalisation, dropout, identity) keeps the geometry
    return layers


def _tuple_geometry(layers: Sequence[Sequence[int]]) -> list[tuple[str, int, int, int, int]]:
    """Validate (kernel, stride, padding[, dilation]) tuples and name them layer1, layer2, ..."""
    out: list[tuple[str, int, int, int, int]] = []
    for i, spec in enumerate(layers, start=1):
        if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
            raise ValueError(
                f"layers[{i - 1}] must be a (kernel, stride, padding) or (kernel, stride, padding, dilation) "
                f"tuple, got {spec!r}"
            )
        if any(isinstance(v, bool) or not isinstance(v, int) for v in spec):
            raise ValueError(f"layers[{i - 1}] must contain ints, got {spec!r}")
        k, s, p = spec[:3]
        d = spec[3] if len(spec) == 4 else 1
        if k < 1 or s < 1 or d < 1 or p < 0:
            raise ValueError(
                f"layers[{i - 1}] = {tuple(spec)}: kernel, stride and dilation must be positive and padding "
                "non-negative"
            )
        out.append((f"layer{i}", k, s, p, d))
    return out


def receptive_field(
    layers: nn.Module | Sequence[Sequence[int]],
    axis: int = 0,
    input_shape: Sequence[int] | None = None,
) -> list[RFInfo]:
    """Receptive field after every layer of a chain of convolutions and poolings.

    Args:
        layers: an ``nn.Module`` or a sequence of ``(kernel, stride, padding)`` /
            ``(kernel, stride, padding, dilation)`` tuples. For a module, its leaf modules
            are taken in registration order (nested ``nn.Sequential`` and custom containers
            depth first): ``Conv1d``/``Conv2d`` and ``Max``/``AvgPool1d``/``2d`` give a
            record each; geometry-preserving layers (ReLU, BatchNorm, Dropout, ...) are
            skipped; the walk stops at the first ``Flatten``, ``Linear`` or adaptive pooling
            (the classifier head has no spatial units); transposed convolutions,
            up-sampling and unpooling raise ``ValueError``. The walk assumes a single chain:
            branches (residual shortcuts, Inception) are not understood.
        axis: which spatial dimension to analyse for 2D layers (0: height, 1: width).
        input_shape: optional (N, C, H, W) or (N, C, L). When given, a copy of the module
            is run once on zeros of that shape and the layers are taken in the order the
            forward pass *calls* them, so a pooling layer registered once and used twice
            counts twice.

    Returns:
        One :class:`RFInfo` per geometry layer, with ``size``, ``jump`` and ``start``
        of its output units (see the module docstring for the convention).
    """
    if isinstance(axis, bool) or axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis!r}")
    if isinstance(layers, nn.Module):
        geometry = _module_geometry(layers, axis, input_shape)
    elif isinstance(layers, (list, tuple)):
        if input_shape is not None:
            raise ValueError("input_shape only applies when layers is an nn.Module")
        geometry = _tuple_geometry(layers)
    else:
        raise ValueError(
            f"layers must be an nn.Module or a list of (kernel, stride, padding[, dilation]) tuples, "
            f"got {type(layers).__name__}"
        )
    size, jump, start = 1, 1, 0.0  # the input itself: one pixel, neighbours 1 apart, centred at 0
    records: list[RFInfo] = []
    for name, k, s, p, d in geometry:
        k_eff = d * (k - 1) + 1  # span of a dilated window, in units of the previous layer
        start = start + ((k_eff - 1) / 2 - p) * jump  # uses the previous jump
        size = size + (k_eff - 1) * jump
        jump = jump * s
        records.append(RFInfo(name, k, s, p, d, size, jump, start))
    return records


# ----------------------------------------------------------------------------- empirical field


class _DilatedAvgPool(nn.Module):
    """Stand-in for a dilated max pooling: the same windows, averaged (a depthwise conv)."""

    def __init__(self, pool: nn.MaxPool1d | nn.MaxPool2d) -> None:
        super().__init__()
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, *S) -> (N, C, *S_out) with the max pool's geometry."""
        pool = self.pool
        channels = x.shape[1]
        nd = x.dim() - 2
        kernel = pool.kernel_size if isinstance(pool.kernel_size, tuple) else (pool.kernel_size,) * nd
        weight = x.new_ones(channels, 1, *kernel)  # (C, 1, *K)
        conv = F.conv1d if nd == 1 else F.conv2d
        return conv(x, weight, None, pool.stride, pool.padding, pool.dilation, groups=channels)


def _positive_copy(module: nn.Module) -> nn.Module:
    """A float64 CPU copy in eval mode where every path from input to output has a positive weight.

    Convolution weights become ``1 / fan_in`` and biases 0; batch norms the identity
    (weight 1, bias 0, running mean 0, running variance 1); max pooling, which sends the
    gradient to a single winner, becomes average pooling over the same windows.
    """
    model = copy.deepcopy(module).double().cpu().eval()
    for name, leaf in list(model.named_modules(remove_duplicate=False)):
        if isinstance(leaf, nn.modules.conv._ConvNd):
            with torch.no_grad():
                leaf.weight.fill_(1.0 / leaf.weight[0].numel())
                if leaf.bias is not None:
                    leaf.bias.zero_()
        elif isinstance(leaf, nn.modules.batchnorm._NormBase):
            with torch.no_grad():
                if leaf.weight is not None:
                    leaf.weight.fill_(1.0)
                    leaf.bias.zero_()
                if leaf.running_mean is not None:
                    leaf.running_mean.zero_()
                    leaf.running_var.fill_(1.0)
        elif isinstance(leaf, (nn.MaxPool1d, nn.MaxPool2d)):
            dilation = leaf.dilation if isinstance(leaf.dilation, tuple) else (leaf.dilation,)
            if all(d == 1 for d in dilation):
                avg = nn.AvgPool1d if isinstance(leaf, nn.MaxPool1d) else nn.AvgPool2d
                stand_in: nn.Module = avg(leaf.kernel_size, leaf.stride, leaf.padding, ceil_mode=leaf.ceil_mode)
            elif not leaf.ceil_mode:
                stand_in = _DilatedAvgPool(leaf)
            else:
                raise ValueError(f"empirical_receptive_field: {name} combines dilation with ceil_mode, not supported")
            parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
            if name:
                setattr(parent, name.rpartition(".")[2], stand_in)
            else:
                model = stand_in
    return model


def empirical_receptive_field(
    module: nn.Module, input_shape: Sequence[int], position: int | Sequence[int]
) -> torch.Tensor:
    """Input pixels that influence one output unit, found by back-propagation.

    Works on a float64 copy of ``module`` in which every weight is positive (see
    :func:`_positive_copy`; the original is untouched), fed an all-ones input, so no
    gradient vanishes by accident: ReLUs stay active, and max pooling, which would route
    the gradient to one pixel per window, is replaced by average pooling over the same
    windows. The output at ``position`` is summed over channels and back-propagated.

    Args:
        module: a network mapping (N, C, H, W) to (N, C', H', W'), or (N, C, L) to (N, C', L').
        input_shape: the input's shape including the batch, e.g. (1, 3, 32, 32) or (1, 1, 40).
        position: the output unit: (row, col) for images, an int (or (i,)) for sequences.

    Returns:
        A bool mask (H, W) or (L,) of the input pixels with a non-zero gradient.
    """
    if not isinstance(module, nn.Module):
        raise ValueError(f"module must be an nn.Module, got {type(module).__name__}")
    shape = tuple(int(v) for v in input_shape)
    if len(shape) not in (3, 4) or any(v < 1 for v in shape):
        raise ValueError(f"input_shape must be (N, C, L) or (N, C, H, W) with positive sizes, got {tuple(input_shape)}")
    pos = (position,) if isinstance(position, int) else tuple(position)
    if len(pos) != len(shape) - 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pos):
        raise ValueError(
            f"position must give {len(shape) - 2} integer index(es) for input_shape {shape}, got {position!r}"
        )
    model = _positive_copy(module)
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)  # (N, C, *S)
    y = model(x)  # (N, C', *S')
    if not isinstance(y, torch.Tensor) or y.dim() != len(shape):
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"module must keep the layout of input_shape {shape}, its output has shape {got}")
    out_spatial = tuple(y.shape[2:])
    if any(not 0 <= p < n for p, n in zip(pos, out_spatial)):
        raise ValueError(f"position {pos} lies outside the output's spatial size {out_spatial}")
    unit = y[(0, slice(None)) + pos].sum()  # one output location, all channels, first example
    (grad,) = torch.autograd.grad(unit, x)  # (N, C, *S)
    return grad[0].abs().sum(dim=0) > 0  # (H, W) or (L,)


def field_bounds(mask: torch.Tensor) -> tuple[int, ...]:
    """Bounding box of the True entries of a receptive-field mask.

    Args:
        mask: (H, W) or (L,) bool tensor, e.g. from :func:`empirical_receptive_field`.

    Returns:
        (top, left, height, width) for a 2D mask, (left, width) for a 1D mask.
    """
    if not isinstance(mask, torch.Tensor) or mask.dim() not in (1, 2):
        got = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise ValueError(f"mask must be a 1D (L,) or 2D (H, W) tensor, got {got}")
    if not mask.any():
        raise ValueError(f"mask of shape {tuple(mask.shape)} has no True entry")
    bounds: list[int] = []
    for d in range(mask.dim()):
        other = [e for e in range(mask.dim()) if e != d]
        hit = mask.bool().any(dim=other[0]) if other else mask.bool()  # (size along d,)
        where = torch.nonzero(hit).flatten()
        bounds.append(int(where[0]))
        bounds.append(int(where[-1] - where[0] + 1))
    if mask.dim() == 2:
        top, height, left, width = bounds
        return top, left, height, width
    return bounds[0], bounds[1]
