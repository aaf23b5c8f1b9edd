"""The sandbox carrier's timelines: realistic order of stages, 1-4 days, reproducible, hub legs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from laotie.core.errors import AppError
from laotie.logistics import carriers, sandbox
from laotie.logistics.interfaces import Waybill

T0 = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)


def waybill(number: str, hub: str | None = None) -> Waybill:
    return Waybill("ZTO", number, T0, "浙江省", "杭州市", hub)


@pytest.mark.parametrize("n", range(30))
def test_direct_timeline_runs_from_pick_up_to_signature_in_one_to_four_days(n: int) -> None:
    nodes = sandbox.timeline(waybill(f"7812345678{n:04d}"))
    stages = [x.stage for x in nodes]
    assert stages[0] == "揽收" and stages[-2:] == ["派送中", "签收"]
    assert set(stages[1:-2]) == {"运输中"} and 2 <= len(stages[1:-2]) <= 6
    assert [x.at for x in nodes] == sorted(x.at for x in nodes)
    took = nodes[-1].at - nodes[0].at
    assert timedelta(hours=20) <= took <= timedelta(days=4, hours=6)
    assert nodes[-1].city == "杭州市"


@pytest.mark.parametrize("n", range(20))
def test_consolidated_parcels_pass_the_hub(n: int) -> None:
    nodes = sandbox.timeline(waybill(f"7899999999{n:04d}", hub="西安集运仓"))
    stages = [x.stage for x in nodes]
    assert (
        stages.index("揽收") < stages.index("到达集运仓") < stages.index("集运仓发出") < stages.index("签收")
    )
    assert [x.at for x in nodes] == sorted(x.at for x in nodes)
    assert "西安集运仓" in nodes[stages.index("到达集运仓")].description


def test_tracking_reveals_the_same_journey_with_the_clock() -> None:
    network = sandbox.SandboxCarrierNetwork()
    bill = waybill("78123456789012")
    full = sandbox.timeline(bill)
    assert network.track(bill, T0) == []
    halfway = network.track(bill, full[2].at)
    assert halfway == full[:3]
    assert network.track(bill, T0 + timedelta(days=10)) == full == sandbox.timeline(bill)


def test_carriers_are_named_by_code_or_name_and_numbers_are_checked() -> None:
    assert carriers.resolve("中通快递", "zt1234567890")[1] == "ZT1234567890"
    assert carriers.resolve("SF", "SF1234567890")[0].name == "顺丰速运"
    with pytest.raises(AppError) as unknown:
        carriers.resolve("飞鸽快递", "123456")
    assert unknown.value.code == "UNKNOWN_CARRIER"
    with pytest.raises(AppError) as bad:
        carriers.resolve("顺丰速运", "ZT1234567890")
    assert bad.value.code == "INVALID_TRACKING_NO" and "顺丰速运" in bad.value.message("zh")
