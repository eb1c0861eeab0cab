"""Data augmentation for batches of image tensors, built from ``torchvision.transforms.v2``.

Data augmentation trains a network on randomly transformed copies of its training
images (flipped, shifted, rotated, scaled, brightened), each keeping its label. Two
facts about ``torchvision.transforms.v2`` shape this module:

- A v2 transform draws its random parameters once per call. Called on a batch tensor
  ``(B, C, H, W)`` it therefore applies the *same* flip or rotation to every image of the
  batch. :class:`PerSample` calls the transform on each image separately, so every image
  gets its own random transformation; ``course_lib.training.fit(transform=...)`` accepts it.
- Rotations, shifts and zooms out uncover the image's corners, which ``RandomAffine`` fills
  with a constant (black). :func:`make_augmentation` pads the image by reflection first and
  crops the centre afterwards, so the uncovered corners show mirrored image content instead.

The random parameters come from torch's global generator, so ``seed_everything`` (or
``fit(seed=...)``) makes an augmented training run reproducible.
"""

from __future__ import annotations

from typing import Callable

import torch
from torchvision.transforms import v2

from ._validate import check_tensor, shape_of

__all__ = ["PerSample", "elementary_transforms", "make_augmentation"]


def _check_fraction(value: float, name: str, upper: float = 1.0) -> float:
    """``value`` must be a number in ``[0, upper]``; return it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= upper:
        raise ValueError(f"{name} must be a number in [0, {upper:g}], got {value!r}")
    return float(value)


def _check_scale(scale: tuple[float, float] | None) -> tuple[float, float] | None:
    """``scale`` must be None or a pair ``(low, high)`` with ``0 < low <= high``."""
    if scale is None:
        return None
    try:
        low, high = (float(s) for s in scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be None or a pair (low, high) with 0 < low <= high, got {scale!r}") from None
    if not 0.0 < low <= high:
        raise ValueError(f"scale must be None or a pair (low, high) with 0 < low <= high, got {scale!r}")
    return (low, high)


def _check_degrees(degrees: float) -> float:
    """``degrees`` must be a number in ``[0, 180]``: rotations are drawn from ``[-degrees, degrees]``."""
    return _check_fraction(degrees, "degrees", upper=180.0)


class PerSample:
    """Apply a transform to every image of a batch separately, each with its own random draw.

    Args:
        transform: a callable mapping one image ``(C, H, W)`` to an image ``(C, H', W')``
            with the same output size for every image, e.g. a ``torchvision.transforms.v2``
            transform.

    Calling the object on ``x: (B, C, H, W)`` returns the stacked results ``(B, C, H', W')``
    in the dtype and on the device of ``x``. It is what ``fit(transform=...)`` expects.
    """

    def __init__(self, transform: Callable[[torch.Tensor], torch.Tensor]) -> None:
        if not callable(transform):
            raise ValueError(f"transform must be callable (image (C, H, W) -> image), got {type(transform).__name__}")
        self.transform = transform

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) -> (B, C, H', W'), the transform applied to each image on its own."""
        x = check_tensor(x, 4, "x", "(B, C, H, W)")
        if x.shape[0] == 0:
            raise ValueError(f"x must hold at least one image, got shape {shape_of(x)}")
        return torch.stack([self.transform(image) for image in x])  # (B, C, H', W')

    def __repr__(self) -> str:
        return f"PerSample({self.transform!r})"


def elementary_transforms(
    translate: float = 0.15,
    degrees: float = 30.0,
    scale: tuple[float, float] = (0.7, 1.3),
    brightness: float = 0.5,
) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """One transform per kind of augmentation, for a gallery that shows them one at a time.

    Args:
        translate: largest shift as a fraction of the width and of the height, in ``[0, 1]``.
        degrees: rotations are drawn uniformly from ``[-degrees, degrees]``, in ``[0, 180]``.
        scale: range of the zoom factor ``(low, high)``.
        brightness: the brightness factor is drawn from ``[1 - brightness, 1 + brightness]``.

    Returns:
        ``{"flip": ..., "translate": ..., "rotate": ..., "scale": ..., "brightness": ...}``,
        each a v2 transform of one image ``(C, H, W)`` with values in ``[0, 1]`` (the flip
        always flips, so that it is visible; the geometric ones pad by reflection).
    """
    translate = _check_fraction(translate, "translate")
    degrees = _check_degrees(degrees)
    checked_scale = _check_scale(scale)
    brightness = _check_fraction(brightness, "brightness")
    return {
        "flip": v2.RandomHorizontalFlip(p=1.0),
        "translate": make_augmentation(flip=0.0, translate=translate, degrees=0.0, scale=None, brightness=0.0),
        "rotate": make_augmentation(flip=0.0, translate=0.0, degrees=degrees, scale=None, brightness=0.0),
        "scale": make_augmentation(flip=0.0, translate=0.0, degrees=0.0, scale=checked_scale, brightness=0.0),
        "brightness": v2.ColorJitter(brightness=brightness),
    }


def make_augmentation(
    flip: float = 0.5,
    translate: float = 0.1,
    degrees: float = 15.0,
    scale: tuple[float, float] | None = (0.9, 1.1),
    brightness: float = 0.2,
    pad_fraction: float = 0.25,
) -> v2.Compose:
    """A random composition of flip, shift, rotation, zoom and brightness for one image.

    The image is padded by reflection (``pad_fraction`` of its size on every side), then
    one ``RandomAffine`` rotates, shifts and zooms it, the centre is cropped back to the
    original size, it is flipped left-right with probability ``flip``, and its brightness
    is multiplied by a random factor (values clipped to ``[0, 1]``). Steps whose strength
    is 0 (or ``scale=None``) are left out.

    Args:
        flip: probability of a horizontal flip, in ``[0, 1]``.
        translate: largest shift as a fraction of the image size, in ``[0, 1]``.
        degrees: rotations drawn from ``[-degrees, degrees]``, in ``[0, 180]``.
        scale: zoom factor range ``(low, high)``, or None for no zoom.
        brightness: brightness factor drawn from ``[1 - brightness, 1 + brightness]``, in ``[0, 1]``.
        pad_fraction: reflection padding per side as a fraction of the image size, in
            ``[0, 1]``; 0 lets ``RandomAffine`` fill the uncovered corners with black. The
            reflection fills every uncovered pixel as long as shifts stay below
            ``pad_fraction`` and zoom factors above ``1 / (1 + 2 * pad_fraction)``; a
            rotation of a square image needs ``pad_fraction >= 0.21``.

    Returns:
        A ``v2.Compose`` mapping one image ``(C, H, W)`` to ``(C, H, W)``. Wrap it in
        :class:`PerSample` to augment batches ``(B, C, H, W)``.
    """
    flip = _check_fraction(flip, "flip")
    translate = _check_fraction(translate, "translate")
    degrees = _check_degrees(degrees)
    scale = _check_scale(scale)
    brightness = _check_fraction(brightness, "brightness")
    pad_fraction = _check_fraction(pad_fraction, "pad_fraction")

    steps: list[Callable[[torch.Tensor], torch.Tensor]] = []
    if translate > 0 or degrees > 0 or scale is not None:
        # RandomAffine's shift is a fraction of the size it sees: the padded size.
        shift = translate / (1.0 + 2.0 * pad_fraction)
        affine = v2.RandomAffine(degrees=degrees, translate=(shift, shift) if translate > 0 else None,
                                 scale=scale, interpolation=v2.InterpolationMode.BILINEAR)
        steps.append(_ReflectPadAround(affine, pad_fraction) if pad_fraction > 0 else affine)
    if flip > 0:
        steps.append(v2.RandomHorizontalFlip(p=flip))
    if brightness > 0:
        steps.append(v2.ColorJitter(brightness=brightness))
    if not steps:
        steps.append(v2.Identity())
    return v2.Compose(steps)


class _ReflectPadAround(torch.nn.Module):
    """Pad an image ``(C, H, W)`` by reflection, apply ``inner``, crop the centre ``(C, H, W)`` back.

    The pad is a fraction of the image size computed per call, so one instance works for
    any image size.
    """

    def __init__(self, inner: Callable[[torch.Tensor], torch.Tensor], pad_fraction: float) -> None:
        super().__init__()
        self.inner = inner
        self.pad_fraction = pad_fraction

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: (C, H, W) -> (C, H, W)."""
        height, width = image.shape[-2:]
        pad_h = min(int(round(self.pad_fraction * height)), height - 1)  # reflection needs pad < size
        pad_w = min(int(round(self.pad_fraction * width)), width - 1)
        padded = torch.nn.functional.pad(image[None], [pad_w, pad_w, pad_h, pad_h], mode="reflect")[0]
        moved = self.inner(padded)  # (C, H + 2 pad_h, W + 2 pad_w)
        return moved[..., pad_h:pad_h + height, pad_w:pad_w + width]  # (C, H, W)

    def extra_repr(self) -> str:
        return f"pad_fraction={self.pad_fraction}"
