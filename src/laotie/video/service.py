"""Short videos (短视频): post (upload or link), link products, the feed, views, likes and comments.

Other domains use only these functions; orders calls ``check_attribution`` when an order names a video.
"""

from __future__ import annotations

from laotie.video.engagement import (
    add_view,
    comment,
    comment_shown,
    comments,
    hide_comment,
    intent_by_product,
    like,
    unlike,
)
from laotie.video.feed import MediaFile, check_attribution, cover_key, detail, feed, media_file
from laotie.video.links import check_link
from laotie.video.publishing import check_products, link, remove, set_products, upload

__all__ = [
    "MediaFile",
    "add_view",
    "check_attribution",
    "check_link",
    "check_products",
    "comment",
    "comment_shown",
    "comments",
    "cover_key",
    "detail",
    "feed",
    "hide_comment",
    "intent_by_product",
    "like",
    "link",
    "media_file",
    "remove",
    "set_products",
    "unlike",
    "upload",
]
