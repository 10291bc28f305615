"""The private-image quota: ``GET /v1/cloudimages/quota`` (SDK ShowImageQuota).

Answer (OTC api-ref ``ims_apis/image_quota/querying_the_image_quota.rst``; SDK models ``Quota``/``QuotaInfo``):
``{"quotas": {"resources": [{"type": "image", "used": 0, "quota": 20, "min": 1, "max": 1000}]}}``. ``type`` may
also be ``image_shared`` or ``image_member``; the copy counts against ``image`` (private images, IMG.0015).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRIVATE_IMAGE = "image"


@dataclass(frozen=True)
class ImageQuota:
    used: int
    quota: int
    min: int | None = None
    max: int | None = None

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)

    @property
    def reached(self) -> bool:
        """No room for one more private image: IMS would refuse a copy with IMG.0015."""
        return self.used >= self.quota

    @property
    def line(self) -> str:
        return f"private images {self.used} of {self.quota} used"

    @classmethod
    def from_api(cls, data: Any) -> ImageQuota:
        """The ``image`` resource of a quota answer. Raises ``ValueError`` when it is missing or not numbers."""
        quotas = data.get("quotas") if isinstance(data, dict) else None
        resources = quotas.get("resources") if isinstance(quotas, dict) else None
        if not isinstance(resources, list):
            raise ValueError("no quotas.resources list")
        for item in resources:
            if isinstance(item, dict) and str(item.get("type") or "").strip().lower() == PRIVATE_IMAGE:
                return cls(_count(item, "used"), _count(item, "quota"), _optional(item, "min"), _optional(item, "max"))
        raise ValueError("no quota of type 'image'")


def _count(item: dict[str, Any], key: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"quota field {key!r} is not a number")
    number = int(value)  # a digit string is accepted; anything else raises ValueError
    if number < 0:
        raise ValueError(f"quota field {key!r} is negative")
    return number


def _optional(item: dict[str, Any], key: str) -> int | None:
    try:
        return _count(item, key)
    except ValueError:
        return None
