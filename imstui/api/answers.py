"""Reading the 2xx answers of IAM and IMS: the project list, the copy answer, a job's status.

Anything not of the documented shape (``ims-api.md`` §1-2, §6) is a :class:`ProtocolError` whose message quotes
a short, sanitised piece of the body. An id is checked against :data:`imstui.api.fields.ID_RE`; one that does not
fit is refused and shown escaped, exactly as received, never shortened into another id.
"""

from __future__ import annotations

from typing import Any

import httpx

from imstui.api.error_parsing import SNIPPET_CHARS, clean, decode_json, describe_body, request_id_of
from imstui.api.errors import ProjectDiscoveryError, ProtocolError
from imstui.api.fields import ID_RULE, is_api_id
from imstui.api.models import Job
from imstui.api.sanitize import escape, sanitize

MAYBE_ACCEPTED = "The copy may have been accepted: check the jobs list before submitting again."


def snippet(response: httpx.Response) -> str:
    return clean(response.content[:2048].decode("utf-8", "replace"), SNIPPET_CHARS) or "an empty body"


def json_object(response: httpx.Response, what: str, *, accepted: bool = False) -> dict[str, Any]:
    data = decode_json(response)
    if not isinstance(data, dict):
        extra = ""
        if accepted:
            extra = " The request may have been accepted: check the jobs list before submitting again."
        raise ProtocolError(
            f"{what}: expected a JSON object but got {describe_body(response)}.{extra}", request_id_of(response)
        )
    return data


def project_id_from(response: httpx.Response, region: str) -> str:
    """The one project of ``GET /v3/projects?name={region}``."""
    data = json_object(response, "the IAM project list")
    projects = data.get("projects")
    if not isinstance(projects, list):
        raise ProtocolError(
            f"the IAM project list has no 'projects' list: {snippet(response)}", request_id_of(response)
        )
    ids: list[str] = [
        str(p["id"]).strip()
        for p in projects
        if isinstance(p, dict) and isinstance(p.get("id"), str) and p["id"].strip()
    ]
    hint = "pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID"
    if not ids:
        raise ProjectDiscoveryError(
            f"IAM knows no project named {region!r} for this access key; {hint} "
            "(sub-projects are named region_suffix and must be given explicitly)"
        )
    if len(ids) > 1:
        shown = ", ".join(sanitize(i)[:64] for i in ids[:5]) + (", …" if len(ids) > 5 else "")
        raise ProjectDiscoveryError(
            f"IAM returned {len(ids)} projects named {region!r} ({shown}); {hint} to choose one"
        )
    if not is_api_id(ids[0]):
        raise ProtocolError(
            f"IAM returned an unusable project id ({ID_RULE}): {escape(ids[0])}", request_id_of(response)
        )
    return ids[0]


def copy_job_id(response: httpx.Response) -> str:
    """The ``job_id`` of a 2xx copy answer. The POST was answered, so every refusal says the copy may exist and,
    for an id of the wrong shape, shows it escaped in full (up to 1,000 characters, the cut said) so that the
    operator can still look the job up."""
    status = response.status_code
    data = json_object(response, "the copy answer", accepted=True)
    job_id = data.get("job_id")
    if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id >= 0:
        job_id = str(job_id)  # documented as a string; a number is still the job the copy started
    if not isinstance(job_id, str) or not job_id.strip():
        raise ProtocolError(
            f"IMS answered the copy request (HTTP {status}) without a job id: {snippet(response)}. {MAYBE_ACCEPTED}",
            request_id_of(response),
        )
    text = str(job_id).strip()
    if not is_api_id(text):
        raise ProtocolError(
            f"IMS answered the copy request (HTTP {status}) with a job id that is not one ({ID_RULE}): "
            f"{escape(job_id, 1000)} (escaped as received). {MAYBE_ACCEPTED}",
            request_id_of(response),
        )
    return text


def job_from(response: httpx.Response, job_id: str) -> Job:
    """The status of ``job_id`` (the id asked for stays the job's id, whatever the answer says)."""
    data = json_object(response, f"the status of job {job_id}")
    try:
        return Job.from_api(data, job_id=job_id)
    except (ValueError, TypeError, AttributeError):
        raise ProtocolError(
            f"the status of job {job_id} has no usable 'status': {snippet(response)}", request_id_of(response)
        ) from None
