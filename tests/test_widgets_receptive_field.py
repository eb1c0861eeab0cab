"""Tests for the receptive-field demo (course_lib.widgets.receptive_field).

The path counts are checked against an independent computation (the transposed
convolutions of torch.nn.functional applied to a one-hot output, which is the adjoint of
the stack) and against ``empirical_receptive_field``; the drawn box against
``receptive_field``; the widget must redraw when its sliders move.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib.widgets as widgets_package
from course_lib.receptive_field import empirical_receptive_field, field_bounds, receptive_field
from course_lib.widgets.receptive_field import (
    DEMO_STACK,
    ReceptiveFieldDemo,
    conv_stack,
    draw_receptive_field,
    half_padding,
    path_counts,
    receptive_field_demo,
    stack_output_size,
)


def _random_stack(seed: int) -> tuple[list[tuple[int, int, int]], int]:
    """1 to 3 random layers (kernel 1..7, stride 1..3, dilation 1..4) and an input size that fits them."""
    rng = np.random.default_rng(seed)
    layers = [(int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)))
              for _ in range(int(rng.integers(1, 4)))]
    return layers, int(rng.integers(12, 40))


def _sizes(layers, n: int) -> list[int]:
    """Side of the input and of every layer's output, from the torch formula (floor division)."""
    sizes = [n]
    for k, s, d in layers:
        p = d * (k - 1) // 2
        sizes.append((sizes[-1] + 2 * p - d * (k - 1) - 1) // s + 1)
    return sizes


def _adjoint_counts(layers, n: int, unit: tuple[int, int]) -> torch.Tensor:
    """Path counts by transposed convolutions of a one-hot output with all-ones kernels, (n, n)."""
    sizes = _sizes(layers, n)
    z = torch.zeros(1, 1, sizes[-1], sizes[-1], dtype=torch.float64)
    z[0, 0, unit[0], unit[1]] = 1.0
    for (k, s, d), n_in in zip(reversed(layers), reversed(sizes[:-1])):
        p = d * (k - 1) // 2
        natural = (z.shape[-1] - 1) * s - 2 * p + d * (k - 1) + 1  # size conv_transpose2d gives without extra
        z = F.conv_transpose2d(z, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=p,
                               output_padding=n_in - natural, dilation=d)
    return z[0, 0]


def _fits(layers, n: int) -> bool:
    sizes = _sizes(layers, n)
    return all(size >= 1 for size in sizes) and all(
        size_in + 2 * (d * (k - 1) // 2) >= d * (k - 1) + 1 for (k, s, d), size_in in zip(layers, sizes))


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.receptive_field_demo is receptive_field_demo
    assert widgets_package.draw_receptive_field is draw_receptive_field
    assert widgets_package.path_counts is path_counts


@pytest.mark.parametrize("k, d", [(1, 1), (3, 1), (3, 2), (5, 3), (7, 4)])
def test_half_padding_keeps_the_size_for_odd_kernels_at_stride_1(k, d):
    x = torch.zeros(1, 1, 17, 17)
    out = F.conv2d(x, torch.zeros(1, 1, k, k), padding=half_padding(k, d), dilation=d)
    assert out.shape[-2:] == (17, 17)


@pytest.mark.parametrize("seed", range(12))
def test_stack_output_size_and_conv_stack_agree_with_torch(seed):
    layers, n = _random_stack(seed)
    if not _fits(layers, n):
        with pytest.raises(ValueError):
            stack_output_size(layers, n)
        return
    stack = conv_stack(layers)
    assert all(isinstance(m, nn.Conv2d) and m.bias is None and bool((m.weight == 1).all()) for m in stack)
    x = torch.randn(2, 1, n, n, dtype=torch.float64)
    y = x
    for k, s, d in layers:  # the same stack with torch.nn.functional directly
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=d * (k - 1) // 2, dilation=d)
    torch.testing.assert_close(stack(x), y)
    assert stack_output_size(layers, n) == y.shape[-1] == _sizes(layers, n)[-1]


@pytest.mark.parametrize("seed", range(25))
def test_path_counts_equal_the_adjoint_and_the_empirical_field_and_the_arithmetic(seed):
    layers, n = _random_stack(1000 + seed)
    if not _fits(layers, n):
        layers, n = [(3, 2, 1), (3, 1, 2)], 20
    out = _sizes(layers, n)[-1]
    rng = np.random.default_rng(seed)
    unit = (int(rng.integers(0, out)), int(rng.integers(0, out)))
    counts = path_counts(layers, unit, n)
    assert counts.shape == (n, n) and counts.dtype == torch.float64
    torch.testing.assert_close(counts, _adjoint_counts(layers, n, unit), rtol=0, atol=0)
    # the non-zero pixels are the field found by the library on a network with random weights
    torch.manual_seed(seed)
    modules, c_in = [], 1
    for k, s, d in layers:
        modules += [nn.Conv2d(c_in, 2, k, s, d * (k - 1) // 2, d), nn.ReLU()]
        c_in = 2
    net = nn.Sequential(*modules)
    mask = empirical_receptive_field(net, (1, 1, n, n), unit)
    assert torch.equal(counts > 0, mask)
    # the same set by propagating index sets backwards through the layers, one axis at a time
    sizes = _sizes(layers, n)
    expected = torch.zeros(n, n, dtype=torch.bool)
    rows, cols = _input_indices(layers, sizes, unit[0]), _input_indices(layers, sizes, unit[1])
    expected[np.ix_(rows, cols)] = True
    assert torch.equal(counts > 0, expected)
    # its bounding box lies inside the arithmetic field clipped to the image, and equals it
    # when that field lies inside the image (otherwise every layer's own padding clips more)
    last = receptive_field([(k, s, d * (k - 1) // 2, d) for k, s, d in layers])[-1]
    (r0, r1), (c0, c1) = last.bounds(unit[0]), last.bounds(unit[1])
    top, left, height, width = field_bounds(counts > 0)
    assert max(r0, 0) <= top and top + height - 1 <= min(r1, n - 1)
    assert max(c0, 0) <= left and left + width - 1 <= min(c1, n - 1)
    if r0 >= 0 and c0 >= 0 and r1 < n and c1 < n:
        assert (top, top + height - 1, left, left + width - 1) == (r0, r1, c0, c1)


def _input_indices(layers, sizes: list[int], index: int) -> list[int]:
    """Input indices (one axis) that reach output index ``index``, found by walking the layers back."""
    current = {index}
    for (k, s, d), n_in in zip(reversed(layers), reversed(sizes[:-1])):
        p = d * (k - 1) // 2
        current = {u * s - p + t * d for u in current for t in range(k)} & set(range(n_in))
    return sorted(current)


def test_border_fields_can_be_smaller_than_the_clipped_arithmetic():
    # a 2x2 window with stride 2 on 5 pixels keeps units for pixels 0-1 and 2-3 and drops
    # pixel 4; the next layer's padding unit stands where pixels 4-5 would be, so the last
    # unit does not see pixel 4 although the arithmetic box (0..5) covers it
    layers, n = [(2, 2, 1), (3, 1, 1)], 5
    counts = path_counts(layers, (1, 1), n)
    last = receptive_field([(k, s, d * (k - 1) // 2, d) for k, s, d in layers])[-1]
    assert last.bounds(1) == (0, 5)
    assert torch.nonzero(counts[1]).flatten().tolist() == [0, 1, 2, 3]


def test_path_counts_of_two_3x3_layers_are_the_self_convolution_of_the_kernel():
    counts = path_counts([(3, 1, 1), (3, 1, 1)], (5, 5), 11)
    box = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    expected = F.conv2d(F.pad(box, (2, 2, 2, 2)), box)[0, 0]  # (5, 5): 1 2 3 2 1 outer products
    torch.testing.assert_close(counts[3:8, 3:8], expected)
    assert counts.sum() == 81 and int((counts > 0).sum()) == 25


@pytest.mark.parametrize("seed", range(8))
def test_drawing_shows_the_counts_and_the_arithmetic_box(seed):
    layers, n = _random_stack(2000 + seed)
    if not _fits(layers, n):
        layers, n = list(DEMO_STACK), 24
    out = _sizes(layers, n)[-1]
    fig = draw_receptive_field(layers, None, n)
    centre = (out // 2, out // 2)
    drawn = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(drawn.filled(0.0), _adjoint_counts(layers, n, centre).numpy())
    last = receptive_field([(k, s, d * (k - 1) // 2, d) for k, s, d in layers])[-1]
    (r0, r1), (c0, c1) = last.bounds(centre[0]), last.bounds(centre[1])
    box = [p for p in fig.axes[0].patches if p.get_label() == "_field0"][0]
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == pytest.approx(
        (c0 - 0.5, r0 - 0.5, c1 - c0 + 1, r1 - r0 + 1))
    marker = fig.axes[1].images[0].get_array().filled(0.0)
    assert marker.shape == (out, out) and marker[centre] == 1 and marker.sum() == 1
    assert f"receptive field {last.size}×{last.size}" in fig._suptitle.get_text()
    assert f"output {out}×{out}" in fig.axes[1].get_title()
    assert len(fig.axes[1].get_xlabel().splitlines()) == len(layers)


def test_drawing_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    draw_receptive_field(DEMO_STACK, (0, 0), 16, fig=fig)
    first = fig.axes[0].images[0].get_array().filled(0.0).copy()
    draw_receptive_field(DEMO_STACK, (3, 5), 16, fig=fig)
    assert len(fig.axes) == 2
    assert not np.array_equal(first, fig.axes[0].images[0].get_array().filled(0.0))


@pytest.mark.parametrize(
    "args, message",
    [
        (([], None, 16), "layers must be a non-empty list"),
        (([(3, 1)], None, 16), r"layers\[0\] must be a \(kernel, stride, dilation\) triple"),
        (([(3, 0, 1)], None, 16), r"layers\[0\] stride must be an int >= 1"),
        (([(3, 1, 1)], (16, 0), 16), r"unit \(16, 0\) lies outside the output of size 16 x 16"),
        (([(3, 1, 1)], 4, 16), "unit must be a pair"),
        (([(3, 1, 1)], None, 0), "input_size must be an int >= 1"),
        (([(7, 3, 1), (7, 3, 1), (4, 1, 1)], None, 8), "kernel"),
    ],
)
def test_bad_input_raises_a_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        draw_receptive_field(*args)


def _png(demo: ReceptiveFieldDemo) -> bytes:
    return bytes(demo.view.value)


def test_widget_redraws_when_its_sliders_move():
    demo = receptive_field_demo(input_size=24)
    assert isinstance(demo, ReceptiveFieldDemo)
    assert demo.layers() == list(DEMO_STACK)
    out = _sizes(list(DEMO_STACK), 24)[-1]
    assert (demo.row.max, demo.row.value, demo.col.value) == (out - 1, out // 2, out // 2)
    before, summary = _png(demo), demo.summary.value
    counts_before = demo.figure.axes[0].images[0].get_array().filled(0.0).copy()

    demo.dilations[2].value = 4  # a wider last layer: a larger field
    assert _png(demo) != before
    assert demo.summary.value != summary
    after = demo.figure.axes[0].images[0].get_array().filled(0.0)
    np.testing.assert_array_equal(after, path_counts(demo.layers(), (out // 2, out // 2), 24).numpy())
    assert (after > 0).sum() > (counts_before > 0).sum()

    demo.strides[0].value = 3  # a smaller output: the unit sliders follow it, back to the centre
    out = _sizes(demo.layers(), 24)[-1]
    assert (demo.row.max, demo.col.max, demo.row.value) == (out - 1, out - 1, out // 2)

    before = _png(demo)
    demo.row.value = 0  # another unit: another field
    assert _png(demo) != before
    np.testing.assert_array_equal(demo.figure.axes[0].images[0].get_array().filled(0.0),
                                  path_counts(demo.layers(), (0, out // 2), 24).numpy())

    demo.depth.value = 1  # only the first layer
    assert demo.layers() == [(3, 3, 1)]
    assert len(demo.figure.axes[1].get_xlabel().splitlines()) == 1


def test_widget_reports_a_stack_that_does_not_fit():
    demo = ReceptiveFieldDemo([(3, 3, 1), (4, 1, 1)], input_size=4)
    assert "Cannot" not in demo.summary.value
    demo.depth.value = 3
    assert "Cannot" not in demo.summary.value
    png = _png(demo)
    demo.kernels[2].value = 4  # 4 -> 2 -> 1 pixel: a 4-wide kernel no longer fits
    assert "Cannot build this stack" in demo.summary.value
    assert _png(demo) == png  # the last valid picture stays
    with pytest.raises(ValueError, match="more than max_layers"):
        ReceptiveFieldDemo([(3, 1, 1)] * 4)
