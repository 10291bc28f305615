"""Local input rules: what passes is what IMS documents; what fails names its rule in plain words."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.models import CopyRequest
from imstui.core.validation import (
    check_cmk_id,
    check_description,
    check_enterprise_project_id,
    check_image_id,
    check_job_id,
    check_name,
    normalise_image_id,
    validate_copy,
)

NAME_ALPHABET = "ABCXYZabcxyz0189-._ 镜像副本中文"
NAME_OK_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._ ")

valid_names = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=128).filter(
    lambda s: not s.startswith(" ") and not s.endswith(" ")
)
uuids = st.uuids().map(str)


@settings(max_examples=200)
@given(valid_names)
def test_every_name_within_the_rules_is_accepted(name: str) -> None:
    assert check_name(name) is None


@settings(max_examples=200)
@given(st.text(min_size=1, max_size=128))
def test_any_character_outside_the_rules_is_named(name: str) -> None:
    bad = [c for c in name if c not in NAME_OK_CHARS and not ("\u4e00" <= c <= "\u9fa5")]
    violation = check_name(name)
    if bad:
        assert violation is not None and violation.rule == "name.charset"
    elif name[0] == " " or name[-1] == " ":
        assert violation is not None and violation.rule == "name.edge_space"
    else:
        assert violation is None


@given(st.text(alphabet="ab", min_size=129, max_size=300))
@settings(max_examples=30)
def test_names_longer_than_128_characters_are_refused(name: str) -> None:
    violation = check_name(name)
    assert violation is not None and violation.rule == "name.length" and str(len(name)) in violation.message


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "name.required"),
        (" leading", "name.edge_space"),
        ("trailing ", "name.edge_space"),
        ("a/b", "name.charset"),
        ("emoji 🙂", "name.charset"),
        ("tab\there", "name.charset"),
        ("fullwidth，comma", "name.charset"),
    ],
)
def test_name_rules(name: str, rule: str) -> None:
    violation = check_name(name)
    assert violation is not None and violation.rule == rule and violation.message


def test_charset_message_shows_the_offending_characters_readably() -> None:
    violation = check_name("a/b\x1bc")
    assert violation is not None
    assert "'/'" in violation.message and "U+001B" in violation.message and "\x1b" not in violation.message


def test_128_chinese_characters_are_fine() -> None:
    assert check_name("镜" * 128) is None


@settings(max_examples=150)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="<>"),
        max_size=1024,
    )
)
def test_single_line_descriptions_up_to_1024_are_accepted(text: str) -> None:
    assert check_description(text) is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("x" * 1025, "description.length"),
        ("line one\nline two", "description.line_break"),
        ("carriage\rreturn", "description.line_break"),
        ("<script>", "description.angle_brackets"),
        ("a > b", "description.angle_brackets"),
        ("bell\x07", "description.control"),
        ("bidi \u202e trick", "description.control"),
    ],
)
def test_description_rules(text: str, rule: str) -> None:
    violation = check_description(text)
    assert violation is not None and violation.rule == rule


def test_empty_optional_fields_are_fine() -> None:
    for check in (check_description, check_cmk_id, check_enterprise_project_id):
        assert check(None) is None
        assert check("") is None


@settings(max_examples=100)
@given(uuids)
def test_uuids_are_valid_ids(value: str) -> None:
    assert check_image_id(value) is None
    assert check_cmk_id(value) is None
    assert check_enterprise_project_id(value) is None


@settings(max_examples=150)
@given(st.text(max_size=60))
def test_non_uuids_are_refused_as_ids(value: str) -> None:
    try:
        uuid_shaped = str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except ValueError:
        uuid_shaped = False
    if uuid_shaped:
        return
    image = check_image_id(value)
    assert image is not None and image.rule in ("image_id.uuid", "image_id.required")
    if value:
        cmk = check_cmk_id(value)
        assert cmk is not None and cmk.rule == "cmk_id.uuid"


def test_enterprise_project_zero_means_default() -> None:
    assert check_enterprise_project_id("0") is None
    violation = check_enterprise_project_id("default")
    assert violation is not None and violation.rule == "enterprise_project_id.format" and '"0"' in violation.message


@settings(max_examples=100)
@given(
    uuids,
    st.sampled_from(["", " ", "\n", "\t", "\u200b", "\ufeff", '"', "'"]),
    st.sampled_from(["", " ", "\r\n", "\u200b", '"']),
)
def test_pasted_ids_are_normalised(value: str, before: str, after: str) -> None:
    pasted = before + value.upper() + after
    assert normalise_image_id(pasted) == value
    assert check_image_id(normalise_image_id(pasted)) is None


def test_normalise_keeps_non_uuids_as_typed() -> None:
    assert normalise_image_id("  Not-A-UUID ") == "Not-A-UUID"


def test_validate_copy_reports_every_failed_field() -> None:
    request = CopyRequest(name=" bad", description="a<b", cmk_id="key", enterprise_project_id="eps")
    violations = validate_copy(request)
    assert set(violations) == {"name", "description", "cmk_id", "enterprise_project_id"}
    ok = CopyRequest(
        name="copy-of-web01", description="nightly replica", cmk_id=str(uuid.uuid4()), enterprise_project_id="0"
    )
    assert validate_copy(ok) == {}


@pytest.mark.parametrize("job_id", ["ff8080814dbd65d7014dbe0d84db0013", "job-1.2_3"])
def test_job_ids(job_id: str) -> None:
    assert check_job_id(job_id) is None


@pytest.mark.parametrize("job_id", ["", "../etc", "a b", "x" * 129, "job\x1b"])
def test_bad_job_ids(job_id: str) -> None:
    assert check_job_id(job_id) is not None
