"""Tests for the convolution demo (course_lib.widgets.conv).

The pure drawing function must draw what ``course_lib.conv.conv2d`` and
``torch.nn.functional.conv2d`` compute; the widget must redraw when its controls change.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.widgets as widgets_package
from course_lib.conv import conv2d, conv_output_size
from course_lib.data import sample_image
from course_lib.widgets.conv import (
    DEMO_IMAGES,
    KERNELS,
    ConvDemo,
    conv_demo,
    conv_demo_output,
    dilate_kernel,
    draw_conv_demo,
    resolve_padding,
)

SIZE = 48  # small photos keep the tests fast


def _drawn_output(fig) -> np.ndarray:
    """The output image of a demo figure, (H_out, W_out)."""
    return np.asarray(fig.axes[2].images[0].get_array())


def _reference(image_name: str, kernel_name: str, stride: int, padding: int, dilation: int) -> torch.Tensor:
    """The demo's output computed with torch.nn.functional.conv2d, (H_out, W_out)."""
    image = sample_image(image_name, size=SIZE, gray=True)  # (1, H, W)
    weight = KERNELS[kernel_name][None, None]  # (1, 1, k, k)
    return F.conv2d(image[None], weight, stride=stride, padding=padding, dilation=dilation)[0, 0]


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.conv_demo is conv_demo
    assert widgets_package.draw_conv_demo is draw_conv_demo
    assert widgets_package.KERNELS is KERNELS


def test_kernels_are_square_odd_float_tensors_and_blurs_edges_sum_as_documented():
    for name, kernel in KERNELS.items():
        assert kernel.dtype == torch.float32 and kernel.dim() == 2, name
        assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1, name
    for name in ("identity", "box blur 5x5", "gaussian 5x5", "sharpen"):
        assert KERNELS[name].sum().item() == pytest.approx(1.0), name
    for name in ("sobel x", "sobel y", "laplacian"):
        assert KERNELS[name].sum().item() == pytest.approx(0.0), name


@pytest.mark.parametrize("padding, k, d", [("valid", 3, 1), ("same", 3, 1), ("same", 5, 2), ("full", 3, 3), (2, 5, 1)])
def test_resolve_padding_keeps_or_grows_the_size_as_named(padding, k, d):
    p = resolve_padding(padding, k, d)
    n = 20
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, dilation=d).shape[-1]
    expected = {"valid": n - d * (k - 1), "same": n, "full": n + d * (k - 1)}.get(padding, n + 2 * p - (k - 1))
    assert out == expected


@pytest.mark.parametrize("bad", ["half", -1, 1.5, True])
def test_resolve_padding_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="padding must be one of"):
        resolve_padding(bad, 3)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_dilated_kernel_acts_like_torch_dilation(d):
    g = torch.Generator().manual_seed(d)
    kernel = torch.randn(3, 3, generator=g)
    x = torch.randn(1, 1, 15, 15, generator=g)
    spread = dilate_kernel(kernel, d)  # (2d+1, 2d+1)
    assert spread.shape == (2 * d + 1, 2 * d + 1)
    torch.testing.assert_close(F.conv2d(x, spread[None, None]), F.conv2d(x, kernel[None, None], dilation=d))
    holes = dilate_kernel(kernel, d, fill=float("nan"))
    assert int(torch.isfinite(holes).sum()) == 9


@pytest.mark.parametrize(
    "kernel_name, stride, padding, dilation",
    [("sobel x", 1, "valid", 1), ("gaussian 5x5", 2, "same", 1), ("laplacian", 3, "full", 2),
     ("sharpen", 1, 4, 3), ("box blur 5x5", 4, 1, 2), ("identity", 2, "valid", 4), ("sobel y", 1, 2, 1)],
)
def test_drawn_output_equals_conv2d_and_torch(kernel_name, stride, padding, dilation):
    fig = draw_conv_demo("camera", kernel_name, stride, padding, dilation, size=SIZE)
    drawn = _drawn_output(fig)
    p = resolve_padding(padding, KERNELS[kernel_name].shape[0], dilation)
    reference = _reference("camera", kernel_name, stride, p, dilation)
    np.testing.assert_allclose(drawn, reference.numpy(), rtol=1e-5, atol=1e-6)

    image = sample_image("camera", size=SIZE, gray=True)
    ours = conv2d(image[None], KERNELS[kernel_name][None, None], stride=stride, padding=p, dilation=dilation)
    np.testing.assert_array_equal(drawn, ours[0, 0].numpy())

    k = KERNELS[kernel_name].shape[0]
    n_out = conv_output_size(SIZE, k, stride, p, dilation)
    assert drawn.shape == (n_out, n_out)
    assert f"output {n_out} × {n_out}" in fig.axes[2].get_title()
    assert fig.axes[2].get_xlabel().endswith(f"= {n_out}")
    # the input panel shows the padded photo; the kernel panel the dilated kernel
    assert fig.axes[0].images[0].get_array().shape == (SIZE + 2 * p, SIZE + 2 * p)
    assert fig.axes[1].images[0].get_array().shape == (dilation * (k - 1) + 1,) * 2


def test_draw_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    fig.add_subplot(1, 1, 1)
    same = draw_conv_demo("coins", "laplacian", fig=fig, size=SIZE)
    assert same is fig and len(fig.axes) == 3


def test_conv_demo_output_returns_image_output_and_padding():
    image, output, p = conv_demo_output("coins", "gaussian 5x5", 1, "same", 2, size=SIZE)
    assert image.shape == (1, SIZE, SIZE) and p == 4
    assert output.shape == (1, SIZE, SIZE)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel_name": "gabor"}, "kernel_name must be one of"),
        ({"image_name": "moon"}, "image_name must be one of"),
        ({"stride": 0}, "stride must be an int >= 1, got 0"),
        ({"dilation": 2.0}, "dilation must be an int >= 1, got 2.0"),
        ({"padding": "half"}, "padding must be one of"),
    ],
)
def test_draw_conv_demo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_conv_demo(**{"size": SIZE, **kwargs})


def test_widget_redraws_when_controls_change():
    demo = conv_demo("camera", "sobel x", size=SIZE)
    assert isinstance(demo, ConvDemo)
    first = _drawn_output(demo.figure).copy()
    first_png = bytes(demo.view.value)
    assert first_png.startswith(b"\x89PNG") and first.shape == (SIZE - 2, SIZE - 2)
    assert f"{SIZE - 2} × {SIZE - 2}" in demo.summary.value

    demo.stride.value = 2  # fewer output positions
    n = conv_output_size(SIZE, 3, 2, 0, 1)
    assert _drawn_output(demo.figure).shape == (n, n)
    assert f"output {n} × {n}" in demo.figure.axes[2].get_title()
    assert f"{n} × {n}" in demo.summary.value
    assert bytes(demo.view.value) != first_png

    demo.stride.value = 1
    np.testing.assert_array_equal(_drawn_output(demo.figure), first)  # back to the first state

    demo.kernel.value = "sobel y"  # same size, other values
    other = _drawn_output(demo.figure)
    assert other.shape == first.shape and not np.allclose(other, first)
    np.testing.assert_allclose(other, _reference("camera", "sobel y", 1, 0, 1).numpy(), rtol=1e-5, atol=1e-6)

    demo.padding.value = "same"
    assert _drawn_output(demo.figure).shape == (SIZE, SIZE)
    demo.padding.value = "full"
    assert _drawn_output(demo.figure).shape == (SIZE + 2, SIZE + 2)

    demo.dilation.value = 3  # full padding grows with the dilation
    assert _drawn_output(demo.figure).shape == (SIZE + 6, SIZE + 6)
    assert demo.figure.axes[1].images[0].get_array().shape == (7, 7)

    demo.image.value = "coins"
    np.testing.assert_allclose(_drawn_output(demo.figure), _reference("coins", "sobel y", 1, 6, 3).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_widget_offers_every_kernel_and_image_and_leaves_pyplot_alone():
    before = plt.get_fignums()
    demo = conv_demo(size=SIZE)
    demo.kernel.value = "laplacian"
    assert plt.get_fignums() == before  # no stray pyplot figures shown twice in notebooks
    assert list(demo.kernel.options) == list(KERNELS)
    assert list(demo.image.options) == list(DEMO_IMAGES)
