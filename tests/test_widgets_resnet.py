"""Tests for the residual-network demo (course_lib.widgets.resnet).

The pure drawing function must draw what ``course_lib.gradients.init_gradient_profile``
measures, which tests/test_gradients.py checks against a plain ``backward()``; the widget
must redraw when its controls change.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import course_lib.widgets as widgets_package
from course_lib.data import load_mnist_subset
from course_lib.gradients import init_gradient_profile
from course_lib.widgets.resnet import DEPTHS, ResNetDemo, demo_batch, draw_resnet, resnet_demo


@pytest.fixture(scope="module")
def batch():
    return demo_batch(6)


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.resnet_demo is resnet_demo
    assert widgets_package.draw_resnet is draw_resnet
    assert widgets_package.demo_batch is demo_batch


def test_demo_batch_is_fixed_mixed_and_made_of_training_digits():
    images, labels = demo_batch(40)
    again, _ = demo_batch(40)
    assert images.shape == (40, 1, 28, 28) and labels.shape == (40,)
    assert torch.equal(images, again)
    assert len(labels.unique()) > 3  # not only the first class of the sorted data set
    train, _ = load_mnist_subset(normalize=True)
    all_images, all_labels = train.tensors
    for image, label in zip(images[:5], labels[:5]):  # every image is a training digit with its label
        match = (all_images == image).flatten(1).all(1)
        assert match.any() and all_labels[match][0] == label
    with pytest.raises(ValueError, match="batch_size"):
        demo_batch(0)


@pytest.mark.parametrize("depth, residual, batch_norm", [(8, True, True), (8, False, False), (14, False, True)])
def test_drawn_profiles_are_the_measured_ones(batch, depth, residual, batch_norm):
    images, labels = batch
    fig = draw_resnet(depth, residual, batch_norm, images=images, labels=labels, width=4, seed=1)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    chosen = init_gradient_profile(depth, residual, batch_norm, images=images, labels=labels, width=4, seed=1)
    twin = init_gradient_profile(depth, not residual, batch_norm, images=images, labels=labels, width=4, seed=1)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), chosen)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), twin)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), np.arange(1, depth))
    assert ("ResNet" if residual else "plain") in ax.lines[0].get_label()
    assert f"{chosen[0] / chosen[-1]:.3g}" in ax.get_title()


def test_draw_without_comparison_and_into_a_given_figure(batch):
    images, labels = batch
    fig = plt.figure()
    returned = draw_resnet(8, images=images, labels=labels, compare=False, width=3, fig=fig)
    assert returned is fig and len(fig.axes) == 1 and len(fig.axes[0].lines) == 1
    draw_resnet(14, images=images, labels=labels, compare=False, width=3, fig=fig)  # redraw clears the figure
    assert len(fig.axes) == 1 and len(fig.axes[0].lines[0].get_ydata()) == 13


def test_widget_redraws_when_controls_change(batch):
    images, labels = batch
    demo = ResNetDemo(depth=8, images=images, labels=labels, width=4)
    first = demo.profile()
    np.testing.assert_allclose(first, init_gradient_profile(8, True, True, images=images, labels=labels, width=4))
    png = demo.view.value
    assert png[:4] == b"\x89PNG"

    demo.depth.value = 14
    assert demo.profile().shape == (13,) and demo.view.value != png
    demo.residual.value = False
    np.testing.assert_allclose(demo.profile(),
                               init_gradient_profile(14, False, True, images=images, labels=labels, width=4))
    assert "plain-14" in demo.summary.value
    demo.batch_norm.value = False
    np.testing.assert_allclose(demo.profile(),
                               init_gradient_profile(14, False, False, images=images, labels=labels, width=4))
    assert "no BN" in demo.summary.value


def test_demo_function_and_depth_choices():
    assert DEPTHS[0] == 8 and DEPTHS[-1] == 110 and all((d - 2) % 6 == 0 for d in DEPTHS)
    demo = resnet_demo(depth=8, residual=False, batch_norm=False)
    assert isinstance(demo, ResNetDemo) and demo.profile().shape == (7,)
    assert not demo.residual.value and not demo.batch_norm.value
    with pytest.raises(ValueError, match="depth"):
        resnet_demo(depth=9)
