"""The mechanics every figure demo shares: controls, a summary line, a figure drawn off-screen.

Every demo of the course has two layers:

- a *pure draw function* (``draw_conv_demo``, ``draw_pooling``, ...) that draws one
  state into a matplotlib figure it is given. It knows nothing of widgets, so tests and
  static book pages call it directly;
- a *thin widget*, a subclass of :class:`FigureDemo`, that holds the controls and says in
  :meth:`FigureDemo.draw` how their values become arguments of the draw function and
  what the one-line summary reads.

:class:`FigureDemo` does the rest, once for all demos:

- it lays the controls out, one ``HBox`` per row, above an ``HTML`` summary and an
  ``Image`` view;
- it redraws whenever the ``value`` of a control changes;
- it draws into its own ``Figure`` with an Agg canvas, outside pyplot, so that a notebook
  does not show a stray second copy of every state, and no pyplot figure is left open;
- it shows the figure as PNG bytes in the ``Image`` widget. The bytes are part of the
  widget's state, which the executed notebook saves, so a static book page (no kernel)
  still shows the demo's first state;
- a state the draw function refuses (``ValueError``) shows its message in the summary
  and keeps the last good picture, so a student sees why and can move a control back.

The module is private (leading underscore): ``course_lib.widgets`` does not re-export it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["FigureDemo"]


class FigureDemo(widgets.VBox):
    """Base class of the figure demos: controls, a summary line and an off-screen figure as a PNG.

    A subclass creates its controls, passes them to ``super().__init__`` and implements
    :meth:`draw`. The base class observes every control, draws the first state at once
    and after every change, and sets the attributes below.

    Attributes:
        summary: ``ipywidgets.HTML``, the line returned by :meth:`draw` (or the error).
        view: ``ipywidgets.Image`` holding the last good drawing as PNG bytes.
        figure: the matplotlib ``Figure`` last drawn, with an Agg canvas, not managed by pyplot.
        error_prefix: class attribute, the bold words before the message of a ``ValueError``
            raised by :meth:`draw` (``"Cannot draw:"`` unless a subclass says otherwise).
    """

    error_prefix: str = "Cannot draw:"
    _held: int = 0  # > 0 while hold_redraw() is active

    def __init__(
        self,
        rows: Sequence[Sequence[widgets.Widget]],
        figsize: tuple[float, float],
        *,
        dpi: float = 80,
        tight: bool = True,
        observe: Iterable[widgets.Widget] | None = None,
    ) -> None:
        """Lay out the controls, wire them and draw the first state.

        Args:
            rows: the controls, one list per row of the layout (each row becomes an ``HBox``).
            figsize: size of the figure in inches, ``(width, height)``.
            dpi: resolution of the PNG.
            tight: crop the PNG to what is drawn (``bbox_inches="tight"``).
            observe: the controls whose ``value`` triggers :meth:`redraw`; None means every
                control in ``rows``. A subclass that wires some controls to its own
                handler passes the others here.
        """
        if len(figsize) != 2 or min(figsize) <= 0:
            raise ValueError(f"figsize must be (width, height) in inches, both > 0, got {figsize!r}")
        if dpi <= 0:
            raise ValueError(f"dpi must be > 0, got {dpi!r}")
        self._dpi = dpi
        self._bbox = "tight" if tight else None
        self.summary = widgets.HTML()
        self.view = widgets.Image(format="png")
        self.figure = Figure(figsize=figsize)
        FigureCanvasAgg(self.figure)  # draw off-screen, outside pyplot: no stray copies in notebooks
        controls = [control for row in rows for control in row]
        for control in controls if observe is None else observe:
            control.observe(self.redraw, names="value")
        super().__init__([*(widgets.HBox(list(row)) for row in rows), self.summary, self.view])
        self.redraw()

    def draw(self, fig: Figure) -> str:
        """Draw the state the controls describe into ``fig``; return the summary as HTML.

        Subclasses call their module's pure draw function with ``fig=fig``. Raise
        ``ValueError`` for a combination that cannot be drawn: its message is shown after
        :attr:`error_prefix` and the previous picture stays.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement draw(fig)")

    def show_error(self, error: Exception) -> None:
        """Show ``error`` in the summary, after :attr:`error_prefix`; the picture is kept."""
        self.summary.value = f"<b>{self.error_prefix}</b> {error}"

    def redraw(self, change: object = None) -> None:
        """Draw the current state into ``figure``, ``summary`` and ``view`` (a control observer).

        Does nothing inside :meth:`hold_redraw`. A ``ValueError`` from :meth:`draw` is
        shown with :meth:`show_error` and leaves ``view`` as it was.
        """
        if self._held:
            return
        try:
            summary = self.draw(self.figure)
        except ValueError as error:
            self.show_error(error)
            return
        self.summary.value = summary
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self._dpi, bbox_inches=self._bbox)
        self.view.value = buffer.getvalue()

    @contextmanager
    def hold_redraw(self) -> Iterator[None]:
        """Within this block, control changes do not redraw (call :meth:`redraw` afterwards).

        For a handler that moves several controls at once and wants one drawing, not one
        per control.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
