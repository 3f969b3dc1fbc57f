"""Database reads for the live streams, off the event loop."""

import functools
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.db import connections


def db_read[**P, R](func: Callable[P, R]) -> Callable[P, object]:
    """Run `func` on a worker thread and give its connection back when done.

    Worker threads live on, and Django only closes connections at the end of a request: without
    closing here, each worker thread would keep a PostgreSQL pool connection checked out for
    good, and the pool would run dry."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run, thread_sensitive=False)
