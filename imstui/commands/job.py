"""``imstui job JOB_ID [--report] [--retry-tags] [--json]``: the status of an IMS job (progress, new image id, or
failure reason), and for a copy in this host's ledger, how its tags stand ("tags applied (2)", "tags pending",
"copied, tags not applied: CODE message").

``--report`` prints the incident report the console copies with ``y`` (ids, region, project, status, error and
its explanation, UTC times) for a job in this host's ledger, brought up to date with what IMS just said.
``--retry-tags`` applies a succeeded copy's tags again after they failed (or are still pending) — never the copy.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from imstui.api.catalogue import explain
from imstui.api.errors import ImstuiError
from imstui.api.models import Job, JobStatus
from imstui.commands.output import (
    EXIT_FAILURE,
    EXIT_OK,
    Output,
    add_command,
    job_to_dict,
    run_command,
    server_data_lines,
)
from imstui.connect import open_client
from imstui.core.ledger import JobRecord, Ledger, LedgerError
from imstui.core.report import incident_summary, job_report_lines
from imstui.core.validation import check_job_id
from imstui.core.wording import TAGS_RETRY_HINT, needs_ascii, tags_sentence


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "job",
        help="show the status of an image job",
        description="Print an IMS job's status, progress and result. Exit 0 when the job is found and has not "
        "failed, 1 when it failed, its tags could not be applied, or on an API error (unknown or purged job "
        "included), 2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("job_id", metavar="JOB_ID", help="the job ID returned by a copy")
    parser.add_argument(
        "--report", action="store_true", help="print the incident report for a ticket (as the console's y copies)"
    )
    parser.add_argument(
        "--retry-tags",
        action="store_true",
        help="apply the copy's tags to its new image again (they failed or are pending); the copy is not repeated",
    )


def job_lines(job: Job, *, ascii: bool = False) -> list[str]:
    """The job in the incident summary's labels and words (``status: ● RUNNING 42%``, ``error:``, ``next step:``)."""
    return job_report_lines(job, explain, ascii=ascii) + server_data_lines(job.problems)


def ledger_report(job: Job) -> str | None:
    """The incident report of ``job``'s ledger row, updated with ``job`` (None when the ledger does not know it)."""
    try:
        with Ledger() as ledger:
            record = ledger.update_from_job(job.job_id, job, datetime.now(timezone.utc))
    except LedgerError as exc:
        raise ImstuiError(str(exc)) from None
    return incident_summary(record, explain) if record is not None else None


def job_document(job: Job) -> dict[str, Any]:
    return {"ok": job.status is not JobStatus.FAIL, "job": job_to_dict(job)}


def tags_fields(record: JobRecord) -> dict[str, Any]:
    """The ledger row's tags for the JSON document (``tags`` as ``[[key, value], ...]``)."""
    return {
        "tags": [[t.key, t.value] for t in record.tags],
        "tags_state": record.tags_state,
        "tags_error": record.tags_error,
    }


def tags_line(record: JobRecord) -> str | None:
    said = tags_sentence(record.tags_state, len(record.tags), record.tags_error)
    if said is None:
        return None
    if record.tags_state == "applied":
        return f"tags:     {said}: {', '.join(str(t) for t in record.tags)}"
    if record.tags_state == "failed":
        return f"tags:     {said}\n          {TAGS_RETRY_HINT.replace('JOB', record.job_id or '')}"
    return f"tags:     {said}: {', '.join(str(t) for t in record.tags)} (applied once the job succeeds)"


async def _ledger_row(client: Any, job: Job, retry_tags: bool) -> tuple[JobRecord | None, str | None]:
    """This host's ledger row of ``job`` brought up to date, its tags applied again with ``retry_tags``; and
    why a retry was refused (None: not refused)."""
    from imstui.core.session import tag_with
    from imstui.core.tagging import Tagger

    try:
        with Ledger() as ledger:
            if not retry_tags:  # only read: the status answer is stored by --report (once), as before
                return ledger.get(job.job_id), None
            record = ledger.update_from_job(job.job_id, job, datetime.now(timezone.utc))
            if record is None:
                return None, "this job is not in this host's ledger: no tags were recorded for it"
            if not record.tags:
                return record, "this copy was submitted without tags"
            if record.tags_state == "applied":
                return record, "its tags are already applied"
            if not (record.status is JobStatus.SUCCESS and record.new_image_id):
                return record, "the copy has not succeeded yet: its tags are applied once it does"
            tagger = Tagger(ledger, tag_with(client))
            return await tagger.retry(record.row_id), None
    except LedgerError as exc:
        if not retry_tags:  # the job's status is what was asked for: an unreadable ledger does not stop it
            return None, None
        raise ImstuiError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    job_id = (args.job_id or "").strip()
    violation = check_job_id(job_id)
    if violation is not None:
        return out.violations({"job_id": violation})

    retry_tags = bool(getattr(args, "retry_tags", False))

    async def main() -> int:
        async with open_client(args) as client:
            job = await client.get_job(job_id)
            record, refused = await _ledger_row(client, job, retry_tags)
        if refused is not None:
            print(f"error: cannot retry the tags of job {job_id}: {refused}", file=out.stderr)
        report = ledger_report(job) if getattr(args, "report", False) else None
        document = job_document(job)
        if record is not None and record.tags_state is not None:
            document.update(tags_fields(record))
            document["ok"] = document["ok"] and record.tags_state != "failed"
        if report is not None:
            document["report"] = report
        out.document(document)
        if report is not None:
            out.line(report.rstrip("\n"))
        else:
            if getattr(args, "report", False):
                out.warn("this job is not in this host's ledger: the report is what IMS said")
            for text in job_lines(job, ascii=needs_ascii(out.stdout)):
                out.line(text)
        said = tags_line(record) if record is not None else None
        if said is not None:
            out.line(said)
        if refused is not None:
            return EXIT_FAILURE
        tags_failed = record is not None and record.tags_state == "failed"
        return EXIT_FAILURE if job.status is JobStatus.FAIL or tags_failed else EXIT_OK

    return run_command(out, main)
