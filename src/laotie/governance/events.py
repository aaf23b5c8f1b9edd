"""What governance does when other domains speak, and everything the domain registers (these
handlers, ``brands``', ``content``'s and ``counterfeit_tasks``' handlers, and its jobs). What it
emits is in ``laotie.events.governance``.

- ``RepeatOffender``: opens a detector case against the author (their shop when they own one); when
  every reason belongs to one rule that may decide by itself (导流, 好评返现), the rule decides it at
  once.
- ``ThresholdCrossed`` with direction "below": opens a score case under the rule naming that score
  (e.g. 品退率过高), for staff to decide. One open case per subject and rule: a second signal adds
  evidence to it instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.catalog import ProductStatusChanged
from laotie.events.governance import CaseDecided, ContentRemoved
from laotie.events.moderation import RepeatOffender
from laotie.events.scores import ThresholdCrossed
from laotie.governance import brands, cases, content, counterfeit_tasks, evidence, rules, tasks
from laotie.governance.models import Case, CaseStatus
from laotie.governance.schemas import CaseDecideIn
from laotie.shops import service as shops
from laotie.shops.schemas import ShopStatus


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(RepeatOffender, repeat_offender, name="governance.repeat_offender")
    bus.subscribe(ThresholdCrossed, score_threshold, name="governance.score_threshold")
    bus.subscribe(ProductStatusChanged, brands.on_product_submitted, name="governance.brand_check")
    bus.subscribe(ContentRemoved, content.remove_content, name="governance.remove_content")
    bus.subscribe(CaseDecided, counterfeit_tasks.on_case_decided, name="governance.counterfeit_start")
    jobs.add("governance.end_penalties", 60, tasks.end_penalties)
    jobs.add("governance.finish_closures", 300, tasks.finish_closures)
    jobs.add("governance.counterfeit_refund", 2.0, counterfeit_tasks.advance_runs)


def _open_case_for(session: Session, subject_kind: str, subject_id: int, rule_code: str) -> Case | None:
    return session.scalar(
        select(Case).where(
            Case.subject_kind == subject_kind,
            Case.subject_id == subject_id,
            Case.rule_code == rule_code,
            Case.status == CaseStatus.OPEN,
        )
    )


def owned_shop(session: Session, user_id: int) -> int | None:
    """The shop an author owns and still runs: a merchant's diversion is the shop's violation."""
    for shop in shops.shops_of(session, user_id):
        if shop.owner_id == user_id and shop.status != ShopStatus.CLOSED:
            return shop.id
    return None


def detector_rule(session: Session, reasons: list[str]) -> tuple[str | None, bool]:
    """The rule covering most of the reasons, and whether it covers them all (unambiguous)."""
    best: tuple[int, str | None, bool] = (0, None, False)
    wanted = set(reasons)
    for rule in rules.list_rules(session):
        covered = wanted & set(rule.detector_reasons)
        if len(covered) > best[0]:
            best = (len(covered), rule.code, covered == wanted and rule.auto_decide)
    return best[1], best[2]


def repeat_offender(session: Session, ev: RepeatOffender) -> None:
    payload: dict[str, Any] = ev.payload()
    author_id = int(payload["author_id"])
    reasons = [str(r) for r in payload.get("reasons", [])]
    rule_code, unambiguous = detector_rule(session, reasons)
    if rule_code is None:
        return
    shop_id = owned_shop(session, author_id)
    subject = ("shop", shop_id) if shop_id is not None else ("user", author_id)
    note = f"{payload.get('window_hours')}小时内被系统拦截{len(payload.get('hit_ids', []))}次（{payload.get('surface')}）"
    data: dict[str, Any] = {"hit_ids": payload.get("hit_ids", []), "reasons": reasons}
    proof = {"kind": "detector", "note": note, "data": data}
    existing = _open_case_for(session, subject[0], subject[1], rule_code)
    if existing is not None:
        evidence.add(session, "case", existing.id, "detector", note=note, data=data)
        return
    case = cases.open_case(
        session,
        source="detector",
        subject_kind=subject[0],
        subject_id=subject[1],
        shop_id=shop_id,
        user_id=author_id,
        rule_code=rule_code,
        summary=f"系统识别：{note}",
        evidence=[proof],
    )
    if unambiguous and shop_id_is_open(session, shop_id):
        cases.decide(
            session, None, case.id, CaseDecideIn(violation=True, note="系统多次识别并确认，依规则自动判定")
        )


def shop_id_is_open(session: Session, shop_id: int | None) -> bool:
    return shop_id is None or shops.get_shop(session, shop_id).status != ShopStatus.CLOSED


def score_threshold(session: Session, ev: ThresholdCrossed) -> None:
    payload: dict[str, Any] = ev.payload()
    if payload.get("direction") != "below":
        return
    score = str(payload.get("score"))
    rule = next((r for r in rules.list_rules(session) if score in r.scores), None)
    kind = str(payload.get("subject_kind"))
    if rule is None or kind not in ("product", "shop", "user"):
        return
    subject_id = int(payload["subject_id"])
    shop_id = payload.get("shop_id")
    note = f"{score} = {payload.get('value')}，低于 {payload.get('threshold')}"
    data = {k: payload.get(k) for k in ("score", "value", "threshold", "at")}
    existing = _open_case_for(session, kind, subject_id, rule.code)
    if existing is not None:
        evidence.add(session, "case", existing.id, "score", note=note, data=data)
        return
    cases.open_case(
        session,
        source="score",
        subject_kind=kind,
        subject_id=subject_id,
        shop_id=int(shop_id) if shop_id is not None else None,
        rule_code=rule.code,
        summary=f"评分触发：{note}",
        evidence=[{"kind": "score", "note": note, "data": data}],
    )
