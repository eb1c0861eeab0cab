"""The 1D convolution explorer: pick an MNIST-1D signal, a kernel, stride, padding and dilation.

Two layers, as for every demo of the course:

- :func:`conv1d_demo_output` convolves one signal with one kernel of
  :data:`SIGNAL_KERNELS` (with :func:`course_lib.conv.conv1d`), and
  :func:`draw_conv1d_demo` draws an MNIST-1D training example, the (dilated) kernel and
  the output, each output value placed under the centre of the window it was computed
  from. Tests and static book pages call them directly.
- :func:`conv1d_demo` wraps the drawing in ipywidgets controls; every change redraws the
  figure into an ``ipywidgets.Image``.

Padding is resolved by :func:`course_lib.widgets.conv.resolve_padding`, so ``"same"`` also
works with a stride (it then means "half" padding, ``d(k - 1) / 2`` zeros on each side).
"""

from __future__ import annotations


import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from course_lib._validate import check_tensor
from course_lib.conv import conv1d, conv_output_size
from course_lib.data import load_mnist1d
from course_lib.widgets.conv import resolve_padding
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "SIGNAL_KERNELS",
    "CONV1D_PADDINGS",
    "conv1d_demo_output",
    "window_centres",
    "draw_conv1d_demo",
    "Conv1dDemo",
    "conv1d_demo",
]


def _random_kernel(size: int = 3, seed: int = 0) -> torch.Tensor:
    """A fixed random kernel ``(size,)``: normal weights scaled by ``1/sqrt(size)``, like a fresh layer."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(size, generator=g) / size**0.5  # (size,)


#: The demo's kernels, name -> ``(k,)`` float32 tensor, applied as cross-correlation (as torch does).
#: Smoothing kernels are non-negative and sum to 1 (a flat signal keeps its level); the
#: difference kernels sum to 0 (a flat signal gives 0, changes respond).
SIGNAL_KERNELS: dict[str, torch.Tensor] = {
    "identity": torch.tensor([0.0, 1.0, 0.0]),
    "edge": torch.tensor([-1.0, 0.0, 1.0]),  # x[i + 2] - x[i]: positive where the signal rises
    "smooth 3": torch.full((3,), 1.0 / 3.0),  # moving average of three samples
    "smooth 5": torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0,  # binomial, a discrete Gaussian
    "second difference": torch.tensor([1.0, -2.0, 1.0]),  # curvature; 0 on straight lines
    "random": _random_kernel(),
}

#: Padding choices of the demo: named modes or a number of zeros on each side.
CONV1D_PADDINGS: tuple[str | int, ...] = ("valid", "same", "full", 1, 2)


def _kernel(kernel_name: str) -> torch.Tensor:
    """The kernel called ``kernel_name`` ``(k,)``, or a ValueError listing the names."""
    if kernel_name not in SIGNAL_KERNELS:
        raise ValueError(f"kernel_name must be one of {list(SIGNAL_KERNELS)}, got {kernel_name!r}")
    return SIGNAL_KERNELS[kernel_name]


def _positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def conv1d_demo_output(
    signal: torch.Tensor,
    kernel_name: str = "edge",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
) -> tuple[torch.Tensor, int]:
    """The demo's computation without the drawing.

    Args:
        signal: one signal ``(L,)``, float32 or float64.
        kernel_name: one of :data:`SIGNAL_KERNELS`.
        stride, dilation: ints >= 1.
        padding: ``"valid"``, ``"same"``, ``"full"`` or an int >= 0 (zeros on each side).

    Returns:
        ``(output, p)``: the cross-correlation ``(L_out,)`` computed by
        :func:`course_lib.conv.conv1d` (equal to ``F.conv1d``) with
        ``L_out = conv_output_size(L, k, stride, p, dilation)``, and the padding ``p``.

    Raises:
        ValueError: a bad argument, or a dilated kernel longer than the padded signal.
    """
    signal = check_tensor(signal, 1, "signal", "(L,)")
    kernel = _kernel(kernel_name)  # (k,)
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    p = resolve_padding(padding, kernel.shape[0], dilation)
    weight = kernel.to(signal.dtype)[None, None]  # (C_out=1, C_in=1, k)
    output = conv1d(signal[None, None], weight, stride=stride, padding=p, dilation=dilation)  # (1, 1, L_out)
    return output[0, 0], p  # (L_out,)


def window_centres(length_out: int, kernel_size: int, stride: int, padding: int, dilation: int) -> np.ndarray:
    """Where each output value of a 1D convolution "sits" on the input's index axis.

    Output ``i`` reads the padded input at ``s*i + d*j`` for ``j = 0 .. k-1``; in the
    coordinates of the unpadded input the centre of that window is
    ``s*i + d*(k-1)/2 - p``. Returns these ``length_out`` positions ``(L_out,)`` as floats.
    """
    i = np.arange(length_out)  # (L_out,)
    return stride * i + dilation * (kernel_size - 1) / 2 - padding  # (L_out,)


def _mnist1d_example(index: int) -> tuple[torch.Tensor, int]:
    """Training example ``index`` of MNIST-1D: the signal ``(40,)`` and its digit."""
    train, _ = load_mnist1d()
    count = len(train)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < count:
        raise ValueError(f"index must be an int in [0, {count - 1}] (MNIST-1D training examples), got {index!r}")
    x, y = train[int(index)]  # (1, 40), ()
    return x[0], int(y)


def draw_conv1d_demo(
    index: int = 0,
    kernel_name: str = "edge",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
    fig: Figure | None = None,
) -> Figure:
    """Draw one state of the 1D convolution explorer; return the figure.

    Args:
        index: which MNIST-1D training example (``0 .. 3999``) to convolve.
        kernel_name: one of :data:`SIGNAL_KERNELS`.
        stride, dilation: ints >= 1.
        padding: ``"valid"``, ``"same"``, ``"full"`` or an int >= 0.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with three axes, in this order: ``axes[0]`` the input signal (its
        first line: x ``0 .. 39``, y the values), the padding zeros as hollow grey dots and
        the taps of the first window in red; ``axes[1]`` the kernel spread out by the
        dilation (holes marked ``x``); ``axes[2]`` the output, whose first line has the
        window centres (:func:`window_centres`) as x and the output values as y, titled
        with its length and with the output-length formula as x label.
    """
    signal, digit = _mnist1d_example(index)  # (L,)
    output, p = conv1d_demo_output(signal, kernel_name, stride, padding, dilation)  # (L_out,)
    kernel = _kernel(kernel_name).numpy()  # (k,)
    k, length, length_out = kernel.shape[0], signal.shape[0], output.shape[0]
    span = dilation * (k - 1) + 1  # input samples one window covers
    centres = window_centres(length_out, k, stride, p, dilation)  # (L_out,)

    if fig is None:
        fig = plt.figure(figsize=(10, 4.6))
    else:
        fig.clear()
    grid = fig.add_gridspec(2, 2, width_ratios=[4, 1.1])
    ax_in = fig.add_subplot(grid[0, 0])
    ax_k = fig.add_subplot(grid[:, 1])
    ax_out = fig.add_subplot(grid[1, 0], sharex=ax_in)

    # Input, its zero padding, and the taps of the first window.
    ax_in.plot(np.arange(length), signal.numpy(), "-o", color="tab:blue", markersize=3, label="input")
    pad_positions = np.concatenate([np.arange(-p, 0), np.arange(length, length + p)])  # (2p,)
    if p > 0:
        ax_in.plot(pad_positions, np.zeros(2 * p), "o", markerfacecolor="none", color="0.55", markersize=4,
                   label=f"padding ({p} zeros per side)")
    taps = dilation * np.arange(k) - p  # (k,): input positions read by output 0
    padded = np.concatenate([np.zeros(p), signal.numpy(), np.zeros(p)])  # (L + 2p,)
    ax_in.plot(taps, padded[taps + p], "o", markerfacecolor="none", markeredgecolor="red", markersize=8,
               markeredgewidth=1.5, label="first window")
    ax_in.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
    ax_in.set_title(f"MNIST-1D training example {index} (digit {digit}), length {length}", fontsize=10)
    ax_in.legend(fontsize=7, loc="upper right")

    # Kernel, spread out by the dilation.
    positions = np.arange(span)  # (span,)
    ax_k.vlines(positions[::dilation], 0.0, kernel, color="tab:red", linewidth=2)
    ax_k.plot(positions[::dilation], kernel, "o", color="tab:red")
    holes = np.setdiff1d(positions, positions[::dilation])
    if holes.size:
        ax_k.plot(holes, np.zeros(holes.size), "x", color="0.55", label="holes (dilation)")
        ax_k.legend(fontsize=7)
    ax_k.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
    ax_k.set_xticks(positions)
    ax_k.set_title(f"kernel '{kernel_name}', k = {k}\ndilation {dilation}: spans {span}", fontsize=10)
    ax_k.set_xlim(-0.7, span - 0.3)

    # Output, each value under the centre of its window.
    ax_out.plot(centres, output.numpy(), "-o", color="tab:green", markersize=3)
    ax_out.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
    ax_out.set_title(f"output: length {length_out} (stride {stride}, padding {p})", fontsize=10)
    formula = conv_output_size(length, k, stride, p, dilation)
    ax_out.set_xlabel(
        f"input index       length = ⌊({length} + 2·{p} − {dilation}·({k}−1) − 1) / {stride}⌋ + 1 = {formula}",
        fontsize=9,
    )
    ax_in.set_xlim(min(-p, centres.min()) - 1, max(length + p - 1, centres.max()) + 1)
    fig.tight_layout()
    return fig


class Conv1dDemo(FigureDemo):
    """The widget of :func:`conv1d_demo`: controls, a one-line summary and the figure as a PNG.

    Attributes: ``index``, ``stride``, ``dilation`` (sliders), ``kernel``, ``padding``
    (dropdowns), and from :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML
    with the digit and the output length), ``view`` (the PNG) and ``figure`` (the
    matplotlib figure last drawn, not managed by pyplot).
    """

    error_prefix = "Cannot convolve:"

    def __init__(
        self,
        index: int = 0,
        kernel_name: str = "edge",
        stride: int = 1,
        padding: str | int = "valid",
        dilation: int = 1,
    ) -> None:
        count = len(load_mnist1d()[0])
        self.index = widgets.IntSlider(value=index, min=0, max=count - 1, description="example")
        self.kernel = widgets.Dropdown(options=list(SIGNAL_KERNELS), value=kernel_name, description="kernel")
        self.padding = widgets.Dropdown(options=[(str(m), m) for m in CONV1D_PADDINGS], value=padding,
                                        description="padding")
        self.stride = widgets.IntSlider(value=stride, min=1, max=4, description="stride")
        self.dilation = widgets.IntSlider(value=dilation, min=1, max=4, description="dilation")
        super().__init__([[self.index, self.kernel, self.padding], [self.stride, self.dilation]], figsize=(10, 4.6))

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_conv1d_demo`; return the summary (the lengths)."""
        draw_conv1d_demo(self.index.value, self.kernel.value, self.stride.value, self.padding.value,
                         self.dilation.value, fig=fig)
        length = len(fig.axes[0].lines[0].get_ydata())
        length_out = len(fig.axes[2].lines[0].get_ydata())
        return f"input length <b>{length}</b> → output length <b>{length_out}</b>"


def conv1d_demo(
    index: int = 0,
    kernel_name: str = "edge",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
) -> Conv1dDemo:
    """The interactive 1D convolution explorer: a slider for the MNIST-1D example, dropdowns for
    kernel and padding, sliders for stride and dilation; the figure of :func:`draw_conv1d_demo`
    updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return Conv1dDemo(index, kernel_name, stride, padding, dilation)
