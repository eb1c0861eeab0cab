"""Tests for course_lib.plots.training: the table and the figure that compare training runs.

Histories are built with known answers (a test loss with its minimum at a chosen epoch,
accuracies chosen by hand or drawn at random) and the table and the drawn data are
checked against NumPy computed here from the same lists; one real ``fit`` history is
checked too.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_lib.plots as plots
from course_lib.models import SimpleCNN
from course_lib.plots.training import generalization_table, plot_generalization
from course_lib.training import History, fit


def _history(best_epoch: int, epochs: int, train_acc: float, test_acc: float, seconds: float = 0.5) -> History:
    """A History whose test loss is lowest at ``best_epoch`` (1-based) and whose last accuracies are given."""
    e = np.arange(1, epochs + 1, dtype=float)
    return History(
        train_loss=list(2.0 / e),
        train_acc=list(np.linspace(0.1, train_acc, epochs)),
        val_loss=list(1.0 + 0.01 * (e - best_epoch) ** 2),
        val_acc=list(np.linspace(0.1, test_acc, epochs)),
        epoch_time=[seconds] * epochs,
    )


def test_names_are_exported_by_the_package():
    assert plots.generalization_table is generalization_table
    assert plots.plot_generalization is plot_generalization


def test_table_rows_follow_the_histories():
    runs = {"baseline": _history(4, 10, 0.95, 0.30), "dropout": _history(9, 10, 0.60, 0.35, seconds=0.25),
            "mapping": {"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.75], "val_loss": [0.9, 1.1],
                        "val_acc": [0.4, 0.5]}}
    table = generalization_table(runs)
    assert list(table.index) == ["baseline", "dropout", "mapping"]
    assert table.loc["baseline", "train acc (%)"] == pytest.approx(95.0)
    assert table.loc["baseline", "test acc (%)"] == pytest.approx(30.0)
    assert table.loc["baseline", "gap (points)"] == pytest.approx(65.0)
    assert table.loc["dropout", "gap (points)"] == pytest.approx(25.0)
    assert table.loc["baseline", "at epoch"] == 4 and table.loc["dropout", "at epoch"] == 9
    assert table.loc["baseline", "lowest test loss"] == pytest.approx(1.0)
    assert table.loc["baseline", "test loss"] == pytest.approx(1.0 + 0.01 * 36)
    assert table.loc["dropout", "train loss"] == pytest.approx(0.2)
    assert table.loc["dropout", "time (s)"] == pytest.approx(2.5)
    assert np.isnan(table.loc["mapping", "time (s)"])  # no epoch_time recorded
    assert table.loc["mapping", "at epoch"] == 1 and table.loc["mapping", "epochs"] == 2


@pytest.mark.parametrize("seed", range(5))
def test_table_on_random_histories_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    runs = {}
    for name in ["a", "b", "c"]:
        n = int(rng.integers(1, 12))
        runs[name] = History(*(list(rng.uniform(0, 1, n)) for _ in range(5)))
    table = generalization_table(runs, reference="b")
    for name, h in runs.items():
        assert table.loc[name, "gap (points)"] == pytest.approx(100 * (h.train_acc[-1] - h.val_acc[-1]))
        assert table.loc[name, "lowest test loss"] == pytest.approx(min(h.val_loss))
        assert table.loc[name, "at epoch"] == int(np.argmin(h.val_loss)) + 1
        assert table.loc[name, "test acc vs b (points)"] == pytest.approx(100 * (h.val_acc[-1] - runs["b"].val_acc[-1]))
        assert table.loc[name, "time (s)"] == pytest.approx(sum(h.epoch_time))


def test_table_of_a_real_fit():
    g = torch.Generator().manual_seed(0)
    data = (torch.rand(16, 3, 8, 8, generator=g), torch.randint(0, 2, (16,), generator=g))
    history = fit(SimpleCNN(num_classes=2, image_size=8), data, data, epochs=3, batch_size=8, device="cpu",
                  progress=False, seed=0)
    row = generalization_table({"fit": history}).loc["fit"]
    assert row["epochs"] == 3
    assert row["test acc (%)"] == pytest.approx(100 * history.val_acc[-1])
    assert row["train acc (%)"] == pytest.approx(100 * history.train_acc[-1])


def test_figure_draws_the_test_losses_and_final_accuracies():
    runs = {"baseline": _history(4, 10, 0.95, 0.30), "augmentation": _history(10, 10, 0.55, 0.40)}
    fig = plot_generalization(runs, title="remedies")
    ax_loss, ax_acc = fig.axes
    lines = [line for line in ax_loss.get_lines() if line.get_label() in runs]
    assert [line.get_label() for line in lines] == list(runs)
    for line, h in zip(lines, runs.values()):
        np.testing.assert_allclose(line.get_ydata(), h.val_loss)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 11))
    heights = [patch.get_height() for patch in ax_acc.patches]
    np.testing.assert_allclose(heights, [95.0, 55.0, 30.0, 40.0])  # train bars, then test bars
    assert [t.get_text() for t in ax_acc.texts] == ["gap 65", "gap 15"]
    assert fig._suptitle.get_text() == "remedies"


@pytest.mark.parametrize(
    "histories, kwargs, message",
    [
        ({}, {}, "histories must be a non-empty mapping"),
        ([1, 2], {}, "histories must be a non-empty mapping"),
        ({"no val": History(train_loss=[1.0], train_acc=[0.5])}, {}, "history 'no val' must have non-empty"),
        ({"ragged": {"train_loss": [1, 2], "train_acc": [1, 2], "val_loss": [1], "val_acc": [1]}}, {},
         "of one length"),
        ({"a": _history(1, 3, 0.5, 0.4)}, {"reference": "b"}, "reference must be one of the run names"),
    ],
)
def test_bad_input_is_rejected(histories, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generalization_table(histories, **kwargs)
    if not kwargs:
        with pytest.raises(ValueError, match=message):
            plot_generalization(histories)
