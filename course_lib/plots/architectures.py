"""Figures of chapter 7 (classic architectures): cost of the networks, the ImageNet error history.

- :func:`plot_model_costs`: parameters against multiply-adds of several networks, one
  labelled point each, on log-log axes.
- :func:`plot_error_history`: top-5 error of the ILSVRC entries by year as labelled bars,
  with an optional horizontal line for a reference such as a human annotator.

Both take plain sequences (or pandas columns) and return a new pyplot figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_model_costs", "plot_error_history"]


def _numbers(values: Sequence[float], name: str, n: int | None = None) -> np.ndarray:
    """``values`` as a 1D float array of positive finite numbers, of length ``n`` if given."""
    try:
        array = np.asarray(list(values), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D sequence of numbers, got shape {array.shape}")
    if n is not None and array.size != n:
        raise ValueError(f"{name} must have one entry per name ({n}), got {array.size}")
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be positive finite numbers, got {array.tolist()}")
    return array


def _names(names: Sequence[str], name: str) -> list[str]:
    """``names`` as a non-empty list of strings."""
    names = [str(s) for s in names]
    if not names:
        raise ValueError(f"{name} must not be empty")
    return names


def plot_model_costs(
    names: Sequence[str],
    params: Sequence[float],
    macs: Sequence[float],
    title: str | None = None,
    size: tuple[float, float] = (7.0, 4.6),
) -> Figure:
    """Parameters against multiply-adds, one labelled point per network, log-log axes.

    Args:
        names: the networks' names, length ``M``.
        params: their numbers of parameters, ``M`` positive numbers.
        macs: their multiply-adds for one image, ``M`` positive numbers.
        title: an optional title.
        size: figure size in inches.

    Returns: the figure; ``fig.axes[0].collections[0].get_offsets()`` holds the points
    ``(M, 2)`` as ``(multiply-adds in G, parameters in M)``.
    """
    names = _names(names, "names")
    p = _numbers(params, "params", len(names)) / 1e6  # (M,) millions
    m = _numbers(macs, "macs", len(names)) / 1e9  # (M,) billions
    fig, ax = plt.subplots(figsize=size)
    ax.scatter(m, p, s=40, c=[f"C{i % 10}" for i in range(len(names))], zorder=3)
    # labels right of their points; a label whose point is close to the previous one (in
    # log space, ordered by multiply-adds) goes below its point instead of above
    below = False
    previous: tuple[float, float] | None = None
    for i in np.argsort(m):
        close = previous is not None and abs(np.log10(m[i] / previous[0])) < 0.4 and abs(np.log10(p[i] / previous[1])) < 0.3
        below = (not below) if close else False
        ax.annotate(names[i], (m[i], p[i]), xytext=(5, -11 if below else 4), textcoords="offset points", fontsize=8)
        previous = (m[i], p[i])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("multiply-adds per image (billions, log scale)")
    ax.set_ylabel("parameters (millions, log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.margins(x=0.25, y=0.2)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_error_history(
    labels: Sequence[str],
    years: Sequence[int],
    errors: Sequence[float],
    reference: tuple[str, float] | None = None,
    title: str | None = None,
    size: tuple[float, float] = (7.5, 4.0),
) -> Figure:
    """Top-5 error (in %) of successive networks as bars in order, labelled with name and year.

    Args:
        labels: the networks' names, length ``M``, in the order to draw.
        years: the year of each entry, ``M`` ints.
        errors: their top-5 errors in percent, ``M`` positive numbers.
        reference: optional ``(label, error)`` drawn as a dashed horizontal line (e.g. a
            human annotator).
        title: an optional title.
        size: figure size in inches.

    Returns: the figure; ``fig.axes[0].patches`` are the ``M`` bars, whose heights are the errors.
    """
    labels = _names(labels, "labels")
    err = _numbers(errors, "errors", len(labels))  # (M,)
    yrs = _numbers(years, "years", len(labels)).astype(int)  # (M,)
    fig, ax = plt.subplots(figsize=size)
    x = np.arange(len(labels))
    bars = ax.bar(x, err, color=[f"C{i % 10}" for i in range(len(labels))], alpha=0.85)
    ax.bar_label(bars, labels=[f"{e:g}%" for e in err], fontsize=8, padding=2)
    ax.set_xticks(x, [f"{name}\n{year}" for name, year in zip(labels, yrs)], fontsize=8)
    ax.set_ylabel("top-5 error on ImageNet (%)")
    if reference is not None:
        ref_label, ref_value = reference
        ref_value = float(_numbers([ref_value], "reference")[0])
        ax.axhline(ref_value, color="0.3", linestyle="--", linewidth=1)
        ax.text(len(labels) - 0.5, ref_value, f"{ref_label}: {ref_value:g}%", ha="right", va="bottom", fontsize=8)
    ax.set_ylim(0, 1.15 * max(err.max(), reference[1] if reference else 0))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
