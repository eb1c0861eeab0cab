"""Input checks shared by every course_lib module.

Each check raises ``ValueError`` with a message that names the argument and
shows the shape or value it got, so a learner sees at once what is wrong.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

IntPair = int | tuple[int, int]


def shape_of(x: torch.Tensor) -> tuple[int, ...]:
    """The shape of ``x`` as a plain tuple, for error messages."""
    return tuple(x.shape)


def check_tensor(x: object, ndim: int, name: str, layout: str) -> torch.Tensor:
    """Check that ``x`` is a floating-point tensor with ``ndim`` dimensions.

    ``layout`` is the expected layout in words, e.g. ``"(N, C, H, W)"``.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.dim() != ndim:
        raise ValueError(f"{name} must be a {ndim}D tensor {layout}, got shape {shape_of(x)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be floating point (float32 or float64), got {x.dtype}")
    return x


def pair(value: IntPair | Sequence[int], name: str) -> tuple[int, int]:
    """Turn an int or a pair of ints into a pair ``(h, w)``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        return (value, value)
    try:
        a, b = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    if not (isinstance(a, int) and isinstance(b, int)) or isinstance(a, bool) or isinstance(b, bool):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (a, b)


def check_positive(values: Sequence[int], name: str) -> None:
    """Every entry of ``values`` must be >= 1 (strides, dilations, kernel sizes)."""
    if any(v < 1 for v in values):
        raise ValueError(f"{name} must be positive, got {tuple(values)}")


def check_non_negative(values: Sequence[int], name: str) -> None:
    """Every entry of ``values`` must be >= 0 (paddings)."""
    if any(v < 0 for v in values):
        raise ValueError(f"{name} must be non-negative, got {tuple(values)}")


def check_int(value: object, name: str, minimum: int | None = None) -> int:
    """``value`` must be an integer (Python or NumPy, never a bool), at least ``minimum``
    if given; return it as a Python int (sizes, counts, channel numbers)."""
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int{bound}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int{bound}, got {value!r}")
    return int(value)
