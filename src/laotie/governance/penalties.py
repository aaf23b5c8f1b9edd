"""Putting a decided case's penalties in force, ending them at their end, and undoing them exactly.

Each measure is one ``governance_penalty`` row that remembers what it changed (``undo``): the products
it delisted, whether it froze the withdrawals or the shop itself (a freeze staff had already set is
not ours to lift). Traffic, ads, listing and live restrictions live in ``standing`` under the source
``case:<id>``, so readers everywhere obey them and they stop at ``ends_at`` to the second.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError
from laotie.core.events import emit
from laotie.events.governance import ContentRemoved
from laotie.governance import errors
from laotie.governance.models import Case, Penalty, PenaltyStatus, TrailAction, TrailObject
from laotie.governance.schemas import ACTION_LABELS, ActionKind, PenaltyOut
from laotie.governance.trail import record
from laotie.shops import service as shops
from laotie.shops.schemas import ShopEventKind, ShopStatus
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SourceKind, SubjectKind

CONTENT_KINDS = frozenset({"review", "video", "video_comment", "live_comment"})
# action -> (standing effect, whom it reaches when the case names a user as well as a shop)
STANDING_EFFECTS: dict[ActionKind, Effect] = {
    ActionKind.TRAFFIC_CUT: Effect.DISTRIBUTION_STOPPED,
    ActionKind.AD_BAN: Effect.NO_ADS,
    ActionKind.NO_NEW_LISTINGS: Effect.NO_NEW_LISTINGS,
    ActionKind.NO_LIVE: Effect.NO_LIVE,
    ActionKind.LIVE_BAN: Effect.NO_LIVE,
    ActionKind.ALLIANCE_REMOVAL: Effect.NO_ALLIANCE,
}


def source_key(case_id: int) -> str:
    return f"case:{case_id}"


def staff_of(user_id: int | None) -> Principal | None:
    """The staff member a measure acts in the name of (the shops domain records who froze what)."""
    return Principal(user_id=user_id, roles=frozenset({Role.GOVERNANCE})) if user_id else None


def penalty_out(row: Penalty) -> PenaltyOut:
    kind = ActionKind(row.kind) if row.kind in ActionKind.__members__.values() else None
    label = ACTION_LABELS[kind] if kind else ("扣分" if row.kind == "points" else row.kind)
    return PenaltyOut(
        id=row.id,
        kind=row.kind,
        label=label,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        points=row.points,
        days=row.days,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=row.status,
        ended_at=row.ended_at,
        ended_reason=row.ended_reason,
    )


def _row(
    session: Session,
    case: Case,
    kind: str,
    subject: tuple[str, int],
    *,
    days: int | None = None,
    ends_at: datetime | None = None,
    points: int = 0,
    undo: dict[str, Any] | None = None,
) -> Penalty:
    now = clock.now()
    row = Penalty(
        case_id=case.id,
        kind=kind,
        subject_kind=subject[0],
        subject_id=subject[1],
        shop_id=case.shop_id,
        points=points,
        points_year=now.year if kind == "points" else None,
        days=days,
        starts_at=now,
        ends_at=ends_at if ends_at is not None else (now + timedelta(days=days) if days else None),
        status=PenaltyStatus.ACTIVE,
        undo=undo or {},
        ended_reason="",
    )
    session.add(row)
    session.flush()
    return row


def _standing_subject(case: Case, action: ActionKind) -> tuple[SubjectKind, int] | None:
    if action in (ActionKind.LIVE_BAN, ActionKind.ALLIANCE_REMOVAL):
        if case.user_id is not None:
            return SubjectKind.USER, case.user_id
        return (SubjectKind.SHOP, case.shop_id) if case.shop_id and action is ActionKind.LIVE_BAN else None
    if action is ActionKind.TRAFFIC_CUT and case.product_id is not None:
        return SubjectKind.PRODUCT, case.product_id
    if case.shop_id is not None:
        return SubjectKind.SHOP, case.shop_id
    if case.user_id is not None and action in (ActionKind.AD_BAN, ActionKind.TRAFFIC_CUT, ActionKind.NO_LIVE):
        return SubjectKind.USER, case.user_id
    return None


def apply(
    session: Session, case: Case, action: ActionKind, days: int | None, actor_id: int | None, rule_title: str
) -> Penalty | None:
    """Put one measure in force; None (with a line in the trail) when it cannot reach this case's subject."""
    reason = f"违反《{rule_title}》（{case.rule_code}），案件 {case.id}"
    if action is ActionKind.WARNING:
        return _row(session, case, action.value, (case.subject_kind, case.subject_id))
    if action in STANDING_EFFECTS:
        subject = _standing_subject(case, action)
        if subject is None:
            record(
                session,
                TrailObject.CASE,
                case.id,
                TrailAction.PENALTY_SKIPPED,
                actor_id,
                f"{ACTION_LABELS[action]}：无适用对象",
            )
            return None
        ends_at = clock.now() + timedelta(days=days) if days else None
        standing.impose(
            session,
            subject_kind=subject[0],
            subject_id=subject[1],
            effect=STANDING_EFFECTS[action],
            source_kind=SourceKind.PENALTY,
            source_key=source_key(case.id),
            reason=reason,
            ends_at=ends_at,
        )
        return _row(session, case, action.value, (subject[0].value, subject[1]), days=days, ends_at=ends_at)
    if action is ActionKind.DELIST:
        return _delist(session, case, actor_id, reason)
    if action is ActionKind.WITHDRAWAL_FREEZE:
        return _freeze_withdrawals(session, case, days, actor_id, reason)
    if action is ActionKind.CLOSURE:
        return closure(session, case, actor_id, reason)
    if action is ActionKind.REMOVE_CONTENT:
        return _remove_content(session, case, reason)
    # DEPOSIT: rules refuse it (0元开店: no shop holds a deposit); kept for an old rule version.
    record(
        session,
        TrailObject.CASE,
        case.id,
        TrailAction.PENALTY_SKIPPED,
        actor_id,
        "平台实行0元开店，无保证金可扣",
    )
    return None


def _delist(session: Session, case: Case, actor_id: int | None, reason: str) -> Penalty | None:
    staff = staff_of(actor_id)
    if case.product_id is None or staff is None:
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.PENALTY_SKIPPED,
            actor_id,
            "商品下架：案件未指向具体商品",
        )
        return None
    done = catalog.governance_delist(session, staff, case.product_id, reason, case.id)
    undo = {"product_ids": [case.product_id] if done else []}
    return _row(session, case, ActionKind.DELIST.value, ("product", case.product_id), undo=undo)


def _freeze_withdrawals(
    session: Session, case: Case, days: int | None, actor_id: int | None, reason: str
) -> Penalty | None:
    staff = staff_of(actor_id)
    if case.shop_id is None or staff is None:
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.PENALTY_SKIPPED,
            actor_id,
            "冻结提现：案件未指向店铺",
        )
        return None
    try:
        shops.freeze_withdrawals(session, case.shop_id, staff, reason)
        froze = True
    except AppError as exc:  # already frozen (by staff or another case): not ours to lift later
        if exc.code != "WITHDRAWALS_ALREADY_FROZEN":
            raise
        froze = False
    return _row(
        session,
        case,
        ActionKind.WITHDRAWAL_FREEZE.value,
        ("shop", case.shop_id),
        days=days,
        undo={"froze": froze},
    )


def closure(
    session: Session, case: Case, actor_id: int | None, reason: str, *, threshold: bool = False
) -> Penalty | None:
    """清退: the shop is frozen at once (it stops selling and withdrawing) and closed for good when the
    appeal window ends with no successful appeal; a won appeal unfreezes it exactly."""
    if case.shop_id is None:
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.PENALTY_SKIPPED,
            actor_id,
            "清退店铺：案件未指向店铺",
        )
        return None
    shop = shops.get_shop(session, case.shop_id)
    froze_from = None
    if shop.status in (ShopStatus.OPEN, ShopStatus.RESTRICTED):
        froze_from = shop.status.value
        shops.transition(
            session,
            case.shop_id,
            ShopStatus.FROZEN,
            actor_id,
            ShopEventKind.FROZEN,
            f"{reason}；申诉期满后清退",
        )
    undo = {"froze_from": froze_from, "threshold": threshold}
    return _row(session, case, ActionKind.CLOSURE.value, ("shop", case.shop_id), undo=undo)


def _remove_content(session: Session, case: Case, reason: str) -> Penalty | None:
    """The owning domain removes the item when it hears ``ContentRemoved``."""
    kind = case.subject_kind
    if kind not in CONTENT_KINDS and kind != "product":
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.PENALTY_SKIPPED,
            None,
            "删除内容：案件对象不是一条内容",
        )
        return None
    emit(session, ContentRemoved(kind=kind, id=case.subject_id, case_id=case.id, reason=reason))
    return _row(session, case, ActionKind.REMOVE_CONTENT.value, (kind, case.subject_id))


def add_points(session: Session, case: Case, points: int) -> Penalty | None:
    if points <= 0 or case.shop_id is None:
        return None
    return _row(session, case, "points", ("shop", case.shop_id), points=points)


def _give_back(session: Session, row: Penalty, case: Case, actor_id: int | None, why: str) -> None:
    """Undo what one measure changed outside governance (standing rows are lifted by source)."""
    staff = staff_of(actor_id) or staff_of(case.decided_by)
    if row.kind == ActionKind.WITHDRAWAL_FREEZE.value and row.undo.get("froze") and row.shop_id:
        if _other_active(session, row, ActionKind.WITHDRAWAL_FREEZE.value) or staff is None:
            return  # another case still holds the money
        try:
            shops.unfreeze_withdrawals(session, row.shop_id, staff, why)
        except AppError as exc:  # staff lifted it by hand meanwhile
            if exc.code != "WITHDRAWALS_NOT_FROZEN":
                raise
    elif row.kind == ActionKind.DELIST.value and staff is not None:
        for product_id in row.undo.get("product_ids", []):
            catalog.governance_relist(session, staff, product_id, why, case.id)
    elif (
        row.kind == ActionKind.CLOSURE.value
        and row.undo.get("froze_from")
        and row.shop_id
        and shops.get_shop(session, row.shop_id).status == ShopStatus.FROZEN
    ):
        back = ShopStatus(row.undo["froze_from"])
        shops.transition(session, row.shop_id, back, actor_id, ShopEventKind.UNFROZEN, why)


def _other_active(session: Session, row: Penalty, kind: str) -> bool:
    return (
        session.scalar(
            select(Penalty.id).where(
                Penalty.kind == kind,
                Penalty.shop_id == row.shop_id,
                Penalty.status == PenaltyStatus.ACTIVE,
                Penalty.id != row.id,
            )
        )
        is not None
    )


def _close_row(session: Session, row: Penalty, status: PenaltyStatus, why: str) -> bool:
    """Mark a measure ended or reversed once, even with two job runners or an appeal racing its end.

    One conditional UPDATE from active only (not ``core.transitions.move_where``, whose table would
    also let an ended measure be reversed here and so given back twice: ``reverse_all`` marks those)."""
    done = session.execute(
        update(Penalty)
        .where(Penalty.id == row.id, Penalty.status == PenaltyStatus.ACTIVE)
        .values(status=status, ended_at=clock.now(), ended_reason=why[:200])
    ).rowcount  # type: ignore[attr-defined]
    if done:
        session.refresh(row)
    return bool(done)


def end_due(session: Session, limit: int = 200) -> int:
    """Measures whose end has come: their standing rows stop by themselves; freezes are lifted here."""
    now = clock.now()
    rows = session.scalars(
        select(Penalty)
        .where(Penalty.status == PenaltyStatus.ACTIVE, Penalty.ends_at.is_not(None), Penalty.ends_at <= now)
        .order_by(Penalty.ends_at)
        .limit(limit)
    ).all()
    ended = 0
    for row in rows:
        case = session.get_one(Case, row.case_id)
        if not _close_row(session, row, PenaltyStatus.ENDED, "处罚期满自动解除"):
            continue
        _give_back(session, row, case, None, "处罚期满自动解除")
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.PENALTY_ENDED,
            None,
            "处罚期满自动解除",
            {"penalty_id": row.id},
        )
        ended += 1
    return ended


def reverse_all(session: Session, case: Case, actor_id: int, why: str) -> list[Penalty]:
    """A successful appeal: every measure of the case still in force is undone, and the ones already
    ended are marked reversed too (their points no longer count)."""
    rows = session.scalars(
        select(Penalty)
        .where(Penalty.case_id == case.id, Penalty.status != PenaltyStatus.REVERSED)
        .order_by(Penalty.id)
    ).all()
    reversed_rows = []
    for row in rows:
        was_active = row.status == PenaltyStatus.ACTIVE
        if was_active:
            if not _close_row(session, row, PenaltyStatus.REVERSED, why):
                continue
            _give_back(session, row, case, actor_id, why)
        else:
            row.status = PenaltyStatus.REVERSED
            row.ended_reason = why[:200]
        reversed_rows.append(row)
    standing.lift_source(session, source_key=source_key(case.id), reason=why)
    session.flush()
    return reversed_rows


def penalties_of(session: Session, case_id: int) -> list[Penalty]:
    return list(session.scalars(select(Penalty).where(Penalty.case_id == case_id).order_by(Penalty.id)).all())


def require_open_shop(session: Session, shop_id: int | None) -> None:
    if shop_id is not None and shops.get_shop(session, shop_id).status == ShopStatus.CLOSED:
        raise errors.SHOP_CLOSED(shop_id=shop_id)


def reverse_one(session: Session, row: Penalty, case: Case, actor_id: int | None, why: str) -> bool:
    if not _close_row(session, row, PenaltyStatus.REVERSED, why):
        return False
    _give_back(session, row, case, actor_id, why)
    return True
