"""Tests for the 1D convolution explorer (course_lib.widgets.conv1d).

The computation must equal ``torch.nn.functional.conv1d``; the drawing must show that
output, under the right window centres, with the length ``conv_output_size`` predicts;
the widget must redraw when its controls change.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.widgets as widgets_package
from course_lib.conv import conv_output_size
from course_lib.data import load_mnist1d
from course_lib.widgets.conv import resolve_padding
from course_lib.widgets.conv1d import (
    CONV1D_PADDINGS,
    SIGNAL_KERNELS,
    Conv1dDemo,
    conv1d_demo,
    conv1d_demo_output,
    draw_conv1d_demo,
    window_centres,
)


@pytest.fixture(scope="module")
def train_x() -> torch.Tensor:
    """The MNIST-1D training signals, (4000, 1, 40)."""
    return load_mnist1d()[0].tensors[0]


def _reference(signal: torch.Tensor, kernel_name: str, stride: int, padding: int, dilation: int) -> torch.Tensor:
    """The demo's output computed with torch.nn.functional.conv1d, (L_out,)."""
    weight = SIGNAL_KERNELS[kernel_name].to(signal.dtype)[None, None]  # (1, 1, k)
    return F.conv1d(signal[None, None], weight, stride=stride, padding=padding, dilation=dilation)[0, 0]


def _drawn_output(fig) -> tuple[np.ndarray, np.ndarray]:
    """x (window centres) and y (output values) of the output line of a demo figure."""
    line = fig.axes[2].lines[0]
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.conv1d_demo is conv1d_demo
    assert widgets_package.draw_conv1d_demo is draw_conv1d_demo
    assert widgets_package.SIGNAL_KERNELS is SIGNAL_KERNELS


def test_kernels_are_odd_1d_float_tensors_and_sum_as_documented():
    for name, kernel in SIGNAL_KERNELS.items():
        assert kernel.dtype == torch.float32 and kernel.dim() == 1 and kernel.shape[0] % 2 == 1, name
    for name in ("identity", "smooth 3", "smooth 5"):
        assert SIGNAL_KERNELS[name].sum().item() == pytest.approx(1.0), name
    for name in ("edge", "second difference"):
        assert SIGNAL_KERNELS[name].sum().item() == pytest.approx(0.0), name
    # a difference kernel gives zero on a constant and the slope (times 2) on a ramp
    ramp = torch.arange(10.0)
    out, _ = conv1d_demo_output(ramp, "edge")
    torch.testing.assert_close(out, torch.full((8,), 2.0))
    out, _ = conv1d_demo_output(ramp, "second difference")
    torch.testing.assert_close(out, torch.zeros(8))


@pytest.mark.parametrize("seed", range(12))
def test_output_equals_torch_on_random_signals(seed):
    g = torch.Generator().manual_seed(seed)
    names = list(SIGNAL_KERNELS)
    name = names[seed % len(names)]
    stride = int(torch.randint(1, 5, (1,), generator=g))
    dilation = int(torch.randint(1, 5, (1,), generator=g))
    padding = CONV1D_PADDINGS[seed % len(CONV1D_PADDINGS)]
    dtype = torch.float64 if seed % 2 else torch.float32
    signal = torch.randn(int(torch.randint(25, 60, (1,), generator=g)), generator=g, dtype=dtype)  # (L,)
    out, p = conv1d_demo_output(signal, name, stride, padding, dilation)
    k = SIGNAL_KERNELS[name].shape[0]
    assert p == resolve_padding(padding, k, dilation)
    assert out.dtype == dtype
    assert out.shape == (conv_output_size(signal.shape[0], k, stride, p, dilation),)
    torch.testing.assert_close(out, _reference(signal, name, stride, p, dilation))


@pytest.mark.parametrize("k, s, p, d", [(3, 1, 0, 1), (3, 2, 0, 1), (5, 1, 2, 1), (3, 3, 1, 2), (5, 2, 4, 3)])
def test_window_centres_are_the_centres_of_the_windows_torch_reads(k, s, p, d):
    length = 30
    n_out = conv_output_size(length, k, s, p, d)
    centres = window_centres(n_out, k, s, p, d)
    # Convolving the index ramp (padded with its own continuation) with a centred average
    # gives the centre of each window: every tap reads its own position.
    positions = torch.arange(-p, length + p, dtype=torch.float64)[None, None]  # (1, 1, L + 2p)
    mean = torch.full((1, 1, k), 1.0 / k, dtype=torch.float64)
    expected = F.conv1d(positions, mean, stride=s, dilation=d)[0, 0]  # (n_out,)
    np.testing.assert_allclose(centres, expected.numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "index, kernel_name, stride, padding, dilation",
    [(0, "edge", 1, "valid", 1), (7, "smooth 5", 2, "same", 1), (123, "second difference", 3, "full", 2),
     (3999, "random", 1, 2, 4), (42, "identity", 4, 1, 3), (5, "smooth 3", 2, "valid", 2)],
)
def test_drawn_output_equals_torch_on_the_mnist1d_example(train_x, index, kernel_name, stride, padding, dilation):
    fig = draw_conv1d_demo(index, kernel_name, stride, padding, dilation)
    assert len(fig.axes) == 3
    signal = train_x[index, 0]  # (40,)
    k = SIGNAL_KERNELS[kernel_name].shape[0]
    p = resolve_padding(padding, k, dilation)
    x_drawn, y_drawn = _drawn_output(fig)
    np.testing.assert_allclose(y_drawn, _reference(signal, kernel_name, stride, p, dilation).numpy(),
                               rtol=1e-5, atol=1e-6)
    n_out = conv_output_size(40, k, stride, p, dilation)
    assert y_drawn.shape == (n_out,)
    np.testing.assert_allclose(x_drawn, stride * np.arange(n_out) + dilation * (k - 1) / 2 - p)
    assert f"length {n_out}" in fig.axes[2].get_title()
    assert fig.axes[2].get_xlabel().endswith(f"= {n_out}")
    # the input panel shows the example itself; the kernel panel marks k taps
    np.testing.assert_array_equal(np.asarray(fig.axes[0].lines[0].get_ydata()), signal.numpy())
    assert f"k = {k}" in fig.axes[1].get_title() and f"spans {dilation * (k - 1) + 1}" in fig.axes[1].get_title()


def test_draw_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    fig.add_subplot(1, 1, 1)
    same = draw_conv1d_demo(1, "smooth 3", fig=fig)
    assert same is fig and len(fig.axes) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel_name": "gabor"}, "kernel_name must be one of"),
        ({"index": 4000}, r"index must be an int in \[0, 3999\]"),
        ({"index": -1}, r"index must be an int in \[0, 3999\]"),
        ({"stride": 0}, "stride must be an int >= 1, got 0"),
        ({"dilation": 2.0}, "dilation must be an int >= 1, got 2.0"),
        ({"padding": "half"}, "padding must be one of"),
    ],
)
def test_draw_conv1d_demo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_conv1d_demo(**kwargs)


def test_output_rejects_a_bad_signal_and_a_kernel_longer_than_the_signal():
    with pytest.raises(ValueError, match=r"signal must be a 1D tensor \(L,\), got shape \(1, 40\)"):
        conv1d_demo_output(torch.zeros(1, 40))
    with pytest.raises(ValueError, match="signal must be floating point"):
        conv1d_demo_output(torch.zeros(40, dtype=torch.int64))
    with pytest.raises(ValueError):  # 'smooth 5' with dilation 4 spans 17 samples
        conv1d_demo_output(torch.zeros(10), "smooth 5", dilation=4)


def test_widget_redraws_when_controls_change(train_x):
    demo = conv1d_demo(0, "edge")
    assert isinstance(demo, Conv1dDemo)
    first_x, first_y = _drawn_output(demo.figure)
    first_png = bytes(demo.view.value)
    assert first_png.startswith(b"\x89PNG") and first_y.shape == (38,)
    assert "output length <b>38</b>" in demo.summary.value

    demo.stride.value = 2  # fewer output positions, spread twice as far apart
    n = conv_output_size(40, 3, 2, 0, 1)
    x, y = _drawn_output(demo.figure)
    assert y.shape == (n,) and np.allclose(np.diff(x), 2.0)
    assert f"output length <b>{n}</b>" in demo.summary.value
    assert bytes(demo.view.value) != first_png

    demo.stride.value = 1
    np.testing.assert_array_equal(_drawn_output(demo.figure)[1], first_y)  # back to the first state

    demo.kernel.value = "smooth 3"  # same length, other values
    _, other = _drawn_output(demo.figure)
    assert other.shape == first_y.shape and not np.allclose(other, first_y)
    np.testing.assert_allclose(other, _reference(train_x[0, 0], "smooth 3", 1, 0, 1).numpy(), rtol=1e-5, atol=1e-6)

    demo.padding.value = "same"
    assert _drawn_output(demo.figure)[1].shape == (40,)
    demo.padding.value = "full"
    assert _drawn_output(demo.figure)[1].shape == (42,)
    demo.dilation.value = 3  # full padding grows with the dilation
    assert _drawn_output(demo.figure)[1].shape == (46,)

    demo.index.value = 17  # another example
    np.testing.assert_allclose(_drawn_output(demo.figure)[1],
                               _reference(train_x[17, 0], "smooth 3", 1, 6, 3).numpy(), rtol=1e-5, atol=1e-6)


def test_widget_offers_every_kernel_and_leaves_pyplot_alone():
    before = plt.get_fignums()
    demo = conv1d_demo()
    demo.kernel.value = "random"
    assert plt.get_fignums() == before  # no stray pyplot figures shown twice in notebooks
    assert list(demo.kernel.options) == list(SIGNAL_KERNELS)
    assert demo.index.max == 3999
