"""Which rows a view or a poller covers (:class:`Scope`): a profile, an account, the real rows or the demo's.

An account is an IMS endpoint and a project (:mod:`imstui.core.account`): its scope holds every row submitted
there, whichever profile or environment keys did, plus the rows of older imstui versions (no endpoint recorded)
under the session's profile, as before. Real views leave out the ``--demo`` simulator's rows (its endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imstui.core.account import DEMO_ENDPOINT, normalise_endpoint
from imstui.core.ledger.records import JobRecord

__all__ = ["DEMO_ROWS", "REAL_ROWS", "Scope", "account_scope", "profile_scope", "scope_sql"]


@dataclass(frozen=True)
class Scope:
    """A WHERE clause over ``jobs`` (values as parameters), what it means in words, and the same rule in Python."""

    clause: str
    params: tuple[Any, ...]
    label: str
    profile: str | None = None  # the profile named, for a profile scope
    endpoint: str | None = None  # the account's endpoint, for an account scope
    project_id: str | None = None

    def matches(self, record: JobRecord) -> bool:
        if self.endpoint is not None:
            if record.endpoint is None:
                return record.profile == self.profile
            same_project = not (self.project_id and record.project_id and record.project_id != self.project_id)
            return record.endpoint == self.endpoint and same_project
        if self.profile is not None:
            return record.profile == self.profile
        if self is DEMO_ROWS:
            return record.endpoint == DEMO_ENDPOINT
        return record.endpoint != DEMO_ENDPOINT


def profile_scope(profile: str) -> Scope:
    return Scope("profile = ?", (profile,), f"profile {profile}", profile=profile)


def account_scope(endpoint: str, project_id: str | None, profile: str) -> Scope:
    """The rows of the account at ``endpoint`` (normalised here) and ``project_id`` (None: any project, until
    discovered), and ``profile``'s rows of an older imstui (no endpoint recorded)."""
    where = normalise_endpoint(endpoint) or endpoint
    clause = (
        "((endpoint = ? AND (? IS NULL OR project_id IS NULL OR project_id = ?)) OR (endpoint IS NULL AND profile = ?))"
    )
    label = f"account {where}" + (f" project {project_id}" if project_id else "")
    return Scope(clause, (where, project_id, project_id, profile), label, profile, where, project_id)


REAL_ROWS = Scope("(endpoint IS NULL OR endpoint != ?)", (DEMO_ENDPOINT,), "every account (demo rows apart)")
DEMO_ROWS = Scope("endpoint = ?", (DEMO_ENDPOINT,), "the demo")


def scope_sql(scope: str | Scope | None) -> tuple[str | None, list[Any]]:
    """``(clause, params)`` for a scope: a profile name, a :class:`Scope`, or None (every row)."""
    if scope is None:
        return None, []
    chosen = profile_scope(scope) if isinstance(scope, str) else scope
    return chosen.clause, list(chosen.params)
