"""The pooling demo: choose max pooling, average pooling or plain sub-sampling, the window
and the stride, shift the input by a few pixels, and see which pooled values change.

Two layers, as for every demo of the course:

- :func:`pooling_state` computes one state (the shifted input, its pooled output and the
  output for the unshifted input, with the cells that differ) and :func:`draw_pooling`
  draws it into a matplotlib figure. Tests and static book pages call them directly.
- :func:`pooling_demo` wraps the drawing in ipywidgets controls; every change redraws
  the figure into an ``ipywidgets.Image``.

The inputs are small on purpose, so that every value can be read:

- ``"spots"``: a dark 12 x 12 array with a few bright peaks (integers, written in the cells);
- ``"square"``: the outline of a square, 12 x 12;
- ``"camera"``: the camera-man photo in grey, 32 x 32.

Shifting moves the content: a positive ``shift_y`` moves it down, a positive ``shift_x``
to the right. Each input is made on a canvas ``POOLING_MAX_SHIFT`` pixels larger on every
side, and the demo cuts the visible window out of it at an offset, the way a camera that
moves sees the scene: no content wraps around. For the synthetic inputs the margin is
zero, so this equals :func:`shift_image` with zeros coming in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib.data import sample_image
from course_lib.pooling import avg_pool2d, max_pool2d, pool_output_size
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "POOLING_TYPES",
    "POOLING_INPUTS",
    "POOLING_MAX_SHIFT",
    "shift_image",
    "subsample2d",
    "pool_plane",
    "pooling_input",
    "PoolingState",
    "pooling_state",
    "draw_pooling",
    "PoolingDemo",
    "pooling_demo",
]

#: What the demo can do to each window: take its maximum, its mean, or its top-left pixel.
POOLING_TYPES: tuple[str, ...] = ("max", "average", "subsample")

#: The demo's inputs (see the module docstring).
POOLING_INPUTS: tuple[str, ...] = ("spots", "square", "camera")

#: The largest shift, in pixels, in each direction (the margin of each input's canvas).
POOLING_MAX_SHIFT = 3

_SIDES = {"spots": 12, "square": 12, "camera": 32}  # side of the visible window
_ANNOTATED = ("spots", "square")  # inputs whose values are written in the cells


def _int_in(value: object, name: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


def shift_image(x: torch.Tensor, shift_y: int, shift_x: int, fill: float = 0.0) -> torch.Tensor:
    """Move the content of an image by whole pixels; ``fill`` comes in at the vacated border.

    Args:
        x: ``(..., H, W)`` tensor (any leading dimensions, e.g. ``(H, W)`` or ``(N, C, H, W)``).
        shift_y: rows to move the content down (negative: up).
        shift_x: columns to move it to the right (negative: left).
        fill: the value of the pixels that come in.

    Returns:
        ``(..., H, W)``, the same dtype: ``out[..., i, j] = x[..., i - shift_y, j - shift_x]``
        where that index exists, ``fill`` elsewhere. Content moved past the border is lost
        (unlike ``torch.roll``, nothing wraps around).
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError(f"x must be a tensor (..., H, W) with at least 2 dimensions, got {getattr(x, 'shape', type(x))}")
    h, w = x.shape[-2:]
    shift_y = _int_in(shift_y, "shift_y", -(2**31), 2**31)
    shift_x = _int_in(shift_x, "shift_x", -(2**31), 2**31)
    out = torch.full_like(x, fill)  # (..., H, W)
    if abs(shift_y) >= h or abs(shift_x) >= w:
        return out  # everything moved out of the frame
    src_rows = slice(max(-shift_y, 0), h - max(shift_y, 0))
    dst_rows = slice(max(shift_y, 0), h - max(-shift_y, 0))
    src_cols = slice(max(-shift_x, 0), w - max(shift_x, 0))
    dst_cols = slice(max(shift_x, 0), w - max(-shift_x, 0))
    out[..., dst_rows, dst_cols] = x[..., src_rows, src_cols]
    return out


def subsample2d(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Sub-sampling: keep the top-left pixel of every pooling window, drop the rest.

    Args:
        x: ``(N, C, H, W)``.
        kernel_size: window side ``k`` (only fixes how many windows there are).
        stride: step ``s`` between windows; None means ``k``.

    Returns:
        ``(N, C, H_out, W_out)`` with ``H_out = floor((H - k) / s) + 1`` (as for pooling):
        ``out[..., i, j] = x[..., i * s, j * s]``. This is what a strided convolution with a
        ``1 x 1`` identity kernel computes: every other value is never looked at.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"x must be a 4D tensor (N, C, H, W), got {getattr(x, 'shape', type(x))}")
    s = kernel_size if stride is None else stride
    h_out = pool_output_size(x.shape[2], kernel_size, s)
    w_out = pool_output_size(x.shape[3], kernel_size, s)
    return x[:, :, : (h_out - 1) * s + 1 : s, : (w_out - 1) * s + 1 : s]  # (N, C, H_out, W_out)


def pool_plane(x: torch.Tensor, pool_type: str, kernel_size: int, stride: int | None = None) -> torch.Tensor:
    """Pool one ``(H, W)`` plane with :mod:`course_lib.pooling`; return ``(H_out, W_out)``.

    ``pool_type`` is one of :data:`POOLING_TYPES`: ``"max"`` (:func:`~course_lib.pooling.max_pool2d`),
    ``"average"`` (:func:`~course_lib.pooling.avg_pool2d`) or ``"subsample"`` (:func:`subsample2d`).
    """
    if pool_type not in POOLING_TYPES:
        raise ValueError(f"pool_type must be one of {POOLING_TYPES}, got {pool_type!r}")
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a 2D tensor (H, W), got {getattr(x, 'shape', type(x))}")
    batch = x[None, None]  # (1, 1, H, W)
    if pool_type == "max":
        out = max_pool2d(batch, kernel_size, stride)
    elif pool_type == "average":
        out = avg_pool2d(batch, kernel_size, stride)
    else:
        out = subsample2d(batch, kernel_size, stride)
    return out[0, 0]  # (H_out, W_out)


def _spots_canvas(side: int, margin: int) -> torch.Tensor:
    """A dark canvas with a few bright integer peaks, ``(side + 2m, side + 2m)`` float32.

    The background is 0 with a scattering of 1s (about one pixel in four), the peaks are
    5 to 9; all lie inside the visible window (the margin is zero).
    """
    g = torch.Generator().manual_seed(4)
    window = (torch.rand(side, side, generator=g) < 0.25).float()  # (side, side): background 0 or 1
    for row, col, value in [(1, 1, 9.0), (2, 6, 7.0), (3, 9, 8.0), (6, 3, 6.0), (7, 7, 9.0), (9, 2, 5.0),
                            (10, 10, 7.0), (5, 10, 6.0)]:
        window[row, col] = value
    return torch.nn.functional.pad(window, [margin] * 4)  # (side + 2m, side + 2m)


def _square_canvas(side: int, margin: int) -> torch.Tensor:
    """The outline of a square (value 1 on 0), ``(side + 2m, side + 2m)`` float32."""
    window = torch.zeros(side, side)
    lo, hi = 3, side - 4
    window[lo, lo : hi + 1] = 1.0
    window[hi, lo : hi + 1] = 1.0
    window[lo : hi + 1, lo] = 1.0
    window[lo : hi + 1, hi] = 1.0
    return torch.nn.functional.pad(window, [margin] * 4)


@functools.lru_cache(maxsize=4)
def _canvas(input_name: str) -> torch.Tensor:
    """The canvas of one input, ``(side + 2m, side + 2m)`` float32 (cached: photos load slowly)."""
    if input_name not in POOLING_INPUTS:
        raise ValueError(f"input_name must be one of {POOLING_INPUTS}, got {input_name!r}")
    side, margin = _SIDES[input_name], POOLING_MAX_SHIFT
    if input_name == "spots":
        return _spots_canvas(side, margin)
    if input_name == "square":
        return _square_canvas(side, margin)
    return sample_image("camera", size=side + 2 * margin, gray=True)[0]  # (side + 2m, side + 2m)


def pooling_input(input_name: str = "spots", shift_y: int = 0, shift_x: int = 0) -> torch.Tensor:
    """The demo's input, its content moved by ``(shift_y, shift_x)`` pixels; ``(H, W)`` float32.

    ``input_name`` is one of :data:`POOLING_INPUTS`; shifts are ints in
    ``[-POOLING_MAX_SHIFT, POOLING_MAX_SHIFT]`` (down and right are positive).
    """
    canvas = _canvas(input_name)
    shift_y = _int_in(shift_y, "shift_y", -POOLING_MAX_SHIFT, POOLING_MAX_SHIFT)
    shift_x = _int_in(shift_x, "shift_x", -POOLING_MAX_SHIFT, POOLING_MAX_SHIFT)
    side, m = _SIDES[input_name], POOLING_MAX_SHIFT
    top, left = m - shift_y, m - shift_x  # the window moves against the content
    return canvas[top : top + side, left : left + side].clone()  # (side, side)


@dataclass
class PoolingState:
    """One state of the demo.

    Attributes:
        image: the shifted input, ``(H, W)``.
        output: its pooled output, ``(H_out, W_out)``.
        reference: the pooled output of the unshifted input, ``(H_out, W_out)``.
        changed: ``(H_out, W_out)`` bool, where ``output`` and ``reference`` differ.
        pool_type, kernel_size, stride: the pooling.
        shift: ``(shift_y, shift_x)``.
    """

    image: torch.Tensor
    output: torch.Tensor
    reference: torch.Tensor
    changed: torch.Tensor
    pool_type: str
    kernel_size: int
    stride: int
    shift: tuple[int, int]

    @property
    def unchanged_fraction(self) -> float:
        """The fraction of pooled values that the shift left as they were."""
        return 1.0 - float(self.changed.float().mean())


def pooling_state(
    pool_type: str = "max",
    kernel_size: int = 2,
    stride: int | None = None,
    shift_y: int = 0,
    shift_x: int = 0,
    input_name: str = "spots",
) -> PoolingState:
    """The demo's computation without the drawing.

    Args:
        pool_type: one of :data:`POOLING_TYPES`.
        kernel_size: window side, an int in ``[1, 6]``.
        stride: step between windows, an int in ``[1, 6]``; None means ``kernel_size``.
        shift_y, shift_x: how far the content moves down and right, ints in
            ``[-POOLING_MAX_SHIFT, POOLING_MAX_SHIFT]``.
        input_name: one of :data:`POOLING_INPUTS`.

    Returns:
        A :class:`PoolingState`; values count as changed when they differ by more than
        ``1e-6`` (relative and absolute).
    """
    if pool_type not in POOLING_TYPES:
        raise ValueError(f"pool_type must be one of {POOLING_TYPES}, got {pool_type!r}")
    kernel_size = _int_in(kernel_size, "kernel_size", 1, 6)
    stride = kernel_size if stride is None else _int_in(stride, "stride", 1, 6)
    image = pooling_input(input_name, shift_y, shift_x)  # (H, W)
    output = pool_plane(image, pool_type, kernel_size, stride)  # (H_out, W_out)
    reference = pool_plane(pooling_input(input_name), pool_type, kernel_size, stride)
    changed = ~torch.isclose(output, reference, rtol=1e-6, atol=1e-6)  # (H_out, W_out)
    return PoolingState(image, output, reference, changed, pool_type, kernel_size, stride, (shift_y, shift_x))


def _draw_array(ax: Axes, array: torch.Tensor, vmin: float, vmax: float, title: str, annotate: bool) -> None:
    """Draw an ``(H, W)`` array as cells on a fixed colour scale; with ``annotate`` its values
    are written in the cells (blue shades), otherwise it is drawn as a grey picture."""
    values = array.detach().cpu().numpy()
    shown = ax.imshow(values, cmap="Blues" if annotate else "gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        for (row, col), value in np.ndenumerate(values):
            dark = shown.norm(value) > 0.55
            ax.text(col, row, format(value, ".2g"), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def draw_pooling(
    pool_type: str = "max",
    kernel_size: int = 2,
    stride: int | None = None,
    shift_y: int = 0,
    shift_x: int = 0,
    input_name: str = "spots",
    fig: Figure | None = None,
) -> Figure:
    """Draw one state of the pooling demo; return the figure.

    Args:
        pool_type, kernel_size, stride, shift_y, shift_x, input_name: as in :func:`pooling_state`.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with three panels on one colour scale (the unshifted input's range):
        the shifted input with the first pooling window in red and its neighbours to the
        right and below dashed (they show the stride); the pooled output of the unshifted
        input; the pooled output of the shifted input, every value the shift changed
        framed in red, titled with how many stayed. ``fig.axes[1].images[0].get_array()``
        is the reference output and ``fig.axes[2].images[0].get_array()`` the shifted
        one; ``len(fig.axes[2].patches)`` is the number of changed values.
    """
    state = pooling_state(pool_type, kernel_size, stride, shift_y, shift_x, input_name)
    k, s = state.kernel_size, state.stride
    if fig is None:
        fig = plt.figure(figsize=(11, 3.9))
    else:
        fig.clear()
    ax_in, ax_ref, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
    unshifted = pooling_input(input_name)
    vmin, vmax = float(unshifted.min()), float(unshifted.max())
    if vmax <= vmin:
        vmax = vmin + 1.0

    h, w = state.image.shape
    annotate = input_name in _ANNOTATED
    _draw_array(ax_in, state.image, vmin, vmax, f"input {h} × {w}, shifted by ({shift_y}, {shift_x})", annotate)
    ax_in.add_patch(Rectangle((-0.5, -0.5), k, k, fill=False, edgecolor="red", linewidth=2))
    h_out, w_out = state.output.shape
    for dy, dx in ((0, 1), (1, 0)):  # the next window to the right and the next one below
        if dy < h_out and dx < w_out:
            ax_in.add_patch(Rectangle((dx * s - 0.5, dy * s - 0.5), k, k, fill=False, edgecolor="tab:orange",
                                      linewidth=1.5, linestyle="--"))
    what = {"max": "max pooling", "average": "average pooling", "subsample": "sub-sampling"}[pool_type]
    ax_in.set_xlabel(f"{what}, window {k} × {k}, stride {s}", fontsize=9)

    _draw_array(ax_ref, state.reference, vmin, vmax, f"output without shift, {h_out} × {w_out}", annotate)
    n_changed = int(state.changed.sum())
    _draw_array(ax_out, state.output, vmin, vmax, f"output with shift: {state.changed.numel() - n_changed} "
                                                  f"of {state.changed.numel()} unchanged", annotate)
    for row, col in state.changed.nonzero().tolist():
        ax_out.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    fig.tight_layout()
    return fig


class PoolingDemo(FigureDemo):
    """The widget of :func:`pooling_demo`: controls, a one-line summary and the figure as a PNG.

    Attributes: ``pool_type`` and ``input_name`` (dropdowns), ``kernel_size``, ``stride``,
    ``shift_y``, ``shift_x`` (sliders), and from
    :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML with the count of
    unchanged values), ``view`` (the PNG) and ``figure`` (the matplotlib figure last
    drawn, not managed by pyplot).
    """

    error_prefix = "Cannot pool:"

    def __init__(
        self,
        pool_type: str = "max",
        kernel_size: int = 2,
        stride: int | None = None,
        shift_y: int = 0,
        shift_x: int = 0,
        input_name: str = "spots",
    ) -> None:
        m = POOLING_MAX_SHIFT
        self.pool_type = widgets.Dropdown(options=list(POOLING_TYPES), value=pool_type, description="pooling")
        self.input_name = widgets.Dropdown(options=list(POOLING_INPUTS), value=input_name, description="input")
        self.kernel_size = widgets.IntSlider(value=kernel_size, min=1, max=4, description="window")
        self.stride = widgets.IntSlider(value=kernel_size if stride is None else stride, min=1, max=4,
                                        description="stride")
        self.shift_y = widgets.IntSlider(value=shift_y, min=-m, max=m, description="shift down")
        self.shift_x = widgets.IntSlider(value=shift_x, min=-m, max=m, description="shift right")
        rows = [[self.pool_type, self.kernel_size, self.stride], [self.input_name, self.shift_y, self.shift_x]]
        super().__init__(rows, figsize=(11, 3.9))

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_pooling`; return the summary (values kept by the shift)."""
        draw_pooling(self.pool_type.value, self.kernel_size.value, self.stride.value, self.shift_y.value,
                     self.shift_x.value, self.input_name.value, fig=fig)
        total = fig.axes[2].images[0].get_array().size
        changed = len(fig.axes[2].patches)
        return f"<b>{total - changed} of {total}</b> pooled values unchanged by the shift"


def pooling_demo(
    pool_type: str = "max",
    kernel_size: int = 2,
    stride: int | None = None,
    shift_y: int = 0,
    shift_x: int = 0,
    input_name: str = "spots",
) -> PoolingDemo:
    """The interactive pooling demo: dropdowns for the pooling type and the input, sliders
    for the window, the stride and the shift; the figure of :func:`draw_pooling` updates on
    every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return PoolingDemo(pool_type, kernel_size, stride, shift_y, shift_x, input_name)
