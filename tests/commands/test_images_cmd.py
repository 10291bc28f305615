"""`imstui images` end to end through imstui.cli.main on the in-process simulator (--demo) with generated images."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imstui.cli import main
from imstui.sim import controlled_backend, fleet, seed
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend

GENERATED = 1_100
RETIRED_ID = "aaaa0001-0000-4000-8000-000000000001"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> DemoBackend:
    chosen = controlled_backend(generated_images=GENERATED)
    chosen.state.add_image(
        seed.make_image(
            RETIRED_ID,
            "on-a-disabled-key",
            owner=chosen.project_id,
            created_at="2025-03-16T00:00:00Z",
            __system__cmkid=sim_kms.DISABLED_KEY_ID,
        )
    )
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    monkeypatch.delenv("IMSTUI_KMS_ENDPOINT", raising=False)
    return chosen


def doc_of(out: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(out)  # exactly one document
    return doc


def test_json_lists_every_image_of_both_sections_with_a_verdict(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--demo", "images", "--json")
    doc = doc_of(out)
    assert (code, doc["ok"], err) == (0, True, "")
    own = [i for i in backend.state.images.values() if i["owner"] == backend.project_id]
    shared = [seed.SHARED_ACCEPTED_ID, seed.SHARED_ENCRYPTED_ID]
    assert doc["count"] == len(doc["images"]) == len(own) + len(shared)
    assert [r["id"] for r in doc["images"] if r["section"] == "shared"] == shared
    assert doc["images"][0]["id"] == RETIRED_ID  # newest first
    assert doc["requests"] == 4  # three pages of 500 private images (1,119), one page of shared ones
    by_id = {r["id"]: r for r in doc["images"]}
    assert by_id[seed.ISO_ID]["verdict"] == "blocked" and by_id[seed.ISO_ID]["eligible"] is False
    assert by_id[seed.SHARED_ENCRYPTED_ID]["eligibility"]["blocking"][0]["key"] == "shared_encrypted"


def test_encrypted_with_a_disabled_keys_alias_finds_its_images(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--demo", "images", "--json", "--encrypted-with", "demo/disabled")
    doc = doc_of(out)
    assert code == 0 and [r["id"] for r in doc["images"]] == [RETIRED_ID]
    assert doc["filters"]["encrypted_with"] == sim_kms.DISABLED_KEY_ID


def test_encrypted_with_none_and_eligible_combine(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--demo", "images", "--json", "--encrypted-with", "none", "--eligible")
    rows = doc_of(out)["images"]
    assert code == 0 and rows and all(r["cmk_id"] is None and r["eligible"] for r in rows)
    expected = sum(1 for n in range(GENERATED) if fleet.fleet_cmk_id(n) is None)
    assert sum(1 for r in rows if r["name"].startswith("fleet-")) == expected
    assert seed.ISO_ID not in {r["id"] for r in rows} and seed.SHARED_ACCEPTED_ID in {r["id"] for r in rows}


def test_limit_reads_only_the_pages_it_needs(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--demo", "images", "--json", "--name", "fleet-", "--limit", "3")
    doc = doc_of(out)
    assert code == 0 and [r["id"] for r in doc["images"]] == [fleet.fleet_image_id(n) for n in range(3)]
    assert doc["requests"] == 1


def test_human_rows_show_hostile_names_literally(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo", "images", "--name", "ca05cbd7")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split()[:3] == ["VERDICT", "NAME", "ID"]
    assert "[/bad] [@click=app.quit]x[/]" in lines[1] and seed.HOSTILE_MARKUP_ID in lines[1]
    assert lines[-1].startswith("1 image, 1 can be copied")
    code, out, _ = run(capsys, "--demo", "images", "--name", seed.HOSTILE_ESCAPES_ID)
    assert code == 0 and "\x1b" not in out and "\u202e" not in out


def test_sort_by_name_and_size(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--demo", "images", "--json", "--name", "batch-node", "--sort", "name")
    assert [r["name"] for r in doc_of(out)["images"]] == [f"batch-node-{n:02d}" for n in range(1, 6)]
    _, out, _ = run(capsys, "--demo", "images", "--json", "--sort", "size", "--limit", "40")
    sizes = [r["size_bytes"] for r in doc_of(out)["images"]]
    assert sizes == sorted(sizes, reverse=True)


def test_an_unknown_alias_exits_2_naming_the_enabled_keys(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--demo", "images", "--encrypted-with", "demo/nope")
    assert code == 2 and out == ""
    assert "no KMS key has the alias demo/nope" in err and "ims/default" in err


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_a_bad_limit_is_a_usage_error(limit: str, backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--demo", "images", "--limit", limit])
    assert exited.value.code == 2


def test_a_403_on_all_granted_eps_falls_back_and_lists_everything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refusing = controlled_backend(generated_images=600, refuse_all_granted_eps=True)
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: refusing)
    code, out, err = run(capsys, "--demo", "images", "--json", "--name", "fleet-")
    doc = doc_of(out)
    assert (code, err) == (0, "")
    assert [r["id"] for r in doc["images"]] == [fleet.fleet_image_id(n) for n in range(600)]
    assert doc["requests"] == 1 + 2 + 1  # the refused first page, two pages without the filter, the shared one
