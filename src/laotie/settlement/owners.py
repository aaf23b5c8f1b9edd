"""Who withdraws: a shop (its available sales money) or a creator (达人: its settled commission).

Everything else about a withdrawal (payout account, minimum, idempotency, booking at request, the
payout after commit, the bank's answer) is the same for both; this is the one place that says what
differs: which column names the owner, and which ledger account the money leaves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from laotie.ledger.schemas import AccountKind


class OwnerKind(enum.StrEnum):
    SHOP = "shop"
    CREATOR = "creator"


# The balance each kind withdraws from.
AVAILABLE = {OwnerKind.SHOP: AccountKind.SHOP_AVAILABLE, OwnerKind.CREATOR: AccountKind.COMMISSION_AVAILABLE}


@dataclass(frozen=True)
class Owner:
    kind: OwnerKind
    id: int

    @classmethod
    def shop(cls, shop_id: int) -> Owner:
        return cls(OwnerKind.SHOP, shop_id)

    @classmethod
    def creator(cls, creator_id: int) -> Owner:
        return cls(OwnerKind.CREATOR, creator_id)

    @classmethod
    def of(cls, row: Any) -> Owner:
        """The owner of a payout account, withdrawal or trail row."""
        if row.shop_id is not None:
            return cls.shop(int(row.shop_id))
        return cls.creator(int(row.creator_id))

    @property
    def available(self) -> AccountKind:
        return AVAILABLE[self.kind]

    @property
    def columns(self) -> dict[str, int | None]:
        """The owner columns of a new row."""
        return {
            "shop_id": self.id if self.kind == OwnerKind.SHOP else None,
            "creator_id": self.id if self.kind == OwnerKind.CREATOR else None,
        }

    def matches(self, model: Any) -> ColumnElement[bool]:
        """``WHERE`` clause selecting this owner's rows of ``model``."""
        column = model.shop_id if self.kind == OwnerKind.SHOP else model.creator_id
        return column == self.id  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"
