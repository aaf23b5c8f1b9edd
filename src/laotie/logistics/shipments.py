"""Shipments: the merchant hands a parcel to a carrier; the tracking job follows it to 签收.

The tracking job polls the carrier network for every parcel in transit, stores the nodes it has not
seen, books the platform's hub-to-buyer leg when a 西北集运 parcel leaves the hub (Dr subsidy expense,
Cr logistics payable: owed to the carrier), and at 签收 emits ``ShipmentDelivered`` (orders moves
the order to delivered). Runners claim a shipment with a conditional update, so two never poll the
same parcel at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.addresses.schemas import AddressSnapshot
from laotie.core import clock
from laotie.core.events import emit
from laotie.core.providers import providers
from laotie.events.logistics import ShipmentDelivered
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting, TransactionKind
from laotie.logistics import carriers, deadlines, errors
from laotie.logistics.interfaces import DELIVERED, LEFT_HUB, CarrierNetwork, Waybill
from laotie.logistics.models import Shipment, TrackingEvent
from laotie.logistics.quoting import consolidation_leg
from laotie.logistics.schemas import ShipmentOut, ShipmentStatus, TrackingNodeOut
from laotie.settings import get_settings

CARRIER_NETWORK = "carrier_network"  # the provider kind; ``LAOTIE_CARRIER_NETWORK`` names one
_plugged: CarrierNetwork | None = None
_built: dict[str, CarrierNetwork] = {}


def set_network(network: CarrierNetwork | None) -> CarrierNetwork:
    """Plug in a carrier network over the configured one (a test double); returns the one in use
    before. ``None`` goes back to the configured one."""
    global _plugged
    previous, _plugged = current_network(), network
    return previous


def check_waybill(carrier: str, tracking_no: str) -> tuple[str, str]:
    """(carrier code, normalised number), or UNKNOWN_CARRIER / INVALID_TRACKING_NO: call it before
    moving anything."""
    found, number = carriers.resolve(carrier, tracking_no)
    return found.code, number


def create_shipment(
    session: Session,
    *,
    order_id: int,
    shop_id: int,
    buyer_id: int,
    carrier: str,
    tracking_no: str,
    address: dict[str, Any],
) -> ShipmentOut:
    """Record the parcel of a paid order; a 西北集运 address gets the hub leg. The caller has moved
    the order to shipped in the same transaction."""
    code, number = check_waybill(carrier, tracking_no)
    if session.scalar(select(Shipment.id).where(Shipment.order_id == order_id)) is not None:
        raise errors.ALREADY_SHIPPED(order_id=order_id)
    if session.scalar(
        select(Shipment.id).where(Shipment.carrier_code == code, Shipment.tracking_no == number)
    ):
        raise errors.TRACKING_NO_IN_USE(tracking_no=number)
    snapshot = AddressSnapshot.model_validate(address)
    leg = consolidation_leg(snapshot.province_code)
    settings = get_settings()
    now = clock.now()
    row = Shipment(
        order_id=order_id,
        shop_id=shop_id,
        buyer_id=buyer_id,
        carrier_code=code,
        tracking_no=number,
        dest_province_code=snapshot.province_code,
        dest_city=(snapshot.city_name or snapshot.province_name)[:40],
        consolidated=leg is not None,
        hub_province_code=settings.consolidation_hub_province if leg is not None else None,
        hub_name=settings.consolidation_hub_name if leg is not None else "",
        platform_leg_fen=leg or 0,
        status=ShipmentStatus.IN_TRANSIT.value,
        shipped_at=now,
        nodes_seen=0,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent ship of the same order or number
        raise errors.ALREADY_SHIPPED(order_id=order_id) from None
    deadlines.mark_shipped(session, order_id, now)
    return shipment_out(session, row)


def current_network() -> CarrierNetwork:
    """The network plugged in, or the one ``LAOTIE_CARRIER_NETWORK`` names (built once)."""
    if _plugged is not None:
        return _plugged
    name = get_settings().carrier_network
    if name not in _built:
        _built[name] = providers.factory(CARRIER_NETWORK, name)()
    return _built[name]


def waybill_of(row: Shipment) -> Waybill:
    return _waybill(row)


def poll_now(session: Session, row: Shipment, now: datetime) -> bool:
    """Ask the carrier about one parcel now (the sandbox's advance); True when delivered by it."""
    row.polled_at = now
    return _poll_one(session, row, now)


def _waybill(row: Shipment, province_name: str = "") -> Waybill:
    return Waybill(
        carrier_code=row.carrier_code,
        tracking_no=row.tracking_no,
        # A sandbox parcel moved ahead (sandbox_advance) was handed over that much earlier.
        shipped_at=row.shipped_at - timedelta(seconds=row.sandbox_shift_seconds or 0),
        dest_province=province_name or row.dest_province_code,
        dest_city=row.dest_city,
        hub_name=row.hub_name or None,
    )


def _book_leg(session: Session, row: Shipment) -> None:
    if row.leg_booked_at is not None or row.platform_leg_fen <= 0:
        return
    tx = ledger.post(
        session,
        kind=TransactionKind.CONSOLIDATION_LEG,
        reference_type="shipment",
        reference_id=row.id,
        postings=[
            Posting(K.SUBSIDY_EXPENSE, row.platform_leg_fen),
            Posting(K.LOGISTICS_PAYABLE, -row.platform_leg_fen),
        ],
        idempotency_key=f"logistics:consolidation-leg:{row.id}",
        memo=f"西北集运：{row.hub_name}至买家运费由平台承担（订单{row.order_id}）",
    )
    row.leg_booked_at = clock.now()
    row.leg_ledger_tx_id = tx.id


def _poll_one(session: Session, row: Shipment, now: datetime) -> bool:
    """Store new nodes; True when the parcel was delivered by this poll."""
    nodes = current_network().track(_waybill(row), now)
    fresh = nodes[row.nodes_seen :]
    if fresh:
        session.execute(
            insert(TrackingEvent),
            [
                {
                    "shipment_id": row.id,
                    "seq": row.nodes_seen + i,
                    "at": n.at,
                    "stage": n.stage,
                    "city": n.city[:40],
                    "description": n.description[:200],
                }
                for i, n in enumerate(fresh)
            ],
        )
        row.nodes_seen = len(nodes)
    if row.consolidated and any(n.stage == LEFT_HUB for n in fresh):
        _book_leg(session, row)
    signed = next((n for n in fresh if n.stage == DELIVERED), None)
    if signed is None:
        return False
    _book_leg(session, row)  # a parcel never delivers before its platform leg is booked
    row.status = ShipmentStatus.DELIVERED.value
    row.delivered_at = signed.at
    emit(
        session,
        ShipmentDelivered(
            shipment_id=row.id,
            order_id=row.order_id,
            shop_id=row.shop_id,
            buyer_id=row.buyer_id,
            delivered_at=signed.at.isoformat(),
        ),
    )
    return True


def poll_tracking(session: Session, limit: int = 500) -> list[int]:
    """Advance the parcels in transit with the clock, each at most every ``tracking_poll_minutes``,
    least recently asked first; returns the order ids delivered now."""
    now = clock.now()
    stale = now - timedelta(minutes=get_settings().tracking_poll_minutes)
    candidates = session.execute(
        select(Shipment.id, Shipment.polled_at)
        .where(
            Shipment.status == ShipmentStatus.IN_TRANSIT.value,
            or_(Shipment.polled_at.is_(None), Shipment.polled_at <= stale),
        )
        .order_by(Shipment.polled_at.is_not(None), Shipment.polled_at, Shipment.id)
        .limit(limit)
    ).all()
    delivered: list[int] = []
    for shipment_id, polled_at in candidates:
        claimed = session.execute(
            update(Shipment)
            .where(
                Shipment.id == shipment_id,
                Shipment.status == ShipmentStatus.IN_TRANSIT.value,
                Shipment.polled_at.is_(None) if polled_at is None else Shipment.polled_at == polled_at,
            )
            .values(polled_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another runner has it
        row = session.get(Shipment, shipment_id, populate_existing=True)
        assert row is not None
        if _poll_one(session, row, now):
            delivered.append(row.order_id)
    session.flush()
    return delivered


def shipment_out(session: Session, row: Shipment) -> ShipmentOut:
    events = session.scalars(
        select(TrackingEvent).where(TrackingEvent.shipment_id == row.id).order_by(TrackingEvent.seq.desc())
    ).all()
    return ShipmentOut(
        id=row.id,
        order_id=row.order_id,
        shop_id=row.shop_id,
        carrier_code=row.carrier_code,
        carrier_name=carriers.name_of(row.carrier_code),
        tracking_no=row.tracking_no,
        status=ShipmentStatus(row.status),
        consolidated=row.consolidated,
        hub_name=row.hub_name,
        platform_leg_fen=row.platform_leg_fen,
        platform_leg_booked=row.leg_booked_at is not None,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        nodes=[
            TrackingNodeOut(at=e.at, stage=e.stage, city=e.city, description=e.description) for e in events
        ],
    )


def shipment_of_order(session: Session, order_id: int) -> ShipmentOut | None:
    row = session.scalar(select(Shipment).where(Shipment.order_id == order_id))
    return shipment_out(session, row) if row else None


def buyer_tracking(session: Session, buyer_id: int, order_id: int) -> ShipmentOut:
    row = session.scalar(select(Shipment).where(Shipment.order_id == order_id))
    if row is None or row.buyer_id != buyer_id:
        raise errors.SHIPMENT_NOT_FOUND(order_id=order_id)
    return shipment_out(session, row)


def shop_tracking(session: Session, shop_id: int, order_id: int) -> ShipmentOut:
    row = session.scalar(select(Shipment).where(Shipment.order_id == order_id))
    if row is None or row.shop_id != shop_id:
        raise errors.SHIPMENT_NOT_FOUND(order_id=order_id)
    return shipment_out(session, row)
