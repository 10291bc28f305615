"""Submitting a copy through the ledger: intent first, POST once, outcome after.

The order is what makes a crash harmless: the ``submitting`` row (source image, requested name) is on disk before
the request leaves, and the job id is written as soon as the answer arrives. Whatever happens in between leaves a
row that says so (``outcome_unknown``), never a job nobody knows about, and never a second POST: the copy request is
not retried here or anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from imstui.api.errors import ApiError, ConnectError, ImstuiError, OutcomeUnknownError, ProtocolError
from imstui.api.models import CopyRequest, Image
from imstui.api.protocol import ImsApi
from imstui.core.ledger import JobRecord, Ledger

if TYPE_CHECKING:
    from imstui.core.poller import Poller

NOT_SENT_CODE = "NOT_SENT"


@dataclass(frozen=True)
class SubmitResult:
    """``job_id`` is None when the outcome is unknown (then ``outcome_error`` says why)."""

    record: JobRecord
    job_id: str | None
    outcome_error: ImstuiError | None = None

    @property
    def outcome_unknown(self) -> bool:
        return self.job_id is None


async def submit_copy(
    api: ImsApi,
    ledger: Ledger,
    *,
    profile: str,
    image: Image,
    request: CopyRequest,
    retry_of: int | None = None,
    poller: Poller | None = None,
) -> SubmitResult:
    """Record the intent, send the copy POST once, record the answer.

    - a job id: the row becomes ``submitted`` (and ``poller``, if given, starts following it);
    - ``OutcomeUnknownError`` (or any failure after the request may have left: timeout, reset, a 200 without a job
      id, a crash, a cancellation): the row becomes ``outcome_unknown`` and the result has ``job_id=None``
      (a cancellation or a non-imstui exception is re-raised after the row is written);
    - an ``ApiError`` answer: the row becomes ``rejected`` (code, message) and the error is re-raised;
    - ``ConnectError`` (nothing was sent): the row becomes ``rejected`` with code ``NOT_SENT``; re-raised.
    """
    project_id = await api.ensure_project_id()
    row_id = ledger.record_intent(
        profile=profile,
        region=api.region,
        project_id=project_id,
        source_image_id=image.id,
        source_image_name=image.name or None,
        name=request.name,
        description=request.description,
        cmk_id=request.cmk_id,
        enterprise_project_id=request.enterprise_project_id,
        retry_of=retry_of,
    )
    try:
        job_id = await api.copy_image(image.id, request)
    except ApiError as exc:
        ledger.mark_rejected(row_id, exc.code, exc.message)
        raise
    except ConnectError as exc:
        ledger.mark_rejected(row_id, NOT_SENT_CODE, f"the request was not sent: {exc}")
        raise
    except OutcomeUnknownError as exc:
        record = ledger.mark_outcome_unknown(row_id, str(exc))
        return SubmitResult(record=record, job_id=None, outcome_error=exc)
    except ImstuiError as exc:
        # A timeout, a reset or an odd 200 after the request went out: the job may exist.
        # The client's ProtocolError for a copy answer already says the copy may have been accepted.
        message = str(exc) if isinstance(exc, ProtocolError) else f"the copy request may have been accepted: {exc}"
        unknown = OutcomeUnknownError(message)
        record = ledger.mark_outcome_unknown(row_id, str(unknown))
        return SubmitResult(record=record, job_id=None, outcome_error=unknown)
    except BaseException as exc:
        ledger.mark_outcome_unknown(
            row_id, f"interrupted while the copy request was in flight ({type(exc).__name__}): check the image list"
        )
        raise
    record = ledger.attach_job_id(row_id, job_id)
    if poller is not None:
        poller.track(job_id)
    return SubmitResult(record=record, job_id=job_id)
