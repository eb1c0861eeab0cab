"""Repository-level checks: clean notebooks, a table of contents that matches the files,
current Colab set-up cells, chapters that follow the model chapter's structure, and an
install that pins what the plan requires."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
NOTEBOOKS = CHAPTERS + sorted((ROOT / "exercises").glob("*/*/*.ipynb"))


def toc_files() -> list[str]:
    """Every ``file:`` entry of ``_toc.yml``, root included."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def test_there_are_notebooks():
    assert CHAPTERS, "no chapter notebooks found in chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run `make strip`"


def test_toc_entries_exist_and_have_no_twins():
    for entry in toc_files():
        matches = [p for p in (ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md") if p.exists()]
        assert matches, f"_toc.yml lists {entry!r} but neither {entry}.ipynb nor {entry}.md exists"
        assert len(matches) == 1, f"{entry} has both .ipynb and .md versions (Sphinx fails on twins)"


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    for path in CHAPTERS:
        entry = str(path.relative_to(ROOT).with_suffix(""))
        assert entry in listed, f"{entry} is not listed in _toc.yml, so the book never builds it"


def test_every_release_notebook_is_in_the_toc():
    listed = set(toc_files())
    for path in sorted((ROOT / "exercises" / "release").glob("*/*.ipynb")):
        entry = str(path.relative_to(ROOT).with_suffix(""))
        assert entry in listed, f"{entry} is not listed in _toc.yml"


def test_setup_cells_are_stamped_from_config():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "stamp_setup_cells.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_repository_url_is_written_in_one_place():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    allowed = {"_config.yml"}
    for name in tracked:
        path = ROOT / name
        if name in allowed or path.suffix == ".ipynb" or not path.is_file():
            continue  # notebooks carry the stamped copy, checked above
        text = path.read_text(errors="ignore")
        assert url not in text, f"{name} repeats the repository URL; it lives in _config.yml only"


def _cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_the_model_structure(path):
    cells = _cells(path)
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and re.match(r"# \d+\. ", first), \
        f"{path.name}: the first cell must be a markdown title '# N. Title'"
    assert "Learning goals" in first, f"{path.name}: the first cell must state the learning goals"
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    assert any("colab-setup" in t for t in tags), f"{path.name}: no cell tagged colab-setup"
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "Check yourself" in markdown, f"{path.name}: no 'Check yourself' section"
    assert "{cite" in markdown, f"{path.name}: cites no reference"
    assert "course_lib.widgets" in code, f"{path.name}: has no demo from course_lib.widgets"
    assert "seed_everything" in code, f"{path.name}: does not seed its randomness"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_install_pins_what_the_plan_requires():
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    pins = {k.lower(): v for k, v in pins.items()}
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    major = int(pins["jupyter-book"].split(".")[0])
    assert major < 2, "jupyter-book 2 downloads its theme at build time; stay below 2"
    assert pins["nbgrader"].startswith("0.9.")
