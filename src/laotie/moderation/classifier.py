"""The pure, in-process classifier: one text in, one ``Verdict`` out. No database, no I/O."""

from __future__ import annotations

from laotie.moderation import diversion, goods, intent
from laotie.moderation.normalise import normalise
from laotie.moderation.schemas import DIVERSION_REASONS, Span, Verdict

# Longer texts are read up to this many characters: a comment is at most a few hundred, a product
# description a few thousand. The rest is not looked at (and the call stays fast on any input).
MAX_CHARS = 20_000
_EMPTY = Verdict()


def classify(text: str) -> Verdict:
    if not text or text.isspace():
        return _EMPTY
    n = normalise(text[:MAX_CHARS])
    spans: list[Span] = []
    for d in diversion.find(n):
        spans.append(Span(d.start, d.end, d.reason))
    for g in goods.find(n):
        spans.append(Span(g.start, g.end, g.reason))
    for c in intent.find(n):
        spans.append(Span(c.start, c.end, c.reason))
    if not spans:
        return _EMPTY
    spans = sorted(set(spans), key=lambda s: (s.start, s.end, s.reason))
    reasons = tuple(dict.fromkeys(s.reason for s in spans))
    return Verdict(
        diversion=any(r in DIVERSION_REASONS for r in reasons),
        purchase_intent=any(r.startswith("intent_") for r in reasons),
        prohibited="prohibited_goods" in reasons,
        review_bribery="review_bribery" in reasons,
        reasons=reasons,
        spans=tuple(spans),
    )
