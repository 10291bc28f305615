"""Registering a subcommand whose ``--help`` is its module docstring (usage block kept as written)."""

from __future__ import annotations

import argparse
from typing import Any


def add_documented_parser(
    subparsers: Any, common: argparse.ArgumentParser, name: str, *, help: str, doc: str | None
) -> argparse.ArgumentParser:
    """``subparsers.add_parser(name)`` with the common options, a one-line ``help`` for ``imstui --help`` and
    ``doc`` (the command module's ``__doc__``) as its description, line breaks kept."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        parents=[common],
        help=help,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
