"""The residual-network demo: choose the depth, shortcuts on or off, batch norm on or off;
see the gradient that reaches every layer of the freshly initialised network.

Two layers, as for every demo of the course:

- :func:`draw_resnet` is a pure function: it builds a CIFAR-style ResNet of the chosen
  depth (:func:`course_lib.models.cifar_resnet`) or its plain twin, with or without batch
  normalisation, measures the norm of the loss gradient of every convolution on one batch
  of digits (:func:`course_lib.gradients.init_gradient_profile`) and draws it on a log
  scale, next to the same measurement for the twin with the shortcuts toggled.
- :func:`resnet_demo` wraps it in ipywidgets controls (a
  :class:`~course_lib.widgets._figure.FigureDemo`); every change redraws the figure into an
  ``ipywidgets.Image``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib.gradients import init_gradient_profile
from course_lib.plots.resnet import plot_gradient_norms
from course_lib.widgets._figure import FigureDemo

__all__ = ["demo_batch", "draw_resnet", "ResNetDemo", "resnet_demo"]

#: Depths the demo offers: ``6n + 2`` from ResNet-8 to ResNet-110.
DEPTHS = tuple(range(8, 111, 6))


def demo_batch(batch_size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """The demo's batch: ``batch_size`` standardised training digits of the MNIST subset.

    The digits are drawn at random with a fixed seed (the data set is sorted by class, so
    its first digits are all zeros), so every call returns the same batch.

    Returns: images ``(batch_size, 1, 28, 28)`` float32 and labels ``(batch_size,)`` int64.
    """
    from course_lib.data import load_mnist_subset

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 4000:
        raise ValueError(f"batch_size must be an int in [1, 4000], got {batch_size!r}")
    train, _ = load_mnist_subset(normalize=True)
    images, labels = train.tensors  # (4000, 1, 28, 28), (4000,)
    chosen = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))[:batch_size]  # (B,)
    return images[chosen], labels[chosen]  # (B, 1, 28, 28), (B,)


def _name(depth: int, residual: bool, batch_norm: bool) -> str:
    """``"ResNet-20, with BN"`` or ``"plain-20, no BN"``."""
    return f"{'ResNet' if residual else 'plain'}-{depth}, {'with' if batch_norm else 'no'} BN"


def _summary(depth: int, residual: bool, batch_norm: bool, norms: np.ndarray) -> str:
    """One line: the network, the ratio of the first to the last gradient norm, the layers not drawable."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = norms[0] / norms[-1]
    text = f"{_name(depth, residual, batch_norm)}: first / last layer gradient = {ratio:.3g}"
    hidden = int(np.sum(~(np.isfinite(norms) & (norms > 0))))
    if hidden:
        text += f" ({hidden} layers zero or overflowing, not drawn)"
    return text


def draw_resnet(
    depth: int = 20,
    residual: bool = True,
    batch_norm: bool = True,
    *,
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    compare: bool = True,
    width: int = 8,
    seed: int = 0,
    fig: Figure | None = None,
) -> Figure:
    """Draw one state of the demo: gradient norm per convolution at initialisation; return the figure.

    Args:
        depth: ``6n + 2`` (8, 14, 20, ..., 110): the number of weight layers.
        residual: the ResNet (True) or its plain twin without shortcuts (False).
        batch_norm: with batch normalisation (True) or with every normalisation removed.
        images, labels: the batch ``(N, C, H, W)`` and ``(N,)``; None uses :func:`demo_batch`.
        compare: also draw the twin with ``residual`` toggled (grey, dashed).
        width: maps of the first stage of the network.
        seed: seed of the initial weights (the twin gets the same seed).
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with one axes. ``fig.axes[0].lines[0].get_ydata()`` is the chosen
        network's profile ``||dL/dW_l||`` for its ``depth - 1`` convolutions, input side
        first; ``lines[1]`` is the twin's when ``compare`` is True.
    """
    if images is None or labels is None:
        images, labels = demo_batch()
    chosen = init_gradient_profile(depth, residual, batch_norm, images=images, labels=labels, width=width, seed=seed)
    profiles = {_name(depth, residual, batch_norm): chosen}
    styles: dict[str, dict[str, object]] = {_name(depth, residual, batch_norm): {"color": "C0" if residual else "C3"}}
    if compare:
        twin = init_gradient_profile(depth, not residual, batch_norm, images=images, labels=labels, width=width,
                                     seed=seed)
        profiles[_name(depth, not residual, batch_norm)] = twin
        styles[_name(depth, not residual, batch_norm)] = {"color": "0.55", "linestyle": "--", "marker": None}

    if fig is None:
        fig = plt.figure(figsize=(8.0, 3.8))
    else:
        fig.clear()
    ax = fig.add_subplot(1, 1, 1)
    plot_gradient_norms(profiles, ax=ax, styles=styles)
    ax.set_title(_summary(depth, residual, batch_norm, chosen), fontsize=10)
    fig.tight_layout()
    return fig


class ResNetDemo(FigureDemo):
    """The widget of :func:`resnet_demo`: a depth slider and two checkboxes above the figure.

    Attributes: ``depth`` (``SelectionSlider`` over :data:`DEPTHS`), ``residual`` and
    ``batch_norm`` (checkboxes), and from :class:`~course_lib.widgets._figure.FigureDemo`
    ``summary`` (HTML with the first and last gradient norms), ``view`` (the PNG) and
    ``figure`` (the matplotlib figure last drawn, not managed by pyplot).
    """

    def __init__(
        self,
        depth: int = 20,
        residual: bool = True,
        batch_norm: bool = True,
        images: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        width: int = 8,
    ) -> None:
        if depth not in DEPTHS:
            raise ValueError(f"depth must be one of {DEPTHS}, got {depth!r}")
        if images is None or labels is None:
            images, labels = demo_batch()
        self.images, self.labels, self.width = images, labels, width
        self.depth = widgets.SelectionSlider(options=list(DEPTHS), value=depth, description="depth",
                                             continuous_update=False)
        self.residual = widgets.Checkbox(value=residual, description="residual shortcuts")
        self.batch_norm = widgets.Checkbox(value=batch_norm, description="batch normalisation")
        super().__init__([[self.depth, self.residual, self.batch_norm]], figsize=(8.0, 3.8))

    def profile(self) -> np.ndarray:
        """The drawn gradient profile of the chosen network, ``(depth - 1,)``."""
        return np.asarray(self.figure.axes[0].lines[0].get_ydata(), dtype=np.float64)

    def draw(self, fig: Figure) -> str:
        """Measure and draw the current state into ``fig``; return the summary line."""
        depth, residual, bn = self.depth.value, self.residual.value, self.batch_norm.value
        draw_resnet(depth, residual, bn, images=self.images, labels=self.labels, width=self.width, fig=fig)
        norms = self.profile()
        return (
            f"{_name(depth, residual, bn)}: gradient norm of the first convolution "
            f"<b>{norms[0]:.3g}</b>, of the last <b>{norms[-1]:.3g}</b>"
        )


def resnet_demo(depth: int = 20, residual: bool = True, batch_norm: bool = True) -> ResNetDemo:
    """The interactive demo: a depth slider and checkboxes for the shortcuts and batch
    normalisation; the figure of :func:`draw_resnet` updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return ResNetDemo(depth, residual, batch_norm)
