"""Build the whole book as a reader gets it: every chapter executed, warnings as errors.

This is the test that proves every chapter runs from top to bottom. The site is left in
``_build/html`` and the execution time of every notebook is written to
``_build/execution_times.txt`` (and printed at the end of the pytest run).
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"


def execution_times(page: pathlib.Path) -> dict[str, tuple[float, str]]:
    """Read ``{docname: (seconds, status)}`` from the built execution-statistics page."""
    text = page.read_text()
    times = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        if len(cells) >= 5 and re.fullmatch(r"[\d.]+", cells[3]):
            times[cells[0]] = (float(cells[3]), cells[4])
    return times


@pytest.mark.slow
def test_book_builds_with_every_chapter_executed():
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    # The kernels must pick matplotlib's inline backend themselves: with MPLBACKEND=Agg
    # inherited from the environment, every figure would silently vanish from the book.
    env.pop("MPLBACKEND", None)
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "jupyter-book"), "build", ".", "--all", "-W", "--keep-going"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"jupyter-book build failed:\n{log[-8000:]}"

    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    for chapter in chapters:
        page = BUILD / "html" / "chapters" / f"{chapter.stem}.html"
        assert page.exists(), f"{page} was not built"
        assert "Traceback" not in page.read_text(), f"{page.name} shows a traceback"

    times = execution_times(BUILD / "html" / "execution.html")
    for chapter in chapters:
        doc = f"chapters/{chapter.stem}"
        assert doc in times, f"{doc} is missing from the execution statistics: {sorted(times)}"
        assert times[doc][1] == "✅", f"{doc} did not execute cleanly: {times[doc]}"
    report = "\n".join(f"{doc:60s} {sec:7.1f} s" for doc, (sec, _) in sorted(times.items()))
    (BUILD / "execution_times.txt").write_text(report + "\n")
