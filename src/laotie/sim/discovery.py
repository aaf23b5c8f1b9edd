"""Demo search and feed: the index built from what was seeded, and a week of searches for 热搜."""

from __future__ import annotations

import random

from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.search import service as search
from laotie.search.reindex import reindex_all
from laotie.search.schemas import Filters

SEARCHES = 120


def seed_discovery(db: Database, seed: int = 14) -> int:
    """Build the search index now (the server would from the outbox, a little later), then search
    the demo's own categories and words as buyers would, so hot searches and suggestions have
    history. Returns how many products were indexed."""
    built = reindex_all(db)
    rng = random.Random(seed)
    with unit_of_work(db) as session:
        facets = search.browse(session, Filters(), limit=1).facets
        words = [f.label for f in facets.categories]
        for top in facets.categories:
            below = search.browse(session, Filters(category_id=int(top.value)), limit=1).facets.categories
            words += [f.label for f in below]
        if words:
            weights = [1 / (1 + i) for i in range(len(words))]
            for word in rng.choices(words, weights=weights, k=SEARCHES):
                search.search_products(session, word)
        search.flush_query_log(session)
        session.commit()
    return built.products
