"""The receptive-field demo: stack up to three convolutions, pick an output unit, see its field.

Each layer is a square convolution given by its kernel size k, stride s and dilation d,
with "half" padding ``p = d (k - 1) // 2`` (the size is kept at stride 1 for odd k).
Two layers, as for every demo of the course:

- :func:`draw_receptive_field` is a pure function: for one stack and one output unit it
  draws the input grid with the number of paths from every input pixel to the unit
  (:func:`path_counts`: zero outside the field, holes included), the field's box from the
  arithmetic of :func:`course_lib.receptive_field.receptive_field`, and the output grid
  with the chosen unit. Tests and static book pages call it directly.
- :func:`receptive_field_demo` wraps it in ipywidgets sliders; every change redraws.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from course_lib.conv import conv_output_size
from course_lib.plots.receptive_field import show_field_grid
from course_lib.receptive_field import RFInfo, receptive_field
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "DEMO_STACK",
    "half_padding",
    "conv_stack",
    "stack_output_size",
    "path_counts",
    "draw_receptive_field",
    "ReceptiveFieldDemo",
    "receptive_field_demo",
]

#: The demo's first state: (kernel, stride, dilation) of each layer.
DEMO_STACK: tuple[tuple[int, int, int], ...] = ((3, 1, 1), (3, 2, 1), (3, 1, 2))

Layer = tuple[int, int, int]


def _positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _layers(layers: object) -> list[Layer]:
    """Check ``layers``: a non-empty sequence of (kernel, stride, dilation) triples of ints >= 1."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers must be a non-empty list of (kernel, stride, dilation) triples, got {layers!r}")
    out: list[Layer] = []
    for i, spec in enumerate(layers):
        if not isinstance(spec, (list, tuple)) or len(spec) != 3:
            raise ValueError(f"layers[{i}] must be a (kernel, stride, dilation) triple, got {spec!r}")
        k, s, d = (_positive_int(v, f"layers[{i}] {n}") for v, n in zip(spec, ("kernel", "stride", "dilation")))
        out.append((k, s, d))
    return out


def half_padding(kernel: int, dilation: int = 1) -> int:
    """The demo's padding ``d (k - 1) // 2``: keeps the size at stride 1 for an odd kernel."""
    return _positive_int(dilation, "dilation") * (_positive_int(kernel, "kernel") - 1) // 2


def conv_stack(layers: Sequence[Layer], dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The stack as one-channel ``nn.Conv2d`` layers without bias, every weight equal to 1.

    Args:
        layers: ``(kernel, stride, dilation)`` per layer; padding is :func:`half_padding`.
        dtype: of the weights.

    Returns:
        ``nn.Sequential`` mapping ``(N, 1, H, W)`` to ``(N, 1, H_out, W_out)``. With unit
        weights and no bias, the gradient of one output unit with respect to an input
        pixel counts the paths between them through the stack.
    """
    modules = []
    for k, s, d in _layers(layers):
        conv = nn.Conv2d(1, 1, k, stride=s, padding=half_padding(k, d), dilation=d, bias=False, dtype=dtype)
        with torch.no_grad():
            conv.weight.fill_(1.0)  # (1, 1, k, k)
        modules.append(conv)
    return nn.Sequential(*modules)


def stack_output_size(layers: Sequence[Layer], input_size: int) -> int:
    """Side of the output of the stack for a square ``input_size`` input (``conv_output_size`` per layer).

    Raises ``ValueError`` (from :func:`course_lib.conv.conv_output_size`) when a kernel
    no longer fits the padded feature map.
    """
    size = _positive_int(input_size, "input_size")
    for k, s, d in _layers(layers):
        size = conv_output_size(size, k, s, half_padding(k, d), d)
    return size


def _unit(unit: object, out_size: int) -> tuple[int, int]:
    """``unit`` as ``(row, col)`` inside an ``out_size`` x ``out_size`` output; None is the centre."""
    if unit is None:
        return out_size // 2, out_size // 2
    try:
        row, col = unit  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"unit must be a pair (row, col) or None, got {unit!r}") from None
    for v in (row, col):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < out_size:
            raise ValueError(f"unit {unit!r} lies outside the output of size {out_size} x {out_size}")
    return int(row), int(col)


def path_counts(layers: Sequence[Layer], unit: tuple[int, int] | None = None, input_size: int = 32) -> torch.Tensor:
    """Number of paths through the stack from every input pixel to one output unit.

    Back-propagates from output unit ``unit`` of :func:`conv_stack` (every weight 1, in
    float64) to a ``(1, 1, input_size, input_size)`` input. A pixel with a zero count
    cannot influence the unit: the non-zero pixels are the unit's receptive field (with
    the holes that dilation or large strides leave); the counts show how much more the
    centre is connected than the border.

    Args:
        layers: ``(kernel, stride, dilation)`` per layer.
        unit: ``(row, col)`` of the output unit; None takes the centre.
        input_size: side of the square input.

    Returns:
        ``(input_size, input_size)`` float64 tensor of non-negative integer counts.
    """
    out_size = stack_output_size(layers, input_size)
    row, col = _unit(unit, out_size)
    stack = conv_stack(layers)
    x = torch.ones(1, 1, input_size, input_size, dtype=torch.float64, requires_grad=True)  # (1, 1, H, W)
    y = stack(x)  # (1, 1, H_out, W_out)
    (grad,) = torch.autograd.grad(y[0, 0, row, col], x)  # (1, 1, H, W)
    return grad[0, 0]  # (H, W)


def _geometry(layers: Sequence[Layer]) -> list[RFInfo]:
    """Receptive-field records of the stack (same along both axes: square kernels)."""
    return receptive_field([(k, s, half_padding(k, d), d) for k, s, d in _layers(layers)])


def draw_receptive_field(
    layers: Sequence[Layer] = DEMO_STACK,
    unit: tuple[int, int] | None = None,
    input_size: int = 32,
    fig: Figure | None = None,
) -> Figure:
    """Draw the receptive field of one output unit of a stack of convolutions; return the figure.

    Args:
        layers: ``(kernel, stride, dilation)`` per layer, padding :func:`half_padding`.
        unit: ``(row, col)`` of the output unit; None takes the centre of the output.
        input_size: side of the square input.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with two panels. Left, the input grid: the path counts of
        :func:`path_counts` (white where zero) and, in red, the box that the arithmetic of
        :func:`course_lib.receptive_field.receptive_field` gives (it may reach into the
        grey padding); ``fig.axes[0].images[0].get_array()`` holds the counts, zeros
        masked. Right, the output grid with the chosen unit, and one line per layer
        (k, s, d, p, field size, jump, output size) below it. The title gives the field's
        size and how many pixels inside its box reach the unit.
    """
    checked = _layers(layers)
    out_size = stack_output_size(checked, input_size)
    row, col = _unit(unit, out_size)
    records = _geometry(checked)
    last = records[-1]
    counts = path_counts(checked, (row, col), input_size)  # (H, W)
    rows, cols = last.bounds(row), last.bounds(col)

    if fig is None:
        fig = plt.figure(figsize=(10, 5.6))
    else:
        fig.clear()
    fig.set_layout_engine("constrained", h_pad=0.25)  # keeps the per-layer lines below the output grid in view
    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    show_field_grid((input_size, input_size), [(rows, cols)], ax=ax_in, values=counts,
                    title=f"input {input_size}×{input_size}: paths to unit ({row}, {col})")
    marker = torch.zeros(out_size, out_size)  # (H_out, W_out)
    marker[row, col] = 1.0
    show_field_grid((out_size, out_size), [((row, row), (col, col))], ax=ax_out, values=marker, cmap="Reds",
                    title=f"output {out_size}×{out_size}")

    lines, size = [], input_size
    for i, ((k, s, d), rec) in enumerate(zip(checked, records), start=1):
        size = conv_output_size(size, k, s, rec.padding, d)
        lines.append(f"layer {i}: k={k} s={s} d={d} p={rec.padding}  ->  field {rec.size}, jump {rec.jump}, "
                     f"output {size}")
    ax_out.set_xlabel("\n".join(lines), fontsize=9, loc="left")
    reached = int((counts > 0).sum())
    fig.suptitle(f"receptive field {last.size}×{last.size} (jump {last.jump}): "
                 f"{reached} input pixels reach the unit", fontsize=11)
    return fig


class ReceptiveFieldDemo(FigureDemo):
    """The widget of :func:`receptive_field_demo`.

    Attributes: ``depth`` (slider, number of layers used), ``kernels``, ``strides``,
    ``dilations`` (one slider per layer each), ``row`` and ``col`` (the output unit;
    their maximum follows the output size and they return to the centre when the layers
    change), and from :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML),
    ``view`` (the PNG) and ``figure`` (the matplotlib figure last drawn, not managed by
    pyplot).
    """

    # The unit sliders always lie inside the output, so the only state that cannot be
    # drawn is a stack whose kernel no longer fits the shrunken feature map.
    error_prefix = "Cannot build this stack:"

    def __init__(self, layers: Sequence[Layer] = DEMO_STACK, input_size: int = 32, max_layers: int = 3) -> None:
        checked = _layers(layers)
        max_layers = _positive_int(max_layers, "max_layers")
        if len(checked) > max_layers:
            raise ValueError(f"layers has {len(checked)} entries, more than max_layers={max_layers}")
        self.input_size = _positive_int(input_size, "input_size")
        padded = checked + [(3, 1, 1)] * (max_layers - len(checked))
        self.depth = widgets.IntSlider(value=len(checked), min=1, max=max_layers, description="layers")
        self.kernels = [widgets.IntSlider(value=k, min=1, max=7, description=f"kernel {i + 1}")
                        for i, (k, _, _) in enumerate(padded)]
        self.strides = [widgets.IntSlider(value=s, min=1, max=3, description=f"stride {i + 1}")
                        for i, (_, s, _) in enumerate(padded)]
        self.dilations = [widgets.IntSlider(value=d, min=1, max=4, description=f"dilation {i + 1}")
                          for i, (_, _, d) in enumerate(padded)]
        self.row = widgets.IntSlider(value=0, min=0, max=0, description="unit row")
        self.col = widgets.IntSlider(value=0, min=0, max=0, description="unit col")
        try:
            self._centre_unit()
        except ValueError:
            pass  # the first drawing shows the error
        for control in [self.depth, *self.kernels, *self.strides, *self.dilations]:
            control.observe(self._layers_changed, names="value")
        rows = [[self.depth], *([k, s, d] for k, s, d in zip(self.kernels, self.strides, self.dilations)),
                [self.row, self.col]]
        super().__init__(rows, figsize=(10, 5.6), observe=[self.row, self.col])

    def layers(self) -> list[Layer]:
        """The ``(kernel, stride, dilation)`` triples the controls describe."""
        return [(k.value, s.value, d.value) for k, s, d in
                zip(self.kernels, self.strides, self.dilations)][: self.depth.value]

    def _centre_unit(self) -> None:
        """Fit the unit sliders to the output size of the layers and put them at its centre.

        Raises ``ValueError`` (sliders untouched) when the stack does not fit the input.
        """
        out_size = stack_output_size(self.layers(), self.input_size)
        with self.hold_redraw():  # moving the unit sliders must not redraw once per slider
            for slider in (self.row, self.col):
                slider.max = max(slider.max, out_size - 1)
                slider.value = out_size // 2
                slider.max = out_size - 1

    def _layers_changed(self, change: object = None) -> None:
        """New layers: recompute the output size, centre the unit sliders, redraw."""
        try:
            self._centre_unit()
        except ValueError as error:
            self.show_error(error)
            return
        self.redraw()

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_receptive_field`; return the summary."""
        draw_receptive_field(self.layers(), (self.row.value, self.col.value), self.input_size, fig=fig)
        last = _geometry(self.layers())[-1]
        return (f"receptive field <b>{last.size} × {last.size}</b>, jump {last.jump}, "
                f"output <b>{self.row.max + 1} × {self.col.max + 1}</b>")


def receptive_field_demo(
    layers: Sequence[Layer] = DEMO_STACK, input_size: int = 32, max_layers: int = 3
) -> ReceptiveFieldDemo:
    """The interactive receptive-field demo: a slider for the number of layers, kernel, stride
    and dilation sliders per layer, and two sliders for the output unit; the figure of
    :func:`draw_receptive_field` updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return ReceptiveFieldDemo(layers, input_size, max_layers)
