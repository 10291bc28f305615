"""``imstui images [--json] [--name SUBSTR] [--status S] [--eligible] [--encrypted-with KEY] [--limit N]``.

The account's images, newest first: its private images, then the images other accounts shared with it and it
accepted, each with the copy verdict (``eligible`` / ``blocked`` and why). The list is read page by page and, unless
``--sort`` or ``--json`` asks for the whole list first, printed as the pages arrive. ``--encrypted-with`` takes a
KMS key alias or id (a key in any state: the images of a disabled key are the ones to re-key) or ``none`` for the
unencrypted images. Exit 0 (also when nothing matches), 1 on an API error, 2 on bad input or settings.
"""

from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from imstui.api.models import GIB
from imstui.commands.output import EXIT_OK, Output, add_command, run_command, verdict_to_dict
from imstui.connect import open_client
from imstui.core.image_search import SORTS, UNENCRYPTED, FilterKey, ImageFilter, ImageRow, key_for_filter, sort_rows
from imstui.core.keys import ENV_KMS_ENDPOINT, kms_client

NAME_COLUMN = 40


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError("expected 1 to 1,000,000")
    return value


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "images",
        help="list the account's images with whether each can be copied",
        description="List the project's images, newest first, then the images other accounts shared with it and "
        "it accepted, each with whether it can be copied (and why not). Pages are read one at a time and printed as "
        "they arrive (unless --sort or --json needs the whole list). --encrypted-with takes a KMS key alias or id in "
        "any state, or 'none'. Exit 0 (also when nothing matches), 1 on an API error, 2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("--name", metavar="SUBSTR", help="only images whose name, id or OS contains SUBSTR")
    parser.add_argument("--status", metavar="S", help="only images in this status (e.g. active)")
    parser.add_argument("--eligible", action="store_true", help="only images that can be copied")
    parser.add_argument("--encrypted-with", metavar="KEY", help="only images encrypted with KEY (alias or id; none)")
    parser.add_argument("--limit", type=_positive, metavar="N", help="at most N images (no more pages are read)")
    parser.add_argument("--sort", choices=SORTS, help="order by created (newest first), name or size (largest first)")
    parser.add_argument("--kms-endpoint", metavar="URL", help=f"KMS endpoint URL (env {ENV_KMS_ENDPOINT})")


def row_to_dict(row: ImageRow) -> dict[str, Any]:
    image = row.image
    return {
        "id": image.id,
        "name": image.name,
        "section": row.section,
        "status": image.status,
        "os": image.os_version or image.platform or image.os_type,
        "size_bytes": image.size_bytes,
        "min_disk_gb": image.min_disk_gb,
        "cmk_id": image.cmk_id,
        "created_at": image.created_at,
        "owner": image.owner,
        "eligible": row.eligible,
        "verdict": row.word,
        "reason": row.reason,
        "eligibility": verdict_to_dict(row.verdict),
        "problems": list(image.problems),
    }


def _cells(text: str) -> int:
    """Terminal columns of ``text`` (wide CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    if _cells(text) <= width:
        return text
    while _cells(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _cells(text))


def short_size(size_bytes: int | None) -> str:
    return "?" if size_bytes is None else f"{size_bytes / GIB:.1f} GiB"


HEADER = ("VERDICT", "NAME", "ID", "STATUS", "SIZE", "KEY", "CREATED", "WHY")


def row_cells(row: ImageRow) -> tuple[str, ...]:
    image = row.image
    key = "-" if not image.cmk_id else image.cmk_id[:8] + "…"
    name = _clip(image.name or "(no name)", NAME_COLUMN) + (" (shared)" if row.section == "shared" else "")
    return (
        row.word,
        name,
        image.id,
        image.status or "?",
        short_size(image.size_bytes),
        key,
        (image.created_at or "-")[:10],
        row.reason,
    )


_WIDTHS = (8, NAME_COLUMN + 9, 36, 8, 10, 9, 10)


def format_row(cells: tuple[str, ...]) -> str:
    """Fixed columns (rows are printed as pages arrive, so widths cannot depend on what comes later)."""
    fixed = "  ".join(_pad(cell, width) for cell, width in zip(cells, _WIDTHS, strict=False))
    return f"{fixed}  {cells[-1]}".rstrip()


def _summary(rows: int, eligible: int, key: FilterKey | None) -> str:
    under = "" if key is None else f" encrypted with {key.label}"
    noun = "image" if rows == 1 else "images"
    return f"{rows} {noun}{under}, {eligible} can be copied (imstui image ID for details, imstui copy ID to copy)"


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    streaming = not out.json_mode and not args.sort

    async def main() -> int:
        from imstui.api.image_list import ImageLister
        from imstui.core.image_search import search

        async with open_client(args) as ims:
            key = None
            if args.encrypted_with is not None:
                key = await key_for_filter(kms_client(ims, args.kms_endpoint), args.encrypted_with)
            wanted = ImageFilter(
                text=args.name,
                status=args.status,
                eligible_only=args.eligible,
                encrypted_with=None if key is None else key.key_id,
            )
            rows: list[ImageRow] = []
            eligible = count = 0
            if streaming:
                out.line(format_row(HEADER))
            lister = ImageLister(ims, read_ahead=args.limit is None)  # --limit: no page beyond what it needs
            async for row in search(lister, wanted, project_id=await ims.ensure_project_id(), limit=args.limit):
                count += 1
                eligible += row.eligible
                if streaming:
                    out.line(format_row(row_cells(row)))
                else:
                    rows.append(row)
            if args.sort:
                rows = sort_rows(rows, args.sort)
            out.document(
                {
                    "ok": True,
                    "region": ims.region,
                    "project_id": ims.project_id,
                    "filters": {
                        "name": args.name,
                        "status": args.status,
                        "eligible": args.eligible,
                        "encrypted_with": None if key is None else key.key_id,
                        "encrypted_with_label": None if key is None else key.label,
                        "limit": args.limit,
                    },
                    "count": count,
                    "eligible_count": eligible,
                    "requests": lister.requests,
                    "images": [row_to_dict(r) for r in rows],
                }
            )
            if not streaming and not out.json_mode:
                out.line(format_row(HEADER))
                for row in rows:
                    out.line(format_row(row_cells(row)))
            out.line(_summary(count, eligible, key))
            if key is not None and key.unencrypted and count:
                out.line(f"(--encrypted-with {UNENCRYPTED}: imstui rekey --from-key none --to-key KEY encrypts copies)")
        return EXIT_OK

    return run_command(out, main)
