"""Several tracking runners at once (the job in several processes): each parcel's nodes are stored
once, each 西北集运 leg booked once, each delivery announced once."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import OutboxEvent
from laotie.core.uow import unit_of_work
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.logistics import service as logistics
from laotie.logistics.models import Shipment, TrackingEvent
from laotie.orders import fulfilment
from tests.factories.logistics import URUMQI_TIANSHAN, buyer_in, owner_of, paid_order
from tests.factories.orders import make_on_sale
from tests.factories.races import race

PARCELS = 6
RUNNERS = 4


def test_concurrent_pollers_store_and_book_each_thing_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = buyer_in(session, URUMQI_TIANSHAN)
    sale = make_on_sale(session, stock=50)
    owner = owner_of(session, sale.shop_id)
    order_ids = [paid_order(client, app, db, session, buyer, (sale, 1))[0] for _ in range(PARCELS)]
    for i, order_id in enumerate(order_ids):
        fulfilment.ship(session, owner, sale.shop_id, order_id, "中通快递", f"7812345678{i:04d}")
    session.commit()
    delivered: list[int] = []
    with clock.travel(timedelta(days=8)):  # every parcel has arrived by now
        # runners skip what another has claimed instead of failing, and never double-book
        outcomes = race(db, [lambda s: delivered.extend(logistics.poll_tracking(s))] * RUNNERS)
        with unit_of_work(db) as s:  # whatever a failed runner left is picked up by the next run
            delivered.extend(logistics.poll_tracking(s))
            s.commit()
    session.rollback()
    assert outcomes == ["ok"] * RUNNERS
    assert sorted(delivered) == sorted(order_ids)  # each delivery reported once
    statuses = session.scalars(select(Shipment.status)).all()
    assert statuses == ["delivered"] * PARCELS
    per_parcel = session.execute(
        select(
            TrackingEvent.shipment_id, func.count(), func.count(func.distinct(TrackingEvent.seq))
        ).group_by(TrackingEvent.shipment_id)
    ).all()
    assert len(per_parcel) == PARCELS and all(n == distinct for _, n, distinct in per_parcel)
    assert ledger.balance(session, K.SUBSIDY_EXPENSE) == PARCELS * 1200
    assert ledger.balance(session, K.LOGISTICS_PAYABLE) == PARCELS * 1200
    announced = session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "ShipmentDelivered")
    )
    assert announced == PARCELS
