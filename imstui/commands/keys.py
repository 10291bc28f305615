"""``imstui keys [--json] [--all-states]``: the KMS keys a copy can be encrypted with (alias, state, default key).

Only enabled keys by default (the server filters on ``key_state`` 2); ``--all-states`` lists every key, marking those
that cannot be chosen. Keys are fetched page by page. Exit 0 on success, 1 on an API error, 2 on bad settings.
"""

from __future__ import annotations

import argparse
from typing import Any

from imstui.api.kms_models import ENABLED, KmsKey
from imstui.commands.output import EXIT_OK, Output, add_command, run_command
from imstui.connect import open_client
from imstui.core.keys import ENV_KMS_ENDPOINT, choosable, kms_client


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "keys",
        help="list the KMS keys a copy can be encrypted with",
        description="List the project's KMS keys by alias, with their state and whether each is a service's "
        "default key (such as ims/default). Only enabled keys can encrypt a copy; --all-states shows the others "
        "too. Exit 0 on success, 1 on an API error, 2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("--all-states", action="store_true", help="also list keys that are not enabled")
    parser.add_argument("--kms-endpoint", metavar="URL", help=f"KMS endpoint URL (env {ENV_KMS_ENDPOINT})")


def key_to_dict(key: KmsKey) -> dict[str, Any]:
    created = key.created
    return {
        "key_id": key.key_id,
        "alias": key.alias,
        "state": key.state,
        "state_text": key.state_text,
        "enabled": key.is_enabled,
        "default_key": key.is_default,
        "description": key.description,
        "created_at": created.isoformat().replace("+00:00", "Z") if created else None,
        "key_spec": key.key_spec,
    }


def ordered(keys: list[KmsKey], all_states: bool) -> list[KmsKey]:
    """Enabled keys as the picker offers them (default keys first, by alias); then, with ``--all-states``, the
    keys that cannot be chosen, by alias."""
    usable = choosable(keys)
    if not all_states:
        return usable
    others = sorted((k for k in keys if not k.is_enabled), key=lambda k: (k.alias.lower(), k.key_id))
    return [*usable, *others]


def key_lines(keys: list[KmsKey]) -> list[str]:
    rows = [("ALIAS", "STATE", "DEFAULT", "KEY ID", "CREATED")]
    for key in keys:
        created = key.created.strftime("%Y-%m-%d") if key.created else "-"
        rows.append((key.alias or "(no alias)", key.state_text, "yes" if key.is_default else "-", key.key_id, created))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)), row[4]]).rstrip()
        for row in rows
    ]


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    all_states = bool(getattr(args, "all_states", False))

    async def main() -> int:
        async with open_client(args) as ims:
            kms = kms_client(ims, getattr(args, "kms_endpoint", None))
            keys = ordered(await kms.list_keys(key_state=None if all_states else ENABLED), all_states)
            out.document(
                {
                    "ok": True,
                    "region": ims.region,
                    "project_id": ims.project_id,
                    "kms_endpoint": kms.endpoint,
                    "all_states": all_states,
                    "count": len(keys),
                    "keys": [key_to_dict(k) for k in keys],
                }
            )
            if not keys:
                which = "KMS keys" if all_states else "enabled KMS keys (--all-states lists the others)"
                out.line(f"no {which} in {ims.region}")
                return EXIT_OK
            for text in key_lines(keys):
                out.line(text)
            usable = sum(1 for k in keys if k.is_enabled)
            out.line(f"{len(keys)} key{'s' if len(keys) != 1 else ''}, {usable} can encrypt a copy (imstui copy --key)")
        return EXIT_OK

    return run_command(out, main)
