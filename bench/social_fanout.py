"""Live-start fan-out benchmark: how fast every fan of a room that goes live gets a notification.

    python bench/social_fanout.py --db sqlite|postgres --fans 20000 --batch 500 --json out.json

Creates a fresh database (a SQLite file in a temporary directory, or the PostgreSQL database
``laotie_bench_social``), an anchor with a shop, and ``--fans`` users following the anchor (one in
three also follows the shop, so the walk must not notify anyone twice). It then emits one
``LiveSessionStarted`` and runs the real outbox worker until idle: the handler writes one batch of
``--batch`` notifications per transaction and chains the next batch through the outbox. Reported:
the wall time from commit to the last notification, notifications per second, and the number of
outbox steps. A replay of the same session is run too and must write nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "laotie_bench_social"


def _database_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'fanout.db'}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"


def run(backend: str, fans: int, batch: int) -> dict[str, Any]:
    os.environ["LAOTIE_SOCIAL_FANOUT_BATCH"] = str(batch)
    from laotie import bootstrap
    from laotie.accounts.models import User
    from laotie.core import clock
    from laotie.core.db import Database
    from laotie.core.events import OutboxEvent, emit
    from laotie.core.outbox import OutboxWorker
    from laotie.core.uow import unit_of_work
    from laotie.events.live import LiveSessionStarted
    from laotie.events.social import SocialFanOut
    from laotie.migrations.registry import metadata
    from laotie.settings import get_settings
    from laotie.social.models import Follow, Notification

    get_settings.cache_clear()
    with tempfile.TemporaryDirectory(prefix="laotie-bench-social-") as folder:
        url = _database_url(backend, Path(folder))
        db = Database(url)
        bootstrap.wire()
        metadata.create_all(db.engine)
        now = clock.now()
        with unit_of_work(db) as session:
            users = [
                {
                    "phone": f"139{i:08d}",
                    "password_hash": "x",
                    "nickname": f"粉丝{i}",
                    "bio": "",
                    "created_at": now,
                }
                for i in range(fans + 1)
            ]
            session.execute(insert(User), users)
            ids = list(session.scalars(select(User.id).order_by(User.id)))
            anchor, followers = ids[0], ids[1:]
            follows = [
                {"follower_id": f, "target_kind": "user", "target_id": anchor, "created_at": now}
                for f in followers
            ]
            follows += [
                {"follower_id": f, "target_kind": "shop", "target_id": 1, "created_at": now}
                for f in followers[::3]
            ]
            session.execute(insert(Follow), follows)
            session.commit()
        live = LiveSessionStarted(session_id=1, room_id=1, anchor_user_id=anchor, shop_id=1, title="开播啦")
        worker = OutboxWorker(db, batch_size=50)
        started = time.perf_counter()
        with unit_of_work(db) as session:
            emit(session, live)
            session.commit()
        worker.run_until_idle(max_rounds=100_000)
        seconds = time.perf_counter() - started
        with unit_of_work(db) as session:
            written = session.scalar(select(func.count()).select_from(Notification)) or 0
            steps = session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == SocialFanOut.topic)
            )
            emit(session, live)  # a replay of the same session
            session.commit()
        worker.run_until_idle(max_rounds=100_000)
        with unit_of_work(db) as session:
            after_replay = session.scalar(select(func.count()).select_from(Notification)) or 0
        db.dispose()
    return {
        "database": backend,
        "fans": fans,
        "batch": batch,
        "notifications": written,
        "after_replay": after_replay,
        "outbox_steps": (steps or 0) + 1,
        "seconds": round(seconds, 3),
        "notifications_per_second": round(written / seconds) if seconds else None,
        "correct": written == fans and after_replay == fans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--fans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.db, args.fans, args.batch)
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    table = Table(title="Live-start fan-out")
    for column in ("database", "fans", "batch", "outbox steps", "seconds", "notifications/s", "correct"):
        table.add_column(column)
    table.add_row(
        result["database"],
        f"{result['fans']:,}",
        str(result["batch"]),
        str(result["outbox_steps"]),
        str(result["seconds"]),
        f"{result['notifications_per_second']:,}",
        "yes" if result["correct"] else "NO",
    )
    console.print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
