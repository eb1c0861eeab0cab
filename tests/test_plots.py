"""Tests for course_lib.plots.images: what is drawn is the data that was given.

Each figure is checked against the input it was made from (the array behind an image,
the lines' data, the number of panels and labels), not against a stored picture.
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_lib.plots as plots
import course_lib.plots.images as images
from course_lib.plots.images import (
    image_to_array,
    plot_history,
    plot_signal,
    show_image,
    show_images,
    show_kernels,
    show_matrix,
    to_numpy,
)


def test_names_are_exported_by_the_package():
    for name in images.__all__:
        assert getattr(plots, name) is getattr(images, name)


def test_to_numpy_accepts_tensors_with_grad_arrays_and_lists():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g, requires_grad=True)
    np.testing.assert_array_equal(to_numpy(x), x.detach().double().numpy())
    np.testing.assert_array_equal(to_numpy([1, 2, 3]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="x must be a tensor"):
        to_numpy(object())


@pytest.mark.parametrize("seed", range(5))
def test_image_to_array_layouts(seed):
    g = torch.Generator().manual_seed(seed)
    h, w = torch.randint(2, 20, (2,), generator=g).tolist()
    grey = torch.rand(h, w, generator=g)
    rgb = torch.rand(3, h, w, generator=g)
    np.testing.assert_allclose(image_to_array(grey), grey.numpy())
    np.testing.assert_allclose(image_to_array(grey[None]), grey.numpy())
    np.testing.assert_allclose(image_to_array(rgb), rgb.permute(1, 2, 0).numpy())
    np.testing.assert_allclose(image_to_array(rgb.numpy()), rgb.permute(1, 2, 0).numpy())


@pytest.mark.parametrize("shape", [(5,), (2, 4, 4), (1, 1, 4, 4), (3, 4, 4, 1)])
def test_image_to_array_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match=r"image must have shape .*" + str(shape).replace("(", r"\(").replace(")", r"\)")):
        image_to_array(torch.zeros(shape))


def test_show_image_draws_the_data_and_clips_colour():
    g = torch.Generator().manual_seed(1)
    grey = torch.randn(6, 7, generator=g)
    ax = show_image(grey, title="grey")
    np.testing.assert_allclose(ax.images[0].get_array(), grey.numpy(), rtol=1e-6)
    assert ax.get_title() == "grey"
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []

    rgb = torch.randn(3, 5, 5, generator=g)  # values outside [0, 1]
    ax = show_image(rgb)
    drawn = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(drawn, rgb.clamp(0, 1).permute(1, 2, 0).numpy(), rtol=1e-6)


def test_show_image_symmetric_limits_centre_on_zero():
    g = torch.Generator().manual_seed(2)
    edges = torch.randn(8, 8, generator=g) + 0.5
    ax = show_image(edges, symmetric=True)
    low, high = ax.images[0].get_clim()
    assert high == pytest.approx(edges.abs().max().item())
    assert low == pytest.approx(-high)
    assert ax.images[0].get_cmap().name == "RdBu_r"

    ax = show_image(torch.zeros(3, 3), symmetric=True)  # all zeros: limits still valid
    assert ax.images[0].get_clim() == (-1.0, 1.0)


def test_show_image_robust_limits_ignore_a_few_extreme_pixels():
    g = torch.Generator().manual_seed(9)
    edges = torch.randn(40, 40, generator=g)
    edges[0, 0] = 1000.0  # one outlier
    values = edges.flatten().double().numpy()
    low, high = show_image(edges, symmetric=True, robust=True).images[0].get_clim()
    assert high == pytest.approx(np.percentile(np.abs(values), 99)) and low == pytest.approx(-high)
    low, high = show_image(edges, robust=True).images[0].get_clim()
    assert (low, high) == pytest.approx((np.percentile(values, 1), np.percentile(values, 99)))
    low, high = show_image(edges, robust=True, vmin=0.0).images[0].get_clim()  # given limits win
    assert low == 0.0 and high == pytest.approx(np.percentile(values, 99))


def test_show_images_grid_and_titles():
    g = torch.Generator().manual_seed(3)
    batch = torch.rand(5, 3, 6, 6, generator=g)
    fig = show_images(batch, titles=[f"#{i}" for i in range(5)], ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 6 and len(visible) == 5  # 3 rows of 2, the last cell hidden
    for i, ax in enumerate(visible):
        assert ax.get_title() == f"#{i}"
        np.testing.assert_allclose(ax.images[0].get_array(), batch[i].permute(1, 2, 0).numpy(), rtol=1e-6)


def test_show_images_mixed_sizes_and_per_image_symmetric():
    g = torch.Generator().manual_seed(4)
    images = [torch.rand(4, 4, generator=g), torch.randn(1, 7, 3, generator=g)]
    fig = show_images(images, symmetric=[False, True])
    assert fig.axes[0].images[0].get_cmap().name == "gray"
    assert fig.axes[1].images[0].get_cmap().name == "RdBu_r"
    assert fig.axes[1].images[0].get_array().shape == (7, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: show_images([]), "images must contain at least one item"),
        (lambda: show_images(torch.zeros(3, 4, 4)), r"batch \(N, C, H, W\), got shape \(3, 4, 4\)"),
        (lambda: show_images([torch.zeros(4, 4)], titles=["a", "b"]), "1 images, 2 titles"),
        (lambda: show_images([torch.zeros(4, 4)], symmetric=[True, False]), "1 images, 2 flags"),
        (lambda: show_images([torch.zeros(4, 4)], ncols=0), "ncols must be positive"),
    ],
)
def test_show_images_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("seed", range(3))
def test_show_kernels_grid_values_and_shared_scale(seed):
    g = torch.Generator().manual_seed(seed)
    c_out, c_in = torch.randint(1, 4, (2,), generator=g).tolist()
    weight = torch.randn(c_out, c_in, 3, 3, generator=g)
    fig = show_kernels(weight)
    assert len(fig.axes) == c_out * c_in
    limit = weight.abs().max().item()
    for o in range(c_out):
        for c in range(c_in):
            ax = fig.axes[o * c_in + c]
            np.testing.assert_allclose(np.ma.getdata(ax.images[0].get_array()), weight[o, c].numpy(), rtol=1e-6)
            assert ax.images[0].get_clim() == pytest.approx((-limit, limit))
            assert len(ax.texts) == 9  # small kernels are annotated
            assert [t.get_text() for t in ax.texts] == [format(v, ".2g") for v in weight[o, c].flatten().tolist()]


def test_show_kernels_layouts_nan_holes_and_rgb():
    fig = show_kernels(torch.ones(11, 11))
    assert len(fig.axes) == 1 and len(fig.axes[0].texts) == 0  # large kernels are not annotated
    fig = show_kernels(torch.ones(4, 3, 3), titles=list("abcd"))
    assert [ax.get_title() for ax in fig.axes] == list("abcd")
    holes = torch.tensor([[1.0, float("nan")], [float("nan"), -1.0]])
    fig = show_kernels(holes)
    assert np.ma.getmaskarray(fig.axes[0].images[0].get_array()).tolist() == [[False, True], [True, False]]
    assert len(fig.axes[0].texts) == 2  # holes are left blank

    g = torch.Generator().manual_seed(5)
    weight = torch.randn(6, 3, 5, 5, generator=g)
    fig = show_kernels(weight, rgb=True, ncols=4)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 6
    drawn = np.asarray(shown[2].images[0].get_array())  # (5, 5, 3), min-max scaled
    k = weight[2]
    np.testing.assert_allclose(drawn, ((k - k.min()) / (k.max() - k.min())).permute(1, 2, 0).numpy(), rtol=1e-5)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: show_kernels(torch.zeros(5)), r"weight must have shape .* got \(5,\)"),
        (lambda: show_kernels(torch.zeros(2, 1, 3, 3), rgb=True), r"rgb=True needs weight \(C_out, 3, kH, kW\)"),
        (lambda: show_kernels(torch.zeros(2, 3, 3), titles=["a"]), "2 columns, 1 titles"),
    ],
)
def test_show_kernels_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_show_matrix_annotations_and_labels():
    g = torch.Generator().manual_seed(6)
    m = torch.randint(-5, 6, (3, 4), generator=g).float()
    ax = show_matrix(m, title="C(w)", row_labels=["a", "b", "c"], col_labels=["0", "1", "2", "3"])
    np.testing.assert_array_equal(np.ma.getdata(ax.images[0].get_array()), m.numpy())
    assert [t.get_text() for t in ax.texts] == [format(v, "g") for v in m.flatten().tolist()]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.get_title() == "C(w)"
    ax = show_matrix(torch.arange(4.0))  # a vector is one row
    assert ax.images[0].get_array().shape == (1, 4)
    assert ax.images[0].get_clim() == (-3.0, 3.0)  # centred on zero by default
    ax = show_matrix(torch.arange(2.0, 6.0), symmetric=False, cmap="Greys")
    assert ax.images[0].get_clim() == (2.0, 5.0)
    colours = [t.get_color() for t in ax.texts]
    assert colours[0] == "black" and colours[-1] == "white"  # text stays readable on light and dark cells
    with pytest.raises(ValueError, match=r"matrix must have shape .* got \(2, 2, 2\)"):
        show_matrix(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="row_labels must have 3 entries"):
        show_matrix(m, row_labels=["a"])


def test_plot_signal_lines_offsets_and_channels():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(10, generator=g)
    y = torch.randn(8, generator=g)
    ax = plot_signal([x, y], labels=["x", "y"], offsets=[0, 1])
    lines = [line for line in ax.lines if line.get_label() in ("x", "y")]
    np.testing.assert_allclose(lines[0].get_ydata(), x.numpy(), rtol=1e-6)
    np.testing.assert_allclose(lines[1].get_xdata(), np.arange(8) + 1.0)
    np.testing.assert_allclose(lines[1].get_ydata(), y.numpy(), rtol=1e-6)

    channels = torch.randn(3, 6, generator=g)
    ax = plot_signal(channels)
    data = [line.get_ydata() for line in ax.lines if len(line.get_xdata()) == 6]
    np.testing.assert_allclose(np.stack(data), channels.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plot_signal(torch.zeros(2, 3, 4)), r"signals must have shape \(L,\) or \(C, L\), got \(2, 3, 4\)"),
        (lambda: plot_signal([torch.zeros(3, 3)]), r"1D signals \(L,\), got shapes \[\(3, 3\)\]"),
        (lambda: plot_signal([torch.zeros(3)], labels=["a", "b"]), "1 signals, 2 labels"),
    ],
)
def test_plot_signal_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _lines(ax):
    return {line.get_label(): line for line in ax.lines}


def test_plot_history_single_run_from_attributes_and_mapping():
    g = torch.Generator().manual_seed(8)
    values = {key: torch.rand(5, generator=g).tolist() for key in ("train_loss", "val_loss", "train_acc", "val_acc")}
    for history in (SimpleNamespace(**values), values):
        fig = plot_history(history, title="run")
        loss_ax, acc_ax = fig.axes
        np.testing.assert_allclose(_lines(loss_ax)["train"].get_ydata(), values["train_loss"])
        np.testing.assert_allclose(_lines(loss_ax)["val"].get_ydata(), values["val_loss"])
        np.testing.assert_allclose(_lines(acc_ax)["val"].get_ydata(), values["val_acc"])
        np.testing.assert_allclose(_lines(acc_ax)["train"].get_xdata(), np.arange(1, 6))
        assert _lines(loss_ax)["val"].get_linestyle() == "--"
        plt.close(fig)


def test_plot_history_without_validation_or_accuracy_and_several_runs():
    fig = plot_history({"train_loss": [3.0, 2.0, 1.0], "val_loss": [], "train_acc": [], "val_acc": []})
    assert len(fig.axes) == 1 and list(_lines(fig.axes[0])) == ["train"]
    runs = {
        "plain": SimpleNamespace(train_loss=[2.0, 1.5], val_loss=[2.1, 1.9], train_acc=[0.3, 0.5], val_acc=[0.3, 0.4]),
        "residual": SimpleNamespace(train_loss=[1.8, 1.0], val_loss=[1.9, 1.2], train_acc=[0.4, 0.7], val_acc=[0.4, 0.6]),
    }
    fig = plot_history(runs)
    labels = set(_lines(fig.axes[0]))
    assert labels == {"plain train", "plain val", "residual train", "residual val"}
    lines = _lines(fig.axes[1])
    assert lines["plain train"].get_color() == lines["plain val"].get_color()
    assert lines["plain train"].get_color() != lines["residual train"].get_color()


@pytest.mark.parametrize("history", [SimpleNamespace(), {}, {"train_loss": []}])
def test_plot_history_errors(history):
    with pytest.raises(ValueError, match="history must"):
        plot_history(history)
