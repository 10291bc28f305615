"""Entry point: the console by default, headless subcommands for scripts.

Nothing here imports Textual unless the console is started: the headless commands stay fast and usable on
hosts without a terminal. Each subcommand lives in ``imstui/commands/<name>.py`` and exposes
``register(subparsers, common)``; the handler it sets returns the process exit code
(0 success, 1 API or job failure, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Sequence

from imstui import __version__

# Subcommand modules, in the order `imstui --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "imstui.commands.image",
    "imstui.commands.images",
    "imstui.commands.copy",
    "imstui.commands.batch",
    "imstui.commands.rekey",
    "imstui.commands.job",
    "imstui.commands.jobs",
    "imstui.commands.keys",
    "imstui.commands.enterprise_projects",
    "imstui.commands.sim",
    "imstui.commands.profile",
    "imstui.commands.doctor",
    "imstui.commands.session",
)


def common_options() -> argparse.ArgumentParser:
    """Options every command (and the console) accepts, before or after the subcommand name."""
    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    g = common.add_argument_group("connection")
    g.add_argument("--demo", action="store_true", default=s, help="use the built-in IMS simulator (no account)")
    g.add_argument("--profile", default=s, help="stored profile to use (env IMSTUI_PROFILE)")
    g.add_argument("--region", default=s, help="region id, e.g. ap-southeast-1 (env HUAWEICLOUD_SDK_REGION)")
    g.add_argument("--project-id", default=s, help="project id (env HUAWEICLOUD_SDK_PROJECT_ID; else discovered)")
    g.add_argument("--endpoint", default=s, help="IMS endpoint URL (env IMSTUI_IMS_ENDPOINT)")
    g.add_argument("--iam-endpoint", default=s, help="IAM endpoint URL (env HUAWEICLOUD_SDK_IAM_ENDPOINT)")
    return common


_DEFAULTS = {
    "demo": False,
    "profile": None,
    "region": None,
    "project_id": None,
    "endpoint": None,
    "iam_endpoint": None,
}


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    from imstui.commands.output import CommandParser

    parser = CommandParser(
        prog="imstui",
        description="Replicate Huawei Cloud IMS images within a region and watch the copy jobs.",
        parents=[common],
        epilog="Without a command, imstui opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"imstui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(subparsers, common)
    return parser


# The common options that take a value (the next word is theirs, not a command name).
_VALUE_OPTIONS = frozenset({"--profile", "--region", "--project-id", "--endpoint", "--iam-endpoint"})


def _console_only(argv: Sequence[str]) -> bool:
    """True when ``argv`` names no command and asks for no help: only the common options (and ``--version``), so
    the console can start without importing every command's module. Anything else gets the full parser."""
    expect_value = False
    for arg in argv:
        if not arg.isascii():  # the full parser names undecodable arguments without echoing them
            return False
        if expect_value:
            expect_value = False
        elif arg in _VALUE_OPTIONS:
            expect_value = True
        elif arg in ("-h", "--help", "--") or not arg.startswith("-"):
            return False
    return not expect_value


def _parse_console_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The console's options, parsed without the subcommands; None when the full parser must decide (an unknown
    option or a malformed one gets the full parser's own error message)."""
    parser = argparse.ArgumentParser(
        prog="imstui", parents=[common_options()], add_help=False, allow_abbrev=False, exit_on_error=False
    )
    parser.add_argument("--version", action="version", version=f"imstui {__version__}")
    parser.set_defaults(command=None)  # as the full parser's subparsers leave it
    try:
        args, extras = parser.parse_known_args(list(argv))
    except argparse.ArgumentError:
        return None
    return None if extras else args


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    arg_list = list(sys.argv[1:] if argv is None else argv)
    args = _parse_console_args(arg_list) if _console_only(arg_list) else None
    if args is None:
        args = build_parser().parse_args(arg_list)
    for key, value in _DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    return args


def _stdout_to_devnull() -> None:
    """After the reader of our output went away (``imstui jobs | head -1``): point stdout at /dev/null so the
    interpreter's last flush at exit does not fail again (the idiom of the Python docs on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout is not a file (tests' capture): nothing to do
        pass


def _tolerant_streams() -> None:
    """A terminal or pipe that cannot encode a character (``PYTHONIOENCODING=ascii``, a Latin-1 locale) gets it as
    a ``\\u`` escape instead of a traceback: image names and reasons come from the server in any script."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure) and (getattr(stream, "errors", None) or "strict") == "strict":
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    args = parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from imstui.ui.launch import run_console

        return run_console(args)
    try:
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's exit
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`| head -1`): that is not an error of ours
        _stdout_to_devnull()
        return 141  # as a shell reports a command ended by SIGPIPE (128 + 13)
    except OSError as exc:  # e.g. stdout on a full disk (`> /dev/full`): one line, not a traceback
        _stdout_to_devnull()
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    return int(code)
