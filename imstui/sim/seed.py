"""The simulator's seeded catalogue: one image per case the console must show, with stable ids.

Ids are fixed UUIDs so tests, the UI and the e2e suite can name them. Every image is visible to the sim's
project (own private images, one gold image, two shared images). Refusal codes are what the sim answers to
``POST /v1/cloudimages/{id}/copy`` for that image (see ``REFUSALS``).

Failure scripts:
* a copy with ``cmk_id=FAILING_CMK_ID`` runs to 40 % and then ends ``FAIL`` with top-level ``error_code``
  ``IMG.0097`` and ``fail_reason`` (``FAILING_CMK_ERROR``);
* a copy of ``INTERNAL_FAIL_ID`` runs to 70 % and ends ``FAIL`` with top-level ``error_code``/``fail_reason``
  null and the error only in ``entities.error_code``/``entities.error`` (``INTERNAL_FAIL_ERROR``).

Hostile strings are served verbatim (the client sanitises; the sim must not).
"""

from __future__ import annotations

from typing import Any

GIB = 1024**3

# --- image ids -------------------------------------------------------------------------------------------------
ELIGIBLE_LINUX_ID = "1db073f0-7c3b-46c1-a336-e3bc3b607d7e"  # private Ubuntu, 40 GB, active: copies succeed
ELIGIBLE_SMALL_ID = "64175c04-8723-4391-96ab-889ef3fe3bd6"  # private CentOS data-light image, copies succeed
ENCRYPTED_ID = "844211e7-ece9-4713-b995-229be7ef9849"  # __system__cmkid = DEMO_CMK_ID; copies succeed
FULL_ECS_ID = "64ca283a-26e7-473e-91e9-429f32ab5ea1"  # __whole_image: IMG.0130
ISO_ID = "311267ed-3b0e-4af3-aafb-4388210ddf4b"  # disk_format iso / IsoImage: IMG.0167
WINDOWS_ID = "5d8dd950-e4fb-471a-9689-905608820b2b"  # __os_type Windows: IMG.0105 (no documented code)
SHARED_PENDING_ID = "310436d6-1b1d-4fb6-8f24-4e84d0e3878f"  # shared, member_status pending: IMG.0196
SHARED_ACCEPTED_ID = "0ddc6a22-eb0e-4341-8612-ff059f9a4879"  # shared, accepted: copies succeed
SHARED_ENCRYPTED_ID = "5bfa28ae-9a50-40eb-a969-700e6320082d"  # shared, accepted, KMS-encrypted: IMG.0197
PUBLIC_GOLD_ID = "fda2c3a2-ef6f-4a08-a262-b459ddd6e64c"  # public gold image: IMG.0047 (owner only)
LARGE_ID = "81c371e0-4db3-44a4-81fb-a26e8d8cac1f"  # 200 GiB > 128 GB: IMG.0105
NOT_ACTIVE_ID = "657c7bf5-ff28-42f4-9f3e-f1998fc2f444"  # status saving: IMG.0046
HOSTILE_MARKUP_ID = "ca05cbd7-f3df-49e1-9673-c5709a09ac38"  # Rich markup in name/description; copyable
HOSTILE_ESCAPES_ID = "bb3c1fff-2420-4d85-9432-065f86fbb706"  # ANSI/OSC/bidi/control chars; copyable
CJK_ID = "8b91618b-f100-44bc-be62-978c421eedcb"  # Chinese name, wide chars; copyable
LONG_NAME_ID = "5ce330bd-bc8e-48b5-8b79-b7ece2948004"  # 128-character name; copyable
INTERNAL_FAIL_ID = "9fbdf5ef-955a-4a21-988d-c0a3e9a67d3d"  # looks fine; its copy FAILs, error only in entities
BATCH_IDS = (
    "bf338054-657b-46ad-9543-e47a6a9d9a18",
    "61895cfe-7660-4656-97be-3bf596ae3e69",
    "ba1a3bd8-7051-48ee-89ef-cf4475b92acc",
    "2f0862b5-0daa-4b8f-b30e-fe2ecf437d74",
    "ec1d1b85-0e01-4928-81a3-f6c92a1b70e8",
)  # five ordinary eligible images (a longer list for paging)

# --- KMS keys ---------------------------------------------------------------------------------------------------
DEMO_CMK_ID = "4f8b2c1d-6a3e-4d59-9b7a-0c1e2f3a4b5c"  # an enabled key: copies encrypted with it succeed
SECOND_CMK_ID = "a7d3e9f1-2b4c-4e6a-8d0f-1a2b3c4d5e6f"  # another enabled key
FAILING_CMK_ID = "dead0c3e-0bad-4bad-8bad-000000000097"  # exists, but the copy FAILs at 40 % (key disabled)
KMS_KEYS = frozenset({DEMO_CMK_ID, SECOND_CMK_ID, FAILING_CMK_ID})

FAILING_CMK_ERROR = ("IMG.0097", "The KMS key is not enabled: the key was disabled while the image was being copied.")
INTERNAL_FAIL_ERROR = ("IMG.0014", "An exception occurred when IaaS OpenStack was executing the task.")

# --- other accounts ---------------------------------------------------------------------------------------------
PUBLIC_OWNER = "f3460a89bb044299abc6c9037ee6a732"  # owner of the public image
PARTNER_PROJECT = "f90cf4c7c2e24fc0b7bb29b59adac300"  # owner of the shared images

# --- hostile strings (served verbatim) --------------------------------------------------------------------------
HOSTILE_MARKUP_NAME = "[/bad] [@click=app.quit]x[/] [b]bold[/b] [red]img"
HOSTILE_MARKUP_DESCRIPTION = (
    "[b]not bold[/b] [@click=app.quit]click to quit[/] [/bad] [link=https://evil.example]link[/link] "
    "[on red]\\[escaped][/on red] $ {var} %s <b>html</b>"
)
HOSTILE_ESCAPES_NAME = "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \u202egnp.exe\u202c"
HOSTILE_ESCAPES_DESCRIPTION = (
    "clear\x1b[2J\x1b[H osc52\x1b]52;c;ZXZpbA==\x07 title\x1b]0;pwned\x07 bell\x07 bs\x08\x08 cr\rover "
    "nul\x00 del\x7f c1\x9b31m bidi\u202eevil\u202c isolate\u2066x\u2069 zw\u200bsp\ufeff tab\tend\nsecond line"
)
CJK_NAME = "中文镜像-数据库_01"
CJK_DESCRIPTION = "用于复制测试的中文描述。全角字符：ＡＢＣ１２３，表情 🚀，组合字符 é。"
LONG_NAME = ("long-image-name-" + "x" * 128)[:124] + "-end"  # exactly 128 characters, valid charset

# --- catalogue index --------------------------------------------------------------------------------------------
DEMO_IMAGES: dict[str, str] = {
    "eligible_linux": ELIGIBLE_LINUX_ID,
    "eligible_small": ELIGIBLE_SMALL_ID,
    "encrypted": ENCRYPTED_ID,
    "full_ecs": FULL_ECS_ID,
    "iso": ISO_ID,
    "windows": WINDOWS_ID,
    "shared_pending": SHARED_PENDING_ID,
    "shared_accepted": SHARED_ACCEPTED_ID,
    "shared_encrypted": SHARED_ENCRYPTED_ID,
    "public_gold": PUBLIC_GOLD_ID,
    "large": LARGE_ID,
    "not_active": NOT_ACTIVE_ID,
    "hostile_markup": HOSTILE_MARKUP_ID,
    "hostile_escapes": HOSTILE_ESCAPES_ID,
    "cjk": CJK_ID,
    "long_name": LONG_NAME_ID,
    "internal_fail": INTERNAL_FAIL_ID,
    **{f"batch_{i}": image_id for i, image_id in enumerate(BATCH_IDS, start=1)},
}

# What the sim answers to a copy of these images (HTTP 400 with this IMS code). Others are accepted.
REFUSALS: dict[str, str] = {
    FULL_ECS_ID: "IMG.0130",
    ISO_ID: "IMG.0167",
    WINDOWS_ID: "IMG.0105",
    SHARED_PENDING_ID: "IMG.0196",
    SHARED_ENCRYPTED_ID: "IMG.0197",
    PUBLIC_GOLD_ID: "IMG.0047",
    LARGE_ID: "IMG.0105",
    NOT_ACTIVE_ID: "IMG.0046",
}


def make_image(
    image_id: str,
    name: str,
    *,
    owner: str,
    created_at: str,
    description: str = "",
    os_type: str = "Linux",
    platform: str = "Ubuntu",
    os_version: str = "Ubuntu 22.04 server 64bit",
    min_disk: int = 40,
    size_bytes: int = 3 * GIB + 123_456_789,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete image document with IMS wire names and types (min_disk int, max_ram str, sizes str...)."""
    image: dict[str, Any] = {
        "id": image_id,
        "name": name,
        "status": "active",
        "visibility": "private",
        "__imagetype": "private",
        "owner": owner,
        "__description": description,
        "__os_type": os_type,
        "__platform": platform,
        "__os_version": os_version,
        "__os_bit": "64",
        "disk_format": "zvhd2",
        "container_format": "bare",
        "min_disk": min_disk,
        "min_ram": 0,
        "max_ram": "",
        "__image_size": str(size_bytes),
        "size": None,
        "virtual_size": None,
        "checksum": "d41d8cd98f00b204e9800998ecf8427e",
        "virtual_env_type": "FusionCompute",
        "__isregistered": "true",
        "protected": False,
        "__image_source_type": "uds",
        "__originalimagename": "",
        "__data_origin": "instance,0b2e6c7a-9d41-4f3e-8c5a-7e6f5d4c3b2a",
        "__lazyloading": "true",
        "__support_kvm": "true",
        "__support_xen": "false",
        "__support_amd": "true",
        "hw_firmware_type": "bios",
        "hw_vif_multiqueue_enabled": "true",
        "enterprise_project_id": "0",
        "created_at": created_at,
        "updated_at": created_at,
        "active_at": created_at,
        "tags": [],
        "self": f"/v2/images/{image_id}",
        "file": f"/v2/images/{image_id}/file",
        "schema": "/v2/schemas/image",
    }
    image.update(overrides)
    return image


def catalogue(project_id: str) -> list[dict[str, Any]]:
    """The seeded images, owned by ``project_id`` where they are private."""
    images = [
        make_image(
            ELIGIBLE_LINUX_ID,
            "web-server-ubuntu22",
            description="Nginx web front end, hardened 2025-03",
            created_at="2025-03-14T09:21:07Z",
            owner=project_id,
        ),
        make_image(
            ELIGIBLE_SMALL_ID,
            "db-centos7",
            description="PostgreSQL 13 on CentOS 7",
            platform="CentOS",
            os_version="CentOS 7.9 64bit",
            min_disk=20,
            size_bytes=1_876_543_210,
            created_at="2025-02-02T17:45:51Z",
            owner=project_id,
        ),
        make_image(
            ENCRYPTED_ID,
            "secure-app-euleros",
            description="KMS-encrypted application image",
            platform="EulerOS",
            os_version="EulerOS 2.9 64bit",
            created_at="2025-01-20T11:02:33Z",
            __system__cmkid=DEMO_CMK_ID,
            owner=project_id,
        ),
        make_image(
            FULL_ECS_ID,
            "whole-vm-backup-app01",
            description="Full-ECS image (system + data disks) from a CBR backup",
            min_disk=100,
            size_bytes=0,
            created_at="2025-01-11T08:15:00Z",
            __whole_image=True,
            __backup_id="c1f7a9b2-3d4e-4f50-8a61-72b3c4d5e6f7",
            __data_origin="server_backup,c1f7a9b2-3d4e-4f50-8a61-72b3c4d5e6f7",
            owner=project_id,
        ),
        make_image(
            ISO_ID,
            "rescue-iso-debian12",
            description="Image created from an ISO file",
            platform="Debian",
            os_version="Debian GNU/Linux 12.0.0 64bit",
            min_disk=10,
            size_bytes=658_505_728,
            created_at="2024-12-05T14:30:12Z",
            disk_format="iso",
            virtual_env_type="IsoImage",
            __data_origin="file,obs://images-bucket/debian-12.iso",
            __root_origin="file",
            owner=project_id,
        ),
        make_image(
            WINDOWS_ID,
            "win2019-legacy-erp",
            description="Windows Server 2019 Datacenter",
            os_type="Windows",
            platform="Windows",
            os_version="Windows Server 2019 Datacenter 64bit",
            min_disk=60,
            size_bytes=14 * GIB,
            created_at="2024-11-28T10:00:00Z",
            owner=project_id,
        ),
        make_image(
            SHARED_PENDING_ID,
            "partner-shared-pending",
            description="Shared by a partner account, not accepted yet",
            owner=PARTNER_PROJECT,
            created_at="2025-03-01T07:07:07Z",
            visibility="shared",
            __imagetype="shared",
            member_status="pending",
        ),
        make_image(
            SHARED_ACCEPTED_ID,
            "partner-shared-accepted",
            description="Shared by a partner account and accepted",
            owner=PARTNER_PROJECT,
            created_at="2025-02-27T12:00:00Z",
            visibility="shared",
            __imagetype="shared",
            member_status="accepted",
        ),
        make_image(
            SHARED_ENCRYPTED_ID,
            "partner-shared-encrypted",
            description="Shared, accepted, KMS-encrypted",
            owner=PARTNER_PROJECT,
            created_at="2025-02-25T12:00:00Z",
            visibility="shared",
            __imagetype="shared",
            member_status="accepted",
            __system__cmkid="77e1d2c3-b4a5-4968-8776-655443322110",
        ),
        make_image(
            PUBLIC_GOLD_ID,
            "Ubuntu 22.04 server 64bit",
            description="Public image provided by the cloud",
            owner=PUBLIC_OWNER,
            created_at="2024-10-10T00:00:00Z",
            visibility="public",
            __imagetype="gold",
            __data_origin="",
            __isregistered="true",
            __support_arm="false",
        ),
        make_image(
            LARGE_ID,
            "bigdata-node-200g",
            description="Hadoop worker with a 200 GB system disk",
            min_disk=200,
            size_bytes=200 * GIB,
            created_at="2025-03-10T16:40:00Z",
            owner=project_id,
        ),
        make_image(
            NOT_ACTIVE_ID,
            "build-in-progress",
            description="Still being created",
            created_at="2025-03-15T23:59:00Z",
            status="saving",
            active_at="",
            owner=project_id,
        ),
        make_image(
            HOSTILE_MARKUP_ID,
            HOSTILE_MARKUP_NAME,
            description=HOSTILE_MARKUP_DESCRIPTION,
            created_at="2025-03-09T03:03:03Z",
            os_version="[bold red]Ubuntu[/] 22.04",
            tags=["[b]tag[/b]", "env=[@click=app.quit]"],
            owner=project_id,
        ),
        make_image(
            HOSTILE_ESCAPES_ID,
            HOSTILE_ESCAPES_NAME,
            description=HOSTILE_ESCAPES_DESCRIPTION,
            created_at="2025-03-08T04:04:04Z",
            platform="Ubuntu\x1b[5m",
            owner=project_id,
        ),
        make_image(
            CJK_ID,
            CJK_NAME,
            description=CJK_DESCRIPTION,
            platform="CentOS",
            os_version="CentOS 8.2 64bit",
            created_at="2025-03-07T05:05:05Z",
            owner=project_id,
        ),
        make_image(
            LONG_NAME_ID,
            LONG_NAME,
            description="d" * 1024,
            created_at="2025-03-06T06:06:06Z",
            owner=project_id,
        ),
        make_image(
            INTERNAL_FAIL_ID,
            "legacy-app-snapshot",
            description="Copies of this image fail inside IMS (scripted)",
            created_at="2025-03-05T06:30:00Z",
            owner=project_id,
        ),
    ]
    for index, image_id in enumerate(BATCH_IDS, start=1):
        images.append(
            make_image(
                image_id,
                f"batch-node-{index:02d}",
                description=f"Batch worker {index}",
                created_at=f"2025-02-1{index}T12:00:00Z",
                min_disk=40,
                owner=project_id,
            )
        )
    return images
