"""Image lookup: type or paste an id, see the image's attributes and whether it can be copied in-region."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from imstui.api.errors import ApiError, ImageNotFoundError, ImstuiError
from imstui.api.models import Image
from imstui.core.wording import format_size
from imstui.ui.picks import MARKS_LEGEND, Pick
from imstui.ui.session import Console, console
from imstui.ui.text import assemble, literal, plain
from imstui.ui.widgets.fields import RuleValidator, violation_text
from imstui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from imstui.core.eligibility import Condition, QuotaReading, Verdict


def condition_text(condition: Condition) -> str:
    """Plain words for one blocking/warning condition of an eligibility Verdict (``title: detail``)."""
    return plain(f"{condition.title}: {condition.detail}" if condition.detail else condition.title)


def os_text(image: Image) -> str:
    """``Linux Ubuntu 22.04 server 64bit``: type and version, plus the bitness only when the version lacks it."""
    parts = [p.strip() for p in (image.os_type, image.os_version or image.platform) if p and p.strip()]
    if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
        parts = parts[1:]  # "Windows" + "Windows Server 2019 ..." reads once
    text = " ".join(parts)
    bits = (image.os_bit or "").strip()
    lowered = text.lower().replace(" ", "").replace("-", "")
    if bits and f"{bits}bit" not in lowered:
        text = f"{text} ({bits}-bit)" if text else f"{bits}-bit"
    return text or "unknown"


def enterprise_project_text(value: str | None) -> str:
    """``0`` is the default enterprise project: say so."""
    if not value or value == "0":
        return "0 (default)"
    return value


def image_rows(image: Image) -> list[tuple[str, str]]:
    if image.is_encrypted:
        encryption = f"encrypted (KMS key {image.cmk_id})"
    else:
        encryption = "not encrypted"
    return [
        ("Name", image.name or "(no name)"),
        ("Id", image.id),
        ("Status", image.status or "unknown"),
        ("Type", image.image_type or "unknown"),
        ("OS", os_text(image)),
        ("Size", format_size(image.size_bytes)),
        ("Min disk", f"{image.min_disk_gb} GB" if image.min_disk_gb is not None else "unknown"),
        ("Encryption", encryption),
        ("Enterprise project", enterprise_project_text(image.enterprise_project_id)),
        ("Created", image.created_at or "unknown"),
        ("Updated", image.updated_at or "unknown"),
        *([("Description", image.description)] if image.description else []),
    ]


def image_details(image: Image) -> Content:
    rows = image_rows(image)
    width = max(len(k) for k, _ in rows) + 2
    return Content("\n").join([assemble((f"{key:<{width}}", "bold"), value) for key, value in rows])


def verdict_content(verdict: Verdict) -> Content:
    blocking, warnings = verdict.blocking, verdict.warnings
    lines: list[Content] = []
    if blocking:
        lines.append(literal("✗ BLOCKED: this image cannot be copied in-region", "bold $text-error"))
        lines.extend(assemble(("  ✗ ", "$text-error"), condition_text(c)) for c in blocking)
    else:
        lines.append(literal("✓ ELIGIBLE: this image can be copied", "bold $text-success"))
    if warnings:
        lines.append(literal("Warnings:", "bold $text-warning"))
        lines.extend(assemble(("  ! ", "$text-warning"), condition_text(c)) for c in warnings)
    if verdict.quota is not None:
        lines.append(quota_content(verdict.quota))
    return Content("\n").join(lines)


def quota_content(reading: QuotaReading) -> Content:
    """The private-image quota line ("private images 48 of 50 used"; unknown when the quota call failed)."""
    line = plain(reading.line)
    if reading.reached:
        style = "bold $text-error"
    elif reading.quota is None:
        style = "$text-warning"
    else:
        style = "dim"
    return assemble(("Quota: ", "bold"), (line, style))


def error_content(exc: ImstuiError) -> Content:
    """An API error in plain words, with the catalogue's meaning and next step when the code is known."""
    from imstui.api.catalogue import describe

    lines = [assemble(("✗ ", "bold $text-error"), plain(str(exc), multiline=True))]
    info = describe(exc.code, exc.message) if isinstance(exc, ApiError) else None
    if info is not None:
        lines.append(assemble(("Meaning: ", "bold"), info.meaning))
        lines.append(assemble(("Next step: ", "bold"), info.next_step))
    return Content("\n").join(lines)


PICK_LABEL_WIDTH = 31
PICK_NAME_WIDTH = 40


def pick_option(pick: Pick) -> Option:
    """One line: the case in plain words, the image id, then the (untrusted, literal, cut) name."""
    name = plain(pick.name)
    if len(name) > PICK_NAME_WIDTH:
        name = name[: PICK_NAME_WIDTH - 1] + "…"
    prompt = assemble((f"{pick.label:<{PICK_LABEL_WIDTH}}", "bold"), (pick.image_id, "dim"), "  ", name)
    return Option(prompt, id=f"{pick.group}:{pick.image_id}")


def heading_option(text: str) -> Option:
    return Option(literal(text, "bold $text-accent"), disabled=True)


class LookupScreen(Screen[None]):
    """Look an image up by id and check its copy eligibility. With the id field empty, a pick list offers the demo
    images (``--demo``) and the recent source images of this profile's copies: Up/Down then Enter looks one up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="lookup-back"),
        Binding("down", "pick(1)", "Pick", show=False, id="lookup-pick-next"),
        Binding("up", "pick(-1)", "Pick", show=False, id="lookup-pick-previous"),
        Binding("f2", "copy", "Copy…", id="lookup-copy", tooltip="Open the copy form for this image"),
        Binding("f5", "refresh", "Refresh", id="lookup-refresh", tooltip="Look the image up again"),
    ]

    @property
    def console(self) -> Console:
        return console(self)

    def __init__(self, image_id: str | None = None) -> None:
        super().__init__()
        self.initial_id = image_id or ""
        self.image: Image | None = None
        self.verdict: Verdict | None = None
        self._pending_id: str | None = None  # the id being looked up right now

    def compose(self) -> ComposeResult:
        from imstui.core.validation import check_image_id

        yield StatusBar()
        with Horizontal(id="lookup-bar"):
            yield Label("Image id", id="image-id-label")
            yield Input(
                value=self.initial_id,
                placeholder="paste an image id (UUID) and press Enter",
                id="image-id",
                validators=[RuleValidator(check_image_id)],
                validate_on=["changed", "submitted"],
                max_length=64,
            )
            yield Button("Look up", id="lookup-button", variant="primary")
        yield Static("", id="image-id-error", classes="field-error", markup=False)
        yield Static("", id="picker-hint", markup=False)
        yield OptionList(id="image-picker", markup=False)
        with VerticalScroll(id="lookup-body"):
            yield Static("", id="verdict", markup=False)
            yield Static("", id="image-details", markup=False)
        with Horizontal(id="lookup-actions", classes="actions"):
            yield Button("Copy this image… (F2)", id="copy-button", variant="success", disabled=True)
            yield Button("Back (Esc)", id="back-button")
        yield Footer()

    def on_mount(self) -> None:
        self.console.update_status()
        self.query_one("#image-id", Input).focus()
        self.refresh_picks()
        if self.initial_id:
            self.look_up(self.initial_id)

    def on_screen_resume(self) -> None:
        self.refresh_picks()

    # ------------------------------------------------------------------ pick list

    def picks(self) -> list[Pick]:
        """What the pick list offers now: the demo images (demo sessions) and this profile's recent sources."""
        from imstui.ui.picks import demo_picks, ledger_recent_picks

        app = self.console
        session = app.session
        if session is None:
            return []
        recent = ledger_recent_picks(session.ledger, session.profile, app.clock())
        return recent + demo_picks(session.catalogue)

    def refresh_picks(self) -> None:
        """Rebuild the pick list (and its hint) and show it only while the id field is empty."""
        session = self.console.session
        picker = self.query_one("#image-picker", OptionList)
        hint = self.query_one("#picker-hint", Static)
        picks = self.picks()
        options: list[Option] = []
        recent = [p for p in picks if p.group == "recent"]
        demo = [p for p in picks if p.group == "demo"]
        if recent and session is not None:
            options.append(heading_option(f"Recently copied from (profile {plain(session.profile)}):"))
            options.extend(pick_option(p) for p in recent)
        if demo:
            options.append(heading_option(f"Demo images ({MARKS_LEGEND}):"))
            options.extend(pick_option(p) for p in demo)
        picker.clear_options()
        picker.add_options(options)
        if session is None:
            text = "Not connected yet: the pick list appears once a profile is connected."
        elif not picks:
            text = "Paste an image id (UUID). Images you copy appear here next time."
        else:
            text = "↑/↓ then Enter looks one up (or type an id)."
            if session.catalogue is not None:
                text += "\n" + session.catalogue.failure_hint
        hint.update(literal(text, "italic", multiline=True))
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        picker.highlighted = first
        self._show_picker(not self.query_one("#image-id", Input).value)

    def _show_picker(self, show: bool) -> None:
        self.query_one("#image-picker", OptionList).display = show
        self.query_one("#picker-hint", Static).display = show
        self.query_one("#lookup-body", VerticalScroll).display = not show
        self.refresh_bindings()

    @property
    def picker_shown(self) -> bool:
        return bool(self.query_one("#image-picker", OptionList).display)

    def highlighted_pick(self) -> str | None:
        """The image id of the highlighted pick-list line (None if nothing is highlighted)."""
        picker = self.query_one("#image-picker", OptionList)
        if picker.highlighted is None:
            return None
        option_id = picker.get_option_at_index(picker.highlighted).id or ""
        return option_id.partition(":")[2] or None

    def action_pick(self, step: int) -> None:
        picker = self.query_one("#image-picker", OptionList)
        if step > 0:
            picker.action_cursor_down()
        else:
            picker.action_cursor_up()

    @on(OptionList.OptionSelected, "#image-picker")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        image_id = (event.option.id or "").partition(":")[2]
        if image_id:
            self.query_one("#image-id", Input).focus()
            self.look_up(image_id)

    # ------------------------------------------------------------------ input

    @on(Input.Changed, "#image-id")
    def _id_changed(self, event: Input.Changed) -> None:
        from imstui.core.validation import normalise_image_id

        result = event.validation_result
        error = self.query_one("#image-id-error", Static)
        self._show_picker(not event.value)
        # The field as it is now (a Changed event may be older than a value set since, e.g. by a pick).
        typed = normalise_image_id(self.query_one("#image-id", Input).value)
        if self._pending_id is not None and typed != self._pending_id:
            # Another id is being typed: the lookup under way is for an id no longer on screen.
            self._pending_id = None
            self.workers.cancel_group(self, "lookup")
            self._show(None, None)
        if self.image is not None and typed != self.image.id:
            # The verdict on screen belongs to the previous id: clear it, F2 is off until this id is looked up.
            self._show(None, None)
        if result is None or result.is_valid or not event.value:
            error.update("")
        else:
            error.update(literal("✗ " + "; ".join(result.failure_descriptions)))

    @on(Input.Submitted, "#image-id")
    @on(Button.Pressed, "#lookup-button")
    def _submit(self) -> None:
        value = self.query_one("#image-id", Input).value
        picked = self.highlighted_pick() if not value.strip() and self.picker_shown else None
        self.look_up(picked or value)

    def look_up(self, image_id: str) -> None:
        from imstui.core.validation import check_image_id, normalise_image_id

        image_id = normalise_image_id(image_id)
        field = self.query_one("#image-id", Input)
        if field.value != image_id:
            field.value = image_id
        violation = check_image_id(image_id)
        if violation is not None:
            self.query_one("#image-id-error", Static).update(literal("✗ " + violation_text(violation)))
            return
        self._pending_id = image_id
        self._lookup(image_id)

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _lookup(self, image_id: str) -> None:
        from imstui.core.eligibility import assess, read_quota

        session = self.console.session
        self._show(None, None)
        details = self.query_one("#image-details", Static)
        if session is None:
            details.update(
                literal("Not connected yet: set up or select a profile first (Esc, then a: credentials).", "italic")
            )
            return
        details.update(assemble(("Looking up ", "italic"), image_id, ("…", "italic")))
        try:
            image = await session.api.get_image(image_id)
        except ImageNotFoundError:
            details.update(
                assemble(
                    ("✗ No image with id ", "$text-error"),
                    image_id,
                    (f" in region {plain(session.region)} (project {plain(session.project_id or '?')}).", ""),
                )
            )
            return
        except ImstuiError as exc:
            details.update(error_content(exc))
            return
        project_id = session.project_id
        verdict = assess(image, project_id, await read_quota(session.api))
        if self._pending_id != image_id:  # the id field changed while IMS answered: not what is on screen
            return
        self._pending_id = None
        self._show(image, verdict)

    def _show(self, image: Image | None, verdict: Verdict | None) -> None:
        self.image = image
        self.verdict = verdict
        details = self.query_one("#image-details", Static)
        verdict_widget = self.query_one("#verdict", Static)
        copy_button = self.query_one("#copy-button", Button)
        if image is None or verdict is None:
            details.update("")
            verdict_widget.update("")
            copy_button.disabled = True
            self.refresh_bindings()
            return
        details.update(image_details(image))
        verdict_widget.update(verdict_content(verdict))
        copy_button.disabled = not self.can_copy
        self.refresh_bindings()
        # Focus stays where it is (the id field): Enter there only ever looks up, so a new id pasted and Enter
        # never presses "Copy" for the image shown before. Copying takes F2 or a deliberate Tab to the button.

    @property
    def can_copy(self) -> bool:
        """A verdict without blocking conditions is shown, and it is the verdict of the id in the field."""
        from imstui.core.validation import normalise_image_id

        if self.image is None or self.verdict is None or self.verdict.blocking:
            return False
        return normalise_image_id(self.query_one("#image-id", Input).value) == self.image.id

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return True if self.can_copy else None
        if action == "pick":
            # Up/Down move the pick list from the (empty) id field; elsewhere they belong to the focused widget.
            return self.picker_shown and isinstance(self.focused, Input)
        return True

    @on(Button.Pressed, "#copy-button")
    def action_copy(self) -> None:
        if not self.can_copy or self.image is None:
            self.app.bell()
            return
        self.console.open_copy_form(self.image)

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        value = self.query_one("#image-id", Input).value
        if value:
            self.look_up(value)
