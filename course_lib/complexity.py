"""What a network costs: parameters and multiply-adds, layer by layer.

A *multiply-add* (MAC) is one product added to a running sum, ``s += w * x``. A
convolution with ``C_in`` input channels, ``C_out`` output channels and a ``k x k``
kernel that produces an ``H_out x W_out`` map does

    MACs = C_in * C_out * k * k * H_out * W_out      (divide by ``groups`` if grouped)

and a linear layer ``in_features -> out_features`` does ``in_features * out_features``
per example. The counts here follow the usual convention of the papers (GoogLeNet's
"1.5 billion multiply-adds"): only the weights of convolutions and linear layers are
counted; biases, batch normalisation, activations and pooling are not (they cost one
operation per output value, are cheap next to the products, and are often fused).

- :func:`conv2d_macs`: the formula above.
- :func:`count_macs`: the MACs of one forward pass, measured with forward hooks.
- :func:`layer_table`: name, type, output shape, parameters and MACs of every layer.
- :func:`inception_cost`: the layers of an Inception module, with or without its 1x1
  reductions (Szegedy et al., 2015, fig. 2), computed from the branch widths alone;
  :func:`inception_totals` adds them up.

Hooks see ``torch.nn`` modules only (``nn.Conv1d/2d/3d``, ``nn.ConvTranspose*``,
``nn.Linear``); a convolution written as a functional call inside ``forward`` is not
counted. A model built on the ``meta`` device (``with torch.device("meta"): ...``) is
measured without allocating or computing anything: only the shapes are propagated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn

from course_lib._validate import check_int, check_positive, pair

__all__ = ["conv2d_macs", "count_macs", "layer_table", "LayerCost", "inception_cost", "inception_totals"]


def conv2d_macs(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    output_size: int | tuple[int, int],
    groups: int = 1,
) -> int:
    """Multiply-adds of one 2D convolution for one example: ``C_in/groups * C_out * kH * kW * H_out * W_out``.

    Args:
        in_channels, out_channels: ``C_in`` and ``C_out``; both divisible by ``groups``.
        kernel_size: ``k`` or ``(kH, kW)``.
        output_size: ``H_out`` or ``(H_out, W_out)``, the size of the output map.
        groups: number of channel groups (1 for an ordinary convolution).

    Returns: the number of multiply-adds (an ``int``), biases not counted.
    """
    check_int(in_channels, "in_channels", 1)
    check_int(out_channels, "out_channels", 1)
    check_int(groups, "groups", 1)
    kh, kw = pair(kernel_size, "kernel_size")
    check_positive((kh, kw), "kernel_size")
    h, w = pair(output_size, "output_size")
    check_positive((h, w), "output_size")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})"
        )
    return (in_channels // groups) * out_channels * kh * kw * h * w


def _module_macs(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> int:
    """Multiply-adds done by one call of ``module`` (whole batch), or 0 for other layer types."""
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = math.prod(module.kernel_size)
        if module.transposed:
            # every input value is multiplied by C_out/groups * k^d weights
            return inputs[0].numel() * (module.out_channels // module.groups) * kernel  # x: (N, C_in, ...)
        # every output value is a dot product of C_in/groups * k^d terms
        return output.numel() * (module.in_channels // module.groups) * kernel  # out: (N, C_out, ...)
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features  # out: (..., out_features)
    return 0


def _first_shape(output: Any) -> tuple[int, ...]:
    """The shape of a module's output: the tensor itself, or the first tensor of a tuple/list/dict."""
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    values = output.values() if isinstance(output, dict) else output
    if isinstance(values, (tuple, list)) or isinstance(output, dict):
        for item in values:
            if isinstance(item, torch.Tensor):
                return tuple(item.shape)
    return ()


def _check_input_shape(input_shape: object) -> tuple[int, ...]:
    """``input_shape`` must be a sequence of at least two positive ints ``(N, C, ...)``."""
    if not isinstance(input_shape, Sequence) or isinstance(input_shape, str) or len(input_shape) < 2:
        raise ValueError(f"input_shape must be a sequence of ints like (N, C, H, W), got {input_shape!r}")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in input_shape):
        raise ValueError(f"input_shape must contain positive ints, got {tuple(input_shape)!r}")
    return tuple(input_shape)


def _trace(model: nn.Module, input_shape: Sequence[int]) -> list[dict[str, Any]]:
    """Run ``model`` once on zeros of ``input_shape`` and record every call of a leaf module.

    The input is created on the device and with the dtype of the model's first parameter
    (CPU float32 if it has none). The model runs in evaluation mode under ``torch.no_grad``;
    its training flag is restored afterwards. Returns one record per call, in call order,
    with keys ``name, type, output_shape, params, macs``; a module called twice gets two
    records, its parameters counted in the first only.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = _check_input_shape(input_shape)
    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32

    records: list[dict[str, Any]] = []
    seen: set[int] = set()
    names = {module: name for name, module in model.named_modules()}

    def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        params = 0
        if id(module) not in seen:
            seen.add(id(module))
            params = sum(p.numel() for p in module.parameters(recurse=False))
        records.append(
            {
                "name": names[module] or type(module).__name__,
                "type": type(module).__name__,
                "output_shape": _first_shape(output),
                "params": params,
                "macs": _module_macs(module, inputs, output),
            }
        )

    leaves = [m for m in model.modules() if next(iter(m.children()), None) is None]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(shape, device=device, dtype=dtype))  # (N, C, ...)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return records


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of one forward pass of ``model`` on a batch of shape ``input_shape``.

    Counts the weights of ``nn.Conv*``, ``nn.ConvTranspose*`` and ``nn.Linear`` layers,
    measured with forward hooks on one forward pass of zeros (evaluation mode, no
    gradients). Biases, normalisation, activations and pooling are not counted.

    Args:
        model: any ``nn.Module``; a model on the ``meta`` device is measured for free.
        input_shape: the input batch shape including the batch size, e.g. ``(1, 3, 224, 224)``.

    Returns: the multiply-adds for the whole batch (linear in ``N``), an ``int``.
    """
    return int(sum(r["macs"] for r in _trace(model, input_shape)))


def layer_table(model: nn.Module, input_shape: Sequence[int]) -> pd.DataFrame:
    """One row per layer call of a forward pass: name, type, output shape, parameters, MACs.

    Args:
        model: any ``nn.Module``.
        input_shape: the input batch shape including the batch size, e.g. ``(1, 1, 32, 32)``.

    Returns: a ``pandas.DataFrame`` with columns ``name`` (as in ``named_modules``),
    ``type``, ``output_shape`` (a tuple, batch dimension first), ``params`` (parameters
    owned by that layer, counted at its first call) and ``macs`` (multiply-adds of that
    call, see :func:`count_macs`), one row per call of a leaf module, in call order.
    The column sums equal ``count_macs`` and the number of parameters of the leaf modules.
    """
    rows = _trace(model, input_shape)
    return pd.DataFrame(rows, columns=["name", "type", "output_shape", "params", "macs"])


@dataclass(frozen=True)
class LayerCost:
    """The cost of one layer of an Inception module (one example).

    Attributes:
        branch: which branch (``"1x1"``, ``"3x3"``, ``"5x5"``, ``"pool"``).
        layer: what the layer is, e.g. ``"1x1 reduce"``, ``"3x3 conv"``, ``"3x3 max pool"``.
        in_channels, out_channels: channels in and out.
        kernel_size: side of the square kernel.
        params: weights (plus bias, or plus batch-norm scale and shift).
        macs: multiply-adds on the ``H x W`` map (``0`` for pooling).
    """

    branch: str
    layer: str
    in_channels: int
    out_channels: int
    kernel_size: int
    params: int
    macs: int


def inception_cost(
    in_channels: int,
    size: int | tuple[int, int],
    ch1x1: int,
    ch3x3red: int,
    ch3x3: int,
    ch5x5red: int,
    ch5x5: int,
    pool_proj: int,
    *,
    reductions: bool = True,
    kernel5x5: int = 5,
    batch_norm: bool = False,
) -> list[LayerCost]:
    """The layers of an Inception module and what each costs, from the branch widths alone.

    With ``reductions=True`` this is the module of Szegedy et al. (2015, fig. 2b, and
    :class:`course_lib.models.InceptionModule`): a 1x1 convolution; a 1x1 reduction to
    ``ch3x3red`` then a 3x3 convolution; a 1x1 reduction to ``ch5x5red`` then a 5x5
    convolution; a 3x3 max pooling then a 1x1 projection to ``pool_proj``. With
    ``reductions=False`` it is the naive module of fig. 2a: the 1x1, 3x3 and 5x5
    convolutions act on the input directly and the pooled input is concatenated as it
    is, so ``ch3x3red``, ``ch5x5red`` and ``pool_proj`` are ignored. All convolutions
    keep the ``H x W`` size (stride 1, "same" padding).

    Args:
        in_channels: channels of the input map.
        size: ``H`` or ``(H, W)`` of the input (and output) map; 28 for inception (3a).
        ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj: branch widths, as in the paper's table 1.
        reductions: use the 1x1 reductions and the pool projection (fig. 2b) or not (fig. 2a).
        kernel5x5: kernel of the third branch, 5 in the paper (torchvision uses 3).
        batch_norm: each convolution has no bias but a batch norm (2 parameters per output
            channel), as in torchvision and ``InceptionModule``; ``False``: a bias (the paper).

    Returns: a list of :class:`LayerCost`, one per layer; the module's output has
    ``sum(out_channels)`` over the last layer of each branch channels, and costs the
    sums of ``params`` and ``macs``.
    """
    for value, name in [
        (in_channels, "in_channels"),
        (ch1x1, "ch1x1"),
        (ch3x3red, "ch3x3red"),
        (ch3x3, "ch3x3"),
        (ch5x5red, "ch5x5red"),
        (ch5x5, "ch5x5"),
        (pool_proj, "pool_proj"),
        (kernel5x5, "kernel5x5"),
    ]:
        check_int(value, name, 1)
    h, w = pair(size, "size")
    check_positive((h, w), "size")

    def conv(branch: str, layer: str, c_in: int, c_out: int, k: int) -> LayerCost:
        extra = 2 * c_out if batch_norm else c_out  # BN scale and shift, or a bias
        return LayerCost(branch, layer, c_in, c_out, k, c_in * c_out * k * k + extra, conv2d_macs(c_in, c_out, k, (h, w)))

    k5 = kernel5x5
    if reductions:
        return [
            conv("1x1", "1x1 conv", in_channels, ch1x1, 1),
            conv("3x3", "1x1 reduce", in_channels, ch3x3red, 1),
            conv("3x3", "3x3 conv", ch3x3red, ch3x3, 3),
            conv("5x5", "1x1 reduce", in_channels, ch5x5red, 1),
            conv("5x5", f"{k5}x{k5} conv", ch5x5red, ch5x5, k5),
            LayerCost("pool", "3x3 max pool", in_channels, in_channels, 3, 0, 0),
            conv("pool", "1x1 projection", in_channels, pool_proj, 1),
        ]
    return [
        conv("1x1", "1x1 conv", in_channels, ch1x1, 1),
        conv("3x3", "3x3 conv", in_channels, ch3x3, 3),
        conv("5x5", f"{k5}x{k5} conv", in_channels, ch5x5, k5),
        LayerCost("pool", "3x3 max pool", in_channels, in_channels, 3, 0, 0),
    ]


def inception_totals(costs: Sequence[LayerCost]) -> dict[str, int]:
    """Output channels, parameters and multiply-adds of a module from :func:`inception_cost`.

    Args:
        costs: the layers of one module, as returned by :func:`inception_cost`.

    Returns: ``{"out_channels": ..., "params": ..., "macs": ...}``; the output channels are
    those of the last layer of each branch (the branches are concatenated).
    """
    if not costs or not all(isinstance(c, LayerCost) for c in costs):
        raise ValueError("costs must be a non-empty list of LayerCost, as returned by inception_cost")
    last: dict[str, LayerCost] = {}
    for c in costs:
        last[c.branch] = c  # the final layer of each branch
    return {
        "out_channels": sum(c.out_channels for c in last.values()),
        "params": sum(c.params for c in costs),
        "macs": sum(c.macs for c in costs),
    }
