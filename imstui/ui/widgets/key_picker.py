"""The copy's KMS key, picked by alias from the account's keys (``imstui.core.keys``; list-keys paged by the client).

The list shows each key's alias, its state in words and whether it is a default key; only enabled keys can be
chosen (the others are listed, greyed out, with their state). "No encryption" is always the first entry. Typing
filters by alias; a pasted key id is checked with describe-key and its alias and state are shown under the field
before submit (a key that is not enabled, or unknown: the reason in words, and submit stays disabled). When KMS
cannot list the keys (no rights: 403, or unreachable) the line says so and the field takes a typed key id, checked
with :func:`imstui.core.validation.check_cmk_id`.

For an encrypted source (``image.cmk_id``), the line and the confirmation say which key the copy will carry. IMS's
documents do not say what an omitted ``cmk_id`` does to an encrypted source [UNCERTAIN: ims-api.md §2]; both
readings are said: leaving the key empty is expected to keep the source's key (the simulator does so; if the new
image comes out unencrypted, copy it again with a key), choosing another key re-encrypts the copy with it. The
source's own key cannot be chosen: IMS refuses the same key (IMG.0096).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from imstui.api.errors import ApiError
from imstui.api.kms_models import KeyNotFoundError, KmsKey
from imstui.core.keys import choosable
from imstui.core.validation import check_cmk_id
from imstui.ui.session import console
from imstui.ui.text import assemble, plain
from imstui.ui.widgets.picker import Checked, Choice, ChoiceField

if TYPE_CHECKING:
    from imstui.core.keys import KeySource

__all__ = ["KeyPicker", "key_choice", "no_key_choice"]

ALIAS_WIDTH = 28


def no_key_choice(source_key: str | None, source_label: str = "", *, many: bool = False) -> Choice:
    """The empty field: no ``cmk_id`` sent (``many``: for a batch, whose sources may or may not be encrypted)."""
    if many:
        return Choice(
            "",
            "",
            "none given",
            assemble(("no key", "bold"), ("  (no key sent)", "dim")),
            summary="no key: each copy is expected to keep its source's encryption [UNCERTAIN]",
        )
    if source_key:
        shown = source_label or source_key
        summary = (
            f"no new key: the copy is expected to keep the source's key {shown} "
            "(IMS does not document it: if the copy comes out unencrypted, copy it again with a key)"
        )
        return Choice(
            "",
            "",
            f"none given: expected to keep the source's key {shown} [UNCERTAIN: IMS does not document it]",
            assemble(("keep the source's key", "bold"), ("  (no key sent; the source is encrypted)", "dim")),
            summary=summary,
        )
    return Choice(
        "",
        "",
        "no encryption",
        assemble(("no encryption", "bold"), ("  (no key sent)", "dim")),
        summary="no encryption: the copy is not encrypted",
    )


def key_choice(key: KmsKey, source_key: str | None = None) -> Choice:
    alias = plain(key.alias) or "(no alias)"
    marks = key.state_text + (" · default key" if key.is_default else "")
    label = plain(key.label)
    reason = ""
    if key.key_id == source_key:
        reason = (
            f"{label} is the key the source is encrypted with: IMS refuses the same key (IMG.0096); "
            "leave the key empty to keep it"
        )
    elif not key.is_enabled:
        reason = f"KMS key {label} is {key.state_text}: only an enabled key can encrypt the copy"
    if source_key and key.key_id != source_key:
        summary = f"✓ {label}: {key.state_text}; re-encrypts the copy (instead of the source's key)"
    else:
        summary = f"✓ {label}: {key.state_text}; encrypts the copy"
    prompt = assemble(
        alias.ljust(ALIAS_WIDTH),
        " ",
        (marks, "" if key.is_enabled else "italic"),
        ("  " + plain(key.key_id[:8]) + "…", "dim"),
        (" (source's key)" if key.key_id == source_key else "", "dim"),
    )
    return Choice(
        key.key_id,
        plain(key.alias) or key.key_id,
        label,
        prompt,
        search=alias.lower(),
        choosable=not reason,
        reason=reason,
        summary=summary,
    )


class KeyPicker(ChoiceField):
    """The KMS key field of the copy and batch forms."""

    NOUN = "enabled KMS key"
    LOADING_TEXT = "Loading the KMS keys…"

    def __init__(
        self,
        label: str,
        *,
        field_id: str = "cmk_id",
        value: str = "",
        source_key: str | None = None,
        many: bool = False,
    ) -> None:
        super().__init__(
            label, field_id=field_id, value=value, placeholder="type to filter by alias, or paste a key id"
        )
        self.source_key = source_key or None
        self.source_label = plain(source_key or "")
        self.many = many
        self._empty = no_key_choice(self.source_key, many=many)

    def _source(self) -> KeySource | None:
        session = console(self).session
        return session.kms() if session is not None else None

    def empty_choice(self) -> Choice:
        return self._empty

    async def load(self) -> list[Choice]:
        kms = self._source()
        if kms is None:
            raise LookupError("no KMS in this session")
        keys = await kms.list_keys()
        if self.source_key:
            found = next((k for k in keys if k.key_id == self.source_key), None)
            if found is not None:
                self.source_label = plain(found.label)
                self._empty = no_key_choice(self.source_key, self.source_label)
        enabled = choosable(keys)
        others = sorted((k for k in keys if not k.is_enabled), key=lambda k: (k.alias.lower(), k.key_id))
        return [key_choice(k, self.source_key) for k in (*enabled, *others)]

    def unavailable_text(self, error: BaseException | None) -> str:
        if isinstance(error, LookupError) or error is None:
            why = "KMS is not reachable in this session"
        elif isinstance(error, ApiError) and error.status == 403:
            why = f"this access key may not list KMS keys (HTTP 403 {plain(error.code)})"
        else:
            why = f"the KMS key list could not be read ({plain(str(error))[:120]})"
        return f"{why}: type the key id (a UUID); IMS checks it when the copy is sent"

    def looks_like_id(self, text: str) -> bool:
        return check_cmk_id(text) is None

    def fallback_error(self, text: str) -> str | None:
        violation = check_cmk_id(text)
        return f"{violation.message} [{violation.rule}]" if violation is not None else None

    async def check_id(self, text: str) -> Checked:
        kms = self._source()
        key_id = text.strip().lower()
        if kms is None:
            return Checked(self._unchecked(key_id, "not checked: KMS is not reachable in this session"))
        try:
            key = await kms.describe_key(key_id)
        except KeyNotFoundError:
            return Checked(None, f"no KMS key with id {key_id} in this project")
        except ApiError as error:
            return Checked(
                self._unchecked(key_id, f"not checked: KMS refused describe-key ({plain(str(error))[:100]})")
            )
        return Checked(key_choice(key, self.source_key))

    def _unchecked(self, key_id: str, why: str) -> Choice:
        return Choice(
            key_id,
            key_id,
            key_id,
            Content(key_id),
            summary=f"{why}; IMS checks the key when the copy is sent",
            choosable=key_id != self.source_key,
            reason="this is the source's own key: IMS refuses the same key (IMG.0096); leave the key empty",
        )
