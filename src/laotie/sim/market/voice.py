"""What buyers say and what the platform does about it: reviews after delivery (``reviews``),
reports of fake goods (``governance``), the simulated governance staff working the report and case
queues, and what buyers read before buying (``scores``: the product's rating and its reviews).

Stars follow the truth: a faulty piece gets one or two for 描述相符, a piece far above the going price
three or four, a good one four or five; 服务态度 is what the merchant did with returns (honest ones
approve at once); 物流 four or five. A buyer who received a faulty piece from a shop that sells fakes
reports the product as counterfeit (CTF-01) with the order as evidence, some of the time.

The staff are a mystery buyer with a lab (品控联盟): a report or case is upheld when the truth says
so (the shop sells fakes for CTF-01; a detector's case, from the 品退率 or the moderation detectors,
rests on data and is upheld). Penalties then run through governance, standing and the feed.
"""

from __future__ import annotations

import random
from functools import partial

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import PageParams
from laotie.governance import service as governance
from laotie.governance.schemas import CaseDecideIn, ReportDecideIn, ReportIn, TargetKind
from laotie.orders import service as orders
from laotie.reviews import service as reviews
from laotie.reviews.schemas import ReviewIn
from laotie.scores import service as scores
from laotie.sim.market.agents import MerchantAgent
from laotie.sim.market.state import Sim, attempt
from laotie.sim.market.world import Truth

REVIEW = 0.5  # a buyer writes a review of what they kept (the rest get 系统默认好评 later)
REVIEW_RETURNED = 0.6  # … and of a faulty piece they sent back
REPORT_FAKE = 0.35  # a buyer who got a faulty piece from a fake seller reports it
GOOD_WORDS = ("质量很好，和描述一致", "做工不错，物流也快", "性价比高，会回购", "很满意，推荐")
BAD_WORDS = ("质量太差，和描述不符", "做工粗糙，已退货", "疑似假货，不推荐")
PRICY_WORDS = ("东西还行，就是有点贵", "一般般，价格偏高")


def _stars(rng: random.Random, t: Truth, m: MerchantAgent, faulty: bool) -> tuple[int, int, int, str]:
    ratio = t.price_fen / max(t.fair_fen, 1)
    if faulty:
        product, words = rng.choice((1, 1, 2)), rng.choice(BAD_WORDS)
    elif ratio > 1.4:
        product, words = rng.choice((3, 4)), rng.choice(PRICY_WORDS)
    else:
        product, words = rng.choice((4, 5, 5)), rng.choice(GOOD_WORDS)
    service = rng.choice((4, 5, 5)) if m.kind == "honest" else rng.choice((2, 3, 4) if faulty else (3, 4, 5))
    return product, service, rng.choice((4, 5)), words


def review(session: Session, sim: Sim, principal: Principal, order_id: int, t: Truth, faulty: bool) -> None:
    """Maybe review the order's line; a line the platform will not take a review for is skipped."""
    rng = sim.rng
    if rng.random() >= (REVIEW_RETURNED if faulty else REVIEW):
        return
    m = sim.world.merchants[t.merchant]
    product, service, logistics, words = _stars(rng, t, m, faulty)
    line_id = orders.refundable_order(session, order_id).lines[0].line_id
    body = ReviewIn(
        order_line_id=line_id,
        product_stars=product,
        service_stars=service,
        logistics_stars=logistics,
        text=words,
    )
    if attempt(sim, session, "review", partial(reviews.create_review, session, principal, body)) is not None:
        sim.tally.reviews += 1


def report_fake(session: Session, sim: Sim, principal: Principal, order_id: int, t: Truth) -> None:
    if sim.world.merchants[t.merchant].kind != "faker" or sim.rng.random() >= REPORT_FAKE:
        return
    body = ReportIn(
        target_kind=TargetKind.PRODUCT,
        target_id=t.product_id,
        rule_code="CTF-01",
        description="收到的商品做工粗糙，疑似假货",
        order_id=order_id,
    )
    if (
        attempt(sim, session, "report", partial(governance.submit_report, session, principal, body))
        is not None
    ):
        sim.tally.reports += 1


def _truthful(sim: Sim, shop_id: int | None, rule_code: str, source: str) -> bool:
    if source != "report":
        return True  # detectors' cases rest on the platform's own data
    m = sim.world.by_shop().get(shop_id or 0)
    return m is not None and rule_code == "CTF-01" and m.kind == "faker"


def work_queues(session: Session, sim: Sim) -> None:
    """The staff answer every open report, then decide every open case."""
    staff = sim.world.reviewer
    page = PageParams(limit=200, offset=0)
    for r in governance.report_queue(session, page).items:
        upheld = _truthful(sim, r.shop_id, r.rule_code, "report")
        note = "神秘买家送检确认为假冒商品" if upheld else "送检未发现假冒，属一般质量问题，请走售后"
        decision = ReportDecideIn(upheld=upheld, note=note)
        if attempt(
            sim, session, "decide_report", partial(governance.decide_report, session, staff, r.id, decision)
        ):
            sim.tally.reports_upheld += upheld
    for c in governance.case_queue(session, page).items:
        violation = _truthful(sim, c.shop_id, c.rule_code, c.source)
        note = "核实违规" if violation else "证据不足，不予处罚"
        verdict = CaseDecideIn(violation=violation, note=note)
        if attempt(
            sim, session, "decide_case", partial(governance.decide_case, session, staff, c.id, verdict)
        ):
            sim.tally.penalised_cases += violation


def product_trust(session: Session, product_id: int) -> float:
    """What a buyer makes of a product's reviews: ×1 with none, up to ×1.3 at 5.0, down to ×0.3."""
    found = scores.product_scores(session, [product_id]).get(product_id)
    if found is None or found.rating_avg_x100 is None or found.reviews < 3:
        return 1.0
    return max(0.3, min(1.3, 1 + (found.rating_avg_x100 - 450) / 100 * 0.6))


def dsr_distribution(session: Session, sim: Sim) -> dict[str, object] | None:
    opened = [m for m in sim.world.merchants if m.shop_id]
    found = scores.shop_scores(session, [m.shop_id for m in opened])
    means = {m.shop_id: s.dsr_mean_x100 for m in opened if (s := found.get(m.shop_id)) and s.dsr_mean_x100}
    if not means:
        return None
    values = sorted(v / 100 for v in means.values())

    def q(p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))]

    by_kind: dict[str, float] = {}
    for kind in sorted({m.kind for m in opened}):
        mine = [means[m.shop_id] / 100 for m in opened if m.kind == kind and m.shop_id in means]
        if mine:
            by_kind[kind] = round(sum(mine) / len(mine), 2)
    buckets = {"<4.0": 0, "4.0–4.5": 0, "4.5–4.8": 0, "≥4.8": 0}
    for v in values:
        key = "<4.0" if v < 4.0 else "4.0–4.5" if v < 4.5 else "4.5–4.8" if v < 4.8 else "≥4.8"
        buckets[key] += 1
    return {
        "shops": len(values),
        "mean": round(sum(values) / len(values), 2),
        "p10": q(0.1),
        "p50": q(0.5),
        "p90": q(0.9),
        "histogram": buckets,
        "mean_by_kind": by_kind,
    }
