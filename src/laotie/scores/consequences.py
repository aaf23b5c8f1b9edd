"""Scores turned into consequences (扶优打劣), as data in ``standing``, and lines announced when crossed.

- a product below the product-score line loses commercial boosts and may not be advertised
  (NO_BOOST + NO_ADS, source ``product_score``);
- an over-priced (溢价) product stops being distributed (DISTRIBUTION_STOPPED, source ``overpriced``);
- a shop's band sets its traffic weight (TRAFFIC_WEIGHT, source ``shop_band``: 优秀 120 %, 一般 85 %,
  较差 50 %; 良好 is normal and carries none).

Each consequence names the score and its value in its reason, and ``standing.sync`` lifts it by
itself when the score recovers. Work is done only when a line is crossed (the subject's ``below``
set changes), so a recompute that stays on the same side costs nothing here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.events.scores import ThresholdCrossed
from laotie.scores import formulas as f
from laotie.scores.aggregates import Kind
from laotie.scores.models import Current
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind


def _pct(bp: int | None) -> str:
    return "—" if bp is None else f"{bp / 100:.1f}%"


def lines_below(row: Current) -> dict[str, tuple[Any, Any]]:
    """The lines this subject is on the wrong side of now: name -> (value, threshold)."""
    out: dict[str, tuple[Any, Any]] = {}
    if row.subject_kind == Kind.PRODUCT:
        if row.product_score is not None and row.product_score < f.PRODUCT_SCORE_LINE:
            out["product_score"] = (row.product_score, f.PRODUCT_SCORE_LINE)
        if row.overpriced:
            out["overpriced"] = (row.price_index_bp, round(f.OVER_PEERS * 10_000))
        if row.quality_return_bp is not None and row.quality_return_bp > f.PRODUCT_QRR_LINE_BP:
            out["quality_return_rate"] = (row.quality_return_bp, f.PRODUCT_QRR_LINE_BP)
    elif row.subject_kind == Kind.SHOP:
        if row.band == "poor":
            out["experience"] = (row.experience, f.BANDS[2][1])
        dsrs = [row.dsr_description_x100, row.dsr_service_x100, row.dsr_logistics_x100]
        low = [d for d in dsrs if d is not None and d < f.DSR_LINE_X100]
        if low:
            out["dsr"] = (min(low), f.DSR_LINE_X100)
        if row.dsr_logistics_x100 is not None and row.dsr_logistics_x100 < f.DSR_LINE_X100:
            out["dsr_logistics"] = (row.dsr_logistics_x100, f.DSR_LINE_X100)  # governance's rule names it
        if row.quality_return_bp is not None and row.quality_return_bp > f.SHOP_QRR_LINE_BP:
            out["quality_return_rate"] = (row.quality_return_bp, f.SHOP_QRR_LINE_BP)
    elif row.subject_kind == Kind.USER and row.integrity is not None and row.integrity < f.INTEGRITY_LINE:
        out["promoter_integrity"] = (row.integrity, f.INTEGRITY_LINE)
    return out


def _state(row: Current, below: dict[str, tuple[Any, Any]]) -> set[str]:
    state = set(below)
    if row.subject_kind == Kind.SHOP and row.band is not None:
        state.add(f"band:{row.band}")
    return state


def follow(session: Session, row: Current) -> None:
    """Announce crossings and bring the consequences in line with the subject's scores now."""
    below = lines_below(row)
    before = {s for s in row.below.split(",") if s}
    now_state = _state(row, below)
    if now_state == before:
        return
    row.below = ",".join(sorted(now_state))
    shop_id = row.shop_id if row.subject_kind != Kind.USER else None
    at = clock.now().isoformat()
    lines_before = {s for s in before if not s.startswith("band:")}
    for name in sorted(set(below) ^ lines_before):
        value, threshold = below.get(name) or _recovered_value(row, name)
        emit(
            session,
            ThresholdCrossed(
                score=name,
                subject_kind=row.subject_kind,
                subject_id=row.subject_id,
                shop_id=shop_id,
                value=value,
                threshold=threshold,
                direction="below" if name in below else "recovered",
                at=at,
            ),
        )
    if row.subject_kind == Kind.PRODUCT:
        _product(session, row, below, before)
    elif row.subject_kind == Kind.SHOP:
        _shop_band(session, row)


def _recovered_value(row: Current, name: str) -> tuple[Any, Any]:
    if name == "product_score":
        return row.product_score, f.PRODUCT_SCORE_LINE
    if name == "overpriced":
        return row.price_index_bp, round(f.OVER_PEERS * 10_000)
    if name == "experience":
        return row.experience, f.BANDS[2][1]
    if name == "dsr":
        dsrs = [d for d in (row.dsr_description_x100, row.dsr_service_x100, row.dsr_logistics_x100) if d]
        return (min(dsrs) if dsrs else None), f.DSR_LINE_X100
    if name == "promoter_integrity":
        return row.integrity, f.INTEGRITY_LINE
    if name == "dsr_logistics":
        return row.dsr_logistics_x100, f.DSR_LINE_X100
    line = f.PRODUCT_QRR_LINE_BP if row.subject_kind == Kind.PRODUCT else f.SHOP_QRR_LINE_BP
    return row.quality_return_bp, line


def _product(session: Session, row: Current, below: dict[str, tuple[Any, Any]], before: set[str]) -> None:
    pid = row.subject_id
    if ("product_score" in below) != ("product_score" in before):
        reason = f"商品分{row.product_score}，低于{f.PRODUCT_SCORE_LINE}分线"
        for effect in (Effect.NO_BOOST, Effect.NO_ADS):
            standing.sync(
                session,
                active="product_score" in below,
                subject_kind=SubjectKind.PRODUCT,
                subject_id=pid,
                effect=effect,
                source_key="product_score",
                reason=reason,
                recovered_reason=f"商品分恢复至{row.product_score}",
            )
    if ("overpriced" in below) != ("overpriced" in before):
        standing.sync(
            session,
            active="overpriced" in below,
            subject_kind=SubjectKind.PRODUCT,
            subject_id=pid,
            effect=Effect.DISTRIBUTION_STOPPED,
            source_key="overpriced",
            reason=(
                f"溢价偏高：价格为同款均价的{_pct(row.price_index_bp)}，"
                f"近30天自身价格的{_pct(row.own_price_index_bp)}"
            ),
            recovered_reason=f"价格回落（同款均价的{_pct(row.price_index_bp)}）",
        )


def _shop_band(session: Session, row: Current) -> None:
    weight = f.BAND_WEIGHT_BP.get(row.band or "", 10_000)
    label = f.BAND_LABELS.get(row.band or "", "暂无评分")
    standing.sync(
        session,
        active=weight != 10_000,
        subject_kind=SubjectKind.SHOP,
        subject_id=row.subject_id,
        effect=Effect.TRAFFIC_WEIGHT,
        source_key="shop_band",
        reason=f"商家体验分{row.experience}（{label}），流量权重{weight // 100}%",
        recovered_reason=f"商家体验分{row.experience if row.experience is not None else '—'}（{label}），恢复正常流量",
        value_bp=weight if weight != 10_000 else None,
    )
