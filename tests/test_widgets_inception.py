"""Tests for the Inception-module demo (course_lib.widgets.inception).

The numbers the demo draws must be those of a real module: a plain ``torch.nn`` Inception
module built here, measured with torchinfo (multiply-adds) and ``numel`` (parameters).
The widget must redraw when its controls change.
"""

from __future__ import annotations

import random

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torchinfo
from torch import nn

import course_lib.widgets as widgets_package
from course_lib.widgets.inception import INCEPTION_3A, InceptionDemo, draw_inception, inception_demo

WIDTH_NAMES = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")


def reference(in_channels, size, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, reductions):
    """(output channels, parameters, multiply-adds, MACs per branch) of a plain nn Inception module.

    The convolutions are built without bias so that torchinfo's mult-adds are exactly the
    products; the biases the demo counts (one per output channel) are added to the parameters.
    """
    c = in_channels
    if reductions:
        branches = [
            nn.Conv2d(c, ch1x1, 1, bias=False),
            nn.Sequential(nn.Conv2d(c, ch3x3red, 1, bias=False), nn.Conv2d(ch3x3red, ch3x3, 3, padding=1, bias=False)),
            nn.Sequential(nn.Conv2d(c, ch5x5red, 1, bias=False), nn.Conv2d(ch5x5red, ch5x5, 5, padding=2, bias=False)),
            nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c, pool_proj, 1, bias=False)),
        ]
    else:
        branches = [
            nn.Conv2d(c, ch1x1, 1, bias=False),
            nn.Conv2d(c, ch3x3, 3, padding=1, bias=False),
            nn.Conv2d(c, ch5x5, 5, padding=2, bias=False),
            nn.MaxPool2d(3, 1, 1),
        ]
    x = torch.zeros(1, c, size, size)
    out_channels = sum(b(x).shape[1] for b in branches)
    macs, params = [], 0
    for b in branches:
        info = torchinfo.summary(b, input_data=x, verbose=0)
        macs.append(info.total_mult_adds)
        convs = [m for m in b.modules() if isinstance(m, nn.Conv2d)]
        params += info.total_params + sum(m.out_channels for m in convs)  # + one bias per output channel
    return out_channels, params, sum(macs), macs


def title(fig) -> str:
    return fig._suptitle.get_text()


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.inception_demo is inception_demo
    assert widgets_package.draw_inception is draw_inception
    assert widgets_package.INCEPTION_3A is INCEPTION_3A


@pytest.mark.parametrize("reductions", [True, False])
def test_inception_3a_numbers_are_those_of_the_real_module(reductions):
    fig = draw_inception(reductions=reductions)  # the defaults are inception (3a)
    out, params, macs, per_branch = reference(**INCEPTION_3A, reductions=reductions)
    text = title(fig)
    assert f"{out:,} output channels" in text
    assert f"{params:,} parameters" in text
    assert f"{macs:,} multiply-adds" in text
    # the solid bars (the drawn variant) are the branch costs in millions
    bars = fig.axes[1].patches
    solid = [p for p in bars if p.get_alpha() > 0.5]
    np.testing.assert_allclose([p.get_width() for p in solid], np.array(per_branch) / 1e6)
    assert len(bars) == 8


@pytest.mark.parametrize("seed", range(6))
def test_random_widths_match_the_real_module(seed):
    rng = random.Random(seed)
    args = {"in_channels": rng.randint(1, 64), "size": rng.randint(3, 16)}
    args.update({name: rng.randint(1, 40) for name in WIDTH_NAMES})
    for reductions in (True, False):
        text = title(draw_inception(**args, reductions=reductions))
        out, params, macs, _ = reference(**args, reductions=reductions)
        assert f"{out:,} output channels, {params:,} parameters, {macs:,} multiply-adds" in text


def test_the_diagram_has_one_box_per_layer():
    texts_with = [t.get_text() for t in draw_inception(reductions=True).axes[0].texts if t.get_text()]
    texts_without = [t.get_text() for t in draw_inception(reductions=False).axes[0].texts if t.get_text()]
    # input + concatenation + 7 layers, or + 4 layers
    assert len(texts_with) == 9 and len(texts_without) == 6
    assert sum("reduce" in t for t in texts_with) == 2 and not any("reduce" in t for t in texts_without)
    assert any("concatenate" in t and "256 × 28 × 28" in t for t in texts_with)
    assert any("concatenate" in t and "416 × 28 × 28" in t for t in texts_without)


def test_drawing_into_a_given_figure_reuses_it():
    fig = plt.figure()
    assert draw_inception(fig=fig) is fig
    assert len(fig.axes) == 2
    draw_inception(ch1x1=10, fig=fig)
    assert len(fig.axes) == 2


def test_widget_redraws_when_controls_change():
    demo = inception_demo()
    assert isinstance(demo, InceptionDemo)
    out, params, macs, _ = reference(**INCEPTION_3A, reductions=True)
    assert f"{macs:,}" in demo.summary.value and f"{macs:,}" in title(demo.figure)
    png = demo.view.value

    demo.ch5x5red.value = 48
    demo.size.value = 14
    args = {**INCEPTION_3A, "ch5x5red": 48, "size": 14}
    out, params, macs, _ = reference(**args, reductions=True)
    assert f"{out:,} output channels, {params:,} parameters, {macs:,} multiply-adds" in title(demo.figure)
    assert f"<b>{params:,}</b> parameters" in demo.summary.value
    assert demo.view.value != png

    demo.reductions.value = False
    out, params, macs, _ = reference(**args, reductions=False)
    assert "naive" in title(demo.figure)
    assert f"{out:,} output channels, {params:,} parameters, {macs:,} multiply-adds" in title(demo.figure)
    assert demo.values()["reductions"] is False


def test_widget_takes_first_values():
    demo = inception_demo(reductions=False, in_channels=480, size=14)
    assert demo.in_channels.value == 480 and demo.size.value == 14 and not demo.reductions.value
    assert "480 × 14 × 14" in " ".join(t.get_text() for t in demo.figure.axes[0].texts)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="ch1x1"):
        draw_inception(ch1x1=0)
    with pytest.raises(ValueError, match="size"):
        draw_inception(size=0)
    with pytest.raises(ValueError, match="unknown widths"):
        inception_demo(ch7x7=3)
