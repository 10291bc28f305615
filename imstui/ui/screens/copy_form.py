"""The copy form: name, description, KMS key, enterprise project and tags of the new image, checked on every change.

The KMS key and the enterprise project are picked from the account's lists by alias / name (or a pasted id checked
with the service: :mod:`imstui.ui.widgets.key_picker`, :mod:`imstui.ui.widgets.eps_picker`); the tags are typed as
``key=value, ...`` and checked with the core's rules (:mod:`imstui.ui.widgets.tags_field`), then applied by the
session's Tagger once the copy has succeeded.

Enter in a field moves to the next field; only F2 or the Submit button (reached with Tab) opens the confirmation,
whose first focus is Back. Submit is disabled while any field is invalid and while a submit is in flight; the
confirmation names region, project, source (name and id) and target before the single POST. An "outcome unknown"
answer is shown as such and never retried. A field IMS blamed (KMS key, name, enterprise project) is marked with the
reason, on a retry of that failure and after a rejection in this form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from imstui.api.errors import ApiError, ImstuiError, OutcomeUnknownError
from imstui.api.models import CopyRequest, Image
from imstui.core.validation import default_copy_name
from imstui.ui.screens.confirm import ConfirmScreen, copy_summary
from imstui.ui.session import Console, console
from imstui.ui.text import assemble, literal, plain
from imstui.ui.widgets.eps_picker import EpsPicker
from imstui.ui.widgets.fields import ValidatedField
from imstui.ui.widgets.key_picker import KeyPicker
from imstui.ui.widgets.picker import ChoiceField
from imstui.ui.widgets.status_bar import StatusBar
from imstui.ui.widgets.tags_field import TagsField, format_tags

if TYPE_CHECKING:
    from imstui.api.tag_models import ImageTag
    from imstui.core.ledger import JobRecord

FormField = ValidatedField | ChoiceField

# (field id, label, the imstui.core.validation check of a text field): the order of the form. Only the name is
# required; cmk_id is the KMS key picker, enterprise_project_id the enterprise project picker, tags the tags field.
FORM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "New image name (1-128 characters)", "check_name"),
    ("description", "Description (optional, one line, at most 1024 characters, no < >)", "check_description"),
    ("cmk_id", "KMS key (optional; type an alias to filter, Up/Down, Enter to choose)", ""),
    ("enterprise_project_id", "Enterprise project (optional; type a name to filter, Up/Down, Enter)", ""),
    ("tags", "Tags of the new image (optional; key=value, comma-separated, at most 10)", ""),
)

# The error codes that blame one field of the form (imstui/api/error_codes.tsv), by field id.
FIELD_ERROR_CODES: dict[str, frozenset[str]] = {
    "name": frozenset({"IMG.0002", "IMG.0003", "IMG.0009", "IMG.0013", "IMG.0062"}),
    "description": frozenset({"IMG.0004"}),
    "cmk_id": frozenset({"IMG.0095", "IMG.0096", "IMG.0097", "IMG.0099", "IMG.0100"}),
    "enterprise_project_id": frozenset({"IMG.0154", "IMG.0155", "IMG.0156"}),
}


def blamed_field(code: str | None) -> str | None:
    """The form field an IMS error code blames (None: the code is not about one field)."""
    return next((field for field, codes in FIELD_ERROR_CODES.items() if code in codes), None)


def field_reason(code: str, message: str | None, *, earlier: bool) -> Content:
    """``✗ IMG.0095: the KMS key ... Next step`` in plain words (the message is untrusted, shown literally)."""
    from imstui.api.catalogue import explain

    info = explain(code)
    words = info.meaning + " " + info.next_step if info is not None else plain(message or "")
    lead = "The failed copy was refused because of this field" if earlier else "IMS refused this field"
    return assemble((f"! {lead}: ", "bold"), (plain(code), "bold"), " ", plain(words))


COMPACT_BELOW = 44  # terminal rows under which the inputs are one line each

IN_FLIGHT_TEXT = "The copy request is on its way: wait for IMS's answer before leaving this form."

NOT_RECORDED_TEXT = (
    "IMS accepted the copy, but the local job ledger could not store its job id: the jobs panel will not follow it."
)

OUTCOME_UNKNOWN_TEXT = (
    "OUTCOME UNKNOWN: the copy request may have reached IMS, but no answer came back. It was NOT retried. "
    "Check the image list in the console (or the jobs panel) before submitting again, or a second copy is created."
)


class CopyFormScreen(Screen[None]):
    """Fill in the new image's attributes and submit the in-region copy."""

    @dataclass
    class Submitted(Message):
        """A copy was submitted (``job_id`` set) or its outcome is unknown (``job_id`` None): its ledger row."""

        record: JobRecord
        job_id: str | None

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="copy-back"),
        Binding("f2", "submit", "Submit", id="copy-submit", tooltip="Confirm and submit the copy"),
    ]

    in_flight: reactive[bool] = reactive(False)
    submitted: reactive[bool] = reactive(False)

    def __init__(self, image: Image, *, retry_of: JobRecord | None = None) -> None:
        super().__init__()
        self.image = image
        self.retry_of = retry_of
        self._confirming = False
        self.result_record: JobRecord | None = None

    def _initial(self, key: str) -> str:
        retry_of = self.retry_of
        if retry_of is None:
            return default_copy_name(self.image.name) if key == "name" else ""
        values = {
            "name": retry_of.name or default_copy_name(self.image.name),
            "description": retry_of.description,
            "cmk_id": retry_of.cmk_id,
            "enterprise_project_id": retry_of.enterprise_project_id,
            "tags": format_tags(tuple(retry_of.tags)),
        }
        value = values.get(key)
        return plain(value) if value else ""

    def compose(self) -> ComposeResult:
        from imstui.core import validation as v

        yield StatusBar()
        with VerticalScroll(id="copy-body"):
            heading = "Retry a failed copy of" if self.retry_of is not None else "Copy image"
            yield Static(
                assemble((f"{heading} ", "bold"), self.image.name or "(no name)", ("  ", ""), (self.image.id, "dim")),
                id="copy-source",
            )
            yield Static(self._lookup_quota() or "", id="copy-quota", markup=False)
            for field_id, label, check_name in FORM_FIELDS:
                value = self._initial(field_id)
                if field_id == "cmk_id":
                    yield KeyPicker(label, field_id=field_id, value=value, source_key=self.image.cmk_id)
                elif field_id == "enterprise_project_id":
                    yield EpsPicker(label, field_id=field_id, value=value)
                elif field_id == "tags":
                    yield TagsField(label, field_id=field_id, value=value)
                else:
                    yield ValidatedField(
                        label,
                        check=getattr(v, check_name),
                        value=value,
                        optional=field_id != "name",
                        field_id=field_id,
                        # The pre-filled name ("<source>-copy") is meant to be edited: the cursor goes to its end
                        # instead of selecting it all (typing would replace it).
                        select_on_focus=False,
                        # A pasted line break is shown as the "no line breaks" rule, not silently dropped.
                        paste_as_is=field_id == "description",
                    )
            yield Static("", id="copy-result", markup=False)
        with Horizontal(id="copy-actions", classes="actions"):
            yield Button("Submit copy… (F2)", id="submit-button", variant="warning")
            yield Button("Back (Esc)", id="cancel-button")
        yield Footer()

    @property
    def console(self) -> Console:
        return console(self)

    def on_mount(self) -> None:
        self.console.update_status()
        self.query_one("#name", Input).focus()
        self._refresh_submit()
        retry_of = self.retry_of
        if retry_of is not None and retry_of.error_code:
            self._mark(retry_of.error_code, retry_of.fail_reason, earlier=True)
        if self._lookup_quota() is None:
            self._read_quota()

    def _lookup_quota(self) -> Content | None:
        """The quota line of the lookup this form was opened from (same image), so both say the same."""
        from imstui.ui.screens.lookup import LookupScreen, quota_content

        for screen in reversed(self.app.screen_stack):
            if not isinstance(screen, LookupScreen) or screen.verdict is None or screen.image is None:
                continue
            reading = screen.verdict.quota
            if reading is not None and screen.image.id == self.image.id:
                return quota_content(reading)
        return None

    @work(group="quota", exclusive=True, exit_on_error=False)
    async def _read_quota(self) -> None:
        """Opened without a lookup (a retry): read the private-image quota for the line above the fields."""
        from imstui.core.eligibility import read_quota
        from imstui.ui.screens.lookup import quota_content

        session = self.console.session
        if session is not None:
            reading = await read_quota(session.api)
            self.query_one("#copy-quota", Static).update(quota_content(reading))

    def on_resize(self) -> None:
        # Up to 120x34 and beyond: one-line inputs, so the five fields and an open list fit without scrolling.
        compact = self.size.height < COMPACT_BELOW
        for field in self.fields():
            if isinstance(field, ChoiceField):
                field.set_compact(compact, 4 if self.size.height < 30 else 7)
            else:
                field.input.compact = compact

    # ------------------------------------------------------------------ state

    def fields(self) -> list[FormField]:
        """The form's fields in their order (text fields, the two pickers, the tags)."""
        return [w for w in self.query("#copy-body > *") if isinstance(w, (ValidatedField, ChoiceField))]

    def field(self, field_id: str) -> FormField:
        return next(f for f in self.fields() if f.field_id == field_id)

    def tags(self) -> list[ImageTag]:
        field = self.field("tags")
        return field.tags if isinstance(field, TagsField) else []

    @property
    def is_valid(self) -> bool:
        return all(f.is_valid for f in self.fields())

    @property
    def can_submit(self) -> bool:
        return self.is_valid and not self.in_flight and not self.submitted and not self._confirming

    def _refresh_submit(self) -> None:
        try:
            button = self.query_one("#submit-button", Button)
        except Exception:
            return
        button.disabled = not self.can_submit
        self.query_one("#cancel-button", Button).disabled = self.in_flight
        self.refresh_bindings()

    def watch_in_flight(self) -> None:
        self._refresh_submit()

    def watch_submitted(self) -> None:
        self._refresh_submit()

    @on(Input.Changed)
    @on(ChoiceField.Resolved)
    def _changed(self) -> None:
        self._refresh_submit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return True if self.can_submit else None
        return True

    def request(self) -> CopyRequest:
        values = {f.field_id: f.value for f in self.fields()}
        return CopyRequest(
            name=values.get("name", ""),
            description=values.get("description") or None,
            cmk_id=values.get("cmk_id") or None,
            enterprise_project_id=values.get("enterprise_project_id") or None,
        )

    # ------------------------------------------------------------------ submit

    def _mark(self, code: str, message: str | None, *, earlier: bool) -> None:
        field_id = blamed_field(code)
        for field in self.fields():
            if field.field_id == field_id:
                field.mark(field_reason(code, message, earlier=earlier))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter in a field moves to the next field (from the last back to the first): it never submits."""
        event.stop()
        inputs = [f.input for f in self.fields()]
        if event.input in inputs:
            inputs[(inputs.index(event.input) + 1) % len(inputs)].focus()

    @on(Button.Pressed, "#submit-button")
    def action_submit(self) -> None:
        if not self.can_submit:
            if not self.is_valid:
                self.app.bell()
            return
        app = self.console
        session = app.session
        if session is None:
            self._show_result(literal("Not connected: set up or select a profile first.", "$text-error"))
            return
        request = self.request()
        key, project = self.field("cmk_id"), self.field("enterprise_project_id")
        body = copy_summary(
            region=plain(session.region),
            project=plain(session.project_id or ""),
            source_id=self.image.id,
            source_name=self.image.name,
            target_name=request.name,
            description=request.description or "",
            cmk_id=request.cmk_id or "",
            enterprise_project_id=request.enterprise_project_id or "",
            key_label=key.label if isinstance(key, ChoiceField) else "",
            source_key=self.image.cmk_id or "",
            project_label=project.label if isinstance(project, ChoiceField) else "",
            tags=[str(t) for t in self.tags()],
        )
        self._confirming = True
        self._refresh_submit()
        self.app.push_screen(ConfirmScreen("Submit this in-region copy?", body), self._confirmed)

    def _confirmed(self, answer: bool | None) -> None:
        self._confirming = False
        if answer and not self.in_flight and not self.submitted and self.is_valid:
            self.in_flight = True
            self._submit(self.request(), self.tags())
        self._refresh_submit()

    @work(exclusive=True, group="copy", exit_on_error=False)
    async def _submit(self, request: CopyRequest, tags: list[ImageTag]) -> None:
        from imstui.core.submit import submit_copy

        app = self.console
        session = app.session
        if session is None:  # disconnected while the confirmation was open: nothing was sent
            self.in_flight = False
            self._show_result(literal("Not connected: set up or select a profile first.", "$text-error"))
            return
        retry_of = self.retry_of.row_id if self.retry_of is not None else None
        self._show_result(literal("Submitting…", "italic"))
        try:
            result = await submit_copy(
                session.api,
                session.ledger,
                profile=session.profile,
                image=self.image,
                request=request,
                retry_of=retry_of,
                poller=session.poller,
                tags=tags,
            )
        except OutcomeUnknownError as exc:
            self.submitted = True
            self._show_outcome_unknown(None, str(exc))
            return
        except ImstuiError as exc:
            from imstui.ui.screens.lookup import error_content

            self._show_result(Content("\n").join([literal("The copy was not accepted.", "bold"), error_content(exc)]))
            if isinstance(exc, ApiError):
                self._mark(exc.code, str(exc), earlier=False)
            return
        finally:
            self.in_flight = False
        record = result.record
        job_id = result.job_id
        self.result_record = record
        self.submitted = True
        if not job_id:
            error = result.outcome_error
            self._show_outcome_unknown(record, str(error) if error is not None else "")
            return
        if result.not_recorded is not None:
            from imstui.core.session import ENV_PROFILE
            from imstui.core.submit import import_command

            profile = None if session.profile == ENV_PROFILE else session.profile
            command = import_command(
                job_id, region=session.region, project_id=session.project_id, profile=profile, demo=session.demo
            )
            self._show_not_recorded(job_id, command, str(result.not_recorded))
            return
        self.app.post_message(CopyFormScreen.Submitted(record, job_id))
        self.app.notify(f"Copy submitted: job {plain(job_id)}", title="Copy submitted", markup=False)
        self._return_to_main()

    def _show_not_recorded(self, job_id: str, command: str, detail: str) -> None:
        """IMS accepted the copy but the ledger could not store its job id: show the id and how to record it."""
        lines = [
            literal(NOT_RECORDED_TEXT, "bold $text-warning"),
            assemble(("Job id: ", "bold"), plain(job_id)),
            assemble(("Record it later with: ", "bold"), plain(command)),
            assemble(("Detail: ", "bold"), plain(detail)),
        ]
        self._show_result(Content("\n").join(lines))
        self.notify(
            f"IMS accepted the copy as job {plain(job_id)}, but it is NOT recorded locally. "
            f"Record it with: {plain(command)}",
            title="Copy not recorded",
            severity="warning",
            timeout=30,
            markup=False,
        )

    def _show_outcome_unknown(self, record: JobRecord | None, detail: str) -> None:
        lines = [literal(OUTCOME_UNKNOWN_TEXT, "bold $text-warning")]
        if detail:
            lines.append(assemble(("Detail: ", "bold"), plain(detail)))
        self._show_result(Content("\n").join(lines))
        if record is not None:
            self.app.post_message(CopyFormScreen.Submitted(record, None))
        self.app.notify(
            "The copy's outcome is unknown: check before submitting again.",
            title="Outcome unknown",
            severity="warning",
            timeout=10,
            markup=False,
        )

    def _show_result(self, content: Content) -> None:
        result = self.query_one("#copy-result", Static)
        result.update(content)
        self.call_after_refresh(result.scroll_visible, animate=False)

    def _return_to_main(self) -> None:
        app = self.app
        from imstui.ui.screens.main import MainScreen

        while len(app.screen_stack) > 1 and not isinstance(app.screen, MainScreen):
            app.pop_screen()

    @on(Button.Pressed, "#cancel-button")
    def action_back(self) -> None:
        if self.in_flight:
            # Leaving would cancel the submit worker mid-POST: the copy may still be created, untracked.
            self.notify(IN_FLIGHT_TEXT, severity="warning", markup=False)
            return
        self.dismiss()
