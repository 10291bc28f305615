"""What one HTTP exchange may cost (:class:`Limits`) and the codings it asks for; read by the client when it is
built, before any request, so it lives apart from :mod:`imstui.api.exchange` (which needs httpx)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACCEPT_ENCODING", "MIB", "Limits"]

MIB = 1024**2
ACCEPT_ENCODING = "gzip, deflate"  # the codings exchange's decoder reads; a server sending another is refused


@dataclass(frozen=True)
class Limits:
    """Per request: ``deadline`` seconds in all (connect + send + the whole answer), at most ``max_body_bytes``
    received and at most ``max_decoded_bytes`` after decompression. The real API's largest answers (an image
    list, a project list) are a few kilobytes: 10 MiB is generous. 30 s is httpx's read timeout (the longest
    silence allowed between two bytes) again for the whole exchange: an answer that takes longer is not coming
    from a working IMS, and ``imstui job`` then says so instead of waiting."""

    deadline: float = 30.0
    max_body_bytes: int = 10 * MIB
    max_decoded_bytes: int = 10 * MIB
