"""Gabor filters and a toy model of the visual cortex: simple and complex cells.

Hubel and Wiesel found two kinds of cells in the primary visual cortex of cats. A
*simple cell* responds to an edge or a bar of one orientation at one place of its small
receptive field; a *complex cell* responds to the same orientation anywhere in a somewhat
larger field. A Gabor filter, a Gaussian envelope times a cosine wave, describes the
receptive field of a simple cell well (Daugman, 1985):

    g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) * cos(2 pi x' / wavelength + phase)
    x' =  x cos(theta) + y sin(theta)
    y' = -x sin(theta) + y cos(theta)

``x`` counts columns to the right of the kernel's centre and ``y`` rows *downwards*, as
in an image array, so increasing ``theta`` turns the filter clockwise on screen. The wave
runs along the direction ``theta``; its stripes, and the edges the filter likes best, run
across it. ``theta = 0``: vertical stripes, the filter responds to vertical edges and
gratings. ``phase = 0`` gives an even (bar-like) filter, ``phase = pi/2`` an odd
(edge-like) one; the two form a *quadrature pair*.

The model, in three steps that the chapter "Why convolutions" uses (:func:`grating` makes
the classic test stimulus):

- :func:`simple_cells`: convolve the image with a bank of Gabor filters, one feature
  map per filter (the same filter at every position: a convolution);
- :func:`quadrature_energy`: combine the even and odd filter of each orientation into
  ``sqrt(even^2 + odd^2)``, a response that no longer depends on the exact phase (where
  the stripes sit);
- :func:`complex_cells`: take the maximum over a neighbourhood of positions (max
  pooling), so the response barely changes when the image moves by a few pixels.

Shapes follow PyTorch: images ``(N, C, H, W)``, filter banks ``(K, C, size, size)``.
The kernels are differentiable in their parameters when those are given as tensors.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from course_lib._validate import IntPair, check_positive, check_tensor, pair, shape_of
from course_lib.conv import conv2d
from course_lib.pooling import max_pool2d

__all__ = [
    "gabor_kernel",
    "gabor_orientations",
    "gabor_bank",
    "grating",
    "simple_cells",
    "quadrature_energy",
    "complex_cells",
]

Scalar = float | torch.Tensor

#: The phases of a quadrature pair: even (cosine) and odd (sine) filter.
QUADRATURE_PHASES: tuple[float, float] = (0.0, math.pi / 2)

_MODES = ("energy", "max")


def _scalar(value: object, name: str, positive: bool = False) -> Scalar:
    """``value`` as a finite float or a 0-dim floating tensor (kept, so gradients flow)."""
    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or not value.is_floating_point():
            raise ValueError(f"{name} must be a number or a 0-dim floating tensor, got shape {shape_of(value)}, "
                             f"dtype {value.dtype}")
        number = float(value.detach())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        value = number
    else:
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return value


def _size(size: object) -> int:
    """The kernel side: an int >= 1."""
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError(f"size must be an int, got {size!r}")
    check_positive([size], "size")
    return size


def gabor_kernel(
    size: int,
    sigma: Scalar,
    theta: Scalar,
    wavelength: Scalar,
    phase: Scalar = 0.0,
    gamma: Scalar = 0.5,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """One Gabor filter on a ``size x size`` grid centred on the middle of the grid.

    ``g = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) * cos(2 pi x' / wavelength + phase)``
    with ``x' = x cos(theta) + y sin(theta)``, ``y' = -x sin(theta) + y cos(theta)``, ``x``
    the column offset and ``y`` the row offset (downwards) from the centre
    ``((size - 1) / 2, (size - 1) / 2)``. This is the real part of
    ``skimage.filters.gabor_kernel(1 / wavelength, theta, sigma_x=sigma,
    sigma_y=sigma / gamma, offset=phase)`` without its factor ``1 / (2 pi sigma_x sigma_y)``.

    Args:
        size: side of the kernel in pixels, an int >= 1 (odd sizes have a centre pixel).
        sigma: width of the Gaussian envelope across the stripes, > 0 (pixels).
        theta: direction of the wave in radians; the preferred edges run at
            ``theta + pi/2``. ``0`` is a detector of vertical edges; larger angles turn
            the filter clockwise on screen.
        wavelength: period of the cosine in pixels, > 0.
        phase: phase offset of the cosine in radians (0: even, pi/2: odd filter).
        gamma: aspect ratio of the envelope, > 0; below 1 the filter is elongated along
            its stripes.
        dtype: floating dtype of the result (used when no parameter is a tensor).

    Any parameter except ``size`` may be a 0-dim tensor; the kernel is then differentiable
    with respect to it and takes its dtype and device.

    Returns:
        ``(size, size)`` tensor, peak value 1 for ``phase = 0``.

    Raises:
        ValueError: a ``size`` that is not a positive int, a non-positive ``sigma``,
            ``wavelength`` or ``gamma``, or a parameter that is not a finite number.
    """
    size = _size(size)
    sigma = _scalar(sigma, "sigma", positive=True)
    theta = _scalar(theta, "theta")
    wavelength = _scalar(wavelength, "wavelength", positive=True)
    phase = _scalar(phase, "phase")
    gamma = _scalar(gamma, "gamma", positive=True)
    tensors = [p for p in (sigma, theta, wavelength, phase, gamma) if isinstance(p, torch.Tensor)]
    if tensors:
        dtype, device = tensors[0].dtype, tensors[0].device
    else:
        device = torch.device("cpu")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    theta = torch.as_tensor(theta, dtype=dtype, device=device)

    offsets = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2  # (size,)
    y = offsets[:, None]  # (size, 1): rows, downwards
    x = offsets[None, :]  # (1, size): columns, to the right
    x_rot = x * torch.cos(theta) + y * torch.sin(theta)  # (size, size): along the wave
    y_rot = -x * torch.sin(theta) + y * torch.cos(theta)  # (size, size): along the stripes
    envelope = torch.exp(-(x_rot**2 + gamma**2 * y_rot**2) / (2 * sigma**2))  # (size, size)
    carrier = torch.cos(2 * math.pi * x_rot / wavelength + phase)  # (size, size)
    return envelope * carrier  # (size, size)


def gabor_orientations(n: int) -> torch.Tensor:
    """``n`` equally spaced filter directions ``pi * i / n`` for ``i = 0 .. n-1`` (float64, radians).

    Directions ``theta`` and ``theta + pi`` give the same stripes, so ``n`` directions in
    ``[0, pi)`` cover all orientations. Returns a ``(n,)`` tensor.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"n must be an int, got {n!r}")
    check_positive([n], "n")
    return torch.arange(n, dtype=torch.float64) * (math.pi / n)  # (n,)


def gabor_bank(
    size: int,
    sigma: float,
    wavelength: float,
    orientations: int | Sequence[float] = 4,
    phases: Sequence[float] = QUADRATURE_PHASES,
    gamma: float = 0.5,
    normalize: bool = True,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """A bank of Gabor filters as the weight of a convolution with one input channel.

    Args:
        size, sigma, wavelength, gamma: as in :func:`gabor_kernel`, shared by all filters.
        orientations: a number ``n`` of equally spaced directions
            (:func:`gabor_orientations`) or a sequence of angles ``theta`` in radians.
        phases: the phases of the filters of each orientation; the default
            ``(0, pi/2)`` gives a quadrature pair (even, odd) per orientation, as
            :func:`quadrature_energy` expects.
        normalize: subtract each filter's mean (so flat regions give 0) and divide it by
            its Euclidean norm (so all filters respond on the same scale).
        dtype: floating dtype of the result.

    Returns:
        ``(K, 1, size, size)`` with ``K = len(orientations) * len(phases)``, ordered
        orientation by orientation: filter ``k = i * len(phases) + j`` has direction ``i``
        and phase ``j``.

    Raises:
        ValueError: no orientation or no phase, or a bad filter parameter (see
            :func:`gabor_kernel`).
    """
    if isinstance(orientations, int) and not isinstance(orientations, bool):
        thetas = gabor_orientations(orientations).tolist()
    else:
        try:
            thetas = [float(t) for t in orientations]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"orientations must be an int or a sequence of angles, got {orientations!r}") from None
    phase_list = [float(p) for p in phases]
    if not thetas:
        raise ValueError("orientations must contain at least one angle, got none")
    if not phase_list:
        raise ValueError("phases must contain at least one phase, got none")
    kernels = [gabor_kernel(size, sigma, theta, wavelength, phase, gamma, dtype=dtype)
               for theta in thetas for phase in phase_list]  # K kernels (size, size)
    bank = torch.stack(kernels)[:, None]  # (K, 1, size, size)
    if normalize:
        bank = bank - bank.mean(dim=(2, 3), keepdim=True)  # zero response to a flat image
        norms = bank.flatten(1).norm(dim=1).clamp_min(torch.finfo(dtype).tiny)  # (K,)
        bank = bank / norms[:, None, None, None]
    return bank  # (K, 1, size, size)


def grating(
    size: int,
    theta: float,
    wavelength: float,
    phase: float = 0.0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """A sine grating, the classic stimulus of orientation experiments, as a batch of one image.

    ``0.5 + 0.5 * cos(2 pi (x cos(theta) + y sin(theta)) / wavelength + phase)`` with ``x``
    the column and ``y`` the row index (downwards), the convention of :func:`gabor_kernel`:
    a grating excites most the filters with the same ``theta`` and ``wavelength``.
    ``theta = 0`` gives vertical stripes.

    Args:
        size: side in pixels, an int >= 1.
        theta: direction of the wave in radians.
        wavelength: period in pixels, > 0.
        phase: phase offset in radians (moves the stripes).
        dtype: floating dtype of the result.

    Returns:
        ``(1, 1, size, size)`` with values in ``[0, 1]``.
    """
    size = _size(size)
    theta = float(_scalar(theta, "theta"))
    wavelength = float(_scalar(wavelength, "wavelength", positive=True))
    phase = float(_scalar(phase, "phase"))
    rows = torch.arange(size, dtype=dtype)[:, None]  # (size, 1)
    cols = torch.arange(size, dtype=dtype)[None, :]  # (1, size)
    along = cols * math.cos(theta) + rows * math.sin(theta)  # (size, size): position along the wave
    return (0.5 + 0.5 * torch.cos(2 * math.pi * along / wavelength + phase))[None, None]  # (1, 1, size, size)


def _check_image_and_bank(x: torch.Tensor, bank: torch.Tensor) -> None:
    """``x`` (N, C, H, W) and ``bank`` (K, C, s, s) of the same channel count and dtype."""
    check_tensor(x, 4, "x", "(N, C, H, W)")
    check_tensor(bank, 4, "bank", "(K, C, size, size)")
    if bank.shape[1] != x.shape[1]:
        raise ValueError(f"bank must have as many input channels as x: x has shape {shape_of(x)}, "
                         f"bank has shape {shape_of(bank)}")


def simple_cells(
    x: torch.Tensor,
    bank: torch.Tensor,
    padding: int | str = 0,
    rectify: bool = False,
) -> torch.Tensor:
    """Simple-cell responses: every filter of ``bank`` applied at every position of ``x``.

    This is a convolution (:func:`course_lib.conv.conv2d`, cross-correlation as in torch)
    without bias: feature map ``k`` is the dot product of filter ``k`` with every patch.

    Args:
        x: images ``(N, C, H, W)``.
        bank: filters ``(K, C, size, size)``, e.g. from :func:`gabor_bank` (``C = 1``).
        padding: int, ``"valid"`` (the default 0), ``"same"`` or ``"full"``.
        rectify: keep only the positive part (``relu``), like a firing rate.

    Returns:
        ``(N, K, H_out, W_out)``; ``H_out = H - size + 1`` without padding.

    Raises:
        ValueError: wrong ranks, or channel counts of ``x`` and ``bank`` that differ.
    """
    _check_image_and_bank(x, bank)
    responses = conv2d(x, bank.to(x.dtype), padding=padding)  # (N, K, H_out, W_out)
    return torch.relu(responses) if rectify else responses


def quadrature_energy(responses: torch.Tensor) -> torch.Tensor:
    """Phase-invariant energy ``sqrt(even^2 + odd^2)`` of quadrature pairs of feature maps.

    Args:
        responses: ``(N, 2M, H, W)`` with channels ``2m`` (even filter) and ``2m + 1``
            (odd filter) of orientation ``m``, the layout :func:`gabor_bank` makes with
            its default phases.

    Returns:
        ``(N, M, H, W)``: one energy map per orientation, >= 0.

    Raises:
        ValueError: a tensor that is not 4D or has an odd number of channels.
    """
    check_tensor(responses, 4, "responses", "(N, 2M, H, W)")
    n, k, h, w = responses.shape
    if k % 2:
        raise ValueError(f"responses must have an even number of channels (even/odd pairs), got shape "
                         f"{shape_of(responses)}")
    pairs = responses.reshape(n, k // 2, 2, h, w)  # (N, M, 2, H, W)
    return torch.sqrt(pairs[:, :, 0] ** 2 + pairs[:, :, 1] ** 2)  # (N, M, H, W)


def complex_cells(
    x: torch.Tensor,
    bank: torch.Tensor,
    pool_size: IntPair | None,
    stride: IntPair | None = None,
    padding: int | str = 0,
    mode: str = "energy",
) -> torch.Tensor:
    """Complex-cell responses: simple cells, then the maximum over a neighbourhood of positions.

    Args:
        x: images ``(N, C, H, W)``.
        bank: filters ``(K, C, size, size)``.
        pool_size: side(s) of the neighbourhood ``(pH, pW)`` or one int; ``None`` pools
            over the whole feature map (one number per channel).
        stride: step between neighbourhoods; ``None`` means ``pool_size`` (they tile).
        padding: padding of the convolution, as in :func:`simple_cells`.
        mode: ``"energy"``: max of :func:`quadrature_energy` (``K`` must be even, pairs
            of even/odd filters, one output channel per pair); ``"max"``: max of the
            rectified simple-cell responses (one output channel per filter).

    Returns:
        ``(N, K/2, H_p, W_p)`` for ``"energy"``, ``(N, K, H_p, W_p)`` for ``"max"``, where
        ``H_p = floor((H_out - pH) / sH) + 1`` for the simple-cell map of height ``H_out``;
        ``H_p = W_p = 1`` when ``pool_size`` is None.

    Raises:
        ValueError: an unknown ``mode``, bad shapes (see :func:`simple_cells` and
            :func:`quadrature_energy`) or a neighbourhood larger than the feature map.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if mode == "energy":
        maps = quadrature_energy(simple_cells(x, bank, padding))  # (N, K/2, H_out, W_out)
    else:
        maps = simple_cells(x, bank, padding, rectify=True)  # (N, K, H_out, W_out)
    if pool_size is None:
        return maps.amax(dim=(2, 3), keepdim=True)  # (N, M, 1, 1): the whole map is one field
    pool = pair(pool_size, "pool_size")
    check_positive(pool, "pool_size")
    if pool[0] > maps.shape[2] or pool[1] > maps.shape[3]:
        raise ValueError(f"pool_size {pool} is larger than the simple-cell maps of shape {shape_of(maps)} "
                         f"(x has shape {shape_of(x)}, bank has shape {shape_of(bank)})")
    return max_pool2d(maps, pool, stride)  # (N, M, H_p, W_p)
