"""Every command that README.md, bench/README.md and docs/*.md show works as written in a fresh
clone after the Quick start (`bin/dev serve`, `bin/dev test`).

A command's first word must be one of the repository's scripts (with a subcommand it knows), a
program the Quick start puts in `.venv/bin` (or that an earlier line of the same block installs),
or a program the text expects on the machine (`curl`, `createdb`, ...): never a bare `ponder` or
`pytest`, which no PATH has. Checked: every line of the shell blocks, and each code span in the
prose that starts like a command line (`bin/...`, `.venv/bin/...`, `.ci/...`, `VAR=... ...`).
A bare `ponder serve` in the prose is the command's name, as the text explains.
"""

import os
import re
import shlex
import subprocess
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from django.core.management import get_commands
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What the reader brings besides the clone, as the text says where it uses them.
SYSTEM = {"apt-get", "createdb", "curl", "export", "kill", "python3", "python3.12"}
SEPARATORS = {"&&", "||", ";", "|"}
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@cache
def quick_start_programs() -> frozenset[str]:
    """What `pip install -e '.[test]'` puts in .venv/bin: the console scripts of Ponder and of
    everything it and its test extra require, and the venv's own python and pip."""
    programs = {"python", "python3", "python3.12", "pip", "pip3"}
    todo, seen = [("ponder", frozenset({"test"}))], set()
    while todo:
        name, extras = todo.pop()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        distribution = metadata.distribution(name)
        programs |= {e.name for e in distribution.entry_points if e.group == "console_scripts"}
        # Programs that are no entry point (ruff's binary) are files the wheel puts in bin/.
        files = distribution.files or []
        programs |= {f.name for f in files if "bin" in f.parts[:-1] and ".." in f.parts}
        for line in distribution.requires or []:
            required = Requirement(line)
            wanted = required.marker is None or any(
                required.marker.evaluate({"extra": extra}) for extra in extras | {""}
            )
            if wanted:
                todo.append((required.name, frozenset(required.extras)))
    return frozenset(programs)


@cache
def ponder_commands() -> frozenset[str]:
    return frozenset({"serve", "help", *get_commands()})


def known_command(words: list[str]) -> bool:
    """A command of `ponder`, or a placeholder for one (`ponder COMMAND`)."""
    return bool(words) and (words[0] in ponder_commands() or words[0].isupper())


@cache
def dev_commands() -> frozenset[str]:
    """The first words `bin/dev` takes, from its own `case`."""
    script = (ROOT / "bin" / "dev").read_text()
    found = re.search(r"^\s*(serve \|[^)]*)\) shift ;;$", script, re.M)
    assert found, "bin/dev has no case of its commands"
    return frozenset(word.strip() for word in found[1].split("|"))


def commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line, each a list of words, comments left out."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    result: list[list[str]] = [[]]
    for word in lexer:
        if word in SEPARATORS:
            result.append([])
        else:
            result[-1].append(word)
    return [words for words in result if words]


def problem(words: list[str], made: set[str]) -> str | None:
    """Why this command would not run as written, or None. `made` holds the virtualenvs that
    earlier lines of the same block created or installed into."""
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words:
        return None  # only variables set
    first, rest = words[0], words[1:]
    if "/" not in first:
        if first not in SYSTEM:
            return f"`{first}` is on no PATH: write bin/dev ... or .venv/bin/{first}"
        return None
    if first.startswith("python") or first.startswith("/"):
        return f"`{first}`: name a program of the clone"
    venv, _, program = first.partition("/bin/")
    if program:  # .venv/bin/X, .venv-tools/bin/X
        if first.endswith("/bin/pip") and rest[:1] == ["install"]:
            made.add(venv)
        installed = venv == ".venv" and program in quick_start_programs()
        if not installed and venv not in made:
            return f"`{first}`: the Quick start does not install it, nor does a line before"
        script = rest[0] if program == "python" and rest and rest[0][0] != "-" else ""
        if script and not (ROOT / script).is_file():
            return f"`{first} {script}`: there is no such file"
        if program == "ponder" and not known_command(rest):
            return f"`{' '.join(words)}`: ponder has no such command"
        return None
    path = ROOT / first
    if not (path.is_file() and os.access(path, os.X_OK)):
        return f"`{first}`: no such executable in the repository"
    if first == "bin/dev" and rest:
        if rest[0] not in dev_commands():
            return f"`bin/dev {rest[0]}`: bin/dev takes {sorted(dev_commands())}"
        if rest[0] == "ponder" and not known_command(rest[1:]):
            return f"`{' '.join(words)}`: ponder has no such command"
    return None


def shell_lines(text: str) -> list[list[str]]:
    """The shell blocks' lines, a list per block, with continued lines joined."""
    blocks = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.S | re.M)
    return [block.replace("\\\n", " ").splitlines() for block in blocks]


def prose_commands(text: str) -> list[str]:
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    spans = re.findall(r"`([^`\n]+)`", prose)
    start = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*=\S* )*(?:bin/|\.venv/|\.venv-tools/|\.ci/)")
    return [span for span in spans if start.match(span)]


def found_problems(text: str) -> list[str]:
    problems = []
    for block in shell_lines(text):
        made: set[str] = set()
        for line in block:
            if line.strip().startswith("python3.12 -m venv ") or " -m venv " in line:
                made.add(line.split(" -m venv ", 1)[1].split()[0])
            for words in commands(line):
                if found := problem(words, made):
                    problems.append(f"{found}\n    in: {line.strip()}")
    for span in prose_commands(text):
        words = shlex.split(span)
        if words in (["bin/dev"], [".ci/run"]):
            continue  # the script named
        for command in commands(span):
            if found := problem(command, set()):
                problems.append(f"{found}\n    in: `{span}`")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_command_the_docs_show_runs_after_the_quick_start(doc: Path) -> None:
    problems = found_problems(doc.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_the_readme_has_commands_to_check() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for block in shell_lines(text) for line in block]
    assert "bin/dev serve" in lines and "bin/dev test" in lines  # the Quick start
    assert "bin/dev ponder demo" in lines
    assert len(lines) > 30


@pytest.mark.parametrize(
    "line",
    [
        "ponder demo",  # no PATH has it
        "pytest -x",
        "bin/dev demo",  # bin/dev has no such command
        "bin/dev ponder demoo",
        ".venv/bin/ponder nonsense",
        ".venv/bin/locust -f bench/locustfile.py",  # an extra the Quick start leaves out
        ".venv/bin/python bench/nothing.py",
        "bin/nothing",
        ".venv-tools/bin/bandit -r ponder",  # made by .ci/run, not by the Quick start
        "DATABASE_URL=postgres://x ponder serve",
        "curl -s x && ponder backup f",
    ],
)
def test_the_check_finds_a_command_that_would_not_run(line: str) -> None:
    assert found_problems(f"```sh\n{line}\n```\n"), line


def test_the_check_follows_what_a_block_installs() -> None:
    block = (
        "```sh\n.venv/bin/pip install -e '.[load]'\n.venv/bin/locust --version\n"
        "python3.12 -m venv .venv-tools\n.venv-tools/bin/pip install bandit==1.9.4\n"
        ".venv-tools/bin/bandit -r ponder\n```\n"
    )
    assert found_problems(block) == []


def test_pinned_installs_in_the_docs_match_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]:
        name, _, version = requirement.partition("==")
        pins[name.lower()] = version
    for doc in DOCS:
        for name, version in re.findall(r"\b([A-Za-z][\w.-]*)==(\d[\w.]*)", doc.read_text()):
            if name.lower() in pins:
                assert pins[name.lower()] == version, f"{doc.name}: {name}=={version}"


def test_bin_dev_says_how_to_run_any_ponder_command() -> None:
    usage = subprocess.run(  # noqa: S603 - our own script, without arguments
        [ROOT / "bin" / "dev"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "bin/dev ponder COMMAND [options]" in usage.stdout
    assert dev_commands() == {"serve", "test", "ponder"}
