"""The merchant's 店铺评分: every score with how it was computed, its history, what moved it, and the
consequences in force. Read only; figures come from the same window sums and formulas as the
recompute, so the page explains exactly the number it shows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.scores import aggregates, compute
from laotie.scores import formulas as f
from laotie.scores.aggregates import Kind
from laotie.scores.models import Current, History, Movement
from laotie.scores.schemas import (
    DSR_LABELS,
    ConsequenceView,
    MovedBy,
    Part,
    ProductScoresOut,
    ScoreCard,
    ShopReport,
    ShopScoresOut,
    stars_text,
)
from laotie.scores.views import product_out, shop_out
from laotie.standing import service as standing
from laotie.standing.schemas import SubjectKind

HISTORY_DAYS = 90
MOVED_NEWEST = 15
MOVED_PER_CAUSE = 3
CAUSES = {
    "review": "新评价",
    "review_removed": "评价被删除",
    "delivered": "订单签收",
    "quality_return": "品质退货退款",
    "aftersales_answer": "售后响应",
    "dispute_lost": "纠纷判责商家",
    "complaint": "投诉成立",
    "violation": "违规扣分",
    "violation_reversed": "申诉成功",
    "shipment": "按时发货",
    "late_shipment": "延迟发货",
    "price": "价格变动",
    "price_peers": "同款价格变动",
    "window": "统计窗口滚动",
    "rebuild": "重新计算",
}
FIELD_LABELS = {
    "dsr_description_x100": "描述相符",
    "dsr_service_x100": "服务态度",
    "dsr_logistics_x100": "物流服务",
    "quality_return_bp": "品退率",
    "experience": "商家体验分",
    "band": "体验分等级",
    "product_score": "商品分",
    "rating_avg_x100": "商品评分",
    "price_index_bp": "价格指数",
    "overpriced": "溢价",
    "integrity": "诚信分",
}
_HIDDEN = {"reviews", "prior_x100", "price_fen", "own_price_index_bp"}


def fmt(name: str, value: Any) -> str:
    if value is None:
        return "暂无"
    if name.endswith("_x100"):
        return f"{value / 100:.2f}"
    if name.endswith("_bp"):
        return f"{value / 100:.1f}%"
    if name == "band":
        return f.BAND_LABELS.get(value, str(value))
    if name == "overpriced":
        return "是" if value else "否"
    return str(value)


def _series(
    rows: list[tuple[date, dict[str, Any]]], key: str, scale: float, start: date, end: date
) -> list[tuple[date, float | None]]:
    """One value per day from the history rows (a day without a row keeps the previous value)."""
    by_day = {d: v.get(key) for d, v in rows}
    out: list[tuple[date, float | None]] = []
    last: float | None = None
    seen = False
    day = start
    while day <= end:
        if day in by_day:
            raw = by_day[day]
            last = None if raw is None else raw / scale
            seen = True
        out.append((day, last if seen else None))
        day += timedelta(days=1)
    return out


def _cards(
    shop: ShopScoresOut,
    w: aggregates.Window,
    prior: float,
    history: list[tuple[date, dict[str, Any]]],
    today: date,
) -> list[ScoreCard]:
    start = today - timedelta(days=HISTORY_DAYS - 1)
    lg, st = w.long, w.short
    cards = []
    sums = {
        "description": lg["description_sum"],
        "service": lg["service_sum"],
        "logistics": lg["logistics_sum"],
    }
    for dim, label in DSR_LABELS.items():
        value = shop.dsr[dim]
        versus = shop.versus_category()[dim]
        cards.append(
            ScoreCard(
                key=f"dsr_{dim}",
                title=f"DSR · {label}",
                value_text=stars_text(value),
                note=f"{versus}（同行均分 {prior:.2f}）"
                if value is not None
                else f"近90天评价不足{f.DSR_MIN_REVIEWS}条",
                window=f"近{f.DSR_DAYS}天",
                parts=[
                    Part(
                        "reviews",
                        "评价",
                        0.0,
                        0,
                        f"{lg['reviews']} 条，共 {sums[dim]} 星；向同行均分 {prior:.2f} 平滑（权重 {f.DSR_PRIOR_WEIGHT} 条）",
                    )
                ],
                history=_series(history, f"dsr_{dim}_x100", 100, start, today),
                scale=(3.0, 5.0),
            )
        )
    cards.append(
        ScoreCard(
            key="quality_return",
            title="品退率",
            value_text=fmt("quality_return_bp", shop.quality_return_bp),
            note="质量问题、破损的退货退款 ÷ 签收商品行"
            if shop.quality_return_bp is not None
            else f"签收不足{f.QRR_MIN_LINES}行",
            window=f"近{f.RATE_DAYS}天",
            parts=[
                Part(
                    "lines",
                    "签收/品退",
                    0.0,
                    0,
                    f"签收 {st['delivered']} 行，品质退货 {st['quality_returns']} 行",
                )
            ],
            history=_series(history, "quality_return_bp", 100, start, today),
            scale=(0.0, 10.0),
        )
    )
    inputs = compute.shop_inputs(w, prior)
    parts = f.experience_parts(inputs)
    hours = st["answer_minutes"] / 60 / st["answered"] if st["answered"] else None
    texts = {
        "dsr": "三项DSR（含平滑）均分，4.0 分起算",
        "quality_returns": f"品质退货 {st['quality_returns']} / 签收 {st['delivered']}",
        "aftersales_speed": f"首次响应 {st['answered']} 单，平均 {hours:.1f} 小时"
        if hours is not None
        else "暂无售后单",
        "shipping": f"发货 {st['shipped']} 单，超时 {st['shipped_late']} 单",
        "disputes": f"纠纷判商家责任 {st['disputes_lost']} 次",
    }
    labels = {
        "dsr": "DSR",
        "quality_returns": "品退",
        "aftersales_speed": "售后时效",
        "shipping": "发货及时",
        "disputes": "纠纷",
    }
    cards.append(
        ScoreCard(
            key="experience",
            title="商家体验分",
            value_text="暂无评分" if shop.experience is None else f"{shop.experience} · {shop.band_label}",
            note="≥85 优秀 · ≥70 良好 · ≥55 一般 · 其余较差",
            window=f"DSR 近{f.DSR_DAYS}天，其余近{f.RATE_DAYS}天",
            parts=[
                Part(k, labels[k], parts[k], f.EXPERIENCE_WEIGHTS[k], texts[k]) for k in f.EXPERIENCE_WEIGHTS
            ],
            history=_series(history, "experience", 1, start, today),
            scale=(0.0, 100.0),
        )
    )
    return cards


def _moved_by(
    session: Session, shop_id: int, titles: dict[int, str], product_ids: list[int]
) -> list[MovedBy]:
    where = and_(Movement.subject_kind == Kind.SHOP, Movement.subject_id == shop_id)
    if product_ids:
        where = or_(
            where, and_(Movement.subject_kind == Kind.PRODUCT, Movement.subject_id.in_(product_ids[:1000]))
        )
    rows = session.scalars(select(Movement).where(where).order_by(Movement.id.desc()).limit(400)).all()
    # The newest 30, and the newest few of every other cause: a flood of reviews must not hide the
    # quality returns or complaints that came before it.
    kept: list[Movement] = []
    per_cause: dict[str, int] = {}
    for i, m in enumerate(rows):
        per_cause[m.cause] = per_cause.get(m.cause, 0) + 1
        if i < MOVED_NEWEST or per_cause[m.cause] <= MOVED_PER_CAUSE:
            kept.append(m)
    out = []
    for m in kept:
        subject = "店铺" if m.subject_kind == Kind.SHOP else titles.get(m.subject_id, f"商品{m.subject_id}")
        changes = [
            (FIELD_LABELS.get(k, k), fmt(k, v[0]), fmt(k, v[1]))
            for k, v in m.changes.items()
            if k not in _HIDDEN
        ]
        if not changes:
            continue
        label = CAUSES.get(m.cause, m.cause) + (f" #{m.cause_id}" if m.cause_id else "")
        out.append(MovedBy(m.at, m.cause, label, subject, changes))
    return out


def shop_report(session: Session, shop_id: int) -> ShopReport:
    today = compute.today()
    row = session.get(Current, (Kind.SHOP, shop_id))
    shop = shop_out(shop_id, row)
    w = aggregates.windows(session, Kind.SHOP, [shop_id], today, f.DSR_DAYS, f.RATE_DAYS)[shop_id]
    main = aggregates.main_category(session, shop_id)
    prior = compute.category_priors(session, [main], today).get(main or 0, f.DEFAULT_PRIOR)
    since = today - timedelta(days=HISTORY_DAYS - 1)
    history = [
        (h.day, h.values)
        for h in session.scalars(
            select(History)
            .where(History.subject_kind == Kind.SHOP, History.subject_id == shop_id, History.day >= since)
            .order_by(History.day)
        )
    ]
    product_rows = session.scalars(
        select(Current).where(Current.subject_kind == Kind.PRODUCT, Current.shop_id == shop_id).limit(500)
    ).all()
    ids = [r.subject_id for r in product_rows]
    titles = {x.product_id: x.title for x in catalog.search_facts(session, ids)}
    products = sorted(
        (
            (titles.get(r.subject_id, f"商品{r.subject_id}"), product_out(r.subject_id, r))
            for r in product_rows
        ),
        key=lambda t: (t[1].product_score is None, t[1].product_score or 0, t[1].product_id),
    )
    in_force = standing.in_force(session, SubjectKind.SHOP, [shop_id]) + standing.in_force(
        session, SubjectKind.PRODUCT, ids
    )
    consequences = [
        ConsequenceView(
            subject="店铺"
            if c.subject_kind == SubjectKind.SHOP
            else titles.get(c.subject_id, f"商品{c.subject_id}"),
            label=c.label + (f" {c.value_bp // 100}%" if c.value_bp is not None else ""),
            reason=c.reason,
            source_key=c.source_key,
            starts_at=c.starts_at,
        )
        for c in in_force
    ]
    return ShopReport(
        shop=shop,
        cards=_cards(shop, w, prior, history, today),
        moved_by=_moved_by(session, shop_id, titles, ids),
        consequences=consequences,
        products=products[:100],
    )


def product_row(p: ProductScoresOut) -> dict[str, str]:
    return {
        "score": fmt("product_score", p.product_score),
        "rating": fmt("rating_avg_x100", p.rating_avg_x100),
        "qrr": fmt("quality_return_bp", p.quality_return_bp),
        "price": p.price_label or "暂无",
        "index": fmt("price_index_bp", p.price_index_bp),
    }
