"""The console reaches the simulator only through the session (imstui.connect builds the demo session and its
catalogue): no module of imstui.ui imports imstui.sim or the headless commands, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import imstui.ui

UI = Path(imstui.ui.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


FORBIDDEN = ("imstui.sim", "imstui.commands")


def test_no_ui_module_imports_the_simulator_or_the_commands() -> None:
    found = {str(path.relative_to(UI)): imported_modules(path) for path in sorted(UI.rglob("*.py"))}
    offenders = {path: sorted(n for n in names if n.startswith(FORBIDDEN)) for path, names in found.items()}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(found) > 20 and "imstui.core.session" in found["connectors.py"]  # the walk did see the package
