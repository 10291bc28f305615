"""The simulator's Enterprise Project Service: ``GET /v1.0/enterprise-projects``, signed with the domain scope.

EPS is global: a request must carry a signed ``X-Domain-Id`` naming the account (what the SDK's
``GlobalCredentials`` send); the gateway already refuses a wrong one. Query: ``id``, ``name`` (fuzzy:
case-insensitive substring), ``status`` (1 enabled / 2 disabled), ``limit`` (1-1000, default 1000), ``offset``.
The default project ``"0"`` is not listed (the callers always offer it). ``EpsProjects.denied = True`` makes the
list answer 403, as for a key without ``eps:enterpriseProjects:list``.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import TYPE_CHECKING, Any

from imstui.api import signing
from imstui.sim.auth import header_map, parse_authorization

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.routing import Route

    from imstui.sim.app import Call, Simulator

PROD_WEB_ID = "b9a2c7f4-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
PROD_DB_ID = "c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5"
STAGING_ID = "d2e3f4a5-b6c7-4d8e-9fa0-b1c2d3e4f5a6"
DISABLED_ID = "e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a6b7"
HOSTILE_ID = "f4a5b6c7-d8e9-4fa0-b1c2-d3e4f5a6b7c8"
HOSTILE_NAME = "ops-[b]x[/b]-\x1b[31mred\x1b[0m\u202e"
MAX_LIMIT = 1000

# (id, name, status, description)
_SEEDED: tuple[tuple[str, str, int, str], ...] = (
    (PROD_WEB_ID, "prod-web", 1, "Production web tier"),
    (PROD_DB_ID, "production-db", 1, "Production databases"),
    (STAGING_ID, "staging", 1, "Staging"),
    (DISABLED_ID, "legacy-archive", 2, "Disabled: no new resources"),
    (HOSTILE_ID, HOSTILE_NAME, 1, "[@click=app.quit]quit[/]\x1b]8;;https://evil.example\x07"),
)


class EpsFailure(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def project_document(project_id: str, name: str, status: int, description: str, n: int) -> dict[str, Any]:
    moment = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T06:49:06Z"
    return {
        "id": project_id,
        "name": name,
        "description": description,
        "status": status,
        "created_at": moment,
        "updated_at": moment,
        "type": "prod",
        "delete_flag": False,
    }


class EpsProjects:
    """The account's enterprise projects, newest first in answers (``sort_dir`` desc). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.denied = False
        self.projects: list[dict[str, Any]] = [project_document(*p, n) for n, p in enumerate(_SEEDED)]

    def add(self, name: str, status: int = 1) -> str:
        """Add a project (tests: paging); returns its id."""
        with self._lock:
            project_id = str(uuid.UUID(int=len(self.projects) + 1, version=4))
            self.projects.append(project_document(project_id, name, status, "", len(self.projects)))
            return project_id

    def list_projects(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        if self.denied:
            raise EpsFailure(403, "EPS.0004", "Forbidden: the caller may not perform eps:enterpriseProjects:list.")
        query = dict(params)
        limit = _int(query.get("limit", str(MAX_LIMIT)), "limit", 1, MAX_LIMIT)
        offset = _int(query.get("offset", "0"), "offset", 0, 10**9)
        status = query.get("status")
        if status not in (None, "1", "2"):
            raise EpsFailure(400, "EPS.0002", "Invalid status: it must be 1 or 2.")
        name = (query.get("name") or "").lower()
        with self._lock:
            found = [
                p
                for p in reversed(self.projects)
                if (not name or name in p["name"].lower())
                and (status is None or str(p["status"]) == status)
                and ("id" not in query or p["id"] == query["id"])
            ]
            page = copy.deepcopy(found[offset : offset + limit])
        return {"enterprise_projects": page, "total_count": len(found)}


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise EpsFailure(400, "EPS.0002", f"Invalid {name}: it must be an integer.") from None
    if not low <= number <= high:
        raise EpsFailure(400, "EPS.0002", f"Invalid {name}: it must be between {low} and {high}.")
    return number


def routes(sim: Simulator) -> list[Route]:
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    projects: EpsProjects = sim.state.eps

    async def list_projects(call: Call) -> Response:
        from imstui.sim.app import gateway_error

        headers = header_map(call.request.scope["headers"])
        signed = parse_authorization(headers["authorization"]).signed_headers
        if not headers.get("x-domain-id") or "x-domain-id" not in signed:
            message = "Incorrect IAM authentication information: EPS is global: sign the request with X-Domain-Id"
            return gateway_error(call.request, 401, "APIGW.0301", message)
        try:
            params = signing.parse_raw_query(call.request.scope.get("query_string", b""))
            return JSONResponse(projects.list_projects(params))
        except EpsFailure as error:
            body = {"error_code": error.code, "error_msg": error.message, "request_id": uuid.uuid4().hex}
            return JSONResponse(body, status_code=error.status)

    return [Route("/v1.0/enterprise-projects", sim.endpoint("eps", list_projects, ims=False), methods=["GET"])]
