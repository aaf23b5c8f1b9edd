"""Any Unicode in, a verdict out: no crash, spans inside the text, and no catastrophic backtracking
(each call on a line of up to 10,000 characters stays far below a generous time bound)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laotie.moderation.service import classify

# Far above the ~0.1 ms a comment takes and the 0.1-0.6 s of the worst 10,000-character line (one
# character repeated, matching the start of dozens of patterns everywhere): only runaway
# backtracking (minutes to hours at this length) crosses it, even on a busy shared machine.
PER_CALL_SECONDS = 5.0

# Characters the patterns care about, mixed with anything at all: surrogates, combining marks,
# right-to-left text, zero-width and variation selectors, keycaps, enclosed digits, emoji.
TRICKY = [
    *"加微信薇威扣企鹅私聊群号淘宝某拼夕搜同名点com.wwwhttp:/@￥$vVxXqQ0123456789０①❶⑴幺两洞拐",
    *"多少钱吗怎么有没有码XLsml身高体重，。！？ -_:：❤➕🟢🐧",
    *["\u200b", "\u200d", "\ufe0f", "\u20e3", "\u0301", "\u202e", "\u200f", "\ud800", "\udfff", "\u0627"],
]
tricky_text = st.lists(st.sampled_from(TRICKY), max_size=400).map("".join)
any_text = st.text(alphabet=st.characters(), max_size=400)


def _timed(text: str) -> None:
    start = time.perf_counter()
    verdict = classify(text)
    elapsed = time.perf_counter() - start
    assert elapsed < PER_CALL_SECONDS, f"{elapsed:.2f}s on a {len(text)}-character text"
    for span in verdict.spans:
        assert 0 <= span.start < span.end <= len(text)
    assert verdict.blocked == (verdict.diversion or verdict.prohibited or verdict.review_bribery)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(any_text, tricky_text))
def test_any_text(text: str) -> None:
    _timed(text)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.one_of(any_text, tricky_text), st.integers(min_value=1, max_value=10_000))
def test_long_lines(seed: str, length: int) -> None:
    """Lines of up to 10,000 characters made by repeating a generated piece."""
    piece = seed or "加"
    _timed((piece * (length // len(piece) + 1))[:length])


def test_repetitive_lines_that_stress_the_patterns() -> None:
    for piece in (
        "1",
        "1 ",
        "a",
        "a.",
        "a@",
        "v ",
        "vx:",
        "微信号",
        "加我",
        "q1",
        "有没有",
        "主页有",
        "。1",
        "1a",
    ):
        _timed((piece * 10_000)[:10_000])
