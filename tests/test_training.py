"""Tests for course_lib.training: devices, seeding, parameter counts, fit, evaluate, predict."""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib import training as T


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The models here are tiny: one thread avoids paying for thread start-ups on every op."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def blobs(n: int = 240, classes: int = 3, seed: int = 0, spread: float = 0.3) -> TensorDataset:
    """A separable problem: ``classes`` Gaussian blobs in 2D around well-separated centres."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes  # (n,)
    angles = 2 * math.pi * y.double() / classes
    centres = torch.stack([angles.cos(), angles.sin()], 1) * 2  # (n, 2)
    x = (centres + spread * torch.randn(n, 2, generator=gen, dtype=torch.float64)).float()
    return TensorDataset(x, y)


def small_net(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


@pytest.fixture
def restore_cudnn_flags():
    """Put cuDNN's global flags back after a test changes them."""
    flags = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = flags


# ---------------------------------------------------------------------------
# get_device, seed_everything, count_parameters
# ---------------------------------------------------------------------------


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert T.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert T.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert T.get_device() == torch.device("cuda")


def test_get_device_on_this_machine() -> None:
    device = T.get_device()
    assert isinstance(device, torch.device)
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert device.type == "cpu"


def test_seed_everything_reproduces_all_generators() -> None:
    def draw() -> tuple:
        return random.random(), float(np.random.rand()), torch.randn(5), torch.randint(0, 100, (3,))

    for seed in [0, 1, 12345]:
        T.seed_everything(seed)
        first = draw()
        T.seed_everything(seed)
        second = draw()
        assert first[:2] == second[:2]
        assert torch.equal(first[2], second[2]) and torch.equal(first[3], second[3])
    T.seed_everything(0)
    a = torch.randn(5)
    T.seed_everything(1)
    assert not torch.equal(a, torch.randn(5))
    for bad in [-1, 1.5, "0", True]:
        with pytest.raises(ValueError, match="seed"):
            T.seed_everything(bad)  # type: ignore[arg-type]


def test_seed_everything_deterministic_flag(restore_cudnn_flags: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Record the global switch instead of flipping it for the rest of the test session.
    calls = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda *a, **k: calls.append((a, k)))
    T.seed_everything(3)
    assert calls == []  # the default leaves the settings alone
    T.seed_everything(3, deterministic=True)
    assert calls == [((True,), {"warn_only": True})]
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    T.seed_everything(3)
    first = torch.randn(4)
    T.seed_everything(3, deterministic=True)
    assert torch.equal(first, torch.randn(4))


def test_count_parameters_matches_numel_on_random_models() -> None:
    gen = np.random.default_rng(0)
    for _ in range(20):
        c_in, c_out, k = (int(v) for v in gen.integers(1, 9, 3))
        hidden = int(gen.integers(1, 50))
        bias = bool(gen.integers(0, 2))
        model = nn.Sequential(
            nn.Conv2d(c_in, c_out, k, bias=bias), nn.BatchNorm2d(c_out), nn.Flatten(), nn.Linear(c_out * 4, hidden)
        )
        expected_formula = c_in * c_out * k * k + (c_out if bias else 0) + 2 * c_out + c_out * 4 * hidden + hidden
        assert T.count_parameters(model) == sum(p.numel() for p in model.parameters()) == expected_formula


def test_count_parameters_trainable_only_and_shared() -> None:
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    for p in model[0].parameters():
        p.requires_grad_(False)
    assert T.count_parameters(model) == 10 * 20 + 20 + 20 * 5 + 5
    assert T.count_parameters(model, trainable_only=True) == 20 * 5 + 5
    assert T.count_parameters(model, trainable_only=True) == sum(
        p.numel() for p in model.parameters() if p.requires_grad
    )
    shared = nn.Linear(4, 4)
    tied = nn.Sequential(shared, nn.Tanh(), shared)  # the same layer twice: counted once
    assert T.count_parameters(tied) == 4 * 4 + 4
    with pytest.raises(ValueError, match="model"):
        T.count_parameters(torch.zeros(3))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------


def test_history_final_and_as_dict() -> None:
    history = T.History(train_loss=[2.0, 1.0], train_acc=[0.1, 0.5], epoch_time=[0.5, 0.25])
    assert len(history) == history.epochs == 2
    final = history.final
    assert final["train_loss"] == 1.0 and final["train_acc"] == 0.5
    assert math.isnan(final["val_loss"]) and math.isnan(final["val_acc"])
    assert final["time"] == 0.75
    d = history.as_dict()
    assert set(d) >= {"train_loss", "train_acc", "val_loss", "val_acc", "epoch_time"}
    assert d["train_loss"] == [2.0, 1.0]


# ---------------------------------------------------------------------------
# evaluate and predict
# ---------------------------------------------------------------------------


def test_evaluate_matches_manual_computation() -> None:
    gen = torch.Generator().manual_seed(0)
    for trial in range(5):
        n, features, classes = 50 + 13 * trial, 6, 4
        x = torch.randn(n, features, generator=gen)
        y = torch.randint(0, classes, (n,), generator=gen)
        torch.manual_seed(trial)
        model = nn.Sequential(nn.Linear(features, 8), nn.Dropout(0.5), nn.Linear(8, classes))
        model.train()
        result = T.evaluate(model, TensorDataset(x, y), batch_size=7)  # uneven last batch
        assert model.training  # mode restored
        model.eval()
        with torch.no_grad():
            logits = model(x)
        assert math.isclose(result["loss"], F.cross_entropy(logits, y).item(), rel_tol=1e-5)
        assert math.isclose(result["accuracy"], (logits.argmax(1) == y).double().mean().item(), rel_tol=1e-12)
        # A DataLoader and a pair of tensors give the same numbers.
        from_loader = T.evaluate(model, DataLoader(TensorDataset(x, y), batch_size=16))
        from_pair = T.evaluate(model, (x, y))
        for other in (from_loader, from_pair):
            assert math.isclose(other["loss"], result["loss"], rel_tol=1e-5)
            assert other["accuracy"] == result["accuracy"]


def test_evaluate_custom_loss_and_dense_targets() -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(20, 3, 5, 5, generator=gen)
    y = torch.randint(0, 4, (20, 5, 5), generator=gen)
    model = nn.Conv2d(3, 4, 3, padding=1)
    smooth = nn.CrossEntropyLoss(label_smoothing=0.1)
    result = T.evaluate(model, (x, y), batch_size=6, loss_fn=smooth)
    with torch.no_grad():
        logits = model(x)  # (20, 4, 5, 5)
    assert math.isclose(result["loss"], F.cross_entropy(logits, y, label_smoothing=0.1).item(), rel_tol=1e-5)
    assert math.isclose(result["accuracy"], (logits.argmax(1) == y).double().mean().item(), rel_tol=1e-12)
    # Binary masks with a logit per pixel: accuracy from the logit's sign.
    masks = (torch.rand(20, 1, 5, 5, generator=gen) > 0.5).float()
    binary = nn.Conv2d(3, 1, 3, padding=1)
    result = T.evaluate(binary, (x, masks), loss_fn=nn.BCEWithLogitsLoss())
    with torch.no_grad():
        out = binary(x)
    assert math.isclose(result["loss"], F.binary_cross_entropy_with_logits(out, masks).item(), rel_tol=1e-5)
    assert math.isclose(result["accuracy"], ((out > 0).float() == masks).double().mean().item(), rel_tol=1e-12)


def test_evaluate_rejects_bad_data() -> None:
    model = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="data"):
        T.evaluate(model, [1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same length"):
        T.evaluate(model, (torch.zeros(4, 2), torch.zeros(3, dtype=torch.long)))
    with pytest.raises(ValueError, match="shape"):
        T.evaluate(model, (torch.zeros(4, 2), torch.zeros(4, 2, dtype=torch.long)))


def test_predict_matches_model_in_eval_mode() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    x = torch.randn(30, 2)
    logits = T.predict(model, x, batch_size=8)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(logits, model(x))
        torch.testing.assert_close(T.predict(model, TensorDataset(x, torch.zeros(30))), model(x))


# ---------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------


def test_fit_learns_a_separable_problem() -> None:
    train, val = blobs(240, seed=0), blobs(90, seed=1)
    model = small_net()
    history = T.fit(model, train, val, epochs=15, lr=0.02, batch_size=32, progress=False, seed=0, device="cpu")
    assert len(history.train_loss) == len(history.val_acc) == len(history.epoch_time) == 15
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.val_acc[-1] > 0.95 and history.train_acc[-1] > 0.95
    assert all(t >= 0 for t in history.epoch_time)
    assert not model.training  # left in evaluation mode
    # The last validation numbers are those of the trained model.
    final = T.evaluate(model, val)
    assert math.isclose(final["loss"], history.val_loss[-1], rel_tol=1e-6)
    assert final["accuracy"] == history.val_acc[-1]


def test_fit_same_seed_same_history_and_weights() -> None:
    train, val = blobs(200, seed=0), blobs(60, seed=1)
    start = small_net(dropout=0.3)  # dropout draws random numbers too
    runs = []
    for seed in [7, 7, 8]:
        model = copy.deepcopy(start)
        history = T.fit(model, train, val, epochs=4, lr=0.01, batch_size=16, progress=False, seed=seed)
        runs.append((history, model))
    (h1, m1), (h2, m2), (h3, _) = runs
    for key in ["train_loss", "train_acc", "val_loss", "val_acc", "lr"]:
        assert getattr(h1, key) == getattr(h2, key), key
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p1, p2)
    assert h1.train_loss != h3.train_loss  # another seed, another shuffle and dropout


def test_fit_with_dataloader_equals_a_hand_written_loop() -> None:
    data = blobs(100, seed=2)
    loader = DataLoader(data, batch_size=16, shuffle=False)
    start = small_net(seed=3)
    model = copy.deepcopy(start)
    history = T.fit(model, loader, epochs=3, lr=5e-3, weight_decay=0.01, progress=False)
    # The same training written out: AdamW, cross entropy, mean loss per example.
    reference = copy.deepcopy(start)
    opt = torch.optim.AdamW(reference.parameters(), lr=5e-3, weight_decay=0.01)
    losses, accs = [], []
    for _ in range(3):
        total, correct = 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            out = reference(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
        losses.append(total / len(data))
        accs.append(correct / len(data))
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-5)
    assert history.train_acc == accs
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def test_fit_accepts_dataset_dataloader_and_tensor_pair() -> None:
    data = blobs(90, seed=4)
    start = small_net(seed=5)
    as_dataset = T.fit(copy.deepcopy(start), data, epochs=2, batch_size=10, progress=False, seed=1)
    as_pair = T.fit(copy.deepcopy(start), data.tensors, epochs=2, batch_size=10, progress=False, seed=1)
    assert as_dataset.train_loss == as_pair.train_loss
    loader = DataLoader(data, batch_size=10, shuffle=True, generator=torch.Generator().manual_seed(0))
    as_loader = T.fit(copy.deepcopy(start), loader, data, epochs=2, progress=False)
    assert len(as_loader.train_loss) == 2 and len(as_loader.val_loss) == 2
    with pytest.raises(ValueError, match="train_data"):
        T.fit(small_net(), np.zeros((4, 2)), epochs=1, progress=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "adamw"])
def test_fit_named_optimizers_reduce_the_loss(optimizer: str) -> None:
    history = T.fit(small_net(), blobs(120), epochs=6, lr=0.02, batch_size=16, optimizer=optimizer,
                    progress=False, seed=0)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]


def test_fit_optimizer_instance_and_frozen_parameters() -> None:
    model = small_net()
    frozen = model[0].weight.detach().clone()
    model[0].weight.requires_grad_(False)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
    T.fit(model, blobs(60), epochs=2, optimizer=opt, progress=False, seed=0)
    assert torch.equal(model[0].weight, frozen)
    assert opt.param_groups[0]["lr"] == 0.05  # the given optimizer was used as it is


def test_fit_cosine_and_onecycle_schedules() -> None:
    epochs, lr = 5, 0.01
    history = T.fit(small_net(), blobs(60), epochs=epochs, lr=lr, scheduler="cosine", progress=False, seed=0)
    expected = [lr * (1 + math.cos(math.pi * e / epochs)) / 2 for e in range(epochs)]
    np.testing.assert_allclose(history.lr, expected, rtol=1e-9)
    history = T.fit(small_net(), blobs(60), epochs=epochs, lr=lr, scheduler="onecycle", progress=False, seed=0)
    assert math.isclose(history.lr[0], lr / 25)  # OneCycleLR starts at max_lr / div_factor (25)
    assert max(history.lr) <= lr * (1 + 1e-9) and history.lr[2] > history.lr[0]
    constant = T.fit(small_net(), blobs(60), epochs=3, lr=lr, progress=False, seed=0)
    assert constant.lr == [lr] * 3


def test_fit_applies_transform_to_training_batches_only() -> None:
    calls = []

    def flip_sign(x: torch.Tensor) -> torch.Tensor:
        calls.append(tuple(x.shape))
        return -x

    train, val = blobs(50), blobs(30, seed=1)
    T.fit(small_net(), train, val, epochs=2, batch_size=20, transform=flip_sign, progress=False, seed=0)
    assert calls == [(20, 2), (20, 2), (10, 2)] * 2
    # The transform really feeds the model: training on flipped inputs only fits flipped data.
    model = small_net()
    T.fit(model, train, epochs=25, lr=0.02, batch_size=10, transform=lambda x: -x, progress=False, seed=0)
    flipped = TensorDataset(-train.tensors[0], train.tensors[1])
    assert T.evaluate(model, flipped)["accuracy"] > T.evaluate(model, train)["accuracy"] + 0.3


def test_fit_progress_bar(capsys: pytest.CaptureFixture) -> None:
    T.fit(small_net(), blobs(30), epochs=2, progress=False, seed=0)
    assert capsys.readouterr().err == ""
    T.fit(small_net(), blobs(30), blobs(30, seed=1), epochs=2, progress=True, seed=0)
    err = capsys.readouterr().err
    assert "loss" in err and "val_acc" in err and "2/2" in err


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": 0.0}, "lr"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"scheduler": "step"}, "scheduler"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        T.fit(small_net(), blobs(20), progress=False, **kwargs)
