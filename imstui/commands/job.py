"""``imstui job JOB_ID [--json]``: the status of an IMS job (progress, new image id, or failure reason)."""

from __future__ import annotations

import argparse
from typing import Any

from imstui.api.catalogue import explain
from imstui.api.models import Job, JobStatus
from imstui.commands.output import (
    EXIT_FAILURE,
    EXIT_OK,
    Output,
    add_command,
    format_progress,
    job_to_dict,
    run_command,
)
from imstui.core.context import open_client
from imstui.core.validation import check_job_id


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


def job_lines(job: Job) -> list[str]:
    rows = [
        ("Job", job.job_id),
        ("Type", job.job_type or "unknown"),
        ("Status", format_progress(job)),
        ("Started", job.begin_time or "-"),
        ("Ended", job.end_time or "-"),
    ]
    if job.new_image_id or job.image_name:
        rows.append(
            (
                "New image",
                " ".join(x for x in (job.new_image_id, f"({job.image_name})" if job.image_name else None) if x),
            )
        )
    if job.status is JobStatus.FAIL or job.error_code or job.fail_reason:
        rows.append(("Error code", job.error_code or "none given"))
        rows.append(("Reason", (job.fail_reason or "none given").replace("\n", " ")))
        info = explain(job.error_code)
        if info is not None:
            rows.append(("Meaning", info.meaning))
            rows.append(("Next step", info.next_step))
    width = max(len(label) for label, _ in rows)
    return [f"{label + ':':<{width + 1}} {value}" for label, value in rows]


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
        out.document(job_document(job))
        for text in job_lines(job):
            out.line(text)
        return EXIT_FAILURE if job.status is JobStatus.FAIL else EXIT_OK

    return run_command(out, main)
