"""How large the gradient of the loss is at every layer of a network.

Deep plain networks are hard to train partly because the gradient that reaches a layer
depends on all the layers above it: back-propagation multiplies one Jacobian per layer,
so its size can shrink (vanish) or grow (explode) exponentially with depth (Glorot and
Bengio, 2010). Residual connections add an identity path to every block, and batch
normalisation rescales every layer; chapter 8 measures what each does to the gradient.

- :func:`layer_gradient_norms`: the norm of ``dL/dW`` of every convolution and linear
  layer for one batch, in the order the forward pass calls the layers (input to output).
  It leaves the model as it found it: no ``.grad`` written, batch-norm running statistics
  and train/eval mode restored.
- :func:`init_gradient_profile`: the same for a freshly initialised
  :func:`course_lib.models.cifar_resnet` (residual or plain, with or without batch
  normalisation), seeded, as plotted by chapter 8 and its demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from course_lib._validate import shape_of
from course_lib.models import cifar_resnet

__all__ = ["LayerGradient", "layer_gradient_norms", "init_gradient_profile"]


@dataclass(frozen=True)
class LayerGradient:
    """The gradient of one layer's weight for one batch.

    Attributes:
        name: the layer's name in ``model.named_modules()`` (e.g. ``"layer2.0.conv1"``).
        type: the layer's class name (``"Conv2d"``, ``"Linear"``).
        grad_norm: Euclidean (Frobenius) norm of ``dL/dW``, the gradient of the mean batch
            loss with respect to the layer's weight.
        weight_norm: Euclidean norm of the weight ``W`` itself; ``grad_norm / weight_norm``
            is the relative size of a gradient step.
    """

    name: str
    type: str
    grad_norm: float
    weight_norm: float


def _check_batch(inputs: object, targets: object) -> tuple[torch.Tensor, torch.Tensor]:
    """``inputs`` a float tensor ``(N, ...)``, ``targets`` a tensor whose first dimension is ``N``."""
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2 or not inputs.is_floating_point():
        got = shape_of(inputs) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ValueError(f"inputs must be a float tensor (N, ...) with a batch dimension, got {got}")
    if not isinstance(targets, torch.Tensor) or targets.dim() < 1:
        got = shape_of(targets) if isinstance(targets, torch.Tensor) else type(targets).__name__
        raise ValueError(f"targets must be a tensor (N, ...), got {got}")
    if targets.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"inputs and targets must have the same batch size N, got inputs {shape_of(inputs)} "
            f"and targets {shape_of(targets)}"
        )
    return inputs, targets


def layer_gradient_norms(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    layer_types: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.Linear),
    train_mode: bool = True,
) -> list[LayerGradient]:
    """Norm of the loss gradient with respect to the weight of every layer, input to output.

    One forward pass of ``inputs``, the loss against ``targets`` and one backward pass
    (``torch.autograd.grad``, so no ``.grad`` attribute is written). The layers are listed
    in the order the forward pass first calls them, which for a ResNet is from the stem
    to the classifier, whatever order they were defined in.

    Args:
        model: maps ``inputs`` to outputs ``loss_fn`` accepts (logits ``(N, K)``).
        inputs: a float batch ``(N, ...)``, e.g. images ``(N, C, H, W)``.
        targets: ``(N,)`` class indices for the default loss, or what ``loss_fn`` needs.
        loss_fn: ``loss_fn(outputs, targets)`` returning a scalar; default cross entropy.
        layer_types: the module types whose ``weight`` is measured.
        train_mode: run the model in training mode (batch normalisation uses the batch
            statistics, as during training); False uses evaluation mode.

    Returns:
        One :class:`LayerGradient` per measured layer that the forward pass used, in call
        order. The model's mode, parameters and buffers (batch-norm running statistics) are
        the same afterwards as before.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    inputs, targets = _check_batch(inputs, targets)
    loss_fn = loss_fn if loss_fn is not None else nn.functional.cross_entropy
    names = {module: name for name, module in model.named_modules()}
    layers = [
        m for m in names
        if isinstance(m, layer_types) and isinstance(getattr(m, "weight", None), torch.Tensor)
        and m.weight.requires_grad
    ]
    if not layers:
        raise ValueError(f"model has no layer of types {[t.__name__ for t in layer_types]} with a trainable weight")

    called: list[nn.Module] = []

    def record(module: nn.Module, args: tuple, output: object) -> None:
        if module not in called:
            called.append(module)

    handles = [m.register_forward_hook(record) for m in layers]
    saved_buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    was_training = model.training
    try:
        model.train(train_mode)
        outputs = model(inputs)  # (N, K) for a classifier
        loss = loss_fn(outputs, targets)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar tensor, got {loss!r}")
        weights = [m.weight for m in called]
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(saved_buffers[name])

    result = []
    for module, grad in zip(called, grads):
        g = 0.0 if grad is None else float(torch.linalg.vector_norm(grad))
        result.append(LayerGradient(names[module], type(module).__name__, g,
                                    float(torch.linalg.vector_norm(module.weight.detach()))))
    return result


def init_gradient_profile(
    depth: int,
    residual: bool = True,
    batch_norm: bool = True,
    *,
    images: torch.Tensor,
    labels: torch.Tensor,
    width: int = 8,
    seed: int = 0,
    layer_types: tuple[type[nn.Module], ...] = (nn.Conv2d,),
) -> np.ndarray:
    """Gradient norm of every convolution of a freshly initialised CIFAR-style ResNet or its plain twin.

    Builds ``cifar_resnet(depth, residual=residual, width=width, in_channels=C)`` after
    ``torch.manual_seed(seed)``; without batch normalisation every normalisation layer is
    ``nn.Identity``. The network is moved to the device and dtype of ``images`` (so a GPU
    batch measures on the GPU). Then :func:`layer_gradient_norms` on one batch in training mode.

    Args:
        depth: ``6n + 2`` (8, 14, 20, ..., 56, 110).
        residual: True for the ResNet, False for its plain twin (no shortcuts).
        batch_norm: keep the batch-normalisation layers (True) or drop them (False).
        images: a batch ``(N, C, H, W)``.
        labels: class indices ``(N,)`` in ``[0, 10)``.
        width: maps of the first stage (stages have ``width``, ``2 width``, ``4 width``).
        seed: seed of the initial weights.
        layer_types: which layers to measure (default: the convolutions only).

    Returns:
        ``(L,)`` float64 array: ``||dL/dW_l||`` for the ``L`` measured layers, from the
        input side to the output side (``L = depth - 1`` convolutions for the default).
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or not images.is_floating_point():
        got = shape_of(images) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a float tensor (N, C, H, W), got {got}")
    torch.manual_seed(seed)
    model = cifar_resnet(
        depth,
        residual=residual,
        width=width,
        in_channels=images.shape[1],
        norm_layer=None if batch_norm else nn.Identity,
    ).to(device=images.device, dtype=images.dtype)
    records = layer_gradient_norms(model, images, labels, layer_types=layer_types)
    return np.array([r.grad_norm for r in records], dtype=np.float64)

