"""Memory: fewer malloc arenas in each server process, and the size of cached data.

glibc gives each thread that meets contention its own malloc arena, up to 8 per core, and memory
freed in one arena is not given to another. Django's sync views run in a pool of threads, so a
worker's memory grows with the arenas its threads have touched. Two arenas is what many Python
servers run with (`MALLOC_ARENA_MAX=2`); the environment variable, if set, wins. (Its effect on
its own is not measured: the one-hour soak that ran with it changed other things too.)
"""

import ctypes
import os
import sys
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas() -> bool:
    """Ask glibc for at most `ARENAS` arenas from now on; False where that cannot be asked (not
    glibc, or MALLOC_ARENA_MAX is set, which glibc read itself at start)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, ARENAS))


def size_of(data: Any) -> int:
    """About how many bytes `data` holds: itself and, for dicts, lists and tuples, everything in
    them (a string or number met twice is counted twice). For caches of JSON-like data."""
    size = sys.getsizeof(data)
    if data.__class__ is dict:
        return size + sum(size_of(key) + size_of(value) for key, value in data.items())
    if data.__class__ is list or data.__class__ is tuple:
        return size + sum(size_of(item) for item in data)
    return size
