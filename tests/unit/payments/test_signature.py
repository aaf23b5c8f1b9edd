from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from laotie.payments.interfaces import InvalidSignature
from laotie.payments.sandbox.signature import sign, verify

SECRET = "whsec-test"
BODY = b'{"id":"evt_1","type":"payment.succeeded"}'
AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_a_fresh_signature_over_the_exact_body_verifies() -> None:
    verify(SECRET, sign(SECRET, BODY, AT), BODY, AT + timedelta(seconds=299), 300)


@pytest.mark.parametrize(
    ("header", "body", "secret", "now", "reason"),
    [
        (None, BODY, SECRET, AT, "missing"),
        ("v1=abc", BODY, SECRET, AT, "malformed"),
        ("t=notanumber,v1=abc", BODY, SECRET, AT, "malformed"),
        (f"t={int(AT.timestamp())}", BODY, SECRET, AT, "no v1"),
        (sign(SECRET, BODY, AT), BODY + b" ", SECRET, AT, "mismatch"),  # one byte changed
        (sign("another-secret", BODY, AT), BODY, SECRET, AT, "mismatch"),
        (sign(SECRET, BODY, AT), BODY, SECRET, AT + timedelta(seconds=301), "too old"),  # a replay
        (sign(SECRET, BODY, AT + timedelta(minutes=6)), BODY, SECRET, AT, "future"),
    ],
)
def test_bad_headers_are_refused_with_a_reason(
    header: str | None, body: bytes, secret: str, now: datetime, reason: str
) -> None:
    with pytest.raises(InvalidSignature) as caught:
        verify(secret, header, body, now, 300)
    assert reason in caught.value.reason


def test_the_timestamp_is_signed_too() -> None:
    header = sign(SECRET, BODY, AT)
    mac = header.split("v1=")[1]
    moved = f"t={int(AT.timestamp()) + 600},v1={mac}"  # a replayer freshens the timestamp
    with pytest.raises(InvalidSignature, match="mismatch"):
        verify(SECRET, moved, BODY, AT + timedelta(seconds=600), 300)


def test_any_of_several_signatures_may_match_during_secret_rotation() -> None:
    header = sign(SECRET, BODY, AT) + ",v1=" + "0" * 64
    verify(SECRET, header, BODY, AT, 300)
