"""One guard for tests that call code which could run away: an alarm, and optionally an
address-space cap, so a regression fails the test instead of hanging or swapping."""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator


class Runaway(Exception):
    """A call took far longer than any valid call does."""


@contextlib.contextmanager
def guarded(seconds: float = 20.0, extra_bytes: int | None = 3 * 2**30) -> Iterator[None]:
    """Raise :class:`Runaway` after ``seconds``; with ``extra_bytes``, also cap the process's
    address space at what it uses now plus that much (None: no cap)."""
    def alarm(signum, frame):
        raise Runaway(f"still running after {seconds} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if extra_bytes is not None:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * resource.getpagesize()
        cap = used + extra_bytes if hard == resource.RLIM_INFINITY else min(hard, used + extra_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
