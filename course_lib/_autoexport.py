"""Collect the public names of a package's submodules into the package itself.

``course_lib.widgets`` and ``course_lib.plots`` are packages with one submodule per
chapter topic (``widgets/conv.py``, ``widgets/pooling.py``, ...). Each submodule lists
its public names in ``__all__``; this helper re-exports them, so chapters write
``from course_lib.widgets import conv_demo`` whichever file the demo lives in.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def export_submodules(package_name: str, package_path: list[str], namespace: dict[str, Any]) -> list[str]:
    """Import every public submodule of a package and copy its ``__all__`` names into ``namespace``."""
    exported: list[str] = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", []):
            if name in namespace and namespace[name] is not getattr(module, name):
                raise ImportError(f"{package_name}: {name!r} is defined in two submodules")
            namespace[name] = getattr(module, name)
            exported.append(name)
    return exported
