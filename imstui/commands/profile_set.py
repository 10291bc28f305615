"""``imstui profile set NAME --domain-id ID``: change a stored profile's non-secret settings without its keys.

The account (domain) id is what EPS requests (``imstui enterprise-projects``, ``--enterprise-project NAME``) are
signed with; stored in the profile it is used before asking IAM (``GET /v3/auth/domains``), which needs IAM rights
an operator's key may not have. ``--domain-id ''`` removes it. ``--domain-id`` on ``imstui profile add|import``
sets it when the profile is made. Precedence when a command runs: ``--domain-id``, ``IMSTUI_DOMAIN_ID``, the
profile's, IAM.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from imstui.api.errors import ImstuiError
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from imstui.core.profiles import ProfileStore, validate_profile_name

__all__ = ["add_domain_id_option", "cmd_set", "register_set"]


def add_domain_id_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--domain-id",
        dest="p_domain_id",
        metavar="ID",
        help="account (domain) id, for EPS signing before asking IAM (optional)",
    )


def register_set(actions: Any) -> None:
    p_set = actions.add_parser("set", help="change a profile's settings (its keys stay as they are)")
    p_set.add_argument("name")
    add_domain_id_option(p_set)
    p_set.set_defaults(handler=cmd_set)


def cmd_set(args: argparse.Namespace) -> int:
    if args.p_domain_id is None:
        print("imstui: nothing to change: give --domain-id ID (or --domain-id '' to remove it)", file=sys.stderr)
        return EXIT_USAGE
    try:
        profiles = ProfileStore()
        profile = profiles.get(validate_profile_name(args.name))
        changed = profile.with_changes(domain_id=args.p_domain_id.strip() or None)
        profiles.save(changed)
    except ImstuiError as exc:
        print(f"imstui: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    said = f"account (domain) id {changed.domain_id}" if changed.domain_id else "no account (domain) id (asked of IAM)"
    print(f"saved profile {changed.name}: {said}")
    return EXIT_OK
