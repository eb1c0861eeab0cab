"""Helpers shared by the nbgrader tests (test_release.py, test_autograde.py).

They run the real nbgrader command line in a throw-away copy of the course root
``exercises/``, read a notebook's nbgrader metadata (which cells are answers, which are
tests, how many points each task is worth), and build simulated submissions.

Conventions the helpers rely on, for every assignment in ``exercises/source/``:

- an *answer cell* is an autograded solution cell (``solution: true, grade: false``);
- a task is one answer cell and the test cells (``grade: true, solution: false``) that
  follow it, up to the next answer cell;
- each task's answer cell is self-contained (no task's tests depend on another task's
  answer), and the first answer cell defines a function at its top level (the
  ``warning`` submission makes that function emit a ``UserWarning``).
"""

from __future__ import annotations

import ast
import copy
import os
import pathlib
import shutil
import subprocess
import sys
from dataclasses import dataclass

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
COURSE = ROOT / "exercises"
BIN = pathlib.Path(sys.executable).parent
# nbgrader's per-class state: never copied into a scratch course.
STATE = ("gradebook.db", "submitted", "autograded", "feedback", "exchange", "release")


def assignments() -> list[str]:
    """Names of the assignments in exercises/source/, sorted."""
    return sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir() and not p.name.startswith("."))


def notebooks(folder: pathlib.Path) -> list[pathlib.Path]:
    """The notebooks of one assignment folder, sorted."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: the venv first on PATH (nbgrader calls ``alembic``)."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")


def run_nbgrader(args: list[str], course: pathlib.Path, timeout: float,
                 check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course root ``course``; with ``check``, fail with its
    output if it exits with an error."""
    cmd = [str(BIN / "nbgrader"), *args]
    result = subprocess.run(cmd, cwd=course, env=nbgrader_env(), capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"`{' '.join(cmd[1:])}` failed with exit code {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def student_log(log: str, student: str) -> str:
    """The part of an ``nbgrader autograde`` log about one student (up to the next one)."""
    marker = "Creating/updating student with ID"
    start = log.find(f"{marker} '{student}'")
    if start < 0:
        return ""
    end = log.find(marker, start + len(marker))
    return log[start:end if end >= 0 else len(log)]


def copy_course(dest: pathlib.Path) -> pathlib.Path:
    """Copy exercises/ into ``dest`` without nbgrader state or release/; return the copy."""
    target = dest / "exercises"
    shutil.copytree(COURSE, target, ignore=shutil.ignore_patterns(*STATE, "__pycache__", ".ipynb_checkpoints"))
    return target


def generate(course: pathlib.Path, assignment: str, timeout: float = 300) -> pathlib.Path:
    """``nbgrader generate_assignment`` in ``course``; return the release folder."""
    run_nbgrader(["generate_assignment", assignment, "--force", "--log-level=WARN"], course, timeout)
    return course / "release" / assignment


# --------------------------------------------------------------------------------------
# Notebook structure
# --------------------------------------------------------------------------------------


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """The cell's nbgrader metadata (empty if none)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_answer(cell: nbformat.NotebookNode) -> bool:
    """An autograded answer cell: the learner writes code here."""
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("grade")


def is_test(cell: nbformat.NotebookNode) -> bool:
    """An autograder test cell, worth ``points``."""
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


@dataclass
class Task:
    """One answer cell and the test cells that grade it."""

    answer: int  # index of the answer cell
    tests: list[int]  # indices of its test cells
    points: float  # their total points
    grade_id: str  # the answer cell's grade_id


def tasks(nb: nbformat.NotebookNode) -> list[Task]:
    """The notebook's tasks, in order (see the module docstring for the convention)."""
    out: list[Task] = []
    for i, cell in enumerate(nb.cells):
        if is_answer(cell):
            out.append(Task(i, [], 0.0, nbgrader_meta(cell)["grade_id"]))
        elif is_test(cell):
            if not out:
                raise AssertionError(f"test cell {nbgrader_meta(cell)['grade_id']!r} comes before any answer cell")
            out[-1].tests.append(i)
            out[-1].points += float(nbgrader_meta(cell)["points"])
    return out


def total_points(nb: nbformat.NotebookNode) -> float:
    """Points of every autograded test cell of the notebook."""
    return sum(float(nbgrader_meta(c)["points"]) for c in nb.cells if is_test(c))


def read(path: pathlib.Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4."""
    return nbformat.read(path, as_version=4)


def write(nb: nbformat.NotebookNode, path: pathlib.Path) -> None:
    """Write a notebook, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def comparable(nb: nbformat.NotebookNode) -> list[dict]:
    """What must agree between a generated and a committed release notebook, per cell:
    type, source and nbgrader metadata (cell ids and outputs ignored)."""
    return [{"cell_type": c.cell_type, "source": c.source, "nbgrader": nbgrader_meta(c),
             "tags": list(c.get("metadata", {}).get("tags", []))} for c in nb.cells]


# --------------------------------------------------------------------------------------
# Simulated submissions
# --------------------------------------------------------------------------------------


def _by_grade_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The notebook's nbgrader cells by grade_id."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if "grade_id" in nbgrader_meta(c)}


def with_stub(source: nbformat.NotebookNode, release: nbformat.NotebookNode, answer: int) -> nbformat.NotebookNode:
    """The source notebook with answer cell ``answer`` replaced by the release's stub."""
    nb = copy.deepcopy(source)
    grade_id = nbgrader_meta(nb.cells[answer])["grade_id"]
    nb.cells[answer].source = _by_grade_id(release)[grade_id].source
    return nb


def with_endless_loop(source: nbformat.NotebookNode, answer: int) -> nbformat.NotebookNode:
    """The source notebook whose answer cell ``answer`` starts with an endless loop."""
    nb = copy.deepcopy(source)
    nb.cells[answer].source = "while True:\n    pass\n" + nb.cells[answer].source
    return nb


def with_warning(source: nbformat.NotebookNode, answer: int) -> nbformat.NotebookNode:
    """The source notebook whose first function in answer cell ``answer`` also emits a
    ``UserWarning`` every time it is called (a harmless warning that must cost nothing)."""
    nb = copy.deepcopy(source)
    text = nb.cells[answer].source
    func = next((node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)), None)
    if func is None:
        raise AssertionError(f"answer cell {answer} defines no function to add a warning to")
    first = func.body[0]
    lines = text.splitlines(keepends=True)
    indent = " " * first.col_offset
    line = f'{indent}import warnings; warnings.warn("a stray warning from the learner", UserWarning)\n'
    lines.insert(first.lineno - 1, line)
    nb.cells[answer].source = "".join(lines)
    return nb


def with_tests_replaced(release: nbformat.NotebookNode, replacement: str = "pass") -> nbformat.NotebookNode:
    """The release notebook with every test cell's source replaced (tampering)."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if is_test(cell):
            cell.source = replacement
    return nb


def without_task(source: nbformat.NotebookNode, task: Task) -> nbformat.NotebookNode:
    """The source notebook with one task's answer cell and test cells deleted (a learner
    who removed a section: those tests score 0, the rest is graded as usual)."""
    nb = copy.deepcopy(source)
    drop = {task.answer, *task.tests}
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    return nb
