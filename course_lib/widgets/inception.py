"""The Inception-module demo: choose the branch widths, see what the module costs.

Two layers, as for every demo of the course:

- :func:`draw_inception` is a pure function: from the input size and the seven widths of
  an Inception module (Szegedy et al., 2015, table 1) it draws the module as a diagram,
  every layer with its channels, parameters and multiply-adds, next to a bar chart of the
  multiply-adds per branch with and without the 1x1 reductions; the title gives the
  totals. The numbers come from :func:`course_lib.complexity.inception_cost`.
- :func:`inception_demo` wraps it in ipywidgets sliders; every change redraws the figure
  into an ``ipywidgets.Image``.
"""

from __future__ import annotations


import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from course_lib.complexity import LayerCost, inception_cost, inception_totals
from course_lib.widgets._figure import FigureDemo

__all__ = ["INCEPTION_3A", "draw_inception", "InceptionDemo", "inception_demo"]

#: Inception (3a) of GoogLeNet (Szegedy et al., 2015, table 1): the demo's first state.
INCEPTION_3A: dict[str, int] = {
    "in_channels": 192,
    "size": 28,
    "ch1x1": 64,
    "ch3x3red": 96,
    "ch3x3": 128,
    "ch5x5red": 16,
    "ch5x5": 32,
    "pool_proj": 32,
}

_BRANCHES = ("1x1", "3x3", "5x5", "pool")
_COLOURS = {"1x1": "tab:blue", "3x3": "tab:orange", "5x5": "tab:green", "pool": "tab:purple"}


def _format_count(n: float) -> str:
    """A count in short form: ``950``, ``12.3 k``, ``128.0 M``, ``1.50 G``."""
    for factor, unit, digits in ((1e9, "G", 2), (1e6, "M", 1), (1e3, "k", 1)):
        if abs(n) >= factor:
            return f"{n / factor:.{digits}f} {unit}"
    return f"{n:.0f}"


def _box(ax, x: float, y: float, text: str, colour: str, width: float = 0.9, height: float = 0.78) -> None:
    """A rounded box centred on ``(x, y)`` with ``text`` in it."""
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02",
                                facecolor=colour, alpha=0.18, edgecolor=colour, linewidth=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, x0: float, y0: float, x1: float, y1: float) -> None:
    """An arrow from ``(x0, y0)`` to ``(x1, y1)``."""
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "0.35", "lw": 1.0})


def _layer_text(c: LayerCost) -> str:
    """What a box says about one layer."""
    if c.macs == 0:
        return f"{c.layer}\n{c.in_channels} → {c.out_channels} ch\nno weights"
    return (f"{c.layer}\n{c.in_channels} → {c.out_channels} ch\n"
            f"{_format_count(c.params)} params\n{_format_count(c.macs)} MACs")


def _draw_diagram(ax, costs: list[LayerCost], in_channels: int, size: tuple[int, int], out_channels: int) -> None:
    """The module as boxes: input at the bottom, the branches side by side, concatenation on top."""
    ax.set_xlim(0, 4)
    ax.set_ylim(0.1, 4.0)
    ax.axis("off")
    h, w = size
    _box(ax, 2.0, 0.5, f"input  {in_channels} × {h} × {w}", "0.4", width=3.8, height=0.5)
    _box(ax, 2.0, 3.6, f"concatenate  →  {out_channels} × {h} × {w}", "0.4", width=3.8, height=0.5)
    for column, branch in enumerate(_BRANCHES):
        layers = [c for c in costs if c.branch == branch]
        x = column + 0.5
        rows = [2.45] if len(layers) == 1 else [1.4, 2.45]
        _arrow(ax, x, 0.75, x, rows[0] - 0.4)
        for layer, y in zip(layers, rows):
            _box(ax, x, y, _layer_text(layer), _COLOURS[branch])
        if len(rows) == 2:
            _arrow(ax, x, rows[0] + 0.4, x, rows[1] - 0.4)
        _arrow(ax, x, rows[-1] + 0.4, x, 3.35)


def _draw_bars(ax, with_red: list[LayerCost], without: list[LayerCost], reductions: bool) -> None:
    """Multiply-adds per branch, with and without reductions; the drawn module's bars are solid."""
    y = range(len(_BRANCHES))
    for offset, costs, on in ((-0.2, with_red, reductions), (0.2, without, not reductions)):
        values = [sum(c.macs for c in costs if c.branch == b) / 1e6 for b in _BRANCHES]
        ax.barh([i + offset for i in y], values, height=0.38,
                color=[_COLOURS[b] for b in _BRANCHES], alpha=0.9 if on else 0.25,
                hatch=None if on else "//", edgecolor="0.3")
        for i, v in zip(y, values):
            ax.text(v, i + offset, f" {v:.1f}", va="center", fontsize=7)
    ax.set_yticks(list(y), [f"{b} branch" for b in _BRANCHES])
    ax.invert_yaxis()
    ax.set_xlabel("multiply-adds (millions)")
    ax.margins(x=0.18)
    handles = [Patch(facecolor="0.45", alpha=0.9 if reductions else 0.25, hatch=None if reductions else "//",
                     edgecolor="0.3", label="with 1×1 reductions"),
               Patch(facecolor="0.45", alpha=0.25 if reductions else 0.9, hatch="//" if reductions else None,
                     edgecolor="0.3", label="without (naive)")]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.set_title("cost per branch", fontsize=10)


def draw_inception(
    in_channels: int = 192,
    ch1x1: int = 64,
    ch3x3red: int = 96,
    ch3x3: int = 128,
    ch5x5red: int = 16,
    ch5x5: int = 32,
    pool_proj: int = 32,
    size: int = 28,
    reductions: bool = True,
    kernel5x5: int = 5,
    fig: Figure | None = None,
) -> Figure:
    """Draw one Inception module and what it costs; return the figure.

    Args:
        in_channels: channels of the input map.
        ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj: the branch widths (see
            :func:`course_lib.complexity.inception_cost`); the defaults are inception (3a).
        size: side of the square input map (28 for inception 3a).
        reductions: draw the module with its 1x1 reductions (fig. 2b of the paper) or
            the naive module without them (fig. 2a, where the pooled input is concatenated
            as it is).
        kernel5x5: kernel of the third branch (5 as in the paper).
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure: a diagram of the module (``fig.axes[0]``), a bar chart of the
        multiply-adds per branch for both variants (``fig.axes[1]``), and a title with the
        drawn module's output channels, parameters and multiply-adds written out in full
        (e.g. ``"128,049,152 multiply-adds"``), for a single example and biases included
        in the parameters.
    """
    widths = (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)
    with_red = inception_cost(in_channels, size, *widths, reductions=True, kernel5x5=kernel5x5)
    without = inception_cost(in_channels, size, *widths, reductions=False, kernel5x5=kernel5x5)
    costs = with_red if reductions else without
    totals = inception_totals(costs)

    if fig is None:
        fig = plt.figure(figsize=(12, 4.6))
    else:
        fig.clear()
    ax_diagram, ax_bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.1, 1]})
    _draw_diagram(ax_diagram, costs, in_channels, (size, size), totals["out_channels"])
    _draw_bars(ax_bars, with_red, without, reductions)
    variant = "with 1×1 reductions" if reductions else "naive (no reductions)"
    fig.suptitle(
        f"Inception module {variant}: {totals['out_channels']:,} output channels, "
        f"{totals['params']:,} parameters, {totals['macs']:,} multiply-adds",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


class InceptionDemo(FigureDemo):
    """The widget of :func:`inception_demo`: sliders, a summary line and the figure as a PNG.

    Attributes: one ``IntSlider`` per argument of :func:`draw_inception` (``in_channels``,
    ``ch1x1``, ``ch3x3red``, ``ch3x3``, ``ch5x5red``, ``ch5x5``, ``pool_proj``, ``size``),
    the ``reductions`` checkbox, and from :class:`~course_lib.widgets._figure.FigureDemo`
    ``summary`` (HTML with the totals), ``view`` (the PNG) and ``figure`` (the matplotlib
    figure last drawn, not managed by pyplot).
    """

    def __init__(self, reductions: bool = True, **widths: int) -> None:
        values = {**INCEPTION_3A, **widths}
        unknown = set(values) - set(INCEPTION_3A)
        if unknown:
            raise ValueError(f"unknown widths {sorted(unknown)}; expected some of {sorted(INCEPTION_3A)}")
        style = {"description_width": "initial"}

        def slider(name: str, low: int, high: int, step: int = 1) -> widgets.IntSlider:
            value = values[name]
            return widgets.IntSlider(value=value, min=min(low, value), max=max(high, value), step=step,
                                     description=name, style=style, continuous_update=False)

        self.in_channels = slider("in_channels", 1, 1024)
        self.size = slider("size", 7, 56)
        self.ch1x1 = slider("ch1x1", 1, 512)
        self.ch3x3red = slider("ch3x3red", 1, 512)
        self.ch3x3 = slider("ch3x3", 1, 512)
        self.ch5x5red = slider("ch5x5red", 1, 256)
        self.ch5x5 = slider("ch5x5", 1, 256)
        self.pool_proj = slider("pool_proj", 1, 512)
        self.reductions = widgets.Checkbox(value=reductions, description="1×1 reductions")
        rows = [[self.in_channels, self.size, self.reductions], [self.ch1x1, self.ch3x3red, self.ch3x3],
                [self.ch5x5red, self.ch5x5, self.pool_proj]]
        super().__init__(rows, figsize=(12, 4.6), tight=False)  # the figure lays itself out: keep its size

    def values(self) -> dict[str, int | bool]:
        """The current arguments of :func:`draw_inception`."""
        return {
            "in_channels": self.in_channels.value,
            "ch1x1": self.ch1x1.value,
            "ch3x3red": self.ch3x3red.value,
            "ch3x3": self.ch3x3.value,
            "ch5x5red": self.ch5x5red.value,
            "ch5x5": self.ch5x5.value,
            "pool_proj": self.pool_proj.value,
            "size": self.size.value,
            "reductions": self.reductions.value,
        }

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_inception`; return the summary (totals and savings)."""
        v = self.values()
        draw_inception(**v, fig=fig)
        widths = [v[k] for k in ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")]
        totals = {r: inception_totals(inception_cost(v["in_channels"], v["size"], *widths, reductions=r))
                  for r in (True, False)}
        now = totals[bool(v["reductions"])]
        ratio = totals[False]["macs"] / totals[True]["macs"]
        return (
            f"output <b>{now['out_channels']:,}</b> channels, <b>{now['params']:,}</b> parameters, "
            f"<b>{now['macs']:,}</b> multiply-adds; the reductions divide the multiply-adds by "
            f"<b>{ratio:.2f}</b>"
        )


def inception_demo(reductions: bool = True, **widths: int) -> InceptionDemo:
    """The interactive Inception-module demo: sliders for the input and the branch widths, a
    checkbox for the 1x1 reductions; the figure of :func:`draw_inception` updates on every change.

    Args:
        reductions: the first state of the checkbox.
        widths: first values of the sliders (``in_channels``, ``size``, ``ch1x1``, ...);
            the others start at inception (3a), :data:`INCEPTION_3A`.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return InceptionDemo(reductions=reductions, **widths)
