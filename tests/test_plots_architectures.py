"""Tests for course_lib.plots.architectures: the figures draw exactly the numbers they get."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course_lib.plots as plots_package
from course_lib.plots.architectures import plot_error_history, plot_model_costs


def test_names_are_exported_by_the_package():
    assert plots_package.plot_model_costs is plot_model_costs
    assert plots_package.plot_error_history is plot_error_history


@pytest.mark.parametrize("seed", range(5))
def test_model_costs_points_are_the_numbers_given(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 8))
    params = rng.uniform(1e4, 2e8, m)
    macs = rng.uniform(1e5, 3e10, m)
    names = [f"net{i}" for i in range(m)]
    fig = plot_model_costs(names, params, macs, title="costs")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.stack([macs / 1e9, params / 1e6], axis=1))
    assert sorted(t.get_text() for t in ax.texts) == sorted(names)
    for t in ax.texts:  # each label sits at its own point
        i = names.index(t.get_text())
        np.testing.assert_allclose(t.xy, (macs[i] / 1e9, params[i] / 1e6))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "costs"


@pytest.mark.parametrize("seed", range(5))
def test_error_history_bars_have_the_given_heights(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 8))
    errors = rng.uniform(1, 30, m)
    years = list(range(2010, 2010 + m))
    labels = [f"entry{i}" for i in range(m)]
    fig = plot_error_history(labels, years, errors, reference=("human", 5.1))
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], errors)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [f"{label}\n{year}" for label, year in zip(labels, years)]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(5.1)
    assert any("human" in t.get_text() for t in ax.texts)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="params"):
        plot_model_costs(["a", "b"], [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="macs"):
        plot_model_costs(["a"], [1.0], [0.0])
    with pytest.raises(ValueError, match="names"):
        plot_model_costs([], [], [])
    with pytest.raises(ValueError, match="errors"):
        plot_error_history(["a"], [2012], ["x"])
    with pytest.raises(ValueError, match="years"):
        plot_error_history(["a", "b"], [2012], [1.0, 2.0])
    with pytest.raises(ValueError, match="reference"):
        plot_error_history(["a"], [2012], [1.0], reference=("human", -1.0))
