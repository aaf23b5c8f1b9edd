"""Periodic work of after-sales: the 48-hour rules (auto-approve a return, refund a refund-only
claim the merchant ignored, confirm a return that arrived, refund one the merchant sits on)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import service
from laotie.core.jobs import jobs


@jobs.every(60, name="aftersales.timeouts")
def timeouts(session: Session) -> None:
    service.run_timeouts(session)
