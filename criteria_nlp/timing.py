"""A time limit for one piece of work, by SIGALRM, for batch runs that must go on."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

#: Seconds one document may take in a batch run before it is stopped with an error. Every
#: step is linear in the text, so only a fault trips it (1,000,000 characters of criteria
#: take about 20 s).
TIME_BUDGET = 60.0


class TimeBudgetExceeded(BaseException):
    """A document ran over its time budget. A BaseException, like KeyboardInterrupt, so that
    no `except Exception` on the way (spaCy's error handlers) swallows it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(seconds)

    def __str__(self) -> str:
        return f"[E008] stopped after the time budget of {self.seconds:g} s"


@contextmanager
def time_limit(seconds: Optional[float]) -> Iterator[None]:
    """Raise `TimeBudgetExceeded` in the block once `seconds` have passed.

    No limit when `seconds` is None or 0, outside the main thread, or where the platform has
    no SIGALRM (Windows): the block then simply runs.
    """
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeBudgetExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
