"""Server processes ask glibc for fewer malloc arenas (ponder/lib/memory.py); the soak measures
what that does to memory, this that the asking works where Ponder runs."""

import platform
import subprocess
import sys

import pytest

from ponder.lib.memory import limit_malloc_arenas

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


def test_the_arenas_are_limited_unless_the_environment_says_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_the_asgi_application_limits_them_as_it_loads() -> None:
    code = (
        "import ponder.lib.memory as m\n"
        "calls = []\n"
        "m.limit_malloc_arenas = lambda: calls.append(1) or True\n"
        "import ponder.asgi\n"
        "assert calls == [1], calls\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # noqa: S603
    assert done.returncode == 0, done.stderr
