"""Credential profiles: create, edit, delete, select and test; the keyring backend's verdict and remedies.

The secret key is typed into a masked input whose copy/cut do nothing, and a saved SK is never shown again (leave
the field empty to keep it, type a new one to replace it). Every keyring call runs off the event loop with the
store's timeout; a password-based keyring is unlocked through imstui's own modal, never getpass. Plaintext storage
needs an explicit opt-in, after which the status bar keeps saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from imstui.api.credentials import Credentials, mask_ak
from imstui.api.errors import ImstuiError
from imstui.api.secret import Secret
from imstui.core.keyring_backends import SecretStoreUnavailable
from imstui.ui.screens import credentials_fields as fields
from imstui.ui.session import Console, console
from imstui.ui.text import assemble, literal, plain
from imstui.ui.widgets.fields import SecretInput
from imstui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from imstui.core.keyring_backends import BackendInfo
    from imstui.core.profiles import Profile, ProfileStore
    from imstui.core.secret_store import SecretStore

STORE_CHOICES: list[tuple[str, str]] = [
    ("OS keyring (recommended)", "keyring"),
    ("This session only (memory)", "session"),
    ("Environment variables", "env"),
    ("PLAINTEXT file (insecure, opt-in)", "plaintext"),
]

SAVED_SK_PLACEHOLDER = "saved - never shown; type a new SK to replace it"
# What the profile-name field lets through as it is typed: the characters and length of a profile name
# (imstui.core.profiles.validate_profile_name), so a secret typed or pasted there by mistake is mostly refused.
PROFILE_NAME_TYPING = r"[A-Za-z0-9_.-]{0,64}"


class CredentialsScreen(Screen[None]):
    """Manage credential profiles (not available in demo mode, which uses no credentials)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="credentials-back"),
        Binding("f2", "save", "Save", id="credentials-save"),
        Binding("f3", "test", "Test", id="credentials-test"),
        Binding("f4", "select", "Use profile", id="credentials-select"),
        Binding("f6", "new", "New", id="credentials-new"),
        Binding("f8", "delete", "Delete", id="credentials-delete"),
    ]

    def __init__(self, *, first_run: bool = False) -> None:
        super().__init__()
        self.first_run = first_run
        self.editing: str | None = None
        self.backend_info: BackendInfo | None = None
        self.saved_hint: str | None = None
        self._pending_delete: str | None = None
        self._unknown_region_ok: str | None = None  # the unknown region the operator confirmed by saving twice

    # ------------------------------------------------------------------ layout

    @property
    def console(self) -> Console:
        return console(self)

    @property
    def store(self) -> ProfileStore:
        store = self.console.connector.profile_store
        if store is None:  # demo mode: every control is disabled on mount, so no action gets here
            raise ImstuiError("the demo stores no profiles")
        return store

    @property
    def secrets(self) -> SecretStore:
        secrets = self.console.connector.secret_store
        if secrets is None:
            raise ImstuiError("the demo stores no keys")
        return secrets

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="credentials-body"):
            with Vertical(id="credentials-left"):
                if self.first_run:
                    yield Static(
                        literal("First run: create a profile to connect (or start with --demo).", "bold $accent")
                    )
                yield Label("Profiles (Enter edits)")
                yield OptionList(id="profile-list")
                yield Static(fields.backend_content(None), id="backend-verdict")
            with Vertical(id="credentials-right"):
                yield Label("Profile name")
                yield Input(id="profile-name", placeholder="e.g. prod-sg", max_length=64, restrict=PROFILE_NAME_TYPING)
                yield Label("Region (→ completes a known region)")
                yield Input(id="profile-region", placeholder="e.g. ap-southeast-1", suggester=fields.region_suggester())
                yield Static("", id="region-note")
                yield Label("Project id (empty: discover from the region)")
                yield Input(id="profile-project", placeholder="32 hex characters")
                yield Label("Access key (AK)")
                yield Input(id="profile-ak", placeholder="AK")
                yield Label("Secret key (SK)")
                yield SecretInput(id="profile-sk", placeholder="SK (masked, cannot be copied)")
                yield Label("Security token (temporary keys only)")
                yield SecretInput(id="profile-token", placeholder="optional")
                yield Label("Where to keep the keys")
                yield Select(STORE_CHOICES, value="keyring", allow_blank=False, id="profile-store")
                yield Checkbox("I accept storing these keys UNENCRYPTED on disk", id="plaintext-opt-in")
                for widget_id, label, _field in fields.ENDPOINT_FIELDS:
                    yield Label(label)
                    yield Input(id=widget_id, placeholder="https://…")
        # Outside the scrolling form, just above the buttons: a Test/Save result is where the operator is looking.
        yield Static("", id="credentials-result", markup=False)
        with Horizontal(classes="actions", id="credentials-actions"):
            yield Button("Save (F2)", id="save-button", variant="primary")
            yield Button("Test (F3)", id="test-button")
            yield Button("Use (F4)", id="select-button", variant="success")
            yield Button("New (F6)", id="new-button")
            yield Button("Delete (F8)", id="delete-button", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#region-note", Static).display = False
        if self.console.connector.profile_store is None:
            for widget in self.query("Input, Select, Checkbox, Button, OptionList"):
                widget.disabled = True
            self.query_one("#backend-verdict", Static).update(
                literal("Demo mode: the simulator needs no credentials and nothing is stored.", "italic")
            )
            return
        if self.first_run:
            # The app's "Set up a profile" toast would sit over the buttons on a small terminal: the first-run line
            # at the top of this screen says the same, inline.
            self.app.clear_notifications()
        self.reload_profiles()
        self.load_backend_info()
        # Not scrolled to: whether the field is in view at the first refresh depends on how fast the keyring verdict
        # above it arrives (it can answer before or after), so the screen always opens at its top instead.
        self.query_one("#profile-name", Input).focus(scroll_visible=False)

    # ------------------------------------------------------------------ helpers

    def show(self, content: Content | str, *, error: bool = False) -> None:
        text = content if isinstance(content, Content) else literal(content, "$text-error" if error else "")
        self.query_one("#credentials-result", Static).update(text)

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def reload_profiles(self, select: str | None = None) -> None:
        options = self.query_one("#profile-list", OptionList)
        options.clear_options()
        try:
            profiles = self.store.list()
            default = self.store.default_name()
        except ImstuiError as exc:
            self.show(plain(str(exc)), error=True)
            return
        for profile in profiles:
            marker = " (default)" if profile.name == default else ""
            hint = f"  AK {profile.ak_hint}" if profile.ak_hint else ""
            label = assemble((profile.name, "bold"), f"  {profile.region}{marker}", (hint, "dim"))
            options.add_option(Option(label, id=profile.name))
        if not profiles:
            options.add_option(Option(literal("(no profiles yet)", "italic dim"), id="", disabled=True))
        if select:
            try:
                options.highlighted = options.get_option_index(select)
            except Exception:  # noqa: S110 - nothing to highlight
                pass

    @work(group="keyring-info", exclusive=True, exit_on_error=False)
    async def load_backend_info(self) -> None:
        info = await self.secrets.abackend_info()
        self.backend_info = info
        if self.is_attached:
            self.query_one("#backend-verdict", Static).update(fields.backend_content(info))

    # ------------------------------------------------------------------ editing

    @on(OptionList.OptionSelected, "#profile-list")
    def _edit_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name:
            self.edit(name)

    def edit(self, name: str) -> None:
        try:
            profile = self.store.get(name)
        except ImstuiError as exc:
            self.show(plain(str(exc)), error=True)
            return
        self.editing = name
        self.saved_hint = profile.ak_hint
        self.query_one("#profile-name", Input).value = profile.name
        self.query_one("#profile-region", Input).value = profile.region
        self.query_one("#profile-project", Input).value = profile.project_id or ""
        for widget_id, _label, field in fields.ENDPOINT_FIELDS:
            self.query_one(f"#{widget_id}", Input).value = getattr(profile, field) or ""
        self.query_one("#profile-ak", Input).value = ""
        self.query_one("#profile-ak", Input).placeholder = (
            f"saved: {profile.ak_hint} (type to replace)" if profile.ak_hint else "AK"
        )
        sk = self.query_one("#profile-sk", Input)
        sk.value = ""
        sk.placeholder = SAVED_SK_PLACEHOLDER if profile.ak_hint else "SK (masked, cannot be copied)"
        self.query_one("#profile-token", Input).value = ""
        self.query_one("#profile-store", Select).value = profile.credential_store
        self.query_one("#plaintext-opt-in", Checkbox).value = profile.credential_store == "plaintext"
        self.show(assemble("Editing profile ", (name, "bold"), ". Leave AK/SK empty to keep the saved keys."))

    def action_new(self) -> None:
        self.editing = None
        self.saved_hint = None
        cleared = ("profile-name", "profile-region", "profile-project", "profile-ak", "profile-sk")
        for widget_id in (*cleared, *(field[0] for field in fields.ENDPOINT_FIELDS)):
            self.query_one(f"#{widget_id}", Input).value = ""
        self.query_one("#profile-token", Input).value = ""
        self.query_one("#profile-ak", Input).placeholder = "AK"
        self.query_one("#profile-sk", Input).placeholder = "SK (masked, cannot be copied)"
        self.query_one("#profile-store", Select).value = "keyring"
        self.query_one("#plaintext-opt-in", Checkbox).value = False
        self.query_one("#profile-name", Input).focus()
        self.show("New profile.")

    # ------------------------------------------------------------------ save

    @on(Button.Pressed, "#save-button")
    def action_save(self) -> None:
        from imstui.core.profiles import Profile

        name = self.value("profile-name")
        store_kind = str(self.query_one("#profile-store", Select).value)
        opt_in = self.query_one("#plaintext-opt-in", Checkbox).value
        if store_kind == "plaintext" and not opt_in:
            self.show("Plaintext storage needs the explicit opt-in checkbox (keys would be UNENCRYPTED).", error=True)
            return
        ak = self.value("profile-ak")
        sk = self.query_one("#profile-sk", Input).value
        token = self.query_one("#profile-token", Input).value
        if bool(ak) != bool(sk):
            self.show("Enter both the AK and the SK (or neither, to keep the saved keys).", error=True)
            return
        if not ak and self.editing is None and store_kind in ("keyring", "plaintext", "session"):
            self.show("A new profile needs an AK and an SK.", error=True)
            return
        credentials = Credentials(ak=ak, sk=Secret(sk), security_token=Secret(token) if token else None) if ak else None
        region = self.value("profile-region")
        endpoints = {field: self.value(widget_id) or None for widget_id, _label, field in fields.ENDPOINT_FIELDS}
        try:
            profile = Profile(
                name=name,
                region=region,
                project_id=self.value("profile-project") or None,
                credential_store=store_kind,  # type: ignore[arg-type]
                ak_hint=mask_ak(ak) if ak else self.saved_hint,
                **endpoints,
            )
        except ImstuiError as exc:
            self.show(plain(str(exc)), error=True)
            return
        if not fields.is_known_region(region) and self._unknown_region_ok != region:
            self._unknown_region_ok = region  # the next Save with this same region goes through
            self.show(fields.unknown_region_question(region))
            return
        self._save(profile, credentials, opt_in)

    @work(group="keyring", exclusive=True, exit_on_error=False)
    async def _save(self, profile: Profile, credentials: Credentials | None, opt_in: bool) -> None:
        from imstui.core.secret_store import SESSION_SECRETS, PlaintextSecrets

        self.show(literal("Saving…", "italic"))
        try:
            if credentials is not None:
                if profile.credential_store == "keyring":
                    await self.secrets.aset(profile.name, credentials)
                elif profile.credential_store == "session":
                    SESSION_SECRETS.set(profile.name, credentials)
                elif profile.credential_store == "plaintext" and opt_in:
                    PlaintextSecrets().set(profile.name, credentials)
            self.store.save(profile)
        except ImstuiError as exc:
            if isinstance(exc, SecretStoreUnavailable) and exc.wants_master_password:
                self._unlock_then(lambda: self._save(profile, credentials, opt_in), plain(str(exc)))
                return
            remedy = exc.remedy if isinstance(exc, SecretStoreUnavailable) else ""
            self.show(Content("\n").join([literal(str(exc), "$text-error"), literal(remedy or "", "dim")]))
            return
        finally:
            # The typed secrets are not kept in the widgets after a save attempt.
            if self.is_attached:
                self.query_one("#profile-sk", Input).value = ""
                self.query_one("#profile-token", Input).value = ""
        self.editing = profile.name
        self.saved_hint = profile.ak_hint
        self.query_one("#profile-ak", Input).value = ""
        self.query_one("#profile-sk", Input).placeholder = SAVED_SK_PLACEHOLDER
        self.reload_profiles(select=profile.name)
        self.show(assemble(("✓ Saved profile ", "$text-success"), (profile.name, "bold")))
        if self.first_run:
            self.action_select()

    def _unlock_then(self, retry: Callable[[], object], error: str) -> None:
        from imstui.ui.screens.unlock import UnlockScreen

        info = self.backend_info
        name = plain(info.name) if info is not None else "encrypted file"
        new = info is not None and info.new_master_password

        def answered(password: Secret | None) -> None:
            if password is None:
                self.show("The keyring stays locked; nothing was saved.", error=True)
                return
            self._unlock(password, retry)

        self.app.push_screen(UnlockScreen(name, new=new, error=error), answered)

    @work(group="keyring-unlock", exclusive=True, exit_on_error=False)
    async def _unlock(self, password: Secret, retry: Callable[[], object]) -> None:
        try:
            await self.secrets.aunlock(password)
        except ImstuiError as exc:
            self._unlock_then(retry, plain(str(exc)))
            return
        retry()

    # ------------------------------------------------------------------ select, test, delete

    def _target(self) -> str | None:
        name = self.value("profile-name") or self.editing
        options = self.query_one("#profile-list", OptionList)
        if not name and options.highlighted is not None:
            name = options.get_option_at_index(options.highlighted).id
        if not name:
            self.show("Choose a profile first (select it in the list, or type its name).", error=True)
        return name or None

    @on(Button.Pressed, "#select-button")
    def action_select(self) -> None:
        name = self._target()
        if not name:
            return
        try:
            self.store.set_default(name)
        except ImstuiError as exc:
            self.show(plain(str(exc)), error=True)
            return
        self.console.connect(name)
        self.app.notify(f"Using profile {plain(name)}", markup=False)
        self.dismiss()

    @on(Button.Pressed, "#test-button")
    def action_test(self) -> None:
        name = self._target()
        if name:
            self._test(name)

    @work(group="keyring", exclusive=True, exit_on_error=False)
    async def _test(self, name: str) -> None:
        self.show(assemble(("Testing ", "italic"), name, ("…", "italic")))
        try:
            session = await self.console.connector.connect(name)
        except Exception as exc:  # one plain line, or the master-password prompt
            if isinstance(exc, SecretStoreUnavailable) and exc.reason == "needs-master-password":
                self._unlock_then(lambda: self._test(name), "")
                return
            self.show(literal("✗ " + plain(str(exc)), "$text-error"))
            return
        try:
            project = await session.api.ensure_project_id()
            works = (("✓ Profile ", "$text-success"), (name, "bold"), (" works: region ", ""), session.region)
            self.show(assemble(*works, (", project ", ""), project))
        except ImstuiError as exc:
            self.show(literal("✗ " + plain(str(exc)), "$text-error"))
        finally:
            await session.aclose()

    @on(Button.Pressed, "#delete-button")
    def action_delete(self) -> None:
        from imstui.ui.screens.confirm import ConfirmScreen

        name = self._target()
        if not name:
            return
        body = assemble("Delete profile ", (name, "bold"), " and its stored keys? Jobs in the ledger are kept.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        self.app.push_screen(ConfirmScreen("Delete this profile?", body, confirm_label="Delete"), answered)

    @work(group="keyring", exclusive=True, exit_on_error=False)
    async def _delete(self, name: str) -> None:
        from imstui.core.secret_store import SESSION_SECRETS, PlaintextSecrets

        try:
            profile = self.store.find(name)
            if profile is not None and profile.credential_store == "keyring":
                await self.secrets.adelete(name)
            SESSION_SECRETS.delete(name)
            if profile is not None and profile.credential_store == "plaintext":
                PlaintextSecrets().delete(name)
            self.store.remove(name)
        except ImstuiError as exc:
            self.show(literal(plain(str(exc)), "$text-error"))
            return
        self.action_new()
        self.reload_profiles()
        self.show(assemble("Deleted profile ", (name, "bold"), "."))

    @on(Select.Changed, "#profile-store")
    def _store_changed(self, event: Select.Changed) -> None:
        if event.value == "plaintext":
            warning = (
                "Plaintext keeps the keys UNENCRYPTED in a 0600 file. Tick the opt-in box to allow it; the status "
            )
            self.show(literal(warning + "bar will warn for as long as this profile is used.", "$text-warning"))

    @on(Input.Changed, "#profile-region")
    def _region_changed(self, event: Input.Changed) -> None:
        region = event.value.strip()
        note, warning = self.query_one("#region-note", Static), fields.region_note(region)
        note.update(warning)
        note.display = bool(warning.plain)
        for widget_id, _label, field in fields.ENDPOINT_FIELDS:
            self.query_one(f"#{widget_id}", Input).placeholder = fields.default_endpoint(
                field, region or "ap-southeast-1"
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In demo mode (no profiles, no keys) only Back works: the other keys are hidden from the footer."""
        return action == "back" or self.console.connector.profile_store is not None

    def action_back(self) -> None:
        self.dismiss()
