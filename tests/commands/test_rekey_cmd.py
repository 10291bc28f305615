"""`imstui rekey` end to end through imstui.cli.main on the in-process simulator (--demo, jobs finish at once,
virtual time for --wait): it selects exactly the images under OLD (or the unencrypted ones), copies each with NEW
through the batch plan, and ends by naming the old images that still carry OLD."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from ims_fake_server import FakeSleep

from imstui.cli import main
from imstui.core.context import client_overrides
from imstui.sim import controlled_backend, fleet, seed
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend

GENERATED = 40
RETIRED = ("aaaa0001-0000-4000-8000-000000000001", "aaaa0002-0000-4000-8000-000000000002")
RETIRED_ISO = "aaaa0003-0000-4000-8000-000000000003"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoBackend]:
    """Copies finish at once; two images (and an ISO one) on the disabled demo key; --wait in virtual time."""
    chosen = controlled_backend(instant=True, generated_images=GENERATED, private_image_quota=1000)
    for n, image_id in enumerate(RETIRED, start=1):
        chosen.state.add_image(
            seed.make_image(
                image_id,
                f"retired-{n}",
                owner=chosen.project_id,
                created_at=f"2025-03-2{n}T00:00:00Z",
                __system__cmkid=sim_kms.DISABLED_KEY_ID,
            )
        )
    chosen.state.add_image(
        seed.make_image(
            RETIRED_ISO,
            "[b]retired-iso[/b] \x1b[31m",
            owner=chosen.project_id,
            created_at="2025-03-20T00:00:00Z",
            disk_format="iso",
            virtual_env_type="IsoImage",
            __system__cmkid=sim_kms.DISABLED_KEY_ID,
        )
    )
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    monkeypatch.delenv("IMSTUI_KMS_ENDPOINT", raising=False)
    with client_overrides(sleep=FakeSleep()):
        yield chosen


def own_images(backend: DemoBackend) -> list[dict[str, Any]]:
    return [i for i in backend.state.images.values() if i["owner"] == backend.project_id]


def test_selects_exactly_the_images_under_old_and_copies_them_with_new(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {i["id"] for i in own_images(backend)}
    code, out, _ = run(
        capsys, "--demo", "rekey", "--from-key", "demo/disabled", "--to-key", "demo/backup", "--yes", "--wait", "--json"
    )
    doc = json.loads(out)
    planned = {i["source_image_id"]: i for i in doc["plan"]["items"]}
    assert set(planned) == {*RETIRED, RETIRED_ISO}  # exactly the images under OLD
    assert planned[RETIRED_ISO]["verdict"] == "not_eligible"
    assert all(planned[i]["verdict"] == "ready" and planned[i]["cmk_id"] == seed.SECOND_CMK_ID for i in RETIRED)
    outcomes = {i["source_image_id"]: i["outcome"] for i in doc["items"]}
    assert outcomes == {RETIRED[0]: "succeeded", RETIRED[1]: "succeeded", RETIRED_ISO: "skipped"}
    assert code == 1  # --wait: 0 only if every item succeeded, and the ISO image could not be copied
    copies = [i for i in own_images(backend) if i["id"] not in before]
    assert sorted(c["name"] for c in copies) == ["retired-1-rekeyed", "retired-2-rekeyed"]
    assert all(c["__system__cmkid"] == seed.SECOND_CMK_ID for c in copies)
    rekey = doc["rekey"]
    assert (rekey["from_key"], rekey["to_key"], rekey["found"]) == (sim_kms.DISABLED_KEY_ID, seed.SECOND_CMK_ID, 3)
    assert {i["id"] for i in rekey["still_under_old_key"]} == {*RETIRED, RETIRED_ISO}  # nothing was deleted
    assert all(backend.state.images[i]["__system__cmkid"] == sim_kms.DISABLED_KEY_ID for i in RETIRED)


def test_from_key_none_selects_exactly_the_unencrypted_images(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    # no --yes and no terminal: the plan is shown (in the document) and nothing is sent, exit 2
    code, out, err = run(capsys, "--demo", "rekey", "--from-key", "none", "--to-key", "ims/default", "--json")
    doc = json.loads(out)
    assert (code, doc["ok"], doc["sent"]) == (2, False, False)
    assert "no terminal to ask on" in err
    planned = {i["source_image_id"] for i in doc["plan"]["items"]}
    expected = {i["id"] for i in own_images(backend) if not i.get("__system__cmkid")}
    assert planned == expected
    assert {fleet.fleet_image_id(n) for n in range(GENERATED) if fleet.fleet_cmk_id(n) is None} <= planned
    assert seed.ENCRYPTED_ID not in planned and seed.SHARED_ACCEPTED_ID not in planned  # not the account's own
    assert all(i["cmk_id"] == sim_kms.IMS_DEFAULT_KEY_ID for i in doc["plan"]["items"])
    assert backend.state.copies_created == 0


def test_the_end_names_the_old_images_that_still_carry_old(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--demo", "rekey", "--from-key", sim_kms.DISABLED_KEY_ID, "--to-key", "demo/backup", "--yes", "--wait"
    )
    assert code == 1  # the ISO image is skipped
    assert "3 old image(s) still carry demo/disabled" in out
    lines = out.splitlines()
    by_id = {image_id: next(line for line in lines if line.strip().startswith(image_id)) for image_id in RETIRED}
    assert "retired-1" in by_id[RETIRED[0]] and by_id[RETIRED[0]].endswith("copy: succeeded")
    iso = next(line for line in lines if line.strip().startswith(RETIRED_ISO))
    assert "[b]retired-iso[/b]" in iso and "\x1b" not in out and iso.endswith("copy: skipped")  # literal, sanitised
    assert "delete the old image in the IMS console" in out
    first = next(line for line in lines if line.startswith("   1  "))  # the plan: newest first, one line an item
    assert first.split()[1:4] == ["ready", "retired-2-rekeyed", "key:"] and "demo/backup" in first


def test_nothing_under_the_key_is_said_and_nothing_is_sent(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--demo", "rekey", "--from-key", "demo/retiring", "--to-key", "demo/backup", "--yes")
    assert code == 0 and "nothing to re-key" in out
    assert backend.state.copies_created == 0


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("demo/backup", "demo/backup", "the new key is the old key"),
        ("none", "demo/disabled", "is disabled: only an enabled key"),
        ("demo/nope", "demo/backup", "no KMS key has the alias demo/nope"),
        ("demo/disabled", "demo/nope", "no enabled KMS key with alias demo/nope"),
    ],
)
def test_bad_keys_exit_2_and_send_nothing(
    old: str, new: str, said: str, backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--demo", "rekey", "--from-key", old, "--to-key", new, "--yes")
    assert code == 2 and out == "" and said in err and "nothing was sent" in err
    assert backend.state.copies_created == 0


def test_a_bad_template_or_tag_exits_2_before_any_request(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--demo", "rekey", "--from-key", "none", "--to-key", "x", "--name-template", "{nom}")
    assert code == 2 and "unknown placeholder {nom}" in err
    code, _, err = run(capsys, "--demo", "rekey", "--from-key", "none", "--to-key", "x", "--tag", "k" * 40 + "=v")
    assert code == 2 and "nothing was sent" in err
    assert backend.state.copies_created == 0


REKEY = ("--demo", "rekey", "--from-key", "demo/disabled", "--to-key", "demo/backup", "--yes")


def test_a_second_rekey_sets_aside_what_the_first_copied(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, *REKEY, "--wait")
    made = backend.state.copies_created
    assert made == 2
    code, out, err = run(capsys, *REKEY, "--json")
    doc = json.loads(out)
    # nothing sent again: only the ISO image is left, and it cannot be copied (an empty plan: exit 2)
    assert (code, doc["sent"], backend.state.copies_created) == (2, False, made)
    assert [i["source_image_id"] for i in doc["plan"]["items"]] == [RETIRED_ISO]
    evidence = {e["id"]: e["evidence"] for e in doc["rekey"]["already_rekeyed"]}
    assert set(evidence) == set(RETIRED) and all(
        "already copies it with the new key (succeeded)" in e for e in evidence.values()
    )
    assert "set aside (--again plans it)" in err
    run(capsys, *REKEY, "--again", "--json")  # the operator insists: planned and sent again
    assert backend.state.copies_created == made + 2


def test_copies_made_elsewhere_are_found_in_the_image_list(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    origins: list[dict[str, Any]] = [{"__originalimagename": RETIRED[0]}, {"__data_origin": f"image,x,{RETIRED[1]}"}]
    for n, origin in enumerate(origins):
        backend.state.add_image(
            seed.make_image(
                f"bbbb000{n}-0000-4000-8000-000000000000",
                f"console-copy-{n}",
                owner=backend.project_id,
                created_at="2025-04-01T00:00:00Z",
                __system__cmkid=seed.SECOND_CMK_ID,
                **origin,
            )
        )
    code, out, _ = run(capsys, *REKEY, "--json")
    doc = json.loads(out)
    assert {e["id"] for e in doc["rekey"]["already_rekeyed"]} == set(RETIRED)
    assert (
        "console-copy-0"
        in doc["rekey"]["already_rekeyed"][0]["evidence"] + doc["rekey"]["already_rekeyed"][1]["evidence"]
    )
    assert [i["source_image_id"] for i in doc["plan"]["items"]] == [RETIRED_ISO]  # only what has no copy
    assert backend.state.copies_created == 0  # the ISO item is not eligible: an empty plan, nothing sent
    assert code == 2


def test_a_failed_copy_is_no_reason_to_set_an_image_aside(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    from imstui.sim.state import ScriptedOutcome

    backend.state.script_next_copy(ScriptedOutcome("IMG.0061", "Unknown system error.", fail_at=0.0))
    run(capsys, *REKEY, "--wait")
    assert backend.state.copies_created == 2  # both accepted; one job then FAILed
    _, out, _ = run(capsys, *REKEY, "--json")
    doc = json.loads(out)
    set_aside = {e["id"] for e in doc["rekey"]["already_rekeyed"]}
    assert len(set_aside) == 1  # the one whose copy succeeded
    planned = {i["source_image_id"] for i in doc["plan"]["items"] if i["verdict"] == "ready"}
    assert planned == set(RETIRED) - set_aside  # the failed one is planned again, and sent
    assert backend.state.copies_created == 3


def test_when_every_image_has_its_copy_the_rerun_says_so_and_exits_0(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("--demo", "rekey", "--from-key", "demo/app-data", "--to-key", "demo/backup", "--yes")
    assert run(capsys, *argv, "--wait")[0] == 0  # every image under demo/app-data copied
    made = backend.state.copies_created
    assert made == 1 + len(range(0, GENERATED, 5))
    code, out, _ = run(capsys, *argv)
    assert code == 0 and backend.state.copies_created == made
    assert "lacks a copy under the new key: nothing to re-key" in out
    assert f"{made} old image(s) still carry demo/app-data" in out and out.count("copy: made earlier") == made
