"""The autograder round trip, for every assignment in exercises/source/.

In a scratch copy of the course root: generate the student version, hand in one
submission per simulated student, run ONE ``nbgrader autograde`` for all of them, and
read the scores from the gradebook. The students:

- ``full``: the instructor's solution                        -> full marks
- ``empty``: the release as handed out                       -> 0, and the grader does not crash
- ``tampered``: the release with every test replaced by ``pass`` -> 0 (nbgrader restores locked tests)
- ``deleted``: the solution without the first task's answer and test cells
                                                              -> total minus that task's points
- ``one_wrong``: the solution with the first task's answer reset to the stub
                                                              -> total minus that task's points
- ``endless``: the solution whose first answer starts with ``while True: pass``
                                                              -> total minus that task's points, in finite time
- ``warning``: the solution whose first function also emits a ``UserWarning`` -> full marks

Points per task come from the notebook's nbgrader metadata, so new assignments are
covered without changing this file. Also checked: nbgrader's Validator passes the
source notebook and fails the release.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from nbgrader.api import Gradebook, MissingEntry

from nbgrader_tools import (assignments, copy_course, generate, notebooks, read, run_nbgrader,
                            student_log, tasks, total_points, with_endless_loop, with_stub,
                            with_tests_replaced, with_warning, without_task, write)

# Per-cell limit for the round trip: long enough for any graded cell (they take a few
# seconds), short enough that the endless loop does not dominate the test's run time.
CELL_TIMEOUT_S = 20

pytestmark = pytest.mark.slow


def submissions(source_nb, release_nb):
    """The simulated students' notebooks and the score each must get (see module docstring)."""
    found = tasks(source_nb)
    first = found[0]
    total = total_points(source_nb)
    return {
        "full": (source_nb, total),
        "empty": (release_nb, 0.0),
        "tampered": (with_tests_replaced(release_nb), 0.0),
        "deleted": (without_task(source_nb, first), total - first.points),
        "one_wrong": (with_stub(source_nb, release_nb, first.answer), total - first.points),
        "endless": (with_endless_loop(source_nb, first.answer), total - first.points),
        "warning": (with_warning(source_nb, first.answer), total),
    }


@pytest.fixture(scope="module", params=assignments())
def round_trip(request, tmp_path_factory):
    """Generate, submit, autograde once; return what each student scored and should score."""
    assignment = request.param
    course = copy_course(tmp_path_factory.mktemp(assignment))
    release = generate(course, assignment)
    expected: dict[tuple[str, str], float] = {}
    for path in notebooks(course / "source" / assignment):
        source_nb, release_nb = read(path), read(release / path.name)
        for student, (nb, score) in submissions(source_nb, release_nb).items():
            write(nb, course / "submitted" / student / assignment / path.name)
            expected[(student, path.stem)] = score
    students = sorted({s for s, _ in expected})
    n_cells = sum(len(read(p).cells) for p in notebooks(release))
    # generous overall limit: kernel start-ups plus at most one timed-out cell per student
    limit = 120 + len(students) * (60 + CELL_TIMEOUT_S) + n_cells
    # nbgrader exits 1 if any submission failed to grade: each student's test reports it
    result = run_nbgrader(["autograde", assignment, f"--Execute.timeout={CELL_TIMEOUT_S}", "--force"],
                          course, timeout=limit, check=False)
    log = result.stdout + result.stderr
    got: dict[tuple[str, str], float] = {}
    details: dict[str, str] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            for nb in submission.notebooks:
                got[(student, nb.name)] = float(nb.score)
            details[student] = ", ".join(
                f"{g.name}={g.score:g}/{g.max_score:g}" for nb in submission.notebooks for g in nb.grades)
    failed = set(re.findall(r"error processing assignment '[^']*' for student '([^']*)'", log))
    return dict(assignment=assignment, course=course, release=release, expected=expected, got=got,
                details=details, failed=failed, log=log)


STUDENTS = ["full", "empty", "tampered", "deleted", "one_wrong", "endless", "warning"]


@pytest.mark.parametrize("student", STUDENTS)
def test_student_gets_the_expected_score(round_trip, student):
    keys = [k for k in round_trip["expected"] if k[0] == student]
    assert keys, f"no submission for {student}"
    assert student not in round_trip["failed"], (
        f"{round_trip['assignment']}: nbgrader could not grade {student}'s submission:\n"
        + student_log(round_trip["log"], student)[-6000:])
    for key in keys:
        assert key in round_trip["got"], (f"{student}: {key[1]} was not graded\n"
                                          + student_log(round_trip["log"], student)[-6000:])
        assert round_trip["got"][key] == pytest.approx(round_trip["expected"][key]), (
            f"{round_trip['assignment']}: {student} scored {round_trip['got'][key]:g} on {key[1]}, "
            f"expected {round_trip['expected'][key]:g}. Per cell: {round_trip['details'][student]}")


def test_endless_loop_was_interrupted(round_trip):
    autograded = round_trip["course"] / "autograded" / "endless" / round_trip["assignment"]
    texts = [read(p) for p in notebooks(autograded)]
    outputs = [o for nb in texts for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any(o.get("output_type") == "error" and "Timeout" in o.get("ename", "") for o in outputs), \
        "the endless loop did not end in a timeout error"


def test_validator_passes_source_and_fails_release(round_trip):
    """``nbgrader validate`` exits 0 either way, so call the Validator itself."""
    from nbgrader.validator import Validator

    course: pathlib.Path = round_trip["course"]
    for source in notebooks(course / "source" / round_trip["assignment"]):
        result = Validator().validate(str(source))
        assert result == {}, f"{source.name}: the instructor's solution does not pass its tests: {result}"
        released = Validator().validate(str(round_trip["release"] / source.name))
        assert released.get("failed"), f"{source.name}: the release (stubs only) passes validation: {released}"
