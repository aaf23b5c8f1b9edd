"""``laotie moderate``: run the moderation classifier over stdin, and export staff corrections.

    laotie moderate < comments.txt            # one JSON object per input line
    laotie moderate --no-json < comments.txt  # a readable table
    laotie moderate export-corrections > more.tsv

Every input line gets exactly one output line, in order: an empty line gets the all-false object,
bytes that are not UTF-8 are read as U+FFFD, and the command exits 0 whatever it is given.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

moderate_app = typer.Typer(
    help="Classify texts (off-platform diversion, purchase intent, prohibited goods, review bribery).",
    invoke_without_command=True,
)


def _lines(stream: BinaryIO) -> Iterator[str]:
    for raw in stream:
        yield raw.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace")


def _record(text: str) -> dict[str, object]:
    from laotie.moderation.service import classify

    return classify(text).as_dict()


@moderate_app.callback()
def moderate(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json/--no-json", help="one JSON object per line (default), or a table")
    ] = True,
) -> None:
    """Read one text per line on stdin; write one verdict per line on stdout."""
    if ctx.invoked_subcommand is not None:
        return
    if as_json:
        out = sys.stdout.buffer
        for text in _lines(sys.stdin.buffer):
            out.write(json.dumps(_record(text), ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()
        return
    table = Table("#", "text", "diversion", "intent", "blocked", "reasons", show_lines=False)
    for i, text in enumerate(_lines(sys.stdin.buffer), start=1):
        r = _record(text)
        reasons = r["reasons"]
        table.add_row(
            str(i),
            Text(text[:60]),
            "导流" if r["diversion"] else "",
            "意向" if r["purchase_intent"] else "",
            "拦截" if r["blocked"] else "",
            ", ".join(reasons) if isinstance(reasons, list) else "",
        )
    Console().print(table)


@moderate_app.command("export-corrections")
def export_corrections(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL"),
    ] = None,
    confirmed: Annotated[
        bool, typer.Option("--confirmed/--only-wrong", help="also export hits staff confirmed")
    ] = False,
) -> None:
    """Hits staff reviewed, as labelled lines (text, diversion, intent, notes) for the labelled set."""
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.moderation import service
    from laotie.moderation.schemas import HitStatus
    from laotie.settings import get_settings

    if database_url:
        os.environ["LAOTIE_DATABASE_URL"] = database_url
        get_settings.cache_clear()
    statuses = (HitStatus.WRONG, HitStatus.CONFIRMED) if confirmed else (HitStatus.WRONG,)
    db = Database(get_settings().database_url)
    try:
        with unit_of_work(db, read_only=True) as session:
            for line in service.corrections(session, statuses):
                sys.stdout.write(line + "\n")
    finally:
        db.dispose()
