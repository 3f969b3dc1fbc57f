"""Which part of Ponder may import which, read from the source (every import, at module level or
inside a function): the event stream (`live`) knows no questions, the domain (`questions`) knows
no API, settings import no app code, the parts import each other without a cycle, and no module
uses a private name of a package Ponder depends on. Tests may import anything."""

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the ponder package
# Documented public despite the underscore: Django's Model._meta API, a model instance's _state,
# and the managers Model._base_manager and Model._default_manager.
PUBLIC_UNDERSCORED = {"_meta", "_state", "_base_manager", "_default_manager"}


@dataclass(frozen=True)
class Module:
    name: str  # ponder.questions.views
    path: Path
    tree: ast.Module

    @property
    def is_test(self) -> bool:
        return "tests" in self.name.split(".") or self.path.name == "conftest.py"

    def part(self) -> str:
        """The part of Ponder it belongs to: `questions`, `live`, `settings`, ..."""
        return self.name.split(".")[1]


def modules() -> list[Module]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(Module(".".join(parts), path, ast.parse(path.read_text(), str(path))))
    return found


def absolute(module: Module, node: ast.ImportFrom) -> str:
    """The module an ImportFrom reads from, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if module.path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports(module: Module) -> Iterator[tuple[str, ast.AST]]:
    """Every module `module` imports (for `from a import b`: `a.b` as well as `a`, since b may
    be a module), with the node that does it."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            yield source, node
            for alias in node.names:
                yield f"{source}.{alias.name}", node


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def where(module: Module, node: ast.AST) -> str:
    return f"{module.path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', '?')}"


def offences(part: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{where(module, node)} imports {name}"
        for module in modules()
        if within(module.name, f"ponder.{part}") and not module.is_test
        for name, node in imports(module)
        if any(within(name, package) for package in forbidden)
    ]


def test_live_imports_nothing_of_the_questions_or_the_api() -> None:
    assert offences("live", ("ponder.questions", "ponder.api")) == []


def test_the_questions_import_nothing_of_the_api() -> None:
    assert offences("questions", ("ponder.api",)) == []


def test_settings_import_no_code_of_ponder() -> None:
    assert offences("settings", ("ponder",)) == []


def test_the_parts_of_ponder_import_each_other_without_a_cycle() -> None:
    uses: dict[str, set[str]] = {}
    for module in modules():
        if module.is_test or module.name == "ponder":
            continue
        for name, _ in imports(module):
            if within(name, "ponder") and name != "ponder":
                other = name.split(".")[1]
                if other != module.part():
                    uses.setdefault(module.part(), set()).add(other)

    def cycle_from(start: str, path: list[str]) -> list[str] | None:
        for other in sorted(uses.get(path[-1], ())):
            if other == start:
                return [*path, other]
            if other not in path and (found := cycle_from(start, [*path, other])):
                return found
        return None

    cycles = [" -> ".join(c) for part in sorted(uses) if (c := cycle_from(part, [part]))]
    assert cycles == []


def third_party(name: str) -> bool:
    top = name.split(".")[0]
    return bool(top) and top != "ponder" and top not in sys.stdlib_module_names


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_UNDERSCORED


def private_names(module: Module) -> Iterator[str]:
    """`from x import _y`, `import x._y`, and `x._y` where `x` was imported from a package
    Ponder depends on."""
    bound: set[str] = set()  # names bound to something imported from such a package
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if third_party(alias.name):
                    bound.add(alias.asname or alias.name.split(".")[0])
                    if any(private(part) for part in alias.name.split(".")):
                        yield f"{where(module, node)} imports {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            if not third_party(source):
                continue
            if any(private(part) for part in source.split(".")):
                yield f"{where(module, node)} imports from {source}"
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if private(alias.name):
                    yield f"{where(module, node)} imports {source}.{alias.name}"
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            owner = node.value
            while isinstance(owner, ast.Attribute):
                owner = owner.value
            if isinstance(owner, ast.Name) and owner.id in bound:
                yield f"{where(module, node)} reads {ast.unparse(node)}"


def own_names(trees: list[ast.Module]) -> set[str]:
    """Every name Ponder's code defines: functions, classes, variables, arguments, attributes
    it sets on `self` or `cls`, and the names it imports under."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
    return names


def foreign_private_attributes(module: Module, own: set[str]) -> Iterator[str]:
    """`anything._y` (read or written) where Ponder defines no `_y`: a private attribute of an
    object from somewhere else, such as `response._handler_class`."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and node.attr not in own:
            yield f"{where(module, node)} uses {ast.unparse(node)}"


def private_name_offences(*, skip: tuple[str, ...] = ()) -> list[str]:
    code = [module for module in modules() if not module.is_test]
    own = own_names([module.tree for module in code])
    return [
        offence
        for module in code
        if module.name not in skip
        for found in (private_names(module), foreign_private_attributes(module, own))
        for offence in found
    ]


def test_no_module_uses_a_private_name_of_a_dependency() -> None:
    assert private_name_offences() == []


@pytest.mark.parametrize(
    ("source", "offence"),
    [
        ("from django.middleware.csrf import _mask_cipher_secret", "imports"),
        ("import django.utils._os", "imports"),
        ("from asgiref.sync import SyncToAsync\nSyncToAsync._x", "reads SyncToAsync._x"),
        ("import uvicorn\nuvicorn.protocols._y", "reads uvicorn.protocols._y"),
    ],
)
def test_the_private_names_check_finds_them(source: str, offence: str) -> None:
    module = Module("ponder.example", ROOT / "example.py", ast.parse(source))
    assert any(offence in found for found in private_names(module))


def test_the_private_names_check_finds_private_attributes_of_other_objects() -> None:
    source = "def view(response):\n    response._handler_class = None\n    response._own\n"
    module = Module("ponder.example", ROOT / "example.py", ast.parse(source))
    found = list(foreign_private_attributes(module, own_names([ast.parse("_own = 1")])))
    assert found == ["ponder/example.py:2 uses response._handler_class"]


def test_the_private_names_check_lets_public_names_and_own_code_through() -> None:
    source = (
        "from django.db import connection\nfrom .hot import _cached\n"
        "import os\nos._exit\nconnection.ops\nModel = connection\nModel._meta\n"
    )
    module = Module("ponder.example", ROOT / "example.py", ast.parse(source))
    assert list(private_names(module)) == []
