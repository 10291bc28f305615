"""Image lookup: type or paste an id, see the image's attributes and whether it can be copied in-region."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from imstui.api.errors import ApiError, ImageNotFoundError, ImstuiError
from imstui.api.models import Image
from imstui.core.image_search import ImageFilter, RowPage, search_pages
from imstui.core.wording import SERVER_DATA_UNKNOWN, format_size
from imstui.ui.browser_model import BrowserModel, filter_words
from imstui.ui.launch import keep_long_lived
from imstui.ui.session import Console, console
from imstui.ui.text import assemble, literal, plain
from imstui.ui.widgets.fields import RuleValidator, violation_text
from imstui.ui.widgets.image_browser import ImageBrowser
from imstui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from imstui.api.client import ImsClient
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
    """The image's attributes, then what the server sent that cannot be real (each such field reads "unknown"
    above), under the heading the headless ``imstui image`` uses."""
    rows = image_rows(image)
    width = max(len(k) for k, _ in rows) + 2
    lines = [assemble((f"{key:<{width}}", "bold"), value) for key, value in rows]
    if image.problems:
        lines.append(literal(SERVER_DATA_UNKNOWN, "bold $text-warning"))
        lines.extend(assemble(("  ! ", "$text-warning"), plain(problem)) for problem in image.problems)
    return Content("\n").join(lines)


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


PAGE_SIZE = 200  # images per list request: a first screenful soon, 50 requests for 10,000 images
KEY_PROMPT = "KMS key alias or id, or none (unencrypted); empty: any key"


class LookupScreen(Screen[None]):
    """Look an image up by id and check its copy eligibility. With the id field empty, the account's images are
    browsed (:class:`ImageBrowser`): pages read as the cursor nears the end of what is loaded, ``/`` filters on
    name, id or OS as you type, ``e`` eligible only, ``k`` encrypted with a key, ``s`` sort, Enter looks the row up;
    ``space`` marks, ``+`` marks all shown, ``-`` clears, ``c`` copies the marked images as one batch."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="lookup-back"),
        Binding("down", "browse", "Browse", id="lookup-browse", tooltip="Move to the list of the account's images"),
        Binding(
            "slash", "filter", "Filter", priority=True, id="lookup-filter", tooltip="Filter the images as you type"
        ),
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
        self.model = BrowserModel()
        self.list_error: ImstuiError | None = None
        self.list_note = ""  # why the list is not read (not connected, a connection that cannot list)
        self._pages: AsyncIterator[RowPage] | None = None
        self._listing_started = False
        self._loading = False
        self.key_label: str | None = None  # the key filter in words (alias), None: no key filter
        self.page_requests = 0  # pages asked for (tests: pages are read as the cursor goes, not all up front)
        self._status_shown: Content | None = None  # what the status line shows (not set again when unchanged)
        self._status_key: tuple[object, ...] = ()  # its text and styles
        self._binding_state: tuple[bool, bool] | None = None  # what check_action reads of the browser

    def compose(self) -> ComposeResult:
        from imstui.core.validation import check_image_id

        yield StatusBar()
        with Horizontal(id="lookup-bar"):
            yield Label("Image id", id="image-id-label")
            yield Input(
                value=self.initial_id,
                placeholder="paste an image id (UUID) and press Enter, or ↓ to browse",
                id="image-id",
                validators=[RuleValidator(check_image_id)],
                validate_on=["changed", "submitted"],
                max_length=64,
            )
            yield Button("Look up", id="lookup-button", variant="primary")
        yield Static("", id="image-id-error", classes="field-error", markup=False)
        with Vertical(id="browser-pane"):
            with Horizontal(id="browser-bar"):
                yield Input(placeholder="/ filter: name, id or OS", id="browser-filter", compact=True)
                yield Input(placeholder=KEY_PROMPT, id="browser-key", compact=True)
            yield Static("", id="browser-status", markup=False)
            yield ImageBrowser(self.model)
        with VerticalScroll(id="lookup-body"):
            yield Static("", id="verdict", markup=False)
            yield Static("", id="image-details", markup=False)
        with Horizontal(id="lookup-actions", classes="actions"):
            yield Button("Copy this image… (F2)", id="copy-button", variant="success", disabled=True)
            yield Button("Copy marked images… (c)", id="copy-marked-button", variant="success")
            yield Button("Back (Esc)", id="back-button")
        yield Footer()

    def on_mount(self) -> None:
        self.console.update_status()
        self.query_one("#browser-key", Input).display = False
        self.browser.near_end = self._near_end
        self.query_one("#image-id", Input).focus()
        self.refresh_browser()
        if self.initial_id:
            self.look_up(self.initial_id)

    def on_screen_resume(self) -> None:
        self.refresh_browser()

    async def on_unmount(self) -> None:
        pages, self._pages = self._pages, None
        close = getattr(pages, "aclose", None)
        if close is not None:
            with contextlib.suppress(BaseException):
                await close()

    # ------------------------------------------------------------------ image browser

    @property
    def browser(self) -> ImageBrowser:
        return self.query_one(ImageBrowser)

    def notes(self) -> dict[str, str]:
        """A short note per image id: the demo case it shows, when this profile last copied it."""
        from imstui.ui.picks import demo_case, ledger_recent_picks

        session = self.console.session
        if session is None:
            return {}
        notes: dict[str, str] = {}
        if session.catalogue is not None:
            notes.update((seeded.image_id, f"demo: {demo_case(seeded.key)}") for seeded in session.catalogue.images)
        for pick in ledger_recent_picks(session.ledger, session.profile, self.console.clock()):
            notes[pick.image_id] = pick.label + (f" · {notes[pick.image_id]}" if pick.image_id in notes else "")
        return notes

    def refresh_browser(self) -> None:
        """Start reading the account's images once connected; show the pane only while the id field is empty."""
        browser = self.browser
        browser.notes = self.notes()
        if not self._listing_started:
            self._start_listing()
        browser.refresh_view(keep=self._cursor_id())
        self._update_browser_status()
        self._show_picker(not self.query_one("#image-id", Input).value)

    def _start_listing(self) -> None:
        from imstui.api.client import ImsClient

        session = self.console.session
        if session is None:
            self.list_note = "Not connected yet: the account's images appear once a profile is connected."
            return
        if not isinstance(session.api, ImsClient):
            self.list_note = "This connection cannot list images: type or paste an image id above."
            return
        self.list_note = ""
        self._listing_started = True
        self._fetch_pages()

    def _near_end(self) -> None:
        if self._listing_started and not self._loading and not self.model.done and self.list_error is None:
            self._fetch_pages()

    def _cursor_id(self) -> str | None:
        row = self.browser.cursor_row
        return None if row is None else row.image.id

    @work(group="browser-pages", exit_on_error=False)
    async def _fetch_pages(self) -> None:
        """Read pages while the cursor (or the viewport) is near the end of what is loaded, one at a time."""
        from imstui.api.image_list import ImageLister

        if self._loading:
            return
        self._loading = True
        self._update_browser_status()
        try:
            if self._pages is None:
                session = self.console.session
                if session is None:
                    return
                api = cast("ImsClient", session.api)
                project_id = await api.ensure_project_id()
                lister = ImageLister(api, page_size=PAGE_SIZE, read_ahead=True)
                self._pages = aiter(search_pages(lister, ImageFilter(), project_id=project_id))
            while True:
                self.page_requests += 1
                try:
                    page = await anext(self._pages)
                except StopAsyncIteration:
                    self.model.done = True
                    break
                browser = self.browser
                keep = self._cursor_id()
                self.model.pages += 1
                self.model.skipped += page.skipped
                self.model.add(page.rows)
                keep_long_lived()  # the rows stay while the browser does: out of the collector's full passes
                browser.refresh_view(keep=keep)
                self._update_browser_status()
                if not browser.is_near_end():
                    break
        except ImstuiError as exc:
            self.list_error = exc
        finally:
            self._loading = False
            self._update_browser_status()

    def _update_browser_status(self) -> None:
        """The status line and the copy-marked button, then the footer's keys if what they depend on changed.
        Cheap enough for every key typed into the filter and every page: the line is set only when its text
        changed, without a new layout while it stays one line, and the footer (rebuilt whenever the bindings are
        refreshed) only when the list goes empty or not, or the marks do."""
        status = self._browser_status()
        key = (status.plain, tuple(status.spans))
        if key != self._status_key:
            self._status_key = key
            field = self.query_one("#browser-status", Static)
            width = field.content_region.width
            one_line = self._status_shown is not None and all(
                "\n" not in c.plain and c.cell_length <= width for c in (status, self._status_shown)
            )
            self._status_shown = status
            field.update(status, layout=not one_line)
        button = self.query_one("#copy-marked-button", Button)
        count = self.model.mark_count
        label = f"Copy {count} image{'s' if count != 1 else ''}… (c)"
        if str(button.label) != label:
            button.label = label
        show = bool(count) and self.picker_shown
        if button.display != show:
            button.display = show
        self._refresh_browser_bindings()

    def _refresh_browser_bindings(self) -> None:
        state = (bool(self.model.shown), bool(self.model.mark_count))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def _browser_status(self) -> Content:
        """The line above the list: what is loaded, the view's settings, the marks; or why there is no list."""
        model = self.model
        if self.list_note and not model.loaded:
            return literal(self.list_note, "italic")
        if self.list_error is not None:
            parts: list[str | tuple[str, str] | Content] = [
                ("✗ The image list could not be read: ", "bold $text-error"),
                plain(str(self.list_error)),
                ("\nType or paste an image id above: the lookup itself may still work.", "italic"),
            ]
            if model.loaded:
                parts.append(f"\n{model.loaded:,} images were loaded before it failed.")
            return assemble(*parts)
        if model.done and not model.loaded:
            return literal(
                "No images in this account: none of its own and none shared with it and accepted. "
                "Type or paste an image id above.",
                "italic",
            )
        if not model.loaded:
            return literal("Reading the account's images…", "italic")
        loaded = f"{model.loaded:,} images" + (" (all)" if model.done else ", more as you scroll")
        if self._loading and not model.done:
            loaded += " (reading…)"
        parts = [(loaded, "bold")]
        if model.filtered:
            parts += [" · ", (f"{len(model.shown):,} shown", "bold")]
        parts += [" · ", filter_words(model, self.key_label)]
        if model.mark_count:
            hidden = model.hidden_marks
            marks = f"{model.mark_count} marked" + (f" ({hidden} hidden by the filter)" if hidden else "")
            parts += [" · ", (marks, "bold $text-accent")]
        return assemble(*parts)

    def _show_picker(self, show: bool) -> None:
        self.query_one("#browser-pane", Vertical).display = show
        self.query_one("#lookup-body", VerticalScroll).display = not show
        self.query_one("#copy-button", Button).display = not show
        self.query_one("#copy-marked-button", Button).display = show and self.model.mark_count > 0
        self.refresh_bindings()

    @property
    def picker_shown(self) -> bool:
        return bool(self.query_one("#browser-pane", Vertical).display)

    def highlighted_pick(self) -> str | None:
        """The image id of the browser's cursor row (None when nothing is shown)."""
        return self._cursor_id()

    def action_browse(self) -> None:
        self.browser.focus()

    def action_filter(self) -> None:
        self.query_one("#browser-filter", Input).focus()

    @on(ImageBrowser.Selected)
    def _picked(self, event: ImageBrowser.Selected) -> None:
        event.stop()
        self.query_one("#image-id", Input).focus()
        self.look_up(event.row.image.id)

    @on(ImageBrowser.TopReached)
    def _top_reached(self, event: ImageBrowser.TopReached) -> None:
        event.stop()
        self.query_one("#browser-filter", Input).focus()

    @on(Input.Changed, "#browser-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        browser = self.browser
        keep = self._cursor_id()
        self.model.set_text(event.value)
        index = self.model.index_of(keep, hint=browser.cursor)
        browser.cursor = 0 if index is None else index  # the row kept, else the first
        browser.refresh_view()
        self._update_browser_status()

    @on(Input.Submitted, "#browser-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.browser.focus()

    def _view_changed(self) -> None:
        keep = self._cursor_id()
        self.browser.refresh_view(keep=keep)
        self._update_browser_status()

    def action_browser_mark(self) -> None:
        row = self.browser.cursor_row
        if row is None:
            self.app.bell()
            return
        self.model.toggle_mark(row.image.id)
        self.browser.refresh_cursor_row()
        self._update_browser_status()
        self.browser.move_to(self.browser.cursor + 1)  # on to the next row, as file managers do

    def action_browser_mark_shown(self) -> None:
        added = self.model.mark_shown()
        self.browser.refresh()
        self._update_browser_status()
        self.notify(f"{added:,} more marked ({self.model.mark_count:,} in all)", timeout=3)

    def action_browser_clear_marks(self) -> None:
        cleared = self.model.clear_marks()
        self.browser.refresh()
        self._update_browser_status()
        if cleared:
            self.notify(f"{cleared:,} marks cleared", timeout=3)

    def action_browser_eligible(self) -> None:
        self.model.set_eligible_only(not self.model.eligible_only)
        self._view_changed()

    def action_browser_sort(self) -> None:
        self.model.next_sort()
        self._view_changed()

    def action_browser_key(self) -> None:
        field = self.query_one("#browser-key", Input)
        field.display = True
        field.focus()

    @on(Input.Submitted, "#browser-key")
    def _key_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.key_label = None
            self.model.set_key(None)
            event.input.display = False
            self.browser.focus()
            self._view_changed()
            return
        self._resolve_key(text)

    @work(group="browser-key", exclusive=True, exit_on_error=False)
    async def _resolve_key(self, text: str) -> None:
        from imstui.api.client import ImsClient
        from imstui.core.image_search import key_for_filter
        from imstui.core.keys import kms_client

        session = self.console.session
        if session is None or not isinstance(session.api, ImsClient):
            self.notify("KMS cannot be asked on this connection", severity="warning")
            return
        try:
            key = await key_for_filter(kms_client(session.api), text)
        except ImstuiError as exc:
            self.notify(plain(str(exc)), title="Key filter", severity="error", markup=False)
            return
        self.key_label = key.label
        if key.key is not None:
            self.browser.set_key_label(key.key_id, key.key.alias)
        self.model.set_key(key.key_id)
        self.query_one("#browser-key", Input).display = False
        self.browser.focus()
        self._view_changed()

    @on(Button.Pressed, "#copy-marked-button")
    def action_browser_copy_marked(self) -> None:
        from imstui.ui.screens.batch_form import BatchFormScreen

        images = self.model.marked_images()
        if not images:
            self.app.bell()
            return
        self.app.push_screen(BatchFormScreen(images))

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
        id_field = self.query_one("#image-id", Input)
        if action == "browse":
            # Down from the (empty) id field goes to the list; elsewhere it belongs to the focused widget.
            return self.picker_shown and self.focused is id_field and bool(self.model.shown)
        if action == "filter":
            # '/' is typed into the filter and key fields (and a non-empty id field shows no list).
            if not self.picker_shown:
                return False
            return isinstance(self.focused, ImageBrowser) or (self.focused is id_field and not id_field.value)
        if action == "browser_copy_marked":
            return True if self.model.mark_count else None
        return True

    @on(Button.Pressed, "#copy-button")
    def action_copy(self) -> None:
        if not self.can_copy or self.image is None:
            self.app.bell()
            return
        self.console.open_copy_form(self.image)

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        """Esc: out of the filter or key field back to the list; from a looked-up image back to the list;
        else leave the screen."""
        focused = self.focused
        if isinstance(focused, Input) and focused.id in ("browser-filter", "browser-key"):
            if focused.id == "browser-key":
                focused.display = False
            self.browser.focus()
            return
        id_field = self.query_one("#image-id", Input)
        if id_field.value and self.model.loaded and not self.picker_shown:
            id_field.value = ""
            self._show_picker(True)
            self.browser.focus()
            return
        self.dismiss()

    def action_refresh(self) -> None:
        value = self.query_one("#image-id", Input).value
        if value:
            self.look_up(value)
