"""Comparing training runs: a table of the generalisation gap and a figure of it.

Chapter 5 trains the same network on the same data several times, once per remedy
against over-fitting, and compares the runs. :func:`generalization_table` turns their
histories into one row each (final training and test accuracy, the gap between them,
the test loss at the end and at its lowest); :func:`plot_generalization` draws the test
loss per epoch of every run next to bars of the final accuracies.

A history is a ``course_lib.training.History`` or a mapping with the same lists
(``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``; ``epoch_time`` optional),
one value per epoch; ``val_*`` is the held-out (test) data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["generalization_table", "plot_generalization"]

_REQUIRED = ("train_loss", "train_acc", "val_loss", "val_acc")


def _lists(history: Any, name: str) -> dict[str, list[float]]:
    """The per-epoch lists of one history; ValueError naming the run if one is missing or empty."""
    get = history.get if isinstance(history, Mapping) else (lambda key, default: getattr(history, key, default))
    lists = {key: [float(v) for v in (get(key, None) or [])] for key in (*_REQUIRED, "epoch_time")}
    lengths = {key: len(lists[key]) for key in _REQUIRED}
    if min(lengths.values()) == 0 or len(set(lengths.values())) != 1:
        raise ValueError(
            f"history {name!r} must have non-empty train_loss, train_acc, val_loss and val_acc lists of one "
            f"length (fit with validation data), got lengths {lengths}"
        )
    return lists


def _check_runs(histories: Mapping[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Validate ``{run name: history}`` and return the lists of every run."""
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(f"histories must be a non-empty mapping {{run name: History}}, got {histories!r}")
    return {str(name): _lists(history, str(name)) for name, history in histories.items()}


def generalization_table(histories: Mapping[str, Any], reference: str | None = None) -> pd.DataFrame:
    """One row per run: how well it fits the training data and how well it generalises.

    Args:
        histories: ``{run name: history}``, all measured on the same held-out data.
        reference: a run name; adds the column ``test acc vs <reference> (points)``, the
            difference of final test accuracies with that run. None adds nothing.

    Returns:
        A DataFrame indexed by run name, in the order given, with the columns
        ``train acc (%)``, ``test acc (%)`` (last epoch), ``gap (points)`` (train minus
        test accuracy), ``train loss``, ``test loss`` (last epoch), ``lowest test loss``,
        ``at epoch`` (1-based epoch of the lowest test loss), ``epochs`` and, when the
        histories recorded it, ``time (s)`` (total).
    """
    runs = _check_runs(histories)
    if reference is not None and reference not in runs:
        raise ValueError(f"reference must be one of the run names {list(runs)}, got {reference!r}")
    rows = {}
    for name, h in runs.items():
        best = int(np.argmin(h["val_loss"]))
        row = {
            "train acc (%)": 100 * h["train_acc"][-1],
            "test acc (%)": 100 * h["val_acc"][-1],
            "gap (points)": 100 * (h["train_acc"][-1] - h["val_acc"][-1]),
            "train loss": h["train_loss"][-1],
            "test loss": h["val_loss"][-1],
            "lowest test loss": h["val_loss"][best],
            "at epoch": best + 1,
            "epochs": len(h["val_loss"]),
        }
        if h["epoch_time"]:
            row["time (s)"] = float(sum(h["epoch_time"]))
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    if reference is not None:
        table.insert(2, f"test acc vs {reference} (points)", table["test acc (%)"] - table.loc[reference, "test acc (%)"])
    return table


def plot_generalization(
    histories: Mapping[str, Any],
    title: str | None = None,
    size: tuple[float, float] = (10.0, 3.4),
) -> Figure:
    """Test loss per epoch of every run (left) and final training and test accuracy (right).

    Args:
        histories: ``{run name: history}`` as for :func:`generalization_table`.
        title: figure title, or None.
        size: figure size in inches.

    Returns:
        The figure. Left axes: one line per run, ``val_loss`` against the epoch (1, 2, ...),
        its lowest point marked with a dot. Right axes: per run a pair of bars, the last
        ``train_acc`` and ``val_acc`` in percent (first all training bars, then all test
        bars, in ``ax.patches``), the gap written above each pair.
    """
    runs = _check_runs(histories)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [1.2, 1]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, h) in enumerate(runs.items()):
        epochs = np.arange(1, len(h["val_loss"]) + 1)
        colour = colours[i % len(colours)]
        ax_loss.plot(epochs, h["val_loss"], color=colour, label=name)
        best = int(np.argmin(h["val_loss"]))
        ax_loss.plot(epochs[best], h["val_loss"][best], "o", color=colour, markersize=5)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("test loss")
    ax_loss.set_title("test loss (dot: lowest)")
    ax_loss.legend(fontsize=8)

    names = list(runs)
    positions = np.arange(len(names))
    train = np.array([100 * runs[n]["train_acc"][-1] for n in names])
    test = np.array([100 * runs[n]["val_acc"][-1] for n in names])
    width = 0.38
    ax_acc.bar(positions - width / 2, train, width, color="tab:gray", label="train")
    ax_acc.bar(positions + width / 2, test, width, color="tab:blue", label="test")
    for x, a, b in zip(positions, train, test):
        ax_acc.annotate(f"gap {a - b:.0f}", (x, max(a, b)), textcoords="offset points", xytext=(0, 3),
                        ha="center", fontsize=8)
    ax_acc.set_xticks(positions, names, rotation=20, ha="right")
    ax_acc.set_ylabel("accuracy (%), last epoch")
    ax_acc.set_ylim(0, 112)
    ax_acc.legend(fontsize=8, loc="upper right")
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
