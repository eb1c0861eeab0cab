"""Tests for the receptive-field figures (course_lib.plots.receptive_field).

A field ``((r0, r1), (c0, c1))`` must be drawn along the outer edges of its pixels in
``imshow`` coordinates (pixel (r, c) centred at (c, r)); the margin must show every field.
"""

from __future__ import annotations

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

import course_lib.plots as plots_package
from course_lib.plots.receptive_field import field_rectangle, show_field_grid


def _random_field(rng: np.random.Generator, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """A box that may stick out of an (H, W) image by up to 4 pixels on any side."""
    r0 = int(rng.integers(-4, height))
    c0 = int(rng.integers(-4, width))
    return (r0, r0 + int(rng.integers(0, height + 4))), (c0, c0 + int(rng.integers(0, width + 4)))


def _field_patches(ax) -> list[Rectangle]:
    return [p for p in ax.patches if not p.get_label().startswith("_padding") and p.get_label() != "_image"]


def test_names_are_exported_by_the_package():
    assert plots_package.show_field_grid is show_field_grid
    assert plots_package.field_rectangle is field_rectangle


@pytest.mark.parametrize("seed", range(10))
def test_rectangle_runs_along_the_pixel_edges(seed):
    rng = np.random.default_rng(seed)
    (r0, r1), (c0, c1) = _random_field(rng, 12, 9)
    inset = float(rng.uniform(0.0, 0.4))
    _, ax = plt.subplots()
    patch = field_rectangle(ax, (r0, r1), (c0, c1), inset=inset, edgecolor="tab:blue")
    assert patch in ax.patches
    # the pixel centres r0..r1 lie inside, half a pixel (less the inset) from the edges
    assert patch.get_x() == pytest.approx(c0 - 0.5 + inset)
    assert patch.get_y() == pytest.approx(r0 - 0.5 + inset)
    assert patch.get_x() + patch.get_width() == pytest.approx(c1 + 0.5 - inset)
    assert patch.get_y() + patch.get_height() == pytest.approx(r1 + 0.5 - inset)
    assert not patch.get_fill()
    assert matplotlib.colors.same_color(patch.get_edgecolor(), "tab:blue")


def test_rectangle_covers_exactly_the_pixels_of_an_imshow_mask():
    mask = np.zeros((7, 8))
    mask[2:5, 1:7] = 1.0  # rows 2..4, columns 1..6
    _, ax = plt.subplots()
    ax.imshow(mask)
    patch = field_rectangle(ax, (2, 4), (1, 6))
    # the rectangle's corners are the image's pixel edges around the True block
    x0, y0 = patch.get_xy()
    inside = [(r, c) for r in range(7) for c in range(8)
              if x0 < c < x0 + patch.get_width() and y0 < r < y0 + patch.get_height()]
    assert sorted(inside) == sorted(zip(*np.nonzero(mask)))


@pytest.mark.parametrize("seed", range(8))
def test_grid_draws_every_field_in_order_and_a_margin_that_shows_them(seed):
    rng = np.random.default_rng(100 + seed)
    height, width = int(rng.integers(3, 15)), int(rng.integers(3, 15))
    fields = [_random_field(rng, height, width) for _ in range(int(rng.integers(1, 5)))]
    ax = show_field_grid((height, width), fields, stagger=0.0)
    drawn = _field_patches(ax)
    assert len(drawn) == len(fields)
    for patch, ((r0, r1), (c0, c1)) in zip(drawn, fields):
        assert (patch.get_x(), patch.get_y()) == pytest.approx((c0 - 0.5, r0 - 0.5))
        assert (patch.get_width(), patch.get_height()) == pytest.approx((c1 - c0 + 1, r1 - r0 + 1))
    overhang = max(0, *(max(-r0, -c0, r1 - height + 1, c1 - width + 1) for (r0, r1), (c0, c1) in fields))
    assert ax.get_xlim() == pytest.approx((-0.5 - overhang, width - 0.5 + overhang))
    assert ax.get_ylim() == pytest.approx((height - 0.5 + overhang, -0.5 - overhang))  # row 0 on top
    has_padding = any(p.get_label() == "_padding" for p in ax.patches)
    assert has_padding == (overhang > 0)


def test_stagger_moves_nested_boxes_inwards_and_styles_apply_per_field():
    fields = [((0, 2), (0, 2)), ((0, 5), (0, 5)), ((0, 6), (0, 6))]
    ax = show_field_grid((10, 10), fields, stagger=0.1, colors=["red", "blue", "green"], linestyles=["-", "--", ":"])
    drawn = _field_patches(ax)
    assert [p.get_x() for p in drawn] == pytest.approx([-0.5, -0.4, -0.3])
    assert [p.get_linestyle() for p in drawn] == ["-", "--", ":"]
    assert all(matplotlib.colors.same_color(p.get_edgecolor(), c) for p, c in zip(drawn, ["red", "blue", "green"]))
    assert [p.get_x() for p in _field_patches(show_field_grid((10, 10), fields))] == pytest.approx([-0.5] * 3)


def test_values_are_painted_with_zeros_left_blank_and_labels_make_a_legend():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 3, size=(6, 9)).astype(float)
    ax = show_field_grid((6, 9), [((1, 3), (2, 5))], values=values, labels=["unit (1, 1)"])
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.filled(0.0), values)
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), values == 0)
    assert ax.images[0].get_extent() == pytest.approx([-0.5, 8.5, 5.5, -0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unit (1, 1)"]


def test_explicit_margin_and_grid_lines():
    ax = show_field_grid((4, 5), [], margin=2, grid=True)
    assert ax.get_xlim() == pytest.approx((-2.5, 6.5))
    # one vertical line per pixel edge (5 + 2*2 + 1) and one horizontal (4 + 2*2 + 1)
    assert len(ax.lines) == (5 + 4 + 1) + (4 + 4 + 1)
    assert not show_field_grid((30, 30), []).lines  # large grids: no lines by default


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shape": (0, 4)}, "shape must be a pair"),
        ({"shape": 5}, "shape must be a pair"),
        ({"fields": [((3, 1), (0, 1))]}, r"fields\[0\] rows .* first must not exceed last"),
        ({"fields": [((0, 1.5), (0, 1))]}, r"fields\[0\] rows must be a pair"),
        ({"fields": [(0, 1, 2)]}, r"fields\[0\] must be"),
        ({"values": np.ones((3, 4))}, r"values must have shape \(4, 4\)"),
        ({"labels": ["a", "b"]}, "labels must have one entry per field"),
        ({"colors": []}, "colors must have one entry per field"),
        ({"linestyles": ["-", "--"]}, "linestyles must have one entry per field"),
        ({"margin": -1}, "margin must be"),
        ({"stagger": 0.3}, "stagger must be"),
    ],
)
def test_bad_input_raises_a_value_error_that_names_it(kwargs, message):
    args = {"shape": (4, 4), "fields": [((0, 1), (0, 1))]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        show_field_grid(**args)


def test_bad_rectangle_raises():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="cols .* first must not exceed last"):
        field_rectangle(ax, (0, 1), (4, 2))
    with pytest.raises(ValueError, match="inset must be"):
        field_rectangle(ax, (0, 1), (0, 1), inset=0.5)
