"""规则中心: rules as versioned data. Editing a rule adds a version with its effective date; the
version in force at a moment is the newest one whose ``effective_at`` has come. Cases and reports
keep the id of the version they were judged under, so an old case still cites its old wording."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.governance import errors
from laotie.governance.models import Rule, RuleVersion, TrailAction, TrailObject
from laotie.governance.schemas import (
    AUTOMATIC_ACTIONS,
    CATEGORY_LABELS,
    ActionKind,
    RuleIn,
    RuleOut,
    RuleVersionIn,
    RuleVersionOut,
    Severity,
)
from laotie.governance.trail import record

SEED_FILE = Path(__file__).parent / "data" / "rules.json"


def version_out(row: RuleVersion, code: str) -> RuleVersionOut:
    return RuleVersionOut(
        id=row.id,
        code=code,
        version=row.version,
        title=row.title,
        category=row.category,
        category_label=CATEGORY_LABELS.get(row.category, row.category),
        text=row.text,
        severity=Severity(row.severity),
        violation_kinds=list(row.violation_kinds),
        penalties=dict(row.penalties),
        evidence_required=row.evidence_required,
        report_kinds=list(row.report_kinds),
        detector_reasons=list(row.detector_reasons),
        scores=list(row.scores),
        auto_decide=row.auto_decide,
        effective_at=row.effective_at,
        change_note=row.change_note,
        created_at=row.created_at,
    )


def _check(body: RuleVersionIn) -> None:
    if body.category not in CATEGORY_LABELS:
        raise errors.BAD_RULE(why=f"未知的规则分类 {body.category}")
    if body.auto_decide:
        for step in (body.penalties.first, body.penalties.repeat):
            manual = [a.kind.value for a in step.actions if a.kind not in AUTOMATIC_ACTIONS]
            if manual:
                raise errors.BAD_RULE(why=f"自动判定的规则不能包含需人工执行的处罚 {', '.join(manual)}")
    for step in (body.penalties.first, body.penalties.repeat):
        if any(a.kind is ActionKind.DEPOSIT for a in step.actions):
            raise errors.BAD_RULE(why="平台实行0元开店，没有保证金可扣")


def _add_version(
    session: Session, rule: Rule, number: int, body: RuleVersionIn, actor_id: int | None
) -> RuleVersion:
    now = clock.now()
    effective = body.effective_at or now
    row = RuleVersion(
        rule_id=rule.id,
        version=number,
        title=body.title,
        category=body.category,
        text=body.text,
        severity=body.severity.value,
        violation_kinds=list(body.violation_kinds),
        penalties=body.penalties.model_dump(mode="json", exclude_none=True),
        evidence_required=body.evidence_required,
        report_kinds=[k.value for k in body.report_kinds],
        detector_reasons=list(body.detector_reasons),
        scores=list(body.scores),
        auto_decide=body.auto_decide,
        effective_at=effective,
        change_note=body.change_note,
        created_by=actor_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _rule(session: Session, code: str, *, lock: bool = False) -> Rule:
    query = select(Rule).where(Rule.code == code)
    rule = session.scalar(query.with_for_update() if lock else query)
    if rule is None:
        raise errors.RULE_NOT_FOUND(code=code)
    return rule


def create_rule(session: Session, body: RuleIn, actor_id: int | None) -> RuleOut:
    _check(body)
    if session.scalar(select(Rule.id).where(Rule.code == body.code)) is not None:
        raise errors.RULE_EXISTS(code=body.code)
    rule = Rule(code=body.code, category=body.category, created_at=clock.now())
    session.add(rule)
    session.flush()
    _add_version(session, rule, 1, body, actor_id)
    record(
        session,
        TrailObject.RULE,
        rule.id,
        TrailAction.RULE_CREATED,
        actor_id,
        body.change_note,
        {"code": body.code},
    )
    return get_rule(session, body.code)


def new_version(session: Session, code: str, body: RuleVersionIn, actor_id: int | None) -> RuleOut:
    """A change: a new version, in force from its effective date (now or later, never earlier)."""
    _check(body)
    if body.effective_at is not None and body.effective_at < clock.now():
        raise errors.BAD_RULE(why="生效时间不能早于现在")
    rule = _rule(session, code, lock=True)  # two editors at once get versions n+1 and n+2
    last = session.scalar(
        select(RuleVersion.version).where(RuleVersion.rule_id == rule.id).order_by(RuleVersion.version.desc())
    )
    row = _add_version(session, rule, (last or 0) + 1, body, actor_id)
    rule.category = body.category
    record(
        session,
        TrailObject.RULE,
        rule.id,
        TrailAction.RULE_VERSION_ADDED,
        actor_id,
        body.change_note,
        {"code": code, "version": row.version, "effective_at": row.effective_at.isoformat()},
    )
    return get_rule(session, code)


def version_in_force(session: Session, code: str, at: datetime | None = None) -> tuple[Rule, RuleVersion]:
    rule = _rule(session, code)
    moment = at or clock.now()
    row = session.scalar(
        select(RuleVersion)
        .where(RuleVersion.rule_id == rule.id, RuleVersion.effective_at <= moment)
        .order_by(RuleVersion.version.desc())
        .limit(1)
    )
    if row is None:  # only future versions: the rule is announced but not yet in force
        raise errors.RULE_NOT_FOUND(code=code)
    return rule, row


def version_by_id(session: Session, version_id: int) -> RuleVersion:
    row = session.get(RuleVersion, version_id)
    if row is None:
        raise errors.RULE_NOT_FOUND(version_id=version_id)
    return row


def get_rule(session: Session, code: str) -> RuleOut:
    rule = _rule(session, code)
    rows = session.scalars(
        select(RuleVersion).where(RuleVersion.rule_id == rule.id).order_by(RuleVersion.version.desc())
    ).all()
    now = clock.now()
    current = next((r for r in rows if r.effective_at <= now), rows[-1])
    return RuleOut(
        code=code, current=version_out(current, code), versions=[version_out(r, code) for r in rows]
    )


def list_rules(session: Session, category: str | None = None) -> list[RuleVersionOut]:
    """The rulebook as it stands now: each rule's version in force, by category and code."""
    now = clock.now()
    query = select(Rule.code, RuleVersion).join(RuleVersion, RuleVersion.rule_id == Rule.id)
    if category:
        query = query.where(Rule.category == category)
    best: dict[str, RuleVersion] = {}
    for code, row in session.execute(query.order_by(RuleVersion.version)).all():
        if row.effective_at <= now or code not in best:
            best[code] = row
    order = list(CATEGORY_LABELS)
    items = sorted(
        best.items(), key=lambda kv: (order.index(kv[1].category) if kv[1].category in order else 99, kv[0])
    )
    return [version_out(row, code) for code, row in items]


def seed_rules(session: Session, path: Path = SEED_FILE) -> int:
    """Load the rulebook file; rules already present are left as they are (staff may have edited
    them). Returns how many rules were added. Safe to run again."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    effective = datetime.fromisoformat(data["effective_at"])
    existing = set(session.scalars(select(Rule.code)).all())
    added = 0
    for item in data["rules"]:
        if item["code"] in existing:
            continue
        body = RuleIn.model_validate({**item, "change_note": "规则中心初版"})
        body.effective_at = min(effective, clock.now())
        create_rule(session, body, None)
        added += 1
    return added
