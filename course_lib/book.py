"""Helpers for the book's pages that also work outside the book (Colab, Jupyter).

``glue`` stores a value computed on a page so the prose can quote it with the
``{glue:text}`` role: numbers in the text always come from the code. Outside a
book build (no ``myst_nb``), it simply prints the value so nothing is hidden.
"""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Store ``value`` under ``name`` for the ``{glue:...}`` roles; return ``value``.

    Inside the book build this is ``myst_nb.glue``. Elsewhere (Colab, a plain
    Jupyter server) it prints ``name = value`` so the learner still sees it.
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab or a minimal install: show the value instead.
        print(f"{name} = {value}")
        return value
    _glue(name, value, display=display)
    return value
