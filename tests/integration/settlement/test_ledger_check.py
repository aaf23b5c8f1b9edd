"""`laotie ledger check` proves that each withdrawal's postings match what happened to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting
from laotie.settlement import service as settlement
from tests.factories.settlement import make_money_shop


def test_the_check_names_a_withdrawal_whose_books_do_not_match(session: Session) -> None:
    shop = make_money_shop(session)
    out = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    session.commit()
    assert ledger.check(session).ok
    # Book money for the withdrawal a second time, and a withdrawal that never existed; look, and
    # roll it all back (ledger rows cannot be deleted).
    for reference_id, key in ((out.id, "extra"), (out.id + 100, "ghost")):
        ledger.post(
            session,
            kind="withdrawal",
            reference_type="withdrawal",
            reference_id=reference_id,
            postings=[
                Posting(AccountKind.SHOP_AVAILABLE, 500, shop.shop_id),
                Posting(AccountKind.PSP_CASH, -500),
            ],
            idempotency_key=f"test:{key}",
        )
    problems = ledger.check(session).problems
    session.rollback()
    assert [p.split(":")[0] for p in problems] == ["settlement", "settlement"]
    assert f"withdrawal {out.id} (requested, 1000 fen) has booked" in problems[0]
    assert f"withdrawal {out.id + 100}, which does not exist" in problems[1]
    assert ledger.check(session).ok
