"""The per-job keys shared by the jobs panel and the job detail view: ``c`` copy job id, ``i`` copy the new image
id, ``y`` copy an incident summary, ``o`` open the new image in lookup, ``R``/``t`` retry a failed copy, ``T`` retry
the tags of a copy that succeeded but whose tags were not applied (never the copy).

:class:`RecordActions` is a mixin for a Textual widget or screen: it implements the actions once; the host says
which record they act on (:meth:`RecordActions.action_record`), how text reaches the clipboard
(:meth:`RecordActions.copy_record_text`) and how a request leaves it (:meth:`RecordActions.hand_over`: the panel
posts the message, the detail view closes first and gives it to the app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding, BindingType
from textual.message import Message

from imstui.core.jobs import OUTCOME_UNKNOWN, needs_attention
from imstui.core.ledger import JobRecord
from imstui.ui.widgets.jobs_text import Explain, incident_summary

NO_JOB_ID = "this copy has no job id (the request got no answer)"
NO_IMAGE_YET = "no new image id yet"
NOT_RETRYABLE = "only a failed, lost or unknown copy can be retried"
RETRY_MAY_DUPLICATE = "the first copy may exist: check the image list before submitting the retry"
NO_TAGS_TO_RETRY = "only tags that could not be applied can be retried (the copy itself is never resent)"


def record_bindings(prefix: str) -> list[BindingType]:
    """The per-job key bindings, with ids ``<prefix>.copy_job_id`` and so on."""
    return [
        Binding("c", "copy_job_id", "Copy job id", show=False, id=f"{prefix}.copy_job_id"),
        Binding("i", "copy_image_id", "Copy image id", show=False, id=f"{prefix}.copy_image_id"),
        Binding("y", "copy_summary", "Copy report", show=False, id=f"{prefix}.copy_summary"),
        Binding("o", "open_image", "Open image", show=False, id=f"{prefix}.open_image"),
        Binding("R", "retry", "Retry", show=False, id=f"{prefix}.retry"),
        Binding("t", "retry", "Retry", show=False, id=f"{prefix}.retry_alt"),
        Binding("T", "retry_tags", "Retry tags", show=False, id=f"{prefix}.retry_tags"),
    ]


class RecordActions:
    """The per-job actions; the host class provides the three hooks and ``_explain``."""

    @dataclass
    class RetryRequested(Message):
        """The user asked to retry a failed copy: open the copy form pre-filled from this ledger record."""

        record: JobRecord

    @dataclass
    class OpenImageRequested(Message):
        """The user asked to look an image up (the new image of a finished job)."""

        image_id: str

    @dataclass
    class RetryTagsRequested(Message):
        """The user asked to apply a succeeded copy's tags again after they failed (the copy is not resent)."""

        record: JobRecord

    _explain: Explain

    def action_record(self) -> JobRecord | None:
        raise NotImplementedError

    def copy_record_text(self, text: str, what: str) -> None:
        raise NotImplementedError

    def hand_over(self, message: Message) -> None:
        raise NotImplementedError

    def _warn(self, text: str) -> None:
        host: Any = self
        host.notify(text, severity="warning", markup=False)

    def _required(self, field: Callable[[JobRecord], str | None], missing: str) -> str | None:
        """The record's ``attr`` (job id, new image id), or None after telling the user why it is not there."""
        record = self.action_record()
        if record is None:
            return None
        value = field(record)
        if not value:
            self._warn(missing)
            return None
        return value

    def action_copy_job_id(self) -> None:
        job_id = self._required(lambda r: r.job_id, NO_JOB_ID)
        if job_id:
            self.copy_record_text(job_id, "job id")

    def action_copy_image_id(self) -> None:
        image_id = self._required(lambda r: r.new_image_id, NO_IMAGE_YET)
        if image_id:
            self.copy_record_text(image_id, "new image id")

    def action_copy_summary(self) -> None:
        record = self.action_record()
        if record is not None:
            self.copy_record_text(incident_summary(record, self._explain), "job report")

    def action_open_image(self) -> None:
        image_id = self._required(lambda r: r.new_image_id, NO_IMAGE_YET)
        if image_id:
            self.hand_over(RecordActions.OpenImageRequested(image_id))

    def action_retry(self) -> None:
        record = self.action_record()
        if record is None:
            return
        if not needs_attention(record):
            self._warn(NOT_RETRYABLE)
            return
        if record.state == OUTCOME_UNKNOWN:
            self._warn(RETRY_MAY_DUPLICATE)
        self.hand_over(RecordActions.RetryRequested(record))

    def action_retry_tags(self) -> None:
        record = self.action_record()
        if record is None:
            return
        if record.tags_state != "failed":
            self._warn(NO_TAGS_TO_RETRY)
            return
        self.hand_over(RecordActions.RetryTagsRequested(record))
