"""The convolution demo: pick a photo, a kernel, stride, padding and dilation; see the output.

Two layers, as for every demo of the course:

- :func:`draw_conv_demo` is a pure function: it convolves one grey photo with one
  kernel from :data:`KERNELS` (with :func:`course_lib.conv.conv2d`) and draws the
  padded input, the (dilated) kernel and the output with its size into a matplotlib
  figure. Tests and static book pages call it directly.
- :func:`conv_demo` wraps it in ipywidgets controls; every change redraws the figure
  into an ``ipywidgets.Image``.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_lib.conv import conv2d, conv_output_size
from course_lib.data import sample_image
from course_lib.plots.images import show_image, show_matrix
from course_lib.widgets._figure import FigureDemo

__all__ = [
    "KERNELS",
    "DEMO_IMAGES",
    "PADDING_MODES",
    "dilate_kernel",
    "resolve_padding",
    "conv_demo_output",
    "draw_conv_demo",
    "ConvDemo",
    "conv_demo",
]


def _gaussian_5x5() -> torch.Tensor:
    """The 5x5 binomial approximation of a Gaussian: outer product of [1, 4, 6, 4, 1] / 16."""
    row = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0  # (5,)
    return torch.outer(row, row)  # (5, 5), sums to 1


#: The demo's kernels, name -> ``(k, k)`` float32 tensor (cross-correlation, as torch applies it).
#: Blurs are non-negative and sum to 1 (they keep the brightness); edge detectors sum to
#: 0 (flat regions give 0); sharpening is the identity plus a Laplacian-like difference.
KERNELS: dict[str, torch.Tensor] = {
    "identity": torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
    "box blur 5x5": torch.full((5, 5), 1.0 / 25.0),
    "gaussian 5x5": _gaussian_5x5(),
    "sharpen": torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "sobel x": torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "sobel y": torch.tensor([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "laplacian": torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
}

#: Photos the demo offers (names for :func:`course_lib.data.sample_image`).
DEMO_IMAGES: tuple[str, ...] = ("camera", "coins", "astronaut", "chelsea", "coffee")

#: Padding choices of the demo: named modes or a number of zeros on each side.
PADDING_MODES: tuple[str | int, ...] = ("valid", "same", "full", 1, 2, 4)


def _kernel(kernel_name: str) -> torch.Tensor:
    """The kernel called ``kernel_name``, or a ValueError listing the names."""
    if kernel_name not in KERNELS:
        raise ValueError(f"kernel_name must be one of {sorted(KERNELS)}, got {kernel_name!r}")
    return KERNELS[kernel_name]


def _positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def resolve_padding(padding: str | int, kernel_size: int, dilation: int = 1) -> int:
    """Zeros added on each side for a padding mode, for an odd ``kernel_size``.

    ``"valid"`` -> 0; ``"same"`` -> ``d(k - 1) / 2`` (keeps the size at stride 1);
    ``"full"`` -> ``d(k - 1)`` (every overlap of kernel and image); an int is returned as is.
    The demo resolves the mode itself so that ``"same"`` also works with a stride (it then
    means "half" padding, as in Dumoulin and Visin's guide).
    """
    span = dilation * (kernel_size - 1)
    if isinstance(padding, str):
        modes = {"valid": 0, "same": span // 2, "full": span}
        if padding not in modes:
            raise ValueError(f"padding must be one of {tuple(modes)} or an int >= 0, got {padding!r}")
        return modes[padding]
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be one of ('valid', 'same', 'full') or an int >= 0, got {padding!r}")
    return padding


def dilate_kernel(kernel: torch.Tensor, dilation: int, fill: float = 0.0) -> torch.Tensor:
    """Spread a ``(k, k)`` kernel out with ``dilation - 1`` holes between its taps.

    Returns a ``(d(k-1)+1, d(k-1)+1)`` tensor: the kernel's values on every ``d``-th row
    and column, ``fill`` elsewhere (``float('nan')`` draws the holes as blanks).
    """
    if kernel.dim() != 2:
        raise ValueError(f"kernel must be a 2D tensor (k, k), got shape {tuple(kernel.shape)}")
    d = _positive_int(dilation, "dilation")
    k_h, k_w = kernel.shape
    out = torch.full((d * (k_h - 1) + 1, d * (k_w - 1) + 1), fill, dtype=kernel.dtype)  # (span, span)
    out[::d, ::d] = kernel
    return out


@functools.lru_cache(maxsize=16)
def _grey_photo(image_name: str, size: int) -> torch.Tensor:
    """The grey photo ``image_name`` as a ``(1, H, W)`` tensor in [0, 1] (cached: loading is slow)."""
    if image_name not in DEMO_IMAGES:
        raise ValueError(f"image_name must be one of {DEMO_IMAGES}, got {image_name!r}")
    return sample_image(image_name, size=size, gray=True)  # (1, H, W)


def conv_demo_output(
    image_name: str = "camera",
    kernel_name: str = "sobel x",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
    size: int = 128,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The demo's computation without the drawing.

    Returns ``(image, output, p)``: the grey photo ``(1, H, W)``, the output
    ``(1, H_out, W_out)`` of :func:`course_lib.conv.conv2d` with the chosen kernel, and
    the padding ``p`` that was applied on each side.
    """
    kernel = _kernel(kernel_name)  # (k, k)
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    p = resolve_padding(padding, kernel.shape[0], dilation)
    image = _grey_photo(image_name, size)  # (1, H, W)
    weight = kernel[None, None].to(image.dtype)  # (C_out=1, C_in=1, k, k)
    output = conv2d(image[None], weight, stride=stride, padding=p, dilation=dilation)[0]  # (1, H_out, W_out)
    return image, output, p


def _size_formula(n: int, k: int, s: int, p: int, d: int) -> str:
    """The output-size formula with the numbers filled in, e.g. ``⌊(128 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 128``."""
    return f"⌊({n} + 2·{p} − {d}·({k}−1) − 1) / {s}⌋ + 1 = {conv_output_size(n, k, s, p, d)}"


def draw_conv_demo(
    image_name: str = "camera",
    kernel_name: str = "sobel x",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
    fig: Figure | None = None,
    size: int = 128,
) -> Figure:
    """Draw one state of the convolution demo; return the figure.

    Args:
        image_name: one of :data:`DEMO_IMAGES`, loaded in grey, ``size`` pixels.
        kernel_name: one of :data:`KERNELS`.
        stride, dilation: ints >= 1.
        padding: ``"valid"``, ``"same"``, ``"full"`` (see :func:`resolve_padding`) or an int >= 0.
        fig: the figure to draw into (it is cleared); None makes a new pyplot figure.
        size: side of the photo in pixels.

    Returns:
        The figure with three panels: the zero-padded input (the photo framed in
        dashes, the kernel's first window in red), the kernel spread out by the
        dilation (holes in grey), and the output, titled with its size, with the
        output-size formula below it. ``fig.axes[2].images[0].get_array()`` is the
        output ``(H_out, W_out)``.
    """
    image, output, p = conv_demo_output(image_name, kernel_name, stride, padding, dilation, size)
    kernel = _kernel(kernel_name)  # (k, k)
    k = kernel.shape[0]
    span = dilation * (k - 1) + 1  # input pixels one window covers, per side
    _, height, width = image.shape
    _, out_h, out_w = output.shape

    if fig is None:
        fig = plt.figure(figsize=(11, 3.9))
    else:
        fig.clear()
    ax_in, ax_k, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.8, 1]})

    padded = torch.nn.functional.pad(image, [p, p, p, p])  # (1, H + 2p, W + 2p)
    show_image(padded, ax=ax_in, vmin=0.0, vmax=1.0, title=f"input {height} × {width}, padding {p}")
    if p > 0:
        ax_in.add_patch(Rectangle((p - 0.5, p - 0.5), width, height, fill=False, linestyle="--", edgecolor="tab:orange"))
    ax_in.add_patch(Rectangle((-0.5, -0.5), span, span, fill=False, edgecolor="red", linewidth=1.5))

    holes = dilate_kernel(kernel, dilation, fill=float("nan"))  # (span, span)
    show_matrix(holes, ax=ax_k, annotate=span <= 9, fmt=".2g",
                title=f"kernel '{kernel_name}' {k}×{k}\ndilation {dilation}: spans {span}×{span}")

    signed = abs(float(kernel.sum())) < 1e-6  # edge detectors: output centred on zero
    show_image(output, ax=ax_out, symmetric=signed, robust=signed, vmin=None if signed else 0.0,
               vmax=None if signed else 1.0, title=f"output {out_h} × {out_w} (stride {stride})")
    ax_out.set_xlabel(_size_formula(width, k, stride, p, dilation), fontsize=9)
    fig.tight_layout()
    return fig


class ConvDemo(FigureDemo):
    """The widget of :func:`conv_demo`: controls, a one-line summary and the figure as a PNG.

    Attributes: ``image``, ``kernel``, ``padding`` (dropdowns), ``stride``, ``dilation``
    (sliders), and from :class:`~course_lib.widgets._figure.FigureDemo` ``summary`` (HTML
    with the output size), ``view`` (the PNG) and ``figure`` (the matplotlib figure last
    drawn, not managed by pyplot).
    """

    error_prefix = "Cannot convolve:"

    def __init__(
        self,
        image_name: str = "camera",
        kernel_name: str = "sobel x",
        stride: int = 1,
        padding: str | int = "valid",
        dilation: int = 1,
        size: int = 128,
    ) -> None:
        self.size = size
        self.image = widgets.Dropdown(options=list(DEMO_IMAGES), value=image_name, description="image")
        self.kernel = widgets.Dropdown(options=list(KERNELS), value=kernel_name, description="kernel")
        self.padding = widgets.Dropdown(options=[(str(m), m) for m in PADDING_MODES], value=padding,
                                        description="padding")
        self.stride = widgets.IntSlider(value=stride, min=1, max=4, description="stride")
        self.dilation = widgets.IntSlider(value=dilation, min=1, max=4, description="dilation")
        super().__init__([[self.image, self.kernel, self.padding], [self.stride, self.dilation]], figsize=(11, 3.9))

    def draw(self, fig: Figure) -> str:
        """Draw the current state with :func:`draw_conv_demo`; return the summary (the output size)."""
        draw_conv_demo(self.image.value, self.kernel.value, self.stride.value, self.padding.value,
                       self.dilation.value, fig=fig, size=self.size)
        out = fig.axes[2].images[0].get_array()  # (H_out, W_out)
        return f"output size <b>{out.shape[0]} × {out.shape[1]}</b>"


def conv_demo(
    image_name: str = "camera",
    kernel_name: str = "sobel x",
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
    size: int = 128,
) -> ConvDemo:
    """The interactive convolution demo: dropdowns for photo, kernel and padding, sliders for
    stride and dilation; the figure of :func:`draw_conv_demo` updates on every change.

    Returns the widget (display it, or make it a cell's last expression).
    """
    return ConvDemo(image_name, kernel_name, stride, padding, dilation, size)
