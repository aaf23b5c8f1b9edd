"""The payout account: set by the owner only, shown only masked, copied into each withdrawal."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.settlement import service as settlement
from laotie.settlement.models import PayoutAccount, Withdrawal
from laotie.settlement.schemas import PayoutAccountIn
from tests.factories.settlement import make_money_shop, make_staff
from tests.factories.shops import make_reviewer


def test_the_owner_sets_the_account_and_sees_only_its_last_four_digits(session: Session) -> None:
    shop = make_money_shop(session, account_number=None)
    assert settlement.get_payout_account(session, shop.owner, shop.shop_id) is None
    body = PayoutAccountIn(
        holder_name=" 东北山货 ", bank_name="中国农业银行", account_number="6228 4800-1234 5678"
    )
    out = settlement.set_payout_account(session, shop.owner, shop.shop_id, body)
    session.commit()
    assert (out.holder_name, out.bank_name, out.account_masked) == (
        "东北山货",
        "中国农业银行",
        "**** **** **** 5678",
    )
    assert "62284800" not in out.model_dump_json()
    assert settlement.get_payout_account(session, shop.owner, shop.shop_id) == out
    # The full number is kept, without the separators, for the payout itself.
    row = session.scalar(select(PayoutAccount).where(PayoutAccount.shop_id == shop.shop_id))
    assert row is not None and row.account_number == "622848001234" + "5678"


def test_staff_may_neither_set_nor_read_the_account(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_staff(session, shop)
    body = PayoutAccountIn(holder_name="冒名顶替", bank_name="某银行", account_number="6222000011112222")
    for attempt in (
        lambda: settlement.set_payout_account(session, staff, shop.shop_id, body),
        lambda: settlement.get_payout_account(session, staff, shop.shop_id),
    ):
        with pytest.raises(AppError) as refused:
            attempt()
        assert refused.value.code == "NOT_SHOP_OWNER"
    account = settlement.get_payout_account(session, shop.owner, shop.shop_id)
    assert account is not None and account.account_masked.endswith("3445")


@pytest.mark.parametrize(
    "number", ["", "1234567", "6222abcd11112222", "1" * 31, "６２２２０２０２００１１２２３３"]
)
def test_an_account_number_is_8_to_30_ascii_digits(number: str) -> None:
    with pytest.raises(ValidationError):
        PayoutAccountIn(holder_name="小店", bank_name="工商银行", account_number=number)


def test_changing_the_account_leaves_requested_withdrawals_where_they_were_going(session: Session) -> None:
    shop = make_money_shop(session)
    first = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    new = PayoutAccountIn(holder_name="东北山货", bank_name="招商银行", account_number="6214830000009999")
    settlement.set_payout_account(session, shop.owner, shop.shop_id, new)
    second = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-2")
    session.commit()
    numbers = dict(session.execute(select(Withdrawal.id, Withdrawal.account_number)).all())
    assert numbers == {first.id: "6222020200112233445", second.id: "6214830000009999"}
    assert (first.bank_name, second.bank_name) == ("中国工商银行", "招商银行")
    trail = [
        (e.kind, e.data.get("account_masked"))
        for e in settlement.settlement_trail(session, shop.owner, shop.shop_id)
    ]
    assert trail == [
        ("payout_account_set", "**** **** **** 3445"),
        ("requested", "**** **** **** 3445"),
        ("payout_account_set", "**** **** **** 9999"),
        ("requested", "**** **** **** 9999"),
    ]
    reviewer, _ = make_reviewer(session)
    assert len(settlement.settlement_trail(session, reviewer, shop.shop_id)) == 4  # staff see it too
