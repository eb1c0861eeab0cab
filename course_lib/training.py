"""Training utilities: devices, seeding, parameter counts, a small ``fit`` loop and ``evaluate``.

The chapters write the training loop out once by hand (chapter 5) and then use
``fit``, which is that same loop with the book-keeping added:

>>> history = fit(model, train_set, test_set, epochs=5, lr=1e-3, seed=0)  # doctest: +SKIP
>>> history.final["val_acc"]  # doctest: +SKIP

``fit`` and ``evaluate`` accept a ``torch.utils.data.Dataset`` (a ``DataLoader`` is built
for it), a ``DataLoader`` as it is, or a pair of tensors ``(inputs, targets)``.
"""

from __future__ import annotations

import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = [
    "get_device",
    "seed_everything",
    "count_parameters",
    "History",
    "fit",
    "evaluate",
    "predict",
]

DataLike = Dataset | DataLoader | tuple[torch.Tensor, torch.Tensor]


def get_device() -> torch.device:
    """The fastest available device: ``cuda`` if a GPU is available, else ``mps`` (Apple), else ``cpu``."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every GPU).

    Args:
        seed: a non-negative int.
        deterministic: also ask torch for deterministic algorithms
            (``torch.use_deterministic_algorithms(True, warn_only=True)``, cuDNN in
            deterministic mode without benchmarking). This matters on GPUs, where some
            kernels are otherwise non-deterministic; it can make them slower. With
            False the current settings are left as they are.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        # cuBLAS needs this to be deterministic on CUDA >= 10.2.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (each shared parameter counted once).

    Args:
        model: any ``nn.Module``.
        trainable_only: count only parameters with ``requires_grad=True``.

    Returns:
        The sum of ``p.numel()`` over the parameters.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    Attributes:
        train_loss, train_acc: mean loss and accuracy over the epoch's training batches
            (measured while the weights change, in training mode).
        val_loss, val_acc: loss and accuracy on the validation data after the epoch
            (evaluation mode); empty when ``fit`` had no validation data.
        epoch_time: seconds per epoch (training and validation).
        lr: learning rate used during each epoch (of the first parameter group).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)

    @property
    def final(self) -> dict[str, float]:
        """The last epoch's numbers: ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``
        (NaN where not measured) and the total ``time`` in seconds."""
        def last(values: list[float]) -> float:
            """The last entry, or NaN for an empty list."""
            return values[-1] if values else math.nan

        return {
            "train_loss": last(self.train_loss),
            "train_acc": last(self.train_acc),
            "val_loss": last(self.val_loss),
            "val_acc": last(self.val_acc),
            "time": float(sum(self.epoch_time)),
        }

    def as_dict(self) -> dict[str, list[float]]:
        """The lists as a plain dict (e.g. for ``pandas.DataFrame`` or JSON)."""
        return asdict(self)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _as_loader(data: Any, name: str, batch_size: int, shuffle: bool, seed: int | None) -> DataLoader:
    """A ``DataLoader`` over ``data`` (Dataset, DataLoader or pair of tensors).

    A DataLoader is returned as it is. For a Dataset a new loader is built; when
    shuffling, its own generator is seeded with ``seed`` (or, if None, with a
    number drawn from torch's global generator, so ``seed_everything`` fixes it).
    """
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        inputs, targets = data
        if inputs.shape[0] != targets.shape[0]:
            raise ValueError(
                f"{name}: inputs and targets must have the same length, got shapes "
                f"{tuple(inputs.shape)} and {tuple(targets.shape)}"
            )
        data = TensorDataset(inputs, targets)
    if not isinstance(data, Dataset):
        raise ValueError(
            f"{name} must be a torch Dataset, a DataLoader or a pair of tensors (inputs, targets), "
            f"got {type(data).__name__}"
        )
    generator = None
    if shuffle:
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        generator = torch.Generator().manual_seed(seed)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _split_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(inputs, targets)`` of a batch that is ``(x, y, ...)``, ``[x, y]`` or just ``x``."""
    if isinstance(batch, (tuple, list)):
        if len(batch) == 1:
            return batch[0], None
        return batch[0], batch[1]
    return batch, None


def _correct_count(outputs: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
    """Number of correct predictions and of predictions.

    Class indices (``targets`` integer, ``outputs`` with classes on dim 1, e.g.
    ``(N, K)`` against ``(N,)`` or ``(N, K, H, W)`` against ``(N, H, W)``): argmax over dim 1.
    Binary targets of the same shape as ``outputs`` (floats in {0, 1}): the logit's sign.
    """
    if targets.is_floating_point() and outputs.shape == targets.shape:
        predicted = outputs > 0
        return int((predicted == (targets > 0.5)).sum().item()), targets.numel()
    predicted = outputs.argmax(dim=1)
    if predicted.shape != targets.shape:
        raise ValueError(
            f"cannot compute accuracy: outputs {tuple(outputs.shape)} give predictions "
            f"{tuple(predicted.shape)} but targets have shape {tuple(targets.shape)}"
        )
    return int((predicted == targets).sum().item()), targets.numel()


def _batch_loss(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], outputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """``loss_fn(outputs, targets)``; a shape or type mismatch becomes a ValueError naming the shapes."""
    try:
        return loss_fn(outputs, targets)
    except (RuntimeError, ValueError, IndexError) as err:
        raise ValueError(
            f"the loss failed on model outputs of shape {tuple(outputs.shape)} ({outputs.dtype}) and "
            f"targets of shape {tuple(targets.shape)} ({targets.dtype}): {err}"
        ) from err


def _model_device(model: nn.Module) -> torch.device:
    """Device of the model's first parameter or buffer; ``get_device()`` for a model without any."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return get_device()


def _make_optimizer(
    optimizer: str | torch.optim.Optimizer, params: Iterable[nn.Parameter], lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The optimizer named by ``optimizer`` ("adamw", "adam", "sgd" with momentum 0.9), or the instance."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    name = str(optimizer).lower()
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (all have requires_grad=False)")
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adamw', 'adam', 'sgd' or a torch.optim.Optimizer, got {optimizer!r}")


# ---------------------------------------------------------------------------
# evaluate, predict, fit
# ---------------------------------------------------------------------------


def evaluate(
    model: nn.Module,
    data: DataLike,
    *,
    batch_size: int = 512,
    device: torch.device | str | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in evaluation mode without gradients.

    Args:
        model: maps inputs ``(B, ...)`` to outputs ``(B, K, ...)`` (logits).
        data: a Dataset of ``(input, target)``, a DataLoader, or a pair of tensors.
        batch_size: batch size of the loader built for a Dataset.
        device: where to compute; None uses the device the model is on.
        loss_fn: ``loss_fn(outputs, targets)`` returning the batch mean; default cross entropy.

    Returns:
        ``{"loss": mean loss per example, "accuracy": fraction of correct predictions}``
        (per pixel for dense targets). The model's train/eval mode is restored afterwards.
    """
    loader = _as_loader(data, "data", batch_size, shuffle=False, seed=None)
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    total_loss, correct, count, examples = 0.0, 0, 0, 0
    try:
        with torch.no_grad():
            for batch in loader:
                x, y = _split_batch(batch)
                if y is None:
                    raise ValueError("evaluate: data must yield (input, target) pairs")
                x, y = x.to(device), y.to(device)  # (B, ...), (B, ...)
                out = model(x)  # (B, K, ...)
                total_loss += float(_batch_loss(loss_fn, out, y).item()) * x.shape[0]
                c, k = _correct_count(out, y)
                correct, count, examples = correct + c, count + k, examples + x.shape[0]
    finally:
        model.train(was_training)
    if examples == 0:
        raise ValueError("evaluate: data is empty")
    return {"loss": total_loss / examples, "accuracy": correct / count}


def predict(
    model: nn.Module,
    data: DataLike | torch.Tensor,
    *,
    batch_size: int = 512,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Outputs (logits) of ``model`` on every input of ``data``, in evaluation mode, on the CPU.

    Args:
        model: maps inputs ``(B, ...)`` to outputs ``(B, K, ...)``.
        data: a tensor of inputs ``(N, ...)``, a Dataset or DataLoader of inputs or of
            ``(input, target)`` pairs, or a pair of tensors.
        batch_size: batch size for a tensor or Dataset.
        device: where to compute; None uses the device the model is on.

    Returns:
        ``(N, K, ...)`` tensor of outputs in the order of ``data``.
    """
    if isinstance(data, torch.Tensor):
        data = TensorDataset(data)
    loader = _as_loader(data, "data", batch_size, shuffle=False, seed=None)
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    was_training = model.training
    model.eval()
    outputs: list[torch.Tensor] = []
    try:
        with torch.no_grad():
            for batch in loader:
                x, _ = _split_batch(batch)
                outputs.append(model(x.to(device)).cpu())  # (B, K, ...)
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: data is empty")
    return torch.cat(outputs)  # (N, K, ...)


def fit(
    model: nn.Module,
    train_data: DataLike,
    val_data: DataLike | None = None,
    *,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 128,
    optimizer: str | torch.optim.Optimizer = "adamw",
    weight_decay: float = 0.0,
    device: torch.device | str | None = None,
    progress: bool = True,
    seed: int | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    scheduler: str | None = None,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent; return the per-epoch ``History``.

    Each epoch: the model in training mode goes once through ``train_data`` in
    shuffled mini-batches (``zero_grad``, forward, loss, ``backward``, ``step``); then,
    if ``val_data`` is given, ``evaluate`` measures it in evaluation mode.

    Args:
        model: maps inputs ``(B, ...)`` to logits ``(B, K)`` (or ``(B, K, H, W)`` for dense targets).
        train_data: a Dataset of ``(input, target)`` (shuffled by a seeded DataLoader of
            ``batch_size``), a DataLoader (used as it is), or a pair of tensors.
        val_data: the same kinds, or None.
        epochs: number of passes over ``train_data`` (>= 1).
        lr: learning rate (the peak rate for ``scheduler="onecycle"``).
        batch_size: batch size of the loaders built from Datasets.
        optimizer: ``"adamw"``, ``"adam"``, ``"sgd"`` (momentum 0.9) or a ready
            ``torch.optim.Optimizer`` (then ``lr`` and ``weight_decay`` are not used).
        weight_decay: weight decay of the named optimizers.
        device: where to train; None picks ``get_device()``. The model is moved there.
        progress: show a progress bar over epochs (``tqdm.auto``: a widget in notebooks,
            one line in terminals) with the latest loss and accuracy.
        seed: if given, ``seed_everything(seed)`` first, so that two runs of the same
            model from the same initial weights give identical histories (on the CPU;
            the times differ of course).
        loss_fn: ``loss_fn(outputs, targets)`` returning the batch mean; default cross entropy.
        scheduler: None (constant rate), ``"cosine"`` (cosine decay to 0 over the epochs,
            stepped once per epoch) or ``"onecycle"`` (warm-up then decay, stepped per batch).
        transform: a function applied to every training input batch ``(B, ...)`` on the
            device, e.g. random flips for data augmentation; not applied to validation.

    Returns:
        A ``History`` with ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
        ``epoch_time`` and ``lr``, one entry per epoch. The model is left trained, on
        ``device`` and in evaluation mode.
    """
    from tqdm.auto import tqdm

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if scheduler not in (None, "cosine", "onecycle"):
        raise ValueError(f"scheduler must be None, 'cosine' or 'onecycle', got {scheduler!r}")
    if seed is not None:
        seed_everything(seed)
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    train_loader = _as_loader(train_data, "train_data", batch_size, shuffle=True, seed=seed)
    val_loader = None
    if val_data is not None:
        val_loader = _as_loader(val_data, "val_data", max(batch_size, 512), shuffle=False, seed=None)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    opt = _make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    sched: torch.optim.lr_scheduler.LRScheduler | None = None
    if scheduler == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif scheduler == "onecycle":
        steps = len(train_loader)
        max_lr = [group["lr"] for group in opt.param_groups]
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps)

    history = History()
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, mininterval=0.5, leave=True)
    for _ in bar:
        start = time.perf_counter()
        history.lr.append(float(opt.param_groups[0]["lr"]))
        model.train()
        total_loss, correct, count, examples = 0.0, 0, 0, 0
        for batch in train_loader:
            x, y = _split_batch(batch)
            if y is None:
                raise ValueError("fit: train_data must yield (input, target) pairs")
            x, y = x.to(device), y.to(device)  # (B, ...), (B, ...)
            if transform is not None:
                x = transform(x)
            opt.zero_grad(set_to_none=True)
            out = model(x)  # (B, K, ...)
            loss = _batch_loss(loss_fn, out, y)
            loss.backward()
            opt.step()
            if scheduler == "onecycle":
                sched.step()  # type: ignore[union-attr]
            total_loss += float(loss.item()) * x.shape[0]
            c, k = _correct_count(out.detach(), y)
            correct, count, examples = correct + c, count + k, examples + x.shape[0]
        if examples == 0:
            raise ValueError("fit: train_data is empty")
        if scheduler == "cosine":
            sched.step()  # type: ignore[union-attr]
        history.train_loss.append(total_loss / examples)
        history.train_acc.append(correct / count)
        postfix = {"loss": f"{history.train_loss[-1]:.3f}", "acc": f"{history.train_acc[-1]:.3f}"}
        if val_loader is not None:
            val = evaluate(model, val_loader, device=device, loss_fn=loss_fn)
            history.val_loss.append(val["loss"])
            history.val_acc.append(val["accuracy"])
            postfix.update(val_loss=f"{val['loss']:.3f}", val_acc=f"{val['accuracy']:.3f}")
        history.epoch_time.append(time.perf_counter() - start)
        bar.set_postfix(postfix, refresh=False)
    bar.close()
    model.eval()
    return history
