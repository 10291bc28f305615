"""resolve_key / resolve_enterprise_project against the simulator: what ``copy --key`` and
``copy --enterprise-project`` will do before anything is sent to IMS."""

from __future__ import annotations

import pytest

from imstui.api.client import ImsClient
from imstui.api.eps import EpsClient
from imstui.api.eps_models import DEFAULT_PROJECT, EnterpriseProject, NoEpsRightsError
from imstui.api.errors import LocalValidationError
from imstui.api.kms import KmsClient
from imstui.core.enterprise_projects import choices, is_choosable, resolve_enterprise_project
from imstui.core.keys import choosable, resolve_key
from imstui.sim import controlled_backend, seed
from imstui.sim import eps as sim_eps
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend


def ims_on(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


@pytest.fixture
async def kms() -> KmsClient:
    return KmsClient(ims_on(controlled_backend()))


async def test_alias_and_pasted_id_resolve_to_the_enabled_key(kms: KmsClient) -> None:
    assert (await resolve_key(kms, "ims/default")).key_id == sim_kms.IMS_DEFAULT_KEY_ID
    assert (await resolve_key(kms, "IMS/Default")).key_id == sim_kms.IMS_DEFAULT_KEY_ID  # case differs only
    pasted = f'  "{seed.DEMO_CMK_ID.upper()}"\n'
    assert (await resolve_key(kms, pasted)).alias == "demo/app-data"


async def test_unknown_alias_names_the_enabled_keys(kms: KmsClient) -> None:
    with pytest.raises(LocalValidationError) as caught:
        await resolve_key(kms, "nope/missing")
    error = caught.value
    assert error.rule == "key.unknown_alias"
    assert "no enabled KMS key with alias nope/missing; enabled keys: " in error.message
    assert "ims/default" in error.message and "demo/backup" in error.message
    assert "demo/disabled" not in error.message and "demo/retiring" not in error.message


@pytest.mark.parametrize(
    ("alias_or_id", "words"),
    [
        ("demo/disabled", "is disabled"),
        (sim_kms.PENDING_DELETION_KEY_ID, "is pending deletion"),
        ("demo/not-yet-active", "is pending activation"),
        ("demo/byok-import", "is pending import"),
    ],
)
async def test_a_key_that_is_not_enabled_is_refused_in_words(kms: KmsClient, alias_or_id: str, words: str) -> None:
    with pytest.raises(LocalValidationError) as caught:
        await resolve_key(kms, alias_or_id)
    assert caught.value.rule == "key.not_enabled"
    assert words in caught.value.message and "only an enabled key" in caught.value.message


async def test_unknown_id_and_empty_input(kms: KmsClient) -> None:
    with pytest.raises(LocalValidationError) as caught:
        await resolve_key(kms, "00000000-0000-4000-8000-000000000000")
    assert caught.value.rule == "key.unknown_id"
    with pytest.raises(LocalValidationError) as empty:
        await resolve_key(kms, "  ")
    assert empty.value.rule == "key.required"


async def test_long_alias_lists_are_cut_and_counted() -> None:
    backend = controlled_backend()
    for n in range(30):
        backend.state.kms.add(f"00000000-0000-4000-8000-{n:012d}", f"bulk/key-{n:02d}")
    with pytest.raises(LocalValidationError) as caught:
        await resolve_key(KmsClient(ims_on(backend)), "missing")
    assert "… and 25 more" in caught.value.message  # 35 enabled AES keys (5 seeded + 30), 10 named


async def test_picker_order_puts_default_keys_first_and_only_enabled(kms: KmsClient) -> None:
    keys = choosable(await kms.list_keys())
    assert keys[0].alias == "ims/default"
    assert all(k.is_enabled for k in keys)


async def test_enterprise_project_by_name_id_and_default() -> None:
    eps = EpsClient(ims_on(controlled_backend()))
    assert (await resolve_enterprise_project(eps, "")) == (DEFAULT_PROJECT, True)
    assert (await resolve_enterprise_project(eps, "default"))[0].id == "0"
    assert (await resolve_enterprise_project(eps, "0"))[0].id == "0"
    by_name, checked = await resolve_enterprise_project(eps, "Staging")
    assert (by_name.id, checked) == (sim_eps.STAGING_ID, True)
    by_id, _ = await resolve_enterprise_project(eps, sim_eps.PROD_DB_ID.upper())
    assert by_id.name == "production-db"


async def test_enterprise_project_refusals_name_the_rule() -> None:
    eps = EpsClient(ims_on(controlled_backend()))
    cases = {
        "legacy-archive": "enterprise_project.disabled",
        sim_eps.DISABLED_ID: "enterprise_project.disabled",
        "prod": "enterprise_project.unknown_name",  # fuzzy matches two: an exact name is needed
        "00000000-0000-4000-8000-000000000000": "enterprise_project.unknown_id",
    }
    for text, rule in cases.items():
        with pytest.raises(LocalValidationError) as caught:
            await resolve_enterprise_project(eps, text)
        assert caught.value.rule == rule, text
    with pytest.raises(LocalValidationError) as near:
        await resolve_enterprise_project(eps, "prod")
    assert "prod-web" in near.value.message and "production-db" in near.value.message


async def test_without_eps_rights_an_id_is_taken_as_typed_and_a_name_is_refused() -> None:
    backend = controlled_backend()
    backend.state.eps.denied = True
    eps = EpsClient(ims_on(backend))
    project, checked = await resolve_enterprise_project(eps, sim_eps.PROD_WEB_ID)
    assert (project.id, checked) == (sim_eps.PROD_WEB_ID, False)
    with pytest.raises(NoEpsRightsError):
        await resolve_enterprise_project(eps, "prod-web")


def test_choices_always_offer_default_first_once_and_mark_disabled() -> None:
    listed = [
        EnterpriseProject("0", "default", 1),
        EnterpriseProject("b", "beta", 2),
        EnterpriseProject("a", "Alpha", 1),
    ]
    offered = choices(listed)
    assert [p.id for p in offered] == ["0", "a", "b"]
    assert [is_choosable(p) for p in offered] == [True, True, False]
    assert choices([])[0] == DEFAULT_PROJECT
