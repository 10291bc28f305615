"""Generated images beyond the seeded catalogue: ``SimConfig(generated_images=N)`` / ``imstui sim --images N``.

Deterministic (the same N gives the same images, ids and all, on every run), so benchmarks and tests can name
them: image ``n`` (0-based) has id :func:`fleet_image_id` ``(n)`` and name ``fleet-{n:05d}-{platform}``. They are the
project's own private images, active and copyable, created one hour apart going back from 2024-12-31 (older than
every seeded image, so the seeded ones stay on the first page of a newest-first listing). Every 5th is encrypted
with ``seed.DEMO_CMK_ID``, every 7th (not already encrypted) with ``seed.SECOND_CMK_ID``; the rest are not encrypted.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from imstui.sim import seed

MAX_GENERATED = 200_000
_NAMESPACE = uuid.UUID("6f2b1c9e-3d4a-4e5f-9a8b-7c6d5e4f3a2b")
_NEWEST = datetime(2024, 12, 31, 23, 0, 0, tzinfo=timezone.utc)
_PLATFORMS = (
    ("Ubuntu", "Ubuntu 22.04 server 64bit"),
    ("CentOS", "CentOS 7.9 64bit"),
    ("EulerOS", "EulerOS 2.9 64bit"),
    ("Debian", "Debian GNU/Linux 12.0.0 64bit"),
)


def fleet_image_id(n: int) -> str:
    """The id of generated image ``n`` (a UUID, stable across runs)."""
    return str(uuid.uuid5(_NAMESPACE, f"fleet-{n}"))


def fleet_cmk_id(n: int) -> str | None:
    """The KMS key generated image ``n`` is encrypted with (``None``: not encrypted)."""
    if n % 5 == 0:
        return seed.DEMO_CMK_ID
    if n % 7 == 0:
        return seed.SECOND_CMK_ID
    return None


def generated_images(project_id: str, count: int) -> list[dict[str, Any]]:
    """``count`` generated image documents owned by ``project_id`` (see the module docstring)."""
    if not 0 <= count <= MAX_GENERATED:
        raise ValueError(f"generated images must be 0 to {MAX_GENERATED:,}")
    images: list[dict[str, Any]] = []
    for n in range(count):
        platform, os_version = _PLATFORMS[n % len(_PLATFORMS)]
        created = (_NEWEST - timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        extra: dict[str, Any] = {}
        cmk_id = fleet_cmk_id(n)
        if cmk_id is not None:
            extra["__system__cmkid"] = cmk_id
        images.append(
            seed.make_image(
                fleet_image_id(n),
                f"fleet-{n:05d}-{platform.lower()}",
                owner=project_id,
                created_at=created,
                description=f"Generated image {n}",
                platform=platform,
                os_version=os_version,
                min_disk=20 + (n % 4) * 20,
                size_bytes=1_000_000_000 + (n * 7_919_113) % 40_000_000_000,
                **extra,
            )
        )
    return images
