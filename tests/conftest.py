"""Shared pytest set-up: make the helper modules in tests/ importable (``nbgrader_tools``)
whatever pytest's import mode."""

from __future__ import annotations

import pathlib
import sys

TESTS = str(pathlib.Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
