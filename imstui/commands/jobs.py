"""``imstui jobs``: the local job ledger from the command line.

    imstui jobs [--all | --failed | --running] [--json]     list (profile-scoped with --profile / --demo)
    imstui jobs watch [--json]                               poll until every outstanding job has ended
    imstui jobs forget JOB_ID [--yes]                        remove a row (JOB_ID, or #ROW for rows without one)
    imstui jobs import JOB_ID                                track a job submitted elsewhere
    imstui jobs export --format csv|json                     the whole ledger on stdout

Listing reads the ledger only (no network, no credentials). ``watch`` prints one line per change and exits 0 when
every job it followed succeeded, 1 when any failed or vanished. No Textual import on this path.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, fields
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, TextIO

from imstui.api.catalogue import explain
from imstui.api.errors import ImstuiError
from imstui.api.protocol import ImsApi
from imstui.api.sanitize import sanitize
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Output, add_command, run_command
from imstui.core.jobs import OUTSTANDING, ListFilter, Phase, filter_phases, is_outstanding, needs_attention, phase_of
from imstui.core.ledger import DamagedRow, JobRecord, Ledger, LedgerError
from imstui.core.poller import JobChanged, Poller, PollerEvent, PollerStatus, VirtualTime
from imstui.core.wording import format_age, format_progress, look_of, needs_ascii, poller_sentence, said_back

DEMO_PROFILE = "demo"
ENV_PROFILE_FALLBACK = "env"  # jobs submitted with environment credentials and no stored profile
RECENT = timedelta(days=7)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "jobs",
        help="list, watch, forget or export the copy jobs imstui knows about",
        description=__doc__ or "",
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # the usage block above keeps its lines
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", dest="only", action="store_const", const="all", help="every row, however old")
    which.add_argument(
        "--failed", dest="only", action="store_const", const="failed", help="failed, rejected or unknown outcome"
    )
    which.add_argument(
        "--running", dest="only", action="store_const", const="running", help="jobs still running or being sent"
    )
    parser.set_defaults(handler=run_list, only=None)
    sub = parser.add_subparsers(dest="jobs_command", metavar="ACTION")

    watch = sub.add_parser("watch", parents=[common], help="poll until every outstanding job has ended")
    watch.add_argument("--json", action="store_true", help="progress on stderr, one JSON document at the end")
    watch.set_defaults(handler=run_watch)

    forget = sub.add_parser("forget", parents=[common], help="remove a job from the local ledger (not from IMS)")
    forget.add_argument("job_id", metavar="JOB_ID", help="a job id, or #ROW for a submission without a job id")
    forget.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(handler=run_forget)

    imp = sub.add_parser("import", parents=[common], help="follow a job id submitted elsewhere")
    imp.add_argument("job_id", metavar="JOB_ID")
    imp.set_defaults(handler=run_import)

    export = sub.add_parser("export", parents=[common], help="write the ledger as CSV or JSON on stdout")
    export.add_argument("--format", choices=("csv", "json"), default="json", dest="export_format")
    export.set_defaults(handler=run_export)


# ---------------------------------------------------------------------------------------------------------- helpers


def ledger_profile(args: argparse.Namespace) -> str:
    """The ledger profile name for this invocation: ``demo`` with --demo, else the active stored profile
    (--profile, $IMSTUI_PROFILE, the default one), else ``env`` (environment credentials, no profile)."""
    if getattr(args, "demo", False):
        return DEMO_PROFILE
    explicit = getattr(args, "profile", None)
    try:
        from imstui.core.profiles import ProfileStore

        name = ProfileStore().active_name(explicit)
    except (ImportError, ImstuiError, ValueError, OSError):
        name = explicit
    return name or ENV_PROFILE_FALLBACK


def _scope(args: argparse.Namespace) -> str | None:
    """Listing scope: only a profile named explicitly (--profile / --demo); otherwise every profile."""
    if getattr(args, "demo", False):
        return DEMO_PROFILE
    return getattr(args, "profile", None) or None


def _clip(text: str | None, width: int) -> str:
    value = sanitize(text or "")
    return value if len(value) <= width else value[: width - 1] + "…"


def record_to_dict(record: JobRecord) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        data[f.name] = value
    look = look_of(record)
    data["phase"] = look.phase.value
    data["status_text"] = look.word.lower()  # the console's word, lower-case (as before the words were unified)
    info = explain(record.error_code)
    if info is not None:
        data["error_meaning"] = info.meaning
        data["error_next_step"] = info.next_step
    return data


def table_lines(records: Iterable[JobRecord], *, show_profile: bool, ascii: bool, now: datetime) -> list[str]:
    header = ["STATUS", "PROGRESS", "AGE", "JOB", "NEW IMAGE NAME", "SOURCE", "CODE"]
    if show_profile:
        header.append("PROFILE")
    rows = [header]
    for r in records:
        progress = format_progress(r.progress, ascii=ascii)
        if r.last_poll_error and is_outstanding(r):
            progress += " (poll error)"
        row = [
            look_of(r).text(ascii=ascii),
            progress,
            format_age((now - r.submitted_at).total_seconds()),
            _clip(r.label, 34),
            _clip(r.name, 32) or "-",
            _clip(r.source_image_name or r.source_image_id, 28) or "-",
            _clip(r.error_code, 16) or "-",
        ]
        if show_profile:
            row.append(_clip(r.profile, 20))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def poller_timing(start: datetime | None = None) -> dict[str, Any]:
    """The :class:`Poller`'s clock arguments: real time, or virtual time (from ``start``, default now) when a test
    replaced the commands' sleep (``client_overrides(sleep=...)``)."""
    from imstui.core.context import current_overrides

    override = current_overrides().sleep
    if override is None:
        return {}
    virtual = VirtualTime(override, start=start)
    return {"clock": virtual.clock, "sleep": virtual.sleep, "now": virtual.now}


@asynccontextmanager
async def _ledger_and_client(args: argparse.Namespace) -> AsyncIterator[tuple[Ledger, ImsApi]]:
    """The ledger and a client for the commands that talk to IMS (``watch``, ``import``); a ledger that cannot be
    opened is an ``ImstuiError`` (reported by ``run_command``, exit 1)."""
    from imstui.core.context import open_client

    try:
        ledger = Ledger()
    except LedgerError as exc:
        raise ImstuiError(str(exc)) from None
    with ledger:
        async with open_client(args) as client:
            yield ledger, client


def _open_ledger(out: Output) -> Ledger | None:
    try:
        return Ledger()
    except LedgerError as exc:
        out.error(ImstuiError(str(exc)))
        return None


# ---------------------------------------------------------------------------------------------------------- list


def run_list(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    ledger = _open_ledger(out)
    if ledger is None:
        return EXIT_FAILURE
    with ledger:
        scope = _scope(args)
        only: ListFilter = args.only or "all"
        wanted = filter_phases(only)  # the console's filters: --failed lists what its failed-only view (f) lists
        records = [r for r in ledger.list(scope) if phase_of(r) in wanted]
        damaged = ledger.damaged(scope)
    warn_damaged(out, damaged)
    now = datetime.now(timezone.utc)
    if args.only is None:  # default view: the last week, plus anything unfinished or needing attention
        records = [r for r in records if now - r.submitted_at <= RECENT or is_outstanding(r) or needs_attention(r)]
    jobs = [record_to_dict(r) for r in records]
    out.document({"ok": True, "profile": scope, "filter": only, "jobs": jobs, "damaged": [asdict(d) for d in damaged]})
    if not records:
        out.line("no jobs" + (f" for profile {scope}" if scope else "") + (f" ({only})" if args.only else ""))
        return EXIT_OK
    for text in table_lines(records, show_profile=scope is None, ascii=needs_ascii(out.stdout), now=now):
        out.line(text)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------------- watch


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%H:%M:%S")


def change_line(record: JobRecord, *, ascii: bool) -> str:
    look = look_of(record)
    parts = [_stamp(), _clip(record.label, 34), look.text(ascii=ascii)]
    if record.progress is not None and look.phase in OUTSTANDING:
        parts.append(format_progress(record.progress))
    if record.name:
        parts.append(f"name={_clip(record.name, 64)}")
    if look.phase is Phase.SUCCEEDED and record.new_image_id:
        parts.append(f"new_image={_clip(record.new_image_id, 64)}")
    if record.error_code or (look.phase is Phase.FAILED and record.fail_reason):
        parts.append(f"error={_clip(record.error_code or '-', 20)}: {_clip(record.fail_reason, 200)}")
    elif look.phase is Phase.GONE:
        parts.append("(the server no longer knows this job; last known state shown)")
    elif record.last_poll_error:
        parts.append(f"(status check failed: {_clip(record.last_poll_error, 160)}; last known state kept)")
    return "  ".join(parts)


def run_watch(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    ascii = needs_ascii(out.stderr if out.json_mode else out.stdout)

    async def main() -> int:
        async with _ledger_and_client(args) as (ledger, client):
            profile = ledger_profile(args)
            timing = poller_timing()
            poller = Poller(client, ledger, profile=profile, **timing)
            poller_now: Callable[[], datetime] = timing.get("now") or (lambda: datetime.now(timezone.utc))
            start = [r for r in ledger.outstanding(profile) if r.region == client.region]
            if not start:
                out.line(f"no outstanding jobs for profile {profile}")
                out.document({"ok": True, "profile": profile, "jobs": []})
                return EXIT_OK
            out.progress(f"watching {len(start)} job(s) of profile {profile} (Ctrl+C stops watching, not the jobs)")
            for record in start:
                out.progress(change_line(record, ascii=ascii))

            said = [""]
            reader_gone = [False]

            def say(event: PollerEvent) -> None:
                # A failed poll shows up as a JobChanged carrying the error text (last good status kept).
                if isinstance(event, JobChanged):
                    out.progress(change_line(event.record, ascii=ascii))
                elif isinstance(event, PollerStatus):  # say when (and until when) the poller backs off, once
                    sentence = poller_sentence(event, poller_now())
                    if sentence.startswith(("backing off", "throttled")) and sentence != said[0]:
                        out.progress(f"{_stamp()}  {sentence}")
                    said[0] = sentence

            def on_event(event: PollerEvent) -> None:
                try:
                    say(event)
                except BrokenPipeError:  # `jobs watch | head`: nobody reads any more, so stop polling for them
                    reader_gone[0] = True
                    poller.stop()

            poller.subscribe(on_event)
            # Transient trouble (5xx, 429, timeouts) is ridden out; a refusal (401/403) ends the watch.
            records = await poller.run_until_done(give_up_on_fatal=True)
            if reader_gone[0]:
                raise BrokenPipeError  # ends quietly in cli.main (exit 141)
        failed = [r for r in records if phase_of(r) is not Phase.SUCCEEDED]
        out.document({"ok": not failed, "profile": profile, "jobs": [record_to_dict(r) for r in records]})
        ok = len(records) - len(failed)
        out.line(f"{ok} succeeded, {len(failed)} did not" + (":" if failed else ""))
        for record in failed:
            info = explain(record.error_code)
            hint = f" — {info.meaning} {info.next_step}" if info is not None else ""
            out.line(f"  {change_line(record, ascii=ascii)}{hint}")
        return EXIT_FAILURE if failed else EXIT_OK

    return run_command(out, main)


# ---------------------------------------------------------------------------------------------------------- forget


def _find(ledger: Ledger, ref: str) -> JobRecord | None:
    ref = ref.strip()
    record = ledger.get(ref)
    if record is None and ref.lstrip("#").isdigit() and len(ref.lstrip("#")) < 12:
        record = ledger.get_row(int(ref.lstrip("#")))
    return record


def warn_damaged(out: Output, damaged: Sequence[DamagedRow]) -> None:
    """Rows the ledger cannot read, on stderr: each with its reason, then how to keep what can be read."""
    for row in damaged:
        out.warn(row.describe())
    if damaged:
        out.warn(
            f"imstui jobs export saves every readable row; imstui jobs forget '#{damaged[0].row_id}' --yes "
            "removes a damaged row"
        )


def _forget_damaged(ledger: Ledger, ref: str, *, yes: bool) -> int:
    """``forget #ROW`` of a row the ledger cannot read (it has no record to show or confirm)."""
    digits = ref.strip().lstrip("#")
    row = next((d for d in ledger.damaged() if digits.isdigit() and d.row_id == int(digits[:12])), None)
    if row is None:
        print(f"error: no job {said_back(ref)} in the ledger", file=sys.stderr)
        return EXIT_FAILURE
    if not yes:
        print(f"error: {row.describe()}; pass --yes to remove it", file=sys.stderr)
        return EXIT_USAGE
    removed = row.row_id is not None and ledger.forget_row(row.row_id)
    print(f"forgot damaged ledger row #{row.row_id}" if removed else f"ledger row #{row.row_id} was already gone")
    return EXIT_OK


def run_forget(args: argparse.Namespace) -> int:
    out = Output(False)
    ledger = _open_ledger(out)
    if ledger is None:
        return EXIT_FAILURE
    with ledger:
        record = _find(ledger, args.job_id)
        if record is None:
            return _forget_damaged(ledger, args.job_id, yes=args.yes)
        if not args.yes:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                print("error: not a terminal: pass --yes to forget without confirmation", file=sys.stderr)
                return EXIT_USAGE
            prompt = (
                f"Forget {record.label} ({look_of(record).word}, {_clip(record.name, 40) or 'no name'})? "
                "This only removes it from imstui's list; the job and image in IMS are not touched. [y/N] "
            )
            try:
                answer = input(prompt)
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing forgotten")
                return EXIT_OK
        removed = ledger.forget(record.job_id) if record.job_id else ledger.forget_row(record.row_id)
    print(f"forgot {record.label}" if removed else f"{record.label} was already gone")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------------- import


def run_import(args: argparse.Namespace) -> int:
    out = Output(False)
    job_id = sanitize(args.job_id or "").strip()
    from imstui.core.validation import check_job_id

    violation = check_job_id(job_id)
    if violation is not None:
        return out.violations({"job_id": violation})

    async def main() -> int:
        async with _ledger_and_client(args) as (ledger, client):
            project_id = await client.ensure_project_id()
            record = ledger.import_job(job_id, ledger_profile(args), client.region, project_id)
        out.line(f"following {record.label} (profile {record.profile}); see it with: imstui jobs watch")
        return EXIT_OK

    return run_command(out, main)


# ---------------------------------------------------------------------------------------------------------- export

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = sanitize(str(value), multiline=True).replace("\n", " ")
    if text.startswith(_FORMULA_START):  # a spreadsheet must not run server-supplied text as a formula
        text = "'" + text
    return text


def export_csv(records: Iterable[JobRecord], stream: TextIO) -> None:
    names = [f.name for f in fields(JobRecord)]
    writer = csv.writer(stream, lineterminator="\n")
    extra = ["status_text", "phase"]
    writer.writerow([*names, *extra])
    for record in records:
        data = record_to_dict(record)
        writer.writerow([_csv_cell(data[name]) for name in [*names, *extra]])


def run_export(args: argparse.Namespace) -> int:
    out = Output(False)
    ledger = _open_ledger(out)
    if ledger is None:
        return EXIT_FAILURE
    with ledger:
        records = ledger.list(_scope(args))
        warn_damaged(out, ledger.damaged(_scope(args)))
    if args.export_format == "csv":
        buffer = io.StringIO()
        export_csv(records, buffer)
        sys.stdout.write(buffer.getvalue())
    else:
        json.dump([record_to_dict(r) for r in records], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    sys.stdout.flush()
    return EXIT_OK


__all__ = ["change_line", "ledger_profile", "poller_timing", "record_to_dict", "register", "table_lines"]
