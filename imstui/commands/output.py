"""Printing for the headless commands: human text, or exactly one JSON document on stdout with ``--json``.

Errors always go to stderr as readable text (code, message, request id, and the catalogue's meaning and next
step); with ``--json`` the same facts are also the single JSON document on stdout, so scripts can rely on
parsing stdout whatever happened. Every string printed here came through the models' sanitiser or is ours.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, NoReturn, TextIO

from imstui.api.catalogue import describe
from imstui.api.errors import (
    ApiError,
    ConfigurationError,
    ImstuiError,
    JobNotFoundError,
    LocalValidationError,
    ProtocolError,
)
from imstui.api.models import Image, Job
from imstui.api.sanitize import sanitize
from imstui.core.eligibility import Condition, Verdict
from imstui.core.validation import Violation
from imstui.core.wording import (
    SERVER_DATA_UNKNOWN,
    live_job_phase,
    live_job_status,
    looks_like_secret,
    needs_ascii,
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124  # --timeout ran out while jobs were still running (like timeout(1))


_EXPLICIT_ARGUMENT = re.compile(r"ignored explicit argument '.*'", re.DOTALL)
_INVALID_CHOICE = re.compile(r"invalid choice: '(.*?)'(?= \(choose from)", re.DOTALL)
_COMMAND_LIKE = re.compile(r"[a-z][a-z-]{0,19}")


def _redact_choice(match: re.Match[str]) -> str:
    """Echo a mistyped command name (``imagee``), never a word that could be a pasted secret."""
    word = match.group(1)
    return match.group(0) if _COMMAND_LIKE.fullmatch(word) else "invalid choice (word not shown)"


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: with ``--json`` among its arguments, a usage error is also one JSON document on
    stdout (exit 2), so scripts can parse stdout whatever happened. Unrecognised arguments are named without
    their values (someone typing ``--sk SECRET`` must not find the secret echoed into a log)."""

    json_requested = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: "--sk SECRET" must not be read as "--sk-stdin" followed by a stray word.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        arg_list = list(sys.argv[1:] if args is None else args)
        options = arg_list[: arg_list.index("--")] if "--" in arg_list else arg_list
        self.json_requested = "--json" in options
        problem = undecodable_argument(arg_list)
        if problem is not None:
            self.error(problem)
        parsed, extras = super().parse_known_args(arg_list, namespace)
        if extras:
            self.error(f"unrecognized arguments: {redact_arguments(extras)}")
        problem = misshapen_option(parsed)
        if problem is not None:
            self.error(problem)
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        message = _EXPLICIT_ARGUMENT.sub("ignored explicit argument (not shown)", message)
        message = _INVALID_CHOICE.sub(_redact_choice, message)
        if self.json_requested:
            self.print_usage(sys.stderr)
            print(f"{self.prog}: error: {message}", file=sys.stderr)
            doc = {"ok": False, "error": {"type": "UsageError", "message": message}}
            print(json.dumps(doc, ensure_ascii=False, indent=2), file=sys.stdout)
            self.exit(EXIT_USAGE)
        super().error(message)


def _shown_bytes(raw: bytes) -> str:
    """Invalid UTF-8 as printable escapes (``'\\xffabc'``), never the raw bytes; a long value only by where it goes
    wrong (it could be a key)."""
    text = raw.decode("utf-8", "replace")
    if len(raw) <= 40 and not looks_like_secret(text):
        return repr(raw)[1:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"(a value of {len(raw)} bytes, not shown: byte {raw[exc.start]:#04x} at position {exc.start})"
    return f"(a value of {len(raw)} bytes, not shown)"  # pragma: no cover - only undecodable values come here


def undecodable_argument(arguments: Sequence[str]) -> str | None:
    """The usage error for an argument that is not valid UTF-8 (Python hands it over with lone surrogates), or
    None. Says which option (or which argument) it was and shows the bad bytes escaped."""
    for index, argument in enumerate(arguments):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)
            where = f"argument {index + 1}"
            if argument.startswith("--") and b"=" in raw:
                name, raw = raw.split(b"=", 1)
                where = f"the value of {name.decode('utf-8', 'replace')}"
            elif index > 0 and arguments[index - 1].startswith("-"):
                where = f"the value of {sanitize(arguments[index - 1].encode('utf-8', 'replace').decode())}"
            return f"{where} is not valid UTF-8: {_shown_bytes(raw)}; retype it (imstui reads UTF-8 arguments)"
    return None


_URL = re.compile(r"https?://\S{1,2000}", re.IGNORECASE)
_REGION = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# What each connection option's value looks like; a value that does not fit is refused without being echoed
# (a key pasted into --region must not end up in a terminal log). Values that fit may be named back later.
_OPTION_SHAPES: dict[str, tuple[str, re.Pattern[str], str]] = {
    "region": ("--region", _REGION, "a region id such as ap-southeast-1"),
    "project_id": ("--project-id", _IDENTIFIER, "a project id (as IAM shows it: 32 hexadecimal digits)"),
    "profile": ("--profile", _IDENTIFIER, "a profile name (1-64 characters from A-Z a-z 0-9 _ . -)"),
    "endpoint": ("--endpoint", _URL, "a URL such as https://ims.ap-southeast-1.myhuaweicloud.com"),
    "iam_endpoint": ("--iam-endpoint", _URL, "a URL such as https://iam.ap-southeast-1.myhuaweicloud.com"),
}


def misshapen_option(namespace: argparse.Namespace) -> str | None:
    """The usage error for a connection option whose value is not shaped like one (or looks like a key), or None.
    The value itself is never in the message."""
    for key, (option, shape, expected) in _OPTION_SHAPES.items():
        value = getattr(namespace, key, None)
        if not isinstance(value, str):
            continue
        stripped = value.strip()
        if not stripped:
            return f"argument {option}: expected {expected}, got an empty value"
        secretish = key in ("project_id", "profile") and looks_like_secret(stripped)
        if secretish and key == "profile" and _is_stored_profile(stripped):
            secretish = False  # a stored profile may have any valid name, even one that looks like a key
        if not shape.fullmatch(stripped) or secretish:
            return f"argument {option}: expected {expected}; the value given ({len(value)} characters) is not shown"
    return None


def _is_stored_profile(name: str) -> bool:
    from imstui.core.profiles import ProfileStore

    try:
        return name in ProfileStore().names()
    except (ImstuiError, OSError, ValueError):
        return False


def redact_arguments(arguments: Sequence[str]) -> str:
    """Option names as typed (``--x=value`` shown as ``--x=…``); other words only counted."""
    shown = [a.split("=", 1)[0] + "=…" if "=" in a else a for a in arguments if a.startswith("-")]
    values = len(arguments) - len(shown)
    if values:
        shown.append(f"(and {values} value{'s' if values > 1 else ''}, not shown)")
    return " ".join(shown)


def add_command(
    subparsers: Any,
    common: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
    description: str,
    handler: Callable[[argparse.Namespace], int] | None = None,
    json_option: bool = True,
) -> argparse.ArgumentParser:
    """Register subcommand ``name`` with the common options, ``--json`` (one JSON document on stdout) and its
    handler; its parser (and any nested one) is a :class:`CommandParser`."""
    previous = subparsers._parser_class
    subparsers._parser_class = CommandParser
    try:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=[common], help=help, description=description
        )
    finally:
        subparsers._parser_class = previous
    if json_option:
        parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def exit_code_for(error: BaseException) -> int:
    """2 for what the operator must fix locally (input, configuration); 1 for everything the service said."""
    if isinstance(error, (LocalValidationError, ConfigurationError)):
        return EXIT_USAGE
    return EXIT_FAILURE


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def server_data_lines(problems: tuple[str, ...]) -> list[str]:
    """What the server sent that cannot be real (each such field is shown as unknown above), one line each."""
    if not problems:
        return []
    return [SERVER_DATA_UNKNOWN, *(f"  ! {problem}" for problem in problems)]


def image_to_dict(image: Image) -> dict[str, Any]:
    data: dict[str, Any] = _plain(dataclasses.asdict(image))
    data["is_encrypted"] = image.is_encrypted
    data["is_full_ecs"] = image.is_full_ecs
    data["is_iso"] = image.is_iso
    data["is_windows"] = image.is_windows
    return data


def job_to_dict(job: Job) -> dict[str, Any]:
    """The job's fields, plus the catalogue's ``error_meaning`` / ``error_next_step`` when its code is known."""
    data: dict[str, Any] = _plain(dataclasses.asdict(job))
    data["is_terminal"] = job.is_terminal
    data["phase"] = live_job_phase(job).value  # the phase word of `imstui jobs --json` (status stays IMS's)
    info = describe(job.error_code, job.fail_reason)
    if info is not None:
        data["error_meaning"] = info.meaning
        data["error_next_step"] = info.next_step
    return data


def condition_to_dict(condition: Condition) -> dict[str, str]:
    return {"key": condition.key, "title": condition.title, "detail": condition.detail}


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    return {
        "ok": verdict.ok,
        "blocking": [condition_to_dict(c) for c in verdict.blocking],
        "warnings": [condition_to_dict(c) for c in verdict.warnings],
    }


def error_to_dict(error: BaseException) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type(error).__name__, "message": str(getattr(error, "message", error))}
    if isinstance(error, ApiError):
        data.update(status=error.status, code=error.code, kind=error.kind, request_id=error.request_id)
        if error.retry_after is not None:
            data["retry_after"] = error.retry_after
        info = describe(error.code, error.message)
        if info is not None:
            data.update(meaning=info.meaning, next_step=info.next_step)
    elif isinstance(error, (ProtocolError, JobNotFoundError)):
        data["request_id"] = error.request_id
    if isinstance(error, LocalValidationError):
        data.update(field=error.field, rule=error.rule)
    return data


def format_progress(job: Job) -> str:
    """A job IMS just described, in the shared words: ``● RUNNING 42% — copying``."""
    return live_job_status(job, ascii=needs_ascii(sys.stdout))


class Output:
    """Where a command writes. ``json_mode`` keeps stdout for a single JSON document."""

    def __init__(self, json_mode: bool, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._document_written = False

    def line(self, text: str = "") -> None:
        """Human result text (suppressed in JSON mode, where the document carries the facts)."""
        if not self.json_mode:
            print(text, file=self.stdout)

    def progress(self, text: str) -> None:
        """A progress line: stdout for humans, stderr in JSON mode (stdout holds only the document)."""
        print(text, file=self.stderr if self.json_mode else self.stdout, flush=True)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=self.stderr)

    def document(self, doc: dict[str, Any]) -> None:
        if self.json_mode and not self._document_written:
            self._document_written = True
            print(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False), file=self.stdout)

    def error(self, error: BaseException, *, extra: dict[str, Any] | None = None) -> int:
        """Print ``error`` on stderr (and as the JSON document); return the exit code."""
        for text in describe_error(error):
            print(text, file=self.stderr)
        doc: dict[str, Any] = {"ok": False, "error": error_to_dict(error)}
        if extra:
            doc.update(extra)
        self.document(doc)
        return exit_code_for(error)

    def violations(self, violations: dict[str, Violation], *, extra: dict[str, Any] | None = None) -> int:
        """Local validation failures: nothing was sent. Exit code 2."""
        for field, violation in violations.items():
            print(f"error: {field}: {violation.message} [rule {violation.rule}]", file=self.stderr)
        print("nothing was sent", file=self.stderr)
        doc: dict[str, Any] = {
            "ok": False,
            "error": {
                "type": "LocalValidationError",
                "message": "; ".join(f"{f}: {v.message}" for f, v in violations.items()),
                "violations": [{"field": f, "rule": v.rule, "message": v.message} for f, v in violations.items()],
            },
        }
        if extra:
            doc.update(extra)
        self.document(doc)
        return EXIT_USAGE


def describe_error(error: BaseException) -> list[str]:
    lines: list[str] = []
    if isinstance(error, ApiError):
        lines.append(f"error: {error.code} (HTTP {error.status}): {error.message}")
        if error.request_id:
            lines.append(f"  request id: {error.request_id}")
        info = describe(error.code, error.message)
        if info is not None:
            lines.append(f"  meaning: {info.meaning}")
            lines.append(f"  next step: {info.next_step}")
        return lines
    lines.append(f"error: {getattr(error, 'message', None) or error}")
    request_id = getattr(error, "request_id", None)
    if request_id:
        lines.append(f"  request id: {request_id}")
    return lines


def conditions_lines(conditions: Iterable[Condition], bullet: str) -> list[str]:
    lines: list[str] = []
    for condition in conditions:
        lines.append(f"  {bullet} {condition.title}")
        lines.append(f"      {condition.detail}")
    return lines


def run_command(out: Output, main: Callable[[], Awaitable[int]]) -> int:
    """Run a command's coroutine; imstui errors become messages and exit codes, never tracebacks."""
    return asyncio.run(_guarded(out, main))


async def _guarded(out: Output, main: Callable[[], Awaitable[int]]) -> int:
    try:
        return await main()
    except ImstuiError as error:
        return out.error(error)
