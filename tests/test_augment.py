"""Tests for course_lib.augment: per-image augmentation of batches with torchvision.transforms.v2.

References are independent: ``torch.flip``, reflection padding by ``torch.nn.functional.pad``
followed by a crop, and the transform called image by image with the same random state.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from course_lib.augment import PerSample, elementary_transforms, make_augmentation
from course_lib.models import SimpleCNN
from course_lib.training import fit


def _images(n: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    """Random images (n, 3, size, size) in [0, 1]; no two images or rows are equal."""
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_a_v2_transform_on_a_batch_draws_once_so_all_images_share_the_flip():
    # The reason PerSample exists: v2 draws its random parameters once per call.
    x = _images(32)
    for seed in range(10):
        torch.manual_seed(seed)
        y = v2.RandomHorizontalFlip(p=0.5)(x)
        assert torch.equal(y, x) or torch.equal(y, x.flip(-1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_sample_flips_each_image_on_its_own(seed):
    x = _images(64, seed=seed)
    torch.manual_seed(seed)
    y = PerSample(v2.RandomHorizontalFlip(p=0.5))(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    flipped = torch.tensor([torch.equal(y[i], x[i].flip(-1)) for i in range(64)])
    kept = torch.tensor([torch.equal(y[i], x[i]) for i in range(64)])
    assert torch.all(flipped ^ kept)  # each image is either flipped or not
    assert 10 < int(flipped.sum()) < 54  # and both happen (binomial(64, 1/2))


@pytest.mark.parametrize("seed", [3, 4])
def test_per_sample_equals_calling_the_transform_image_by_image(seed):
    transform = make_augmentation(flip=0.5, translate=0.2, degrees=40.0, scale=(0.8, 1.2), brightness=0.3)
    x = _images(12, size=20, seed=seed)
    torch.manual_seed(seed)
    expected = torch.stack([transform(image) for image in x])
    torch.manual_seed(seed)
    torch.testing.assert_close(PerSample(transform)(x), expected)
    torch.manual_seed(seed)
    torch.testing.assert_close(PerSample(transform)(x), expected)  # reproducible under a seed


def test_all_strengths_zero_is_the_identity():
    x = _images(1)[0]
    torch.testing.assert_close(make_augmentation(flip=0, translate=0, degrees=0, scale=None, brightness=0)(x), x)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pad_fraction", [0.25, 0.5])
def test_translation_shifts_by_whole_pixels_and_fills_with_the_reflection(seed, pad_fraction):
    size, translate = 16, 0.25
    x = _images(1, size, seed=seed)  # (1, 3, 16, 16)
    torch.manual_seed(seed)
    y = make_augmentation(flip=0, translate=translate, degrees=0, scale=None, brightness=0,
                          pad_fraction=pad_fraction)(x[0])
    pad = round(pad_fraction * size)
    padded = F.pad(x, [pad, pad, pad, pad], mode="reflect")[0]  # (3, size + 2 pad, size + 2 pad)
    limit = min(int(translate * size) + 1, pad)  # candidate shifts inside the padded image
    matches = [(dx, dy) for dx in range(-limit, limit + 1) for dy in range(-limit, limit + 1)
               if torch.allclose(y, padded[:, pad - dy:pad - dy + size, pad - dx:pad - dx + size], atol=1e-5)]
    assert len(matches) == 1, "the output must be the input moved by one whole-pixel shift"
    dx, dy = matches[0]
    assert abs(dx) <= translate * size + 0.5 and abs(dy) <= translate * size + 0.5


@pytest.mark.parametrize("kwargs", [dict(degrees=90.0), dict(translate=0.2), dict(scale=(0.7, 0.9))])
def test_reflection_padding_keeps_the_corners_filled(kwargs):
    # within the documented limits for pad_fraction=0.25: shifts < 0.25, zoom > 2/3, any rotation
    options = dict(flip=0.0, translate=0.0, degrees=0.0, scale=None, brightness=0.0)
    options.update(kwargs)
    constant = torch.full((3, 24, 24), 0.7)
    torch.manual_seed(0)
    outputs = [make_augmentation(**options)(constant) for _ in range(5)]
    for y in outputs:
        torch.testing.assert_close(y, constant)  # a constant image stays constant everywhere
    torch.manual_seed(0)
    black = [make_augmentation(**options, pad_fraction=0.0)(constant) for _ in range(5)]
    assert any(float(y.min()) < 0.1 for y in black)  # without padding, RandomAffine fills with 0


def test_brightness_multiplies_every_pixel_by_one_factor_in_range():
    x = 0.5 * _images(1, seed=5)[0]  # values in [0, 0.5]: a factor <= 1.4 never clips
    for seed in range(5):
        torch.manual_seed(seed)
        y = make_augmentation(flip=0, translate=0, degrees=0, scale=None, brightness=0.4)(x)
        ratio = y[x > 0.05] / x[x > 0.05]
        assert float(ratio.max() - ratio.min()) < 1e-4
        assert 0.6 - 1e-6 <= float(ratio.mean()) <= 1.4 + 1e-6


def test_elementary_transforms_each_keep_the_shape_and_the_flip_is_exact():
    x = _images(1, size=32)[0]
    transforms = elementary_transforms()
    assert list(transforms) == ["flip", "translate", "rotate", "scale", "brightness"]
    torch.manual_seed(0)
    for name, transform in transforms.items():
        y = transform(x)
        assert y.shape == x.shape, name
        assert not torch.equal(y, x), f"{name} must visibly change the image"
    torch.testing.assert_close(transforms["flip"](x), torch.flip(x, dims=[-1]))


def test_fit_accepts_a_per_sample_transform():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(24, 3, 16, 16, generator=g)
    labels = torch.randint(0, 3, (24,), generator=g)
    calls = []

    def counted(image: torch.Tensor) -> torch.Tensor:
        calls.append(image.shape)
        return image.flip(-1)

    history = fit(SimpleCNN(num_classes=3, image_size=16), (images, labels), epochs=2, batch_size=8,
                  device="cpu", progress=False, seed=0, transform=PerSample(counted))
    assert history.epochs == 2 and len(calls) == 2 * 24 and calls[0] == (3, 16, 16)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: PerSample("flip"), "transform must be callable"),
        (lambda: PerSample(v2.RandomHorizontalFlip())(torch.rand(3, 8, 8)), r"x must be a 4D tensor \(B, C, H, W\)"),
        (lambda: PerSample(v2.RandomHorizontalFlip())(torch.zeros(0, 3, 8, 8)), "at least one image"),
        (lambda: PerSample(v2.RandomHorizontalFlip())(torch.zeros(2, 3, 8, 8, dtype=torch.uint8)), "floating point"),
        (lambda: make_augmentation(flip=1.5), r"flip must be a number in \[0, 1\], got 1.5"),
        (lambda: make_augmentation(degrees=200), r"degrees must be a number in \[0, 180\], got 200"),
        (lambda: make_augmentation(scale=(1.2, 0.8)), "scale must be None or a pair"),
        (lambda: make_augmentation(scale=3), "scale must be None or a pair"),
        (lambda: make_augmentation(brightness=-0.1), r"brightness must be a number in \[0, 1\]"),
        (lambda: make_augmentation(pad_fraction=True), "pad_fraction must be a number"),
        (lambda: elementary_transforms(translate=2.0), r"translate must be a number in \[0, 1\], got 2.0"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()
