"""IMS and IAM endpoints per region, and the rule that refuses plain ``http://`` outside loopback.

Reference: ``ims-api.md`` §7. IMS is ``https://ims.{region}.myhuaweicloud.com`` for every region the SDK lists
(eu-west-101 included: the SDK's IMS table says ``.com``, which is [UNCERTAIN], so the endpoint stays
overridable). IAM has a per-region endpoint for 27 regions (the SDK's table) plus eu-west-101 on
``myhuaweicloud.eu``; any other region uses the global ``https://iam.myhuaweicloud.com``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from imstui.api.errors import ConfigurationError

DEFAULT_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"

# Regions with an IMS endpoint in huaweicloudsdkims 3.1.219 (region/ims_region.py).
KNOWN_REGIONS: tuple[str, ...] = (
    "af-north-1",
    "af-south-1",
    "ae-ad-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-0",
    "eu-west-101",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "sa-brazil-1",
    "tr-west-1",
)

# Regions with a regional IAM endpoint in huaweicloudsdkcore 3.1.219 (auth/endpoint.py): 27 regions.
IAM_REGIONS: frozenset[str] = frozenset(
    {
        "cn-north-1",
        "cn-north-2",
        "cn-north-4",
        "cn-north-9",
        "cn-north-12",
        "cn-east-2",
        "cn-east-3",
        "cn-east-4",
        "cn-east-5",
        "cn-south-1",
        "cn-south-2",
        "cn-southwest-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "af-south-1",
        "sa-brazil-1",
        "la-south-2",
        "la-north-2",
        "na-mexico-1",
        "eu-west-0",
        "my-kualalumpur-1",
        "ru-moscow-1",
        "me-east-1",
        "ae-ad-1",
        "tr-west-1",
    }
)

# The European sovereign cloud lives on its own domain (IAM region file and Terraform's defaultEuropeCloud).
_IAM_SPECIAL: dict[str, str] = {"eu-west-101": "https://iam.eu-west-101.myhuaweicloud.eu"}

# A region id as Huawei spells them: lower-case words and digits joined by hyphens (cn-north-4, my-kualalumpur-1).
_REGION_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")


def check_region(region: str) -> str:
    """Return ``region`` stripped; refuse anything that is not shaped like a region id.

    Regions missing from :data:`KNOWN_REGIONS` are accepted (Huawei opens new ones) as long as the id is
    well-formed, since it becomes part of a host name.
    """
    value = (region or "").strip()
    if not value:
        raise ConfigurationError("no region given: pass --region or set HUAWEICLOUD_SDK_REGION (e.g. ap-southeast-1)")
    if not _REGION_RE.fullmatch(value) or len(value) > 64:
        raise ConfigurationError(
            f"{value!r} is not a region id: use lower-case words joined by hyphens, e.g. ap-southeast-1"
        )
    return value


def ims_endpoint(region: str) -> str:
    """The default IMS endpoint of ``region``."""
    return f"https://ims.{check_region(region)}.myhuaweicloud.com"


def iam_endpoint(region: str) -> str:
    """The default IAM endpoint of ``region`` (the global endpoint for regions without their own)."""
    value = check_region(region)
    if value in _IAM_SPECIAL:
        return _IAM_SPECIAL[value]
    if value in IAM_REGIONS:
        return f"https://iam.{value}.myhuaweicloud.com"
    return DEFAULT_IAM_ENDPOINT


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1). Names under ``.localhost`` are not trusted: a
    plain resolver may send them to DNS, and from there anywhere."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """Return the endpoint without a trailing ``/``; refuse what would leak signed requests or cannot work.

    ``https://`` is always fine; ``http://`` only to a loopback address or ``localhost`` (the simulator).
    Paths, queries, fragments and credentials in the URL are refused: the client builds the paths itself.
    """
    raw = (url or "").strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"endpoint {raw!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"endpoint {raw!r} must be a URL such as https://ims.ap-southeast-1.myhuaweicloud.com")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("an endpoint URL must not contain a user name or password")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ConfigurationError(f"endpoint {raw!r} must be scheme://host[:port] only, without a path or query")
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError(
            f"refusing plain http:// to {host}: signed requests and job data must travel over https "
            "(plain http is allowed only to localhost/127.0.0.1/::1)"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"
