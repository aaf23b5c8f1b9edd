"""Outbox topics of the moderation domain and their payloads (see ``service`` for when each is sent).

``moderation.hit_recorded``: a text was blocked and stored::

    {"hit_id": int, "surface": str, "subject_kind": str, "subject_id": int, "author_id": int | None,
     "reasons": [str, ...], "diversion": bool, "prohibited": bool, "review_bribery": bool}

``moderation.repeat_offender``: an author's blocked texts within the window reached the threshold
(at most once per author per window; the governance domain opens a case from it)::

    {"author_id": int, "surface": str (of the hit that reached the threshold), "hit_ids": [int, ...]
     (the author's counted hits in the window, oldest first), "reasons": [str, ...] (their reason codes),
     "threshold": int, "window_hours": int}

``moderation.hit_reviewed``: staff confirmed a hit or marked it wrong (a false positive); the
domain that owns the subject may release what it held back::

    {"hit_id": int, "status": "confirmed" | "wrong", "surface": str, "subject_kind": str,
     "subject_id": int, "author_id": int | None, "reviewer_id": int}
"""

from __future__ import annotations

HIT_RECORDED = "moderation.hit_recorded"
REPEAT_OFFENDER = "moderation.repeat_offender"
HIT_REVIEWED = "moderation.hit_reviewed"
