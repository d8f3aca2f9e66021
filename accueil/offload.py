"""Run CPU-heavy calls that release the GIL (password hashing) off the event loop of a gevent process.

Under gevent every request and every live socket of the process shares one thread: a 120 ms
scrypt would freeze them all for that long. hashlib's scrypt releases the GIL, so in gevent's
thread pool it runs beside the loop. In a process gevent did not patch (commands, tests) the
call simply runs where it is.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def off_loop(fn: Callable[..., T], *args) -> T:
    """Return fn(*args), computed in gevent's thread pool when this process runs gevent."""
    from accueil.db import cooperative

    if not cooperative():
        return fn(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args)
