"""The simulator's KMS: ``POST /v1.0/{project_id}/kms/list-keys`` and ``.../kms/describe-key``.

Seeded keys (stable ids): the three keys the IMS copy rules already knew (``seed.DEMO_CMK_ID``,
``seed.SECOND_CMK_ID``, ``seed.FAILING_CMK_ID``: enabled), the default ``ims/default`` key (``default_key_flag``
"1"), one key in each other state (pending activation, disabled, pending deletion, pending import), an asymmetric
RSA key (listed only with ``key_spec`` ``ALL``) and a key whose alias and description are hostile strings (served
verbatim). Paging: ``limit`` (a string as the SDK sends it, or a number as Terraform does), ``next_marker`` is the
offset of the next key as a string, ``truncated`` the string "true"/"false". Errors use KMS's shape
``{"error": {"error_code": "KMS.xxxx", "error_msg": ...}}`` (codes are the simulator's own [UNCERTAIN]).
The IMS copy rule asks :meth:`KmsKeys.copy_refusal`: unknown key IMG.0095, key not enabled IMG.0097.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import TYPE_CHECKING, Any

from imstui.sim import seed

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.routing import Route

    from imstui.sim.app import Call, Simulator

IMS_DEFAULT_KEY_ID = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
PENDING_ACTIVATION_KEY_ID = "11111111-1a1a-4b1b-8c1c-1d1d1d1d1d1d"
DISABLED_KEY_ID = "33333333-3a3a-4b3b-8c3c-3d3d3d3d3d3d"
PENDING_DELETION_KEY_ID = "44444444-4a4a-4b4b-8c4c-4d4d4d4d4d4d"
PENDING_IMPORT_KEY_ID = "55555555-5a5a-4b5b-8c5c-5d5d5d5d5d5d"
RSA_KEY_ID = "66666666-6a6a-4b6b-8c6c-6d6d6d6d6d6d"
HOSTILE_KEY_ID = "77777777-7a7a-4b7b-8c7c-7d7d7d7d7d7d"
HOSTILE_ALIAS = "team/\x1b[31mred\x1b[0m[b]bold[/b]\u202ecod"
HOSTILE_DESCRIPTION = "[@click=app.quit]quit[/] \x1b]8;;https://evil.example\x07link\x1b]8;;\x07\nsecond line"
DEFAULT_LIMIT = 2000
MAX_LIMIT = 2000
_BASE_MS = 1_638_806_642_000  # the documented sample creation_date

# (id, alias, state, default flag, spec, description)
_SEEDED: tuple[tuple[str, str, str, str, str, str], ...] = (
    (IMS_DEFAULT_KEY_ID, "ims/default", "2", "1", "AES_256", "Default key of IMS"),
    (seed.DEMO_CMK_ID, "demo/app-data", "2", "0", "AES_256", "Encrypts the demo's encrypted image"),
    (seed.SECOND_CMK_ID, "demo/backup", "2", "0", "AES_256", "A second enabled key"),
    (seed.FAILING_CMK_ID, "demo/revoked-mid-copy", "2", "0", "AES_256", "Enabled now; a copy with it fails (IMG.0097)"),
    (PENDING_ACTIVATION_KEY_ID, "demo/not-yet-active", "1", "0", "AES_256", "Pending activation"),
    (DISABLED_KEY_ID, "demo/disabled", "3", "0", "AES_256", "Disabled by an administrator"),
    (PENDING_DELETION_KEY_ID, "demo/retiring", "4", "0", "AES_256", "Scheduled for deletion"),
    (PENDING_IMPORT_KEY_ID, "demo/byok-import", "5", "0", "AES_256", "Waiting for imported key material"),
    (RSA_KEY_ID, "demo/signing-rsa", "2", "0", "RSA_2048", "Asymmetric: listed with key_spec ALL only"),
    (HOSTILE_KEY_ID, HOSTILE_ALIAS, "2", "0", "AES_256", HOSTILE_DESCRIPTION),
)


class KmsFailure(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def key_document(
    key_id: str, alias: str, state: str, flag: str, spec: str, description: str, n: int, domain: str
) -> dict[str, Any]:
    created = _BASE_MS + n * 86_400_000
    return {
        "key_id": key_id,
        "domain_id": domain,
        "key_alias": alias,
        "realm": "ap-southeast-1",
        "key_spec": spec,
        "key_usage": "SIGN_VERIFY" if spec.startswith("RSA") else "ENCRYPT_DECRYPT",
        "key_description": description,
        "creation_date": str(created),
        "scheduled_deletion_date": str(created + 7 * 86_400_000) if state == "4" else "",
        "key_state": state,
        "default_key_flag": flag,
        "key_type": "1",
        "expiration_time": "",
        "origin": "external" if state == "5" else "kms",
        "key_rotation_enabled": "false",
        "sys_enterprise_project_id": "0",
        "keystore_id": "0",
    }


class KmsKeys:
    """The account's keys, in list order (oldest first). Thread-safe."""

    def __init__(self, domain_id: str) -> None:
        self._lock = threading.Lock()
        self._domain_id = domain_id
        self.keys: list[dict[str, Any]] = [key_document(*k, n, domain_id) for n, k in enumerate(_SEEDED)]

    def add(self, key_id: str, alias: str, state: str = "2", *, default: bool = False) -> None:
        """Add a key (tests: long lists, more states)."""
        with self._lock:
            n = len(self.keys)
            doc = key_document(key_id, alias, state, "1" if default else "0", "AES_256", "", n, self._domain_id)
            self.keys.append(doc)

    def find(self, key_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((copy.deepcopy(k) for k in self.keys if k["key_id"] == key_id), None)

    def list_keys(self, body: dict[str, Any]) -> dict[str, Any]:
        limit = _int(body.get("limit", DEFAULT_LIMIT), "limit", 1, MAX_LIMIT)
        offset = _int(body.get("marker") or 0, "marker", 0, 10**9)
        state = body.get("key_state")
        if state not in (None, "", "1", "2", "3", "4", "5"):
            raise KmsFailure("KMS.0205", "Invalid key_state: it must be 1, 2, 3, 4 or 5.")
        spec = body.get("key_spec") or "AES_256"
        with self._lock:
            keys = [k for k in self.keys if spec == "ALL" or k["key_spec"] == spec]
            keys = [k for k in keys if not state or k["key_state"] == state]
            page = copy.deepcopy(keys[offset : offset + limit])
        more = offset + limit < len(keys)
        return {
            "keys": [k["key_id"] for k in page],
            "key_details": page,
            "next_marker": str(offset + limit) if more else "",
            "truncated": "true" if more else "false",
            "total": len(keys),
        }

    def copy_refusal(self, cmk_id: str) -> tuple[str, str] | None:
        """Why IMS refuses a copy encrypted with ``cmk_id`` (code, message), or ``None``."""
        key = self.find(cmk_id)
        if key is None:
            return ("IMG.0095", "The KMS key does not exist.")
        if key["key_state"] != "2":
            return ("IMG.0097", "The KMS key is not enabled.")
        return None


def _int(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise KmsFailure("KMS.0205", f"Invalid {name}: it must be an integer.") from None
    if isinstance(value, bool) or not low <= number <= high:
        raise KmsFailure("KMS.0205", f"Invalid {name}: it must be between {low} and {high}.")
    return number


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise KmsFailure("KMS.0201", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise KmsFailure("KMS.0201", "The request body must be a JSON object.")
    return body


def _failure(error: KmsFailure) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {"error_code": error.code, "error_msg": error.message}}, status_code=error.status)


def routes(sim: Simulator) -> list[Route]:
    """The two KMS routes, behind the simulator's gateway (project-scoped signatures, as for IMS)."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    keys: KmsKeys = sim.state.kms

    def checked_project(call: Call) -> None:
        if call.request.path_params["project_id"] != call.project_id:
            raise KmsFailure("KMS.0206", "The project ID in the path does not match the X-Project-Id header.", 403)

    async def list_keys(call: Call) -> Response:
        try:
            checked_project(call)
            return JSONResponse(keys.list_keys(_body(call.body)))
        except KmsFailure as error:
            return _failure(error)

    async def describe_key(call: Call) -> Response:
        try:
            checked_project(call)
            key_id = _body(call.body).get("key_id")
            if not isinstance(key_id, str) or not key_id:
                raise KmsFailure("KMS.0205", "key_id is required.")
            key = keys.find(key_id)
            if key is None:
                raise KmsFailure("KMS.0207", "The key does not exist.", 404)
            return JSONResponse({"key_info": key})
        except KmsFailure as error:
            return _failure(error)

    return [
        Route("/v1.0/{project_id}/kms/list-keys", sim.endpoint("kms", list_keys, ims=True), methods=["POST"]),
        Route("/v1.0/{project_id}/kms/describe-key", sim.endpoint("kms", describe_key, ims=True), methods=["POST"]),
    ]
