"""Every knob is declared in gridgov/settings.py, read from the environment and documented.

A `getattr(settings, "X", default)` hides a setting the environment cannot set and the README
does not list; these source scans keep it from coming back.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gridgov import settings as project_settings

PACKAGE = Path(project_settings.__file__).resolve().parent
README = PACKAGE.parent / "README.md"
OWN_PREFIXES = ("GRIDGOV_", "TRIAGE_")


def _sources() -> list[tuple[Path, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path.name == "settings.py":
            continue
        found.append((path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


def _is_settings(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in {"settings", "django_settings"}


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"


def test_no_setting_is_read_with_a_default():
    offenders = [
        _where(path, node)
        for path, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) + len(node.keywords) >= 3
        and node.args
        and _is_settings(node.args[0])
    ]
    assert not offenders, (
        "declare these settings in gridgov/settings.py (from the environment, with the README row) "
        f"and read them as settings.X: {offenders}"
    )


def test_every_own_setting_the_code_reads_is_declared():
    declared = set(vars(project_settings))
    undeclared = sorted(
        f"{node.attr} ({_where(path, node)})"
        for path, tree in _sources()
        if "tests" not in path.parts  # tests set made-up values on the settings fixture
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Load)
        and _is_settings(node.value)
        and node.attr.startswith(OWN_PREFIXES)
        and node.attr not in declared
    )
    assert not undeclared, f"read but not declared in gridgov/settings.py: {undeclared}"


def _environment_variables() -> set[str]:
    tree = ast.parse((PACKAGE / "settings.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"env_bool", "env_list"}:
            names.add(str(node.args[0].value))
        elif isinstance(func, ast.Attribute) and func.attr == "get" and ast.unparse(func.value) == "os.environ":
            names.add(str(node.args[0].value))
    return names


def _documented() -> set[str]:
    """Variables named in the README's configuration table; `A_B_C` / `_D` also names `A_B_D`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## 配置", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        tokens = re.findall(r"`([A-Z_][A-Z0-9_]*)`", first_cell)
        full = [t for t in tokens if not t.startswith("_")]
        names.update(full)
        if not full:
            continue
        parts = full[0].split("_")
        for short in (t for t in tokens if t.startswith("_")):
            names.update("_".join(parts[:cut]) + short for cut in range(1, len(parts)))
    return names


def test_every_environment_variable_is_in_the_readme_table():
    missing = sorted(_environment_variables() - _documented())
    assert not missing, f"add these to the configuration table in README.md (## 配置): {missing}"
