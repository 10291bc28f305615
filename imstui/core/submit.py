"""Submitting a copy through the ledger: intent first, POST once, outcome after.

The order is what makes a crash harmless: the ``submitting`` row (source image, requested name) is on disk before
the request leaves, and the job id is written as soon as the answer arrives. Whatever happens in between leaves a
row that says so (``outcome_unknown``), never a job nobody knows about, and never a second POST: the copy request is
not retried here or anywhere else.

The ledger is the part that may fail locally. Before the POST, a ledger that cannot be written refuses the copy
(nothing is sent). After the answer, writing the job id is retried with backoff for about
:data:`ATTACH_BUDGET_SECONDS`; if it still fails the result carries the id and the error (``not_recorded``) so the
caller can print it with the command that records it later. The id is handed to ``on_job_id`` the moment it
arrives, before any ledger write, so even an interruption during the retries cannot lose it.
"""

from __future__ import annotations

import asyncio
import functools
import shlex
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imstui.api.errors import (
    ApiError,
    ConfigurationError,
    ConnectError,
    ImstuiError,
    OutcomeUnknownError,
    ProtocolError,
)
from imstui.api.models import CopyRequest, Image
from imstui.api.protocol import ImsApi
from imstui.api.tag_models import ImageTag
from imstui.core.account import endpoint_of
from imstui.core.jobs import SUBMITTED
from imstui.core.ledger import InvalidJobIdError, JobRecord, Ledger, LedgerError, utcnow
from imstui.core.ledger.records import TagsState

if TYPE_CHECKING:
    from imstui.core.poller import Poller

NOT_SENT_CODE = "NOT_SENT"
# Pauses between attempts to write the job id after the answer (about 30 s in all, then give up and say so).
ATTACH_RETRY_DELAYS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 6.0)
ATTACH_BUDGET_SECONDS = 30.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class SubmitResult:
    """``job_id`` is None when the outcome is unknown (then ``outcome_error`` says why).

    ``not_recorded`` is set when IMS returned ``job_id`` but the ledger could not store it: ``record`` is then the
    row as it should have been written (not on disk), and the caller must show the id and how to record it."""

    record: JobRecord
    job_id: str | None
    outcome_error: ImstuiError | None = None
    not_recorded: LedgerError | None = None

    @property
    def outcome_unknown(self) -> bool:
        return self.job_id is None

    @property
    def recorded(self) -> bool:
        return self.not_recorded is None


def import_command(job_id: str, *, region: str, project_id: str | None, profile: str | None, demo: bool) -> str:
    """The exact ``imstui jobs import`` command line that records ``job_id`` later under the same ledger profile,
    region and project (``profile=None``: environment credentials, no stored profile)."""
    words = ["imstui", "jobs", "import", job_id]
    if demo:
        words.append("--demo")
    else:
        words += ["--profile", profile] if profile else []
        words += ["--region", region] + (["--project-id", project_id] if project_id else [])
    return shlex.join(words)


def _best_effort(write: Callable[..., object], *args: object) -> None:
    """Record a rejection or an unknown outcome if the ledger lets us; if not, the ``submitting`` row it leaves
    becomes "outcome unknown" at the next sweep, and the caller still reports the real error."""
    try:
        write(*args)
    except LedgerError:
        pass


async def submit_copy(
    api: ImsApi,
    ledger: Ledger,
    *,
    profile: str,
    image: Image,
    request: CopyRequest,
    retry_of: int | None = None,
    poller: Poller | None = None,
    on_job_id: Callable[[str], None] | None = None,
    sleep: Sleep | None = None,
    clock: Callable[[], float] = time.monotonic,
    tags: Sequence[ImageTag] = (),
) -> SubmitResult:
    """Record the intent, send the copy POST once, record the answer.

    ``tags`` (checked by the caller, :func:`imstui.core.tags.validate_tags`) are stored on the row as ``pending``:
    the copy body has none; the session's :class:`~imstui.core.tagging.Tagger` applies them once the job succeeded.

    - the ledger cannot be written before the POST: ``ConfigurationError`` ("nothing was submitted"), nothing sent;
    - a job id: the row becomes ``submitted`` (and ``poller``, if given, starts following it); if the ledger write
      keeps failing, the result has ``not_recorded`` set (see :class:`SubmitResult`);
    - ``OutcomeUnknownError`` (or any failure after the request may have left: timeout, reset, a 200 without a job
      id, a job id that does not fit the documented shape, a crash, a cancellation): the row becomes
      ``outcome_unknown`` and the result has ``job_id=None`` (a cancellation or a non-imstui exception is
      re-raised after the row is written);
    - an ``ApiError`` answer: the row becomes ``rejected`` (code, message) and the error is re-raised;
    - ``ConnectError`` (nothing was sent): the row becomes ``rejected`` with code ``NOT_SENT``; re-raised.
    """
    project_id = await api.ensure_project_id()
    at = utcnow()
    intent: dict[str, Any] = {
        "profile": profile,
        "region": api.region,
        "project_id": project_id,
        "source_image_id": image.id,
        "source_image_name": image.name or None,
        "name": request.name,
        "description": request.description,
        "cmk_id": request.cmk_id,
        "enterprise_project_id": request.enterprise_project_id,
        "retry_of": retry_of,
        "endpoint": endpoint_of(api),  # the job's identity: endpoint + project + region + job id
        "tags": tuple(tags),
    }
    try:
        row_id = ledger.record_intent(submitted_at=at, **intent)
    except LedgerError as exc:
        raise ConfigurationError(f"{exc}; nothing was submitted") from None
    try:
        job_id = await api.copy_image(image.id, request)
    except ApiError as exc:
        _best_effort(ledger.mark_rejected, row_id, exc.code, exc.message)
        raise
    except ConnectError as exc:
        _best_effort(ledger.mark_rejected, row_id, NOT_SENT_CODE, f"the request was not sent: {exc}")
        raise
    except OutcomeUnknownError as exc:
        return _unknown(ledger, row_id, exc)
    except ImstuiError as exc:
        # A timeout, a reset or an odd 200 after the request went out: the job may exist.
        # The client's ProtocolError for a copy answer already says the copy may have been accepted.
        said = str(exc) if isinstance(exc, ProtocolError) else f"the copy request may have been accepted: {exc}"
        message = said if said.startswith("outcome unknown") else f"outcome unknown — {said}"
        return _unknown(ledger, row_id, OutcomeUnknownError(message))
    except BaseException as exc:
        reason = f"interrupted while the copy request was in flight ({type(exc).__name__}): check the image list"
        _best_effort(ledger.mark_outcome_unknown, row_id, reason)
        raise
    if on_job_id is not None:
        on_job_id(job_id)
    try:
        write = functools.partial(_write_job_id, ledger, row_id, job_id, profile, api.region, project_id, api)
        record = await _attach(write, sleep or asyncio.sleep, clock)
    except InvalidJobIdError as exc:
        return _unknown(ledger, row_id, OutcomeUnknownError(f"the copy request may have been accepted, but {exc}"))
    except LedgerError as exc:
        pending: TagsState | None = "pending" if tags else None
        unsaved = JobRecord(
            row_id=row_id, job_id=job_id, submitted_at=at, state=SUBMITTED, tags_state=pending, **intent
        )
        return SubmitResult(record=unsaved, job_id=job_id, not_recorded=exc)
    if poller is not None:
        poller.track(job_id)
    return SubmitResult(record=record, job_id=job_id)


def _unknown(ledger: Ledger, row_id: int, error: OutcomeUnknownError) -> SubmitResult:
    try:
        record: JobRecord | None = ledger.mark_outcome_unknown(row_id, str(error))
    except LedgerError:
        try:
            record = ledger.get_row(row_id)
        except LedgerError:
            record = None
    if record is None:  # the ledger is unreadable too: the error itself still says "outcome unknown"
        raise error
    return SubmitResult(record=record, job_id=None, outcome_error=error)


def _write_job_id(
    ledger: Ledger, row_id: int, job_id: str, profile: str, region: str, project_id: str | None, api: ImsApi
) -> JobRecord:
    try:
        return ledger.attach_job_id(row_id, job_id)
    except KeyError:  # the row was forgotten while the POST was in flight: the job exists, keep following it
        return ledger.import_job(job_id, profile, region, project_id, endpoint=endpoint_of(api))


async def _attach(write: Callable[[], JobRecord], sleep: Sleep, clock: Callable[[], float]) -> JobRecord:
    """``write()`` (the job id into its row), retrying a failing ledger with backoff for about
    ATTACH_BUDGET_SECONDS. Raises the last :class:`LedgerError` (an :class:`InvalidJobIdError` at once: asking
    again cannot fix it)."""
    deadline = clock() + ATTACH_BUDGET_SECONDS
    for delay in (*ATTACH_RETRY_DELAYS, None):
        try:
            # In a thread: a lock held by another process makes one attempt wait for the busy timeout.
            return await asyncio.to_thread(write)
        except InvalidJobIdError:
            raise
        except LedgerError:
            if delay is None or clock() + delay > deadline:
                raise
        await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
