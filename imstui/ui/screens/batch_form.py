"""The batch form: copy many marked images at once, as one checked, stored, resumable batch (issue 14, console).

Fields: the name template (``{name}`` ``{id8}`` ``{date}`` UTC ``{n}``), description, the KMS key and the
enterprise project (picked from the account's lists by alias / name, or a pasted id checked with the service: the
copy form's pickers) and the tags (``key=value, ...``, every broken rule named), each checked by the same rules as
the headless ``imstui copy ID ID ... --name-template``. Under them, a live
preview: every item's target name and verdict as the core's plan computes it (:func:`imstui.core.batch.build_plan`,
never re-derived here), and the totals with the quota. The preview is rebuilt once per refresh however many keys
arrived (a pending flag, not a timer).

F2 (or Submit) opens the confirmation listing the plan; on yes the plan is stored in the ledger before anything is
sent and submitted by :mod:`imstui.ui.batch_runner` in a worker of the app; the console goes back to the jobs panel.
An empty plan (every item skipped) sends nothing and says so here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from imstui.api.models import Image
from imstui.core.batch import BatchPlan, BatchSpec, SourceRef, build_plan, check_template
from imstui.core.tags import tags_violation
from imstui.core.validation import COPY_SUFFIX, Violation, check_description
from imstui.ui.batch_runner import resume_command, start_batch, store_plan
from imstui.ui.screens.batch_confirm import BatchConfirmScreen
from imstui.ui.screens.batch_preview import confirm_body, item_line, notes, totals_text
from imstui.ui.session import Console, console
from imstui.ui.text import assemble, literal, plain
from imstui.ui.widgets.eps_picker import EpsPicker
from imstui.ui.widgets.fields import Rule, ValidatedField
from imstui.ui.widgets.key_picker import KeyPicker
from imstui.ui.widgets.picker import ChoiceField
from imstui.ui.widgets.status_bar import StatusBar
from imstui.ui.widgets.tags_field import TagsField

if TYPE_CHECKING:
    from imstui.core.eligibility import QuotaReading

__all__ = ["DEFAULT_TEMPLATE", "BatchFormScreen", "parse_tags_text"]

DEFAULT_TEMPLATE = "{name}" + COPY_SUFFIX  # what a single copy proposes (<name>-copy), for every image


def parse_tags_text(value: str) -> list[str]:
    """``env=prod, team=db`` -> ``["env=prod", "team=db"]`` (commas separate tags; blanks ignored)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def check_tags_text(value: str) -> Violation | None:
    return tags_violation(parse_tags_text(value))[1]


def _picked(_value: str) -> None:
    """The pickers and the tags field check their own values (the rule of a text field is not used)."""
    return None


# (field id, label, rule of a text field, optional): the order of the form. cmk_id is the KMS key picker,
# enterprise_project_id the enterprise project picker, tags the tags field (as in the copy form).
FIELDS: tuple[tuple[str, str, Rule, bool], ...] = (
    ("name_template", "Name template: {name} {id8} {date} (UTC yyyymmdd) {n} (position)", check_template, False),
    ("description", "Description for every copy (optional, one line, no < >)", check_description, True),
    ("cmk_id", "KMS key for every copy (optional; type an alias to filter, Up/Down, Enter)", _picked, True),
    ("enterprise_project_id", "Enterprise project (optional; type a name to filter, Up/Down, Enter)", _picked, True),
    ("tags", "Tags of every new image (optional; key=value, comma-separated, at most 10)", _picked, True),
)

FormField = ValidatedField | ChoiceField

COMPACT_BELOW = 48  # terminal rows under which the inputs are one line each

NOTHING_TO_SEND = "Nothing to copy: every item is skipped (reasons above). Nothing was sent."


class BatchFormScreen(Screen[None]):
    """Copy the marked images with one template, key, enterprise project and tags."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="batch-back"),
        Binding("f2", "submit", "Submit", id="batch-submit", tooltip="Confirm the plan and submit the copies"),
    ]

    def __init__(self, images: list[Image]) -> None:
        super().__init__()
        self.images = list(images)
        self.plan: BatchPlan | None = None  # the plan of the fields as they are (None: the template is invalid)
        self.preview_generation = 0  # how many times the preview was rebuilt (tests wait on it)
        self.batch_id: int | None = None  # the batch stored on confirmation
        self._quota: QuotaReading | None = None
        self._project_id: str | None = None
        self._preview_pending = False
        self._confirming = False

    @property
    def console(self) -> Console:
        return console(self)

    def compose(self) -> ComposeResult:
        count = len(self.images)
        yield StatusBar()
        with VerticalScroll(id="batch-body"):
            yield Static(
                assemble(
                    (f"Copy {count} image{'s' if count != 1 else ''}", "bold"), ("  (in-region, one batch)", "dim")
                ),
                id="batch-heading",
            )
            for field_id, label, rule, optional in FIELDS:
                if field_id == "cmk_id":
                    yield KeyPicker(label, field_id=field_id, many=True)
                elif field_id == "enterprise_project_id":
                    yield EpsPicker(label, field_id=field_id)
                elif field_id == "tags":
                    yield TagsField(label, field_id=field_id)
                else:
                    yield ValidatedField(
                        label,
                        check=rule,
                        value=DEFAULT_TEMPLATE if field_id == "name_template" else "",
                        optional=optional,
                        field_id=field_id,
                        select_on_focus=False,
                        paste_as_is=field_id == "description",
                    )
            yield Static("", id="batch-preview")
            yield Static("", id="batch-totals", markup=False)
            yield Static("", id="batch-result", markup=False)
        with Horizontal(id="batch-actions", classes="actions"):
            yield Button("Submit batch… (F2)", id="batch-submit-button", variant="warning")
            yield Button("Back (Esc)", id="batch-cancel-button")
        yield Footer()

    def on_mount(self) -> None:
        self.console.update_status()
        session = self.console.session
        self._project_id = session.project_id if session is not None else None
        self.query_one("#name_template", Input).focus()
        self.update_preview()
        self._read_context()

    def on_resize(self) -> None:
        # One-line inputs up to 120x34 and beyond: the preview is what this form is for, so it starts on the first
        # screen at 80x24 as at 120x34.
        compact = self.size.height < COMPACT_BELOW
        for field in self.fields():
            if isinstance(field, ChoiceField):
                field.set_compact(compact, 4 if self.size.height < 30 else 6)
            else:
                field.input.compact = compact

    def _fit_errors(self) -> None:
        """A field's rule line takes a row only while its rule fails."""
        for field in self.query(ValidatedField):
            field.error.display = bool(str(field.error.content))

    @work(group="batch-context", exclusive=True, exit_on_error=False)
    async def _read_context(self) -> None:
        """The project the copies are made in (ownership) and the private-image quota, then the preview again."""
        from imstui.api.errors import ImstuiError
        from imstui.core.eligibility import read_quota

        session = self.console.session
        if session is None:
            return
        try:
            self._project_id = await session.api.ensure_project_id()
        except ImstuiError:
            pass  # the configured one (if any) stays; the verdicts say what an unknown project means
        self._quota = await read_quota(session.api)
        self.update_preview()

    # ------------------------------------------------------------------ the plan and its preview

    def fields(self) -> list[FormField]:
        """The form's fields in their order (text fields, the two pickers, the tags)."""
        return [w for w in self.query("#batch-body > *") if isinstance(w, (ValidatedField, ChoiceField))]

    def field(self, field_id: str) -> FormField:
        return next(f for f in self.fields() if f.field_id == field_id)

    def values(self) -> dict[str, str]:
        return {f.field_id: f.value for f in self.fields()}

    def spec(self) -> BatchSpec | None:
        """The batch the fields ask for (None: the template or the tags break a rule, or a picker holds no valid
        choice yet: a key or project that cannot be chosen, or a pasted id still being checked)."""
        values = self.values()
        template = values.get("name_template", "")
        key, project, tags = self.field("cmk_id"), self.field("enterprise_project_id"), self.field("tags")
        if check_template(template) is not None or not (tags.is_valid and key.is_valid and project.is_valid):
            return None
        cmk_id = key.value or None
        return BatchSpec(
            sources=tuple(SourceRef(image.id) for image in self.images),
            name_template=template,
            description=values.get("description") or None,
            cmk_id=cmk_id,
            key_label=(key.label if isinstance(key, ChoiceField) else None) if cmk_id else None,
            enterprise_project_id=project.value or None,
            tags=tuple(tags.tags) if isinstance(tags, TagsField) else (),
        )

    def _today(self) -> date:
        from datetime import timezone

        return self.console.clock().astimezone(timezone.utc).date()

    def compute_plan(self) -> BatchPlan | None:
        spec = self.spec()
        if spec is None:
            return None
        found = {image.id: image for image in self.images}
        return build_plan(spec, found, project_id=self._project_id, quota=self._quota, today=self._today())

    @on(Input.Changed)
    @on(ChoiceField.Resolved)
    def _changed(self) -> None:
        self.query_one("#batch-result", Static).update("")
        self._refresh_submit()
        if not self._preview_pending:  # many keys in one burst: one rebuild, after they are all in
            self._preview_pending = True
            self.call_after_refresh(self.update_preview)

    def update_preview(self) -> None:
        self._preview_pending = False
        self.plan = self.compute_plan()
        self.preview_generation += 1
        self._fit_errors()
        preview = self.query_one("#batch-preview", Static)
        totals = self.query_one("#batch-totals", Static)
        if self.plan is None:
            preview.update(literal("Fix the fields above to see the target names.", "$text-warning"))
            totals.update("")
        else:
            preview.update(Content("\n").join([literal("Preview", "bold underline"), *map(item_line, self.plan.items)]))
            totals.update(Content("\n").join([literal(totals_text(self.plan), "bold"), *notes(self.plan)]))
        self._refresh_submit()

    # ------------------------------------------------------------------ submit

    @property
    def can_submit(self) -> bool:
        fields_ok = all(f.is_valid for f in self.fields())
        return fields_ok and self.plan is not None and not self._confirming and self.batch_id is None

    def _refresh_submit(self) -> None:
        try:
            button = self.query_one("#batch-submit-button", Button)
        except Exception:
            return
        button.disabled = not self.can_submit
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return True if self.can_submit else None
        return True

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter moves to the next field: it never submits."""
        event.stop()
        inputs = [f.input for f in self.fields()]
        if event.input in inputs:
            inputs[(inputs.index(event.input) + 1) % len(inputs)].focus()

    def _show_result(self, content: Content) -> None:
        result = self.query_one("#batch-result", Static)
        result.update(content)
        self.call_after_refresh(result.scroll_visible, animate=False)

    @on(Button.Pressed, "#batch-submit-button")
    def action_submit(self) -> None:
        self.update_preview()  # the plan confirmed is the plan of the fields as they are now
        plan = self.plan
        if not self.can_submit or plan is None:
            self.app.bell()
            return
        session = self.console.session
        if session is None:
            self._show_result(literal("Not connected: set up or select a profile first.", "$text-error"))
            return
        if plan.empty:
            self._show_result(literal(NOTHING_TO_SEND, "bold $text-warning"))
            return
        project_field = self.field("enterprise_project_id")
        tags_field = self.field("tags")
        body = confirm_body(
            plan,
            region=plain(session.region),
            project=plain(session.project_id or ""),
            enterprise_project=project_field.label if isinstance(project_field, ChoiceField) else "",
            tags=[str(t) for t in tags_field.tags] if isinstance(tags_field, TagsField) else [],
            batch_hint="Stored in the ledger before anything is sent; if imstui stops, imstui batch resume continues.",
        )
        ready = len(plan.ready)
        self._confirming = True
        self._refresh_submit()
        title = f"Copy {ready} image{'s' if ready != 1 else ''} in one batch?"
        label = f"Copy {ready}"
        self.app.push_screen(
            BatchConfirmScreen(title, body, confirm_label=label), lambda yes: self._confirmed(yes, plan)
        )

    def _confirmed(self, answer: bool | None, plan: BatchPlan) -> None:
        from imstui.core.ledger import LedgerError

        self._confirming = False
        if not answer or self.batch_id is not None:
            self._refresh_submit()
            return
        template = self.values().get("name_template") or None
        try:
            batch_id = store_plan(self, plan, name_template=template)
        except (LedgerError, RuntimeError) as exc:
            self._show_result(literal(f"The batch was not stored: {plain(str(exc))}. Nothing was sent.", "$text-error"))
            self._refresh_submit()
            return
        self.batch_id = batch_id
        self._refresh_submit()
        images = {item.source_image_id: item.image for item in plan.ready if item.image is not None}
        start_batch(self, batch_id, images)
        ready = len(plan.ready)
        self.app.notify(
            f"batch {batch_id}: {ready} cop{'ies' if ready != 1 else 'y'} being submitted. If imstui stops before "
            f"they are all sent: {resume_command(batch_id)}",
            title=f"Batch {batch_id}",
            markup=False,
        )
        self._return_to_main()

    def _return_to_main(self) -> None:
        from imstui.ui.screens.main import MainScreen

        app = self.app
        while len(app.screen_stack) > 1 and not isinstance(app.screen, MainScreen):
            app.pop_screen()

    @on(Button.Pressed, "#batch-cancel-button")
    def action_back(self) -> None:
        self.dismiss()
