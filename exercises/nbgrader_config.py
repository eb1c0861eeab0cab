# nbgrader configuration of the CNN course. This folder, exercises/, is the course root:
# run every nbgrader command from here, with the course's .venv/bin first on PATH
# (nbgrader calls `alembic` to create the gradebook):
#
#   cd exercises
#   nbgrader generate_assignment ex01_convolution --force   # source/ -> release/  (or: make release)
#   nbgrader autograde ex01_convolution                       # submitted/ -> autograded/
#   nbgrader generate_feedback ex01_convolution               # autograded/ -> feedback/
#   nbgrader export                                           # grades.csv
#
# Submissions go in submitted/<student id>/<assignment>/<notebook>.ipynb, whether they come
# from `nbgrader collect`, an LMS download or a script. The notebook's file name must be
# the release name (ex01_convolution.ipynb): a Colab download called "Copy of ..." is not
# graded, so rename it. gradebook.db, submitted/, autograded/ and feedback/ are per-class
# state and are never committed.

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# --- The course ----------------------------------------------------------------------
c.CourseDirectory.course_id = "cnn-course"
# The folder that holds this file, i.e. "." when nbgrader runs in exercises/. Written as
# an absolute path so nbgrader does not warn that "." is relative.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# --- Student versions (generate_assignment) ------------------------------------------
# Code between "### BEGIN SOLUTION" and "### END SOLUTION" becomes this stub, so an
# unanswered task fails its tests with a clear NotImplementedError.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Lines between "### BEGIN HIDDEN TESTS" and "### END HIDDEN TESTS" are removed from the
# release and put back when grading (nbgrader's defaults, written out for clarity).
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# --- Grading (autograde) --------------------------------------------------------------
# Each cell may run this many seconds. A learner's endless loop is interrupted and
# reported as a CellTimeoutError in that cell; the rest of the notebook still runs, so
# only the tasks that depend on the looping cell lose points. Every graded cell of the
# course finishes in a few seconds on a laptop CPU. Override for one run with
# `nbgrader autograde ex01_convolution --Execute.timeout=120`.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# No retries: each submission is executed once and graded as it ran.
c.Execute.execute_retries = 0

# nbgrader scores a test cell 0 if it wrote anything to stderr. Python warnings go to
# stderr ("...: UserWarning: ..."), so a harmless warning from the learner's code or from
# a library would cost the points of the test that triggered it. Drop stderr outputs
# that are warnings before scoring. Errors are separate outputs and still count.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# Test cells are locked: edited test code is always replaced by the instructor's version
# before grading. A *deleted* test cell scores 0 and the rest of the notebook is graded
# as usual. Do not turn on OverwriteCells.add_missing_cells: in nbgrader 0.9 it crashes
# on the whole submission (no grade at all) when the cell before a deleted test cell is
# not an answer or test cell, or was deleted too (a learner who removes a task's answer
# and test cells together).
c.OverwriteCells.add_missing_cells = False

# A student who is not yet in the gradebook is added when their submission is graded,
# so a class list is optional (nbgrader's default, written out for clarity).
c.Autograde.create_student = True
