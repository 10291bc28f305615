"""Plain-words meaning and next step for every documented IMS and API-gateway error code.

The table itself is package data, ``error_codes.tsv`` (one line per code: the documented HTTP status and message,
then imstui's own meaning and next step). It covers the whole IMS error table of the IMS API reference
(``error_codes.rst``: 177 ``IMG.xxxx`` codes; the documented example is IMG.0024), the API gateway table
(``APIGW.xxxx``; ``ims-api.md`` §5.2, ``kms-eps-tags.md`` §4) and a few bare HTTP statuses for answers that carried
no code (an HTML page from a proxy, an empty 502). ``APIG.xxxx`` is the dedicated-gateway spelling of ``APIGW.xxxx``
and is explained the same way.

:func:`explain` answers ``None`` for a code the table does not know; :func:`describe` always answers, saying that
the code is not in imstui's table and quoting the server's own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class CodeInfo:
    code: str
    meaning: str
    next_step: str
    # What the documented table says: the HTTP status the code comes with and its message ("" for bare statuses).
    status: int | None = None
    message: str = ""
    known: bool = True


# A failure can reach the operator as an HTTP answer (it has a request id) or inside a failed job (it has a job
# id and no request id): the advice names both.
_TICKET = "open a ticket quoting the request id (or the job id, for a failed job)"
_PHRASES = {
    "TICKET": _TICKET,
    "RETRY_LATER": f"Wait a minute and try again; if it keeps failing, {_TICKET}.",
    "BUG": f"imstui should not send this; {_TICKET}.",
    "NOT_A_COPY": f"This belongs to another IMS operation, not a copy; if a copy got it, {_TICKET}.",
    "MAYBE_SENT": "Try again; a copy request that got this answer may still have been accepted: check the jobs "
    "list first.",
    "NAME_RULES": "1-128 letters, digits, - . _ space or Chinese characters, not starting or ending with a space",
    "FIX_KEY": "Check the key in the KMS console (it must exist, be enabled and be usable by you) or leave cmk_id "
    "empty.",
    "SOURCE_KEY": "Check the source image's key in the KMS console and your KMS permissions.",
    "CHECK_IMAGE": "Check the image id and that you are in the right region and project.",
    "CHECK_PROJECT": "Check --project-id / HUAWEICLOUD_SDK_PROJECT_ID, or leave it empty to discover it from the "
    "region.",
    "OWNER": "Copy an image your project owns, or ask the owner to share it and accept the share first.",
    "EPS": 'Check the enterprise project id ("0" is the default project) and your EPS permissions, or leave it empty.',
    "GW_BACKEND": "The API gateway could not reach or configure the IMS backend.",
    "GW_DENIED": "The request was authenticated but is not allowed.",
    "ASK_ADMIN": "Ask an administrator for the IMS permissions of this project.",
}
_COLUMNS = ("code", "status", "message", "meaning", "next_step")

UNKNOWN_NEXT_STEP = f"Read the server's message; if it does not tell you what to do, {_TICKET}."


def _fill(text: str) -> str:
    return text.format_map(_PHRASES)


def _parse(text: str) -> dict[str, CodeInfo]:
    table: dict[str, CodeInfo] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if tuple(cells) == _COLUMNS:
            continue
        if len(cells) != len(_COLUMNS):
            raise ValueError(f"error_codes.tsv line {number}: {len(cells)} columns, expected {len(_COLUMNS)}")
        code, status, message, meaning, next_step = cells
        if code in table:
            raise ValueError(f"error_codes.tsv line {number}: {code} is listed twice")
        info = CodeInfo(code, _fill(meaning), _fill(next_step), int(status) if status else None, message)
        table[code] = info
    return table


@cache
def _table() -> dict[str, CodeInfo]:
    return _parse(resources.files("imstui.api").joinpath("error_codes.tsv").read_text(encoding="utf-8"))


# The table is read on the first explain()/describe() (the first failure shown), not at import: the console's first
# screen imports this module.


def _key(code: str) -> str:
    key = code.strip().upper()
    if key.startswith("APIG.") and not key.startswith("APIGW."):
        key = "APIGW." + key[len("APIG.") :]
    return key


def explain(code: str | None) -> CodeInfo | None:
    """The meaning and next step for ``code`` (case-insensitive; ``APIG.xxxx`` read as ``APIGW.xxxx``), or
    ``None`` when the code is not in imstui's table."""
    if not code or not code.strip():
        return None
    info = _table().get(_key(code))
    if info is None:
        return None
    if info.code != code.strip():
        return CodeInfo(code.strip(), info.meaning, info.next_step, info.status, info.message)
    return info


def describe(code: str | None, server_message: str | None = None) -> CodeInfo | None:
    """Like :func:`explain`, but a code the table does not know is still answered: "not in imstui's table",
    with the server's own message (``None`` only when there is no code at all)."""
    info = explain(code)
    if info is not None or not code or not code.strip():
        return info
    said = (server_message or "").strip()
    meaning = f"{code.strip()} is not in imstui's table of IMS and gateway codes; " + (
        f"the server said: {said}" if said else "the server gave no message."
    )
    if not meaning.endswith((".", ")")):
        meaning += "."
    return CodeInfo(code.strip(), meaning, UNKNOWN_NEXT_STEP, known=False)
