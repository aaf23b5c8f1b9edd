"""How much a case gives back: pure functions over what each line was paid and what earlier cases
already returned (price protection included, so a later refund deducts it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from laotie.aftersales import errors
from laotie.ledger import service as ledger
from laotie.orders.service import LineRefund, RefundableLine, RefundableOrder


@dataclass(frozen=True)
class LineLeft:
    """A line as after-sales sees it now: units still with the buyer and money not yet returned."""

    line: RefundableLine
    units_left: int
    paid_left_fen: int


def lines_left(
    order: RefundableOrder, paid_cases: Iterable[Sequence[Mapping[str, Any]]]
) -> dict[int, LineLeft]:
    """``paid_cases``: the ``lines`` of every case that has paid (each item: line_id, units, amount_fen)."""
    units: dict[int, int] = {}
    money: dict[int, int] = {}
    for case_lines in paid_cases:
        for item in case_lines:
            line_id = int(item["line_id"])
            units[line_id] = units.get(line_id, 0) + int(item.get("units", 0))
            money[line_id] = money.get(line_id, 0) + int(item.get("amount_fen", 0))
    return {
        line.line_id: LineLeft(
            line,
            max(line.quantity - units.get(line.line_id, 0), 0),
            max(line.paid_fen - money.get(line.line_id, 0), 0),
        )
        for line in order.lines
    }


def units_amount(left: LineLeft, units: int) -> int:
    """What ``units`` of the line are worth now: the money left on the line, pro rata over the units
    left, rounded down; the last units take the remainder, so the line adds up to what was paid."""
    if units >= left.units_left:
        return left.paid_left_fen
    return left.paid_left_fen * units // left.units_left


def select_lines(
    order: RefundableOrder, left: dict[int, LineLeft], wanted: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """The case's lines: ``wanted`` (line_id, units), or every line's units left when empty."""
    if not wanted:
        wanted = [(line_id, x.units_left) for line_id, x in left.items() if x.units_left > 0]
        if not wanted:
            raise errors.INVALID_LINES(reason="订单商品已全部退款")
    seen: set[int] = set()
    chosen = []
    for line_id, units in wanted:
        if line_id not in left or line_id in seen:
            raise errors.INVALID_LINES(reason=f"订单中没有商品行 {line_id}")
        seen.add(line_id)
        x = left[line_id]
        if units > x.units_left:
            raise errors.INVALID_LINES(reason=f"「{x.line.title}」最多可退{x.units_left}件")
        chosen.append(
            {
                "line_id": line_id,
                "sku_id": x.line.sku_id,
                "title": x.line.title,
                "quantity": units,
                "units": units,
                "amount_fen": units_amount(x, units),
            }
        )
    return chosen


def covers_everything(left: dict[int, LineLeft], chosen: Sequence[Mapping[str, Any]]) -> bool:
    units = {int(c["line_id"]): int(c["quantity"]) for c in chosen}
    return all(units.get(line_id, 0) >= x.units_left for line_id, x in left.items())


def case_amount(
    order: RefundableOrder, left: dict[int, LineLeft], chosen: Sequence[Mapping[str, Any]]
) -> int:
    """The lines' worth; a case taking everything that is left also takes what is left of shipping,
    so a full return gives back exactly what was paid."""
    if covers_everything(left, chosen):
        return order.refundable_fen
    return min(sum(int(c["amount_fen"]) for c in chosen), order.refundable_fen)


def settle_lines(chosen: Sequence[Mapping[str, Any]], amount_fen: int, full: bool) -> list[dict[str, Any]]:
    """The lines as paid: ``amount_fen`` spread over them pro rata (whole fen that add up); units
    count as returned only when the case paid in full (a partial refund leaves the goods counted)."""
    weights = [int(c["amount_fen"]) for c in chosen]
    total = sum(weights)
    if total <= 0:
        shares = [0] * len(weights)
        if shares:
            shares[0] = amount_fen
    else:
        # A full return of everything also carries shipping: spread it with the lines.
        shares = (
            ledger.allocate(amount_fen, weights, total) if amount_fen <= total else _over(weights, amount_fen)
        )
    return [
        {**c, "amount_fen": share, "units": int(c["quantity"]) if full else 0}
        for c, share in zip(chosen, shares, strict=True)
    ]


def _over(weights: list[int], amount_fen: int) -> list[int]:
    """More than the lines (shipping included): the lines in full, the rest on the first line."""
    shares = list(weights)
    shares[0] += amount_fen - sum(weights)
    return shares


def protection_amount(left: LineLeft, lowest_price_fen: int) -> int:
    """七天保价 for one line: the units still held, at what is left paid on them against the new
    lower price; never more than is left paid, never negative."""
    if left.units_left <= 0:
        return 0
    worth_now = lowest_price_fen * left.units_left
    return max(0, min(left.paid_left_fen - worth_now, left.paid_left_fen))


def line_refunds(
    chosen: Sequence[Mapping[str, Any]], amount_fen: int, full: bool, protection: bool
) -> list[LineRefund]:
    """What a payment of ``amount_fen`` takes off each line, for the per-line guard: the lines'
    part only (shipping a full return carries is the order's, not a line's), pro rata; the units
    when the case paid in full; and for 七天保价 what each line's claim was priced from."""
    weights = [int(c["amount_fen"]) for c in chosen]
    total = sum(weights)
    if total <= 0:
        return []
    shares = ledger.allocate(min(amount_fen, total), weights, total)
    out = []
    for c, share in zip(chosen, shares, strict=True):
        if protection:
            out.append(
                LineRefund(
                    line_id=int(c["line_id"]),
                    amount_fen=share,
                    units=0,
                    protected_price_fen=int(c["lowest_price_fen"]),
                    seen_refunded_fen=int(c.get("seen_refunded_fen", 0)),
                    seen_protected_price_fen=(
                        None
                        if c.get("seen_protected_price_fen") is None
                        else int(c["seen_protected_price_fen"])
                    ),
                )
            )
        else:
            out.append(LineRefund(int(c["line_id"]), share, int(c["quantity"]) if full else 0))
    return out
