"""``imstui jobs``: the local job ledger from the command line.

    imstui jobs [--all | --failed | --running] [--since DATE|30d] [--json]
                                                             list (profile-scoped with --profile / --demo); by
                                                             default: jobs in flight, those needing attention in
                                                             the last 7 days and the latest 20
    imstui jobs watch [--timeout 15m] [--json]               poll until every outstanding job has ended
    imstui jobs forget JOB_ID [--yes]                        remove a row (JOB_ID, or #ROW for rows without one)
    imstui jobs import JOB_ID                                track a job submitted elsewhere
    imstui jobs export --format csv|json                     the whole ledger on stdout

Listing reads the ledger only (no network, no credentials) and prints rows as it reads them
(:mod:`imstui.commands.jobs_list`). ``watch`` prints one line per change and exits 0 when every job it followed
succeeded, 1 when any failed or vanished, 124 when ``--timeout`` ran out first (the jobs go on). No Textual
import on this path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from imstui.api.catalogue import describe
from imstui.api.errors import ImstuiError
from imstui.api.sanitize import sanitize
from imstui.commands.deadline import Deadline, add_timeout_argument, timed_out_line
from imstui.commands.jobs_list import (
    DEMO_PROFILE,
    RECENT,
    clip,
    open_ledger,
    record_to_dict,
    run_export,
    run_list,
    since_argument,
    table_lines,
    warn_damaged,
)
from imstui.commands.output import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Output,
    add_command,
    run_command,
)
from imstui.core.account import endpoint_of
from imstui.core.jobs import OUTSTANDING, Phase, is_outstanding, phase_of
from imstui.core.ledger import JobRecord, Ledger, LedgerError
from imstui.core.poller import JobChanged, PollerEvent, PollerStatus, VirtualTime
from imstui.core.session import PollerTiming, Session
from imstui.core.wording import format_progress, look_of, needs_ascii, poller_sentence, said_back, tags_sentence

ENV_PROFILE_FALLBACK = "env"  # jobs submitted with environment credentials and no stored profile


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
    parser.add_argument(
        "--since",
        type=since_argument,
        metavar="DATE",
        help="jobs submitted since DATE (2026-11-01) or within an age (30d, 12h, 2w); with a filter, its jobs",
    )
    parser.set_defaults(handler=run_list, only=None)
    sub = parser.add_subparsers(dest="jobs_command", metavar="ACTION")

    watch = sub.add_parser("watch", parents=[common], help="poll until every outstanding job has ended")
    watch.add_argument("--json", action="store_true", help="progress on stderr, one JSON document at the end")
    add_timeout_argument(watch)
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
async def _session(args: argparse.Namespace, timing: dict[str, Any] | None = None) -> AsyncIterator[Session]:
    """The session (ledger, client, poller of the profile) for the commands that talk to IMS (``watch``,
    ``import``), opened by the factory the console uses too; ``timing`` is :func:`poller_timing`'s. A ledger that
    cannot be opened is an ``ImstuiError`` (reported by ``run_command``, exit 1)."""
    from imstui.connect import session_for_args

    try:
        session = session_for_args(args, profile=ledger_profile(args), timing=PollerTiming(**timing or {}))
    except LedgerError as exc:
        raise ImstuiError(str(exc)) from None
    async with session:
        yield session


# ---------------------------------------------------------------------------------------------------------- watch


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%H:%M:%S")


def change_line(record: JobRecord, *, ascii: bool) -> str:
    look = look_of(record)
    parts = [_stamp(), clip(record.label, 34), look.text(ascii=ascii)]
    if record.progress is not None and look.phase in OUTSTANDING:
        parts.append(format_progress(record.progress))
    if record.name:
        parts.append(f"name={clip(record.name, 64)}")
    if look.phase is Phase.SUCCEEDED and record.new_image_id:
        parts.append(f"new_image={clip(record.new_image_id, 64)}")
    if record.error_code or (look.phase is Phase.FAILED and record.fail_reason):
        parts.append(f"error={clip(record.error_code or '-', 20)}: {clip(record.fail_reason, 200)}")
    elif look.phase is Phase.GONE:
        parts.append("(the server no longer knows this job; last known state shown)")
    elif record.last_poll_error:
        parts.append(f"(status check failed: {clip(record.last_poll_error, 160)}; last known state kept)")
    tags = tags_sentence(record.tags_state, len(record.tags), record.tags_error)
    if tags is not None:
        parts.append(clip(tags, 240))
    return "  ".join(parts)


def _say_unknown_outcomes(out: Output, ledger: Ledger, profile: str) -> None:
    """Copies of the last days whose outcome is unknown (e.g. a ``copy`` killed mid-POST, swept when the ledger
    was opened): not followed (no job id), so say where they are."""
    now = datetime.now(timezone.utc)
    unknown = [
        r
        for r in ledger.list(profile, only="failed")
        if phase_of(r) is Phase.OUTCOME_UNKNOWN and now - r.submitted_at <= RECENT
    ]
    if unknown:
        out.warn(
            f"{len(unknown)} copy request(s) of profile {profile} have an unknown outcome and no job id to follow; "
            "check them with imstui jobs --failed before submitting again"
        )


def run_watch(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    ascii = needs_ascii(out.stderr if out.json_mode else out.stdout)

    async def main() -> int:
        deadline = Deadline(getattr(args, "timeout", None), poller_timing())
        timing = deadline.timing
        async with _session(args, timing) as session:
            ledger, client, poller, profile = session.ledger, session.api, session.poller, session.profile
            poller_now: Callable[[], datetime] = timing.get("now") or (lambda: datetime.now(timezone.utc))
            start = [r for r in ledger.outstanding(profile) if r.region == client.region]
            _say_unknown_outcomes(out, ledger, profile)
            if not start:
                tagged = await session.tagger.tag_pending()  # succeeded copies whose tags were left pending
                for record in tagged:
                    out.progress(change_line(record, ascii=ascii))
                out.line(f"no outstanding jobs for profile {profile}")
                untagged = [r for r in tagged if r.tags_state != "applied"]
                out.document({"ok": not untagged, "profile": profile, "jobs": [record_to_dict(r) for r in tagged]})
                return EXIT_FAILURE if untagged else EXIT_OK
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
            ids = [r.job_id for r in start if r.job_id]
            records = await deadline.race(poller.run_until_done(give_up_on_fatal=True), poller.stop)
            if reader_gone[0]:
                raise BrokenPipeError  # ends quietly in cli.main (exit 141)
            if records is None:  # --timeout: what the ledger knows now; the jobs go on server-side
                records = [r for r in (ledger.get(i) for i in ids) if r is not None]
            else:  # the tags of the copies that succeeded: applied (or failed) before the watch ends
                await session.tagger.drain()
                records = [ledger.get_row(r.row_id) or r for r in records]
        running = [r for r in records if is_outstanding(r)]
        if deadline.expired and running:
            assert deadline.seconds is not None
            out.document(
                {"ok": False, "timed_out": True, "profile": profile, "jobs": [record_to_dict(r) for r in records]}
            )
            out.progress(timed_out_line(deadline.seconds, len(running)))
            return EXIT_TIMEOUT
        failed = [r for r in records if phase_of(r) is not Phase.SUCCEEDED or r.tags_state == "failed"]
        out.document({"ok": not failed, "profile": profile, "jobs": [record_to_dict(r) for r in records]})
        ok = len(records) - len(failed)
        out.line(f"{ok} succeeded, {len(failed)} did not" + (":" if failed else ""))
        for record in failed:
            info = describe(record.error_code, record.fail_reason)
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
    ledger = open_ledger(out)
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
                f"Forget {record.label} ({look_of(record).word}, {clip(record.name, 40) or 'no name'})? "
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
        async with _session(args) as session:
            ledger, client = session.ledger, session.api
            project_id = await client.ensure_project_id()
            record = ledger.import_job(
                job_id, ledger_profile(args), client.region, project_id, endpoint=endpoint_of(client)
            )
        out.line(f"following {record.label} (profile {record.profile}); see it with: imstui jobs watch")
        return EXIT_OK

    return run_command(out, main)


__all__ = [
    "change_line",
    "ledger_profile",
    "poller_timing",
    "record_to_dict",
    "register",
    "table_lines",
    "warn_damaged",
]
