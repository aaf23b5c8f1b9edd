"""Social's reactions to other domains' events (delivered by the outbox worker, once per handler)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.social import inbox


@bus.subscribe("LiveSessionStarted", name="social.notify_followers")
def on_live_session_started(session: Session, ev: Event) -> None:
    inbox.fan_out_live_started(session, ev.payload)


@bus.subscribe(inbox.FAN_OUT_TOPIC, name="social.fan_out_next_batch")
def on_fan_out(session: Session, ev: Event) -> None:
    inbox.fan_out_live_started(session, ev.payload, int(ev.payload["after_user_id"]))
