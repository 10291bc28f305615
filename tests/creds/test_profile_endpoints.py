"""A profile's endpoints follow the client's rule (imstui.api.endpoints.check_endpoint): https anywhere, plain http
only to loopback, scheme://host[:port] only — refused when saved, not later at connect time."""

from __future__ import annotations

from pathlib import Path

import pytest

from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.core.profiles import Profile, ProfileStore


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://ims.lab.example/", "https://ims.lab.example"),
        ("http://127.0.0.1:8099", "http://127.0.0.1:8099"),
        ("http://localhost:7000/", "http://localhost:7000"),
        ("http://[::1]:7000", "http://[::1]:7000"),
    ],
)
@pytest.mark.parametrize("field", ["endpoint", "iam_endpoint"])
def test_accepted_endpoints_are_stored_as_the_client_uses_them(field: str, url: str, stored: str) -> None:
    profile = Profile(name="p", region="ap-southeast-1", **{field: url})  # type: ignore[arg-type]
    assert getattr(profile, field) == stored
    assert profile.to_toml()[field] == stored


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://ims.example.com", "refusing plain http:// to ims.example.com"),
        ("http://app.localhost:8000", "refusing plain http://"),
        ("https://ims.example.com/v2", "without a path or query"),
        ("https://user:pw@ims.example.com", "must not contain a user name or password"),
        ("ftp://ims.example.com", "must be a URL such as https://"),
    ],
)
@pytest.mark.parametrize("field", ["endpoint", "iam_endpoint"])
def test_refused_endpoints_name_the_field_and_the_rule(field: str, url: str, says: str) -> None:
    with pytest.raises(LocalValidationError) as caught:
        Profile(name="p", region="ap-southeast-1", **{field: url})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ") and says in str(caught.value)


def test_a_hand_edited_plain_http_endpoint_is_reported_with_its_profile(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('version = 1\n[profiles.lab]\nregion = "ap-southeast-1"\niam_endpoint = "http://iam.example.com"\n')
    with pytest.raises(ConfigurationError) as caught:
        ProfileStore(path).get("lab")
    assert "profile 'lab'" in str(caught.value) and "refusing plain http://" in str(caught.value)
