"""course_lib.receptive_field: the arithmetic against the field measured by back-propagation."""

from __future__ import annotations

import dataclasses
import random

import pytest
import torch
from torch import nn

from course_lib.receptive_field import RFInfo, empirical_receptive_field, field_bounds, receptive_field


def random_stack(rng: random.Random, dims: int, max_jump: int = 12) -> tuple[nn.Sequential, list[tuple]]:
    """A random chain of convolutions and poolings (1D or 2D, square windows) plus its tuples."""
    conv = nn.Conv1d if dims == 1 else nn.Conv2d
    pools = [nn.MaxPool1d, nn.AvgPool1d] if dims == 1 else [nn.MaxPool2d, nn.AvgPool2d]
    while True:
        layers: list[nn.Module] = []
        specs: list[tuple] = []
        channels, jump = 1, 1
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.65:
                k, s, d = rng.randint(1, 4), rng.randint(1, 3), rng.choice([1, 1, 2, 3])
                p = rng.randint(0, 2)
                out = rng.randint(1, 3)
                layers.append(conv(channels, out, k, stride=s, padding=p, dilation=d))
                channels = out
            else:
                kind = rng.choice(pools)
                k, s, d = rng.randint(1, 3), rng.randint(1, 3), 1
                p = rng.randint(0, k // 2)
                if kind in (nn.MaxPool1d, nn.MaxPool2d) and rng.random() < 0.3:
                    d = 2
                    layers.append(kind(k, stride=s, padding=p, dilation=d))
                else:
                    layers.append(kind(k, stride=s, padding=p))
            specs.append((k, s, p, d))
            jump *= s
            extra = rng.choice([nn.ReLU(), nn.Identity(), nn.Tanh()])  # geometry-preserving
            layers.append(extra)
        if jump <= max_jump:
            return nn.Sequential(*layers), specs


def interior_setup(records: list[RFInfo]) -> tuple[int, int]:
    """An input length and an output unit whose whole field lies inside that input."""
    last = records[-1]
    total_pad = sum(r.padding * (r.jump // r.stride) for r in records)
    length = 2 * last.size + 3 * last.jump + 2 * total_pad + 4
    unit = 0
    while last.bounds(unit)[0] < 0:
        unit += 1
    first, end = last.bounds(unit + 1)
    assert first >= 0 and end < length  # the next unit is interior too
    return length, unit


def interval_mask(length: int, first: int, last: int) -> torch.Tensor:
    mask = torch.zeros(length, dtype=torch.bool)
    mask[first : last + 1] = True
    return mask


# ----------------------------------------------------------------------------- the seed's examples


def test_seed_example_3_6_7() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 4), nn.ReLU(), nn.MaxPool2d(2, 2))
    records = receptive_field(model)
    assert [r.size for r in records] == [3, 6, 7]
    assert [r.jump for r in records] == [1, 1, 2]
    assert [(r.kernel, r.stride) for r in records] == [(3, 1), (4, 1), (2, 2)]
    assert [r.size for r in receptive_field([(3, 1, 0), (4, 1, 0), (2, 2, 0)])] == [3, 6, 7]
    mask = empirical_receptive_field(model, (1, 3, 16, 16), (2, 3))
    top, left, height, width = field_bounds(mask)
    assert (height, width) == (7, 7)
    assert int(mask.sum()) == 49  # a full square, no holes
    assert (top, left) == (records[-1].bounds(2)[0], records[-1].bounds(3)[0])


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_stacked_3x3_convolutions_grow_by_two(depth: int) -> None:
    model = nn.Sequential(*[nn.Conv2d(2, 2, 3, padding=1) for _ in range(depth)])
    records = receptive_field(model)
    assert records[-1].size == 2 * depth + 1  # 3, 5, 7, 9
    mask = empirical_receptive_field(model, (1, 2, 15, 15), (7, 7))
    assert field_bounds(mask) == (7 - depth, 7 - depth, 2 * depth + 1, 2 * depth + 1)
    assert int(mask.sum()) == (2 * depth + 1) ** 2


def test_two_and_three_3x3_convs_see_5_and_7() -> None:
    assert receptive_field([(3, 1, 1), (3, 1, 1)])[-1].size == 5
    assert receptive_field([(3, 1, 1), (3, 1, 1), (3, 1, 1)])[-1].size == 7


def test_dilations_1_2_4_8_grow_exponentially() -> None:
    dilations = [1, 2, 4, 8]
    model = nn.Sequential(*[nn.Conv1d(1, 1, 3, padding=d, dilation=d) for d in dilations])
    sizes = [r.size for r in receptive_field(model)]
    # each 3-tap layer with dilation d adds 2d pixels: 1 + 2 * (1 + 2 + ... + d_l) = 2^(l+2) - 1
    assert sizes == [1 + 2 * sum(dilations[: i + 1]) for i in range(4)]
    assert sizes == [2 ** (i + 2) - 1 for i in range(4)]
    for depth in range(1, 5):
        sub = nn.Sequential(*list(model)[:depth])
        mask = empirical_receptive_field(sub, (1, 1, 80), 40)
        left, width = field_bounds(mask)
        assert width == sizes[depth - 1] and left == 40 - (width - 1) // 2
        assert bool(mask[left : left + width].all())  # 1, 2, 4, 8 leaves no holes


def test_single_dilated_layer_has_holes_where_expected() -> None:
    model = nn.Conv2d(1, 1, 3, stride=2, padding=1, dilation=3)
    mask = empirical_receptive_field(model, (1, 1, 20, 20), (4, 5))
    expected = torch.zeros(20, 20, dtype=torch.bool)
    rows = [4 * 2 - 1 + 3 * a for a in range(3)]
    cols = [5 * 2 - 1 + 3 * b for b in range(3)]
    for r in rows:
        for c in cols:
            expected[r, c] = True
    assert torch.equal(mask, expected)
    record = receptive_field(model)[0]
    assert record.size == 7 and record.bounds(4) == (rows[0], rows[-1])


# ----------------------------------------------------------------------------- arithmetic == measurement


def test_random_1d_stacks_match_the_empirical_field() -> None:
    rng = random.Random(0)
    torch.manual_seed(0)
    for _ in range(60):
        model, specs = random_stack(rng, dims=1)
        records = receptive_field(model)
        assert [(r.kernel, r.stride, r.padding, r.dilation) for r in records] == specs
        assert records == [
            dataclasses.replace(r, name=m.name) for r, m in zip(receptive_field(specs), records)
        ]  # tuples and module agree
        last = records[-1]
        length, unit = interior_setup(records)
        for u in (unit, unit + 1):
            mask = empirical_receptive_field(model, (1, 1, length), u)
            left, width = field_bounds(mask)
            first, end = last.bounds(u)
            assert (left, width) == (first, last.size), specs
            assert (first + end) / 2 == last.start + u * last.jump  # centre of the field
            gaps = any(d > 1 or s > k for k, s, _, d in specs)
            if not gaps:  # contiguous field: every pixel in the extent matters
                assert torch.equal(mask, interval_mask(length, first, end)), specs


def test_random_2d_stacks_match_the_empirical_field() -> None:
    rng = random.Random(1)
    torch.manual_seed(1)
    for _ in range(40):
        model, specs = random_stack(rng, dims=2, max_jump=8)
        records = receptive_field(model)
        last = records[-1]
        length, unit = interior_setup(records)
        mask = empirical_receptive_field(model, (1, 1, length, length), (unit, unit + 1))
        rows, cols = last.bounds(unit), last.bounds(unit + 1)
        assert field_bounds(mask) == (rows[0], cols[0], last.size, last.size), specs
        assert cols[0] - rows[0] == last.jump  # neighbouring units are one jump apart


def test_non_square_layers_per_axis() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
        nn.BatchNorm2d(2),
        nn.MaxPool2d((2, 3), stride=(2, 1)),
        nn.Conv2d(2, 1, (1, 3), padding="same"),
    )
    rows, cols = receptive_field(model, axis=0), receptive_field(model, axis=1)
    assert [r.kernel for r in rows] == [3, 2, 1] and [r.kernel for r in cols] == [5, 3, 3]
    assert cols[-1].padding == 1  # "same" with a 3-tap kernel pads 1 on the left
    mask = empirical_receptive_field(model, (1, 1, 30, 40), (5, 6))
    top, left, height, width = field_bounds(mask)
    assert (height, width) == (rows[-1].size, cols[-1].size)
    assert (top, left) == (rows[-1].bounds(5)[0], cols[-1].bounds(6)[0])


# ----------------------------------------------------------------------------- module walking


def test_module_and_tuples_agree_and_skip_non_geometry_layers() -> None:
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, stride=2, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.act = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.bn(self.conv(x)))

    model = nn.Sequential(
        nn.Conv2d(3, 4, 5, padding=2),
        nn.Dropout(0.5),
        nn.Sequential(Block(), nn.AvgPool2d(2)),
        Block(),
        nn.MaxPool2d(3, stride=1, padding=1, dilation=1),
    )
    tuples = [(5, 1, 2), (3, 2, 1, 1), (2, 2, 0), (3, 2, 1), (3, 1, 1, 1)]
    from_module, from_tuples = receptive_field(model), receptive_field(tuples)
    assert [r.name for r in from_module] == ["0", "2.0.conv", "2.1", "3.conv", "4"]
    assert [(r.size, r.jump, r.start) for r in from_module] == [(r.size, r.jump, r.start) for r in from_tuples]
    assert receptive_field(nn.Conv2d(1, 1, 7, stride=3))[0].size == 7  # a bare layer works too
    assert receptive_field([]) == []


def test_walk_stops_at_the_classifier_head() -> None:
    head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.MaxPool2d(2), head)
    assert [r.size for r in receptive_field(model)] == [r.size for r in receptive_field(model[:4])]
    gap = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 4, 1))
    assert [r.name for r in receptive_field(gap)] == ["0"]


def test_input_shape_follows_the_forward_call_order() -> None:
    class SharedPool(nn.Module):
        """conv -> pool -> conv -> pool with ONE pooling module used twice, then a head."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
            self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.head = nn.Linear(8 * 4 * 4, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.head(x.flatten(1))

    model = SharedPool()
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    traced = receptive_field(model, input_shape=(1, 3, 16, 16))
    assert [r.name for r in traced] == ["conv1", "pool", "conv2", "pool"]
    expected = receptive_field([(3, 1, 1), (2, 2, 0), (3, 1, 1), (2, 2, 0)])
    assert [(r.size, r.jump, r.start) for r in traced] == [(r.size, r.jump, r.start) for r in expected]
    # registration order sees the shared pool once, after conv2: a different (wrong) chain
    assert [r.name for r in receptive_field(model)] == ["conv1", "conv2", "pool"]
    assert model.training and all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    features = nn.Sequential(model.conv1, nn.ReLU(), model.pool, model.conv2, nn.ReLU(), model.pool)
    mask = empirical_receptive_field(features, (1, 3, 24, 24), (2, 3))
    assert field_bounds(mask)[2:] == (traced[-1].size, traced[-1].size)


def test_empirical_field_leaves_the_model_untouched() -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2))
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    empirical_receptive_field(model, (1, 1, 12, 12), (2, 2))
    assert model.training and isinstance(model[3], nn.MaxPool2d)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_records_are_frozen() -> None:
    record = receptive_field([(3, 1, 0)])[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.size = 5  # type: ignore[misc]


# ----------------------------------------------------------------------------- bad input


def test_receptive_field_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="ConvTranspose2d.*not supported"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 2, stride=2)))
    with pytest.raises(ValueError, match="Upsample.*not supported"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Upsample(scale_factor=2)))
    with pytest.raises(ValueError, match="MaxUnpool2d.*not supported"):
        receptive_field(nn.Sequential(nn.MaxUnpool2d(2)))
    with pytest.raises(ValueError, match="input_shape"):
        receptive_field(nn.Conv2d(1, 1, 3), input_shape=(4, 4))
    with pytest.raises(ValueError, match="input_shape only applies"):
        receptive_field([(3, 1, 0)], input_shape=(1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"layers\[1\].*\(3, 1\)"):
        receptive_field([(3, 1, 0), (3, 1)])
    with pytest.raises(ValueError, match=r"layers\[0\].*positive"):
        receptive_field([(3, 0, 0)])
    with pytest.raises(ValueError, match=r"layers\[0\].*non-negative"):
        receptive_field([(3, 1, -1)])
    with pytest.raises(ValueError, match=r"layers\[0\].*ints"):
        receptive_field([(3.0, 1, 0)])
    with pytest.raises(ValueError, match="nn.Module or a list"):
        receptive_field("conv3x3")
    with pytest.raises(ValueError, match="axis"):
        receptive_field([(3, 1, 0)], axis=2)


def test_empirical_field_rejects_bad_input() -> None:
    model = nn.Conv2d(1, 1, 3)
    with pytest.raises(ValueError, match=r"position \(5, 0\).*\(4, 4\)"):
        empirical_receptive_field(model, (1, 1, 6, 6), (5, 0))
    with pytest.raises(ValueError, match=r"2 integer"):
        empirical_receptive_field(model, (1, 1, 6, 6), 3)
    with pytest.raises(ValueError, match="input_shape"):
        empirical_receptive_field(model, (6, 6), (1, 1))
    with pytest.raises(ValueError, match="nn.Module"):
        empirical_receptive_field(lambda x: x, (1, 1, 6, 6), (1, 1))
    with pytest.raises(ValueError, match=r"output has shape \(1, 2\)"):
        classifier = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(16, 2))
        empirical_receptive_field(classifier, (1, 1, 6, 6), (0, 0))
    with pytest.raises(ValueError, match="no True entry"):
        field_bounds(torch.zeros(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        field_bounds(torch.ones(2, 2, 2, dtype=torch.bool))
