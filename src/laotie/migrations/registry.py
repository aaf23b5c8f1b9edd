"""Every domain's models, imported so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from laotie.accounts import models as accounts_models
from laotie.addresses import models as addresses_models
from laotie.affiliate import models as affiliate_models
from laotie.aftersales import models as aftersales_models
from laotie.catalog import models as catalog_models
from laotie.categories import models as categories_models
from laotie.core import events as core_events
from laotie.core import idempotency as core_idempotency
from laotie.core.db import Base
from laotie.feed import models as feed_models
from laotie.governance import models as governance_models
from laotie.governance import models_integrity as governance_integrity_models
from laotie.ledger import models as ledger_models
from laotie.live import models as live_models
from laotie.logistics import models as logistics_models
from laotie.moderation import models as moderation_models
from laotie.orders import models as orders_models
from laotie.payments import models as payments_models
from laotie.payments.sandbox import models as payments_sandbox_models
from laotie.promotions import models as promotions_models
from laotie.reviews import models as reviews_models
from laotie.scores import models as scores_models
from laotie.search import fts as search_fts
from laotie.search import models as search_models
from laotie.settlement import models as settlement_models
from laotie.shops import models as shops_models
from laotie.social import models as social_models
from laotie.standing import models as standing_models
from laotie.video import models as video_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "addresses_models",
    "affiliate_models",
    "aftersales_models",
    "catalog_models",
    "categories_models",
    "core_events",
    "core_idempotency",
    "feed_models",
    "governance_integrity_models",
    "governance_models",
    "ledger_models",
    "live_models",
    "logistics_models",
    "metadata",
    "moderation_models",
    "orders_models",
    "payments_models",
    "payments_sandbox_models",
    "promotions_models",
    "reviews_models",
    "scores_models",
    "search_fts",
    "search_models",
    "settlement_models",
    "shops_models",
    "social_models",
    "standing_models",
    "video_models",
]
