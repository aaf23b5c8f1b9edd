"""How the sandbox's sender puts a pass's notifications on the wire: one request each (the single-event
endpoint), or many events in one signed request (``webhook_doc.BATCH_PATH``), as a real PSP batches.

Either way a payment's notifications go in the order they were queued, the next only once the one
before it is acknowledged (a failure holds its later ones back to the next pass). Batched, that is
done in rounds: round k carries each payment's k-th notification still due, split into requests of
at most ``MAX_BATCH_EVENTS`` events and ``MAX_BATCH_BYTES`` bytes, sent concurrently; the answer
says per event what the single endpoint would have, so exactly the acknowledged events are marked
delivered and the others retried (an event refused as unreadable is given up at once: sending the
same bytes again cannot change that).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from laotie.core import clock
from laotie.payments.sandbox import signature
from laotie.payments.sandbox.webhook_doc import BATCH_PATH, MAX_BATCH_BYTES, MAX_BATCH_EVENTS
from laotie.settings import get_settings

WEBHOOK_PATH = "/api/v1/payments/webhooks/sandbox"
# Sends one signed request; returns the HTTP status and the answer's body. Raising counts as a
# failed attempt of every notification in it.
Send = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]
_ENVELOPE = len(b'{"events":[]}')


@dataclass(frozen=True)
class Claimed:
    id: int
    object_ref: str
    attempts: int
    body: bytes


@dataclass(frozen=True)
class Answer:
    claimed: Claimed
    status: int | None
    error: str
    # Refused for good (an unreadable event in a batch): given up now, not retried.
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


def signed_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        signature.HEADER: signature.sign(get_settings().payment_webhook_secret, body, clock.now()),
    }


def send_one(claimed: Claimed, send: Send) -> Answer:
    try:
        status = send(WEBHOOK_PATH, claimed.body, signed_headers(claimed.body))[0]
    except Exception as exc:  # a crash or a dropped connection on the other side: try again later
        return Answer(claimed, None, repr(exc)[:2000])
    return Answer(claimed, status, "" if 200 <= status < 300 else f"HTTP {status}")


def send_in_turn(claimed: list[Claimed], send: Send) -> list[Answer]:
    """One payment's notifications one request each, in order; after a failure the rest wait."""
    answers = []
    for i, one in enumerate(claimed):
        answer = send_one(one, send)
        answers.append(answer)
        if not answer.ok:
            answers += [Answer(rest, None, "an earlier notification failed") for rest in claimed[i + 1 :]]
            break
    return answers


def chunks(heads: list[Claimed], most: int) -> list[list[Claimed]]:
    """Requests of at most ``most`` events and ``MAX_BATCH_BYTES`` bytes, in order."""
    out: list[list[Claimed]] = []
    size = 0
    for one in heads:
        grows = len(one.body) + 1
        if not out or len(out[-1]) >= most or size + grows > MAX_BATCH_BYTES - _ENVELOPE:
            out.append([])
            size = 0
        out[-1].append(one)
        size += grows
    return out


def send_batch(claimed: list[Claimed], send: Send) -> list[Answer]:
    """One signed request for these events; each event's answer."""
    body = b'{"events":[' + b",".join(c.body for c in claimed) + b"]}"
    try:
        status, answer = send(BATCH_PATH, body, signed_headers(body))
    except Exception as exc:  # nothing known to be applied: every event is tried again
        return [Answer(c, None, repr(exc)[:2000]) for c in claimed]
    if not 200 <= status < 300:  # refused or failed as a whole: every event is tried again
        return [Answer(c, status, f"HTTP {status}: {answer[:500]!r}") for c in claimed]
    try:
        results: list[dict[str, Any]] = json.loads(answer)["results"]
        if len(results) != len(claimed):
            raise ValueError(f"{len(results)} results for {len(claimed)} events")
    except (ValueError, KeyError, TypeError) as exc:
        return [Answer(c, status, f"unreadable answer: {exc!r}"[:2000]) for c in claimed]
    return [_answer(c, r) for c, r in zip(claimed, results, strict=True)]


def _answer(claimed: Claimed, result: dict[str, Any]) -> Answer:
    status = int(result.get("status") or 0)
    if 200 <= status < 300:
        return Answer(claimed, status, "")
    code = str(result.get("error") or f"HTTP {status}")
    return Answer(claimed, status, code, final=code == "INVALID_SIGNATURE")


def send_rounds(
    groups: list[list[Claimed]],
    send: Send,
    batch_events: int,
    fan_out: Callable[[Callable[[list[Claimed]], list[Answer]], list[list[Claimed]]], list[list[Answer]]],
) -> list[Answer]:
    """Each payment's notifications (``groups``) in rounds of batch requests, ``fan_out`` sending a
    round's requests (concurrently or not)."""
    most = max(1, min(batch_events, MAX_BATCH_EVENTS))
    answers: list[Answer] = []
    pending = [g for g in groups if g]
    while pending:
        heads = [g[0] for g in pending]
        got = [a for batch in fan_out(lambda c: send_batch(c, send), chunks(heads, most)) for a in batch]
        later = []
        for group, answer in zip(pending, got, strict=True):
            answers.append(answer)
            if answer.ok:
                if len(group) > 1:
                    later.append(group[1:])
            else:
                answers += [Answer(rest, None, "an earlier notification failed") for rest in group[1:]]
        pending = later
    return answers


def fan_out_with(
    pool: ThreadPoolExecutor | None, concurrency: int
) -> Callable[[Callable[[list[Claimed]], list[Answer]], list[list[Claimed]]], list[list[Answer]]]:
    """Runs a round's requests on ``pool`` (or a pool of its own), one after another when
    ``concurrency`` is 1 or there is one request."""

    def fan_out(
        work: Callable[[list[Claimed]], list[Answer]], jobs: list[list[Claimed]]
    ) -> list[list[Answer]]:
        if concurrency <= 1 or len(jobs) <= 1:
            return [work(job) for job in jobs]
        if pool is not None:
            return list(pool.map(work, jobs))
        with ThreadPoolExecutor(min(concurrency, len(jobs)), "sandbox-send") as own:
            return list(own.map(work, jobs))

    return fan_out
