"""Matplotlib helpers for images, kernels, matrices, 1D signals and training curves.

Every chapter draws the same few kinds of figure; these helpers draw them the same
way everywhere:

- ``show_image`` / ``show_images``: a ``(C, H, W)`` or ``(H, W)`` tensor as a picture,
  or a grid of them;
- ``show_kernels``: convolution weights ``(C_out, C_in, kH, kW)`` as a grid of
  heat maps (values written in the cells for small kernels) or as colour patches;
- ``show_matrix``: a small matrix with its entries written in the cells
  (circulant matrices, ``im2col`` columns);
- ``plot_signal``: 1D signals ``(L,)`` or ``(C, L)`` as lines with markers;
- ``plot_history``: train/validation loss and accuracy per epoch.

Inputs may be torch tensors (on any device, with or without grad) or NumPy arrays.
Functions that make a new figure use ``matplotlib.pyplot``, so the figure shows up at
the end of a notebook cell by itself; assign the returned figure (``fig = ...``) so
that Jupyter does not draw it a second time as the cell's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "to_numpy",
    "image_to_array",
    "show_image",
    "show_images",
    "show_kernels",
    "show_matrix",
    "plot_signal",
    "plot_history",
]

ArrayLike = torch.Tensor | np.ndarray

#: Colour map for signed data (kernels, edge maps): blue negative, white zero, red positive.
DIVERGING_CMAP = "RdBu_r"


def to_numpy(x: ArrayLike | Sequence[float], name: str = "x") -> np.ndarray:
    """A float64 NumPy copy of a tensor (any device, grad or not), an array or a list.

    Inputs: ``x`` of any shape. Output: ``np.ndarray`` of the same shape, float64.
    """
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a tensor or an array of numbers, got {type(x).__name__}") from None


def image_to_array(image: ArrayLike, name: str = "image") -> np.ndarray:
    """Turn an image tensor in PyTorch layout into an array ``imshow`` can draw.

    Inputs: ``image`` of shape ``(H, W)``, ``(1, H, W)`` or ``(3, H, W)``.
    Output: ``(H, W)`` for one channel, ``(H, W, 3)`` for three.
    Raises ``ValueError`` naming the shape for anything else.
    """
    array = to_numpy(image, name)
    if array.ndim == 2:
        return array  # (H, W)
    if array.ndim == 3 and array.shape[0] == 1:
        return array[0]  # (H, W)
    if array.ndim == 3 and array.shape[0] == 3:
        return np.transpose(array, (1, 2, 0))  # (H, W, 3)
    raise ValueError(f"{name} must have shape (H, W), (1, H, W) or (3, H, W), got {tuple(array.shape)}")


#: Percentile used by ``robust=True``: the brightest 1% of pixels saturate.
ROBUST_PERCENTILE = 99.0


def _symmetric_limit(array: np.ndarray, robust: bool = False) -> float:
    """The largest absolute finite value of ``array``, or its 99th percentile when ``robust``.

    Returns 1.0 if there is no finite value or the limit is 0, so colour limits stay valid.
    """
    finite = np.abs(array[np.isfinite(array)])
    if not finite.size:
        return 1.0
    limit = float(np.percentile(finite, ROBUST_PERCENTILE) if robust else finite.max())
    return limit if limit > 0 else 1.0


def show_image(
    image: ArrayLike,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str | None = None,
    symmetric: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = False,
    robust: bool = False,
) -> Axes:
    """Draw one image on ``ax`` (a new figure when None) without axis ticks; return ``ax``.

    Inputs: ``image`` of shape ``(H, W)``, ``(1, H, W)`` or ``(3, H, W)``. Colour images
    are clipped to ``[0, 1]``. One-channel images use ``cmap`` (default grey) between
    ``vmin`` and ``vmax``; with ``symmetric=True`` they use a diverging map centred on
    zero (for edge maps and other signed outputs). ``robust=True`` takes the limits that
    are not given from the 1st and 99th percentiles (the 99th percentile of ``|image|``
    when symmetric), so that a few extreme pixels do not wash out the rest.
    """
    array = image_to_array(image)  # (H, W) or (H, W, 3)
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    if array.ndim == 3:
        shown = ax.imshow(np.clip(array, 0.0, 1.0), interpolation="nearest")
    else:
        if symmetric:
            limit = _symmetric_limit(array, robust)
            vmin = -limit if vmin is None else vmin
            vmax = limit if vmax is None else vmax
            cmap = cmap or DIVERGING_CMAP
        elif robust and np.isfinite(array).any():
            finite = array[np.isfinite(array)]
            vmin = float(np.percentile(finite, 100 - ROBUST_PERCENTILE)) if vmin is None else vmin
            vmax = float(np.percentile(finite, ROBUST_PERCENTILE)) if vmax is None else vmax
        shown = ax.imshow(array, cmap=cmap or "gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        if colorbar:
            ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def _grid(n: int, ncols: int, size: float, name: str) -> tuple[Figure, np.ndarray]:
    """A figure with ``n`` used axes in rows of ``ncols``; the unused ones are hidden."""
    if n < 1:
        raise ValueError(f"{name} must contain at least one item, got 0")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def show_images(
    images: Sequence[ArrayLike] | ArrayLike,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    size: float = 2.5,
    symmetric: bool | Sequence[bool] = False,
    suptitle: str | None = None,
    **kwargs: Any,
) -> Figure:
    """Draw several images in a grid of ``ncols`` columns; return the figure.

    Inputs: ``images`` a sequence of ``(H, W)``/``(1, H, W)``/``(3, H, W)`` images (their
    sizes may differ) or a batch tensor ``(N, C, H, W)`` with ``C`` 1 or 3; ``titles``
    one per image; ``symmetric`` one flag for all images or one per image (see
    ``show_image``); other keyword arguments go to ``show_image``.
    """
    if isinstance(images, (torch.Tensor, np.ndarray)):
        if images.ndim != 4:
            raise ValueError(
                f"images given as one tensor must be a batch (N, C, H, W), got shape {tuple(images.shape)}"
            )
        images = list(images)
    images = list(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image: {len(images)} images, {len(titles)} titles")
    flags = [symmetric] * len(images) if isinstance(symmetric, bool) else list(symmetric)
    if len(flags) != len(images):
        raise ValueError(f"symmetric must be a bool or have one entry per image: {len(images)} images, {len(flags)} flags")
    fig, axes = _grid(len(images), ncols, size, "images")
    for i, (ax, image) in enumerate(zip(axes, images)):
        show_image(image, ax=ax, title=None if titles is None else titles[i], symmetric=flags[i], **kwargs)
    if suptitle is not None:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _heatmap(
    ax: Axes,
    matrix: np.ndarray,
    annotate: bool,
    fmt: str,
    cmap: str,
    vmin: float,
    vmax: float,
) -> None:
    """Draw a 2D array as coloured cells on ``ax``, with its values written in the cells.

    ``NaN`` cells are drawn light grey and left blank (holes of a dilated kernel).
    """
    colours = plt.get_cmap(cmap).with_extremes(bad="0.85")
    shown = ax.imshow(np.ma.masked_invalid(matrix), cmap=colours, vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        for (row, col), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                red, green, blue, _ = colours(shown.norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # white text on dark cells
                ax.text(col, row, format(value, fmt), ha="center", va="center",
                        fontsize=8, color="white" if dark else "black")
    ax.set_xticks([])
    ax.set_yticks([])


def show_kernels(
    weight: ArrayLike,
    titles: Sequence[str] | None = None,
    annotate: bool | None = None,
    fmt: str = ".2g",
    size: float = 1.6,
    rgb: bool = False,
    ncols: int = 8,
) -> Figure:
    """Draw convolution kernels as heat maps on one shared, zero-centred colour scale.

    Inputs: ``weight`` of shape ``(kH, kW)`` (one kernel), ``(C, kH, kW)`` (a row of
    ``C`` kernels) or ``(C_out, C_in, kH, kW)`` (a grid: one row per output channel, one
    column per input channel). ``NaN`` entries are drawn as grey holes. ``annotate``
    writes the values in the cells (default: when kernels are at most 7x7). ``titles``
    label the columns of the first row.

    With ``rgb=True`` and ``C_in == 3`` each output kernel is drawn as one small colour
    image (min-max scaled per kernel), ``ncols`` per row: the usual way to look at the
    first layer of a trained network. Returns the figure.
    """
    array = to_numpy(weight, "weight")
    if array.ndim == 2:
        array = array[None, None]  # (1, 1, kH, kW)
    elif array.ndim == 3:
        array = array[None]  # (1, C, kH, kW)
    elif array.ndim != 4:
        raise ValueError(
            f"weight must have shape (kH, kW), (C, kH, kW) or (C_out, C_in, kH, kW), got {tuple(array.shape)}"
        )
    c_out, c_in, k_h, k_w = array.shape
    if rgb:
        if c_in != 3:
            raise ValueError(f"rgb=True needs weight (C_out, 3, kH, kW), got {tuple(array.shape)}")
        fig, axes = _grid(c_out, ncols, size, "weight")
        for ax, kernel in zip(axes, array):  # kernel: (3, kH, kW)
            low, high = np.nanmin(kernel), np.nanmax(kernel)
            scaled = (kernel - low) / (high - low) if high > low else np.full_like(kernel, 0.5)
            show_image(scaled, ax=ax)
        fig.tight_layout()
        return fig
    if titles is not None and len(titles) != c_in:
        raise ValueError(f"titles must have one entry per column: {c_in} columns, {len(titles)} titles")
    if annotate is None:
        annotate = max(k_h, k_w) <= 7
    limit = _symmetric_limit(array)
    fig, axes = plt.subplots(c_out, c_in, figsize=(size * c_in, size * c_out), squeeze=False)
    for o in range(c_out):
        for c in range(c_in):
            _heatmap(axes[o, c], array[o, c], annotate, fmt, DIVERGING_CMAP, -limit, limit)
    if titles is not None:
        for c, title in enumerate(titles):
            axes[0, c].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def show_matrix(
    matrix: ArrayLike,
    ax: Axes | None = None,
    title: str | None = None,
    annotate: bool = True,
    fmt: str = "g",
    cmap: str = DIVERGING_CMAP,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    symmetric: bool = True,
) -> Axes:
    """Draw a small matrix as coloured cells with its entries written in them; return ``ax``.

    Inputs: ``matrix`` of shape ``(R, C)`` (a 1D vector is drawn as one row). Colours
    are centred on zero (``symmetric=True``, for signed data such as kernels) or span
    the matrix's minimum to maximum (``symmetric=False``, e.g. pixel values with a
    sequential ``cmap``). ``row_labels``/``col_labels`` (one per row/column) name the
    rows and columns, e.g. the positions of an ``im2col`` matrix.
    """
    array = to_numpy(matrix, "matrix")
    if array.ndim == 1:
        array = array[None]  # (1, C)
    if array.ndim != 2:
        raise ValueError(f"matrix must have shape (R, C) or (C,), got {tuple(array.shape)}")
    if ax is None:
        rows, cols = array.shape
        _, ax = plt.subplots(figsize=(0.45 * cols + 1, 0.45 * rows + 0.8))
    if symmetric:
        limit = _symmetric_limit(array)
        low, high = -limit, limit
    else:
        finite = array[np.isfinite(array)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    _heatmap(ax, array, annotate, fmt, cmap, low, high)
    for labels, count, setter, axis in (
        (row_labels, array.shape[0], ax.set_yticks, "row_labels"),
        (col_labels, array.shape[1], ax.set_xticks, "col_labels"),
    ):
        if labels is not None:
            if len(labels) != count:
                raise ValueError(f"{axis} must have {count} entries for a matrix of shape {array.shape}, got {len(labels)}")
            setter(range(count), labels, fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_signal(
    signals: ArrayLike | Sequence[ArrayLike],
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    offsets: Sequence[float] | None = None,
    title: str | None = None,
    markers: bool = True,
) -> Axes:
    """Plot 1D signals against their sample index; return ``ax``.

    Inputs: ``signals`` one signal ``(L,)``, several channels ``(C, L)`` or a list of
    1D signals whose lengths may differ (an input and the shorter output of a 'valid'
    convolution). ``offsets`` shifts each signal along the x axis, e.g. by ``(k - 1) / 2``
    to line the output of a size-``k`` kernel up with the centre of its window.
    """
    if isinstance(signals, (torch.Tensor, np.ndarray)):
        array = to_numpy(signals, "signals")
        if array.ndim == 1:
            rows = [array]  # one (L,)
        elif array.ndim == 2:
            rows = list(array)  # C times (L,)
        else:
            raise ValueError(f"signals must have shape (L,) or (C, L), got {tuple(array.shape)}")
    else:
        rows = [to_numpy(s, "signals") for s in signals]
        bad = [tuple(r.shape) for r in rows if r.ndim != 1]
        if bad or not rows:
            raise ValueError(f"signals given as a list must hold 1D signals (L,), got shapes {bad or []}")
    for given, name in ((labels, "labels"), (offsets, "offsets")):
        if given is not None and len(given) != len(rows):
            raise ValueError(f"{name} must have one entry per signal: {len(rows)} signals, {len(given)} {name}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.5))
    for i, row in enumerate(rows):
        start = 0.0 if offsets is None else float(offsets[i])
        ax.plot(start + np.arange(row.shape[0]), row, marker="o" if markers else None, markersize=4,
                label=None if labels is None else labels[i])
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel("index")
    if labels is not None:
        ax.legend(fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax


_CURVES = ("train_loss", "val_loss", "train_acc", "val_acc")


def _curves(history: Any) -> dict[str, list[float]]:
    """The four curves of a ``History`` (attributes) or of a mapping with the same keys."""
    get = history.get if isinstance(history, Mapping) else lambda key, default: getattr(history, key, default)
    curves = {key: [float(v) for v in (get(key, None) or [])] for key in _CURVES}
    if not any(curves.values()):
        raise ValueError(
            f"history must have non-empty train_loss/train_acc/val_loss/val_acc lists, got {type(history).__name__}"
        )
    return curves


def plot_history(history: Any, title: str | None = None, size: tuple[float, float] = (9.0, 3.2)) -> Figure:
    """Plot loss and accuracy per epoch, training solid and validation dashed; return the figure.

    Inputs: ``history`` a ``course_lib.training.History`` (lists ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc``, one value per epoch; empty lists are
    skipped), a mapping with the same keys, or a mapping ``{run name: history}`` to
    compare several runs (one colour per run). The accuracy panel is left out when no
    run recorded accuracy.
    """
    if isinstance(history, Mapping) and not any(key in history for key in _CURVES):
        if not history:
            raise ValueError("history must be a History or a non-empty mapping {run name: History}, got {}")
        runs = {str(name): _curves(h) for name, h in history.items()}
    else:
        runs = {"": _curves(history)}
    has_acc = any(c["train_acc"] or c["val_acc"] for c in runs.values())
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=size if has_acc else (size[0] / 2, size[1]),
                             squeeze=False)
    panels = [("loss", axes[0, 0])] + ([("acc", axes[0, 1])] if has_acc else [])
    for colour, (name, curves) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 10, runs.items()):
        for kind, ax in panels:
            for split, style in (("train", "-"), ("val", "--")):
                values = curves[f"{split}_{kind}"]
                if values:
                    label = f"{name} {split}".strip()
                    ax.plot(np.arange(1, len(values) + 1), values, style, color=colour, label=label)
    for kind, ax in panels:
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if kind == "loss" else "accuracy")
        ax.legend(fontsize=8)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
