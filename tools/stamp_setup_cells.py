"""Write the Colab set-up cell of every notebook from the repository URL in ``_config.yml``.

The repository URL lives in one place, ``_config.yml`` (``repository.url``), where the
book's launch buttons read it. Each chapter and each exercise source notebook starts
with a code cell tagged ``colab-setup`` that installs ``course_lib`` on Colab from that
repository. This script rewrites those cells; ``--check`` only reports differences
(``tests/test_repository.py`` runs the check).

Usage::

    python tools/stamp_setup_cells.py          # rewrite the cells
    python tools/stamp_setup_cells.py --check  # exit 1 if any cell is stale
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUP_TAG = "colab-setup"
TEMPLATE = """\
# Set-up: on Colab, install the course's library (torch is already there).
# Locally, `make book` or `pip install -e .` has installed it.
import sys

if "google.colab" in sys.modules:
    %pip install -q "course-lib @ git+{url}"
"""


def repository_url() -> str:
    """The repository URL from ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def setup_source(url: str | None = None) -> str:
    """The source of the set-up cell, for ``url`` (default: the configured one)."""
    return TEMPLATE.format(url=url or repository_url()).rstrip("\n")


def notebooks() -> list[pathlib.Path]:
    """The notebooks that carry a set-up cell: chapters and exercise sources."""
    return sorted(ROOT.glob("chapters/*.ipynb")) + sorted(ROOT.glob("exercises/source/*/*.ipynb"))


def setup_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The first cell tagged ``colab-setup``, or None."""
    for cell in nb.cells:
        if SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def stale(path: pathlib.Path) -> str | None:
    """Why ``path``'s set-up cell is missing or out of date, or None if it is current."""
    nb = nbformat.read(path, as_version=4)
    cell = setup_cell(nb)
    if cell is None:
        return f"{path.relative_to(ROOT)}: no code cell tagged {SETUP_TAG!r}"
    if cell.source.rstrip("\n") != setup_source():
        return f"{path.relative_to(ROOT)}: set-up cell differs from tools/stamp_setup_cells.py"
    return None


def stamp(path: pathlib.Path) -> bool:
    """Rewrite ``path``'s set-up cell; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    cell = setup_cell(nb)
    if cell is None or cell.source.rstrip("\n") == setup_source():
        return False
    cell.source = setup_source()
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale cells, change nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for p in map(stale, notebooks()) if p]
        print("\n".join(problems) or "all set-up cells are current")
        return 1 if problems else 0
    for path in notebooks():
        if stamp(path):
            print(f"stamped {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
