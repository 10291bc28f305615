"""The copy verdict: documented refusals block, risks warn, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from imstui.api.models import Image
from imstui.core.eligibility import assess

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


def test_image_over_128_gb_warns() -> None:
    verdict = assess(image(__image_size=str(129 * 1024**3)), PROJECT)
    assert verdict.ok and [w.key for w in verdict.warnings] == ["too_large"]
    assert "129.0 GB" in verdict.warnings[0].title
    assert assess(image(__image_size=str(128 * 1024**3)), PROJECT).warnings == ()


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
