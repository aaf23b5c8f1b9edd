"""The index follows the catalog through events; queries find goods by Chinese, pinyin, synonyms and
typos; filters, facets and sorts; consequences hide or sink goods."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import emit
from laotie.core.outbox import OutboxWorker
from laotie.events.reviews import ReviewPublished
from laotie.search import service as search
from laotie.search.models import DocKind, SearchDoc
from laotie.search.schemas import Filters
from laotie.shops import service as shops
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SourceKind, SubjectKind
from tests.factories.catalog import make_listed_product, owner_principal, reviewer_principal
from tests.factories.shops import category_named, make_open_shop


def _drain(db: Database) -> None:
    OutboxWorker(db).run_until_idle()


def _ids(result: object) -> list[int]:
    return [h.id for h in result.items]  # type: ignore[attr-defined]


def _catalog(session: Session, db: Database) -> dict[str, int]:
    dress = category_named(session, "连衣裙")
    tee = category_named(session, "T恤")
    warm = category_named(session, "保暖内衣")
    shop_a, _, _ = make_open_shop(session, "阿花的小店")
    shop_b, _, _ = make_open_shop(session, "北方好物")
    made = {
        "floral": make_listed_product(
            session, shop_a, category_id=dress, title="法式碎花连衣裙 夏季显瘦", price_fen=15900
        ),
        "red": make_listed_product(
            session, shop_a, category_id=dress, title="红色 雪纺 长裙", price_fen=8900
        ),
        "tee": make_listed_product(
            session, shop_b, category_id=tee, title="纯棉短袖T恤 白色", price_fen=3900
        ),
        "leggings": make_listed_product(
            session, shop_b, category_id=warm, title="加绒打底 裤 女", price_fen=4900, stock=0
        ),
    }
    _drain(db)
    return {k: v.id for k, v in made.items()}


def test_listing_is_indexed_through_events_and_found_many_ways(session: Session, db: Database) -> None:
    p = _catalog(session, db)
    assert _ids(search.search_products(session, "连衣裙"))[:1] == [p["floral"]]
    assert set(_ids(search.search_products(session, "裙子"))) == {p["floral"], p["red"]}  # synonyms
    assert p["floral"] in _ids(search.search_products(session, "lianyiqun"))  # full pinyin
    assert p["floral"] in _ids(search.search_products(session, "lyq"))  # initials
    assert p["floral"] in _ids(search.search_products(session, "連衣裙"))  # traditional
    assert _ids(search.search_products(session, "打底裤")) == [p["leggings"]]  # near-miss spacing
    typo = search.search_products(session, "连衣群")
    assert typo.corrected_to == "连衣裙" and p["floral"] in _ids(typo)
    assert _ids(search.search_products(session, "纯棉 t恤")) == [p["tee"]]
    assert _ids(search.search_products(session, "阿花")) and p["tee"] not in _ids(
        search.search_products(session, "阿花")
    )


def test_changes_reach_the_index(session: Session, db: Database) -> None:
    p = _catalog(session, db)
    shop_id = catalog.inspect_product(session, reviewer_principal(session), p["tee"]).shop_id
    owner = owner_principal(session, shop_id)
    catalog.delist(session, owner, p["tee"])
    session.commit()
    _drain(db)
    assert search.search_products(session, "t恤").total == 0
    catalog.relist(session, owner, p["tee"])
    sku = catalog.get_product(session, owner, p["tee"]).skus[0]
    catalog.set_sku_price(session, owner, sku.id, 2500)
    session.commit()
    _drain(db)
    hit = search.search_products(session, "t恤").items[0]
    assert (hit.id, hit.min_price_fen) == (p["tee"], 2500)
    lg = catalog.get_product(session, owner, p["leggings"]).skus[0]
    catalog.set_sku_stock(session, owner, lg.id, 5)
    session.commit()
    _drain(db)
    assert _ids(search.search_products(session, "打底裤", Filters(in_stock=True))) == [p["leggings"]]
    shops.freeze(session, shop_id, reviewer_principal(session), "违规")
    session.commit()
    _drain(db)
    assert search.search_products(session, "打底裤").total == 0


def test_filters_facets_and_sorts(session: Session, db: Database) -> None:
    p = _catalog(session, db)
    everything = search.search_products(session, "")
    assert everything.total == 4
    labels = {f.label: f.count for f in everything.facets.categories}
    assert labels == {"服饰内衣": 4}
    dresses = category_named(session, "连衣裙")
    assert set(_ids(search.browse(session, Filters(category_id=dresses)))) == {p["floral"], p["red"]}
    cheap = search.search_products(session, "", Filters(price_min_fen=9000, price_max_fen=1000))  # reversed
    assert set(_ids(cheap)) == {p["red"], p["tee"], p["leggings"]}
    assert _ids(search.search_products(session, "", sort="price_asc"))[0] == p["tee"]
    assert _ids(search.search_products(session, "", sort="price_desc"))[0] == p["floral"]
    assert search.search_products(session, "", Filters(in_stock=True)).total == 3
    assert everything.facets.in_stock == 3 and everything.facets.free_shipping == 4


def test_consequences_hide_and_sink(session: Session, db: Database) -> None:
    p = _catalog(session, db)
    before = _ids(search.search_products(session, "连衣裙"))
    assert before == [p["floral"], p["red"]]  # titled 连衣裙 first, 长裙 (a synonym) after
    standing.impose(
        session,
        subject_kind=SubjectKind.PRODUCT,
        subject_id=p["floral"],
        effect=Effect.NO_BOOST,
        source_kind=SourceKind.SCORE,
        source_key="product_score",
        reason="商品分低",
    )
    session.commit()
    _drain(db)
    assert _ids(search.search_products(session, "连衣裙")) == [p["red"], p["floral"]]
    standing.impose(
        session,
        subject_kind=SubjectKind.PRODUCT,
        subject_id=p["floral"],
        effect=Effect.DISTRIBUTION_STOPPED,
        source_kind=SourceKind.PENALTY,
        source_key="case:9",
        reason="溢价",
        ends_at=clock.now() + timedelta(days=3),
    )
    session.commit()
    _drain(db)
    assert _ids(search.search_products(session, "裙子")) == [p["red"]]
    standing.lift_source(session, source_key="case:9", reason="申诉成功")
    session.commit()
    _drain(db)
    assert p["floral"] in _ids(search.search_products(session, "裙子"))


def test_score_events_are_stored_and_rank(session: Session, db: Database) -> None:
    """Reviews move scores (scores' own path); search reads them through the scores API and reranks."""
    from laotie.scores import service as scores

    p = _catalog(session, db)
    dress = category_named(session, "连衣裙")
    facts = {f.product_id: f for f in catalog.search_facts(session, [p["red"], p["floral"]])}
    for n in range(12):
        for name, stars in (("red", 5), ("floral", 1)):
            pid = p[name]
            emit(
                session,
                ReviewPublished(
                    review_id=2 * n + (name == "red"),
                    order_id=1,
                    order_line_id=2 * n + (name == "red"),
                    product_id=pid,
                    sku_id=1,
                    shop_id=facts[pid].shop_id,
                    category_id=dress,
                    buyer_id=1,
                    creator_id=None,
                    product_stars=stars,
                    service_stars=stars,
                    logistics_stars=stars,
                    is_default=False,
                    has_photos=False,
                    tags=[],
                    published_at=clock.now().isoformat(),
                ),
            )
    session.commit()
    _drain(db)
    known = scores.product_scores(session, [p["red"], p["floral"]])
    row = session.scalar(
        select(SearchDoc).where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id == p["floral"])
    )
    assert row is not None and row.product_score == known[p["floral"]].product_score
    assert row.rating_avg_x100 == 100 and row.rating_count == 12
    assert known[p["red"]].product_score > known[p["floral"]].product_score  # type: ignore[operator]
    assert _ids(search.search_products(session, "裙子")) == [p["red"], p["floral"]]
    # A reindex reads the same figures through the API.
    search.index_products(session, [p["floral"]])
    session.commit()
    session.expire_all()
    assert session.get(SearchDoc, row.id).product_score == known[p["floral"]].product_score  # type: ignore[union-attr]
