"""The test command a developer reads in README.md is the one CI runs, and `make check` runs the same checks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_test_command() -> str:
    commands = re.findall(r"```sh\n(bash scripts/install-test-deps\.sh[^\n]*)\n```", (ROOT / "README.md").read_text())
    assert len(commands) == 1, "README.md should show exactly one full test command"
    return commands[0]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_test_command() in ci_lines


def test_make_check_runs_every_static_check_of_the_readme_command() -> None:
    steps = [step.strip() for step in readme_test_command().split("&&")]
    static = [s for s in steps if "pytest" not in s and "install" not in s]
    assert any("lint-imports" in s for s in static) and any("mypy tests" in s for s in static)
    makefile = (ROOT / "Makefile").read_text()
    check = makefile.split("\ncheck:\n", 1)[1].split("\n\n", 1)[0]
    recipe = [line.strip().replace("$(PYTHON)", "python") for line in check.splitlines()]
    assert recipe == static
