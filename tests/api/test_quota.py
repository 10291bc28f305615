"""The quota answer as documented (OTC api-ref example) and as it might vary; anything else is refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imstui.api.quota import ImageQuota

DOCUMENTED = {"quotas": {"resources": [{"type": "image", "used": 0, "quota": 20, "min": 1, "max": 1000}]}}


def test_the_documented_example() -> None:
    quota = ImageQuota.from_api(DOCUMENTED)
    assert quota == ImageQuota(used=0, quota=20, min=1, max=1000)
    assert (quota.line, quota.left, quota.reached) == ("private images 0 of 20 used", 20, False)


def test_the_image_resource_is_picked_among_others_and_digit_strings_are_read() -> None:
    data = {
        "quotas": {
            "resources": [
                {"type": "image_shared", "used": 1, "quota": 5},
                {"type": "IMAGE", "used": "50", "quota": "50", "min": None},
            ]
        }
    }
    quota = ImageQuota.from_api(data)
    assert (quota.used, quota.quota, quota.min, quota.reached) == (50, 50, None, True)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"quotas": []},
        {"quotas": {"resources": {}}},
        {"quotas": {"resources": [{"type": "image_member", "used": 1, "quota": 2}]}},
        {"quotas": {"resources": [{"type": "image", "used": True, "quota": 2}]}},
        {"quotas": {"resources": [{"type": "image", "used": -1, "quota": 2}]}},
        {"quotas": {"resources": [{"type": "image", "used": "many", "quota": 2}]}},
        {"quotas": {"resources": [{"type": "image", "used": 1.5, "quota": 2}]}},
        [],
    ],
)
def test_unusable_answers_are_refused(data: Any) -> None:
    with pytest.raises(ValueError):
        ImageQuota.from_api(data)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_reached_exactly_when_no_room_is_left(used: int, limit: int) -> None:
    quota = ImageQuota.from_api({"quotas": {"resources": [{"type": "image", "used": used, "quota": limit}]}})
    assert quota.reached == (used >= limit) == (quota.left == 0)
