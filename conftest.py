"""Root pytest configuration: report the measured chapter execution times at the end.

The book test (tests/test_book.py) writes them to _build/execution_times.txt; printing them
here puts them into every CI log without turning them into timed assertions.
"""

import pathlib

TIMES = pathlib.Path(__file__).parent / "_build" / "execution_times.txt"


def pytest_sessionstart(session):
    session.config._book_times_mtime = TIMES.stat().st_mtime if TIMES.exists() else None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if TIMES.exists() and TIMES.stat().st_mtime != getattr(config, "_book_times_mtime", None):
        terminalreporter.write_sep("-", "notebook execution times in the book build (2-core CPU)")
        terminalreporter.write(TIMES.read_text())
