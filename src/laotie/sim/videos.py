"""Short videos for the demo: a few seconds of each product's picture, slowly zooming, made with
ffmpeg and uploaded through the video service (which probes it and cuts its cover) by the shop or a
creator, linking the products it shows; then views, likes and comments from the audience.

Without ffmpeg (or ffprobe, which the upload needs) there are no videos, and the seed says so.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from laotie.catalog.schemas import ProductDetail
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import FileStorage
from laotie.core.uow import unit_of_work
from laotie.sim import images
from laotie.sim.audience import Creator
from laotie.sim.commerce import MarketShop
from laotie.sim.names import VIDEO_COMMENTS
from laotie.sim.people import Shopper
from laotie.video import service as video
from laotie.video.schemas import VideoMeta

SHOP_VIDEOS = 3  # the first shops post one each; every creator posts one
CLIP_SECONDS = 3
SHOP_TAGLINES = ("实拍细节，老铁放心买", "工厂直发，看得见的品质", "开箱上手，真实效果")


def tools_missing() -> list[str]:
    return [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]


def clip(picture: bytes, folder: Path, name: str) -> bytes:
    """An H.264 MP4 of ``picture`` zooming in slowly: small, and it plays in every browser."""
    source, out = folder / f"{name}.jpg", folder / f"{name}.mp4"
    source.write_bytes(picture)
    frames = CLIP_SECONDS * 15
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-loop", "1", "-i", str(source), "-t", str(CLIP_SECONDS),
            "-vf", f"zoompan=z='min(zoom+0.004,1.2)':d={frames}:s=360x360:fps=15,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", "-y", str(out),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return out.read_bytes()


def _short(product: ProductDetail) -> str:
    return product.title.split(" ")[0][:10]


def _plans(shops: list[MarketShop], creators: list[Creator]) -> list[tuple[Principal, VideoMeta, str]]:
    """(author, what to post, what the picture says) for every demo video."""
    products = {p.id: p for s in shops for p in s.products}
    plans = []
    for shop in shops[:SHOP_VIDEOS]:
        if not shop.products:
            continue
        first = shop.products[0]
        tagline = SHOP_TAGLINES[shop.index % len(SHOP_TAGLINES)]
        meta = VideoMeta(
            title=f"{_short(first)}｜{tagline}",
            description=f"{shop.name}的短视频，视频里的商品点下方就能买。#老铁好物",
            shop_id=shop.shop_id,
            product_ids=[p.id for p in shop.products[:2]],
        )
        plans.append((shop.owner, meta, _short(first)))
    for creator in creators:
        picks = [products[p] for p in creator.picks[:2] if p in products]
        if not picks:
            continue
        meta = VideoMeta(
            title=f"{creator.shopper.nickname}推荐：{_short(picks[0])}",
            description="达人亲测，好物联盟商品，橱窗同款。",
            product_ids=[p.id for p in picks],
        )
        plans.append((creator.shopper.principal, meta, _short(picks[0])))
    return plans


def seed_videos(
    db: Database,
    storage: FileStorage,
    shops: list[MarketShop],
    creators: list[Creator],
    audience: list[Shopper],
    console: Console,
) -> bool:
    with unit_of_work(db, read_only=True) as session:
        if video.feed(session, PageParams(limit=1)).total:
            return False
    missing = tools_missing()
    if missing:
        console.print(
            f"[yellow]没有找到 {' / '.join(missing)}：演示数据不含短视频[/yellow] "
            f"{' and '.join(missing)} not found, so the demo has no short videos (install ffmpeg)."
        )
        return False
    commenters = list(audience)  # each commenter once: the service paces one user's comments
    random.Random("laotie-demo-commenters").shuffle(commenters)
    with tempfile.TemporaryDirectory(prefix="laotie-demo-clips-") as folder:
        for n, (author, meta, words) in enumerate(_plans(shops, creators)):
            rng = random.Random(f"laotie-demo-video-{n}")
            picture = images.product_image(words, "短视频 · 实拍", f"video-{n}-{words}", badge=None)
            data = clip(picture, Path(folder), f"clip-{n}")
            with unit_of_work(db) as session:
                posted, _ = video.upload(session, storage, author, meta, data)
                for _ in range(rng.randint(12, 40)):
                    video.add_view(session, posted.id)
                for fan in rng.sample(audience, k=min(len(audience), rng.randint(5, 15))):
                    video.like(session, fan.principal, posted.id)
                for _ in range(min(len(commenters), rng.randint(1, 3))):
                    video.comment(session, commenters.pop().principal, posted.id, rng.choice(VIDEO_COMMENTS))
                session.commit()
    return True
