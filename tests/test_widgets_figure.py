"""Tests of course_lib.widgets._figure: the base class of the figure demos, with a tiny demo."""

from __future__ import annotations

import io
import struct

import ipywidgets as widgets
import matplotlib.colors
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import course_lib.widgets as widgets_package
from course_lib.widgets._figure import FigureDemo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BarsDemo(FigureDemo):
    """A tiny demo: ``count`` bars of heights 1..count, in a colour; more than 6 bars is refused."""

    def __init__(self, count: int = 3, colour: str = "tab:blue", figsize: tuple[float, float] = (4, 3),
                 **options: object) -> None:
        self.count = widgets.IntSlider(value=count, min=1, max=10, description="bars")
        self.colour = widgets.Dropdown(options=["tab:blue", "tab:red"], value=colour, description="colour")
        self.calls = 0
        super().__init__([[self.count], [self.colour]], figsize=figsize, **options)

    def draw(self, fig: Figure) -> str:
        self.calls += 1
        n = self.count.value
        if n > 6:
            raise ValueError(f"count must be at most 6, got {n}")
        fig.clear()
        ax = fig.subplots()
        ax.bar(np.arange(n), np.arange(1, n + 1), color=self.colour.value)
        return f"<b>{n}</b> bars"


class RefusingDemo(BarsDemo):
    error_prefix = "Cannot stack bars:"


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, read from its IHDR chunk."""
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


def _pixels(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")  # (H, W, 4)


def test_first_state_is_drawn_at_once():
    demo = BarsDemo(count=3)
    assert demo.calls == 1
    assert demo.summary.value == "<b>3</b> bars"
    png = bytes(demo.view.value)
    assert png.startswith(PNG_SIGNATURE)
    assert demo.view.format == "png"
    assert len(demo.figure.axes) == 1 and len(demo.figure.axes[0].patches) == 3
    # the layout: one HBox per row of controls, then the summary, then the picture
    rows, summary, view = demo.children[:-2], demo.children[-2], demo.children[-1]
    assert [list(row.children) for row in rows] == [[demo.count], [demo.colour]]
    assert all(isinstance(row, widgets.HBox) for row in rows)
    assert summary is demo.summary and view is demo.view


def test_changing_a_control_redraws():
    demo = BarsDemo(count=3)
    first = bytes(demo.view.value)
    demo.count.value = 5
    assert demo.calls == 2
    assert demo.summary.value == "<b>5</b> bars"
    assert len(demo.figure.axes[0].patches) == 5
    second = bytes(demo.view.value)
    assert second != first
    demo.colour.value = "tab:red"  # every control is observed
    assert demo.calls == 3
    assert bytes(demo.view.value) != second
    red = _pixels(demo.view.value)[..., :3]
    assert (np.abs(red - matplotlib.colors.to_rgb("tab:red")).sum(axis=-1) < 0.02).any()
    demo.colour.value = "tab:blue"
    assert bytes(demo.view.value) == second  # the same state gives the same picture


def test_a_value_error_is_shown_and_the_last_picture_kept():
    demo = BarsDemo(count=4)
    good = bytes(demo.view.value)
    demo.count.value = 8
    assert demo.summary.value == "<b>Cannot draw:</b> count must be at most 6, got 8"
    assert bytes(demo.view.value) == good
    demo.count.value = 2  # back to a valid state: drawn again
    assert demo.summary.value == "<b>2</b> bars"
    assert bytes(demo.view.value) != good


def test_a_subclass_chooses_the_error_prefix():
    demo = RefusingDemo(count=9)  # refused from the start: no picture yet
    assert demo.summary.value.startswith("<b>Cannot stack bars:</b> count must be at most 6")
    assert bytes(demo.view.value) == b""
    demo.count.value = 1
    assert demo.summary.value == "<b>1</b> bars" and bytes(demo.view.value).startswith(PNG_SIGNATURE)


def test_no_pyplot_figure_is_left_open():
    plt.close("all")
    before = plt.get_fignums()
    demo = BarsDemo()
    for n in (1, 2, 8, 6):
        demo.count.value = n
    assert plt.get_fignums() == before
    assert isinstance(demo.figure.canvas, FigureCanvasAgg)


def test_dpi_and_tight_set_the_png_size():
    loose = BarsDemo(tight=False)  # the whole figure: figsize * dpi pixels
    assert _png_size(loose.view.value) == (4 * 80, 3 * 80)
    assert _png_size(BarsDemo(tight=False, dpi=40).view.value) == (4 * 40, 3 * 40)
    tight = BarsDemo()  # cropped to what is drawn (the default axes leave white margins)
    width, height = _png_size(tight.view.value)
    assert width < 4 * 80 and height < 3 * 80


def test_observe_limits_the_controls_that_redraw():
    demo = BarsDemo(observe=[])
    demo.count.value = 5
    assert demo.calls == 1 and demo.summary.value == "<b>3</b> bars"
    demo.redraw()
    assert demo.calls == 2 and demo.summary.value == "<b>5</b> bars"


def test_hold_redraw_draws_once_for_many_changes():
    demo = BarsDemo()
    with demo.hold_redraw():
        demo.count.value = 4
        with demo.hold_redraw():  # nests
            demo.colour.value = "tab:red"
        demo.count.value = 5
        assert demo.calls == 1
    demo.redraw()
    assert demo.calls == 2 and len(demo.figure.axes[0].patches) == 5
    demo.count.value = 6  # released: controls redraw again
    assert demo.calls == 3


def test_draw_must_be_implemented_and_arguments_are_checked():
    class Bare(FigureDemo):
        pass

    with pytest.raises(NotImplementedError, match="Bare must implement draw"):
        Bare([[widgets.IntSlider()]], figsize=(2, 2))
    with pytest.raises(ValueError, match="figsize"):
        BarsDemo(figsize=(0, 2))
    with pytest.raises(ValueError, match="dpi"):
        BarsDemo(dpi=0)


def test_the_base_class_is_not_exported():
    assert "FigureDemo" not in widgets_package.__all__
    assert not hasattr(widgets_package, "FigureDemo")
