"""Tests for course_lib.plots.resnet: the figures draw exactly the numbers they get."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_lib.plots as plots_package
from course_lib.plots.resnet import plot_gate_values, plot_gradient_norms, plot_loss_curves


def test_names_are_exported_by_the_package():
    assert plots_package.plot_loss_curves is plot_loss_curves
    assert plots_package.plot_gradient_norms is plot_gradient_norms
    assert plots_package.plot_gate_values is plot_gate_values


@pytest.mark.parametrize("seed", range(4))
def test_loss_curves_draw_every_run_in_its_panel_with_one_colour_per_label(seed):
    rng = np.random.default_rng(seed)
    t = int(rng.integers(2, 9))
    labels = [f"depth {d}" for d in rng.choice(100, size=int(rng.integers(1, 4)), replace=False)]
    panels = {p: {label: rng.uniform(0.01, 3, t) for label in labels} for p in ("plain", "residual")}
    x = np.cumsum(rng.uniform(0.5, 2, t))
    fig = plot_loss_curves(panels, x=x, xlabel="images", log=bool(seed % 2), title="t")
    assert len(fig.axes) == 2
    for ax, (panel, runs) in zip(fig.axes, panels.items()):
        assert ax.get_title() == panel
        assert ax.get_yscale() == ("log" if seed % 2 else "linear")
        assert [line.get_label() for line in ax.lines] == labels
        for line, values in zip(ax.lines, runs.values()):
            np.testing.assert_allclose(line.get_ydata(), values)
            np.testing.assert_allclose(line.get_xdata(), x)
    for j in range(len(labels)):  # the same run label has the same colour in both panels
        assert fig.axes[0].lines[j].get_color() == fig.axes[1].lines[j].get_color()
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()  # shared y-axis


def test_loss_curves_default_x_and_tensor_values():
    fig = plot_loss_curves({"only": {"a": torch.tensor([3.0, 2.0, 1.0]), "b": [1.0, 0.5]}})
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(fig.axes[0].lines[1].get_xdata(), [1, 2])


@pytest.mark.parametrize(
    "panels, x, log, match",
    [
        ({}, None, False, "panels"),
        ({"p": {}}, None, False, r"panels\['p'\]"),
        ({"p": {"a": []}}, None, False, "non-empty"),
        ({"p": {"a": [1.0, np.nan]}}, None, False, "finite"),
        ({"p": {"a": [1.0, 0.0]}}, None, True, "positive"),
        ({"p": {"a": [1.0, 2.0]}}, [1.0, 2.0, 3.0], False, "x has 3"),
        ({"p": {"a": [[1.0, 2.0]]}}, None, False, "1D"),
    ],
)
def test_loss_curves_reject_bad_input(panels, x, log, match):
    with pytest.raises(ValueError, match=match):
        plot_loss_curves(panels, x=x, log=log)


@pytest.mark.parametrize("seed", range(4))
def test_gradient_norms_are_drawn_per_layer_on_a_log_scale(seed):
    rng = np.random.default_rng(seed)
    profiles = {f"net {i}": 10.0 ** rng.uniform(-6, 6, int(rng.integers(1, 60))) for i in range(3)}
    fig = plot_gradient_norms(profiles, title="norms", styles={"net 1": {"color": "k", "linestyle": "--"}})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "norms"
    for line, (label, values) in zip(ax.lines, profiles.items()):
        assert line.get_label() == label
        np.testing.assert_allclose(line.get_ydata(), values)
        np.testing.assert_allclose(line.get_xdata(), np.arange(1, len(values) + 1))
    assert ax.lines[1].get_linestyle() == "--"


def test_gradient_norms_leave_gaps_for_zero_and_overflow_and_draw_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    returned = plot_gradient_norms({"a": [1.0, 0.0, np.inf, 2.0, np.nan]}, ax=axes[1])
    assert returned is fig and len(axes[1].lines) == 1 and len(axes[0].lines) == 0
    y = np.asarray(axes[1].lines[0].get_ydata(), dtype=float)
    np.testing.assert_array_equal(np.isnan(y), [False, True, True, False, True])
    np.testing.assert_allclose(y[[0, 3]], [1.0, 2.0])


@pytest.mark.parametrize("profiles, match", [({}, "profiles"), ({"a": [1.0, -1.0]}, ">= 0"), ({"a": []}, "non-empty")])
def test_gradient_norms_reject_bad_input(profiles, match):
    with pytest.raises(ValueError, match=match):
        plot_gradient_norms(profiles)


@pytest.mark.parametrize("seed", range(4))
def test_gate_values_show_the_mean_of_every_layer(seed):
    g = torch.Generator().manual_seed(seed)
    gates = [torch.rand(int(torch.randint(1, 20, (1,), generator=g)), 7, generator=g) ** (i + 1) for i in range(5)]
    fig = plot_gate_values(gates, title="gates")
    ax = fig.axes[0]
    means = ax.lines[-1].get_ydata()
    np.testing.assert_allclose(means, [float(t.double().mean()) for t in gates], rtol=1e-6)
    np.testing.assert_allclose(ax.lines[-1].get_xdata(), np.arange(1, 6))
    assert ax.get_ylim() == (0.0, 1.0) and ax.get_title() == "gates"
    # the boxes summarise the per-unit means: some box line of the first layer sits at their median
    median = float(np.median(gates[0].double().mean(0).numpy()))
    medians = [line for line in ax.lines[:-1]
               if np.allclose(line.get_ydata(), median) and np.allclose(np.mean(line.get_xdata()), 1.0)]
    assert medians, "no box has the median of the first layer's unit means"


@pytest.mark.parametrize(
    "gates, match",
    [
        ([], "non-empty"),
        (torch.rand(3, 4), "list"),
        ([torch.rand(3, 4), None], r"gates\[1\] is None"),
        ([torch.rand(3)], "2D"),
        ([torch.rand(3, 4) + 1.0], r"\[0, 1\]"),
    ],
)
def test_gate_values_reject_bad_input(gates, match):
    with pytest.raises(ValueError, match=match):
        plot_gate_values(gates)
