"""The options of the commands that talk to KMS or EPS besides IMS: ``--kms-endpoint``, ``--eps-endpoint``,
``--domain-id`` (the same names, help and environment variables as ``imstui keys`` and
``imstui enterprise-projects``), and where the account (domain) id for EPS comes from.

Endpoints: the option, else ``IMSTUI_KMS_ENDPOINT`` / ``IMSTUI_EPS_ENDPOINT``, else the region's default (the
simulator's one port when IMS is on loopback); plain http only to a loopback address, as ``--endpoint``
(:func:`imstui.api.service_calls.service_endpoint`). The domain id: ``--domain-id``, else ``IMSTUI_DOMAIN_ID``,
else the profile's (``imstui profile add NAME --domain-id ID``; not with ``--demo``), else asked of IAM.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from imstui.api.endpoints import check_endpoint
from imstui.api.eps_models import check_domain_id
from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.core.enterprise_projects import ENV_DOMAIN_ID, ENV_EPS_ENDPOINT
from imstui.core.keys import ENV_KMS_ENDPOINT
from imstui.core.validation import Violation

__all__ = ["add_eps_options", "add_kms_option", "domain_id_for", "service_violations"]


def add_kms_option(parser: Any) -> None:
    """``--kms-endpoint URL`` on a parser or an argument group."""
    parser.add_argument(
        "--kms-endpoint", metavar="URL", default=None, help=f"KMS endpoint URL (env {ENV_KMS_ENDPOINT})"
    )


def add_eps_options(parser: Any) -> None:
    """``--eps-endpoint URL`` and ``--domain-id ID`` on a parser or an argument group."""
    parser.add_argument(
        "--eps-endpoint", metavar="URL", default=None, help=f"EPS endpoint URL (env {ENV_EPS_ENDPOINT})"
    )
    parser.add_argument(
        "--domain-id",
        metavar="ID",
        help=f"account (domain) id for EPS (env {ENV_DOMAIN_ID}, else the profile's; else asked of IAM)",
    )


def domain_id_for(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str | None:
    """The account (domain) id EPS requests are signed with: ``--domain-id``, ``IMSTUI_DOMAIN_ID``, the active
    profile's (not with ``--demo``), else None (the EPS client asks IAM). Raises
    :class:`~imstui.api.errors.LocalValidationError` for an id that cannot be one."""
    env = os.environ if environ is None else environ
    given = check_domain_id(getattr(args, "domain_id", None)) or check_domain_id(env.get(ENV_DOMAIN_ID))
    if given is not None or getattr(args, "demo", False):
        return given
    from imstui.core.profiles import profile_domain_id

    return profile_domain_id(getattr(args, "profile", None), environ=env)


def service_violations(args: argparse.Namespace) -> dict[str, Violation]:
    """The local checks of ``--kms-endpoint``, ``--eps-endpoint`` (a URL; plain http only to loopback) and
    ``--domain-id``, made before anything is sent."""
    problems: dict[str, Violation] = {}
    for attr, option in (("kms_endpoint", "--kms-endpoint"), ("eps_endpoint", "--eps-endpoint")):
        value = getattr(args, attr, None)
        if value:
            try:
                check_endpoint(value)
            except ConfigurationError as exc:
                problems[attr] = Violation(f"{attr}.url", f"{option}: {exc.message}")
    try:
        check_domain_id(getattr(args, "domain_id", None))
    except LocalValidationError as exc:
        problems["domain_id"] = Violation(exc.rule, f"--domain-id: {exc.message.removeprefix(exc.field + ': ')}")
    return problems
