"""Figures of receptive fields: boxes of input pixels drawn on the input grid.

Chapter 6 draws the field of an output unit as a box on the grid of input pixels, and
often several of them (the fields of neighbouring units, or of the same unit after each
layer). Part of a border unit's field can lie in the zero padding, outside the image;
the helpers draw that margin in grey so the box stays visible.

Coordinates follow :mod:`course_lib.receptive_field` and ``imshow``: input pixel
``(r, c)`` is centred at ``x = c, y = r``; a field is given by its first and last row and
column, both included, e.g. ``((r0, r1), (c0, c1))`` as returned by ``RFInfo.bounds``
along each axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from course_lib.plots.images import ArrayLike, to_numpy

__all__ = ["field_rectangle", "show_field_grid"]

Bounds = tuple[int, int]
Field = tuple[Bounds, Bounds]

#: Colours of successive fields when none are given.
FIELD_COLORS: tuple[str, ...] = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown")


def _int_pair(value: object, name: str) -> Bounds:
    """``value`` as a pair of ints ``(first, last)`` with ``first <= last``."""
    try:
        first, last = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (first, last) of ints, got {value!r}") from None
    for v in (first, last):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be a pair (first, last) of ints, got {value!r}")
    if first > last:
        raise ValueError(f"{name} = {value!r}: first must not exceed last")
    return int(first), int(last)


def field_rectangle(ax: Axes, rows: Bounds, cols: Bounds, inset: float = 0.0, **style: object) -> Rectangle:
    """Add the box around input rows ``rows[0]..rows[1]`` and columns ``cols[0]..cols[1]`` to ``ax``.

    Args:
        ax: axes in pixel coordinates (pixel ``(r, c)`` centred at ``(c, r)``, as ``imshow``).
        rows, cols: first and last row/column of the field, both included (may be negative
            or beyond the image when the field reaches into the padding).
        inset: shrink the box by this many pixels on every side (to tell nested boxes
            with a shared edge apart); 0 draws it exactly on the pixel edges.
        style: keyword arguments for ``matplotlib.patches.Rectangle`` (``edgecolor``,
            ``linewidth``, ``linestyle``, ``label``, ...); by default an unfilled red box.

    Returns:
        The ``Rectangle``: corner ``(c0 - 0.5, r0 - 0.5)``, width ``c1 - c0 + 1``, height
        ``r1 - r0 + 1`` (each side moved in by ``inset``), so that it runs along the
        outer edges of the field's pixels.
    """
    r0, r1 = _int_pair(rows, "rows")
    c0, c1 = _int_pair(cols, "cols")
    if not 0.0 <= inset < 0.5:
        raise ValueError(f"inset must be in [0, 0.5), got {inset!r}")
    options: dict[str, object] = {"fill": False, "edgecolor": "tab:red", "linewidth": 2.0}
    options.update(style)
    patch = Rectangle((c0 - 0.5 + inset, r0 - 0.5 + inset), c1 - c0 + 1 - 2 * inset, r1 - r0 + 1 - 2 * inset,
                      **options)
    ax.add_patch(patch)
    return patch


def show_field_grid(
    shape: tuple[int, int],
    fields: Sequence[Field] = (),
    ax: Axes | None = None,
    values: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    margin: int | None = None,
    grid: bool | None = None,
    cmap: str = "Blues",
    title: str | None = None,
    linestyles: Sequence[str] | None = None,
    stagger: float = 0.0,
) -> Axes:
    """Draw the input grid of ``shape`` pixels and the receptive fields ``fields`` on it; return ``ax``.

    Args:
        shape: ``(H, W)`` of the input.
        fields: boxes ``((r0, r1), (c0, c1))``, first and last row and column included.
        ax: where to draw; None makes a new pyplot figure.
        values: optional ``(H, W)`` array painted under the boxes with ``cmap`` (e.g. how
            strongly each pixel influences the unit); zeros are left white.
        labels: one legend entry per field, shown below the grid (None: no legend; a
            label starting with ``"_"`` is left out of it).
        colors: one edge colour per field (default: :data:`FIELD_COLORS` in turn).
        margin: pixels of padding drawn around the image in grey; None takes just enough
            to show every field (0 when all of them lie inside the image).
        grid: draw a line between every two pixels; None draws them when ``max(H, W) <= 24``.
        cmap: colour map of ``values``.
        title: the axes title.
        linestyles: one line style per field (default solid), e.g. ``"--"`` for the
            fields that make up a larger one.
        stagger: field ``i`` is drawn ``stagger * (i % 4)`` pixels inside its true edges
            (see :func:`field_rectangle`), so nested fields that share an edge stay visible.

    Returns:
        The axes. Its first image is ``values`` (when given); its patches are the grey
        margin (when ``margin > 0``), the image's outline and then one ``Rectangle`` per
        field, in the order of ``fields``.
    """
    height, width = _shape(shape)
    boxes = [(_int_pair(rows, f"fields[{i}] rows"), _int_pair(cols, f"fields[{i}] cols"))
             for i, (rows, cols) in enumerate(_fields(fields))]
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f"labels must have one entry per field ({len(boxes)}), got {len(labels)}")
    if colors is not None and len(colors) != len(boxes):
        raise ValueError(f"colors must have one entry per field ({len(boxes)}), got {len(colors)}")
    if linestyles is not None and len(linestyles) != len(boxes):
        raise ValueError(f"linestyles must have one entry per field ({len(boxes)}), got {len(linestyles)}")
    if not 0.0 <= stagger < 0.125:
        raise ValueError(f"stagger must be in [0, 0.125), got {stagger!r}")
    if margin is None:
        margin = max([0] + [max(-r0, -c0, r1 - (height - 1), c1 - (width - 1)) for (r0, r1), (c0, c1) in boxes])
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0:
        raise ValueError(f"margin must be an int >= 0 or None, got {margin!r}")
    if ax is None:
        side = max(height, width) + 2 * margin
        _, ax = plt.subplots(figsize=(min(6.0, 1.5 + 0.3 * side),) * 2)

    low_x, high_x = -0.5 - margin, width - 0.5 + margin
    low_y, high_y = -0.5 - margin, height - 0.5 + margin
    if margin > 0:  # the padding: a grey frame around the image
        ax.add_patch(Rectangle((low_x, low_y), high_x - low_x, high_y - low_y, facecolor="0.9",
                               edgecolor="0.65", linewidth=0.0, hatch="//", zorder=0, label="_padding"))
    ax.add_patch(Rectangle((-0.5, -0.5), width, height, facecolor="white", edgecolor="black",
                           linewidth=1.0, zorder=0.5, label="_image"))
    if values is not None:
        array = to_numpy(values, "values")  # (H, W)
        if array.shape != (height, width):
            raise ValueError(f"values must have shape {(height, width)} like the input, got {tuple(array.shape)}")
        shown = np.ma.masked_equal(array, 0.0)  # zeros stay white
        palette = plt.get_cmap(cmap)
        ax.imshow(shown, cmap=ListedColormap(palette(np.linspace(0.25, 1.0, 256))), interpolation="nearest",
                  extent=(-0.5, width - 0.5, height - 0.5, -0.5), zorder=1)
    draw_lines = max(height, width) <= 24 if grid is None else grid
    if draw_lines:
        for x in np.arange(low_x, high_x + 0.5):
            ax.plot([x, x], [low_y, high_y], color="0.75", linewidth=0.5, zorder=1.5)
        for y in np.arange(low_y, high_y + 0.5):
            ax.plot([low_x, high_x], [y, y], color="0.75", linewidth=0.5, zorder=1.5)
    palette_cycle = colors if colors is not None else [FIELD_COLORS[i % len(FIELD_COLORS)] for i in range(len(boxes))]
    for i, (rows, cols) in enumerate(boxes):
        field_rectangle(ax, rows, cols, inset=stagger * (i % 4), edgecolor=palette_cycle[i], zorder=3 + 0.01 * i,
                        linestyle=linestyles[i] if linestyles is not None else "-",
                        label=labels[i] if labels is not None else f"_field{i}")
    ax.set_xlim(low_x, high_x)
    ax.set_ylim(high_y, low_y)  # row 0 at the top, as an image
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if labels is not None and boxes:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, frameon=False)
    if title is not None:
        ax.set_title(title)
    return ax


def _shape(shape: object) -> Bounds:
    """``shape`` as a pair ``(H, W)`` of ints >= 1."""
    try:
        height, width = shape  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a pair (H, W) of ints >= 1, got {shape!r}") from None
    for v in (height, width):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"shape must be a pair (H, W) of ints >= 1, got {shape!r}")
    return int(height), int(width)


def _fields(fields: object) -> list[Field]:
    """``fields`` as a list of ``((r0, r1), (c0, c1))`` (checked further by ``_int_pair``)."""
    out = []
    for i, field in enumerate(list(fields)):  # type: ignore[call-overload]
        try:
            rows, cols = field
        except (TypeError, ValueError):
            raise ValueError(f"fields[{i}] must be ((r0, r1), (c0, c1)), got {field!r}") from None
        out.append((rows, cols))
    return out
