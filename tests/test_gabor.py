"""Tests for course_lib.gabor: Gabor kernels, filter banks, simple and complex cells.

References: scikit-image's ``gabor_kernel`` (its real part), the analytic formula written
out in NumPy, ``torch.nn.functional.conv2d`` / ``max_pool2d`` for the cell responses, and
``torch.autograd.gradcheck`` in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.filters import gabor_kernel as skimage_gabor_kernel

from course_lib.gabor import (
    complex_cells,
    gabor_bank,
    gabor_kernel,
    gabor_orientations,
    grating,
    quadrature_energy,
    simple_cells,
)


def _random_params(seed: int) -> dict[str, float]:
    """Random but reasonable Gabor parameters."""
    rng = np.random.default_rng(seed)
    return {
        "sigma": float(rng.uniform(1.0, 5.0)),
        "theta": float(rng.uniform(-math.pi, math.pi)),
        "wavelength": float(rng.uniform(2.5, 12.0)),
        "phase": float(rng.uniform(-math.pi, math.pi)),
        "gamma": float(rng.uniform(0.3, 1.5)),
    }


def _numpy_formula(size: int, sigma, theta, wavelength, phase, gamma) -> np.ndarray:
    """The textbook formula, written independently: rows are y (down), columns x (right)."""
    c = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    x, y = cols - c, rows - c
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    return np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * np.cos(2 * np.pi * xr / wavelength + phase)


def _grating(size: int, theta: float, wavelength: float, phase: float = 0.0) -> torch.Tensor:
    """A sine grating whose intensity varies along direction ``theta`` (0: vertical stripes), (1, 1, H, W)."""
    rows, cols = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                                indexing="ij")
    along = cols * math.cos(theta) + rows * math.sin(theta)
    return (0.5 + 0.5 * torch.cos(2 * math.pi * along / wavelength + phase))[None, None]


# ----------------------------------------------------------------------------- gabor_kernel


@pytest.mark.parametrize("seed", range(12))
def test_kernel_equals_the_real_part_of_skimage_gabor_kernel(seed):
    p = _random_params(seed)
    size = 2 * int(np.random.default_rng(100 + seed).integers(2, 12)) + 1  # odd: skimage's grid has a centre
    ours = gabor_kernel(size, dtype=torch.float64, **p).numpy()
    sigma_x, sigma_y = p["sigma"], p["sigma"] / p["gamma"]
    reference = skimage_gabor_kernel(1 / p["wavelength"], p["theta"], sigma_x=sigma_x, sigma_y=sigma_y,
                                     offset=p["phase"], n_stds=20).real  # large enough to crop from
    r0, c0 = reference.shape[0] // 2, reference.shape[1] // 2
    h = size // 2
    reference = reference[r0 - h : r0 + h + 1, c0 - h : c0 + h + 1] * (2 * math.pi * sigma_x * sigma_y)
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("size", [1, 2, 6, 9, 16])
def test_kernel_matches_the_analytic_formula_for_odd_and_even_sizes(seed, size):
    p = _random_params(seed)
    ours = gabor_kernel(size, dtype=torch.float64, **p)
    assert ours.shape == (size, size) and ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), _numpy_formula(size, **p), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kernel_dtype_and_peak(dtype):
    k = gabor_kernel(9, 2.0, 0.4, 5.0, dtype=dtype)
    assert k.dtype == dtype and k.shape == (9, 9)
    assert k[4, 4].item() == pytest.approx(1.0)  # phase 0: the centre is the maximum, 1
    assert k.abs().max().item() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_adding_a_quarter_turn_rotates_the_kernel_clockwise_on_screen(seed):
    p = _random_params(seed)
    k = gabor_kernel(13, dtype=torch.float64, **p)
    turned = gabor_kernel(13, dtype=torch.float64, **{**p, "theta": p["theta"] + math.pi / 2})
    torch.testing.assert_close(turned, torch.rot90(k, k=-1, dims=(0, 1)))  # y points down: clockwise


def test_theta_zero_has_vertical_stripes_and_phase_shifts_the_wave():
    k = gabor_kernel(15, 4.0, 0.0, 6.0, gamma=1e-6, dtype=torch.float64)  # a nearly flat envelope along y
    torch.testing.assert_close(k, k[7:8].expand(15, 15))  # every row is the same: vertical stripes
    odd = gabor_kernel(15, 4.0, 0.0, 6.0, phase=math.pi / 2, dtype=torch.float64)
    torch.testing.assert_close(odd, -odd.flip(1))  # the odd filter is antisymmetric across the stripes
    even = gabor_kernel(15, 4.0, 0.0, 6.0, phase=0.0, dtype=torch.float64)
    torch.testing.assert_close(even, even.flip(1))


def test_kernel_is_differentiable_in_its_parameters():
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.5, 0.7, 6.0, 0.3, 0.6)]

    def fn(sigma, theta, wavelength, phase, gamma):
        return gabor_kernel(7, sigma, theta, wavelength, phase, gamma)

    assert fn(*params).dtype == torch.float64
    assert torch.autograd.gradcheck(fn, params)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"size": 0}, "size must be positive"),
        ({"size": 5.0}, "size must be an int"),
        ({"size": True}, "size must be an int"),
        ({"sigma": 0.0}, "sigma must be positive"),
        ({"sigma": -1.0}, "sigma must be positive"),
        ({"wavelength": 0}, "wavelength must be positive"),
        ({"gamma": -0.5}, "gamma must be positive"),
        ({"theta": float("nan")}, "theta must be finite"),
        ({"phase": "zero"}, "phase must be a number"),
        ({"theta": torch.zeros(2)}, r"theta must be a number or a 0-dim floating tensor, got shape \(2,\)"),
        ({"dtype": torch.int64}, "dtype must be a floating dtype"),
    ],
)
def test_kernel_rejects_bad_arguments(kwargs, message):
    args = {"size": 7, "sigma": 2.0, "theta": 0.0, "wavelength": 5.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        gabor_kernel(**args)


# ----------------------------------------------------------------------------- gabor_bank


def test_orientations_are_equally_spaced_in_half_a_turn():
    for n in (1, 3, 8):
        angles = gabor_orientations(n)
        np.testing.assert_allclose(angles.numpy(), np.linspace(0, np.pi, n, endpoint=False))
    with pytest.raises(ValueError, match="n must be positive"):
        gabor_orientations(0)


@pytest.mark.parametrize("n_orientations, phases", [(1, (0.0,)), (4, (0.0, math.pi / 2)), (6, (0.0, 1.0, 2.0))])
def test_bank_shape_order_and_normalisation(n_orientations, phases):
    bank = gabor_bank(11, 2.5, 6.0, n_orientations, phases, gamma=0.7, dtype=torch.float64)
    assert bank.shape == (n_orientations * len(phases), 1, 11, 11)
    thetas = np.linspace(0, np.pi, n_orientations, endpoint=False)
    for i, theta in enumerate(thetas):
        for j, phase in enumerate(phases):
            raw = torch.from_numpy(_numpy_formula(11, 2.5, theta, 6.0, phase, 0.7))
            raw = raw - raw.mean()
            torch.testing.assert_close(bank[i * len(phases) + j, 0], raw / raw.norm())
    torch.testing.assert_close(bank.mean(dim=(1, 2, 3)), torch.zeros(len(bank), dtype=torch.float64))
    torch.testing.assert_close(bank.flatten(1).norm(dim=1), torch.ones(len(bank), dtype=torch.float64))


def test_bank_without_normalisation_stacks_gabor_kernels_and_accepts_angles():
    angles = [0.1, 1.3]
    bank = gabor_bank(9, 2.0, 5.0, angles, phases=(0.5,), normalize=False)
    assert bank.dtype == torch.float32
    for i, theta in enumerate(angles):
        torch.testing.assert_close(bank[i, 0], gabor_kernel(9, 2.0, theta, 5.0, 0.5, 0.5))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"orientations": []}, "orientations must contain at least one"), ({"phases": ()}, "phases must contain"),
     ({"orientations": "many"}, "orientations must be an int or a sequence"), ({"sigma": 0.0}, "sigma must be positive")],
)
def test_bank_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gabor_bank(**{"size": 9, "sigma": 2.0, "wavelength": 5.0, **kwargs})


# ----------------------------------------------------------------------------- grating


@pytest.mark.parametrize("seed", range(5))
def test_grating_equals_the_independent_formula(seed):
    rng = np.random.default_rng(seed)
    theta, wavelength, phase = rng.uniform(-3, 3), rng.uniform(2, 10), rng.uniform(-3, 3)
    ours = grating(17, theta, wavelength, phase, dtype=torch.float64)
    assert ours.shape == (1, 1, 17, 17) and ours.dtype == torch.float64
    torch.testing.assert_close(ours, _grating(17, theta, wavelength, phase))
    assert ours.min() >= 0 and ours.max() <= 1


def test_grating_rejects_bad_arguments():
    with pytest.raises(ValueError, match="wavelength must be positive"):
        grating(8, 0.0, 0.0)
    with pytest.raises(ValueError, match="size must be positive"):
        grating(0, 0.0, 4.0)


# ----------------------------------------------------------------------------- simple and complex cells


@pytest.mark.parametrize("seed", range(6))
def test_simple_cells_equal_torch_conv2d(seed):
    g = torch.Generator().manual_seed(seed)
    n, c, k = int(torch.randint(1, 3, (1,), generator=g)), int(torch.randint(1, 3, (1,), generator=g)), 5
    x = torch.rand(n, c, 20, 23, generator=g, dtype=torch.float64)
    bank = torch.randn(6, c, k, k, generator=g, dtype=torch.float64)
    torch.testing.assert_close(simple_cells(x, bank), F.conv2d(x, bank))
    torch.testing.assert_close(simple_cells(x, bank, padding="same"), F.conv2d(x, bank, padding="same"))
    torch.testing.assert_close(simple_cells(x, bank, padding=1, rectify=True), F.relu(F.conv2d(x, bank, padding=1)))


@pytest.mark.parametrize("seed", range(6))
def test_quadrature_energy_pairs_even_and_odd_channels(seed):
    g = torch.Generator().manual_seed(seed)
    r = torch.randn(2, 8, 5, 7, generator=g, dtype=torch.float64)
    expected = torch.stack([torch.sqrt(r[:, 2 * m] ** 2 + r[:, 2 * m + 1] ** 2) for m in range(4)], dim=1)
    torch.testing.assert_close(quadrature_energy(r), expected)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pool, stride", [(2, None), (3, 1), ((4, 2), (2, 3)), (5, None)])
def test_complex_cells_equal_torch_max_pool_of_energy_and_of_rectified_responses(seed, pool, stride):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2, 1, 24, 21, generator=g, dtype=torch.float64)
    bank = gabor_bank(7, 2.0, 4.0, 3, dtype=torch.float64)  # (6, 1, 7, 7)
    responses = F.conv2d(x, bank)  # (2, 6, 18, 15)
    energy = torch.sqrt(responses[:, 0::2] ** 2 + responses[:, 1::2] ** 2)  # (2, 3, 18, 15)
    torch.testing.assert_close(complex_cells(x, bank, pool, stride), F.max_pool2d(energy, pool, stride))
    torch.testing.assert_close(complex_cells(x, bank, pool, stride, mode="max"),
                               F.max_pool2d(F.relu(responses), pool, stride))
    torch.testing.assert_close(complex_cells(x, bank, None), energy.amax(dim=(2, 3), keepdim=True))


def test_complex_cells_are_differentiable_in_the_input():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 12, 12, generator=g, dtype=torch.float64, requires_grad=True)
    bank = gabor_bank(5, 1.5, 4.0, 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda t: complex_cells(t, bank, 4), (x,))


@pytest.mark.parametrize("theta_index", range(8))
def test_a_grating_excites_the_filter_of_its_own_orientation_most(theta_index):
    bank = gabor_bank(15, 3.0, 6.0, 8)  # 8 orientations, quadrature pairs
    theta = float(gabor_orientations(8)[theta_index])
    grating = _grating(48, theta, 6.0).float()
    energy = complex_cells(grating, bank, None)[0, :, 0, 0]  # (8,): one number per orientation
    assert int(energy.argmax()) == theta_index
    simple = complex_cells(grating, bank, None, mode="max")[0, :, 0, 0]  # (16,) rectified even/odd filters
    assert int(simple.argmax()) // 2 == theta_index


def test_a_vertical_grating_excites_the_vertical_edge_filter_and_not_the_horizontal_one():
    bank = gabor_bank(15, 3.0, 6.0, 4)  # theta = 0, 45, 90, 135 degrees
    vertical_stripes = _grating(48, 0.0, 6.0).float()
    energy = complex_cells(vertical_stripes, bank, None)[0, :, 0, 0]
    assert int(energy.argmax()) == 0
    assert energy[2] < 0.05 * energy[0]  # the filter at 90 degrees barely responds
    horizontal_stripes = vertical_stripes.transpose(2, 3)
    assert int(complex_cells(horizontal_stripes, bank, None)[0, :, 0, 0].argmax()) == 2


def test_energy_hardly_depends_on_where_the_stripes_sit_but_one_filter_does():
    bank = gabor_bank(15, 3.0, 6.0, [0.0])  # (2, 1, 15, 15): the even and the odd vertical filter
    centre = []
    energies = []
    for phase in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        x = _grating(31, 0.0, 6.0, float(phase)).float()
        centre.append(simple_cells(x, bank)[0, 0, 8, 8].item())  # the even cell at one position
        energies.append(quadrature_energy(simple_cells(x, bank))[0, 0, 8, 8].item())
    centre, energies = np.array(centre), np.array(energies)
    assert centre.max() > 0.5 * np.abs(centre).max() and centre.min() < -0.5 * np.abs(centre).max()  # sign flips
    assert energies.std() < 0.05 * energies.mean()  # the pair's energy is (nearly) constant


def test_a_small_shift_changes_simple_cells_much_more_than_complex_cells():
    g = torch.Generator().manual_seed(3)
    noise = torch.rand(1, 1, 80, 80, generator=g)
    image = F.avg_pool2d(noise, 3, stride=1)  # a smooth random texture (1, 1, 78, 78)
    bank = gabor_bank(9, 2.0, 5.0, 4)
    a, b = image[..., 2:66, 2:66], image[..., 2:66, 4:68]  # the second window is moved by 2 pixels
    sa, sb = simple_cells(a, bank), simple_cells(b, bank)
    ca, cb = complex_cells(a, bank, 8), complex_cells(b, bank, 8)
    simple_change = ((sa - sb).norm() / sa.norm()).item()
    complex_change = ((ca - cb).norm() / ca.norm()).item()
    assert complex_change < 0.5 * simple_change
    torch.testing.assert_close(sb[..., :-2], sa[..., 2:])  # simple cells are equivariant: the map just moves


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: simple_cells(torch.rand(8, 8), torch.rand(2, 1, 3, 3)), r"x must be a 4D tensor .* got shape \(8, 8\)"),
        (lambda: simple_cells(torch.rand(1, 2, 8, 8), torch.rand(2, 1, 3, 3)),
         r"bank must have as many input channels as x: x has shape \(1, 2, 8, 8\), bank has shape \(2, 1, 3, 3\)"),
        (lambda: simple_cells(torch.rand(1, 1, 8, 8), torch.rand(2, 3, 3)), r"bank must be a 4D tensor"),
        (lambda: quadrature_energy(torch.rand(1, 3, 4, 4)), r"even number of channels .* \(1, 3, 4, 4\)"),
        (lambda: complex_cells(torch.rand(1, 1, 8, 8), torch.rand(3, 1, 3, 3), 2), "even number of channels"),
        (lambda: complex_cells(torch.rand(1, 1, 8, 8), torch.rand(2, 1, 3, 3), 2, mode="mean"), "mode must be one of"),
        (lambda: complex_cells(torch.rand(1, 1, 8, 8), torch.rand(2, 1, 3, 3), 7), r"pool_size \(7, 7\) is larger"),
        (lambda: complex_cells(torch.rand(1, 1, 8, 8), torch.rand(2, 1, 3, 3), 0), "pool_size must be positive"),
    ],
)
def test_cells_reject_bad_input_with_shapes_in_the_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
