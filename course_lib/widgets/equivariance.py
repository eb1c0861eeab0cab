"""The equivariance demo: slide a photo and watch a feature map move while a pooled summary stays.

Two layers, as for every demo of the course:

- :func:`equivariance_maps` computes one state: a window of a grey photo moved by
  ``(shift_y, shift_x)`` pixels, its response to one Gabor filter (a convolution, a
  "simple cell" map) and the max-pooled quadrature energy of the same orientation (a
  "complex cell" map, :func:`course_lib.gabor.complex_cells`), each next to its value for
  the unshifted window, with the relative changes. :func:`draw_equivariance` draws it.
  Tests and static book pages call these directly.
- :func:`equivariance_demo` wraps the drawing in ipywidgets controls (two shift sliders,
  the filter orientation, the pooling size, the photo); every change redraws the figure
  into an ``ipywidgets.Image``.

Moving the photo is done the way a camera does it: the demo loads a photo a little larger
than the window and cuts the window out at an offset, so no content wraps around and no
zeros come in. A positive ``shift_x`` moves the content to the right, a positive
``shift_y`` moves it down.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from course_lib.data import sample_image
from course_lib.gabor import complex_cells, gabor_bank, simple_cells
from course_lib.plots.images import show_image
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "EQUIVARIANCE_IMAGES",
    "MAX_SHIFT",
    "POOL_SIZES",
    "EquivarianceState",
    "equivariance_maps",
    "draw_equivariance",
    "EquivarianceDemo",
    "equivariance_demo",
]

#: Photos the demo offers (names for :func:`course_lib.data.sample_image`).
EQUIVARIANCE_IMAGES: tuple[str, ...] = ("camera", "coins", "astronaut", "chelsea", "coffee")

#: The largest shift, in pixels, in each direction (the margin loaded around the window).
MAX_SHIFT = 12

#: Pooling sizes the demo offers: the side of the neighbourhood a complex cell takes its maximum over.
POOL_SIZES: tuple[int, ...] = (2, 4, 8, 16, 32)

#: The demo's Gabor filter: side, envelope width and wavelength in pixels, aspect ratio.
_FILTER = {"size": 11, "sigma": 2.0, "wavelength": 5.0, "gamma": 0.5}


@dataclass
class EquivarianceState:
    """One state of the demo (all tensors float32).

    Attributes:
        image: the moved window of the photo, ``(H, W)``.
        feature: its response to the even Gabor filter, ``(H - s + 1, W - s + 1)`` for a
            filter of side ``s`` (a "valid" convolution).
        pooled: the complex-cell map, max-pooled quadrature energy, ``(H_p, W_p)``.
        reference_feature, reference_pooled: the same maps for the unshifted window.
        feature_change: ``||feature - reference_feature|| / ||reference_feature||``.
        aligned_change: the same after moving ``feature`` back by the shift, on the
            region both maps cover; 0 up to rounding, because convolution is equivariant.
        pooled_change: ``||pooled - reference_pooled|| / ||reference_pooled||``.
        shift: ``(shift_y, shift_x)`` in pixels.
    """

    image: torch.Tensor
    feature: torch.Tensor
    pooled: torch.Tensor
    reference_feature: torch.Tensor
    reference_pooled: torch.Tensor
    feature_change: float
    aligned_change: float
    pooled_change: float
    shift: tuple[int, int]


def _int_in(value: object, name: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


@functools.lru_cache(maxsize=8)
def _grey_photo(image_name: str, size: int) -> torch.Tensor:
    """The grey photo with a margin of ``MAX_SHIFT`` pixels on every side, ``(1, size + 2m, size + 2m)``."""
    if image_name not in EQUIVARIANCE_IMAGES:
        raise ValueError(f"image_name must be one of {EQUIVARIANCE_IMAGES}, got {image_name!r}")
    return sample_image(image_name, size=size + 2 * MAX_SHIFT, gray=True)  # (1, S, S)


def _window(photo: torch.Tensor, shift_y: int, shift_x: int, size: int) -> torch.Tensor:
    """The ``size x size`` window whose content is moved by the shift, ``(1, 1, size, size)``."""
    top, left = MAX_SHIFT - shift_y, MAX_SHIFT - shift_x  # the window moves against the content
    return photo[None, :, top : top + size, left : left + size]  # (1, 1, size, size)


def _relative_change(a: torch.Tensor, b: torch.Tensor) -> float:
    """``||a - b|| / ||b||`` as a float (0 when both are 0)."""
    norm = float(b.norm())
    return float((a - b).norm()) / norm if norm > 0 else float((a - b).norm())


def _overlap(a: torch.Tensor, b: torch.Tensor, shift_y: int, shift_x: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The parts of ``a`` (moved by the shift) and ``b`` that show the same content, both ``(h, w)``.

    ``a[i, j]`` shows what ``b[i - shift_y, j - shift_x]`` shows.
    """
    h, w = a.shape
    rows_a = slice(max(shift_y, 0), h + min(shift_y, 0))
    rows_b = slice(max(-shift_y, 0), h - max(shift_y, 0))
    cols_a = slice(max(shift_x, 0), w + min(shift_x, 0))
    cols_b = slice(max(-shift_x, 0), w - max(shift_x, 0))
    return a[rows_a, cols_a], b[rows_b, cols_b]


def equivariance_maps(
    image_name: str = "camera",
    shift_x: int = 0,
    shift_y: int = 0,
    theta_degrees: float = 0.0,
    pool_size: int = 16,
    size: int = 128,
) -> EquivarianceState:
    """The demo's computation without the drawing.

    Args:
        image_name: one of :data:`EQUIVARIANCE_IMAGES`, loaded in grey.
        shift_x, shift_y: ints in ``[-MAX_SHIFT, MAX_SHIFT]``; how far the content moves
            right and down.
        theta_degrees: direction of the Gabor filter's wave in degrees (0: vertical edges).
        pool_size: side of the max-pooling neighbourhood (an int from 1 up to the
            feature map's side), stride equal to it.
        size: side of the window in pixels, at least the filter's side plus ``pool_size - 1``.

    Returns:
        An :class:`EquivarianceState` with the maps and the relative changes.

    Raises:
        ValueError: an unknown photo, a shift out of range, a bad pool size or window size.
    """
    shift_x = _int_in(shift_x, "shift_x", -MAX_SHIFT, MAX_SHIFT)
    shift_y = _int_in(shift_y, "shift_y", -MAX_SHIFT, MAX_SHIFT)
    k = _FILTER["size"]
    size = _int_in(size, "size", k, 4096)
    pool_size = _int_in(pool_size, "pool_size", 1, size - k + 1)
    if isinstance(theta_degrees, bool) or not isinstance(theta_degrees, (int, float)) or not math.isfinite(theta_degrees):
        raise ValueError(f"theta_degrees must be a finite number, got {theta_degrees!r}")
    bank = gabor_bank(k, _FILTER["sigma"], _FILTER["wavelength"], orientations=[math.radians(theta_degrees)],
                      gamma=_FILTER["gamma"])  # (2, 1, k, k): the even and the odd filter
    photo = _grey_photo(image_name, size)  # (1, size + 2m, size + 2m)
    windows = torch.cat([_window(photo, shift_y, shift_x, size), _window(photo, 0, 0, size)])  # (2, 1, size, size)
    features = simple_cells(windows, bank[:1])[:, 0]  # (2, size - k + 1, size - k + 1): even filter only
    pooled = complex_cells(windows, bank, pool_size)[:, 0]  # (2, H_p, W_p)
    moved, reference = _overlap(features[0], features[1], shift_y, shift_x)
    return EquivarianceState(
        image=windows[0, 0],
        feature=features[0],
        pooled=pooled[0],
        reference_feature=features[1],
        reference_pooled=pooled[1],
        feature_change=_relative_change(features[0], features[1]),
        aligned_change=_relative_change(moved, reference),
        pooled_change=_relative_change(pooled[0], pooled[1]),
        shift=(shift_y, shift_x),
    )


def _mark(ax, row: float, col: float) -> None:
    """A fixed cross-hair at ``(row, col)``: content that moves slides past it."""
    ax.axhline(row, color="tab:orange", linewidth=0.8, linestyle="--")
    ax.axvline(col, color="tab:orange", linewidth=0.8, linestyle="--")


def draw_equivariance(
    image_name: str = "camera",
    shift_x: int = 0,
    shift_y: int = 0,
    theta_degrees: float = 0.0,
    pool_size: int = 16,
    fig: Figure | None = None,
    size: int = 128,
) -> Figure:
    """Draw one state of the equivariance demo; return the figure.

    Args:
        image_name, shift_x, shift_y, theta_degrees, pool_size, size: as in
            :func:`equivariance_maps`.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.

    Returns:
        The figure with four panels: the moved photo, its feature map (the convolution
        with the even Gabor filter), the complex-cell map (pooled energy), each drawn on
        the colour scale of the unshifted state (the feature map's saturates at the 99th
        percentile of its absolute values), the first two with a fixed orange cross-hair, and a bar
        chart of the relative changes against the unshifted state.
        ``fig.axes[1].images[0].get_array()`` is the feature map,
        ``fig.axes[2].images[0].get_array()`` the pooled map and
        ``[p.get_height() for p in fig.axes[3].patches]`` the three changes
        (feature map, feature map moved back, pooled map).
    """
    state = equivariance_maps(image_name, shift_x, shift_y, theta_degrees, pool_size, size)
    if fig is None:
        fig = plt.figure(figsize=(12, 3.4))
    else:
        fig.clear()
    ax_in, ax_feat, ax_pool, ax_bar = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 0.9]})

    show_image(state.image, ax=ax_in, vmin=0.0, vmax=1.0, title=f"photo, shift x = {shift_x}, y = {shift_y} px")
    centre = (state.image.shape[0] - 1) / 2
    _mark(ax_in, centre, centre)

    limit = float(torch.quantile(state.reference_feature.abs().flatten(), 0.99)) or 1.0  # robust colour scale
    show_image(state.feature, ax=ax_feat, symmetric=True, vmin=-limit, vmax=limit,
               title=f"feature map (Gabor {theta_degrees:g}°)")
    centre = (state.feature.shape[0] - 1) / 2
    _mark(ax_feat, centre, centre)

    top = float(state.reference_pooled.max()) or 1.0
    show_image(state.pooled, ax=ax_pool, cmap="magma", vmin=0.0, vmax=top,
               title=f"max-pooled energy, {pool_size}×{pool_size}")

    labels = ["feature\nmap", "feature map\nmoved back", "pooled\nmap"]
    values = [state.feature_change, state.aligned_change, state.pooled_change]
    bars = ax_bar.bar(labels, values, color=["tab:blue", "tab:gray", "tab:red"])
    ax_bar.bar_label(bars, fmt="%.2f", fontsize=8)
    ax_bar.set_ylim(0, max(1.6, 1.15 * max(values)))
    ax_bar.set_ylabel("relative change vs no shift")
    ax_bar.tick_params(axis="x", labelsize=8)
    ax_bar.set_title("what changed")
    fig.tight_layout()
    return fig


class EquivarianceDemo(FigureDemo):
    """The widget of :func:`equivariance_demo`: controls, a one-line summary and the figure as a PNG.

    Attributes: ``shift_x``, ``shift_y`` (sliders), ``theta`` (orientation slider in
    degrees), ``pool_size`` and ``image`` (dropdowns), and from
    :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML with the changes),
    ``view`` (the PNG) and ``figure`` (the matplotlib figure last drawn, not managed by
    pyplot).
    """

    def __init__(
        self,
        image_name: str = "camera",
        shift_x: int = 0,
        shift_y: int = 0,
        theta_degrees: float = 0.0,
        pool_size: int = 16,
        size: int = 128,
    ) -> None:
        self.size = size
        self.shift_x = widgets.IntSlider(value=shift_x, min=-MAX_SHIFT, max=MAX_SHIFT, description="shift x")
        self.shift_y = widgets.IntSlider(value=shift_y, min=-MAX_SHIFT, max=MAX_SHIFT, description="shift y")
        self.theta = widgets.FloatSlider(value=theta_degrees, min=0.0, max=165.0, step=15.0,
                                         description="orientation°")
        self.pool_size = widgets.Dropdown(options=list(POOL_SIZES), value=pool_size, description="pool")
        self.image = widgets.Dropdown(options=list(EQUIVARIANCE_IMAGES), value=image_name, description="image")
        super().__init__([[self.shift_x, self.shift_y, self.theta], [self.pool_size, self.image]], figsize=(12, 3.4))

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_equivariance`; return the summary (the changes)."""
        draw_equivariance(self.image.value, self.shift_x.value, self.shift_y.value, self.theta.value,
                          self.pool_size.value, fig=fig, size=self.size)
        feature, aligned, pooled = (bar.get_height() for bar in fig.axes[3].patches)
        return (f"relative change: feature map <b>{feature:.2f}</b> "
                f"(moved back: {aligned:.2g}), pooled map <b>{pooled:.2f}</b>")


def equivariance_demo(
    image_name: str = "camera",
    shift_x: int = 0,
    shift_y: int = 0,
    theta_degrees: float = 0.0,
    pool_size: int = 16,
    size: int = 128,
) -> EquivarianceDemo:
    """The interactive equivariance demo: sliders for the shift and the filter orientation,
    dropdowns for the pooling size and the photo; the figure of :func:`draw_equivariance`
    updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return EquivarianceDemo(image_name, shift_x, shift_y, theta_degrees, pool_size, size)
