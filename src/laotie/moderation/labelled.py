"""The labelled set: one example a line, ``text<TAB>diversion<TAB>intent<TAB>notes`` (0/1 flags).

``tests/data/moderation_labelled.tsv`` holds the set the detectors were built with; corrections
staff make on recorded hits come out in the same format (``laotie moderate export-corrections``)
and can be appended to it. A fixed 30% of the lines, chosen by a hash of the text, is held out:
the detectors are tuned on the rest and measured on both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER = "text\tdiversion\tintent\tnotes"
HELD_OUT_PERCENT = 30


@dataclass(frozen=True)
class Example:
    text: str
    diversion: bool
    intent: bool
    notes: str = ""

    @property
    def held_out(self) -> bool:
        return is_held_out(self.text)


def is_held_out(text: str) -> bool:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest, 16) % 100 < HELD_OUT_PERCENT


def clean(text: str) -> str:
    """One line of the file: tabs and line breaks inside a text become spaces."""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def line(example: Example) -> str:
    notes = clean(example.notes)
    return f"{clean(example.text)}\t{int(example.diversion)}\t{int(example.intent)}\t{notes}"


def parse(lines: Iterable[str]) -> Iterator[Example]:
    for raw in lines:
        row = raw.rstrip("\n").split("\t")
        if len(row) < 3 or raw.startswith(HEADER.split("\t")[0] + "\t"):
            continue
        yield Example(row[0], row[1].strip() == "1", row[2].strip() == "1", row[3] if len(row) > 3 else "")


def load(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as f:
        return list(parse(f))
