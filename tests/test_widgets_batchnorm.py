"""Tests for the batch-normalisation demo (course_lib.widgets.batchnorm).

The demo's numbers must be what ``torch.nn.functional.batch_norm`` and
``torch.nn.BatchNorm1d`` compute on the same batches; the drawn histograms must be the
histograms of those numbers; the widget must redraw when its controls change.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course_lib.widgets as widgets_package
from course_lib.widgets.batchnorm import (
    BATCH_SIZES,
    BatchNormDemo,
    batchnorm_demo,
    batchnorm_demo_data,
    draw_batchnorm,
    sample_skewed,
)

EPS = 1e-5  # torch's default, used by the demo
BINS = np.linspace(-4.0, 4.0, 49)  # the demo's output bins, documented in draw_batchnorm


def _bar_heights(ax, count: int) -> np.ndarray:
    """Heights of the first ``count`` bars drawn on ``ax``."""
    return np.array([patch.get_height() for patch in ax.patches[:count]])


def test_demo_names_are_exported_by_the_package():
    assert widgets_package.batchnorm_demo is batchnorm_demo
    assert widgets_package.draw_batchnorm is draw_batchnorm


@pytest.mark.parametrize("mean, scale, skew", [(0.0, 1.0, 0.0), (3.0, 2.0, 0.5), (-2.0, 0.5, -0.8), (1.0, 3.0, 1.0)])
def test_sample_skewed_has_the_requested_mean_std_and_sign_of_skew(mean, scale, skew):
    x = sample_skewed((400_000,), mean, scale, skew, torch.Generator().manual_seed(1))
    assert x.dtype == torch.float64 and x.shape == (400_000,)
    # standard errors: scale/sqrt(n) for the mean; heavy tails make the std looser at skew 1
    assert abs(x.mean().item() - mean) < 6 * scale / math.sqrt(x.numel())
    assert abs(x.std().item() / scale - 1) < (0.05 if abs(skew) == 1.0 else 0.01)
    skewness = (((x - x.mean()) / x.std()) ** 3).mean().item()
    if skew == 0:
        assert abs(skewness) < 0.03
    else:
        assert math.copysign(1.0, skewness) == math.copysign(1.0, skew) and abs(skewness) > 0.5


def test_sample_skewed_without_skew_is_a_scaled_normal():
    ours = sample_skewed((3, 5), 2.0, 3.0, 0.0, torch.Generator().manual_seed(7))
    normal = torch.randn((3, 5), generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    torch.testing.assert_close(ours, 2.0 + 3.0 * normal)


@pytest.mark.parametrize("batch_size, skew, momentum, seed", [(2, 0.0, 0.1, 0), (5, 0.7, 0.3, 1), (32, -0.4, 0.05, 2)])
def test_training_mode_matches_torch_batch_by_batch(batch_size, skew, momentum, seed):
    data = batchnorm_demo_data(batch_size, mean=1.5, scale=2.5, skew=skew, mode="train", num_batches=30,
                               probe=-0.5, momentum=momentum, seed=seed)
    reference = torch.nn.BatchNorm1d(1, eps=EPS, momentum=momentum, affine=False, dtype=torch.float64)
    reference.train()
    for b in range(30):
        expected = reference(data.inputs[b][:, None])[:, 0]  # updates its running statistics
        torch.testing.assert_close(data.outputs[b], expected)
        with_probe = data.inputs[b].clone()
        with_probe[0] = data.probe_input
        probe_expected = F.batch_norm(with_probe[:, None], None, None, training=True, eps=EPS)[0, 0]
        torch.testing.assert_close(data.probe_outputs[b], probe_expected)
    assert data.running_mean == pytest.approx(reference.running_mean.item(), rel=1e-12, abs=1e-12)
    assert data.running_var == pytest.approx(reference.running_var.item(), rel=1e-12)
    assert data.probe_input == pytest.approx(1.5 - 0.5 * 2.5)
    # every batch standardised by its own statistics: mean 0 and (biased) variance just under 1
    torch.testing.assert_close(data.outputs.mean(dim=1), torch.zeros(30, dtype=torch.float64), atol=1e-10, rtol=0)
    assert (data.outputs.var(dim=1, unbiased=False) <= 1).all()


def test_batches_of_two_become_minus_one_and_plus_one():
    data = batchnorm_demo_data(2, mean=10.0, scale=4.0, mode="train", num_batches=50, seed=3)
    gap = (data.inputs[:, 0] - data.inputs[:, 1]).abs()  # (B,)
    expected = (gap / 2) / torch.sqrt(gap**2 / 4 + EPS)  # |x - mean| / sqrt(var + eps) for two values
    torch.testing.assert_close(data.outputs.abs(), expected[:, None].expand(50, 2))
    assert torch.all(data.outputs.sum(dim=1).abs() < 1e-9)


def test_eval_mode_uses_the_running_statistics_of_the_training_pass():
    train = batchnorm_demo_data(8, mean=-1.0, scale=0.7, skew=0.3, mode="train", num_batches=40, seed=4)
    evaluation = batchnorm_demo_data(8, mean=-1.0, scale=0.7, skew=0.3, mode="eval", num_batches=40, seed=4)
    torch.testing.assert_close(evaluation.inputs, train.inputs)
    assert evaluation.running_mean == train.running_mean and evaluation.running_var == train.running_var
    running_mean = torch.tensor([train.running_mean], dtype=torch.float64)
    running_var = torch.tensor([train.running_var], dtype=torch.float64)
    expected = F.batch_norm(train.inputs.reshape(-1, 1), running_mean, running_var, training=False, eps=EPS)
    torch.testing.assert_close(evaluation.outputs, expected.reshape(40, 8))
    probe = F.batch_norm(torch.tensor([[train.probe_input]], dtype=torch.float64), running_mean, running_var,
                         training=False, eps=EPS)[0, 0]
    torch.testing.assert_close(evaluation.probe_outputs, probe.expand(40))  # the same in every batch


@pytest.mark.parametrize("batch_size, mode", [(4, "train"), (64, "eval")])
def test_drawn_histograms_are_those_of_the_outputs(batch_size, mode):
    fig = draw_batchnorm(batch_size, mean=2.0, scale=1.5, skew=0.6, mode=mode, num_batches=25, seed=5)
    data = batchnorm_demo_data(batch_size, mean=2.0, scale=1.5, skew=0.6, mode=mode, num_batches=25, seed=5)
    assert len(fig.axes) == 3
    outputs = np.clip(data.outputs.numpy().ravel(), BINS[0], BINS[-1])
    np.testing.assert_array_equal(_bar_heights(fig.axes[1], len(BINS) - 1), np.histogram(outputs, BINS)[0])
    probes = np.clip(data.probe_outputs.numpy(), BINS[0], BINS[-1])
    np.testing.assert_array_equal(_bar_heights(fig.axes[2], len(BINS) - 1), np.histogram(probes, BINS)[0])
    assert sum(_bar_heights(fig.axes[0], 48)) == 25 * batch_size  # every input value is counted
    assert mode in fig.axes[1].get_title()


def test_the_probe_spreads_in_train_mode_and_not_in_eval_mode():
    train = draw_batchnorm(4, mode="train", num_batches=60, seed=6)
    evaluation = draw_batchnorm(4, mode="eval", num_batches=60, seed=6)
    assert np.count_nonzero(_bar_heights(train.axes[2], len(BINS) - 1)) > 1
    assert np.count_nonzero(_bar_heights(evaluation.axes[2], len(BINS) - 1)) == 1


def test_draw_into_a_given_figure_replaces_its_content():
    fig = plt.figure()
    fig.add_subplot(1, 1, 1)
    same = draw_batchnorm(8, num_batches=5, fig=fig)
    assert same is fig and len(fig.axes) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 1}, "batch_size must be an int >= 2, got 1"),
        ({"batch_size": 4.0}, "batch_size must be an int >= 2, got 4.0"),
        ({"mode": "test"}, "mode must be 'train' or 'eval', got 'test'"),
        ({"scale": 0.0}, r"scale must lie in \(0"),
        ({"skew": 1.5}, r"skew must lie in \[-1, 1\], got 1.5"),
        ({"num_batches": 0}, "num_batches must be an int >= 1, got 0"),
        ({"mean": float("nan")}, "mean must be a number"),
        ({"momentum": 0.0}, r"momentum must lie in \(0, 1\]"),
    ],
)
def test_bad_arguments_are_rejected_with_their_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        batchnorm_demo_data(**kwargs)


def test_widget_redraws_when_controls_change():
    demo = batchnorm_demo(batch_size=16, mode="train", num_batches=30)
    assert isinstance(demo, BatchNormDemo)
    assert list(demo.batch_size.options) == list(BATCH_SIZES)
    first_png, first_summary = demo.view.value, demo.summary.value
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "batch size 16" in first_summary

    demo.mode.value = "eval"
    assert "eval mode" in demo.figure.axes[1].get_title()
    assert np.count_nonzero(_bar_heights(demo.figure.axes[2], len(BINS) - 1)) == 1
    assert demo.view.value != first_png

    demo.mode.value = "train"
    demo.batch_size.value = 2
    assert demo.figure.axes[0].get_title().strip() == "input: 30 batches of 2"
    data = batchnorm_demo_data(2, mean=demo.mean.value, scale=demo.scale.value, skew=demo.skew.value,
                               mode="train", num_batches=30)
    outputs = np.clip(data.outputs.numpy().ravel(), BINS[0], BINS[-1])
    np.testing.assert_array_equal(_bar_heights(demo.figure.axes[1], len(BINS) - 1), np.histogram(outputs, BINS)[0])

    before = demo.view.value
    demo.mean.value = -4.0
    demo.skew.value = 0.9
    assert "skew 0.9" in demo.figure.axes[0].get_xlabel()
    assert demo.view.value != before


def test_widget_rejects_a_batch_size_it_does_not_offer():
    with pytest.raises(ValueError, match="batch_size must be one of"):
        batchnorm_demo(batch_size=3)
