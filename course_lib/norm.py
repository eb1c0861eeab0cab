"""Batch normalisation from scratch.

For every channel ``c`` batch normalisation computes the mean and variance of all the
values of that channel in the batch (over N and, for images, H and W), standardises
them, then applies a learnable scale ``gamma_c`` and shift ``beta_c`` that can undo the
standardisation if training wants to:

    y = gamma_c * (x - mean_c) / sqrt(var_c + eps) + beta_c

During training the statistics come from the batch (biased variance, dividing by the
number of values m) and exponential running averages are kept for evaluation:

    running_mean <- (1 - momentum) * running_mean + momentum * mean_c
    running_var  <- (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)

(the running variance uses the *unbiased* estimate, as PyTorch does). In evaluation mode
the running statistics replace the batch ones, so an example's output no longer depends
on the other examples in its batch.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import shape_of

__all__ = ["batch_norm", "BatchNorm2d"]


def _check_channel_vector(v: torch.Tensor | None, name: str, channels: int, x: torch.Tensor) -> None:
    """``v`` must be None or a tensor of shape (C,) matching the channels of ``x``."""
    if v is None:
        return
    if not isinstance(v, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape ({channels},) or None, got {type(v).__name__}")
    if tuple(v.shape) != (channels,):
        raise ValueError(
            f"{name} must have shape ({channels},) for x of shape {shape_of(x)} (C={channels}), got {shape_of(v)}"
        )


def batch_norm(
    x: torch.Tensor,
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Batch normalisation, equal to ``F.batch_norm`` (outputs, gradients, running statistics).

    Args:
        x: (N, C), (N, C, L) or (N, C, H, W) floating-point input; statistics are taken per
            channel C over every other dimension.
        running_mean, running_var: (C,) running statistics. In training mode they are
            updated IN PLACE (the variance with the unbiased batch variance) unless None;
            in evaluation mode they are required and used instead of the batch statistics.
        weight, bias: (C,) learnable scale gamma and shift beta, or None (1 and 0).
        training: use batch statistics (True) or running statistics (False).
        momentum: weight of the new batch in the running averages, in [0, 1].
        eps: added to the variance before the square root, > 0 keeps it finite.

    Returns:
        A tensor shaped like ``x``, differentiable with respect to x, weight and bias.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor of shape (N, C), (N, C, L) or (N, C, H, W), got {type(x).__name__}")
    if x.dim() not in (2, 3, 4, 5):
        raise ValueError(f"x must be a 2D to 5D tensor (N, C, ...) such as (N, C, H, W), got shape {shape_of(x)}")
    if not x.is_floating_point():
        raise ValueError(f"x must be floating point (float32 or float64), got {x.dtype}")
    channels = x.shape[1]
    for v, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        _check_channel_vector(v, name, channels, x)
    if not 0.0 <= float(momentum) <= 1.0:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
    if eps < 0:
        raise ValueError(f"eps must be non-negative, got {eps!r}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be tensors or both be None")

    dims = [0] + list(range(2, x.dim()))  # every dimension except the channels
    shape = [1, channels] + [1] * (x.dim() - 2)  # (1, C, 1, 1) for images: broadcasts per channel
    if training:
        count = x.numel() // max(channels, 1)  # m: values per channel in the batch
        if count <= 1:
            raise ValueError(
                f"batch_norm needs more than 1 value per channel when training, got x of shape {shape_of(x)}"
            )
        mean = x.mean(dim=dims)  # (C,)
        var = x.var(dim=dims, unbiased=False)  # (C,) biased: divides by m
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                unbiased = var.detach() * (count / (count - 1))  # (C,)
                running_mean.mul_(1.0 - momentum).add_(mean.detach().to(running_mean.dtype), alpha=momentum)
                running_var.mul_(1.0 - momentum).add_(unbiased.to(running_var.dtype), alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode (training=False) needs running_mean and running_var")
        mean = running_mean.to(x.dtype)  # (C,)
        var = running_var.to(x.dtype)  # (C,)

    y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + eps)  # standardised, same shape as x
    if weight is not None:
        y = y * weight.view(shape)  # scale gamma
    if bias is not None:
        y = y + bias.view(shape)  # shift beta
    return y


class BatchNorm2d(nn.Module):
    """Batch normalisation for images (N, C, H, W), a drop-in for ``torch.nn.BatchNorm2d``.

    Parameters ``weight`` (ones) and ``bias`` (zeros), buffers ``running_mean`` (zeros),
    ``running_var`` (ones) and ``num_batches_tracked`` (0, int64): the same state_dict
    keys and shapes as torch's layer, so ``ours.load_state_dict(torch_bn.state_dict())``
    works both ways.

    Args:
        num_features: number of channels C.
        eps: added to the variance inside the square root.
        momentum: weight of each new batch in the running averages; ``None`` gives the
            cumulative average over all batches seen (factor 1 / num_batches_tracked),
            as in torch.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))  # gamma (C,)
        self.bias = nn.Parameter(torch.zeros(num_features))  # beta (C,)
        self.register_buffer("running_mean", torch.zeros(num_features))  # (C,)
        self.register_buffer("running_var", torch.ones(num_features))  # (C,)
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen."""
        self.running_mean.zero_()
        self.running_var.fill_(1.0)
        self.num_batches_tracked.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, H, W) -> (N, C, H, W); batch statistics if ``self.training``, else running ones."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            got = shape_of(x) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"BatchNorm2d expects x of shape (N, C, H, W), got {got}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}) expects x with {self.num_features} channels (N, "
                f"{self.num_features}, H, W), got shape {shape_of(x)}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        return batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=momentum,
            eps=self.eps,
        )  # (N, C, H, W)

    def extra_repr(self) -> str:
        """Shown by ``print(module)``."""
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
