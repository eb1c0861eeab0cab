"""Tests for the equivariance demo (course_lib.widgets.equivariance).

The drawn maps are compared with an independent computation: the window cut from the
photo by hand, ``torch.nn.functional.conv2d`` with the Gabor filter written out from its
formula, and ``torch.nn.functional.max_pool2d`` of the quadrature energy. The widget must
redraw when its controls change.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.widgets as widgets_package
from course_lib.data import sample_image
from course_lib.widgets.equivariance import (
    EQUIVARIANCE_IMAGES,
    MAX_SHIFT,
    POOL_SIZES,
    EquivarianceDemo,
    draw_equivariance,
    equivariance_demo,
    equivariance_maps,
)

SIZE = 48  # small windows keep the tests fast
K, SIGMA, WAVELENGTH, GAMMA = 11, 2.0, 5.0, 0.5  # the demo's filter, as documented


def _filters(theta_degrees: float) -> torch.Tensor:
    """The even and odd Gabor filter from the formula, zero mean and unit norm, (2, 1, K, K)."""
    theta = math.radians(theta_degrees)
    c = (K - 1) / 2
    rows, cols = torch.meshgrid(torch.arange(K, dtype=torch.float64) - c, torch.arange(K, dtype=torch.float64) - c,
                                indexing="ij")
    xr = cols * math.cos(theta) + rows * math.sin(theta)
    yr = -cols * math.sin(theta) + rows * math.cos(theta)
    envelope = torch.exp(-(xr**2 + GAMMA**2 * yr**2) / (2 * SIGMA**2))
    out = []
    for phase in (0.0, math.pi / 2):
        f = envelope * torch.cos(2 * math.pi * xr / WAVELENGTH + phase)
        f = f - f.mean()
        out.append(f / f.norm())
    return torch.stack(out)[:, None].float()


def _reference(image_name: str, shift_x: int, shift_y: int, theta: float, pool: int):
    """(window, feature, pooled) computed by hand for one state."""
    photo = sample_image(image_name, size=SIZE + 2 * MAX_SHIFT, gray=True)  # (1, S, S)
    top, left = MAX_SHIFT - shift_y, MAX_SHIFT - shift_x
    window = photo[None, :, top : top + SIZE, left : left + SIZE]  # (1, 1, SIZE, SIZE)
    responses = F.conv2d(window, _filters(theta))  # (1, 2, H', W')
    energy = torch.sqrt(responses[:, :1] ** 2 + responses[:, 1:] ** 2)
    return window[0, 0], responses[0, 0], F.max_pool2d(energy, pool)[0, 0]


def _drawn(fig):
    feature = np.asarray(fig.axes[1].images[0].get_array())
    pooled = np.asarray(fig.axes[2].images[0].get_array())
    changes = [bar.get_height() for bar in fig.axes[3].patches]
    return feature, pooled, changes


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.equivariance_demo is equivariance_demo
    assert widgets_package.draw_equivariance is draw_equivariance
    assert widgets_package.equivariance_maps is equivariance_maps


@pytest.mark.parametrize(
    "image_name, shift_x, shift_y, theta, pool",
    [("camera", 0, 0, 0.0, 4), ("camera", 3, 0, 0.0, 8), ("coins", -5, 2, 45.0, 4), ("astronaut", 7, -7, 90.0, 2),
     ("chelsea", MAX_SHIFT, -MAX_SHIFT, 135.0, 16)],
)
def test_maps_equal_an_independent_computation(image_name, shift_x, shift_y, theta, pool):
    state = equivariance_maps(image_name, shift_x, shift_y, theta, pool, size=SIZE)
    window, feature, pooled = _reference(image_name, shift_x, shift_y, theta, pool)
    torch.testing.assert_close(state.image, window)
    torch.testing.assert_close(state.feature, feature, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(state.pooled, pooled, rtol=1e-4, atol=1e-5)
    _, feature0, pooled0 = _reference(image_name, 0, 0, theta, pool)
    torch.testing.assert_close(state.reference_feature, feature0, rtol=1e-4, atol=1e-5)
    expected_change = ((feature - feature0).norm() / feature0.norm()).item()
    assert state.feature_change == pytest.approx(expected_change, rel=1e-4, abs=1e-6)
    assert state.pooled_change == pytest.approx(((pooled - pooled0).norm() / pooled0.norm()).item(), rel=1e-4, abs=1e-6)
    assert state.shift == (shift_y, shift_x)


@pytest.mark.parametrize("shift_x, shift_y", [(1, 0), (0, 3), (-4, 2), (6, -5)])
def test_the_feature_map_moves_with_the_photo(shift_x, shift_y):
    state = equivariance_maps("camera", shift_x, shift_y, 30.0, 8, size=SIZE)
    h, w = state.feature.shape
    moved = torch.roll(state.reference_feature, shifts=(shift_y, shift_x), dims=(0, 1))
    rows = slice(max(shift_y, 0), h + min(shift_y, 0))
    cols = slice(max(shift_x, 0), w + min(shift_x, 0))
    torch.testing.assert_close(state.feature[rows, cols], moved[rows, cols], rtol=1e-4, atol=1e-5)
    assert state.aligned_change < 1e-5
    assert state.feature_change > 0.2


def test_no_shift_means_no_change_and_pooling_changes_less_than_the_feature_map():
    still = equivariance_maps("camera", 0, 0, 0.0, 8, size=SIZE)
    assert still.feature_change == 0.0 and still.pooled_change == 0.0 and still.aligned_change == 0.0
    moved = equivariance_maps("camera", 2, 0, 0.0, 16, size=SIZE)
    assert moved.pooled_change < moved.feature_change


def test_drawing_shows_the_state():
    fig = draw_equivariance("coins", 4, -3, 60.0, 8, size=SIZE)
    state = equivariance_maps("coins", 4, -3, 60.0, 8, size=SIZE)
    feature, pooled, changes = _drawn(fig)
    np.testing.assert_array_equal(feature, state.feature.numpy())
    np.testing.assert_array_equal(pooled, state.pooled.numpy())
    np.testing.assert_allclose(changes, [state.feature_change, state.aligned_change, state.pooled_change])
    np.testing.assert_array_equal(np.asarray(fig.axes[0].images[0].get_array()), state.image.numpy())
    assert "x = 4, y = -3" in fig.axes[0].get_title()
    assert "8×8" in fig.axes[2].get_title() and "60°" in fig.axes[1].get_title()


def test_draw_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    fig.add_subplot(1, 1, 1)
    same = draw_equivariance(fig=fig, size=SIZE, pool_size=4)
    assert same is fig and len(fig.axes) == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_name": "moon"}, "image_name must be one of"),
        ({"shift_x": MAX_SHIFT + 1}, rf"shift_x must be an int in \[-{MAX_SHIFT}, {MAX_SHIFT}\]"),
        ({"shift_y": 1.5}, "shift_y must be an int"),
        ({"pool_size": 0}, "pool_size must be an int in"),
        ({"pool_size": SIZE}, "pool_size must be an int in"),
        ({"theta_degrees": float("inf")}, "theta_degrees must be a finite number"),
        ({"size": 5}, "size must be an int in"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        equivariance_maps(**{"size": SIZE, "pool_size": 4, **kwargs})


def test_widget_redraws_when_controls_change():
    before = plt.get_fignums()
    demo = equivariance_demo(pool_size=8, size=SIZE)
    assert isinstance(demo, EquivarianceDemo)
    first_feature, first_pooled, first_changes = _drawn(demo.figure)
    first_png = bytes(demo.view.value)
    assert first_png.startswith(b"\x89PNG") and first_changes == [0.0, 0.0, 0.0]

    demo.shift_x.value = 3  # the photo moves: the feature map moves with it
    feature, pooled, changes = _drawn(demo.figure)
    _, expected_feature, expected_pooled = _reference("camera", 3, 0, 0.0, 8)
    np.testing.assert_allclose(feature, expected_feature.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pooled, expected_pooled.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(feature[:, 3:], first_feature[:, :-3], rtol=1e-4, atol=1e-5)
    assert changes[0] > changes[2] > 0 and changes[1] < 1e-5
    assert bytes(demo.view.value) != first_png
    assert f"{changes[0]:.2f}" in demo.summary.value

    demo.shift_y.value = -2
    assert _drawn(demo.figure)[0].shape == first_feature.shape
    demo.shift_x.value, demo.shift_y.value = 0, 0  # back to the first state
    np.testing.assert_array_equal(_drawn(demo.figure)[0], first_feature)

    demo.pool_size.value = 4  # finer pooling: more cells
    n = SIZE - K + 1  # side of the feature map
    assert first_pooled.shape == (n // 8, n // 8) and _drawn(demo.figure)[1].shape == (n // 4, n // 4)
    demo.theta.value = 90.0
    assert not np.allclose(_drawn(demo.figure)[0], first_feature)
    demo.image.value = "coins"
    _, expected_feature, _ = _reference("coins", 0, 0, 90.0, 4)
    np.testing.assert_allclose(_drawn(demo.figure)[0], expected_feature.numpy(), rtol=1e-4, atol=1e-5)
    assert plt.get_fignums() == before  # no stray pyplot figures


def test_widget_offers_the_documented_choices():
    demo = equivariance_demo(size=SIZE, pool_size=4)
    assert list(demo.image.options) == list(EQUIVARIANCE_IMAGES)
    assert list(demo.pool_size.options) == list(POOL_SIZES)
    assert demo.shift_x.min == -MAX_SHIFT and demo.shift_x.max == MAX_SHIFT
