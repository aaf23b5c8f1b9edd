from __future__ import annotations

import pytest

from laotie.addresses import service as addresses
from laotie.addresses.masking import mask_detail, mask_name
from laotie.addresses.schemas import AddressSnapshot


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳锋", "欧阳*"),
        ("欧阳", "欧*"),  # a compound surname alone would show the whole name
        ("王", "*"),
        ("Alice", "A****"),
    ],
)
def test_names(name: str, shown: str) -> None:
    assert mask_name(name) == shown


def test_detail_shows_only_its_first_characters_and_not_its_length() -> None:
    assert mask_detail("文三路478号华星时代广场A座1201") == "文三路****"
    assert mask_detail("长安街1号") == "长安****"
    assert mask_detail("1号") == "1****"
    assert len(mask_detail("文三路" + "很长" * 50)) == len(mask_detail("文三路478号"))


def _snapshot() -> AddressSnapshot:
    return AddressSnapshot(
        address_id=7,
        recipient="欧阳娜娜",
        phone="13800138000",
        province_code="110000",
        province_name="北京市",
        city_code="110100",
        city_name="北京市",
        district_code="110105",
        district_name="朝阳区",
        detail="建国路88号SOHO现代城5号楼",
        postal_code="100022",
    )


def test_masked_address_keeps_regions_and_hides_the_person() -> None:
    shown = addresses.masked(_snapshot())
    assert shown.phone == "138****8000"
    assert shown.recipient == "欧阳**"
    assert shown.detail == "建国路****"
    assert (shown.province_name, shown.city_name, shown.district_name) == ("北京市", "北京市", "朝阳区")
    dumped = shown.model_dump_json()
    assert "13800138000" not in dumped and "娜娜" not in dumped and "SOHO" not in dumped


def test_snapshot_survives_json_and_masks_from_json() -> None:
    stored = _snapshot().model_dump(mode="json")
    assert AddressSnapshot.model_validate(stored) == _snapshot()
    assert addresses.masked(stored).phone == "138****8000"


def test_label_line_does_not_repeat_a_municipality() -> None:
    assert _snapshot().one_line() == "北京市朝阳区建国路88号SOHO现代城5号楼"
    xiantao = _snapshot().model_copy(
        update={
            "province_name": "湖北省",
            "city_name": "仙桃市",
            "district_code": None,
            "district_name": "",
            "detail": "沔阳大道1号",
        }
    )
    assert xiantao.one_line() == "湖北省仙桃市沔阳大道1号"
