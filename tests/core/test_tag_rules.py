"""Local tag rules: every broken rule is named; what passes is what the server (lenient or strict reading) takes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imstui.api.client import ImsClient
from imstui.api.errors import LocalValidationError
from imstui.api.models import CopyRequest
from imstui.api.tag_models import ImageTag
from imstui.api.tags import list_image_tags
from imstui.core.tags import MAX_TAGS, check_total, parse_tag, tag_new_image, tags_violation, validate_tags
from imstui.core.validation import Violation
from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend
from imstui.sim.tags import _FORBIDDEN, KEY_MAX, VALUE_MAX


def rule_of(items: list[str]) -> str | None:
    _, violation = tags_violation(items)
    return None if violation is None else violation.rule


def test_good_tags_parse_with_spaces_trimmed_and_empty_values() -> None:
    assert validate_tags(["env=prod", " team = web-1 ", "note=", "版本=一.二"]) == [
        ImageTag("env", "prod"),
        ImageTag("team", "web-1"),
        ImageTag("note", ""),
        ImageTag("版本", "一.二"),
    ]
    assert validate_tags([("a", "b"), ImageTag("c", "d")]) == [ImageTag("a", "b"), ImageTag("c", "d")]


@pytest.mark.parametrize(
    ("items", "rule"),
    [
        (["env"], "tag.format"),
        (["=prod"], "tag.key.required"),
        ([" =prod"], "tag.key.required"),
        (["k" * 37 + "=v"], "tag.key.length"),
        (["k=" + "v" * 44], "tag.value.length"),
        (["env/x=prod"], "tag.key.charset"),
        (["a.b=prod"], "tag.key.charset"),  # '.' is the old key.value separator: not in a key
        (["env=a=b"], "tag.value.charset"),
        (["env=p r o d"], "tag.value.charset"),
        (["env=\x1b[31m"], "tag.value.charset"),
        (["env=a", "env=b"], "tag.key.unique"),
        ([f"k{n}=v" for n in range(MAX_TAGS + 1)], "tags.count"),
    ],
)
def test_each_broken_rule_is_named(items: list[str], rule: str) -> None:
    assert rule_of(items) == rule
    with pytest.raises(LocalValidationError) as caught:
        validate_tags(items)
    assert (caught.value.field, caught.value.rule) == ("tags", rule)


def test_limits_are_inclusive() -> None:
    assert rule_of(["k" * 36 + "=" + "v" * 43]) is None
    assert rule_of([f"k{n}=v" for n in range(MAX_TAGS)]) is None


def test_messages_show_the_offending_characters() -> None:
    result = parse_tag("bad*key=v")
    assert isinstance(result, Violation)
    assert "'*'" in result.message and "letters, digits" in result.message
    control = parse_tag("k=a\x07b")
    assert isinstance(control, Violation) and "U+0007" in control.message


def test_total_counts_overwritten_keys_once() -> None:
    existing = [ImageTag(f"k{n}", "v") for n in range(8)]
    assert check_total(existing, [ImageTag("k1", "new"), ImageTag("x", "y")]) is None
    over = check_total(existing, [ImageTag("x", "1"), ImageTag("y", "2"), ImageTag("z", "3")])
    assert over is not None and over.rule == "tags.count" and "11 tags" in over.message


_ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=50)


@given(key=_ANY_TEXT, value=_ANY_TEXT)
def test_whatever_passes_locally_the_lenient_server_accepts_too(key: str, value: str) -> None:
    """Property: a tag imstui accepts has a 1-36 character key, a 0-43 character value, no character any
    documented reading forbids, and round-trips through ``key=value``."""
    _, violation = tags_violation([(key, value)])
    if violation is not None:
        assert violation.rule.startswith("tag.")
        return
    tag = validate_tags([(key, value)])[0]
    assert 1 <= len(tag.key) <= KEY_MAX and len(tag.value) <= VALUE_MAX
    assert not (_FORBIDDEN & set(tag.key + tag.value)) and " " not in tag.key + tag.value
    assert validate_tags([str(tag)]) == [tag]


@given(st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=36))
def test_every_strict_reading_key_is_accepted(key: str) -> None:
    assert validate_tags([f"{key}=v"]) == [ImageTag(key, "v")]


def _ims(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


async def test_a_successful_copy_is_tagged_and_the_tags_read_back() -> None:
    backend = controlled_backend(instant=True)
    async with _ims(backend) as ims:
        job_id = await ims.copy_image(seed.ELIGIBLE_LINUX_ID, CopyRequest("tagged-copy"))
        backend.manual_clock.advance(1)
        new_image = (await ims.get_job(job_id)).new_image_id or ""
        tags = validate_tags(["env=prod", "team=web"])
        outcome = await tag_new_image(ims, new_image, tags)
        assert (outcome.ok, outcome.describe()) == (True, "tags applied: env=prod, team=web")
        assert await list_image_tags(ims, new_image) == tags
    assert backend.state.copies_created == 1  # tagging never touches the copy


async def test_tagging_failures_are_an_outcome_not_an_exception() -> None:
    backend = controlled_backend()
    async with _ims(backend) as ims:
        full = [ImageTag(f"k{n}", "v") for n in range(9)]
        assert (await tag_new_image(ims, seed.ELIGIBLE_SMALL_ID, full)).ok
        over = await tag_new_image(ims, seed.ELIGIBLE_SMALL_ID, [ImageTag("a", "1"), ImageTag("b", "2")])
        assert (over.ok, over.error_code) == (False, "tags.count")
        assert over.describe().startswith("copied, tags not applied: tags.count the image would have 11 tags")
        missing = await tag_new_image(ims, "00000000-0000-4000-8000-000000000000", [ImageTag("a", "1")])
        assert missing.error_code == "IMG.0027"
        assert (await tag_new_image(ims, "any", [])).ok  # nothing to apply, nothing sent
    assert backend.state.tags.calls == 1
