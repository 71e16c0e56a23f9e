"""Bounds on work, for the tests that guard against a parser or sanitiser going
quadratic on hostile input."""

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Fail if the block spends more than `seconds` of this process's CPU time.

    CPU time rather than the wall clock: a loaded CI machine stretches the
    clock several times over, never the work, while what these tests catch
    (backtracking, quadratic splitting) costs orders of magnitude more."""
    started = time.process_time()
    yield
    spent = time.process_time() - started
    assert spent < seconds, f"{spent:.2f} s of CPU, the budget is {seconds} s"
