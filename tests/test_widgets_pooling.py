"""Tests for the pooling demo (course_lib.widgets.pooling).

The pure functions must compute what ``torch.nn.functional`` computes (max and average
pooling, strided slicing), the shift must move content without wrapping, and the widget
must redraw when its controls change.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.widgets as widgets_package
from course_lib.widgets.pooling import (
    POOLING_INPUTS,
    POOLING_MAX_SHIFT,
    POOLING_TYPES,
    PoolingDemo,
    draw_pooling,
    pool_plane,
    pooling_demo,
    pooling_input,
    pooling_state,
    shift_image,
    subsample2d,
)


def _drawn(fig, panel: int) -> np.ndarray:
    """The array drawn in panel ``panel`` (0: input, 1: reference output, 2: shifted output)."""
    return np.asarray(fig.axes[panel].images[0].get_array())


def _torch_pool(x: torch.Tensor, pool_type: str, k: int, s: int) -> torch.Tensor:
    """Reference pooling of an (H, W) plane with torch.nn.functional; (H_out, W_out)."""
    batch = x[None, None]
    if pool_type == "max":
        return F.max_pool2d(batch, k, s)[0, 0]
    if pool_type == "average":
        return F.avg_pool2d(batch, k, s)[0, 0]
    # sub-sampling is a strided 1x1 identity convolution, cut to the pooling's output size
    h_out = (x.shape[0] - k) // s + 1
    w_out = (x.shape[1] - k) // s + 1
    return F.conv2d(batch, torch.ones(1, 1, 1, 1), stride=s)[0, 0, :h_out, :w_out]


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.pooling_demo is pooling_demo
    assert widgets_package.draw_pooling is draw_pooling
    assert widgets_package.shift_image is shift_image


@pytest.mark.parametrize("dy, dx", [(0, 0), (1, 0), (0, -2), (-3, 2), (2, 5), (7, 0), (0, -9)])
def test_shift_image_matches_a_padded_crop(dy, dx):
    g = torch.Generator().manual_seed(dy * 10 + dx + 100)
    x = torch.randn(2, 3, 7, 9, generator=g, dtype=torch.float64)
    got = shift_image(x, dy, dx, fill=-5.0)
    # independent reference: pad generously with the fill value and cut the window at an offset
    m = 10
    padded = F.pad(x, [m, m, m, m], value=-5.0)
    expected = padded[..., m - dy : m - dy + 7, m - dx : m - dx + 9]
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    assert got.dtype == x.dtype


def test_shift_image_is_not_a_roll_and_rejects_bad_input():
    x = torch.arange(16.0).reshape(4, 4)
    moved = shift_image(x, 0, 1)
    assert torch.equal(moved[:, 0], torch.zeros(4)) and not torch.equal(moved, torch.roll(x, 1, dims=1))
    assert torch.equal(shift_image(x, 4, 0), torch.zeros(4, 4))
    with pytest.raises(ValueError, match="x must be a tensor"):
        shift_image(torch.zeros(5), 1, 0)
    with pytest.raises(ValueError, match="shift_x must be an int"):
        shift_image(x, 0, 1.5)


@pytest.mark.parametrize("k, s", [(1, 1), (2, 2), (3, 2), (2, 3), (4, 1)])
def test_subsample2d_equals_a_strided_identity_convolution(k, s):
    g = torch.Generator().manual_seed(k * 7 + s)
    x = torch.randn(2, 3, 11, 10, generator=g)
    got = subsample2d(x, k, s)
    h_out, w_out = (11 - k) // s + 1, (10 - k) // s + 1
    weight = torch.eye(3)[:, :, None, None]  # (3, 3, 1, 1): each channel to itself
    expected = F.conv2d(x, weight, stride=s)[:, :, :h_out, :w_out]
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("pool_type", POOLING_TYPES)
@pytest.mark.parametrize("k, s", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_pool_plane_equals_torch(pool_type, k, s):
    g = torch.Generator().manual_seed(k * 3 + s)
    x = torch.randn(9, 12, generator=g)
    torch.testing.assert_close(pool_plane(x, pool_type, k, s), _torch_pool(x, pool_type, k, s))


def test_pool_plane_rejects_bad_arguments():
    with pytest.raises(ValueError, match="pool_type must be one of"):
        pool_plane(torch.zeros(4, 4), "median", 2)
    with pytest.raises(ValueError, match=r"x must be a 2D tensor \(H, W\)"):
        pool_plane(torch.zeros(1, 4, 4), "max", 2)


@pytest.mark.parametrize("name", POOLING_INPUTS)
def test_inputs_move_their_content(name):
    still = pooling_input(name)
    moved = pooling_input(name, 1, -2)
    assert still.shape == moved.shape and still.dtype == torch.float32
    # the overlap shows the same content, one row down and two columns to the left
    torch.testing.assert_close(moved[1:, :-2], still[:-1, 2:], rtol=0, atol=0)
    if name != "camera":  # synthetic inputs sit on a zero margin: equal to shift_image
        torch.testing.assert_close(moved, shift_image(still, 1, -2), rtol=0, atol=0)


@pytest.mark.parametrize(
    "pool_type, k, s, dy, dx, name",
    [("max", 2, 2, 0, 1, "spots"), ("average", 3, 2, -1, 2, "camera"), ("subsample", 2, 2, 1, 0, "square"),
     ("max", 3, 1, 2, 2, "square"), ("average", 2, 2, 0, 0, "spots"), ("max", 4, 3, -3, -3, "camera")],
)
def test_drawn_arrays_equal_torch_pooling(pool_type, k, s, dy, dx, name):
    fig = draw_pooling(pool_type, k, s, dy, dx, name)
    image = pooling_input(name, dy, dx)
    reference = _torch_pool(pooling_input(name), pool_type, k, s)
    shifted = _torch_pool(image, pool_type, k, s)
    np.testing.assert_allclose(_drawn(fig, 0), image.numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(_drawn(fig, 1), reference.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_drawn(fig, 2), shifted.numpy(), rtol=1e-6, atol=1e-6)
    n_changed = int((~torch.isclose(shifted, reference, rtol=1e-6, atol=1e-6)).sum())
    assert len(fig.axes[2].patches) == n_changed
    assert f"{shifted.numel() - n_changed} of {shifted.numel()} unchanged" in fig.axes[2].get_title()


def test_no_shift_changes_nothing_and_state_counts_changes():
    for pool_type in POOLING_TYPES:
        state = pooling_state(pool_type, 2, 2, 0, 0, "camera")
        assert not state.changed.any() and state.unchanged_fraction == 1.0
    state = pooling_state("max", 2, None, 0, 1, "spots")
    assert state.stride == 2 and state.shift == (0, 1)
    assert state.unchanged_fraction == pytest.approx(1 - state.changed.float().mean().item())


def test_shift_by_the_stride_moves_the_pooled_output_by_one_cell():
    """A shift by a whole stride, on a zero margin, is a one-cell shift of the output."""
    for pool_type in POOLING_TYPES:
        state = pooling_state(pool_type, 2, 2, 2, 0, "spots")
        torch.testing.assert_close(state.output[1:], state.reference[:-1], rtol=0, atol=0)


def test_max_pooling_keeps_more_values_than_average_pooling_under_a_small_shift():
    kept = {t: pooling_state(t, 2, 2, 0, 1, "spots").unchanged_fraction for t in ("max", "average")}
    assert kept["max"] > kept["average"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pool_type": "median"}, "pool_type must be one of"),
        ({"input_name": "moon"}, "input_name must be one of"),
        ({"kernel_size": 0}, r"kernel_size must be an int in \[1, 6\], got 0"),
        ({"stride": 2.0}, r"stride must be an int in \[1, 6\], got 2.0"),
        ({"shift_x": POOLING_MAX_SHIFT + 1}, "shift_x must be an int in"),
        ({"shift_y": True}, "shift_y must be an int in"),
    ],
)
def test_draw_pooling_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_pooling(**kwargs)


def test_draw_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    fig.add_subplot(1, 1, 1)
    same = draw_pooling("max", fig=fig)
    assert same is fig and len(fig.axes) == 3


def test_widget_redraws_when_controls_change():
    demo = pooling_demo("max", 2, 2, 0, 0, "spots")
    assert isinstance(demo, PoolingDemo)
    first_png = bytes(demo.view.value)
    assert first_png.startswith(b"\x89PNG")
    assert "<b>36 of 36</b>" in demo.summary.value  # no shift: nothing changes
    assert len(demo.figure.axes[2].patches) == 0

    demo.shift_x.value = 1
    state = pooling_state("max", 2, 2, 0, 1, "spots")
    np.testing.assert_array_equal(_drawn(demo.figure, 2), state.output.numpy())
    kept = int((~state.changed).sum())
    assert f"<b>{kept} of 36</b>" in demo.summary.value and kept < 36
    assert bytes(demo.view.value) != first_png

    demo.pool_type.value = "average"
    np.testing.assert_allclose(_drawn(demo.figure, 2), _torch_pool(pooling_input("spots", 0, 1), "average", 2, 2).numpy(),
                               rtol=1e-6, atol=1e-6)

    demo.kernel_size.value = 3  # windows of 3 with stride 2: 5 x 5 outputs on 12 x 12
    assert _drawn(demo.figure, 1).shape == (5, 5)
    demo.stride.value = 1
    assert _drawn(demo.figure, 1).shape == (10, 10)

    demo.input_name.value = "camera"
    demo.shift_y.value = -2
    expected = _torch_pool(pooling_input("camera", -2, 1), "average", 3, 1)
    np.testing.assert_allclose(_drawn(demo.figure, 2), expected.numpy(), rtol=1e-6, atol=1e-6)

    demo.shift_y.value = 0
    demo.shift_x.value = 0
    assert "<b>900 of 900</b>" in demo.summary.value  # back to no shift on 30 x 30 outputs


def test_widget_offers_every_choice_and_leaves_pyplot_alone():
    before = plt.get_fignums()
    demo = pooling_demo()
    demo.pool_type.value = "subsample"
    assert plt.get_fignums() == before  # no stray pyplot figures shown twice in notebooks
    assert list(demo.pool_type.options) == list(POOLING_TYPES)
    assert list(demo.input_name.options) == list(POOLING_INPUTS)
    assert demo.shift_x.min == -POOLING_MAX_SHIFT and demo.shift_x.max == POOLING_MAX_SHIFT
