"""Tests for course_lib.plots.signals: each panel shows the signal it was given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_lib.plots as plots
import course_lib.plots.signals as signals_module
from course_lib.plots.signals import show_signals


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_names_are_exported_by_the_package():
    for name in signals_module.__all__:
        assert getattr(plots, name) is getattr(signals_module, name)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("layout", ["(N, L)", "(N, 1, L)", "list", "numpy"])
def test_each_panel_holds_its_signal(seed, layout):
    g = torch.Generator().manual_seed(seed)
    n, length = int(torch.randint(1, 12, (1,), generator=g)), int(torch.randint(2, 50, (1,), generator=g))
    batch = torch.randn(n, length, generator=g, requires_grad=seed % 2 == 1)  # (N, L)
    given = {"(N, L)": batch, "(N, 1, L)": batch[:, None], "list": list(batch), "numpy": batch.detach().numpy()}
    ncols = int(torch.randint(1, 7, (1,), generator=g))
    fig = show_signals(given[layout], titles=[f"signal {i}" for i in range(n)], ncols=ncols)
    axes = _visible(fig)
    assert len(axes) == n
    assert len(fig.axes) == min(ncols, n) * -(-n // min(ncols, n))  # full grid, the rest hidden
    for i, ax in enumerate(axes):
        x, y = ax.lines[0].get_data()
        np.testing.assert_array_equal(np.asarray(x), np.arange(length))
        np.testing.assert_allclose(np.asarray(y), batch[i].detach().double().numpy())
        assert ax.get_title() == f"signal {i}"


def test_signals_of_different_lengths_and_shared_y_scale():
    fig = show_signals([torch.zeros(5), torch.linspace(-3, 3, 12)], sharey=True)
    a, b = _visible(fig)
    assert len(a.lines[0].get_xdata()) == 5 and len(b.lines[0].get_xdata()) == 12
    assert a.get_ylim() == b.get_ylim()
    fig = show_signals([torch.zeros(5), torch.linspace(-3, 3, 12)], sharey=False, suptitle="two")
    a, b = _visible(fig)
    assert a.get_ylim() != b.get_ylim()
    assert fig._suptitle.get_text() == "two"


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((torch.zeros(5),), {}, r"signals must have shape \(N, L\) or \(N, 1, L\), got \(5,\)"),
        ((torch.zeros(2, 3, 5),), {}, r"got \(2, 3, 5\)"),
        (([torch.zeros(2, 2)],), {}, r"1D signals \(L,\), got shapes \[\(2, 2\)\]"),
        (([],), {}, "at least one signal"),
        ((torch.zeros(3, 4),), {"titles": ["a"]}, "titles must have one entry per signal: 3 signals, 1 titles"),
        ((torch.zeros(3, 4),), {"ncols": 0}, "ncols must be a positive int"),
        ((torch.zeros(3, 4),), {"size": (1.0,)}, "size must be a pair"),
        ((torch.zeros(3, 0),), {}, "at least one sample"),
    ],
)
def test_bad_input_raises_with_the_shapes(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        show_signals(*args, **kwargs)
