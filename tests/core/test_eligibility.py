"""The copy verdict: documented refusals block, risks warn, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from imstui.api.errors import ApiError, ProtocolError
from imstui.api.models import Image
from imstui.api.quota import ImageQuota
from imstui.core.eligibility import QuotaReading, assess, read_quota

PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
OTHER = "ffffffffffffffffffffffffffffffff"
KEY = "bd66288c-9081-460a-8227-4cbd0c814cb4"


def image(**overrides: Any) -> Image:
    doc: dict[str, Any] = {
        "id": "465076de-dc36-4aec-80f5-ef9d8009428f",
        "name": "web01",
        "status": "active",
        "visibility": "private",
        "__imagetype": "private",
        "__os_type": "Linux",
        "disk_format": "zvhd2",
        "virtual_env_type": "FusionCompute",
        "__image_size": str(4 * 1024**3),
        "owner": PROJECT,
    }
    doc.update(overrides)
    return Image.from_api(doc)


def test_an_ordinary_private_linux_image_can_be_copied() -> None:
    verdict = assess(image(), PROJECT)
    assert verdict.ok and verdict.blocking == () and verdict.warnings == ()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"__whole_image": "true"}, "full_ecs"),
        ({"__whole_image": True}, "full_ecs"),
        ({"__data_origin": "server_backup,abc"}, "full_ecs"),
        ({"virtual_env_type": "IsoImage"}, "iso"),
        ({"disk_format": "iso"}, "iso"),
        ({"__os_type": "Windows"}, "windows"),
        ({"__platform": "Windows", "__os_type": None}, "windows"),
        ({"status": "saving"}, "status"),
        ({"status": None}, "status"),
        ({"__imagetype": "gold", "visibility": "public", "owner": None}, "public"),
        ({"__imagetype": "market", "owner": OTHER}, "market"),
        ({"__imagetype": "shared", "owner": OTHER, "member_status": "pending"}, "shared_not_accepted"),
        ({"__imagetype": "shared", "owner": OTHER}, "shared_not_accepted"),
        (
            {"__imagetype": "shared", "owner": OTHER, "member_status": "accepted", "__system__cmkid": KEY},
            "shared_encrypted",
        ),
    ],
)
def test_blocking_conditions(overrides: dict[str, Any], key: str) -> None:
    verdict = assess(image(**overrides), PROJECT)
    assert not verdict.ok
    keys = [c.key for c in verdict.blocking]
    assert key in keys
    condition = verdict.blocking[keys.index(key)]
    assert condition.title and condition.detail.endswith(".")


def test_status_title_says_which_status() -> None:
    verdict = assess(image(status="queued"), PROJECT)
    assert "queued" in verdict.blocking[0].title


def test_several_problems_are_all_reported() -> None:
    verdict = assess(image(__os_type="Windows", virtual_env_type="IsoImage", status="killed"), PROJECT)
    assert {c.key for c in verdict.blocking} == {"windows", "iso", "status"}


def test_encrypted_image_warns_about_kms() -> None:
    verdict = assess(image(__system__cmkid=KEY), PROJECT)
    assert verdict.ok
    (warning,) = verdict.warnings
    assert warning.key == "encrypted" and KEY in warning.detail and "KMS" in warning.detail


def test_image_over_128_gib_blocks_and_says_the_size_field_measured() -> None:
    verdict = assess(image(__image_size=str(128 * 1024**3 + 1), min_disk=40), PROJECT)
    assert not verdict.ok and [c.key for c in verdict.blocking] == ["too_large"]
    (condition,) = verdict.blocking
    assert "128 GiB" in condition.title and "__image_size" in condition.title and "128.0 GiB" in condition.title
    assert "137,438,953,473 bytes" in condition.detail and "min_disk" in condition.detail
    # Exactly 128 GiB is allowed; min_disk over 128 GB does not count (the size is what is measured).
    at_limit = assess(image(__image_size=str(128 * 1024**3), min_disk=200), PROJECT)
    assert at_limit.ok and at_limit.keys == frozenset()


def test_an_image_without_a_size_is_not_measured() -> None:
    verdict = assess(image(__image_size=None), PROJECT)
    assert "too_large" not in verdict.keys


def test_owner_differs_from_project_warns() -> None:
    verdict = assess(image(owner=OTHER), PROJECT)
    assert verdict.ok and [w.key for w in verdict.warnings] == ["foreign_owner"]
    assert OTHER in verdict.warnings[0].detail


def test_without_a_project_id_the_owner_is_not_judged() -> None:
    assert assess(image(owner=OTHER)).ok
    assert assess(image(owner=OTHER)).warnings == ()


def test_accepted_shared_image_is_allowed_with_a_note() -> None:
    verdict = assess(image(__imagetype="shared", owner=OTHER, member_status="accepted"), PROJECT)
    assert verdict.ok and [w.key for w in verdict.warnings] == ["shared"]


def test_a_public_image_you_own_is_not_blocked_as_public() -> None:
    verdict = assess(image(visibility="public"), PROJECT)
    assert verdict.ok


# --- the private-image quota -------------------------------------------------------------------------------------


def _reading(used: int, quota: int) -> QuotaReading:
    return QuotaReading(ImageQuota(used=used, quota=quota, min=1, max=1000))


def test_quota_with_room_is_a_line_and_does_not_block() -> None:
    verdict = assess(image(), PROJECT, quota=_reading(48, 50))
    assert verdict.ok and verdict.quota is not None
    assert verdict.quota.line == "private images 48 of 50 used"


@pytest.mark.parametrize("used", [50, 51])
def test_quota_at_the_limit_blocks_with_the_img_0015_explanation(used: int) -> None:
    verdict = assess(image(), PROJECT, quota=_reading(used, 50))
    assert not verdict.ok and [c.key for c in verdict.blocking] == ["quota"]
    condition = verdict.blocking[0]
    assert f"{used} of 50 used" in condition.title
    assert "IMG.0015" in condition.detail and "Delete images" in condition.detail


def test_an_unreadable_quota_is_said_and_does_not_block() -> None:
    verdict = assess(image(), PROJECT, quota=QuotaReading(problem="HTTP 403 APIGW.0306"))
    assert verdict.ok and verdict.quota is not None
    assert verdict.quota.line == "private image quota unknown (HTTP 403 APIGW.0306): not checked"


def test_without_a_reading_the_verdict_has_no_quota() -> None:
    assert assess(image(), PROJECT).quota is None


class _QuotaApi:
    def __init__(self, answer: ImageQuota | Exception) -> None:
        self.answer = answer

    async def get_image_quota(self) -> ImageQuota:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (ImageQuota(3, 50), "private images 3 of 50 used"),
        (
            ApiError(403, "APIGW.0306", "API access denied."),
            "quota unknown (HTTP 403 APIGW.0306)",
        ),
        (ApiError(404, "APIGW.0101", "The API does not exist."), "HTTP 404 APIGW.0101"),
        (ProtocolError("the image quota answer is unusable"), "unusable"),
    ],
)
async def test_read_quota_never_raises_and_says_why_it_is_unknown(answer: Any, expected: str) -> None:
    reading = await read_quota(_QuotaApi(answer))  # type: ignore[arg-type]
    assert expected in reading.line and reading.reached is False
