"""Convolution from scratch: 1D and 2D, naive, im2col, FFT and transposed.

Every function here computes the same thing as its ``torch.nn.functional``
namesake, written so that you can read how it works. Like PyTorch (and every deep
learning library) we compute the *cross-correlation*

    y[n, o, i, j] = bias[o] + sum_{c, u, v} x[n, c, i*s + u*d, j*s + v*d] * w[o, c, u, v]

and call it convolution; a true convolution would flip the kernel first.

Shapes follow PyTorch: images ``x`` are ``(N, C_in, H, W)``, sequences ``(N, C_in, L)``,
weights ``(C_out, C_in, kH, kW)``; ``s`` is the stride, ``d`` the dilation, ``p`` the
zero padding. The output has ``floor((H + 2p - d(k-1) - 1) / s) + 1`` rows
(:func:`conv_output_size`).

The ops:

- :func:`conv2d_naive`: two Python loops over the output positions. Each output
  pixel is the dot product of one input patch with each kernel. Clear and slow.
- :func:`im2col` + :func:`conv2d`: copy every patch into a column of a matrix
  ``(N, C_in*kH*kW, L)``, then ONE matrix product with the weight reshaped to
  ``(C_out, C_in*kH*kW)`` does all the dot products at once. This is how fast
  libraries turned convolution into a matrix multiplication.
- :func:`conv1d`: the 1D case, as a 2D convolution of height 1.
- :func:`conv2d_fft`: the convolution theorem. Convolution in space is a product
  of Fourier transforms; it wins for large kernels.
- :func:`conv_transpose2d`: the "transposed convolution" used for up-sampling:
  put ``stride - 1`` zeros between the input pixels, pad, and convolve with the
  flipped kernel.
- :func:`circulant` and :func:`circular_conv1d`: circular convolution of a vector
  as a matrix product ``C(w) @ x`` and through the FFT.
- :func:`conv2d_params`: the number of learnable parameters of a layer.

Padding may be an int, a pair ``(pH, pW)``, or a string: ``"valid"`` (no padding),
``"same"`` (output as large as the input; stride 1 only; an even kernel gets the
extra row/column at the bottom/right, as in PyTorch) or ``"full"`` (``d(k-1)`` on
each side, so every overlap of kernel and input is kept).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from course_lib._validate import IntPair, check_int, check_non_negative, check_positive, check_tensor, pair, shape_of

__all__ = [
    "conv_output_size",
    "conv1d",
    "conv2d_naive",
    "im2col",
    "conv2d",
    "conv2d_fft",
    "conv_transpose2d",
    "circulant",
    "circular_conv1d",
    "conv2d_params",
]

Padding = int | tuple[int, int] | str
# Per spatial dimension, the zeros added (before, after): ((top, bottom), (left, right)).
Pads = tuple[tuple[int, int], ...]

_PADDING_MODES = ("valid", "same", "full")


# ----------------------------------------------------------------------------
# Output size and argument checks
# ----------------------------------------------------------------------------


def _string_pads(mode: str, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """Zeros (before, after) for padding ``"valid"``, ``"same"`` or ``"full"`` in one dimension."""
    span = dilation * (kernel - 1)  # how far the kernel reaches beyond its first tap
    if mode == "valid":
        return (0, 0)
    if mode == "full":
        return (span, span)
    if mode == "same":
        if stride != 1:
            raise ValueError(f'padding="same" needs stride 1, got stride {stride}')
        return (span // 2, span - span // 2)  # the odd zero goes after, as in PyTorch
    raise ValueError(f"padding must be an int, a pair of ints or one of {_PADDING_MODES}, got {mode!r}")


def _output_length(size: int, kernel: int, stride: int, pads: tuple[int, int], dilation: int, where: str = "") -> int:
    """Output length in one dimension; ValueError if the kernel does not fit in the padded input."""
    span = dilation * (kernel - 1) + 1  # input positions one kernel covers
    padded = size + pads[0] + pads[1]
    if span > padded:
        raise ValueError(
            f"kernel of size {kernel} with dilation {dilation} spans {span} positions, more than the "
            f"padded input of {padded} (size {size} + padding {pads[0]} + {pads[1]}){where}"
        )
    return (padded - span) // stride + 1


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int | str = 0, dilation: int = 1
) -> int:
    """Length of a convolution's output along one dimension.

    ``floor((size + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``.

    Args:
        size: input length (H, W or L).
        kernel_size, stride, dilation: positive ints.
        padding: non-negative int, or ``"valid"``, ``"same"`` (stride 1), ``"full"``.

    Returns:
        The output length, an int >= 1.

    Raises:
        ValueError: a non-positive size, kernel, stride or dilation, a negative padding,
            or a kernel larger than the padded input (the message shows the numbers).
    """
    for value, name in ((size, "size"), (kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")):
        check_positive([check_int(value, name)], name)
    if isinstance(padding, str):
        pads = _string_pads(padding, kernel_size, stride, dilation)
    else:
        check_non_negative([check_int(padding, "padding")], "padding")
        pads = (padding, padding)
    return _output_length(size, kernel_size, stride, pads, dilation)


def _single(value: int | Sequence[int], name: str) -> tuple[int]:
    """Turn an int or a 1-tuple into a 1-tuple (stride, padding, dilation of conv1d)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return (check_int(value, name),)


def _conv_args(
    kernel: tuple[int, ...], stride: object, padding: object, dilation: object, ndim: int
) -> tuple[tuple[int, ...], Pads, tuple[int, ...]]:
    """Check stride, padding and dilation for an ``ndim``-D convolution; return them per dimension.

    ``kernel`` is ``(kH, kW)`` or ``(k,)``; the result is ``(stride, pads, dilation)`` where
    ``pads`` holds ``(before, after)`` per dimension.
    """
    as_tuple = pair if ndim == 2 else _single
    check_positive(kernel, "kernel_size")
    strides = as_tuple(stride, "stride")  # type: ignore[arg-type]
    check_positive(strides, "stride")
    dilations = as_tuple(dilation, "dilation")  # type: ignore[arg-type]
    check_positive(dilations, "dilation")
    if isinstance(padding, str):
        if padding == "same" and any(s != 1 for s in strides):
            raise ValueError(f'padding="same" needs stride 1, got stride {strides}')
        pads = tuple(_string_pads(padding, k, s, d) for k, s, d in zip(kernel, strides, dilations))
    else:
        symmetric = as_tuple(padding, "padding")  # type: ignore[arg-type]
        check_non_negative(symmetric, "padding")
        pads = tuple((p, p) for p in symmetric)
    return strides, pads, dilations


def _check_conv_inputs(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, ndim: int, in_dim: int = 1
) -> None:
    """Ranks, dtypes, channels and bias shape of a convolution's inputs.

    ``in_dim`` is the weight dimension that must match x's channels (1 for conv,
    0 for transposed conv, whose weight is ``(C_in, C_out, kH, kW)``).
    """
    spatial = "(N, C_in, H, W)" if ndim == 2 else "(N, C_in, L)"
    kernel = "kH, kW" if ndim == 2 else "k"
    w_layout = f"(C_in, C_out, {kernel})" if in_dim == 0 else f"(C_out, C_in, {kernel})"
    check_tensor(x, ndim + 2, "x", spatial)
    check_tensor(weight, ndim + 2, "weight", w_layout)
    if x.dtype != weight.dtype:
        raise ValueError(
            f"x and weight must have the same dtype, got x {x.dtype} (shape {shape_of(x)}) "
            f"and weight {weight.dtype} (shape {shape_of(weight)})"
        )
    if x.shape[1] != weight.shape[in_dim]:
        raise ValueError(
            f"x has {x.shape[1]} channels (shape {shape_of(x)}) but weight of shape {shape_of(weight)} "
            f"expects C_in={weight.shape[in_dim]}"
        )
    out_channels = weight.shape[1 - in_dim]
    if bias is not None:
        check_tensor(bias, 1, "bias", "(C_out,)")
        if bias.shape != (out_channels,):
            raise ValueError(
                f"bias must have shape (C_out,) = ({out_channels},) for weight of shape {shape_of(weight)}, "
                f"got {shape_of(bias)}"
            )
        if bias.dtype != weight.dtype:
            raise ValueError(f"bias must have the dtype of weight ({weight.dtype}), got {bias.dtype}")


def _output_shape(
    x: torch.Tensor,
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    dilations: tuple[int, ...],
    weight: torch.Tensor | None = None,
) -> tuple[int, ...]:
    """Spatial output shape; the error names x's (and weight's) shape if a kernel does not fit."""
    names = ("height", "width") if len(kernel) == 2 else ("length",)
    shapes = f"x has shape {shape_of(x)}" + ("" if weight is None else f", weight has shape {shape_of(weight)}")
    return tuple(
        _output_length(size, k, s, p, d, where=f" in {name}: {shapes}")
        for size, k, s, p, d, name in zip(x.shape[2:], kernel, strides, pads, dilations, names)
    )


def _pad(x: torch.Tensor, pads: Pads) -> torch.Tensor:
    """Zero-pad the spatial dimensions of ``x`` by ``pads = ((top, bottom), (left, right))``."""
    flat: list[int] = []
    for before, after in reversed(pads):  # F.pad lists the last dimension first
        flat += [before, after]
    return F.pad(x, flat) if any(flat) else x


# ----------------------------------------------------------------------------
# 2D convolution: naive loops, im2col + matmul
# ----------------------------------------------------------------------------


def conv2d_naive(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> torch.Tensor:
    """2D convolution (cross-correlation) with explicit loops over the output positions.

    The teaching version: for every output pixel ``(i, j)`` cut the input patch that the
    kernel covers and take its dot product with each of the ``C_out`` kernels.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: kernels ``(C_out, C_in, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride, dilation: int or pair, >= 1.
        padding: int, pair, ``"valid"``, ``"same"`` or ``"full"``.

    Returns:
        ``(N, C_out, H_out, W_out)``, equal to ``F.conv2d`` with the same arguments.
    """
    _check_conv_inputs(x, weight, bias, ndim=2)
    C_out, _, kH, kW = weight.shape
    (sH, sW), pads, (dH, dW) = _conv_args((kH, kW), stride, padding, dilation, ndim=2)
    H_out, W_out = _output_shape(x, (kH, kW), (sH, sW), pads, (dH, dW), weight)
    xp = _pad(x, pads)  # (N, C_in, H + pads, W + pads)

    out = x.new_zeros(x.shape[0], C_out, H_out, W_out)  # (N, C_out, H_out, W_out)
    for i in range(H_out):
        for j in range(W_out):
            top, left = i * sH, j * sW  # where the kernel's first tap lands
            patch = xp[:, :, top : top + dH * (kH - 1) + 1 : dH, left : left + dW * (kW - 1) + 1 : dW]
            # patch: (N, C_in, kH, kW); one dot product per (sample, output channel)
            out[:, :, i, j] = (patch[:, None] * weight[None]).sum(dim=(2, 3, 4))  # (N, C_out)
    if bias is not None:
        out = out + bias[:, None, None]
    return out


def _im2col(
    x: torch.Tensor,
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    dilations: tuple[int, ...],
    out_hw: tuple[int, ...],
) -> torch.Tensor:
    """im2col on checked arguments: ``(N, C, H, W)`` -> ``(N, C*kH*kW, H_out*W_out)``."""
    N, C = x.shape[:2]
    (kH, kW), (sH, sW), (dH, dW), (H_out, W_out) = kernel, strides, dilations, out_hw
    xp = _pad(x, pads)  # (N, C, Hp, Wp)
    sN, sC, sy, sx = xp.stride()  # memory steps between neighbours along each dimension
    # A view, no copy: patches[n, c, u, v, i, j] = xp[n, c, i*sH + u*dH, j*sW + v*dW].
    patches = xp.as_strided(
        size=(N, C, kH, kW, H_out, W_out),
        stride=(sN, sC, dH * sy, dW * sx, sH * sy, sW * sx),
        storage_offset=xp.storage_offset(),
    )
    return patches.reshape(N, C * kH * kW, H_out * W_out)  # the copy: (N, C*kH*kW, L)


def im2col(
    x: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> torch.Tensor:
    """Copy every patch a kernel sees into one column of a matrix (``F.unfold``).

    Column ``l = i * W_out + j`` holds the patch under output pixel ``(i, j)``, ordered
    channel first, then kernel row, then kernel column: row ``c*kH*kW + u*kW + v``.
    No Python loop: the patches are a strided *view* of the padded input, copied once.

    Args:
        x: input ``(N, C, H, W)``.
        kernel_size, stride, dilation: int or pair, >= 1.
        padding: int, pair, ``"valid"``, ``"same"`` or ``"full"``.

    Returns:
        ``(N, C*kH*kW, L)`` with ``L = H_out * W_out``, equal to ``F.unfold``.
    """
    check_tensor(x, 4, "x", "(N, C, H, W)")
    kernel = pair(kernel_size, "kernel_size")
    strides, pads, dilations = _conv_args(kernel, stride, padding, dilation, ndim=2)
    out_hw = _output_shape(x, kernel, strides, pads, dilations)
    return _im2col(x, kernel, strides, pads, dilations, out_hw)


def _conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    strides: tuple[int, ...],
    pads: Pads,
    dilations: tuple[int, ...],
) -> torch.Tensor:
    """conv2d on checked arguments: im2col, then one matrix product."""
    N = x.shape[0]
    C_out, C_in, kH, kW = weight.shape
    H_out, W_out = _output_shape(x, (kH, kW), strides, pads, dilations, weight)
    cols = _im2col(x, (kH, kW), strides, pads, dilations, (H_out, W_out))  # (N, C_in*kH*kW, L)
    w = weight.reshape(C_out, C_in * kH * kW)  # (C_out, C_in*kH*kW): one kernel per row
    out = torch.matmul(w, cols)  # (N, C_out, L): every dot product in one call
    if bias is not None:
        out = out + bias[:, None]
    return out.view(N, C_out, H_out, W_out)  # (N, C_out, H_out, W_out)


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> torch.Tensor:
    """2D convolution (cross-correlation) as im2col + one matrix product.

    ``cols = im2col(x)`` is ``(N, C_in*kH*kW, L)``; the weight reshaped to
    ``(C_out, C_in*kH*kW)`` times ``cols`` gives ``(N, C_out, L)``, reshaped to the image.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: kernels ``(C_out, C_in, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride, dilation: int or pair, >= 1.
        padding: int, pair, ``"valid"``, ``"same"`` (stride 1) or ``"full"``.

    Returns:
        ``(N, C_out, H_out, W_out)``, equal to ``F.conv2d`` with the same arguments.
    """
    _check_conv_inputs(x, weight, bias, ndim=2)
    strides, pads, dilations = _conv_args(tuple(weight.shape[2:]), stride, padding, dilation, ndim=2)
    return _conv2d(x, weight, bias, strides, pads, dilations)


def conv1d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
) -> torch.Tensor:
    """1D convolution (cross-correlation): a 2D convolution of an image of height 1.

    Args:
        x: input ``(N, C_in, L)``.
        weight: kernels ``(C_out, C_in, k)``.
        bias: ``(C_out,)`` or None.
        stride, dilation: int >= 1.
        padding: int, ``"valid"``, ``"same"`` (stride 1) or ``"full"``.

    Returns:
        ``(N, C_out, L_out)``, equal to ``F.conv1d`` with the same arguments.
    """
    _check_conv_inputs(x, weight, bias, ndim=1)
    (s,), pads, (d,) = _conv_args(tuple(weight.shape[2:]), stride, padding, dilation, ndim=1)
    _output_shape(x, tuple(weight.shape[2:]), (s,), pads, (d,), weight)  # errors name the 1D shapes
    # (N, C_in, L) -> (N, C_in, 1, L); (C_out, C_in, k) -> (C_out, C_in, 1, k)
    out = _conv2d(x[:, :, None, :], weight[:, :, None, :], bias, (1, s), ((0, 0),) + pads, (1, d))
    return out[:, :, 0, :]  # (N, C_out, L_out)


# ----------------------------------------------------------------------------
# FFT convolution
# ----------------------------------------------------------------------------


def conv2d_fft(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, padding: Padding = 0
) -> torch.Tensor:
    """2D convolution (cross-correlation, stride 1) through the convolution theorem.

    A true convolution is a product in the Fourier domain. Cross-correlation is a
    convolution with the flipped kernel, so: flip the kernels, multiply the spectra of
    the padded input and the kernels (summing over input channels), transform back,
    and keep the positions where the kernel lay fully inside the padded input.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: kernels ``(C_out, C_in, kH, kW)``.
        bias: ``(C_out,)`` or None.
        padding: int, pair, ``"valid"``, ``"same"`` or ``"full"``.

    Returns:
        ``(N, C_out, H_out, W_out)``, equal to ``F.conv2d(x, weight, bias, padding=padding)``.
    """
    _check_conv_inputs(x, weight, bias, ndim=2)
    C_out, _, kH, kW = weight.shape
    strides, pads, dilations = _conv_args((kH, kW), 1, padding, 1, ndim=2)
    H_out, W_out = _output_shape(x, (kH, kW), strides, pads, dilations, weight)
    xp = _pad(x, pads)  # (N, C_in, Hp, Wp)
    size = tuple(xp.shape[2:])  # FFT size (Hp, Wp): the kernel is zero-padded to it
    X = torch.fft.rfft2(xp)  # (N, C_in, Hp, Wp//2 + 1), complex
    K = torch.fft.rfft2(weight.flip(-2, -1), s=size)  # (C_out, C_in, Hp, Wp//2 + 1)
    Y = torch.einsum("nchw,ochw->nohw", X, K)  # product of spectra, summed over C_in
    full = torch.fft.irfft2(Y, s=size)  # (N, C_out, Hp, Wp): circular convolution
    # Entries before kH-1 (kW-1) wrapped around the border; the rest is the answer.
    out = full[:, :, kH - 1 : kH - 1 + H_out, kW - 1 : kW - 1 + W_out]  # (N, C_out, H_out, W_out)
    if bias is not None:
        out = out + bias[:, None, None]
    return out


# ----------------------------------------------------------------------------
# Transposed convolution
# ----------------------------------------------------------------------------


def conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> torch.Tensor:
    """Transposed 2D convolution ("deconvolution"), as zero insertion + ordinary convolution.

    1. Put ``stride - 1`` zeros between neighbouring input pixels.
    2. Pad with ``kernel - 1 - padding`` zeros on each side (plus ``output_padding``
       at the bottom/right; a negative amount crops).
    3. Convolve (stride 1) with the kernel flipped in space and with in/out swapped.

    Output size: ``(H - 1)*stride - 2*padding + kH + output_padding``.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: ``(C_in, C_out, kH, kW)``, PyTorch's layout for transposed convolutions.
        bias: ``(C_out,)`` or None.
        stride: int or pair, >= 1.
        padding: int or pair, >= 0.
        output_padding: int or pair, each smaller than the stride.

    Returns:
        ``(N, C_out, H_out, W_out)``, equal to ``F.conv_transpose2d``.
    """
    _check_conv_inputs(x, weight, bias, ndim=2, in_dim=0)
    N, C_in, H, W = x.shape
    kernel = tuple(weight.shape[2:])
    check_positive(kernel, "kernel_size")
    (sH, sW) = pair(stride, "stride")
    check_positive((sH, sW), "stride")
    (pH, pW) = pair(padding, "padding")
    check_non_negative((pH, pW), "padding")
    (oH, oW) = pair(output_padding, "output_padding")
    check_non_negative((oH, oW), "output_padding")
    if oH >= sH or oW >= sW:
        raise ValueError(f"output_padding {(oH, oW)} must be smaller than the stride {(sH, sW)}")
    for size, k, s, p, o, name in ((H, kernel[0], sH, pH, oH, "height"), (W, kernel[1], sW, pW, oW, "width")):
        if (size - 1) * s - 2 * p + k + o < 1:
            raise ValueError(
                f"transposed convolution output {name} (size-1)*stride - 2*padding + kernel + output_padding"
                f" = ({size}-1)*{s} - 2*{p} + {k} + {o} < 1: x has shape {shape_of(x)},"
                f" weight has shape {shape_of(weight)}"
            )

    # 1. zero insertion: (N, C_in, (H-1)*sH + 1, (W-1)*sW + 1)
    z = x.new_zeros(N, C_in, (H - 1) * sH + 1, (W - 1) * sW + 1)
    z[:, :, ::sH, ::sW] = x
    # 2. pad (negative amounts crop: F.pad accepts them)
    kH, kW = kernel
    z = F.pad(z, [kW - 1 - pW, kW - 1 - pW + oW, kH - 1 - pH, kH - 1 - pH + oH])
    # 3. ordinary convolution with the flipped, in/out-swapped kernel
    w = weight.flip(-2, -1).transpose(0, 1)  # (C_out, C_in, kH, kW)
    return _conv2d(z, w, bias, (1, 1), ((0, 0), (0, 0)), (1, 1))  # (N, C_out, H_out, W_out)


# ----------------------------------------------------------------------------
# Circulant matrices and circular convolution
# ----------------------------------------------------------------------------


def _as_vector(w: torch.Tensor | Sequence[float], name: str) -> torch.Tensor:
    """A 1D floating-point tensor from a tensor or a list of numbers."""
    if not isinstance(w, torch.Tensor):
        w = torch.as_tensor(w, dtype=torch.get_default_dtype())
    if w.dim() != 1:
        raise ValueError(f"{name} must be a 1D tensor (k,), got shape {shape_of(w)}")
    return w if w.is_floating_point() else w.to(torch.get_default_dtype())


def circulant(w: torch.Tensor | Sequence[float], n: int) -> torch.Tensor:
    """The ``(n, n)`` circulant matrix ``C(w)`` of circular convolution with ``w``.

    ``C[i, j] = w[(i - j) mod n]`` (``w`` zero-padded to length ``n``): column ``j`` is
    ``w`` shifted down by ``j`` places, so ``(C @ x)[i] = sum_j w[j] * x[(i - j) mod n]``.
    ``circulant([0, 1], n)`` is the shift matrix that moves a vector right by one.

    Args:
        w: kernel ``(k,)``, ``k <= n`` (a tensor or a list of numbers).
        n: size of the vectors it acts on.

    Returns:
        ``(n, n)`` tensor with the dtype of ``w`` (default dtype for a list of numbers).
    """
    w = _as_vector(w, "w")
    n = check_int(n, "n")
    if n < 1 or w.shape[0] > n:
        raise ValueError(f"n must be >= len(w) >= 1: w has shape {shape_of(w)}, n = {n}")
    w_padded = F.pad(w, [0, n - w.shape[0]])  # (n,)
    i = torch.arange(n, device=w.device)
    index = (i[:, None] - i[None, :]) % n  # (n, n): index[i, j] = (i - j) mod n
    return w_padded[index]  # (n, n)


def circular_conv1d(x: torch.Tensor, w: torch.Tensor | Sequence[float]) -> torch.Tensor:
    """Circular convolution of the last dimension of ``x`` with ``w``, via the FFT.

    ``y[..., i] = sum_j w[j] * x[..., (i - j) mod n]``, i.e. ``circulant(w, n) @ x``,
    computed as ``ifft(fft(x) * fft(w))`` (the convolution theorem).

    Args:
        x: ``(..., n)``, floating point.
        w: kernel ``(k,)`` with ``k <= n``.

    Returns:
        ``(..., n)``, the dtype of ``x``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or not x.is_floating_point():
        got = shape_of(x) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a floating-point tensor (..., n), got {got}")
    w = _as_vector(w, "w").to(x.dtype)
    n = x.shape[-1]
    if w.shape[0] > n:
        raise ValueError(f"w of shape {shape_of(w)} is longer than x's last dimension: x has shape {shape_of(x)}")
    return torch.fft.irfft(torch.fft.rfft(x) * torch.fft.rfft(w, n=n), n=n)  # (..., n)


# ----------------------------------------------------------------------------
# Parameter count
# ----------------------------------------------------------------------------


def conv2d_params(in_channels: int, out_channels: int, kernel_size: IntPair, bias: bool = True) -> int:
    """Learnable parameters of a 2D convolution layer: ``C_in*C_out*kH*kW (+ C_out)``.

    Args:
        in_channels, out_channels: positive ints.
        kernel_size: int or pair ``(kH, kW)``.
        bias: whether the layer has one bias per output channel.

    Returns:
        The count, equal to ``sum(p.numel() for p in nn.Conv2d(...).parameters())``.
    """
    c_in = check_int(in_channels, "in_channels")
    c_out = check_int(out_channels, "out_channels")
    check_positive((c_in,), "in_channels")
    check_positive((c_out,), "out_channels")
    kH, kW = pair(kernel_size, "kernel_size")
    check_positive((kH, kW), "kernel_size")
    return c_in * c_out * kH * kW + (c_out if bias else 0)
