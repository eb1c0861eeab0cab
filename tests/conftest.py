"""Shared pytest set-up: make the helper modules in tests/ importable (``nbgrader_tools``)
whatever pytest's import mode."""

from __future__ import annotations

import pathlib
import sys

TESTS = str(pathlib.Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

# Figures are drawn off-screen in every test, whatever the environment's backend.
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close every pyplot figure a test made, so figures never pile up across tests."""
    yield
    plt.close("all")
