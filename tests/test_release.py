"""The committed student versions (exercises/release/) are what nbgrader makes of the
instructor versions (exercises/source/), and the source notebooks are stored clean.

A stale release means learners (Colab links, the book) see an old exercise: regenerate
it with ``make release`` and commit the result.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from nbgrader_tools import (COURSE, assignments, comparable, copy_course, generate, is_answer, is_test,
                            nbgrader_meta, notebooks, read, tasks, total_points)

ASSIGNMENTS = assignments()


def test_there_are_assignments():
    assert ASSIGNMENTS, "no assignment folders in exercises/source/"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> pathlib.Path:
    """A scratch copy of the course with every assignment freshly generated."""
    course = copy_course(tmp_path_factory.mktemp("release"))
    for assignment in ASSIGNMENTS:
        generate(course, assignment)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_up_to_date(assignment, generated):
    fresh_dir = generated / "release" / assignment
    committed_dir = COURSE / "release" / assignment
    assert committed_dir.is_dir(), f"exercises/release/{assignment}/ is missing: run `make release`"
    fresh_files = sorted(p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()
                             and ".ipynb_checkpoints" not in p.parts)
    assert committed_files == fresh_files, (
        f"exercises/release/{assignment}/ holds {[str(p) for p in committed_files]} but nbgrader "
        f"generates {[str(p) for p in fresh_files]}: run `make release`")
    for name in fresh_files:
        fresh, committed = fresh_dir / name, committed_dir / name
        if name.suffix != ".ipynb":
            assert fresh.read_bytes() == committed.read_bytes(), \
                f"release/{assignment}/{name} differs from its source: run `make release`"
            continue
        fresh_cells, committed_cells = comparable(read(fresh)), comparable(read(committed))
        assert len(fresh_cells) == len(committed_cells), (
            f"release/{assignment}/{name} has {len(committed_cells)} cells, the source gives "
            f"{len(fresh_cells)}: run `make release`")
        for i, (want, have) in enumerate(zip(fresh_cells, committed_cells)):
            assert have == want, (
                f"release/{assignment}/{name}, cell {i} ({want['nbgrader'].get('grade_id', want['cell_type'])}) "
                f"differs from what nbgrader generates from the source: run `make release`")


def test_config_protects_grades():
    """The course configuration: warnings do not zero a test cell, endless loops are
    interrupted, and the solution stub raises NotImplementedError."""
    import warnings

    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    assert config.CourseDirectory.course_id == "cnn-course"
    assert pathlib.Path(config.CourseDirectory.root) == COURSE
    assert config.IgnorePattern.enabled is True
    pattern = re.compile(config.IgnorePattern.pattern)
    for category in (UserWarning, DeprecationWarning, RuntimeWarning):
        stderr = warnings.formatwarning("careful", category, "/tmp/ipykernel_1/123.py", 4, "f()")
        assert pattern.search(stderr), f"IgnorePattern does not match a {category.__name__}: {stderr!r}"
    assert not pattern.search("Traceback (most recent call last):\nAssertionError: expected 30, got 31\n")
    assert 10 <= config.Execute.timeout <= 120 and config.Execute.interrupt_on_timeout is True
    assert "raise NotImplementedError()" in config.ClearSolutions.code_stub["python"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_stored_without_outputs(assignment):
    for path in notebooks(COURSE / "source" / assignment):
        nb = read(path)
        dirty = [i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
        assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run `make strip`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_follows_the_grading_conventions(assignment):
    """What the autograder round trip relies on: tasks with test points, solutions marked,
    locked tests, a total within the plan's 10 to 20 points, 3 to 6 tasks."""
    paths = notebooks(COURSE / "source" / assignment)
    assert paths, f"exercises/source/{assignment}/ has no notebook"
    for path in paths:
        nb = read(path)
        found = tasks(nb)
        assert 3 <= len(found) <= 6, f"{path.name}: {len(found)} tasks, the plan asks for 3 to 6"
        assert 10 <= total_points(nb) <= 20, f"{path.name}: {total_points(nb)} points, the plan asks for 10 to 20"
        ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if "grade_id" in nbgrader_meta(c)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_id"
        for task in found:
            assert task.points > 0, f"{path.name}: answer cell {task.grade_id!r} has no test cell after it"
            source = nb.cells[task.answer].source
            assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source, \
                f"{path.name}: answer cell {task.grade_id!r} has no ### BEGIN/END SOLUTION block"
        for cell in nb.cells:
            if is_test(cell):
                assert nbgrader_meta(cell).get("locked"), \
                    f"{path.name}: test cell {nbgrader_meta(cell)['grade_id']!r} is not locked"
            if is_answer(cell):
                assert not nbgrader_meta(cell).get("locked")
