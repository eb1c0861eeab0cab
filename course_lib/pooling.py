"""Pooling and resampling from scratch: max/average pooling, max unpooling, up-sampling.

Every function here follows ``torch.nn.functional`` exactly (values, pooling indices,
gradients) but is written with elementary tensor operations, so a chapter can show
what happens inside:

- pooling pads the input (``-inf`` for max, zeros for average), cuts it into windows
  with ``Tensor.unfold`` (a strided *view*, nothing is copied) and reduces each window;
- max unpooling scatters each value back to the position its pooling index remembers;
- nearest up-sampling duplicates pixels; bilinear up-sampling computes, for every output
  pixel, a source coordinate in the input, its four neighbours and their weights.

Layouts: images ``(N, C, H, W)``, sequences ``(N, C, L)``.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ._validate import IntPair, check_non_negative, check_positive, check_tensor, pair, shape_of

__all__ = [
    "pool_output_size",
    "max_pool1d",
    "avg_pool1d",
    "max_pool2d",
    "avg_pool2d",
    "max_unpool2d",
    "upsample_nearest",
    "upsample_bilinear",
]


# ----------------------------------------------------------------------------- helpers


def pool_output_size(size: int, kernel_size: int, stride: int | None = None, padding: int = 0) -> int:
    """Number of windows along one dimension: ``floor((size + 2p - k) / s) + 1``.

    Args:
        size: input length along the dimension.
        kernel_size: window length ``k``.
        stride: step ``s`` between windows; ``None`` means ``s = k`` (the pooling default).
        padding: ``p`` elements added on each side.

    Returns:
        The output length (an int >= 1); ``ValueError`` when the window does not fit.
    """
    s = kernel_size if stride is None else stride
    check_positive([kernel_size], "kernel_size")
    check_positive([s], "stride")
    check_non_negative([padding], "padding")
    if size + 2 * padding < kernel_size:
        raise ValueError(
            f"kernel_size={kernel_size} is larger than the padded input (size {size} + 2*padding {padding})"
        )
    return (size + 2 * padding - kernel_size) // s + 1


def _geometry(
    x: torch.Tensor,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
) -> tuple[int, ...]:
    """Check pooling hyper-parameters against the spatial shape of ``x``; return the output sizes.

    ``kernel_size``, ``stride`` and ``padding`` have one entry per spatial dimension
    (the trailing dimensions of ``x``).
    """
    check_positive(kernel_size, "kernel_size")
    check_positive(stride, "stride")
    check_non_negative(padding, "padding")
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(
            f"padding={tuple(padding)} must be at most half of kernel_size={tuple(kernel_size)} "
            "(as in torch: otherwise a window could lie entirely in the padding)"
        )
    spatial = tuple(x.shape[2:])
    if any(n + 2 * p < k for n, p, k in zip(spatial, padding, kernel_size)):
        raise ValueError(
            f"kernel_size={tuple(kernel_size)} is larger than the padded input: x has shape "
            f"{shape_of(x)}, spatial size {spatial} plus padding {tuple(padding)} on each side"
        )
    return tuple((n + 2 * p - k) // s + 1 for n, p, k, s in zip(spatial, padding, kernel_size, stride))


def _windows(
    x: torch.Tensor,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    value: float,
) -> torch.Tensor:
    """All pooling windows of ``x`` as a strided view.

    x: (N, C, *S) with one or two spatial dims. Returns (N, C, *S_out, *kernel_size):
    one window per output position, taken from ``x`` padded with ``value``.
    """
    pads: list[int] = []
    for p in reversed(padding):  # F.pad lists the last dimension first
        pads += [p, p]
    xp = F.pad(x, pads, value=value) if any(padding) else x  # (N, C, *S + 2p)
    windows = xp
    for d, (k, s) in enumerate(zip(kernel_size, stride)):
        windows = windows.unfold(2 + d, k, s)  # adds a trailing window axis per spatial dim
    return windows  # (N, C, *S_out, *kernel_size)


def _max_pool(
    x: torch.Tensor,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Max pooling over the 1 or 2 trailing dims of ``x`` (N, C, *S); returns (values, indices).

    Indices are flat positions in each (unpadded) input plane ``prod(S)``, as torch returns
    them. Among equal maxima the first one in row-major window order wins, and a padded
    position is never chosen (even when the real values are ``-inf``), exactly like torch.
    """
    out_size = _geometry(x, kernel_size, stride, padding)
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    k_total = 1
    for k in kernel_size:
        k_total *= k
    windows = _windows(x, kernel_size, stride, padding, float("-inf"))  # (N, C, *S_out, *K)
    flat = windows.reshape(n, c, *out_size, k_total)  # (N, C, *S_out, prod(K))

    # For every output position and window offset: the input position it reads, per dimension.
    device = x.device
    flat_pos = torch.zeros(*out_size, *kernel_size, dtype=torch.long, device=device)  # (*S_out, *K)
    valid = torch.ones(*out_size, *kernel_size, dtype=torch.bool, device=device)
    nd = len(kernel_size)
    for d in range(nd):
        shape_o = [1] * (2 * nd)
        shape_o[d] = out_size[d]
        shape_k = [1] * (2 * nd)
        shape_k[nd + d] = kernel_size[d]
        o = torch.arange(out_size[d], device=device).view(shape_o)
        k = torch.arange(kernel_size[d], device=device).view(shape_k)
        pos = o * stride[d] - padding[d] + k  # broadcasts to (*S_out, *K) along d
        valid = valid & (pos >= 0) & (pos < spatial[d])
        flat_pos = flat_pos * spatial[d] + pos
    flat_pos = flat_pos.reshape(*out_size, k_total)  # (*S_out, prod(K))
    valid = valid.reshape(*out_size, k_total)

    with torch.no_grad():
        best = flat.amax(dim=-1, keepdim=True)  # (N, C, *S_out, 1)
        hit = ((flat == best) | torch.isnan(flat)) & valid  # candidates for the maximum
        arg = hit.to(torch.uint8).argmax(dim=-1, keepdim=True)  # first candidate in window order
    values = flat.gather(-1, arg).squeeze(-1)  # (N, C, *S_out); gradient flows to the winner only
    indices = flat_pos.expand(n, c, *flat_pos.shape).gather(-1, arg).squeeze(-1)  # (N, C, *S_out)
    return values, indices


def _avg_pool(
    x: torch.Tensor,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
) -> torch.Tensor:
    """Average pooling over the trailing dims of ``x`` (N, C, *S), zero padding counted."""
    _geometry(x, kernel_size, stride, padding)
    windows = _windows(x, kernel_size, stride, padding, 0.0)  # (N, C, *S_out, *K)
    dims = tuple(range(-len(kernel_size), 0))
    return windows.mean(dim=dims)  # (N, C, *S_out): divides by prod(K) (count_include_pad=True)


def _single(value: int, name: str) -> int:
    """An int (not bool) or a 1-tuple of one int, for 1D hyper-parameters."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    return value


# ----------------------------------------------------------------------------- pooling


def max_pool2d(
    x: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    return_indices: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """2D max pooling, equal to ``F.max_pool2d`` (values and indices).

    Args:
        x: (N, C, H, W) floating-point input.
        kernel_size: window (kH, kW) or one int.
        stride: step (sH, sW); ``None`` (default) means the kernel size, so windows tile.
        padding: (pH, pW) added on each side with ``-inf`` (never chosen as a maximum);
            at most half of the kernel size, as torch requires.
        return_indices: also return where each maximum came from.

    Returns:
        (N, C, H_out, W_out) with ``H_out = floor((H + 2pH - kH) / sH) + 1`` (same for W);
        with ``return_indices=True`` a pair (values, indices), indices int64 of the same
        shape holding flat positions ``row * W + col`` in each input plane (use them with
        :func:`max_unpool2d`). The gradient goes to the winning pixel of each window.
    """
    check_tensor(x, 4, "x", "(N, C, H, W)")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    values, indices = _max_pool(x, k, s, p)  # (N, C, H_out, W_out) each
    return (values, indices) if return_indices else values


def avg_pool2d(
    x: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> torch.Tensor:
    """2D average pooling, equal to ``F.avg_pool2d`` with its defaults.

    Args:
        x: (N, C, H, W) floating-point input.
        kernel_size: window (kH, kW) or one int.
        stride: step (sH, sW); ``None`` (default) means the kernel size.
        padding: (pH, pW) zeros added on each side, at most half of the kernel size;
            the zeros count in the average (torch's ``count_include_pad=True``).

    Returns:
        (N, C, H_out, W_out): the mean of each window (sum divided by kH * kW).
    """
    check_tensor(x, 4, "x", "(N, C, H, W)")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    return _avg_pool(x, k, s, p)  # (N, C, H_out, W_out)


def max_pool1d(
    x: torch.Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    return_indices: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """1D max pooling, equal to ``F.max_pool1d`` (values and indices).

    Args:
        x: (N, C, L) floating-point input.
        kernel_size: window length k.
        stride: step s; ``None`` means k.
        padding: p positions of ``-inf`` on each side, at most k / 2.
        return_indices: also return the position (in 0..L-1) of each maximum.

    Returns:
        (N, C, L_out) with ``L_out = floor((L + 2p - k) / s) + 1``; with
        ``return_indices=True`` the pair (values, int64 indices of the same shape).
    """
    check_tensor(x, 3, "x", "(N, C, L)")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None else _single(stride, "stride")
    p = _single(padding, "padding")
    values, indices = _max_pool(x, (k,), (s,), (p,))  # (N, C, L_out) each
    return (values, indices) if return_indices else values


def avg_pool1d(
    x: torch.Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
) -> torch.Tensor:
    """1D average pooling, equal to ``F.avg_pool1d`` with its defaults.

    Args:
        x: (N, C, L) floating-point input.
        kernel_size: window length k.
        stride: step s; ``None`` means k.
        padding: p zeros on each side (at most k / 2), counted in the average.

    Returns:
        (N, C, L_out) with ``L_out = floor((L + 2p - k) / s) + 1``.
    """
    check_tensor(x, 3, "x", "(N, C, L)")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None else _single(stride, "stride")
    p = _single(padding, "padding")
    return _avg_pool(x, (k,), (s,), (p,))  # (N, C, L_out)


# ----------------------------------------------------------------------------- unpooling


def max_unpool2d(
    x: torch.Tensor,
    indices: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    output_size: Sequence[int] | None = None,
    *,
    padding: IntPair = 0,
) -> torch.Tensor:
    """Undo max pooling: put each value back where its maximum came from, zeros elsewhere.

    Equal to ``F.max_unpool2d(x, indices, kernel_size, stride, padding, output_size)``.

    Args:
        x: (N, C, H, W) pooled values.
        indices: (N, C, H, W) integer flat positions ``row * W_out + col`` returned by
            ``max_pool2d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the pooling being undone (stride
            defaults to the kernel size); ``padding`` is keyword-only here.
        output_size: (H_out, W_out) or (N, C, H_out, W_out); default
            ``((H - 1) * sH - 2pH + kH, (W - 1) * sW - 2pW + kW)``. Like torch it must lie
            strictly within one stride of that default (pooling rounds sizes down).

    Returns:
        (N, C, H_out, W_out), differentiable with respect to ``x``.
    """
    check_tensor(x, 4, "x", "(N, C, H, W)")
    if not isinstance(indices, torch.Tensor):
        raise ValueError(f"indices must be a torch.Tensor of shape {shape_of(x)}, got {type(indices).__name__}")
    if indices.shape != x.shape:
        raise ValueError(f"indices must have the shape of x {shape_of(x)}, got {shape_of(indices)}")
    if indices.is_floating_point() or indices.is_complex() or indices.dtype == torch.bool:
        raise ValueError(f"indices must be an integer tensor (int64 from max_pool2d), got {indices.dtype}")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    check_positive(k, "kernel_size")
    check_positive(s, "stride")
    check_non_negative(p, "padding")
    n, c, h, w = x.shape
    default = ((h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1])
    if output_size is None:
        size = default
    else:
        given = tuple(int(v) for v in output_size)
        if len(given) == 4:
            given = given[2:]
        if len(given) != 2:
            raise ValueError(f"output_size must be (H_out, W_out) or (N, C, H_out, W_out), got {tuple(output_size)}")
        for d in range(2):
            if not (default[d] - s[d] < given[d] < default[d] + s[d]):
                raise ValueError(
                    f"output_size {given} is invalid for x of shape {shape_of(x)}: dim {d} must lie strictly "
                    f"between {default[d] - s[d]} and {default[d] + s[d]}"
                )
        size = (given[0], given[1])
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"output size {size} computed for x of shape {shape_of(x)} is not positive")
    plane = size[0] * size[1]
    flat_idx = indices.reshape(n, c, h * w).long()  # (N, C, H*W)
    if flat_idx.numel() > 0 and (flat_idx.min() < 0 or flat_idx.max() >= plane):
        raise ValueError(
            f"indices must lie in [0, {plane}) for an output of spatial size {size}; "
            f"got values in [{int(flat_idx.min())}, {int(flat_idx.max())}]"
        )
    out = x.new_zeros(n, c, plane)  # (N, C, H_out*W_out)
    out = out.scatter(2, flat_idx, x.reshape(n, c, h * w))  # each value to its remembered position
    return out.view(n, c, size[0], size[1])  # (N, C, H_out, W_out)


# ----------------------------------------------------------------------------- up-sampling


def _scale(scale_factor: object, name: str = "scale_factor") -> tuple[int, int]:
    """A positive integer scale, or a pair of them, as (sH, sW)."""
    if isinstance(scale_factor, float) and scale_factor.is_integer():
        scale_factor = int(scale_factor)
    if isinstance(scale_factor, (tuple, list)):
        scale_factor = tuple(int(v) if isinstance(v, float) and v.is_integer() else v for v in scale_factor)
    try:
        sh, sw = pair(scale_factor, name)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {scale_factor!r}") from None
    if sh < 1 or sw < 1:
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {scale_factor!r}")
    return sh, sw


def upsample_nearest(x: torch.Tensor, scale_factor: int | tuple[int, int]) -> torch.Tensor:
    """Up-sampling by duplication: every pixel becomes an ``s x s`` block of copies.

    Equal to ``F.interpolate(x, scale_factor=s, mode="nearest")``.

    Args:
        x: (N, C, H, W) image batch, or (N, C, L) sequences.
        scale_factor: positive integer s (or (sH, sW) for images).

    Returns:
        (N, C, sH * H, sW * W), or (N, C, s * L): ``out[..., i, j] = x[..., i // sH, j // sW]``.
    """
    if isinstance(x, torch.Tensor) and x.dim() == 3:
        check_tensor(x, 3, "x", "(N, C, L)")
        s, _ = _scale(scale_factor)
        return x.repeat_interleave(s, dim=2)  # (N, C, s*L)
    check_tensor(x, 4, "x", "(N, C, H, W)")
    sh, sw = _scale(scale_factor)
    out = x.repeat_interleave(sh, dim=2)  # (N, C, sH*H, W)
    return out.repeat_interleave(sw, dim=3)  # (N, C, sH*H, sW*W)


def _linear_sources(
    size_in: int, scale: int, align_corners: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each output position along one dim: two input neighbours and their weights.

    Output ``o`` (0 <= o < scale * size_in) reads the source coordinate

    - ``align_corners=False``: ``u = (o + 0.5) / scale - 0.5``, clamped at 0 (pixel centres
      at half-integers, image edges aligned);
    - ``align_corners=True``:  ``u = o * (size_in - 1) / (size_out - 1)`` (corner pixels aligned).

    Returns (i0, i1, w0, w1), each (size_out,), float64 weights: the value is
    ``w0 * x[i0] + w1 * x[i1]`` with ``i0 = floor(u)``, ``i1 = min(i0 + 1, size_in - 1)``,
    ``w1 = u - i0``, ``w0 = 1 - w1``.
    """
    size_out = size_in * scale
    o = torch.arange(size_out, dtype=torch.float64)  # (size_out,)
    if align_corners:
        ratio = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
        u = o * ratio
    else:
        u = ((o + 0.5) / scale - 0.5).clamp(min=0.0)
    i0 = u.floor().long().clamp(max=size_in - 1)
    w1 = (u - i0).clamp(0.0, 1.0)
    i1 = (i0 + 1).clamp(max=size_in - 1)
    return i0, i1, 1.0 - w1, w1


def upsample_bilinear(
    x: torch.Tensor, scale_factor: int | tuple[int, int], align_corners: bool = False
) -> torch.Tensor:
    """Bilinear up-sampling from the interpolation formula.

    Each output pixel ``(o_h, o_w)`` gets a source coordinate ``(u, v)`` in the input
    (see :func:`_linear_sources`), and is the weighted sum of its four neighbours::

        out = (1-a)(1-b) x[i0, j0] + (1-a) b x[i0, j1] + a (1-b) x[i1, j0] + a b x[i1, j1]

    with ``i0 = floor(u)``, ``a = u - i0`` and likewise ``j0``, ``b`` for columns.
    Equal to ``F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=...)``.

    Args:
        x: (N, C, H, W) floating-point image batch.
        scale_factor: positive integer s, or a pair (sH, sW).
        align_corners: ``False`` (torch's default) treats pixels as unit squares and aligns
            the outer edges; ``True`` aligns the centres of the corner pixels.

    Returns:
        (N, C, sH * H, sW * W), differentiable with respect to ``x``.
    """
    check_tensor(x, 4, "x", "(N, C, H, W)")
    if not isinstance(align_corners, bool):
        raise ValueError(f"align_corners must be True or False, got {align_corners!r}")
    sh, sw = _scale(scale_factor)
    h, w = x.shape[2:]
    i0, i1, a0, a1 = _linear_sources(h, sh, align_corners)  # each (H_out,)
    j0, j1, b0, b1 = _linear_sources(w, sw, align_corners)  # each (W_out,)
    a0, a1 = (t.to(device=x.device, dtype=x.dtype)[:, None] for t in (a0, a1))  # (H_out, 1)
    b0, b1 = (t.to(device=x.device, dtype=x.dtype)[None, :] for t in (b0, b1))  # (1, W_out)
    rows0, rows1 = i0.to(x.device)[:, None], i1.to(x.device)[:, None]  # (H_out, 1)
    cols0, cols1 = j0.to(x.device)[None, :], j1.to(x.device)[None, :]  # (1, W_out)
    top_left = x[:, :, rows0, cols0]  # (N, C, H_out, W_out)
    top_right = x[:, :, rows0, cols1]
    bottom_left = x[:, :, rows1, cols0]
    bottom_right = x[:, :, rows1, cols1]
    return (
        a0 * b0 * top_left + a0 * b1 * top_right + a1 * b0 * bottom_left + a1 * b1 * bottom_right
    )  # (N, C, H_out, W_out)
