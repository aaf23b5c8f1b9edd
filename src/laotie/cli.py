"""The ``laotie`` command: serve the platform, migrate, seed the demo marketplace, bootstrap staff."""

from __future__ import annotations

import os
import threading
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from laotie.cli_governance import app as governance_app
from laotie.cli_moderate import moderate_app
from laotie.cli_sandbox import sandbox_app
from laotie.cli_scores import app as scores_app
from laotie.cli_search import app as search_app
from laotie.cli_simulate import simulate as simulate_command
from laotie.settings import get_settings

app = typer.Typer(help="Laotie 老铁: live-stream and short-video commerce platform.", no_args_is_help=True)
admin_app = typer.Typer(help="Bootstrap and manage platform staff.", no_args_is_help=True)
ledger_app = typer.Typer(help="Inspect and prove the books.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(ledger_app, name="ledger")
app.add_typer(moderate_app, name="moderate")
app.add_typer(search_app, name="search")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(governance_app, name="governance")
app.command("simulate")(simulate_command)
app.add_typer(scores_app, name="scores")
console = Console()

DbOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default a SQLite file in var/"
    ),
]


def _use_database(url: str | None) -> str:
    """Make the chosen URL the one every part of the process (and uvicorn workers) sees."""
    if url:
        os.environ["LAOTIE_DATABASE_URL"] = url
        get_settings.cache_clear()
    return get_settings().database_url


def _secure() -> None:
    """Stop here, with what to set, unless every secret is safe (see ``core.install_secrets``)."""
    from laotie.core.install_secrets import InsecureSecrets, secure_process_settings

    try:
        secure_process_settings()
    except InsecureSecrets as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None


def _migrate(url: str) -> int:
    from laotie.categories import service as categories
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.migrations import upgrade

    upgrade(url)
    db = Database(url)
    try:
        with unit_of_work(db) as session:
            added = categories.seed_default_tree(session)
            session.commit()
    finally:
        db.dispose()
    return added


def _schema_revision(url: str) -> str | None:
    """The migration the database is at; None for a new (empty) database."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


@app.command()
def migrate(database_url: DbOption = None) -> None:
    """Bring the database schema up to date and seed the default category tree."""
    url = _use_database(database_url)
    with console.status("迁移数据库 migrating…"):
        before = _schema_revision(url)
        added = _migrate(url)
        after = _schema_revision(url)
    if before is None:
        said = f"[green]已创建数据库结构[/green] created the schema (revision {after})"
    elif before != after:
        said = f"[green]数据库已升级[/green] upgraded the schema from {before} to {after}"
    else:
        said = f"[green]数据库已是最新[/green] the schema was already up to date (revision {after})"
    console.print(f"{said} on {url}; {added} categories seeded", soft_wrap=True)


def _serve(host: str, port: int, workers: int, reload: bool = False) -> None:
    import uvicorn

    from laotie.core import access_log

    _secure()
    # PSP webhooks (the sandbox's included) come back to this server unless told otherwise.
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    os.environ.setdefault("LAOTIE_PUBLIC_URL", f"http://{local}:{port}")
    get_settings.cache_clear()
    console.print(f"[bold]老铁 Laotie[/bold] on http://{host}:{port}/  (API docs: /docs)")
    settings = get_settings()
    uvicorn.run(
        "laotie.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="info",
        log_config=access_log.log_config(),
        access_log=settings.access_log,
        # Live rooms send one frame to thousands of sockets: never compress it once per viewer.
        ws_per_message_deflate=False,
        # Slow clients: header and body read timeouts (core.http_server), idle keep-alive, header size.
        http="laotie.core.http_server:TimedHttpProtocol",
        timeout_keep_alive=settings.http_keep_alive_seconds,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
    )


def _check_workers(url: str, workers: int) -> None:
    """Several API processes need PostgreSQL (and Redis for live rooms); say so, before starting.

    Each process runs its own placement batcher, outbox worker, webhook sender and periodic jobs
    (``app.create_app``). On PostgreSQL they take turns through row locks (``SKIP LOCKED`` claims,
    ``FOR UPDATE`` on the SKUs a batch sells); SQLite has one writer for the whole file: processes would wait on each
    other's writes and fail them with "database is locked"."""
    from sqlalchemy.engine import make_url

    if workers < 1:
        console.print("[red]--workers must be at least 1[/red]")
        raise typer.Exit(2)
    if workers == 1:
        return
    if make_url(url).get_backend_name() == "sqlite":
        console.print(
            f"[red]--workers {workers} needs PostgreSQL: a SQLite file has one writer, and several "
            "processes would wait on each other's writes and fail them ('database is locked'). "
            "Run one worker on SQLite, or set LAOTIE_DATABASE_URL=postgresql+psycopg://…[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if not get_settings().redis_url:
        console.print(
            "[yellow]LAOTIE_REDIS_URL is not set: each process's live rooms reach only the viewers "
            "connected to it (comments and purchase notices do not cross processes)[/yellow]",
            soft_wrap=True,
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(help="API processes (more than 1 needs PostgreSQL, and Redis for live rooms)")
    ] = 1,
    database_url: DbOption = None,
) -> None:
    """Run the API and web pages (migrates first)."""
    url = _use_database(database_url)
    _check_workers(url, workers)
    _secure()
    _migrate(url)
    _serve(host, port, workers)


@app.command()
def worker(database_url: DbOption = None) -> None:
    """Run the outbox worker and the periodic jobs (when API processes run with
    LAOTIE_EMBEDDED_WORKER=false): unpaid orders cancel, intents expire, orders confirm and settle."""
    from laotie import bootstrap
    from laotie.core import jobs
    from laotie.core.db import Database
    from laotie.core.outbox import OutboxWorker

    url = _use_database(database_url)
    _secure()
    db = Database(url)
    bootstrap.wire()
    stop = threading.Event()
    settings = get_settings()
    # API processes without the embedded worker leave the providers' threads (the sandbox's
    # webhooks) to this process.
    provider_stops = bootstrap.start_provider_threads(db, settings)
    if not settings.redis_url:
        console.print(
            "[yellow]LAOTIE_REDIS_URL is not set: live rooms' purchase notices stay in this process[/]"
        )
    jobs_stop = jobs.start_thread(db)
    console.print(f"outbox worker and periodic jobs on {url}; Ctrl-C to stop")
    try:
        OutboxWorker(db).run_forever(stop, settings.outbox_poll_seconds, settings.outbox_gather_seconds)
    except KeyboardInterrupt:
        stop.set()
    finally:
        jobs_stop.set()
        for stop_provider in provider_stops:
            stop_provider()
        db.dispose()


@app.command()
def media(
    rtmp_port: Annotated[int, typer.Option(help="RTMP port anchors push to")] = 1935,
    http_port: Annotated[int, typer.Option(help="HTTP port serving HLS")] = 8081,
    work_dir: Annotated[
        str, typer.Option(help="nginx's config, pid, logs and HLS go here")
    ] = "var/media-server",
    callback_url: Annotated[
        str | None, typer.Option(help="the API nginx calls back (default: LAOTIE_PUBLIC_URL)")
    ] = None,
    write_only: Annotated[
        bool, typer.Option("--write-only", help="write the configuration, do not start")
    ] = False,
) -> None:
    """Write the nginx-rtmp configuration for this platform and run nginx (RTMP in, HLS out)."""
    import subprocess
    from pathlib import Path

    from laotie.live import media as media_server

    _secure()
    settings = get_settings()
    config = media_server.MediaConfig(
        work_dir=Path(work_dir),
        callback_url=callback_url or settings.public_url,
        secret=settings.media_callback_secret,
        rtmp_port=rtmp_port,
        http_port=http_port,
    )
    path = media_server.write(config)
    console.print(f"nginx-rtmp configuration written to {path}")
    console.print(f"  anchors push to [bold]{config.rtmp_url}/<stream key>[/bold]")
    console.print(
        f"  set LAOTIE_MEDIA_RTMP_URL={config.rtmp_url} LAOTIE_MEDIA_HLS_URL={config.hls_url} for the API"
    )
    if write_only:
        return
    process = subprocess.Popen(media_server.command(config))
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    shops: Annotated[int, typer.Option(help="how many shops to seed")] = 36,
    products: Annotated[int, typer.Option(help="how many products to seed")] = 400,
    database_url: DbOption = None,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="start the server after seeding")
    ] = True,
    video: Annotated[
        bool,
        typer.Option(
            "--video/--no-video", help="push test video into rooms on air (needs nginx-rtmp, ffmpeg)"
        ),
    ] = True,
    history_days: Annotated[
        int,
        typer.Option(
            min=0, max=60, help="days of marketplace history to simulate first (fresh database only; 0: none)"
        ),
    ] = 14,
) -> None:
    """Migrate, seed a believable demo marketplace (once), print its accounts, then serve."""
    from laotie.sim.demo import print_accounts, seed_demo
    from laotie.sim.history import seed_history
    from laotie.sim.live_video import AroundDemo

    url = _use_database(database_url)
    if serve_after:
        _secure()  # before seeding: a refusal should not come after minutes of work
    _migrate(url)
    seed_history(url, history_days, get_settings().media_dir, console)  # sim.history: the demo's past
    accounts = seed_demo(url, shops=shops, products=products, console=console)
    print_accounts(accounts, console)
    if serve_after:
        with AroundDemo(host, port, url, console, enabled=video):
            _serve(host, port, 1)


@admin_app.command("create")
def admin_create(
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="at least 8 characters, letters and digits")
    ],
    phone: Annotated[str | None, typer.Option(help="mainland mobile number")] = None,
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
    nickname: Annotated[str, typer.Option(help="display name")] = "平台管理员",
    database_url: DbOption = None,
) -> None:
    """Create a platform administrator (admin + governance roles)."""
    from laotie.accounts import service as accounts
    from laotie.core.auth import Role
    from laotie.core.db import Database
    from laotie.core.errors import AppError
    from laotie.core.uow import unit_of_work

    url = _use_database(database_url)
    _migrate(url)
    db = Database(url)
    try:
        with unit_of_work(db) as session:
            user = accounts.register(
                session,
                password=password,
                phone=phone,
                email=email,
                nickname=nickname,
                roles=(Role.ADMIN, Role.GOVERNANCE),
            )
            session.commit()
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red] {exc.message('zh')}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    table = Table("id", "phone", "email", "roles")
    table.add_row(str(user.id), user.phone or "", user.email or "", "admin, governance")
    console.print(table)


@ledger_app.command("check")
def ledger_check(database_url: DbOption = None) -> None:
    """Prove that all accounts sum to zero and every domain's postings match; exit 1 otherwise."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.ledger import service as ledger

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    url = _use_database(database_url)
    db = Database(url)
    try:
        with unit_of_work(db, read_only=True) as session:
            result = ledger.check(session)
    finally:
        db.dispose()
    console.print(f"{result.transactions} transactions, all accounts sum to {result.total_fen} fen")
    if not result.ok:
        for problem in result.problems:
            console.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    console.print("[green]✓ 账目平衡 the books balance[/green]")


if __name__ == "__main__":
    app()
