"""Which account a job belongs to: the IMS endpoint it was submitted to (scheme, host and port) and the project.

A job id is only meaningful at the endpoint (and in the project) that issued it, so the ledger records the
endpoint of every row (:func:`normalise_endpoint`), the console lists the jobs of the account it is connected to
whichever profile (or the environment's keys) submitted them, and a poller follows only its own account's jobs:
asking another endpoint about a job answers "not found" and would wrongly mark it gone. Rows written by an older
imstui have no endpoint: they are shown and polled under their profile, as before, and said to be from an older
imstui. The ``--demo`` simulator's rows are those of :data:`DEMO_ENDPOINT`; they never show in real views.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["DEMO_ENDPOINT", "LEGACY_NOTE", "endpoint_of", "is_demo_endpoint", "normalise_endpoint"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
LEGACY_NOTE = "from an older imstui (no endpoint recorded): shown under its profile"


def normalise_endpoint(url: str | None) -> str | None:
    """``scheme://host:port`` in lower case (the default port spelled out, path and query dropped); None for
    nothing or something that is not a URL with a host."""
    if not url or not url.strip():
        return None
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


DEMO_ENDPOINT = "http://127.0.0.1:80"  # the in-process simulator of --demo (imstui.sim.demo.LOOPBACK_ENDPOINT)


def is_demo_endpoint(endpoint: str | None) -> bool:
    return normalise_endpoint(endpoint) == DEMO_ENDPOINT


def endpoint_of(api: object) -> str | None:
    """The normalised IMS endpoint a client talks to (None for a client that does not say: test fakes)."""
    value = getattr(api, "ims_endpoint", None)
    return normalise_endpoint(value) if isinstance(value, str) else None
