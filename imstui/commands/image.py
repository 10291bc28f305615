"""``imstui image IMAGE_ID [--json]``: an image's attributes and whether it can be copied within its region."""

from __future__ import annotations

import argparse
from typing import Any

from imstui.api.models import Image
from imstui.commands.output import (
    EXIT_OK,
    Output,
    add_command,
    conditions_lines,
    image_to_dict,
    run_command,
    server_data_lines,
    verdict_to_dict,
)
from imstui.connect import open_client
from imstui.core.eligibility import QuotaReading, Verdict, assess, read_quota
from imstui.core.validation import check_image_id, normalise_image_id
from imstui.core.wording import format_size


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "image",
        help="show an image and whether it can be copied within its region",
        description="Look an image up by ID, print its attributes and the copy verdict (blocking conditions "
        "and warnings). Exit 0 when found, 1 on an API error or unknown image, 2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("image_id", metavar="IMAGE_ID", help="the image ID (a UUID)")


def image_lines(image: Image) -> list[str]:
    encrypted = f"yes (KMS key {image.cmk_id})" if image.is_encrypted else "no"
    rows = [
        ("ID", image.id),
        ("Name", image.name or "(no name)"),
        ("Status", image.status or "unknown"),
        ("Type", image.image_type or "unknown"),
        ("Visibility", image.visibility or "unknown"),
        ("OS", " / ".join(x for x in (image.os_type, image.platform, image.os_version) if x) or "unknown"),
        ("Disk format", image.disk_format or "unknown"),
        ("Size", format_size(image.size_bytes)),
        ("Min disk", f"{image.min_disk_gb} GB" if image.min_disk_gb is not None else "unknown"),
        ("Full-ECS image", "yes" if image.is_full_ecs else "no"),
        ("Encrypted", encrypted),
        ("Owner", image.owner or "unknown"),
        ("Enterprise project", image.enterprise_project_id or "default"),
        ("Share status", image.member_status or "-"),
        ("Created", image.created_at or "unknown"),
        ("Description", image.description or "-"),
    ]
    width = max(len(label) for label, _ in rows)
    return [f"{label + ':':<{width + 1}} {value}" for label, value in rows] + server_data_lines(image.problems)


def verdict_lines(verdict: Verdict) -> list[str]:
    lines = ["Copy within the region: " + ("possible" if verdict.ok else "NOT possible")]
    lines += conditions_lines(verdict.blocking, "x")
    if verdict.warnings:
        lines.append("Warnings:")
        lines += conditions_lines(verdict.warnings, "!")
    if verdict.quota is not None:
        lines.append(f"Quota: {verdict.quota.line}")
    return lines


def quota_to_dict(reading: QuotaReading) -> dict[str, Any]:
    quota = reading.quota
    return {
        "line": reading.line,
        "used": None if quota is None else quota.used,
        "quota": None if quota is None else quota.quota,
        "reached": reading.reached,
        "problem": reading.problem,
    }


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    image_id = normalise_image_id(args.image_id)
    violation = check_image_id(image_id)
    if violation is not None:
        return out.violations({"image_id": violation})

    async def main() -> int:
        async with open_client(args) as client:
            image = await client.get_image(image_id)
            quota = await read_quota(client)
            verdict = assess(image, client.project_id, quota)
            out.document(
                {
                    "ok": True,
                    "region": client.region,
                    "project_id": client.project_id,
                    "image": image_to_dict(image),
                    "eligibility": verdict_to_dict(verdict),
                    "quota": quota_to_dict(quota),
                }
            )
            for text in [*image_lines(image), "", *verdict_lines(verdict)]:
                out.line(text)
        return EXIT_OK

    return run_command(out, main)
