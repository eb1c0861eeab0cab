"""The batch-normalisation demo: choose the batch size, the input distribution and the mode.

Two layers, as for every demo of the course:

- :func:`batchnorm_demo_data` draws ``num_batches`` mini-batches of one channel from a
  distribution with a chosen mean, scale and skew, and normalises them with
  :func:`course_lib.norm.batch_norm`, in training mode (each batch with its own mean and
  variance, while the running averages are updated) or in evaluation mode (every batch
  with the running averages collected by a training pass over the same batches).
  :func:`draw_batchnorm` is a pure function that draws the result: histograms of the
  values before and after, and the outputs of one fixed example across all the batches.
- :func:`batchnorm_demo` wraps it in ipywidgets controls; every change redraws the figure
  into an ``ipywidgets.Image``.

Each example contributes one value to the channel, as in a 1x1 feature map; with
``H x W`` maps the statistics are taken over ``N * H * W`` values instead of ``N``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib._validate import check_int
from course_lib.norm import batch_norm
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "BATCH_SIZES",
    "sample_skewed",
    "BatchNormDemoData",
    "batchnorm_demo_data",
    "draw_batchnorm",
    "BatchNormDemo",
    "batchnorm_demo",
]

#: The batch sizes the widget offers.
BATCH_SIZES: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256)

#: Bins of the output histograms: fixed, so that changes of the controls are visible.
_OUTPUT_BINS = np.linspace(-4.0, 4.0, 49)


def _check_number(value: object, name: str, low: float, high: float, open_low: bool = False) -> float:
    """``value`` must be a real number in ``[low, high]`` (``(low, high]`` if ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value > high or value < low or (open_low and value == low):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must lie in {bracket}{low:g}, {high:g}], got {value!r}")
    return float(value)


def sample_skewed(
    shape: tuple[int, ...],
    mean: float = 0.0,
    scale: float = 1.0,
    skew: float = 0.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Random numbers with an exact mean ``mean``, standard deviation ``scale`` and a chosen skew.

    With ``z`` standard normal and ``s = |skew|``, the standardised log-normal
    ``(exp(s z) - e^(s^2/2)) / sqrt((e^(s^2) - 1) e^(s^2))`` has mean 0 and variance 1; it
    is negated for ``skew < 0`` (long tail to the left), and ``skew = 0`` gives ``z``
    itself. The result is ``mean + scale * that``.

    Args:
        shape: shape of the output tensor.
        mean: population mean.
        scale: population standard deviation, > 0.
        skew: in ``[-1, 1]``; 0 is the normal distribution, +-1 a strongly skewed one
            (skewness about +-6.2).
        generator: torch generator for reproducible draws.
        dtype: floating-point dtype of the output.

    Returns:
        A tensor of ``shape``.
    """
    mean = _check_number(mean, "mean", -1e6, 1e6)
    scale = _check_number(scale, "scale", 0.0, 1e6, open_low=True)
    skew = _check_number(skew, "skew", -1.0, 1.0)
    z = torch.randn(shape, generator=generator, dtype=dtype)  # (*shape,)
    s = abs(skew)
    if s > 0:
        z = (torch.exp(s * z) - math.exp(s * s / 2)) / math.sqrt(math.expm1(s * s) * math.exp(s * s))
        if skew < 0:
            z = -z
    return mean + scale * z


@dataclass
class BatchNormDemoData:
    """What :func:`batchnorm_demo_data` computed.

    Attributes:
        inputs: ``(num_batches, batch_size)`` the values of the channel, one row per batch.
        outputs: ``(num_batches, batch_size)`` the normalised values.
        probe_input: the fixed example's value, ``mean + probe * scale``.
        probe_outputs: ``(num_batches,)`` its normalised value in each batch.
        running_mean, running_var: the running statistics after the training pass.
        population_mean, population_std: the true mean and standard deviation of the inputs.
        mode: ``"train"`` or ``"eval"``.
    """

    inputs: torch.Tensor
    outputs: torch.Tensor
    probe_input: float
    probe_outputs: torch.Tensor
    running_mean: float
    running_var: float
    population_mean: float
    population_std: float
    mode: str


def batchnorm_demo_data(
    batch_size: int = 16,
    mean: float = 3.0,
    scale: float = 2.0,
    skew: float = 0.0,
    mode: str = "train",
    num_batches: int = 200,
    probe: float = 1.0,
    momentum: float = 0.1,
    seed: int = 0,
) -> BatchNormDemoData:
    """Normalise ``num_batches`` mini-batches of one channel with :func:`course_lib.norm.batch_norm`.

    The inputs are ``num_batches`` batches of ``batch_size`` values from
    :func:`sample_skewed` (``mean``, ``scale``, ``skew``). A training pass goes through the
    batches in order: each batch ``(batch_size, 1)`` is normalised with its own mean and
    (biased) variance, and the running statistics (starting at 0 and 1) are updated with
    ``momentum``. In ``"train"`` mode the outputs are those of this pass; in ``"eval"`` mode
    every batch is then normalised with the final running statistics. No scale and shift
    are applied (gamma = 1, beta = 0), and eps is torch's 1e-5.

    The probe is one fixed example, ``mean + probe * scale``, put in place of the first
    value of each batch in turn and normalised together with the rest of that batch (train
    mode) or with the running statistics (eval mode); the probe does not enter the running
    statistics or ``outputs``.

    Args:
        batch_size: values per batch, >= 2 (training needs more than one).
        mean, scale, skew: the input distribution (see :func:`sample_skewed`).
        mode: ``"train"`` or ``"eval"``.
        num_batches: number of batches, >= 1.
        probe: the probe example's distance from the mean, in standard deviations.
        momentum: weight of each batch in the running averages, in ``(0, 1]``.
        seed: seed of the random draws.

    Returns:
        A :class:`BatchNormDemoData` (float64 tensors).
    """
    batch_size = check_int(batch_size, "batch_size", 2)
    num_batches = check_int(num_batches, "num_batches", 1)
    if mode not in ("train", "eval"):
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    probe = _check_number(probe, "probe", -10.0, 10.0)
    momentum = _check_number(momentum, "momentum", 0.0, 1.0, open_low=True)
    generator = torch.Generator().manual_seed(check_int(seed, "seed", 0))
    inputs = sample_skewed((num_batches, batch_size), mean, scale, skew, generator)  # (B, N)
    probe_input = float(mean + probe * scale)
    with_probe = inputs.clone()  # (B, N): the probe in place of each batch's first value
    with_probe[:, 0] = probe_input

    running_mean = torch.zeros(1, dtype=torch.float64)  # (C=1,)
    running_var = torch.ones(1, dtype=torch.float64)  # (C=1,)
    outputs = torch.empty_like(inputs)  # (B, N)
    probe_outputs = torch.empty(num_batches, dtype=torch.float64)  # (B,)
    for b in range(num_batches):
        x = inputs[b][:, None]  # (N, C=1): one batch of one channel
        outputs[b] = batch_norm(x, running_mean, running_var, training=True, momentum=momentum)[:, 0]
        probe_outputs[b] = batch_norm(with_probe[b][:, None], None, None, training=True)[0, 0]
    if mode == "eval":
        # In eval mode every value is normalised alike, whatever batch it is in.
        outputs = batch_norm(inputs.reshape(-1, 1), running_mean, running_var, training=False)  # (B*N, 1)
        outputs = outputs.reshape(num_batches, batch_size)  # (B, N)
        probe_outputs = batch_norm(with_probe[:, :1], running_mean, running_var, training=False)[:, 0]  # (B,)
    return BatchNormDemoData(
        inputs=inputs,
        outputs=outputs,
        probe_input=probe_input,
        probe_outputs=probe_outputs,
        running_mean=float(running_mean),
        running_var=float(running_var),
        population_mean=float(mean),
        population_std=float(scale),
        mode=mode,
    )


def draw_batchnorm(
    batch_size: int = 16,
    mean: float = 3.0,
    scale: float = 2.0,
    skew: float = 0.0,
    mode: str = "train",
    num_batches: int = 200,
    probe: float = 1.0,
    seed: int = 0,
    fig: Figure | None = None,
) -> Figure:
    """Draw one state of the batch-normalisation demo; return the figure.

    Args:
        batch_size, mean, scale, skew, mode, num_batches, probe, seed: as for
            :func:`batchnorm_demo_data`.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with three panels: (0) the histogram of all input values with the true
        mean and the probe marked; (1) the histogram of the outputs (bins of width 1/6 from
        -4 to 4, values outside counted in the outer bins) with, as a black outline, the
        inputs standardised with the true mean and standard deviation; (2) the histogram of
        the probe example's outputs over the batches, with its ideal value ``probe`` marked.
        The bar heights of panels 1 and 2 are counts (``ax.patches``, bars first).
    """
    data = batchnorm_demo_data(batch_size, mean, scale, skew, mode, num_batches, probe, seed=seed)
    inputs = data.inputs.numpy().ravel()  # (B*N,)
    outputs = np.clip(data.outputs.numpy().ravel(), _OUTPUT_BINS[0], _OUTPUT_BINS[-1])  # (B*N,)
    ideal = np.clip((inputs - data.population_mean) / data.population_std, _OUTPUT_BINS[0], _OUTPUT_BINS[-1])
    probes = np.clip(data.probe_outputs.numpy(), _OUTPUT_BINS[0], _OUTPUT_BINS[-1])  # (B,)

    if fig is None:
        fig = plt.figure(figsize=(11, 3.4))
    else:
        fig.clear()
    ax_in, ax_out, ax_probe = fig.subplots(1, 3)

    ax_in.hist(inputs, bins=48, color="tab:gray")
    ax_in.axvline(data.population_mean, color="black", linewidth=1, label="true mean")
    ax_in.axvline(data.probe_input, color="tab:red", linestyle="--", linewidth=1.5, label="probe example")
    ax_in.set_title(f"input: {num_batches} batches of {batch_size}\n")
    ax_in.set_xlabel(f"x   (mean {data.population_mean:g}, std {data.population_std:g}, skew {skew:g})")
    ax_in.legend(fontsize=8)

    colour = "tab:blue" if mode == "train" else "tab:green"
    ax_out.hist(outputs, bins=_OUTPUT_BINS, color=colour)
    ax_out.hist(ideal, bins=_OUTPUT_BINS, histtype="step", color="black", linewidth=1,
                label="standardised with the true mean, std")
    ax_out.set_xlim(_OUTPUT_BINS[0], _OUTPUT_BINS[-1])
    out = data.outputs
    out_mean = round(out.mean().item(), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    ax_out.set_title(f"output, {mode} mode\nmean {out_mean:.2f}, std {out.std(unbiased=False).item():.2f}")
    stats = "each batch's own mean and variance" if mode == "train" else (
        f"running mean {data.running_mean:.2f}, running var {data.running_var:.2f}")
    ax_out.set_xlabel(f"normalised with {stats}", fontsize=9)
    ax_out.legend(fontsize=7, loc="upper left")

    ax_probe.hist(probes, bins=_OUTPUT_BINS, color="tab:red")
    ax_probe.axvline(probe, color="black", linewidth=1, label=f"ideal value {probe:g}")
    ax_probe.set_xlim(_OUTPUT_BINS[0], _OUTPUT_BINS[-1])
    spread = data.probe_outputs.std(unbiased=False).item()
    ax_probe.set_title(f"probe x = {data.probe_input:.2f} in each batch\nspread (std) {spread:.2f}")
    ax_probe.set_xlabel("its normalised value")
    ax_probe.legend(fontsize=8)
    fig.tight_layout()
    return fig


class BatchNormDemo(FigureDemo):
    """The widget of :func:`batchnorm_demo`: controls, a one-line summary and the figure as a PNG.

    Attributes: ``batch_size`` (selection slider over :data:`BATCH_SIZES`), ``mean``,
    ``scale``, ``skew`` (float sliders), ``mode`` (toggle buttons ``"train"``/``"eval"``),
    and from :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML), ``view``
    (the PNG) and ``figure`` (the matplotlib figure last drawn, not managed by pyplot).
    """

    def __init__(
        self,
        batch_size: int = 16,
        mean: float = 3.0,
        scale: float = 2.0,
        skew: float = 0.0,
        mode: str = "train",
        num_batches: int = 200,
    ) -> None:
        if batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be one of {BATCH_SIZES}, got {batch_size!r}")
        self.num_batches = check_int(num_batches, "num_batches", 1)
        self.batch_size = widgets.SelectionSlider(options=list(BATCH_SIZES), value=batch_size, description="batch size")
        self.mean = widgets.FloatSlider(value=mean, min=-5.0, max=5.0, step=0.5, description="mean")
        self.scale = widgets.FloatSlider(value=scale, min=0.1, max=5.0, step=0.1, description="scale")
        self.skew = widgets.FloatSlider(value=skew, min=-1.0, max=1.0, step=0.1, description="skew")
        self.mode = widgets.ToggleButtons(options=["train", "eval"], value=mode, description="mode")
        rows = [[self.batch_size, self.mode], [self.mean, self.scale, self.skew]]
        super().__init__(rows, figsize=(11, 3.4))

    def draw(self, fig: Figure) -> str:
        """Draw the current state into ``fig``; return a summary of the probe's spread."""
        draw_batchnorm(self.batch_size.value, self.mean.value, self.scale.value, self.skew.value,
                       self.mode.value, self.num_batches, fig=fig)
        probe_title = fig.axes[2].get_title().replace("\n", ", ")
        return f"{self.mode.value} mode, batch size {self.batch_size.value}: <b>{probe_title}</b>"


def batchnorm_demo(
    batch_size: int = 16,
    mean: float = 3.0,
    scale: float = 2.0,
    skew: float = 0.0,
    mode: str = "train",
    num_batches: int = 200,
) -> BatchNormDemo:
    """The interactive batch-normalisation demo: a slider for the batch size, sliders for the
    input's mean, scale and skew, and train/eval buttons; the figure of
    :func:`draw_batchnorm` updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return BatchNormDemo(batch_size, mean, scale, skew, mode, num_batches)
