"""Social's reactions to other domains' events (delivered by the outbox worker, once per handler)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.live import LiveSessionStarted
from laotie.events.social import SocialFanOut
from laotie.social import inbox


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(LiveSessionStarted, on_live_session_started, name="social.notify_followers")
    bus.subscribe(SocialFanOut, on_fan_out, name="social.fan_out_next_batch")


def on_live_session_started(session: Session, ev: LiveSessionStarted) -> None:
    inbox.fan_out_live_started(session, ev)


def on_fan_out(session: Session, ev: SocialFanOut) -> None:
    inbox.fan_out_live_started(session, ev, ev.after_user_id)
