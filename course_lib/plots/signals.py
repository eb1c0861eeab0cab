"""Matplotlib helpers for collections of 1D signals (MNIST-1D examples, digit templates).

``plot_signal`` in :mod:`course_lib.plots.images` overlays a few signals on one axis;
the helper here gives each signal a panel of its own, which is how a data set of
short signals is best looked at:

- ``show_signals``: a grid of small line plots, one per signal, on a shared y scale.

Inputs may be torch tensors (on any device, with or without grad), NumPy arrays or
lists. The function makes a new figure with ``matplotlib.pyplot``; assign the result
(``fig = ...``) so that Jupyter does not draw it twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib.plots.images import to_numpy

__all__ = ["show_signals"]

ArrayLike = torch.Tensor | np.ndarray


def _signal_rows(signals: ArrayLike | Sequence[ArrayLike]) -> list[np.ndarray]:
    """``signals`` as a list of 1D float arrays.

    Accepts a batch ``(N, L)``, a batch with one channel ``(N, 1, L)`` (as MNIST-1D is
    stored) or a sequence of 1D signals whose lengths may differ.
    """
    if isinstance(signals, (torch.Tensor, np.ndarray)):
        array = to_numpy(signals, "signals")
        if array.ndim == 3 and array.shape[1] == 1:
            array = array[:, 0]  # (N, 1, L) -> (N, L)
        if array.ndim != 2:
            raise ValueError(f"signals must have shape (N, L) or (N, 1, L), got {tuple(array.shape)}")
        rows = list(array)  # N times (L,)
    else:
        rows = [to_numpy(s, "signals") for s in signals]
        bad = [tuple(r.shape) for r in rows if r.ndim != 1]
        if bad:
            raise ValueError(f"signals given as a list must hold 1D signals (L,), got shapes {bad}")
    if not rows:
        raise ValueError("signals must contain at least one signal, got 0")
    if any(row.shape[0] == 0 for row in rows):
        raise ValueError(f"every signal must have at least one sample, got lengths {[r.shape[0] for r in rows]}")
    return rows


def show_signals(
    signals: ArrayLike | Sequence[ArrayLike],
    titles: Sequence[str] | None = None,
    ncols: int = 5,
    size: tuple[float, float] = (2.3, 1.6),
    sharey: bool = True,
    markers: bool = False,
    color: str = "tab:blue",
    suptitle: str | None = None,
) -> Figure:
    """Draw each signal in a panel of its own, in a grid of ``ncols`` columns; return the figure.

    Inputs: ``signals`` a batch ``(N, L)`` or ``(N, 1, L)``, or a sequence of ``N`` 1D
    signals ``(L_i,)``; ``titles`` one per signal; ``size`` the ``(width, height)`` of one
    panel in inches; ``sharey`` puts every panel on the same y scale (so amplitudes can
    be compared); ``markers`` draws a dot per sample.

    Output: a figure whose first ``N`` axes hold one signal each, in order, as their first
    line (x: the sample index ``0 .. L_i - 1``, y: the values); unused panels of the last
    row are hidden. A grey line marks zero.
    """
    rows = _signal_rows(signals)
    if titles is not None and len(titles) != len(rows):
        raise ValueError(f"titles must have one entry per signal: {len(rows)} signals, {len(titles)} titles")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    if len(size) != 2 or not all(float(v) > 0 for v in size):
        raise ValueError(f"size must be a pair of positive numbers (width, height), got {size!r}")
    ncols = min(ncols, len(rows))
    nrows = -(-len(rows) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False,
                             sharex=False, sharey=sharey)
    for ax in axes.flat[len(rows):]:
        ax.set_visible(False)
    for i, (ax, row) in enumerate(zip(axes.flat, rows)):
        ax.plot(np.arange(row.shape[0]), row, color=color, marker="o" if markers else None, markersize=3,
                linewidth=1.4)
        ax.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
        ax.tick_params(labelsize=7)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle is not None:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
