"""Figures of chapter 8 (residual networks): loss curves side by side, gradient norms per layer, gate values.

- :func:`plot_loss_curves`: one panel per group of runs (e.g. "plain" and "residual"),
  one line per run (e.g. one per depth), the same colour for the same run name in
  every panel and a shared y-axis, so the panels compare at a glance.
- :func:`plot_gradient_norms`: the norm of the gradient of every layer, from the input
  side to the output side, one line per network, on a log scale.
- :func:`plot_gate_values`: the transform-gate values of every highway layer as box
  plots, with the mean of each layer joined by a line.

Each returns the figure (a new pyplot figure, or the one that holds ``ax`` if given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plot_loss_curves", "plot_gradient_norms", "plot_gate_values"]


def _values(values: object, name: str, positive: bool = False) -> np.ndarray:
    """``values`` (a sequence, array or tensor) as a non-empty 1D float64 array of finite numbers."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {type(values).__name__}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D sequence of numbers, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain finite numbers only, got {array.tolist()}")
    if positive and np.any(array <= 0):
        raise ValueError(f"{name} must be positive for a log scale, got a minimum of {array.min()}")
    return array


def _gradient_values(values: object, name: str) -> np.ndarray:
    """``values`` as a non-empty 1D float64 array with no negative entry (``inf``/``nan`` allowed)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {type(values).__name__}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D sequence of numbers, got shape {array.shape}")
    if np.any(array < 0):
        raise ValueError(f"{name} must hold norms (>= 0), got a minimum of {np.nanmin(array)}")
    return array


def plot_loss_curves(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    x: Sequence[float] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "training loss",
    log: bool = False,
    title: str | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """One panel per group of runs, one line per run, a shared y-axis.

    Args:
        panels: ``{panel title: {run label: values}}``; every ``values`` is a 1D sequence of
            ``T`` numbers (the same ``T`` within the figure when ``x`` is given). A run
            label gets the same colour in every panel.
        x: the ``T`` positions on the x-axis; None uses ``1, ..., T``.
        xlabel, ylabel: axis labels.
        log: use a log scale on the y-axis (values must be positive).
        title: an optional title over the panels.
        size: figure size in inches; default ``(4.2 * panels, 3.4)``.

    Returns: the figure with ``len(panels)`` axes; ``fig.axes[i].lines[j].get_ydata()`` is
    the ``j``-th run of panel ``i``, in the order given.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError(f"panels must be a non-empty mapping {{panel title: {{run label: values}}}}, got {panels!r}")
    labels: list[str] = []
    checked: dict[str, dict[str, np.ndarray]] = {}
    for panel, runs in panels.items():
        if not isinstance(runs, Mapping) or not runs:
            raise ValueError(f"panels[{panel!r}] must be a non-empty mapping {{run label: values}}, got {runs!r}")
        checked[str(panel)] = {}
        for label, values in runs.items():
            array = _values(values, f"panels[{panel!r}][{label!r}]", positive=log)
            checked[str(panel)][str(label)] = array
            if str(label) not in labels:
                labels.append(str(label))
    positions = None if x is None else _values(x, "x")
    if positions is not None:
        for panel, runs in checked.items():
            for label, array in runs.items():
                if array.size != positions.size:
                    raise ValueError(
                        f"panels[{panel!r}][{label!r}] has {array.size} values but x has {positions.size}"
                    )
    colours = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    n = len(checked)
    fig, axes = plt.subplots(1, n, figsize=size or (4.2 * n, 3.4), sharey=True, squeeze=False)
    for ax, (panel, runs) in zip(axes[0], checked.items()):
        for label, array in runs.items():
            xs = positions if positions is not None else np.arange(1, array.size + 1)
            ax.plot(xs, array, marker="o", markersize=3, color=colours[label], label=label)
        ax.set_title(panel)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if log:
            ax.set_yscale("log")
    axes[0, 0].set_ylabel(ylabel)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gradient_norms(
    profiles: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    title: str | None = None,
    styles: Mapping[str, Mapping[str, object]] | None = None,
    ylabel: str = r"$\|\partial L / \partial W_l\|$ (log scale)",
) -> Figure:
    """Gradient norm per layer, from the input (layer 1) to the output, one line per network, log y.

    Args:
        profiles: ``{label: norms}`` with ``norms`` a 1D sequence of ``L`` numbers, layer 1
            first; networks may have different ``L``. A log scale cannot show a zero or an
            overflow (``inf``, ``nan``): such entries are left as gaps in the line.
        ax: the axes to draw into; None makes a new figure.
        title: an optional axes title.
        styles: optional ``{label: matplotlib line keyword arguments}`` (colour, dashes, ...).
        ylabel: the y-axis label.

    Returns: the figure; ``ax.lines[j]`` is profile ``j`` with x-data ``1, ..., L``.
    """
    if not isinstance(profiles, Mapping) or not profiles:
        raise ValueError(f"profiles must be a non-empty mapping {{label: norms}}, got {profiles!r}")
    arrays = {}
    for label, norms in profiles.items():
        array = _gradient_values(norms, f"profiles[{label!r}]")
        arrays[str(label)] = np.where(np.isfinite(array) & (array > 0), array, np.nan)  # gaps on a log scale
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 3.8))
    else:
        fig = ax.figure
    styles = styles or {}
    for label, array in arrays.items():
        kwargs: dict[str, object] = {"marker": "o", "markersize": 2.5, "linewidth": 1.2}
        kwargs.update(styles.get(label, {}))
        ax.plot(np.arange(1, array.size + 1), array, label=label, **kwargs)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_gate_values(
    gates: Sequence[torch.Tensor | np.ndarray],
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The transform-gate values ``T(x)`` of every highway layer: a box plot per layer and the means.

    Args:
        gates: one array or tensor ``(N, width)`` per highway layer (``HighwayNet.gates()``),
            values in ``[0, 1]``. Each box shows the ``width`` per-unit means over the ``N``
            examples; the line joins the overall mean of each layer.
        ax: the axes to draw into; None makes a new figure.
        title: an optional axes title.

    Returns: the figure; ``ax.lines[-1].get_ydata()`` holds the mean gate value of every layer.
    """
    if isinstance(gates, (torch.Tensor, np.ndarray)) or not isinstance(gates, Sequence) or len(gates) == 0:
        raise ValueError(f"gates must be a non-empty list of (N, width) arrays, one per layer, got {type(gates).__name__}")
    per_unit, means = [], []
    for i, gate in enumerate(gates):
        if gate is None:
            raise ValueError(f"gates[{i}] is None: run a forward pass through the network first")
        array = gate.detach().cpu().numpy() if isinstance(gate, torch.Tensor) else np.asarray(gate)
        array = array.astype(np.float64)
        if array.ndim != 2 or array.size == 0:
            raise ValueError(f"gates[{i}] must be a non-empty 2D array (N, width), got shape {array.shape}")
        if np.any(array < 0) or np.any(array > 1) or not np.all(np.isfinite(array)):
            raise ValueError(f"gates[{i}] must hold gate values in [0, 1]")
        per_unit.append(array.mean(axis=0))  # (width,)
        means.append(float(array.mean()))
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(gates) + 2.5), 3.4))
    else:
        fig = ax.figure
    layers = np.arange(1, len(gates) + 1)
    ax.boxplot(per_unit, positions=layers, widths=0.6, showfliers=False)
    ax.plot(layers, means, "o-", color="C3", label="mean over units and examples")
    ax.set_ylim(0, 1)
    ax.set_xlabel("highway layer")
    ax.set_ylabel("transform gate $T(x)$")
    ax.legend(fontsize=8, loc="upper right")
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig
