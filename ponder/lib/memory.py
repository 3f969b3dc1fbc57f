"""The size of cached data."""

import sys
from typing import Any


def size_of(data: Any) -> int:
    """About how many bytes `data` holds: itself and, for dicts, lists and tuples, everything in
    them (a string or number met twice is counted twice). For caches of JSON-like data."""
    size = sys.getsizeof(data)
    if data.__class__ is dict:
        return size + sum(size_of(key) + size_of(value) for key, value in data.items())
    if data.__class__ is list or data.__class__ is tuple:
        return size + sum(size_of(item) for item in data)
    return size
