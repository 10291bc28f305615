"""Everything about one copy job: every ledger field, the failure explanation, the poll error, local + UTC times.

A modal over the jobs panel. Keys: ``escape``/``q`` close, ``c`` copy job id, ``i`` copy new image id, ``y`` copy the
incident summary, ``o`` open the new image in lookup, ``R``/``t`` retry (failed copies). All text is built as
``rich.text.Text`` from sanitised strings (server text is shown literally, never parsed as markup).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from imstui.api.catalogue import explain as catalogue_explain
from imstui.core.ledger import JobRecord
from imstui.ui.clipboard import ClipboardMode, copy_text
from imstui.ui.messages import OpenImageRequested, RetryCopyRequested
from imstui.ui.status import KIND_STYLES, needs_attention, status_view
from imstui.ui.widgets.jobs_text import Explain, detail_fields, explanation_lines, incident_summary

__all__ = ["JobDetailScreen", "detail_text"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def detail_text(record: JobRecord, explain: Explain, now: datetime) -> Text:
    """The detail view's body: a heading, the explanation block (if any), then every field."""
    view = status_view(record.state, record.status, record.gone)
    body = Text()
    body.append(view.label, style=KIND_STYLES.get(view.kind, "") or "bold")
    body.append("  ")
    body.append(record.name or "", style="bold")
    explained = explanation_lines(record, explain)
    if explained:
        body.append("\n")
        for label, value in explained:
            body.append("\n")
            body.append(f"{label.capitalize()}: ", style="bold")
            body.append(value)
    body.append("\n")
    fields = detail_fields(record, now)
    width = max((len(label) for label, _ in fields), default=0) + 2
    for label, value in fields:
        body.append("\n")
        body.append(f"{label}:".ljust(width), style="bold")
        body.append(value)
    return body


class JobDetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    JobDetailScreen {
        align: center middle;
    }
    JobDetailScreen > #job-detail {
        width: 90%;
        max-width: 120;
        height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    JobDetailScreen #job-detail-body {
        width: 100%;
    }
    JobDetailScreen #job-detail-keys {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_detail", "Close", id="job_detail.close"),
        Binding("q", "dismiss_detail", "Close", show=False, id="job_detail.close_q"),
        Binding("c", "copy_job_id", "Copy job id", id="job_detail.copy_job_id"),
        Binding("i", "copy_image_id", "Copy image id", id="job_detail.copy_image_id"),
        Binding("y", "copy_summary", "Copy report", id="job_detail.copy_summary"),
        Binding("o", "open_image", "Open image", id="job_detail.open_image"),
        Binding("R", "retry", "Retry", id="job_detail.retry"),
        Binding("t", "retry", "Retry", show=False, id="job_detail.retry_alt"),
    ]

    def __init__(
        self,
        record: JobRecord,
        *,
        explain: Explain = catalogue_explain,
        clock: Callable[[], datetime] = _utcnow,
        clipboard_mode: ClipboardMode | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self._explain = explain
        self._clock = clock
        self._clipboard_mode = clipboard_mode

    def compose(self) -> ComposeResult:
        with Vertical(id="job-detail"):
            with VerticalScroll():
                yield Static(detail_text(self.record, self._explain, self._clock()), id="job-detail-body", markup=False)
            yield Static(
                Text("esc close · c job id · i image id · y report · o open image · R retry"),
                id="job-detail-keys",
                markup=False,
            )

    def show(self, record: JobRecord) -> None:
        """Show a newer version of the same record (the app may forward ``JobChanged`` while this is open)."""
        self.record = record
        self.query_one("#job-detail-body", Static).update(detail_text(record, self._explain, self._clock()))

    def action_dismiss_detail(self) -> None:
        self.dismiss(None)

    def _copy(self, text: str, what: str) -> None:
        result = copy_text(self.app, text, what, mode=self._clipboard_mode)
        self.notify(result.message, severity=result.severity, markup=False)

    def action_copy_job_id(self) -> None:
        if not self.record.job_id:
            self.notify("this copy has no job id (the request got no answer)", severity="warning", markup=False)
            return
        self._copy(self.record.job_id, "job id")

    def action_copy_image_id(self) -> None:
        if not self.record.new_image_id:
            self.notify("no new image id yet", severity="warning", markup=False)
            return
        self._copy(self.record.new_image_id, "new image id")

    def action_copy_summary(self) -> None:
        self._copy(incident_summary(self.record, self._explain), "job report")

    def action_open_image(self) -> None:
        if not self.record.new_image_id:
            self.notify("no new image id yet", severity="warning", markup=False)
            return
        image_id = self.record.new_image_id
        self.dismiss(None)
        self.app.post_message(OpenImageRequested(image_id))

    def action_retry(self) -> None:
        record = self.record
        if not needs_attention(record.state, record.status, record.gone):
            self.notify("only a failed, lost or unknown copy can be retried", severity="warning", markup=False)
            return
        self.dismiss(None)
        self.app.post_message(RetryCopyRequested(record))
