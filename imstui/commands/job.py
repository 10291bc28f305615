"""``imstui job JOB_ID [--report] [--json]``: the status of an IMS job (progress, new image id, or failure reason).

``--report`` prints the incident report the console copies with ``y`` (ids, region, project, status, error and
its explanation, UTC times) for a job in this host's ledger, brought up to date with what IMS just said.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from imstui.api.catalogue import explain
from imstui.api.errors import ImstuiError
from imstui.api.models import Job, JobStatus
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, Output, add_command, job_to_dict, run_command
from imstui.connect import open_client
from imstui.core.ledger import Ledger, LedgerError
from imstui.core.report import incident_summary, job_report_lines
from imstui.core.validation import check_job_id
from imstui.core.wording import needs_ascii


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "job",
        help="show the status of an image job",
        description="Print an IMS job's status, progress and result. Exit 0 when the job is found and has not "
        "failed, 1 when it failed or on an API error (unknown or purged job included), 2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("job_id", metavar="JOB_ID", help="the job ID returned by a copy")
    parser.add_argument(
        "--report", action="store_true", help="print the incident report for a ticket (as the console's y copies)"
    )


def job_lines(job: Job, *, ascii: bool = False) -> list[str]:
    """The job in the incident summary's labels and words (``status: ● RUNNING 42%``, ``error:``, ``next step:``)."""
    return job_report_lines(job, explain, ascii=ascii)


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


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    job_id = (args.job_id or "").strip()
    violation = check_job_id(job_id)
    if violation is not None:
        return out.violations({"job_id": violation})

    async def main() -> int:
        async with open_client(args) as client:
            job = await client.get_job(job_id)
        report = ledger_report(job) if getattr(args, "report", False) else None
        document = job_document(job)
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
        return EXIT_FAILURE if job.status is JobStatus.FAIL else EXIT_OK

    return run_command(out, main)
