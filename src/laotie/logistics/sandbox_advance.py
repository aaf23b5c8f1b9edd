"""Moving a sandbox parcel ahead in time (issue 9 item 17), so that 签收 and everything after it
(auto-confirm, the return window, after-sales on delivered orders) can be tried without waiting days.

The sandbox carrier's timeline is a pure function of the waybill, its hand-over time included, so
advancing a parcel is moving its timeline earlier: the shipment keeps a ``sandbox_shift_seconds``
that the tracking job subtracts from the hand-over time it tells the sandbox network (``shipments``).
Then the parcel is polled at once, exactly as the tracking job would: new nodes stored, the hub leg
booked, ``ShipmentDelivered`` at 签收. Only while the sandbox carrier network is the one configured:
a real carrier's parcels are never moved.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.logistics import errors, shipments
from laotie.logistics.interfaces import DELIVERED
from laotie.logistics.models import Shipment
from laotie.logistics.sandbox import SandboxCarrierNetwork, timeline
from laotie.logistics.schemas import ShipmentOut, ShipmentStatus

STAGES = ("next", "delivered")


def enabled() -> bool:
    return isinstance(shipments.current_network(), SandboxCarrierNetwork)


def find(session: Session, reference: str) -> Shipment:
    """A shipment by tracking number, or by order id when the reference is all digits."""
    query = select(Shipment).where(Shipment.tracking_no == reference.strip().upper()[:60])
    if reference.strip().isdigit() and len(reference.strip()) <= 19:
        query = select(Shipment).where(
            or_(Shipment.order_id == int(reference.strip()), Shipment.tracking_no == reference.strip())
        )
    row = session.scalars(query.with_for_update().order_by(Shipment.id)).first()
    if row is None:
        raise errors.SHIPMENT_NOT_FOUND(reference=reference[:60])
    return row


def advance(session: Session, reference: str, to: str = "next") -> ShipmentOut:
    """Reveal the parcel's next tracking node now (``to="next"``), or everything up to 签收
    (``"delivered"``). SANDBOX_CARRIER_DISABLED outside the sandbox network."""
    if not enabled():
        raise errors.SANDBOX_CARRIER_DISABLED()
    if to not in STAGES:
        raise errors.SANDBOX_STAGE_INVALID(stage=to[:20], stages="/".join(STAGES))
    row = find(session, reference)
    if row.status != ShipmentStatus.IN_TRANSIT.value:
        return shipments.shipment_out(session, row)  # delivered already: nothing further to show
    now = clock.now()
    nodes = timeline(shipments.waybill_of(row))
    unseen = [n for n in nodes if n.at > now]
    if unseen:
        target = unseen[0] if to == "next" else next(n for n in nodes if n.stage == DELIVERED)
        if target.at > now:
            row.sandbox_shift_seconds += int((target.at - now).total_seconds()) + 1
    shipments.poll_now(session, row, now)
    session.flush()
    return shipments.shipment_out(session, row)
