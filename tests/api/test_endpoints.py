"""Default endpoints per region and the plain-http rule."""

from __future__ import annotations

import pytest

from imstui.api.endpoints import (
    DEFAULT_IAM_ENDPOINT,
    IAM_REGIONS,
    KNOWN_REGIONS,
    check_endpoint,
    iam_endpoint,
    ims_endpoint,
)
from imstui.api.errors import ConfigurationError


def test_ims_endpoint_for_every_known_region() -> None:
    assert len(KNOWN_REGIONS) == 33
    for region in KNOWN_REGIONS:
        assert ims_endpoint(region) == f"https://ims.{region}.myhuaweicloud.com"


def test_iam_endpoint_has_27_regional_hosts_and_a_global_default() -> None:
    assert len(IAM_REGIONS) == 27
    assert iam_endpoint("ap-southeast-1") == "https://iam.ap-southeast-1.myhuaweicloud.com"
    assert iam_endpoint("cn-north-12") == "https://iam.cn-north-12.myhuaweicloud.com"
    assert iam_endpoint("cn-south-4") == DEFAULT_IAM_ENDPOINT == "https://iam.myhuaweicloud.com"
    assert iam_endpoint("xx-new-9") == DEFAULT_IAM_ENDPOINT


def test_eu_west_101_iam_is_on_the_european_domain() -> None:
    assert iam_endpoint("eu-west-101") == "https://iam.eu-west-101.myhuaweicloud.eu"


@pytest.mark.parametrize(
    "region", ["", "  ", "AP-SOUTHEAST-1", "ap_southeast_1", "evil.com/x", "ap-southeast-1.attacker"]
)
def test_malformed_regions_are_refused(region: str) -> None:
    with pytest.raises(ConfigurationError):
        ims_endpoint(region)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ims.ap-southeast-1.myhuaweicloud.com/", "https://ims.ap-southeast-1.myhuaweicloud.com"),
        ("https://ims.example.com:8443", "https://ims.example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://127.255.255.254:1", "http://127.255.255.254:1"),
        ("http://LOCALHOST.:9000", "http://localhost.:9000"),
        ("  HTTPS://Ims.Example.com  ", "https://ims.example.com"),
    ],
)
def test_accepted_endpoints(url: str, expected: str) -> None:
    assert check_endpoint(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://ims.ap-southeast-1.myhuaweicloud.com",
        "http://10.0.0.5:8080",
        "http://localhost.attacker.com",
        "http://sim.localhost:9000",
        "http://[::ffff:10.0.0.1]",
        "http://[fe80::1]",
        "http://0.0.0.0:8080",
        "http://2130706433",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "ims.ap-southeast-1.myhuaweicloud.com",
        "https://user:pw@ims.example.com",
        "https://ims.example.com/v1",
        "https://ims.example.com?x=1",
        "https://ims.example.com:notaport",
        "",
    ],
)
def test_refused_endpoints(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_endpoint(url)


def test_refusal_says_why() -> None:
    with pytest.raises(ConfigurationError, match=r"plain http.*localhost"):
        check_endpoint("http://ims.example.com")
