"""Highway networks (Srivastava et al., 2015, Highway networks; Training very deep networks).

A highway layer mixes a transformation ``H(x)`` with its input ``x`` through a learned
*transform gate* ``T(x)`` in (0, 1); the *carry gate* is ``C(x) = 1 - T(x)``:

    y = H(x) * T(x) + x * (1 - T(x))

With the gate bias initialised negative (-1 to -3 in the paper) ``T`` starts small, so each
layer starts close to the identity and very deep stacks still train: the gated ancestor of
the residual connection ``y = x + F(x)`` (He et al., 2016), which is a highway layer whose
gates are both fixed open.
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib._validate import check_int, shape_of

__all__ = ["HighwayLayer", "HighwayNet"]


class HighwayLayer(nn.Module):
    """One fully connected highway layer (Srivastava et al., 2015, Highway networks, eq. 3).

    ``H(x) = relu(W_H x + b_H)``, ``T(x) = sigmoid(W_T x + b_T)`` with ``b_T`` initialised to
    ``gate_bias``, and ``y = H(x) * T(x) + x * (1 - T(x))``. The gate values of the last
    forward pass are kept (detached) in ``last_gate``, shape ``(*, features)``, for inspection.

    Args:
        features: size of input and output (a highway layer cannot change it).
        gate_bias: initial bias of the transform gate; negative means "start by carrying".

    Shapes: ``(*, features) -> (*, features)``, usually ``(N, features)``.
    """

    def __init__(self, features: int, gate_bias: float = -2.0) -> None:
        super().__init__()
        check_int(features, "features", 1)
        self.features = features
        self.transform = nn.Linear(features, features)  # H
        self.gate = nn.Linear(features, features)  # T
        nn.init.constant_(self.gate.bias, float(gate_bias))
        self.last_gate: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``y = H(x) * T(x) + x * (1 - T(x))`` for ``x: (*, features)``; stores ``T(x)`` in ``last_gate``."""
        if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] != self.features:
            got = shape_of(x) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {self.features}) (last dimension = features), got {got}")
        h = torch.relu(self.transform(x))  # (N, features)
        t = torch.sigmoid(self.gate(x))  # (N, features), transform gate in (0, 1)
        self.last_gate = t.detach()
        return h * t + x * (1.0 - t)  # (N, features)


class HighwayNet(nn.Module):
    """A fully connected highway network (Srivastava et al., 2015, Training very deep networks).

    Flattens the input, projects it to ``width`` units (``Linear`` + ReLU: highway layers keep
    their size, so a plain layer changes it first), applies ``num_layers``
    :class:`HighwayLayer` s and a linear classifier.

    Args:
        in_features: values per example after flattening.
        num_layers: number of highway layers.
        num_classes: number of output logits.
        width: units of the input projection and of every highway layer.
        gate_bias: initial transform-gate bias of every highway layer.

    Shapes: input ``(N, *)`` with ``in_features`` values per example, output ``(N, num_classes)``.
    ``gates()`` returns the ``last_gate`` of every layer after a forward pass.
    """

    def __init__(
        self, in_features: int, num_layers: int, num_classes: int, width: int = 50, gate_bias: float = -2.0
    ) -> None:
        super().__init__()
        check_int(in_features, "in_features", 1)
        check_int(num_layers, "num_layers", 0)
        check_int(num_classes, "num_classes", 1)
        check_int(width, "width", 1)
        self.in_features = in_features
        self.flatten = nn.Flatten()
        self.input = nn.Sequential(nn.Linear(in_features, width), nn.ReLU())
        self.layers = nn.Sequential(*[HighwayLayer(width, gate_bias) for _ in range(num_layers)])
        self.classifier = nn.Linear(width, num_classes)

    def gates(self) -> list[torch.Tensor | None]:
        """Transform-gate values ``(N, width)`` of every highway layer from the last forward pass."""
        return [layer.last_gate for layer in self.layers]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of ``x: (N, *)`` with ``in_features`` values per example."""
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or not x.is_floating_point():
            got = shape_of(x) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a float tensor (N, {self.in_features}) or (N, *), got {got}")
        if x.shape[1:].numel() != self.in_features:
            raise ValueError(
                f"x must have in_features={self.in_features} values per example, got shape {shape_of(x)}"
            )
        x = self.input(self.flatten(x))  # (N, width)
        x = self.layers(x)  # (N, width)
        return self.classifier(x)  # (N, num_classes)
