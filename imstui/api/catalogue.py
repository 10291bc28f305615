"""Plain-words meaning and next step for the IMS and API-gateway error codes an operator can meet while copying.

Source: ``ims-api.md`` §5.1 (IMS codes) and §5.2 (gateway codes). ``APIG.xxxx`` is the dedicated-gateway spelling
of ``APIGW.xxxx`` and is explained the same way. A few bare HTTP statuses are covered too, for answers that carried
no code (an HTML page from a proxy, an empty 502).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeInfo:
    code: str
    meaning: str
    next_step: str


_NAME_RULES = "1-128 letters, digits, - . _ space or Chinese characters, not starting or ending with a space"
# A failure can reach the operator as an HTTP answer (it has a request id) or inside a failed job (it has a job
# id and no request id): the advice names both.
_TICKET = "open a ticket quoting the request id (or the job id, for a failed job)"
_RETRY_LATER = f"Wait a minute and try again; if it keeps failing, {_TICKET}."
_FIX_KEY = "Check the key in the KMS console (it must exist, be enabled and be usable by you) or leave cmk_id empty."

_ENTRIES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("IMG.0001",), "IMS could not read the request.", f"Check the copy parameters; if they look right, {_TICKET}."),
    (("IMG.0002",), "The new image name is longer than 128 characters.", f"Use a shorter name ({_NAME_RULES})."),
    (("IMG.0003",), "The new image name has characters IMS does not accept.", f"Change the name: {_NAME_RULES}."),
    (("IMG.0013",), "No name was given for the new image.", "Give the copy a name."),
    (("IMG.0062",), "IMS rejected the new image name.", f"Change the name: {_NAME_RULES}."),
    (
        ("IMG.0004",),
        "The description is longer than 1024 characters.",
        "Shorten the description to at most 1024 characters.",
    ),
    (
        ("IMG.0054",),
        "IMS rejected the description's format.",
        "Remove line breaks and angle brackets (< >) from the description.",
    ),
    (("IMG.0007",), "The request reached IMS without a body.", f"Try again; if it repeats, {_TICKET}."),
    (
        ("IMG.0009",),
        "An image with this name already exists.",
        "Pick a different name for the copy.",
    ),
    (("IMG.0014",), "The cloud's internal storage/compute layer failed while running the job.", _RETRY_LATER),
    (
        ("IMG.0015",),
        "Your private image quota is used up.",
        "Delete images you no longer need or ask for a higher quota, then copy again.",
    ),
    (("IMG.0017",), "IMS did not recognise the request URL.", "Check the IMS endpoint and region settings."),
    (("IMG.0018",), "IMS could not submit the job.", _RETRY_LATER),
    (
        ("IMG.0023",),
        "IMS could not query the job: the job id is unknown or the job record is gone.",
        "Check the job id; finished jobs are removed by IMS after a while, so look at the image list instead.",
    ),
    (
        ("IMG.0026",),
        "Your account or role is not allowed to do this (permissions or real-name authentication).",
        "Ask an administrator for the IMS permissions (ims:images:copy) or finish real-name authentication.",
    ),
    (
        ("IMG.0027", "IMG.0066", "IMG.0086", "IMG.0144"),
        "The image does not exist (or is not visible to this project).",
        "Check the image id and that you are in the right region and project.",
    ),
    (
        ("IMG.0030", "IMG.0067", "IMG.0108"),
        "The project id is wrong or does not belong to this region.",
        "Check --project-id / HUAWEICLOUD_SDK_PROJECT_ID, or leave it empty to discover it from the region.",
    ),
    (
        ("IMG.0046",),
        "The source image is not usable right now (it is not 'active').",
        "Wait until the image is active, then copy it.",
    ),
    (
        ("IMG.0047", "IMG.0106"),
        "Only the image's owner can do this; the image belongs to another account.",
        "Copy an image your project owns, or ask the owner to share it and accept the share first.",
    ),
    (
        ("IMG.0060",),
        "Too many image jobs are running at once (flow control).",
        "Wait for some jobs to finish, then try again.",
    ),
    (("IMG.0061",), "IMS hit an unknown internal error.", _RETRY_LATER),
    (("IMG.0095",), "The KMS key given for the copy does not exist.", _FIX_KEY),
    (("IMG.0097",), "The KMS key given for the copy is not enabled.", _FIX_KEY),
    (("IMG.0099",), "You have no permission to use the KMS key given for the copy.", _FIX_KEY),
    (
        ("IMG.0100",),
        "Your account lacks the OBT permission to use KMS.",
        "Ask an administrator to grant KMS access, or copy without encryption.",
    ),
    (
        ("IMG.0096",),
        "The KMS key for the copy is the same key that encrypts the source image.",
        "Choose a different key, or leave cmk_id empty.",
    ),
    (
        ("IMG.0101", "IMG.0102", "IMG.0103"),
        "The KMS key that encrypts the source image is missing, disabled or not usable by you.",
        "Check the source image's key in the KMS console and your KMS permissions.",
    ),
    (
        ("IMG.0105",),
        "IMS does not support this operation for this image.",
        "Check the image type; this image cannot be copied.",
    ),
    (
        ("IMG.0130",),
        "Full-ECS images cannot be replicated.",
        "Copy the system-disk image of the server instead.",
    ),
    (
        ("IMG.0154", "IMG.0155", "IMG.0156"),
        "The enterprise project could not be used (service unreachable, invalid id, or association failed).",
        'Check the enterprise project id ("0" is the default project) and your EPS permissions, or leave it empty.',
    ),
    (
        ("IMG.0167",),
        "Images created from ISO files cannot be replicated.",
        "Create a system image from a server installed from the ISO, and copy that.",
    ),
    (("IMG.0187",), "KMS is receiving too many requests right now.", "Wait a minute and try again."),
    (
        ("IMG.0196",),
        "The shared image has not been accepted by your project yet.",
        "Accept the shared image in the IMS console (Images Shared with Me), then copy it.",
    ),
    (
        ("IMG.0197",),
        "A shared image encrypted with KMS cannot be replicated.",
        "Ask the owner to share an unencrypted image, or to copy it for you in their account.",
    ),
    (
        ("IMG.0238",),
        "The account has not completed real-name authentication.",
        "Complete real-name authentication in the console, then try again.",
    ),
    (("IMG.0239",), "The account balance is insufficient.", "Top up the account, then try again."),
    (
        ("IMG.0241",),
        "The account's payment information is incomplete.",
        "Complete the payment information in the billing center.",
    ),
    (
        ("IMG.0242",),
        "The department budget does not allow this.",
        "Ask your organisation's administrator to raise the budget.",
    ),
    # API gateway codes: the request was stopped before IMS saw it.
    (
        ("APIGW.0101",),
        "The gateway has no such API: wrong host, path or method.",
        "Check the endpoint and region settings (--endpoint / IMSTUI_IMS_ENDPOINT).",
    ),
    (
        ("APIGW.0103", "APIGW.0104", "APIGW.0105", "APIGW.0106"),
        "The API gateway could not reach or configure the IMS backend.",
        _RETRY_LATER,
    ),
    (
        ("APIGW.0201",),
        "The gateway rejected the request as malformed (bad parameters or too large).",
        f"Check the input; if it looks right, {_TICKET}.",
    ),
    (
        ("APIGW.0301",),
        "Authentication failed: the signature, access key or token was not accepted.",
        "Check HUAWEICLOUD_SDK_AK/SK (and the token for temporary keys) and that this computer's clock is right.",
    ),
    (
        ("APIGW.0302", "APIGW.0306"),
        "The request was authenticated but is not allowed.",
        "Ask an administrator for the IMS permissions of this project.",
    ),
    (
        ("APIGW.0303",),
        "The request's credentials or signature were rejected, often because the signature expired.",
        "Make sure this computer's clock is within 15 minutes of the real time, then retry.",
    ),
    (
        ("APIGW.0305",),
        "The gateway rejected the authentication information.",
        "Check the access key, secret key and token.",
    ),
    (
        ("APIGW.0307",),
        "The token has expired or belongs to another region.",
        "Get fresh temporary credentials (security token) for this region.",
    ),
    (
        ("APIGW.0308",),
        "Too many requests: the gateway's throttling limit was reached.",
        "Wait a little and retry; imstui already backs off for lookups.",
    ),
    (
        ("APIGW.0310",),
        "The project is not available (frozen, deleted or not enabled in this region).",
        "Check the project in the console or use another project id.",
    ),
    # Bare HTTP statuses (no code in the body).
    (("400",), "The server rejected the request.", f"Check the input; if it is valid, {_TICKET}."),
    (("401",), "Authentication failed.", "Check the access key, secret key, token and this computer's clock."),
    (("403",), "Access was denied.", "Check your permissions, and any proxy between you and the cloud."),
    (("404",), "The server does not know this address.", "Check the endpoint and region settings."),
    (("429",), "Too many requests.", "Wait a little and try again."),
    (("500",), "The server failed internally.", _RETRY_LATER),
    (
        ("502",),
        "A gateway or proxy got no valid answer from the service.",
        "Try again; a copy request that got this answer may still have been accepted: check the jobs list first.",
    ),
    (("503",), "The service is unavailable right now.", _RETRY_LATER),
    (
        ("504",),
        "A gateway or proxy timed out waiting for the service.",
        "Try again; a copy request that got this answer may still have been accepted: check the jobs list first.",
    ),
)

CATALOGUE: dict[str, CodeInfo] = {
    code: CodeInfo(code, meaning, next_step) for codes, meaning, next_step in _ENTRIES for code in codes
}


def explain(code: str | None) -> CodeInfo | None:
    """The meaning and next step for ``code`` (case-insensitive; ``APIG.xxxx`` read as ``APIGW.xxxx``)."""
    if not code:
        return None
    key = code.strip().upper()
    if key.startswith("APIG.") and not key.startswith("APIGW."):
        key = "APIGW." + key[len("APIG.") :]
    info = CATALOGUE.get(key)
    if info is None:
        return None
    if info.code != code.strip():
        return CodeInfo(code.strip(), info.meaning, info.next_step)
    return info
