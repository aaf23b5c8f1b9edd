from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from laotie.catalog.schemas import ProductCard
from laotie.core.ids import Id
from laotie.settings import get_settings

MAX_PRODUCTS = 10


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), AfterValidator(_no_nul)
]
Description = Annotated[str, StringConstraints(max_length=500), AfterValidator(_no_nul)]
ProductIds = Annotated[list[Id], Field(max_length=50)]


class VideoMeta(BaseModel):
    title: Title
    description: Description = ""
    shop_id: Id | None = Field(default=None, description="post for this shop (members)")
    product_ids: ProductIds = Field(default_factory=list, description=f"at most {MAX_PRODUCTS}")


class VideoLinkIn(VideoMeta):
    url: str = Field(
        min_length=1,
        max_length=500,
        description="an https URL of an .mp4 file on a host in the video_link_hosts setting",
    )


# One limit for a comment, the same in the OpenAPI document and on the server: the setting.
COMMENT_MAX_CHARS = get_settings().video_comment_max_chars


class CommentIn(BaseModel):
    # The service refuses a longer comment (COMMENT_TOO_LONG, the code live rooms use too); the
    # schema states the same limit for clients. The request body itself is capped (core.request_body).
    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1),
        AfterValidator(_no_nul),
        Field(json_schema_extra={"maxLength": COMMENT_MAX_CHARS}, description="at most this many characters"),
    ]


class VideoCard(BaseModel):
    id: int
    title: str
    author_id: int
    author_name: str
    shop_id: int | None
    creator_id: int | None = Field(
        description="the author when a creator posted it: orders from it carry this"
    )
    cover_url: str | None
    media_url: str
    duration_ms: int
    views: int
    likes: int
    comments: int
    created_at: datetime


class VideoDetail(VideoCard):
    description: str
    source: str
    container: str
    codec: str
    width: int
    height: int
    size_bytes: int
    products: list[ProductCard]
    liked: bool
    status: str = Field(
        default="published", description="published, or held while moderation reviews its caption"
    )


class LikeOut(BaseModel):
    likes: int
    liked: bool


class ViewsOut(BaseModel):
    views: int


class CommentOut(BaseModel):
    id: int
    user_id: int
    nickname: str
    body: str
    created_at: datetime
