"""Settings read from the environment (prefix ``LAOTIE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAOTIE_", extra="ignore")

    database_url: str = "sqlite:///var/laotie.db"
    redis_url: str | None = None
    media_dir: Path = Path("var/media")
    # Secrets ship no default (a public default signs forged webhooks): set them in the environment.
    # `laotie serve|demo|worker|media` on the embedded SQLite set-up generates random ones once per
    # install in ``secrets_file`` and reuses them; anywhere else a missing or public one refuses to start
    # (``core.install_secrets``). ``secret_key`` signs nothing yet; tokens are random and stored hashed.
    secret_key: str = ""
    secrets_file: Path = Path("var/secrets.json")
    token_ttl_hours: int = 24 * 30
    # Log-in lock-out, per (client address, account) pair: after login_attempts failures the pair waits
    # login_backoff_seconds, doubling with each further failure, at most login_backoff_max_seconds (which
    # is also how long failures are remembered). One address may fail 4 × login_attempts times per
    # login_window_seconds over all accounts. The owner elsewhere is never locked out.
    login_attempts: int = 5
    login_window_seconds: int = 300
    login_backoff_seconds: int = 30
    login_backoff_max_seconds: int = 3600
    max_upload_bytes: int = 5 * 1024 * 1024
    # Request bodies (core.request_body): every route takes this much unless it declares a larger kind;
    # long texts (a product and its description) take max_text_body_bytes.
    # Uploaded images (core.image_gate): refused past this many pixels before decoding; decoded at
    # most this many at a time per process, a request waiting longer than this is told to retry.
    image_max_pixels: int = 24_000_000
    image_decode_concurrency: int = 2
    image_decode_wait_seconds: float = 20.0
    # After-sales evidence photos a buyer may upload per hour (all cases together).
    aftersales_evidence_per_hour: int = 30
    max_json_body_bytes: int = 64 * 1024
    max_text_body_bytes: int = 1024 * 1024
    # The HTTP server (`laotie serve`, core.http_server): a request's line and headers must arrive within
    # http_header_timeout_seconds and be at most http_max_header_bytes; a body that goes silent for
    # http_body_timeout_seconds is dropped; an idle kept-alive connection closes after
    # http_keep_alive_seconds. One access-log line per request unless access_log is false.
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    http_keep_alive_seconds: int = 5
    http_max_header_bytes: int = 64 * 1024
    access_log: bool = True
    # FastAPI's native OpenTelemetry (spans, metrics, logs through the global providers an operator
    # configures). Off unless asked for: FastAPI otherwise asks the OpenTelemetry API for its global
    # providers on every request (three environment reads, ~3-4 % of a flash sale's buy-now), even
    # when none is configured.
    opentelemetry: bool = False
    # Database connections per API process, which is also how many requests use the database at once.
    db_pool_size: int = 20
    # Run the outbox worker inside the API process (the embedded default).
    embedded_worker: bool = True
    outbox_poll_seconds: float = 0.5
    # After a pass that did not fill its batch, the worker lets this long's events gather before the
    # next: under a steady stream (a flash sale's payments) each pass then carries a run of events
    # instead of one or two, and what a pass costs whatever its size (the claim, the record, a
    # product re-indexed once per run) is paid far fewer times. Idle, a commit still wakes it at once.
    outbox_gather_seconds: float = 0.05
    # Orders: an unpaid order cancels itself after this long and its stock comes back.
    order_payment_ttl_seconds: int = 15 * 60
    # Fulfilment and settlement.
    auto_confirm_days: int = 10  # delivered orders confirm themselves after this many days
    return_window_days: int = 7  # 七天无理由: a shop's money becomes available after this
    growth_fund_share_bp: int = 1000  # 商户成长奖励金: 10% of platform fees go back to merchants
    # Logistics: ship-by deadline after payment, and 西北集运 (remote provinces go through a hub; the
    # platform pays the hub-to-buyer leg, per destination province, in fen).
    ship_within_hours: int = 48
    tracking_poll_minutes: int = 30  # the tracking job asks the carrier about a parcel at most this often
    carrier_network: str = "sandbox"  # which registered carrier network tracks parcels (core.providers)
    consolidation_hub_province: str = "610000"  # 陕西: the hub is in 西安
    consolidation_hub_name: str = "西安集运仓"
    consolidation_leg_fen: dict[str, int] = {
        "650000": 1200,  # 新疆
        "540000": 1500,  # 西藏
        "630000": 900,  # 青海
        "620000": 600,  # 甘肃
        "640000": 600,  # 宁夏
        "150000": 800,  # 内蒙古
    }
    # Pay after use (先用后付): who may, and how hard the platform tries to collect.
    pay_later_min_account_days: int = 30
    pay_later_min_completed_orders: int = 1
    pay_later_excluded_categories: list[str] = ["珠宝文玩", "数码家电"]
    pay_later_max_charge_attempts: int = 3
    # Payments. "sandbox" is the built-in test PSP; a real provider plugs in behind the same interface.
    payment_provider: str = "sandbox"
    # Where this platform is reachable from outside: PSPs post webhooks here. `laotie serve` fills it in
    # from its host and port when it is not set.
    public_url: str = "http://127.0.0.1:8000"
    payment_webhook_secret: str = ""
    # Webhooks signed longer ago than this are refused (replay protection).
    payment_webhook_tolerance_seconds: int = 300
    # An intent not paid within this time expires (expire_stale_intents).
    payment_intent_ttl_seconds: int = 15 * 60
    # A pay-after-use charge the provider has not settled within this time expires and may be retried.
    pay_later_charge_ttl_seconds: int = 24 * 60 * 60
    # After an unpaid order's deadline, how long a payment the buyer confirmed (or a provider out of
    # reach) keeps the order before it is cancelled anyway (orders.cancel_expired asks the provider).
    payment_timeout_grace_seconds: int = 10 * 60
    # The sandbox PSP: how long it waits before sending a webhook, and whether this process runs its
    # delivery loop (only together with the embedded worker).
    sandbox_webhook_delay_seconds: float = 1.0
    sandbox_webhook_max_attempts: int = 20
    sandbox_webhook_delivery: bool = True
    # Events the sandbox's sender puts in one signed request (its batch endpoint, at most 100);
    # 1 sends each notification alone to the single-event endpoint, as an integrator's PSP may.
    sandbox_webhook_batch_events: int = 100
    # After a pass that sent less than a full lease, the sender lets due notifications gather this
    # long before the next (a flash sale's payments then arrive in fewer, larger batch requests).
    sandbox_webhook_gather_seconds: float = 0.2
    # Settlement: the smallest withdrawal a shop may ask for, and how long a withdrawal may wait for its
    # payout to be sent before the periodic job sends it again (the provider deduplicates).
    withdrawal_min_fen: int = 100
    withdrawal_resend_after_seconds: int = 120
    # After-sales (售后). The merchant answers a return or refund-only request within this many hours or
    # the platform decides for the buyer; after the return arrives it refunds within the same deadline.
    aftersales_merchant_hours: int = 48
    # How long a parcel sent back may take to arrive before the merchant's confirmation is overdue.
    return_transit_hours: int = 96
    aftersales_refund_hours: int = 48
    # Refund-only abuse: a buyer whose refund-only claims cover more than this share of their last N
    # delivered orders (and at least the minimum count) goes to staff review instead of the instant path.
    refund_only_abuse_rate_bp: int = 3000
    refund_only_abuse_window: int = 10
    refund_only_abuse_min_claims: int = 2
    # 七天保价: price drops within this many days of payment are made good.
    price_protection_days: int = 7
    # Returns for the merchant's fault (quality, wrong item, damage) stay open longer than no-reason ones.
    quality_return_days: int = 15
    # Evidence photos per case, each up to max_upload_bytes; return shipping the merchant pays back
    # for a quality or wrong-item return is capped at this.
    aftersales_max_evidence: int = 9
    return_shipping_cap_fen: int = 3000
    # Social: followers notified per transaction when a followed room goes live (the fan-out batch).
    social_fanout_batch: int = 500
    # 好物联盟: the commission rates (basis points) a merchant may offer creators.
    affiliate_min_rate_bp: int = 100
    affiliate_max_rate_bp: int = 5000
    # Short videos: upload size and length limits, comment length and pace.
    video_max_bytes: int = 50 * 1024 * 1024
    video_max_seconds: int = 300
    video_comment_max_chars: int = 200
    # Linked videos (not uploaded) may only be https links to these hosts ("*.example.com" for its
    # subdomains); empty: only uploads. JSON in the environment: LAOTIE_VIDEO_LINK_HOSTS='["cdn.example.com"]'.
    video_link_hosts: list[str] = []
    video_comment_interval_seconds: int = 10
    # Moderation: an author whose texts were blocked this many times within the window is reported
    # to governance once per window (the ``moderation.repeat_offender`` event).
    moderation_repeat_hits: int = 3
    moderation_repeat_window_hours: int = 24
    # Product searches run on each process's in-memory replica of the index (ADR 0027); off: in SQL.
    search_replica: bool = True
    # Live (直播): the media server (nginx-rtmp, `laotie media`), and the live-room realtime hub.
    media_rtmp_url: str = "rtmp://127.0.0.1:1935/live"  # where anchors push (shown with the stream key)
    media_hls_url: str = (
        ""  # where the media server serves HLS, e.g. http://127.0.0.1:8081/hls; "" = no video
    )
    media_callback_secret: str = ""  # nginx's callbacks carry it in the query
    live_comment_max_chars: int = 200
    live_comment_burst: int = 5  # comments a user may post at once, then one per refill interval
    live_comment_refill_seconds: float = 1.0
    live_frame_ms: int = 100  # a room sends its viewers at most one frame this often
    live_frames_per_second: int = 10_000  # per process: busy rooms send fewer, larger frames (≤ 400 ms)
    live_sample_comments: int = 20  # more comments than this in one frame: viewers see a fair sample
    live_viewer_queue_frames: int = 50  # frames waiting for a slow viewer before they are merged into one
    live_redis_channel: str = "laotie:live:"  # Redis pub/sub channel prefix (one per deployment)


@lru_cache
def get_settings() -> Settings:
    return Settings()
